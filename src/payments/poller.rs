//! The poller: every instance, every `payments.poll_interval_secs`, asks the providers
//! about payments still open (the shopper may never come back, a webhook may be lost),
//! carries pending refunds through, and refunds paid orders that were cancelled.
//!
//! Work is claimed with `FOR UPDATE SKIP LOCKED` and a lease, so replicas share it and
//! a replica that dies mid-way leaves its claims to the others when the lease ends.

use std::time::Duration;

use super::confirm::{self, Trigger};
use super::model::PaymentStatus;
use super::refunds;
use super::store::audit::{self, AuditEntry};
use super::store::payments as payments_store;
use super::store::refunds as refunds_store;
use super::{PaymentError, PaymentsState};

/// How long a claim keeps other instances away.
const LEASE: chrono::Duration = chrono::Duration::seconds(60);
/// Work taken per round, of each kind.
const BATCH: i64 = 50;
/// A payment that never got a checkout (the process died in between) is closed after this.
const NO_CHECKOUT_GRACE: chrono::Duration = chrono::Duration::seconds(120);

/// Runs until the task is dropped.
pub async fn run(state: PaymentsState) {
    let mut ticker = tokio::time::interval(Duration::from_secs(state.settings.payments.poll_interval_secs.max(1)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if let Err(error) = round(&state).await {
            tracing::warn!(%error, "payment poller round failed");
        }
    }
}

/// One round of the poller's work; what it did.
pub async fn round(state: &PaymentsState) -> Result<RoundReport, PaymentError> {
    let mut report = RoundReport::default();
    let now = state.now();
    for payment in payments_store::claim_due(&state.db, now, LEASE, BATCH).await? {
        if payment.checkout_id.is_none() {
            if payment.created_at + NO_CHECKOUT_GRACE <= now {
                close_without_checkout(state, &payment.id).await?;
            }
            continue;
        }
        match confirm::confirm(state, payment.id, Trigger::Poll, None).await {
            Ok(_) => report.payments_asked += 1,
            Err(error) => tracing::warn!(%error, payment_id = %payment.id, "asking about a payment failed"),
        }
    }
    for refund in refunds_store::claim_due(&state.db, now, LEASE, BATCH).await? {
        match refunds::process(state, refund.id, None).await {
            Ok(_) => report.refunds_carried += 1,
            Err(error) => tracing::warn!(%error, refund_id = %refund.id, "carrying a refund through failed"),
        }
    }
    for payment in payments_store::owed_for_cancelled_orders(&state.db, BATCH).await? {
        let requester = serde_json::json!({ "kind": "system", "reason": "order_cancelled" });
        let result =
            refunds::request(state, payment.order_id, None, "order cancelled", requester, "system", None).await;
        match result {
            Ok(_) => report.cancellations_refunded += 1,
            Err(error) => tracing::warn!(%error, order_id = %payment.order_id, "refunding a cancelled order failed"),
        }
    }
    Ok(report)
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RoundReport {
    pub payments_asked: usize,
    pub refunds_carried: usize,
    pub cancellations_refunded: usize,
}

async fn close_without_checkout(state: &PaymentsState, payment_id: &uuid::Uuid) -> Result<(), PaymentError> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let Some(payment) = payments_store::lock(&mut tx, *payment_id).await? else { return Ok(()) };
    if payment.checkout_id.is_some() || !payment.status.is_open() {
        return Ok(());
    }
    payments_store::close(&mut *tx, payment.id, PaymentStatus::Failed, "no checkout was opened", now).await?;
    let entry = AuditEntry::change(payment.id, Some(payment.status.as_str()), PaymentStatus::Failed.as_str(), "poller")
        .details(serde_json::json!({ "reason": "no checkout was opened" }));
    audit::append(&mut *tx, &entry, now).await?;
    tx.commit().await?;
    Ok(())
}
