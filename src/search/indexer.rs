//! The indexer: keeps the index equal to PostgreSQL by tailing `search_outbox`.
//!
//! On start an empty index is built from the listings table; then the indexer catches
//! up from the watermark of its last commit and waits for NOTIFY (or a one-second tick,
//! in case a notification was lost) to apply the next changes. Reading the outbox by
//! transaction id below the snapshot's `xmin` means a row is read only once its
//! transaction, and every older one, has finished: no row can appear later below the
//! watermark. Applying a change re-reads the listing and replaces its document, so
//! replaying a change after a crash is harmless.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use futures::TryStreamExt;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tantivy::{IndexWriter, TantivyDocument, Term};
use tokio::sync::Notify;
use uuid::Uuid;

use super::document::to_document;
use super::index::{SearchIndex, Watermark, commit};
use super::schema::INDEX_FORMAT;
use crate::catalog::listings::{FitmentView, ListingView, listing_select, listing_select_with};

/// Listings read from PostgreSQL per query while catching up.
const CATCH_UP_CHUNK: usize = 1000;
/// Listings turned into documents per parallel step of a full build.
const BUILD_CHUNK: usize = 4000;
/// How long a notification waits for companions before a batch is applied.
const BATCH_WINDOW: Duration = Duration::from_millis(5);
/// Safety net for lost notifications and transactions that held `xmin` back.
const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// What the indexer has done, for readiness and metrics.
#[derive(Debug, Default)]
pub struct IndexerStatus {
    /// True once the index has caught up with PostgreSQL at least once.
    pub ready: AtomicBool,
    pub watermark_xmin: AtomicU64,
    pub applied_seq: AtomicI64,
    /// Unix milliseconds of the last commit.
    pub last_commit_ms: AtomicI64,
    /// Woken after every commit, for callers waiting on freshness.
    pub committed: Notify,
}

/// Tails the outbox into one index.
pub struct Indexer {
    db: PgPool,
    index: Arc<SearchIndex>,
    writer: Arc<Mutex<IndexWriter<TantivyDocument>>>,
    watermark: Watermark,
    status: Arc<IndexerStatus>,
}

impl Indexer {
    /// Takes the index's writer; fails when another process holds it.
    pub fn new(db: PgPool, index: Arc<SearchIndex>, status: Arc<IndexerStatus>) -> anyhow::Result<Indexer> {
        let writer = Arc::new(Mutex::new(index.writer()?));
        let watermark = index.watermark()?.unwrap_or_default();
        Ok(Indexer { db, index, writer, watermark, status })
    }

    /// Runs until the task is dropped: build if empty, then catch up forever.
    pub async fn run(mut self) {
        loop {
            match self.run_once().await {
                Ok(()) => return,
                Err(error) => {
                    tracing::error!(error = format!("{error:#}"), "indexer failed; retrying");
                    tokio::time::sleep(Duration::from_secs(2)).await;
                }
            }
        }
    }

    async fn run_once(&mut self) -> anyhow::Result<()> {
        if self.watermark.format != INDEX_FORMAT {
            self.build().await?;
        }
        let mut listener = PgListener::connect_with(&self.db).await.context("listening for outbox changes")?;
        listener.listen("search_outbox").await?;
        self.catch_up().await?;
        self.status.ready.store(true, Ordering::Release);
        loop {
            tokio::select! {
                notification = listener.recv() => {
                    if let Err(error) = notification {
                        // sqlx reconnects on the next call; the watermark covers what was missed.
                        tracing::warn!(%error, "outbox listener lost its connection");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                    tokio::time::sleep(BATCH_WINDOW).await;
                    while listener.next_buffered().is_some() {}
                }
                () = tokio::time::sleep(POLL_INTERVAL) => {}
            }
            self.catch_up().await?;
        }
    }

    /// Builds the whole index from the listings table.
    async fn build(&mut self) -> anyhow::Result<()> {
        let started = Instant::now();
        // Changes of transactions still running now are replayed from the outbox later.
        let xmin = snapshot_xmin(&self.db).await?;
        let seq = max_seq(&self.db).await?;
        self.writer.lock().expect("writer lock").delete_all_documents()?;
        // Two ordered streams merged here rather than a fitment subquery per listing:
        // PostgreSQL answers a correlated subquery a million times far slower than two
        // scans. The streams read two snapshots, both taken after `xmin`; a change that
        // falls between them is replayed from the outbox.
        let mut listings_tx = self.build_transaction().await?;
        let mut fitment_tx = self.build_transaction().await?;
        let mut rows = sqlx::query(listing_select_with!(
            fitment = "'[]'::json",
            "WHERE l.status = 'active' AND s.status = 'active' ORDER BY l.id"
        ))
        .fetch(&mut *listings_tx);
        let mut fitments = sqlx::query_as::<_, (Uuid, String, String, i16, i16)>(
            "SELECT listing_id, make, model, year_from, year_to FROM listing_fitment ORDER BY listing_id, position",
        )
        .fetch(&mut *fitment_tx);
        let mut next_fitment = fitments.try_next().await?;
        let mut chunk = Vec::with_capacity(BUILD_CHUNK);
        let mut count = 0usize;
        while let Some(row) = rows.try_next().await? {
            let mut listing = ListingView::from_row(&row)?;
            // Fitment of listings not being indexed (paused, deleted meanwhile) is skipped.
            while let Some((listing_id, ..)) = &next_fitment
                && *listing_id <= listing.id
            {
                let (listing_id, make, model, year_from, year_to) = next_fitment.take().expect("checked");
                if listing_id == listing.id {
                    listing.fitment.push(FitmentView { make, model, year_from, year_to });
                }
                next_fitment = fitments.try_next().await?;
            }
            chunk.push(listing);
            if chunk.len() == BUILD_CHUNK {
                count += chunk.len();
                self.add_parallel(std::mem::take(&mut chunk)).await?;
            }
        }
        count += chunk.len();
        self.add_parallel(chunk).await?;
        drop(rows);
        drop(fitments);
        listings_tx.commit().await?;
        fitment_tx.commit().await?;
        self.commit(Watermark { format: INDEX_FORMAT, xmin, seq }).await?;
        let secs = started.elapsed().as_secs_f64();
        tracing::info!(listings = count, seconds = secs, rate = count as f64 / secs.max(1e-9), "index built");
        Ok(())
    }

    /// A transaction for one long read of a build: exempt from the statement timeout
    /// that protects API requests, with room to sort in memory. A build reads every
    /// row, for which hash joins are always right; ruling out nested loops keeps stale
    /// statistics (right after a bulk load) from turning the scan quadratic.
    async fn build_transaction(&self) -> anyhow::Result<sqlx::Transaction<'static, sqlx::Postgres>> {
        let mut tx = self.db.begin().await?;
        sqlx::query("SET LOCAL statement_timeout = 0").execute(&mut *tx).await?;
        sqlx::query("SET LOCAL work_mem = '256MB'").execute(&mut *tx).await?;
        sqlx::query("SET LOCAL enable_nestloop = off").execute(&mut *tx).await?;
        Ok(tx)
    }

    /// Turns listings into documents on all cores, then hands them to the writer.
    async fn add_parallel(&self, listings: Vec<ListingView>) -> anyhow::Result<()> {
        use rayon::prelude::*;
        let fields = self.index.fields;
        let docs: Vec<TantivyDocument> =
            tokio::task::spawn_blocking(move || listings.par_iter().map(|l| to_document(&fields, l)).collect()).await?;
        let writer = self.writer.lock().expect("writer lock");
        for doc in docs {
            writer.add_document(doc)?;
        }
        Ok(())
    }

    /// Applies every outbox row of the transactions finished since the watermark.
    pub async fn catch_up(&mut self) -> anyhow::Result<usize> {
        let xmin = snapshot_xmin(&self.db).await?;
        if xmin <= self.watermark.xmin {
            return Ok(0);
        }
        let changes: Vec<(Uuid, i64)> = sqlx::query_as(
            "SELECT listing_id, max(seq) FROM search_outbox
              WHERE txid >= $1::text::xid8 AND txid < $2::text::xid8
              GROUP BY listing_id",
        )
        .bind(self.watermark.xmin.to_string())
        .bind(xmin.to_string())
        .fetch_all(&self.db)
        .await?;
        let seq = changes.iter().map(|(_, s)| *s).max().unwrap_or(self.watermark.seq).max(self.watermark.seq);
        let ids: Vec<Uuid> = changes.into_iter().map(|(id, _)| id).collect();
        for chunk in ids.chunks(CATCH_UP_CHUNK) {
            let rows =
                sqlx::query(listing_select!("WHERE l.id = ANY($1) AND l.status = 'active' AND s.status = 'active'"))
                    .bind(chunk)
                    .fetch_all(&self.db)
                    .await?;
            let listings = rows.iter().map(ListingView::from_row).collect::<Result<Vec<_>, _>>()?;
            {
                let writer = self.writer.lock().expect("writer lock");
                for id in chunk {
                    writer.delete_term(Term::from_field_text(self.index.fields.id, &id.to_string()));
                }
            }
            self.add_parallel(listings).await?;
        }
        let applied = ids.len();
        self.commit(Watermark { format: INDEX_FORMAT, xmin, seq }).await?;
        if applied > 0 {
            tracing::debug!(applied, seq, "index caught up");
        }
        Ok(applied)
    }

    async fn commit(&mut self, watermark: Watermark) -> anyhow::Result<()> {
        let index = self.index.clone();
        let writer = self.writer.clone();
        // Committing waits for the indexing threads and fsyncs: blocking work.
        tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
            commit(&mut writer.lock().expect("writer lock"), watermark)?;
            index.reader.reload()?;
            Ok(())
        })
        .await??;
        self.watermark = watermark;
        self.status.watermark_xmin.store(watermark.xmin, Ordering::Release);
        self.status.applied_seq.store(watermark.seq, Ordering::Release);
        self.status.last_commit_ms.store(chrono::Utc::now().timestamp_millis(), Ordering::Release);
        self.status.committed.notify_waiters();
        Ok(())
    }
}

/// The oldest transaction id still running: every transaction below it has finished.
async fn snapshot_xmin(db: &PgPool) -> anyhow::Result<u64> {
    let xmin: String = sqlx::query_scalar("SELECT pg_snapshot_xmin(pg_current_snapshot())::text").fetch_one(db).await?;
    xmin.parse().context("unexpected xid8")
}

async fn max_seq(db: &PgPool) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar("SELECT coalesce(max(seq), 0) FROM search_outbox").fetch_one(db).await?)
}
