//! The SQL of the event outbox.

use sqlx::PgConnection;

use super::Event;

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
