//! The order's state machine, in one place: every move of an order or of one of its
//! seller groups, whoever asks for it (the buyer, a seller, the payment confirmation,
//! the expiry sweep), is decided here.
//!
//! ```text
//! order:  pending_payment ─pay→ paid ─(every group delivered)→ completed
//!              │    └─expire→ expired        │
//!              └─cancel→ cancelled   ←cancel─┘ (before any group has shipped)
//!         paid/completed ─refund→ refunded | partially_refunded
//! group:  pending_payment ─pay→ paid ─accept→ accepted ─ship→ shipped ─deliver→ delivered
//!         (a group follows its order into cancelled, expired and refunded)
//! ```
//!
//! A move that is not on the diagram is an [`IllegalMove`], which names the state the
//! order or group is in.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The state of a whole order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    PendingPayment,
    Paid,
    Completed,
    Cancelled,
    Expired,
    Refunded,
    PartiallyRefunded,
}

/// The state of one seller's part of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupStatus {
    PendingPayment,
    Paid,
    Accepted,
    Shipped,
    Delivered,
    Cancelled,
    Expired,
    Refunded,
}

/// What happens to a whole order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderMove {
    /// The payment provider confirmed the payment.
    Pay,
    /// The reservation ran out before payment.
    Expire,
    /// The buyer (or an admin) called the order off.
    Cancel,
    /// Money went back: all of it, or part of it.
    Refund { full: bool },
}

/// What a seller does with its group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupMove {
    Accept,
    Ship,
    Deliver,
}

/// A move the current state does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action} an order that is {current}")]
pub struct IllegalMove {
    pub action: &'static str,
    /// The state it is in, as the API spells it.
    pub current: &'static str,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::PendingPayment => "pending_payment",
            OrderStatus::Paid => "paid",
            OrderStatus::Completed => "completed",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Expired => "expired",
            OrderStatus::Refunded => "refunded",
            OrderStatus::PartiallyRefunded => "partially_refunded",
        }
    }

    pub fn parse(text: &str) -> Option<OrderStatus> {
        ALL_ORDER_STATUSES.into_iter().find(|s| s.as_str() == text)
    }

    /// Where `change` takes an order in this state; `groups` are the states of its
    /// groups, which decide whether it may still be cancelled.
    pub fn after(self, change: OrderMove, groups: &[GroupStatus]) -> Result<OrderStatus, IllegalMove> {
        use OrderStatus::*;
        let next = match (self, change) {
            (PendingPayment, OrderMove::Pay) => Some(Paid),
            (PendingPayment, OrderMove::Expire) => Some(Expired),
            (PendingPayment, OrderMove::Cancel) => Some(Cancelled),
            (Paid, OrderMove::Cancel) if groups.iter().all(|g| g.before_shipping()) => Some(Cancelled),
            (Paid | Completed | PartiallyRefunded | Cancelled, OrderMove::Refund { full: true }) => Some(Refunded),
            (Paid | Completed | PartiallyRefunded | Cancelled, OrderMove::Refund { full: false }) => {
                Some(PartiallyRefunded)
            }
            _ => None,
        };
        next.ok_or(IllegalMove { action: change.verb(), current: self.as_str() })
    }

    /// Whether the order is settled for good: nothing more happens to it but refunds.
    pub fn is_closed(self) -> bool {
        !matches!(self, OrderStatus::PendingPayment | OrderStatus::Paid)
    }
}

pub const ALL_ORDER_STATUSES: [OrderStatus; 7] = [
    OrderStatus::PendingPayment,
    OrderStatus::Paid,
    OrderStatus::Completed,
    OrderStatus::Cancelled,
    OrderStatus::Expired,
    OrderStatus::Refunded,
    OrderStatus::PartiallyRefunded,
];

pub const ALL_GROUP_STATUSES: [GroupStatus; 8] = [
    GroupStatus::PendingPayment,
    GroupStatus::Paid,
    GroupStatus::Accepted,
    GroupStatus::Shipped,
    GroupStatus::Delivered,
    GroupStatus::Cancelled,
    GroupStatus::Expired,
    GroupStatus::Refunded,
];

impl OrderMove {
    fn verb(self) -> &'static str {
        match self {
            OrderMove::Pay => "pay for",
            OrderMove::Expire => "expire",
            OrderMove::Cancel => "cancel",
            OrderMove::Refund { .. } => "refund",
        }
    }

    /// What the order's groups become when the order makes this move, if they change.
    pub fn group_status(self) -> Option<GroupStatus> {
        match self {
            OrderMove::Pay => Some(GroupStatus::Paid),
            OrderMove::Expire => Some(GroupStatus::Expired),
            OrderMove::Cancel => Some(GroupStatus::Cancelled),
            OrderMove::Refund { full: true } => Some(GroupStatus::Refunded),
            OrderMove::Refund { full: false } => None,
        }
    }
}

impl GroupStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupStatus::PendingPayment => "pending_payment",
            GroupStatus::Paid => "paid",
            GroupStatus::Accepted => "accepted",
            GroupStatus::Shipped => "shipped",
            GroupStatus::Delivered => "delivered",
            GroupStatus::Cancelled => "cancelled",
            GroupStatus::Expired => "expired",
            GroupStatus::Refunded => "refunded",
        }
    }

    pub fn parse(text: &str) -> Option<GroupStatus> {
        ALL_GROUP_STATUSES.into_iter().find(|s| s.as_str() == text)
    }

    /// The group was paid for (whatever happened since): its seller may see where it goes.
    pub fn was_paid(self) -> bool {
        !matches!(self, GroupStatus::PendingPayment | GroupStatus::Expired | GroupStatus::Cancelled)
    }

    /// Nothing has left the seller yet.
    fn before_shipping(self) -> bool {
        matches!(self, GroupStatus::PendingPayment | GroupStatus::Paid | GroupStatus::Accepted)
    }

    /// Where a seller's `change` takes a group in this state.
    pub fn after(self, change: GroupMove) -> Result<GroupStatus, IllegalMove> {
        let next = match (self, change) {
            (GroupStatus::Paid, GroupMove::Accept) => Some(GroupStatus::Accepted),
            (GroupStatus::Accepted, GroupMove::Ship) => Some(GroupStatus::Shipped),
            (GroupStatus::Shipped, GroupMove::Deliver) => Some(GroupStatus::Delivered),
            _ => None,
        };
        let action = match change {
            GroupMove::Accept => "accept",
            GroupMove::Ship => "ship",
            GroupMove::Deliver => "deliver",
        };
        next.ok_or(IllegalMove { action, current: self.as_str() })
    }
}

/// The order's state once its groups are in `groups`: a paid order whose every group
/// is delivered is completed.
pub fn settle(order: OrderStatus, groups: &[GroupStatus]) -> OrderStatus {
    if order == OrderStatus::Paid && !groups.is_empty() && groups.iter().all(|g| *g == GroupStatus::Delivered) {
        OrderStatus::Completed
    } else {
        order
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unpaid_order_is_paid_expired_or_cancelled_and_nothing_else() {
        let unpaid = OrderStatus::PendingPayment;
        let groups = [GroupStatus::PendingPayment];
        assert_eq!(unpaid.after(OrderMove::Pay, &groups), Ok(OrderStatus::Paid));
        assert_eq!(unpaid.after(OrderMove::Expire, &groups), Ok(OrderStatus::Expired));
        assert_eq!(unpaid.after(OrderMove::Cancel, &groups), Ok(OrderStatus::Cancelled));
        let refused = unpaid.after(OrderMove::Refund { full: true }, &groups).unwrap_err();
        assert_eq!(refused.current, "pending_payment");
        assert_eq!(refused.to_string(), "cannot refund an order that is pending_payment");
    }

    #[test]
    fn a_paid_order_is_cancelled_only_before_anything_shipped() {
        let paid = OrderStatus::Paid;
        assert_eq!(
            paid.after(OrderMove::Cancel, &[GroupStatus::Paid, GroupStatus::Accepted]),
            Ok(OrderStatus::Cancelled)
        );
        assert!(paid.after(OrderMove::Cancel, &[GroupStatus::Accepted, GroupStatus::Shipped]).is_err());
        assert!(paid.after(OrderMove::Pay, &[GroupStatus::Paid]).is_err(), "paid twice");
        assert!(paid.after(OrderMove::Expire, &[GroupStatus::Paid]).is_err(), "a paid order never expires");
    }

    #[test]
    fn closed_orders_move_only_by_refunds() {
        for closed in [OrderStatus::Expired, OrderStatus::Cancelled, OrderStatus::Completed, OrderStatus::Refunded] {
            for change in [OrderMove::Pay, OrderMove::Expire, OrderMove::Cancel] {
                assert!(closed.after(change, &[]).is_err(), "{closed:?} {change:?}");
            }
        }
        assert!(OrderStatus::Expired.after(OrderMove::Refund { full: true }, &[]).is_err(), "nothing was paid");
        assert_eq!(OrderStatus::Cancelled.after(OrderMove::Refund { full: true }, &[]), Ok(OrderStatus::Refunded));
        assert!(OrderStatus::Refunded.after(OrderMove::Refund { full: false }, &[]).is_err());
    }

    #[test]
    fn a_group_goes_from_paid_to_delivered_one_step_at_a_time() {
        let mut status = GroupStatus::Paid;
        for change in [GroupMove::Accept, GroupMove::Ship, GroupMove::Deliver] {
            status = status.after(change).unwrap();
        }
        assert_eq!(status, GroupStatus::Delivered);
        assert!(GroupStatus::Paid.after(GroupMove::Ship).is_err(), "shipped before accepted");
        assert!(GroupStatus::PendingPayment.after(GroupMove::Accept).is_err(), "accepted before paid");
        let refused = GroupStatus::Cancelled.after(GroupMove::Ship).unwrap_err();
        assert_eq!(refused.current, "cancelled");
    }

    #[test]
    fn an_order_is_completed_when_every_group_is_delivered() {
        use GroupStatus::*;
        assert_eq!(settle(OrderStatus::Paid, &[Delivered, Delivered]), OrderStatus::Completed);
        assert_eq!(settle(OrderStatus::Paid, &[Delivered, Shipped]), OrderStatus::Paid);
        assert_eq!(settle(OrderStatus::Cancelled, &[Delivered]), OrderStatus::Cancelled);
    }

    #[test]
    fn every_state_reads_back_from_its_name() {
        for status in ALL_ORDER_STATUSES {
            assert_eq!(OrderStatus::parse(status.as_str()), Some(status));
        }
        for status in ALL_GROUP_STATUSES {
            assert_eq!(GroupStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(OrderStatus::parse("shipped"), None);
    }
}
