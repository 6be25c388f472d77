//! Writing one index generation: a full build from the listings table, and catching
//! up from `search_outbox`.
//!
//! Reading the outbox by transaction id below the snapshot's `xmin` means a row is
//! read only once its transaction, and every older one, has finished: no row can
//! appear later below the watermark. Applying a change re-reads the listing and
//! replaces its document, so replaying a change after a crash is harmless.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::Context;
use futures::TryStreamExt;
use sqlx::PgPool;
use tantivy::{IndexWriter, TantivyDocument, Term};
use uuid::Uuid;

use super::document::to_document;
use super::index::{SearchIndex, Watermark, commit};
use super::schema::INDEX_FORMAT;
use crate::catalog::listings::{FitmentView, ListingView, listing_select, listing_select_with};

/// Listings read from PostgreSQL per query while catching up.
const CATCH_UP_CHUNK: usize = 1000;
/// Listings turned into documents per parallel step of a full build.
const BUILD_CHUNK: usize = 4000;

/// How far a full build has got, for progress bars, the reindex status and metrics.
#[derive(Debug, Default)]
pub struct BuildProgress {
    /// Active listings when the build started (an estimate: the catalog moves on).
    pub total: AtomicU64,
    pub done: AtomicU64,
}

/// What catching up found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatchUp {
    /// These many listings were re-read and replaced (zero when nothing changed).
    Applied(usize),
    /// Outbox rows this index had not read yet were pruned: only a full build can
    /// bring it back in line with the database.
    OutboxPruned,
}

/// The single writer of one index generation, with the watermark of its last commit.
pub struct IndexUpdater {
    db: PgPool,
    index: Arc<SearchIndex>,
    writer: Arc<Mutex<IndexWriter<TantivyDocument>>>,
    watermark: Watermark,
}

impl IndexUpdater {
    /// Takes the index's writer; fails when another process holds it.
    pub fn new(db: PgPool, index: Arc<SearchIndex>) -> anyhow::Result<IndexUpdater> {
        let writer = Arc::new(Mutex::new(index.writer()?));
        let watermark = index.watermark()?.unwrap_or_default();
        Ok(IndexUpdater { db, index, writer, watermark })
    }

    pub fn index(&self) -> &Arc<SearchIndex> {
        &self.index
    }

    pub fn watermark(&self) -> Watermark {
        self.watermark
    }

    /// Whether the index was built with this version's format; if not it needs a build.
    pub fn is_built(&self) -> bool {
        self.watermark.format == INDEX_FORMAT
    }

    /// Builds the whole index from the listings table, replacing what it held.
    pub async fn build(&mut self, progress: &BuildProgress) -> anyhow::Result<usize> {
        let started = Instant::now();
        // Changes of transactions still running now are replayed from the outbox later.
        let xmin = snapshot(&self.db).await?.xmin;
        let seq = max_seq(&self.db).await?;
        let total: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM listings l JOIN sellers s ON s.id = l.seller_id
              WHERE l.status = 'active' AND s.status = 'active'",
        )
        .fetch_one(&self.db)
        .await?;
        progress.total.store(total.max(0) as u64, Ordering::Relaxed);
        progress.done.store(0, Ordering::Relaxed);
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
                progress.done.store(count as u64, Ordering::Relaxed);
            }
        }
        count += chunk.len();
        self.add_parallel(chunk).await?;
        progress.done.store(count as u64, Ordering::Relaxed);
        drop(rows);
        drop(fitments);
        listings_tx.commit().await?;
        fitment_tx.commit().await?;
        self.commit(Watermark { format: INDEX_FORMAT, xmin, seq }).await?;
        let secs = started.elapsed().as_secs_f64();
        tracing::info!(
            dir = %self.index.dir.display(),
            listings = count,
            seconds = secs,
            rate = count as f64 / secs.max(1e-9),
            "index built"
        );
        Ok(count)
    }

    /// A transaction for one long read of a build: exempt from the statement timeout
    /// that protects API requests, with room to sort in memory. A build reads every
    /// row, for which hash joins are always right; ruling out nested loops keeps stale
    /// statistics (right after a bulk load) from turning the scan quadratic.
    async fn build_transaction(&self) -> anyhow::Result<sqlx::Transaction<'static, sqlx::Postgres>> {
        let mut tx = self.db.begin().await?;
        sqlx::query("SET LOCAL statement_timeout = 0").execute(&mut *tx).await?;
        sqlx::query("SET LOCAL idle_in_transaction_session_timeout = 0").execute(&mut *tx).await?;
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
    pub async fn catch_up(&mut self) -> anyhow::Result<CatchUp> {
        let snapshot = snapshot(&self.db).await?;
        if self.is_built() && snapshot.pruned_through.is_some_and(|pruned| pruned >= self.watermark.xmin) {
            return Ok(CatchUp::OutboxPruned);
        }
        if snapshot.xmin <= self.watermark.xmin {
            return Ok(CatchUp::Applied(0));
        }
        let changes: Vec<(Uuid, i64)> = sqlx::query_as(
            "SELECT listing_id, max(seq) FROM search_outbox
              WHERE txid >= $1::text::xid8 AND txid < $2::text::xid8
              GROUP BY listing_id",
        )
        .bind(self.watermark.xmin.to_string())
        .bind(snapshot.xmin.to_string())
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
        self.commit(Watermark { format: INDEX_FORMAT, xmin: snapshot.xmin, seq }).await?;
        if !ids.is_empty() {
            tracing::debug!(applied = ids.len(), seq, "index caught up");
        }
        Ok(CatchUp::Applied(ids.len()))
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
        Ok(())
    }

    /// Lets background merges finish and releases the writer's lock, so another
    /// process (a server adopting this generation) can take it.
    pub async fn finish(self) -> anyhow::Result<Arc<SearchIndex>> {
        let IndexUpdater { index, writer, .. } = self;
        let writer = Arc::into_inner(writer).context("the index writer is still shared")?;
        let writer = writer.into_inner().expect("writer lock");
        tokio::task::spawn_blocking(move || writer.wait_merging_threads()).await??;
        Ok(index)
    }
}

/// The change stream's horizon as one snapshot sees it.
struct Snapshot {
    /// The oldest transaction id still running: every transaction below it has finished.
    xmin: u64,
    /// The newest transaction whose outbox rows retention has pruned.
    pruned_through: Option<u64>,
}

async fn snapshot(db: &PgPool) -> anyhow::Result<Snapshot> {
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

async fn max_seq(db: &PgPool) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar("SELECT coalesce(max(seq), 0) FROM search_outbox").fetch_one(db).await?)
}
