//! Confirmation: the provider is asked what became of a payment, and its answer — and
//! only its answer — is applied, once.
//!
//! The shopper's return, every webhook and the poller all end here. The payment row is
//! locked while the answer is applied, so when they race the first applies it and the
//! others find the payment settled. A paid payment never goes back: later answers,
//! duplicates and notifications out of order change nothing.

use uuid::Uuid;

use super::model::PaymentStatus;
use super::providers::{ProviderError, ProviderPayment};
use super::result_codes::Outcome;
use super::store::audit::{self, AuditEntry};
use super::store::payments::{self as store, PaymentRecord};
use super::{PaymentError, PaymentsState, refunds};
use crate::compliance::monitoring;
use crate::orders::lifecycle::{self, Actor};
use crate::orders::state::OrderStatus;
use crate::orders::store::OrderRecord;

/// What led to asking the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The shopper came back from the provider.
    Return,
    /// The provider notified us.
    Webhook,
    /// The poller's turn came.
    Poll,
}

impl Trigger {
    fn actor(self, payment: &PaymentRecord) -> String {
        match self {
            Trigger::Return => "return".into(),
            Trigger::Webhook => format!("webhook:{}", payment.provider.as_str()),
            Trigger::Poll => "poller".into(),
        }
    }
}

/// Asks the provider about `payment_id` and applies the answer. A provider that cannot
/// answer now leaves the payment as it is, for the poller.
pub async fn confirm(
    state: &PaymentsState,
    payment_id: Uuid,
    trigger: Trigger,
    request_id: Option<&str>,
) -> Result<PaymentRecord, PaymentError> {
    let payment = store::get(&state.db, payment_id).await?.ok_or(PaymentError::NotFound("payment"))?;
    // Settled for good: nothing a provider says now changes it. A failed payment is
    // asked again when the provider itself announces news (money may arrive late).
    let worth_asking =
        payment.status.is_open() || (payment.status == PaymentStatus::Failed && trigger != Trigger::Poll);
    let Some(checkout_id) = payment.checkout_id.as_deref().filter(|_| worth_asking) else {
        return Ok(payment);
    };
    let answer = match state.gateway.payment_status(payment.provider, payment.method, checkout_id).await {
        Ok(answer) => answer,
        Err(error @ (ProviderError::Unavailable { .. } | ProviderError::Throttled { .. })) => {
            tracing::warn!(%error, %payment_id, "the provider could not say what became of a payment; asking later");
            return Ok(payment);
        }
        Err(error) => return Err(error.into()),
    };
    apply(state, payment_id, &answer, trigger, request_id).await
}

/// Applies the provider's `answer` to the payment, in one transaction with the order's
/// payment, its invoices and its event.
pub async fn apply(
    state: &PaymentsState,
    payment_id: Uuid,
    answer: &ProviderPayment,
    trigger: Trigger,
    request_id: Option<&str>,
) -> Result<PaymentRecord, PaymentError> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let payment = store::lock(&mut tx, payment_id).await?.ok_or(PaymentError::NotFound("payment"))?;
    if !(payment.status.is_open() || payment.status == PaymentStatus::Failed) {
        return Ok(payment);
    }
    let order = lifecycle::lock(&mut tx, payment.order_id).await?;
    let actor = trigger.actor(&payment);
    let mut late_refund = None;
    let (status, settled) = match answer.outcome {
        Outcome::Succeeded | Outcome::NeedsReview => {
            let mismatches = mismatches(&payment, &order, answer);
            if !mismatches.is_empty() {
                let details = serde_json::json!({ "mismatches": mismatches, "result_code": answer.result_code });
                monitoring::raise(&mut tx, "PAYMENT_MISMATCH", payment.id, order.id, payment.buyer_id, details, now)
                    .await?;
                tracing::warn!(%payment_id, ?mismatches, "a provider's confirmation does not match its order");
                (PaymentStatus::Mismatched, false)
            } else if order.status == OrderStatus::PendingPayment {
                let reference = answer.provider_payment_id.as_deref().unwrap_or(&answer.result_code);
                lifecycle::mark_locked_paid(&mut tx, &state.orders, order.clone(), reference, Actor::System).await?;
                (PaymentStatus::Paid, true)
            } else {
                // Expired, cancelled or paid by another attempt meanwhile: the money goes back.
                late_refund = Some(format!("the order was {} when this payment was confirmed", order.status.as_str()));
                (PaymentStatus::Paid, false)
            }
        }
        Outcome::Pending | Outcome::PendingLong if trigger == Trigger::Poll && order.reserved_until <= now => {
            // Polled until the reservation ran out; a late confirmation reopens it.
            (PaymentStatus::Failed, false)
        }
        Outcome::Pending | Outcome::PendingLong => (PaymentStatus::Pending, false),
        // HyperPay answers a checkout nobody has paid yet as not found (`200.300.404`, no
        // payment id): the shopper may still be on the widget while the order waits.
        Outcome::Rejected
            if payment.status == PaymentStatus::Initiated
                && answer.provider_payment_id.is_none()
                && order.reserved_until > now =>
        {
            (PaymentStatus::Initiated, false)
        }
        Outcome::Rejected => (PaymentStatus::Failed, false),
    };
    if answer.outcome == Outcome::NeedsReview && status == PaymentStatus::Paid {
        let details = serde_json::json!({ "result_code": answer.result_code });
        monitoring::raise(&mut tx, "PROVIDER_REVIEW", payment.id, order.id, payment.buyer_id, details, now).await?;
    }
    let next_poll = (status.is_open()).then(|| now + state.poll_delay(payment.polls));
    store::record_answer(&mut tx, payment.id, status, answer, settled, next_poll, now).await?;
    if status != payment.status {
        let entry = AuditEntry::change(payment_id, Some(payment.status.as_str()), status.as_str(), &actor)
            .provider_code(&answer.result_code)
            .request(request_id)
            .details(serde_json::json!({ "settled_order": settled }));
        audit::append(&mut *tx, &entry, now).await?;
    }
    let refund = match late_refund {
        Some(reason) => {
            let provider_payment_id =
                answer.provider_payment_id.clone().or_else(|| payment.provider_payment_id.clone());
            let paid = PaymentRecord { status, provider_payment_id, ..payment.clone() };
            let requester = serde_json::json!({ "kind": "system", "reason": "late_payment" });
            Some(refunds::open(&mut tx, &paid, Some(paid.amount), &reason, requester, &actor, request_id, now).await?)
        }
        None => None,
    };
    tx.commit().await?;
    if status != payment.status && !status.is_open() {
        metrics::counter!(
            "payments_processed_total",
            "provider" => payment.provider.as_str(),
            "method" => payment.method.as_str(),
            "result" => status.as_str()
        )
        .increment(1);
    }
    match refund {
        Some(refund_id) => {
            refunds::process(state, refund_id, request_id).await?;
            store::get(&state.db, payment_id).await?.ok_or(PaymentError::NotFound("payment"))
        }
        None => Ok(payment.answered(status, answer, settled, next_poll, now)),
    }
}

/// What in a provider's confirmation differs from the payment and its order.
fn mismatches(payment: &PaymentRecord, order: &OrderRecord, answer: &ProviderPayment) -> Vec<String> {
    let mut wrong = Vec::new();
    if answer.amount != Some(payment.amount) || payment.amount != order.total {
        let said = answer.amount.map_or_else(|| "none".to_string(), |a| a.to_string());
        wrong.push(format!("amount: the provider says {said}, the order's total is {}", order.total));
    }
    if answer.currency.as_deref() != Some(payment.currency.as_str()) {
        wrong.push(format!("currency: the provider says {:?}, the order is in {}", answer.currency, payment.currency));
    }
    if answer.reference.as_deref() != Some(payment.id.to_string().as_str()) {
        wrong.push(format!("reference: the provider says {:?}, the payment is {}", answer.reference, payment.id));
    }
    if let Some(order_reference) = &answer.order_reference
        && *order_reference != order.number
    {
        wrong.push(format!("order: the provider says {order_reference:?}, the order is {}", order.number));
    }
    wrong
}
