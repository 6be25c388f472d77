//! Writing one index generation: a full build from the listings table, and catching
//! up from the change stream (see [`store::outbox`]).
//!
//! Applying a change re-reads the listing and replaces its document, so replaying a
//! change after a crash is harmless.

use std::collections::{BTreeSet, HashSet};
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
use super::service::Changed;
use super::store::{self, listings};
use crate::catalog::listings::ListingView;

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatchUp {
    /// These listings were re-read and replaced (none when nothing changed).
    Applied(Changed),
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
        self.watermark.format == INDEX_FORMAT && self.watermark.japanese == self.index.japanese
    }

    /// Builds the whole index from the listings table, replacing what it held.
    pub async fn build(&mut self, progress: &BuildProgress) -> anyhow::Result<usize> {
        let started = Instant::now();
        // Changes of transactions still running now are replayed from the outbox later.
        let xmin = store::outbox::snapshot(&self.db).await?.xmin;
        let seq = store::outbox::head_seq(&self.db).await?;
        progress.total.store(listings::count_active(&self.db).await?, Ordering::Relaxed);
        progress.done.store(0, Ordering::Relaxed);
        self.writer.lock().expect("writer lock").delete_all_documents()?;
        // Both scans begin after `xmin` was read: what they miss is replayed from the
        // change stream.
        let mut listings_tx = listings::begin_scan(&self.db).await?;
        let mut fitment_tx = listings::begin_scan(&self.db).await?;
        let mut rows = listings::active_with_fitment(&mut listings_tx, &mut fitment_tx);
        let mut chunk = Vec::with_capacity(BUILD_CHUNK);
        let mut count = 0usize;
        while let Some(listing) = rows.try_next().await? {
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
        listings_tx.commit().await?;
        fitment_tx.commit().await?;
        self.commit(Watermark { format: INDEX_FORMAT, japanese: self.index.japanese, xmin, seq }).await?;
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
        let snapshot = store::outbox::snapshot(&self.db).await?;
        if self.is_built() && snapshot.pruned_through.is_some_and(|pruned| pruned >= self.watermark.xmin) {
            return Ok(CatchUp::OutboxPruned);
        }
        if snapshot.xmin <= self.watermark.xmin {
            return Ok(CatchUp::Applied(Changed::default()));
        }
        let changes = store::outbox::changed_listings(&self.db, self.watermark.xmin, snapshot.xmin).await?;
        let seq = changes.iter().map(|(_, s)| *s).max().unwrap_or(self.watermark.seq).max(self.watermark.seq);
        let ids: Vec<Uuid> = changes.into_iter().map(|(id, _)| id).collect();
        let mut sellers = BTreeSet::new();
        for chunk in ids.chunks(CATCH_UP_CHUNK) {
            let listings = listings::active_among(&self.db, chunk).await?;
            sellers.extend(listings.iter().map(|listing| listing.seller.id));
            // A listing that went (deleted, deactivated) is known only to the index now.
            let kept: HashSet<Uuid> = listings.iter().map(|listing| listing.id).collect();
            let gone: Vec<Uuid> = chunk.iter().filter(|id| !kept.contains(id)).copied().collect();
            if !gone.is_empty() {
                sellers.extend(self.index.sellers_of(&gone)?);
            }
            {
                let writer = self.writer.lock().expect("writer lock");
                for id in chunk {
                    writer.delete_term(Term::from_field_text(self.index.fields.id, &id.to_string()));
                }
            }
            self.add_parallel(listings).await?;
        }
        self.commit(Watermark { format: INDEX_FORMAT, japanese: self.index.japanese, xmin: snapshot.xmin, seq })
            .await?;
        if !ids.is_empty() {
            tracing::debug!(applied = ids.len(), seq, "index caught up");
        }
        Ok(CatchUp::Applied(Changed { listings: ids, sellers: sellers.into_iter().collect() }))
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
