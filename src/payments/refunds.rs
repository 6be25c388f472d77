//! Refunds: asked for by an administrator, on cancelling a paid order, or when money
//! arrives for an order that can no longer take it. Never more than was captured, in
//! total: the payment row is locked while a refund is weighed against what the earlier
//! ones (pending or done) already promised back.
//!
//! States: `refund_pending` (asked, or about to be) → `refunded` | `failed`. A provider
//! that cannot be reached leaves the refund pending for the poller to try again.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::model::{PaymentStatus, RefundStatus};
use super::providers::{ProviderError, RefundRequest, RefundState};
use super::store::audit::{self, AuditEntry};
use super::store::payments::{self as payments, PaymentRecord};
use super::store::refunds::{self as store, NewRefund, RefundRecord};
use super::{PaymentError, PaymentsState};
use crate::orders::lifecycle;
use crate::platform::money::Halalas;

/// How long whoever opened a refund has to carry it through before the poller does.
const CARRY_THROUGH: chrono::Duration = chrono::Duration::seconds(120);

/// Longest wait between two attempts of a refund the provider could not take.
const MAX_RETRY_DELAY_SECS: i64 = 3600;

/// Refunds `amount` of the payment that paid `order_id`; all that is left of it when `None`.
pub async fn request(
    state: &PaymentsState,
    order_id: Uuid,
    amount: Option<Halalas>,
    reason: &str,
    requester: serde_json::Value,
    actor: &str,
    request_id: Option<&str>,
) -> Result<RefundRecord, PaymentError> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let payment = payments::lock_settling(&mut tx, order_id).await?.ok_or(PaymentError::NotPaid)?;
    let refund_id = open(&mut tx, &payment, amount, reason, requester, actor, request_id, now).await?;
    tx.commit().await?;
    process(state, refund_id, request_id).await
}

/// Records a refund of `payment` (locked by the caller) in the caller's transaction,
/// if it stays within what is left to refund. Returns its id.
#[allow(clippy::too_many_arguments)]
pub async fn open(
    tx: &mut PgConnection,
    payment: &PaymentRecord,
    amount: Option<Halalas>,
    reason: &str,
    requester: serde_json::Value,
    actor: &str,
    request_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Uuid, PaymentError> {
    if !payment.status.captured() || payment.provider_payment_id.is_none() {
        return Err(PaymentError::NotPaid);
    }
    let promised = store::committed(tx, payment.id).await?;
    let refundable = Halalas::new(payment.amount.get() - promised.get());
    let amount = amount.unwrap_or(refundable);
    if amount > refundable || amount <= Halalas::ZERO {
        return Err(PaymentError::RefundExceedsCaptured { refundable });
    }
    let id = Uuid::now_v7();
    let new = NewRefund { id, payment_id: payment.id, amount, reason, requested_by: requester };
    store::insert(tx, &new, now + CARRY_THROUGH, now).await?;
    let entry = AuditEntry::change(payment.id, None, RefundStatus::RefundPending.as_str(), actor)
        .of_refund(id)
        .request(request_id)
        .details(serde_json::json!({ "amount_sar": amount.to_string(), "reason": reason }));
    audit::append(&mut *tx, &entry, now).await?;
    Ok(id)
}

/// Asks the provider for a pending refund (or, when it was asked before and left it
/// pending, what became of it) and records the answer.
pub async fn process(
    state: &PaymentsState,
    refund_id: Uuid,
    request_id: Option<&str>,
) -> Result<RefundRecord, PaymentError> {
    let refund = store::get(&state.db, refund_id).await?.ok_or(PaymentError::NotFound("refund"))?;
    let payment = payments::get(&state.db, refund.payment_id).await?.ok_or(PaymentError::NotFound("payment"))?;
    if refund.status != RefundStatus::RefundPending {
        return Ok(refund);
    }
    let answer = match &refund.provider_refund_id {
        Some(provider_refund_id) => {
            state.gateway.refund_status(payment.provider, payment.method, provider_refund_id).await
        }
        None => {
            let request = RefundRequest {
                refund_id,
                method: payment.method,
                provider_payment_id: payment.provider_payment_id.clone().unwrap_or_default(),
                amount: refund.amount,
                reason: refund.reason.clone(),
            };
            state.gateway.refund(payment.provider, &request).await
        }
    };
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let Some(refund) = store::lock(&mut tx, refund_id).await?.filter(|r| r.status == RefundStatus::RefundPending)
    else {
        // Another instance recorded it meanwhile.
        return store::get(&mut *tx, refund_id).await?.ok_or(PaymentError::NotFound("refund"));
    };
    let (status, provider_refund_id, code, retry_at) = match &answer {
        Ok(answer) => {
            let status = match answer.state {
                RefundState::Refunded => RefundStatus::Refunded,
                RefundState::Pending => RefundStatus::RefundPending,
                RefundState::Failed => RefundStatus::Failed,
            };
            let retry = (status == RefundStatus::RefundPending).then(|| now + retry_delay(refund.attempts));
            (status, answer.provider_refund_id.as_deref(), answer.result_code.clone(), retry)
        }
        Err(ProviderError::Unavailable { .. } | ProviderError::Throttled { .. }) => {
            (RefundStatus::RefundPending, None, "unavailable".to_string(), Some(now + retry_delay(refund.attempts)))
        }
        Err(ProviderError::Refused { code, .. }) => (RefundStatus::Failed, None, code.clone(), None),
        Err(error) => {
            tracing::error!(%error, %refund_id, "a refund could not be asked of the provider");
            (RefundStatus::RefundPending, None, "error".to_string(), Some(now + retry_delay(refund.attempts)))
        }
    };
    store::record_answer(&mut tx, refund_id, status, provider_refund_id, &truncate(&code), retry_at, now).await?;
    if status == RefundStatus::Refunded {
        let payment = payments::lock(&mut tx, payment.id).await?.ok_or(PaymentError::NotFound("payment"))?;
        let refunded = Halalas::new(payment.refunded.get() + refund.amount.get());
        let payment_status =
            if refunded >= payment.amount { PaymentStatus::Refunded } else { PaymentStatus::PartiallyRefunded };
        payments::add_refunded(&mut tx, payment.id, refund.amount, payment_status, now).await?;
        if payment.settled_order {
            lifecycle::record_refund(&mut tx, &state.orders, payment.order_id, refunded).await?;
        }
        metrics::counter!("payment_refunds_total", "provider" => payment.provider.as_str(), "result" => "refunded")
            .increment(1);
    } else if status == RefundStatus::Failed {
        tracing::warn!(%refund_id, code, "the provider refused a refund");
        metrics::counter!("payment_refunds_total", "provider" => payment.provider.as_str(), "result" => "failed")
            .increment(1);
    }
    if status != RefundStatus::RefundPending {
        let entry =
            AuditEntry::change(payment.id, Some(RefundStatus::RefundPending.as_str()), status.as_str(), "system")
                .of_refund(refund_id)
                .provider_code(&code)
                .request(request_id)
                .details(serde_json::json!({ "amount_sar": refund.amount.to_string() }));
        audit::append(&mut *tx, &entry, now).await?;
    }
    tx.commit().await?;
    store::get(&state.db, refund_id).await?.ok_or(PaymentError::NotFound("refund"))
}

/// Waits between attempts: a minute, doubling, up to an hour.
fn retry_delay(attempts: i32) -> chrono::Duration {
    chrono::Duration::seconds((60_i64 << attempts.clamp(0, 10)).min(MAX_RETRY_DELAY_SECS))
}

fn truncate(code: &str) -> String {
    code.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_an_hour() {
        assert_eq!(retry_delay(0), chrono::Duration::seconds(60));
        assert_eq!(retry_delay(1), chrono::Duration::seconds(120));
        assert_eq!(retry_delay(20), chrono::Duration::seconds(3600));
    }
}
