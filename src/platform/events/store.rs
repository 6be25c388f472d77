//! The SQL of the event outbox.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::Event;

/// An event as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Recorded {
    pub seq: i64,
    pub topic: String,
    pub subject_id: Uuid,
    pub payload: Value,
    pub occurred_at: DateTime<Utc>,
}

pub(super) async fn insert(tx: &mut PgConnection, event: &Event) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO event_outbox (topic, subject_id, payload, occurred_at) VALUES ($1, $2, $3, $4)")
        .bind(event.topic)
        .bind(event.subject_id)
        .bind(&event.payload)
        .bind(event.occurred_at)
        .execute(tx)
        .await?;
    Ok(())
}

pub(super) async fn about(db: impl PgExecutor<'_>, subject_id: Uuid) -> sqlx::Result<Vec<Recorded>> {
    sqlx::query_as(
        "SELECT seq, topic, subject_id, payload, occurred_at FROM event_outbox WHERE subject_id = $1 ORDER BY seq",
    )
    .bind(subject_id)
    .fetch_all(db)
    .await
}
