//! The moves of a whole order: paid, cancelled, expired. Each takes the order's row
//! lock, asks the state machine, and writes the new state, the stock it gives back, the
//! invoices it issues and the event it reports, in one transaction.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::error::OrderError;
use super::state::{IllegalMove, OrderMove, OrderStatus};
use super::store::{self, OrderRecord};
use super::{OrdersState, invoices};
use crate::platform::events::{self, Event};
use crate::platform::money::Halalas;

/// Who asked for a move, for the event and the audit of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Buyer(Uuid),
    Admin(Uuid),
    /// The expiry sweep, or a payment provider's confirmation.
    System,
}

impl Actor {
    fn describe(self) -> serde_json::Value {
        match self {
            Actor::Buyer(id) => serde_json::json!({ "kind": "buyer", "id": id }),
            Actor::Admin(id) => serde_json::json!({ "kind": "admin", "id": id }),
            Actor::System => serde_json::json!({ "kind": "system" }),
        }
    }
}

/// Records that the order was paid: its groups become `paid`, each gets its invoice
/// (`GET /orders/{id}/invoices`), and `order.paid` is reported. `reference` is the
/// payment's id at the provider (or an admin's note of an offline payment). An order
/// not awaiting payment (paid already, expired, cancelled) is an illegal move: the
/// caller decides what happens to money that arrived too late.
pub async fn mark_paid(
    state: &OrdersState,
    order_id: Uuid,
    reference: &str,
    actor: Actor,
) -> Result<OrderRecord, OrderError> {
    let mut tx = state.db.begin().await?;
    let paid = mark_paid_in(&mut tx, state, order_id, reference, actor).await?;
    tx.commit().await?;
    Ok(paid)
}

/// [`mark_paid`] inside the caller's transaction, so a payment's own record and the
/// order it pays commit together or not at all.
pub async fn mark_paid_in(
    tx: &mut PgConnection,
    state: &OrdersState,
    order_id: Uuid,
    reference: &str,
    actor: Actor,
) -> Result<OrderRecord, OrderError> {
    let order = locked(tx, order_id).await?;
    mark_locked_paid(tx, state, order, reference, actor).await
}

/// [`mark_paid_in`] for an order the caller has locked in its transaction already.
pub async fn mark_locked_paid(
    tx: &mut PgConnection,
    state: &OrdersState,
    order: OrderRecord,
    reference: &str,
    actor: Actor,
) -> Result<OrderRecord, OrderError> {
    let now = state.now();
    let order_id = order.id;
    let next = order.status.after(OrderMove::Pay, &order.group_statuses())?;
    store::orders::set_status(tx, order_id, next, OrderMove::Pay.group_status(), now).await?;
    let paid = order.moved(next, OrderMove::Pay.group_status(), now);
    let event = Event {
        topic: "order.paid",
        subject_id: order_id,
        payload: serde_json::json!({
            "order_id": order_id,
            "number": paid.number,
            "buyer_id": paid.buyer_id,
            "total_sar": paid.total.to_string(),
            "reference": reference,
            "by": actor.describe(),
        }),
        occurred_at: now,
    };
    events::record(tx, &event).await?;
    // Last: an issuer's counter stays locked until the commit, so every other payment
    // invoiced by the same issuer waits for as little as possible.
    invoices::issue(tx, state, &paid, now).await?;
    metrics::counter!("orders_paid_total").increment(1);
    Ok(paid)
}

/// Records, in the caller's transaction, that money of the order went back: all of it
/// (`refunded`) or part (`partially_refunded`). `refunded` is the total given back so far.
pub async fn record_refund(
    tx: &mut PgConnection,
    state: &OrdersState,
    order_id: Uuid,
    refunded: Halalas,
) -> Result<OrderStatus, OrderError> {
    let now = state.now();
    let order = locked(tx, order_id).await?;
    let change = OrderMove::Refund { full: refunded >= order.total };
    let next = order.status.after(change, &order.group_statuses())?;
    store::orders::set_status(tx, order_id, next, change.group_status(), now).await?;
    let event = Event {
        topic: if next == OrderStatus::Refunded { "order.refunded" } else { "order.partially_refunded" },
        subject_id: order_id,
        payload: serde_json::json!({
            "order_id": order_id,
            "number": order.number,
            "buyer_id": order.buyer_id,
            "total_sar": order.total.to_string(),
            "refunded_sar": refunded.to_string(),
        }),
        occurred_at: now,
    };
    events::record(tx, &event).await?;
    Ok(next)
}

/// Cancels the order for its buyer (or an admin): before payment, or after payment
/// while nothing has shipped. Its stock returns. A paid order's `order.cancelled`
/// event says a refund is due, for the payments module to make.
pub async fn cancel(state: &OrdersState, order_id: Uuid, actor: Actor) -> Result<OrderRecord, OrderError> {
    let mut tx = state.db.begin().await?;
    let now = state.now();
    let order = locked(&mut tx, order_id).await?;
    if let Actor::Buyer(buyer) = actor
        && order.buyer_id != buyer
    {
        return Err(OrderError::NotFound("order"));
    }
    let next = order.status.after(OrderMove::Cancel, &order.group_statuses())?;
    close(&mut tx, &order, next, OrderMove::Cancel, actor, now).await?;
    tx.commit().await?;
    let cancelled = order.moved(next, OrderMove::Cancel.group_status(), now);
    metrics::counter!("orders_cancelled_total").increment(1);
    Ok(cancelled)
}

/// Expires one unpaid order whose reservation ran out, in the sweep's transaction
/// (which holds its lock already).
pub(super) async fn expire(tx: &mut PgConnection, order_id: Uuid, now: DateTime<Utc>) -> Result<bool, OrderError> {
    let order = locked(tx, order_id).await?;
    // Paid or cancelled since the sweep picked it: nothing to do.
    if order.status != OrderStatus::PendingPayment || order.reserved_until > now {
        return Ok(false);
    }
    let next = order.status.after(OrderMove::Expire, &order.group_statuses())?;
    close(tx, &order, next, OrderMove::Expire, Actor::System, now).await?;
    Ok(true)
}

/// Ends an order that never shipped: stock back, new state, the event.
async fn close(
    tx: &mut PgConnection,
    order: &OrderRecord,
    next: OrderStatus,
    change: OrderMove,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<(), OrderError> {
    store::stock::give_back(tx, &order.units()).await?;
    store::orders::set_status(tx, order.id, next, change.group_status(), now).await?;
    let topic = match next {
        OrderStatus::Expired => "order.expired",
        _ => "order.cancelled",
    };
    let event = Event {
        topic,
        subject_id: order.id,
        payload: serde_json::json!({
            "order_id": order.id,
            "number": order.number,
            "buyer_id": order.buyer_id,
            "total_sar": order.total.to_string(),
            "refund_due": order.status == OrderStatus::Paid,
            "by": actor.describe(),
        }),
        occurred_at: now,
    };
    events::record(tx, &event).await?;
    Ok(())
}

/// The order, locked until the transaction ends, for `buyer` to pay: theirs, awaiting
/// payment, its reservation still running.
pub async fn lock_payable(
    tx: &mut PgConnection,
    order_id: Uuid,
    buyer: Uuid,
    now: DateTime<Utc>,
) -> Result<OrderRecord, OrderError> {
    let order = locked(tx, order_id).await?;
    if order.buyer_id != buyer {
        return Err(OrderError::NotFound("order"));
    }
    order.status.after(OrderMove::Pay, &order.group_statuses())?;
    if order.reserved_until <= now {
        // The sweep has not come by yet; to the buyer the order has expired.
        return Err(IllegalMove { action: "pay for", current: OrderStatus::Expired.as_str() }.into());
    }
    Ok(order)
}

/// The order, locked until the transaction ends.
pub async fn lock(tx: &mut PgConnection, order_id: Uuid) -> Result<OrderRecord, OrderError> {
    locked(tx, order_id).await
}

async fn locked(tx: &mut PgConnection, order_id: Uuid) -> Result<OrderRecord, OrderError> {
    store::orders::lock(tx, order_id).await?.ok_or(OrderError::NotFound("order"))
}
