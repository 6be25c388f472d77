//! The live indexer: keeps the served index equal to PostgreSQL by tailing
//! `search_outbox`.
//!
//! On start an index that was never built is built from the listings table; then the
//! indexer catches up from the watermark of its last commit and waits for NOTIFY (or a
//! one-second tick, in case a notification was lost or the listening connection
//! dropped) to apply the next changes. It also adopts a generation a reindex has
//! published, rebuilds when retention pruned changes it had not read, and prunes the
//! change stream.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::Context;
use sqlx::PgPool;

use super::generations::{IndexRoot, ReindexRefused};
use super::index::SearchIndex;
use super::reindex::{ReindexProgress, reindex};
use super::service::IndexChange;
use super::service::SearchService;
use super::status::IndexerStatus;
use super::store::outbox;
use super::updater::{BuildProgress, CatchUp, IndexUpdater};
use crate::platform::config::SearchSettings;

/// How long a notification waits for companions before a batch is applied.
const BATCH_WINDOW: Duration = Duration::from_millis(5);
/// Shortest time between two batches. A quiet catalog's change is searchable within
/// the batch window; under a stream of changes (checkouts taking stock, say) batches
/// gather what arrived meanwhile instead of committing the index a hundred times a
/// second, which costs far more than the documents themselves.
const MIN_BATCH_GAP: Duration = Duration::from_millis(100);
/// Safety net for lost notifications and transactions that held `xmin` back.
const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// Wait before retrying after an error (the database restarting, say).
const RETRY_DELAY: Duration = Duration::from_secs(1);

/// Tails the outbox into the live index.
pub struct Indexer {
    db: PgPool,
    root: IndexRoot,
    updater: IndexUpdater,
    search: SearchService,
    retention: Duration,
    prune_interval: Duration,
    last_prune: Option<Instant>,
}

impl Indexer {
    /// Takes the live index's writer; fails when another process holds it.
    pub fn new(db: PgPool, search: SearchService, settings: &SearchSettings) -> anyhow::Result<Indexer> {
        let updater = IndexUpdater::new(db.clone(), search.index.load_full())?;
        Ok(Indexer {
            db,
            root: search.root.clone(),
            updater,
            search,
            retention: settings.outbox_retention(),
            prune_interval: settings.outbox_prune_interval(),
            last_prune: None,
        })
    }

    /// Runs until the task is dropped: build if never built, then catch up forever.
    pub async fn run(mut self) {
        loop {
            if let Err(error) = self.run_once().await {
                tracing::error!(error = format!("{error:#}"), "indexer failed; retrying");
                tokio::time::sleep(RETRY_DELAY).await;
            }
        }
    }

    async fn run_once(&mut self) -> anyhow::Result<()> {
        if !self.updater.is_built() {
            self.updater.build(&BuildProgress::default()).await?;
            // The build absorbed the changes committed while it ran without announcing
            // them: a page cached meanwhile (from Redis, say) would outlive its change.
            self.announce(IndexChange::Rebuilt);
        }
        // Listening starts before catching up, so no change falls between the two.
        let mut listener = outbox::listen(&self.db).await?;
        self.step().await?;
        self.status().ready.store(true, Ordering::Release);
        let mut last_batch = Instant::now();
        loop {
            let status = self.search.status.clone();
            tokio::select! {
                notification = listener.try_recv() => match notification {
                    Ok(Some(_)) => {
                        let wait = MIN_BATCH_GAP.saturating_sub(last_batch.elapsed()).max(BATCH_WINDOW);
                        tokio::time::sleep(wait).await;
                        while listener.next_buffered().is_some() {}
                    }
                    // The connection dropped (PostgreSQL restarted, say): the next call
                    // reconnects, and the watermark covers whatever happened meanwhile.
                    Ok(None) => tracing::warn!("outbox listener lost its connection; reconnecting"),
                    Err(error) => {
                        tracing::warn!(%error, "outbox listener failed; reconnecting");
                        tokio::time::sleep(RETRY_DELAY).await;
                    }
                },
                () = status.generation_published.notified() => {}
                () = tokio::time::sleep(POLL_INTERVAL) => {}
            }
            last_batch = Instant::now();
            self.step().await?;
        }
    }

    /// Tells the listeners (caches of listings) what the index applied; nobody
    /// listening is fine.
    fn announce(&self, change: IndexChange) {
        let _ = self.search.changes.send(change);
    }

    fn status(&self) -> &IndexerStatus {
        &self.search.status
    }

    /// One round: adopt a published generation, apply changes, prune when due.
    async fn step(&mut self) -> anyhow::Result<()> {
        self.adopt_published_generation().await?;
        match self.updater.catch_up().await? {
            CatchUp::OutboxPruned => self.rebuild_after_pruning().await?,
            CatchUp::Applied(changed) if !changed.is_empty() => {
                self.announce(IndexChange::Listings(std::sync::Arc::new(changed)))
            }
            CatchUp::Applied(_) => {}
        }
        self.report_commit();
        if self.last_prune.is_none_or(|at| at.elapsed() >= self.prune_interval) {
            self.last_prune = Some(Instant::now());
            outbox::prune(&self.db, self.retention).await?;
        }
        Ok(())
    }

    /// Publishes the watermark of the last commit; a catch-up that found the
    /// snapshot unchanged did not commit.
    fn report_commit(&self) {
        let watermark = self.updater.watermark();
        let status = self.status();
        let previous = status.watermark_xmin.swap(watermark.xmin, Ordering::AcqRel);
        if previous != watermark.xmin || status.last_commit_ms.load(Ordering::Acquire) == 0 {
            status.applied_seq.store(watermark.seq, Ordering::Release);
            status.last_commit_ms.store(chrono::Utc::now().timestamp_millis(), Ordering::Release);
            status.committed.notify_waiters();
        }
    }

    /// Switches to the generation `CURRENT` names when a reindex (here or in another
    /// process) has published one: catches it up, swaps the search handle, and retires
    /// the old generation, whose directory goes once the searches holding it finish.
    async fn adopt_published_generation(&mut self) -> anyhow::Result<()> {
        let Some(current) = self.root.current()? else { return Ok(()) };
        if current == self.updater.index().dir {
            return Ok(());
        }
        let index = Arc::new(SearchIndex::open_existing(&current, self.root.analysis())?);
        let mut updater = IndexUpdater::new(self.db.clone(), index.clone())
            .with_context(|| format!("taking the writer of {}", current.display()))?;
        anyhow::ensure!(updater.is_built(), "the published generation {} was never built", current.display());
        if updater.catch_up().await? == CatchUp::OutboxPruned {
            anyhow::bail!("the change stream was pruned past the published generation {}", current.display());
        }
        let previous = std::mem::replace(&mut self.updater, updater);
        self.search.index.store(index);
        self.status().rebuilding.store(false, Ordering::Release);
        let old = previous.finish().await?;
        old.retire();
        // The new generation was built from the tables at its own moment: the changes
        // between the old one's last commit and that moment were never announced.
        self.announce(IndexChange::Rebuilt);
        tracing::info!(from = %old.dir.display(), to = %current.display(), "now serving a new index generation");
        Ok(())
    }

    /// Rebuilds into a new generation and adopts it; the old one keeps serving (while
    /// readiness says it is behind) until then.
    async fn rebuild_after_pruning(&mut self) -> anyhow::Result<()> {
        tracing::warn!("the change stream was pruned past this index's watermark: rebuilding it");
        self.status().rebuilding.store(true, Ordering::Release);
        let lock = match self.root.lock_reindex() {
            Ok(lock) => lock,
            // The reindex running now publishes a fresh generation; it is adopted then.
            Err(ReindexRefused::AlreadyRunning(_)) => return Ok(()),
            Err(ReindexRefused::Io(error)) => return Err(error),
        };
        let progress: &ReindexProgress = &self.search.reindex;
        reindex(&self.db, &self.root, &lock, progress).await?;
        drop(lock);
        self.adopt_published_generation().await
    }
}
