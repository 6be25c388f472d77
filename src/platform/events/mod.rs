//! Domain events: "order paid", "order shipped" … written to the event outbox in the
//! transaction of the change they report, so an event exists exactly when its change
//! was committed. The producer never waits for consumers. No `NOTIFY` is sent:
//! PostgreSQL serializes the commits of every transaction that notifies, which would
//! make each payment and shipment wait for all the others; the relay polls instead.
//!
//! The [relay](relay) reads the outbox in commit order from a cursor every replica
//! shares. In the transaction that advances the cursor it hands each event to the
//! durable subscribers (which queue jobs, deduplicated by the event's id), so each
//! event reaches them at least once and its jobs exist once. It then publishes the
//! events to every replica's [`EventBus`] over Redis pub/sub (in process when there is
//! no Redis), for what only needs to know soon (evicting a cached entry): delivered
//! at least once to every replica connected at the time, deduplicated by id.
//!
//! The outbox is the event log: relayed events are kept for `events.retention_days`
//! for audit and replay, then pruned.

pub mod bus;
pub mod relay;
mod store;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

pub use bus::EventBus;

/// One event about to be recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// What happened, dotted and lowercase: `order.paid`.
    pub topic: &'static str,
    /// What it happened to (the order's id): consumers group and order by it.
    pub subject_id: Uuid,
    /// What consumers need to act without another read; never secrets.
    pub payload: Value,
    pub occurred_at: DateTime<Utc>,
}

/// A recorded event, as subscribers receive it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredEvent {
    /// The event's id: its position in the outbox, never reused.
    pub id: i64,
    pub topic: String,
    pub subject_id: Uuid,
    pub payload: Value,
    pub occurred_at: DateTime<Utc>,
}

/// Records `event` in the caller's transaction.
pub async fn record(tx: &mut PgConnection, event: &Event) -> Result<(), sqlx::Error> {
    store::insert(tx, event).await
}

/// A consumer that must see every event: called in the relay's transaction, so what it
/// writes there (jobs) commits with the cursor. It may see an event again after a
/// failed round, and must make that harmless (queue jobs keyed by the event's id).
#[async_trait]
pub trait Subscriber: Send + Sync + 'static {
    async fn on_event(&self, tx: &mut PgConnection, event: &StoredEvent) -> anyhow::Result<()>;
}
