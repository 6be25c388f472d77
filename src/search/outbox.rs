//! The change stream's upkeep and health: pruning by retention, and how far an index
//! lags behind it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

/// Deletes outbox rows older than `retention` and records the newest pruned
/// transaction, so an index that had not read them knows to rebuild. Replicas all
/// prune; an advisory lock lets one do it at a time. Returns the rows deleted.
pub async fn prune(db: &PgPool, retention: Duration) -> anyhow::Result<u64> {
    let mut tx = db.begin().await?;
    let ours: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock(hashtext('search_outbox_prune'))")
        .fetch_one(&mut *tx)
        .await?;
    if !ours {
        return Ok(0);
    }
    let deleted: i64 = sqlx::query_scalar(
        "WITH gone AS (
             DELETE FROM search_outbox WHERE created_at < now() - make_interval(secs => $1) RETURNING txid
         ), newest AS (SELECT max(txid) AS txid, count(*) AS rows FROM gone),
         recorded AS (
             UPDATE search_outbox_horizon h
                SET pruned_through = greatest(h.pruned_through, newest.txid), pruned_at = now()
               FROM newest WHERE newest.txid IS NOT NULL
         )
         SELECT rows FROM newest",
    )
    .bind(retention.as_secs_f64())
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    if deleted > 0 {
        tracing::info!(rows = deleted, retention_secs = retention.as_secs(), "pruned the search outbox");
    }
    Ok(deleted as u64)
}

/// How far an index is behind the change stream.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IndexLag {
    /// Newest position of the change stream.
    pub head_seq: i64,
    /// Stream positions from the oldest change not yet applied to the head; 0 when
    /// caught up.
    pub seq_behind: i64,
    /// Age of the oldest change not yet applied; 0 when caught up.
    pub seconds_behind: f64,
}

/// Measures the lag of an index whose watermark is `watermark_xmin`: every change of
/// a transaction at or above it is not applied yet.
pub async fn lag(db: &PgPool, watermark_xmin: u64) -> anyhow::Result<IndexLag> {
    let (head, oldest_seq, oldest_at): (i64, Option<i64>, Option<DateTime<Utc>>) = sqlx::query_as(
        "SELECT coalesce((SELECT max(seq) FROM search_outbox), 0), pending.seq, pending.created_at
           FROM (SELECT min(seq) AS seq, min(created_at) AS created_at
                   FROM search_outbox WHERE txid >= $1::text::xid8) pending",
    )
    .bind(watermark_xmin.to_string())
    .fetch_one(db)
    .await?;
    Ok(IndexLag {
        head_seq: head,
        seq_behind: oldest_seq.map_or(0, |oldest| (head - oldest + 1).max(0)),
        seconds_behind: oldest_at.map_or(0.0, |at| ((Utc::now() - at).num_milliseconds().max(0) as f64) / 1000.0),
    })
}
