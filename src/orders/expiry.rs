//! The expiry sweep: unpaid orders past their reservation become `expired` and their
//! stock returns.
//!
//! Every instance runs it. Its state is the orders table itself, so a restart loses
//! nothing: an order the sweep was expiring when the process died is still
//! `pending_payment` (its transaction rolled back) and is expired on the next pass.
//! Instances never expire the same order twice: each batch is taken with
//! `FOR UPDATE SKIP LOCKED`, and the state machine refuses a second expiry.

use std::time::Duration;

use super::OrdersState;
use super::error::OrderError;
use super::lifecycle;
use super::store;
use crate::platform::idempotency;

/// Orders expired per transaction.
const BATCH: i64 = 100;

/// Expires every order due by now; returns how many.
pub async fn sweep(state: &OrdersState) -> Result<usize, OrderError> {
    let mut expired = 0;
    loop {
        let mut tx = state.db.begin().await?;
        let now = state.now();
        let due = store::orders::lock_expired(&mut tx, now, BATCH).await?;
        for &order_id in &due {
            if lifecycle::expire(&mut tx, order_id, now).await? {
                expired += 1;
            }
        }
        tx.commit().await?;
        if (due.len() as i64) < BATCH {
            break;
        }
    }
    if expired > 0 {
        metrics::counter!("orders_expired_total").increment(expired as u64);
        tracing::info!(expired, "expired unpaid orders");
    }
    Ok(expired)
}

/// Sweeps every `orders.expiry_sweep_interval_secs` for as long as the process runs,
/// and forgets idempotency keys past their retention once an hour.
pub async fn run(state: OrdersState) {
    let every = Duration::from_secs(state.settings.orders.expiry_sweep_interval_secs);
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let purge_every = (3600 / every.as_secs().max(1)).max(1);
    let mut tick: u64 = 0;
    loop {
        ticks.tick().await;
        if let Err(error) = sweep(&state).await {
            tracing::warn!(error = %error, "expiry sweep failed; retrying on the next tick");
        }
        if tick.is_multiple_of(purge_every) {
            match idempotency::purge_expired(&state.db, state.now()).await {
                Ok(0) => {}
                Ok(purged) => tracing::info!(purged, "forgot expired idempotency keys"),
                Err(error) => tracing::warn!(%error, "purging idempotency keys failed"),
            }
        }
        tick += 1;
    }
}
