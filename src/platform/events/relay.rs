//! The relay: hands committed events to the durable subscribers and publishes them to
//! the replicas' buses, in commit order, from the cursor all replicas share.
//!
//! Every replica runs it; the one that takes the cursor's row lock relays a batch, the
//! others skip the round. A round is one short transaction: subscribers write their
//! jobs, the cursor moves past the batch, and the batch is published before the
//! commit, so a round that fails is repeated whole (subscribers and buses deduplicate
//! by event id).

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;

use super::store::{self, Cursor};
use super::{EventBus, Subscriber};
use crate::platform::config::EventSettings;
use crate::platform::jobs::worker::Wakeup;

/// The cursor's name in `event_cursors`.
const CONSUMER: &str = "relay";
/// Rounds between two prunings of old events (about an hour at the default interval).
const PRUNE_EVERY: u64 = 14_400;

/// The relay of one process.
pub struct Relay {
    db: PgPool,
    bus: EventBus,
    subscribers: Vec<Arc<dyn Subscriber>>,
    settings: EventSettings,
    /// The local worker, woken when a round queued jobs.
    wakeup: Wakeup,
}

impl Relay {
    pub fn new(
        db: PgPool,
        bus: EventBus,
        subscribers: Vec<Arc<dyn Subscriber>>,
        settings: EventSettings,
        wakeup: Wakeup,
    ) -> Relay {
        Relay { db, bus, subscribers, settings, wakeup }
    }

    /// Relays for as long as the process runs.
    pub async fn run(self) {
        let mut ticks = tokio::time::interval(Duration::from_millis(self.settings.relay_interval_ms));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut round: u64 = 0;
        loop {
            ticks.tick().await;
            round += 1;
            loop {
                match self.round().await {
                    // A full batch: more may be waiting.
                    Ok(relayed) if relayed as i64 == self.settings.relay_batch => continue,
                    Ok(_) => break,
                    Err(error) => {
                        metrics::counter!("events_relay_failures_total").increment(1);
                        tracing::warn!(error = format!("{error:#}"), "relaying events failed; retrying");
                        break;
                    }
                }
            }
            if round % PRUNE_EVERY == 1 {
                match store::prune(&self.db, CONSUMER, self.settings.retention_days).await {
                    Ok(0) => {}
                    Ok(pruned) => tracing::info!(pruned, "pruned events past their retention"),
                    Err(error) => tracing::warn!(%error, "pruning old events failed"),
                }
            }
        }
    }

    /// One batch; returns how many events it relayed.
    pub async fn round(&self) -> anyhow::Result<usize> {
        // A look without a lock first: most rounds find nothing, and take no
        // transaction id for it.
        let Some(cursor) = store::peek_cursor(&self.db, CONSUMER).await? else {
            anyhow::bail!("the relay's cursor is missing: run the migrations");
        };
        if !store::any_ready(&self.db, cursor).await? {
            return Ok(0);
        }
        let mut tx = self.db.begin().await?;
        let Some(cursor) = store::lock_cursor(&mut tx, CONSUMER).await? else {
            return Ok(0);
        };
        let batch = store::ready_after(&mut tx, cursor, self.settings.relay_batch).await?;
        let Some(&(txid, ref last)) = batch.last() else {
            return Ok(0);
        };
        let to = Cursor { txid, seq: last.id };
        let events: Vec<_> = batch.into_iter().map(|(_, event)| event).collect();
        for event in &events {
            for subscriber in &self.subscribers {
                subscriber.on_event(&mut tx, event).await?;
            }
        }
        store::advance(&mut tx, CONSUMER, to).await?;
        if let Err(error) = self.bus.publish(&events).await {
            // The durable subscribers must not wait for Redis: the buses miss this
            // batch, which only ever speeds things up (a cache entry expires anyway).
            metrics::counter!("events_publish_failures_total").increment(1);
            tracing::warn!(%error, "publishing events to the replicas failed");
        }
        tx.commit().await?;
        metrics::counter!("events_relayed_total").increment(events.len() as u64);
        self.wakeup.wake();
        Ok(events.len())
    }
}
