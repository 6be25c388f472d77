//! The SQL of the event outbox and the relay's cursor.

use anyhow::Context;
use sqlx::{PgConnection, PgPool};

use super::{Event, StoredEvent};

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

/// A consumer's place in the outbox: after the event `seq` of transaction `txid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Cursor {
    pub txid: u64,
    pub seq: i64,
}

fn cursor_of((txid, seq): (String, i64)) -> anyhow::Result<Cursor> {
    Ok(Cursor { txid: txid.parse().context("unexpected xid8")?, seq })
}

/// The cursor, unlocked: for a cheap look before taking the lock.
pub(super) async fn peek_cursor(db: &PgPool, consumer: &str) -> anyhow::Result<Option<Cursor>> {
    let row: Option<(String, i64)> = sqlx::query_as("SELECT txid::text, seq FROM event_cursors WHERE consumer = $1")
        .bind(consumer)
        .fetch_optional(db)
        .await?;
    row.map(cursor_of).transpose()
}

/// The cursor, locked until the transaction ends; `None` while another replica holds it.
pub(super) async fn lock_cursor(tx: &mut PgConnection, consumer: &str) -> anyhow::Result<Option<Cursor>> {
    let row: Option<(String, i64)> =
        sqlx::query_as("SELECT txid::text, seq FROM event_cursors WHERE consumer = $1 FOR UPDATE SKIP LOCKED")
            .bind(consumer)
            .fetch_optional(tx)
            .await?;
    row.map(cursor_of).transpose()
}

/// Whether events past `cursor` are ready: committed, and with every older
/// transaction finished, so none can appear behind them later.
pub(super) async fn any_ready(db: &PgPool, cursor: Cursor) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM event_outbox
                         WHERE (txid, seq) > ($1::text::xid8, $2)
                           AND txid < pg_snapshot_xmin(pg_current_snapshot()))",
    )
    .bind(cursor.txid.to_string())
    .bind(cursor.seq)
    .fetch_one(db)
    .await
}

/// Up to `limit` ready events past `cursor`, in commit order, with their transaction ids.
pub(super) async fn ready_after(
    tx: &mut PgConnection,
    cursor: Cursor,
    limit: i64,
) -> anyhow::Result<Vec<(u64, StoredEvent)>> {
    let rows: Vec<(String, i64, String, uuid::Uuid, serde_json::Value, chrono::DateTime<chrono::Utc>)> =
        sqlx::query_as(
            "SELECT txid::text, seq, topic, subject_id, payload, occurred_at FROM event_outbox
              WHERE (txid, seq) > ($1::text::xid8, $2)
                AND txid < pg_snapshot_xmin(pg_current_snapshot())
              ORDER BY txid, seq
              LIMIT $3",
        )
        .bind(cursor.txid.to_string())
        .bind(cursor.seq)
        .bind(limit)
        .fetch_all(tx)
        .await?;
    rows.into_iter()
        .map(|(txid, id, topic, subject_id, payload, occurred_at)| {
            Ok((txid.parse().context("unexpected xid8")?, StoredEvent { id, topic, subject_id, payload, occurred_at }))
        })
        .collect()
}

pub(super) async fn advance(tx: &mut PgConnection, consumer: &str, to: Cursor) -> sqlx::Result<()> {
    sqlx::query("UPDATE event_cursors SET txid = $2::text::xid8, seq = $3, updated_at = now() WHERE consumer = $1")
        .bind(consumer)
        .bind(to.txid.to_string())
        .bind(to.seq)
        .execute(tx)
        .await?;
    Ok(())
}

/// Deletes relayed events older than `days`; one replica at a time.
pub(super) async fn prune(db: &PgPool, consumer: &str, days: u32) -> sqlx::Result<u64> {
    let mut tx = db.begin().await?;
    let ours: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock(hashtext('event_outbox_prune'))")
        .fetch_one(&mut *tx)
        .await?;
    if !ours {
        return Ok(0);
    }
    let pruned = sqlx::query(
        "DELETE FROM event_outbox
          WHERE occurred_at < now() - make_interval(days => $2)
            AND txid < (SELECT txid FROM event_cursors WHERE consumer = $1)",
    )
    .bind(consumer)
    .bind(i32::try_from(days).unwrap_or(i32::MAX))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(pruned.rows_affected())
}
