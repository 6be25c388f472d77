//! Domain events: "order paid", "order shipped" … written to the event outbox in the
//! transaction of the change they report, so an event exists exactly when its change
//! was committed. Consumers (notifications, analytics) read the outbox in order and
//! keep their own place in it; the producer never waits for them. No `NOTIFY` is sent:
//! PostgreSQL serializes the commits of every transaction that notifies, which would
//! make each payment and shipment wait for all the others; consumers poll instead.

mod store;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

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

/// Records `event` in the caller's transaction.
pub async fn record(tx: &mut PgConnection, event: &Event) -> Result<(), sqlx::Error> {
    store::insert(tx, event).await
}
