//! The change stream, `search_outbox`: the one place it is read. Changes are read by
//! transaction id after an index's watermark, the horizon says what retention pruned,
//! and the lag says how far behind an index is.
//!
//! Reading by transaction id below the snapshot's `xmin` means a row is read only once
//! its transaction, and every older one, has finished: no row can appear later below
//! the watermark.

use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use uuid::Uuid;

/// The notification channel the outbox trigger signals on.
const CHANNEL: &str = "search_outbox";

/// The change stream's horizon as one snapshot sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    /// The oldest transaction id still running: every transaction below it has finished.
    pub xmin: u64,
    /// The newest transaction whose outbox rows retention has pruned.
    pub pruned_through: Option<u64>,
}

/// The horizon now.
pub async fn snapshot(db: &PgPool) -> anyhow::Result<Snapshot> {
    let (xmin, pruned): (String, Option<String>) = sqlx::query_as(
        "SELECT pg_snapshot_xmin(pg_current_snapshot())::text,
                (SELECT pruned_through::text FROM search_outbox_horizon)",
    )
    .fetch_one(db)
    .await?;
    Ok(Snapshot {
        xmin: xmin.parse().context("unexpected xid8")?,
        pruned_through: pruned.map(|p| p.parse()).transpose().context("unexpected xid8")?,
    })
}

/// The newest position of the change stream, 0 when it is empty.
pub async fn head_seq(db: &PgPool) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar("SELECT coalesce(max(seq), 0) FROM search_outbox").fetch_one(db).await?)
}

/// The listings changed by transactions in `from_xmin..to_xmin`, each with the
/// newest position of its changes.
pub async fn changed_listings(db: &PgPool, from_xmin: u64, to_xmin: u64) -> anyhow::Result<Vec<(Uuid, i64)>> {
    Ok(sqlx::query_as(
        "SELECT listing_id, max(seq) FROM search_outbox
          WHERE txid >= $1::text::xid8 AND txid < $2::text::xid8
          GROUP BY listing_id",
    )
    .bind(from_xmin.to_string())
    .bind(to_xmin.to_string())
    .fetch_all(db)
    .await?)
}

/// A connection listening for new changes; the outbox trigger notifies it in the
/// changing transaction.
pub async fn listen(db: &PgPool) -> anyhow::Result<PgListener> {
    let mut listener = PgListener::connect_with(db).await.context("listening for outbox changes")?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

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
