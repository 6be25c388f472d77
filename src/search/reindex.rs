//! Rebuilding the index into a new generation while the live one keeps serving.
//!
//! The new generation is built from PostgreSQL, caught up from `search_outbox`,
//! then published as `CURRENT`. The server's indexer adopts a published generation:
//! it catches it up to the present and swaps the search handle, so searches in flight
//! finish on the old generation, which is removed once the last of them lets go.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::Instant;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::generations::{IndexRoot, ReindexLock};
use super::index::SearchIndex;
use super::updater::{BuildProgress, CatchUp, IndexUpdater};

/// Catch-up rounds before publishing; the adopting indexer applies the rest.
const CATCH_UP_ROUNDS: usize = 3;

/// Where a reindex is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReindexPhase {
    Idle,
    Building,
    CatchingUp,
    Publishing,
}

/// How the last reindex ended.
#[derive(Debug, Clone)]
pub struct ReindexOutcome {
    pub finished_at: DateTime<Utc>,
    /// `published` or `failed`.
    pub result: &'static str,
    /// Directory name of the generation built.
    pub generation: Option<String>,
    pub listings: u64,
    pub seconds: f64,
    /// Listings indexed per second.
    pub rate: f64,
    /// Why it failed.
    pub error: Option<String>,
}

/// A reindex's progress, shared between the task running it and whoever reports it.
#[derive(Debug)]
pub struct ReindexProgress {
    pub build: BuildProgress,
    state: Mutex<ReindexState>,
}

#[derive(Debug, Clone)]
struct ReindexState {
    phase: ReindexPhase,
    started_at: Option<DateTime<Utc>>,
    last: Option<ReindexOutcome>,
}

/// Where a reindex is, and how the last one ended.
#[derive(Debug, Clone)]
pub struct ReindexStatus {
    pub running: bool,
    pub phase: ReindexPhase,
    pub started_at: Option<DateTime<Utc>>,
    /// Active listings when the build started.
    pub listings_total: u64,
    pub listings_indexed: u64,
    /// Share of the build done, 0–100.
    pub percent: f64,
    pub last: Option<ReindexOutcome>,
}

impl Default for ReindexProgress {
    fn default() -> ReindexProgress {
        ReindexProgress {
            build: BuildProgress::default(),
            state: Mutex::new(ReindexState { phase: ReindexPhase::Idle, started_at: None, last: None }),
        }
    }
}

impl ReindexProgress {
    fn set_phase(&self, phase: ReindexPhase) {
        let mut state = self.state.lock().expect("reindex state");
        if phase == ReindexPhase::Building {
            state.started_at = Some(Utc::now());
            self.build.total.store(0, Ordering::Relaxed);
            self.build.done.store(0, Ordering::Relaxed);
        }
        state.phase = phase;
    }

    fn finish(&self, outcome: ReindexOutcome) {
        let mut state = self.state.lock().expect("reindex state");
        state.phase = ReindexPhase::Idle;
        state.last = Some(outcome);
    }

    pub fn status(&self) -> ReindexStatus {
        let state = self.state.lock().expect("reindex state").clone();
        let total = self.build.total.load(Ordering::Relaxed);
        let done = self.build.done.load(Ordering::Relaxed);
        let running = state.phase != ReindexPhase::Idle;
        let percent = match (running, total) {
            (false, _) => 0.0,
            (true, 0) => 0.0,
            (true, total) => ((done as f64 / total as f64) * 1000.0).round().min(1000.0) / 10.0,
        };
        ReindexStatus {
            running,
            phase: state.phase,
            started_at: state.started_at.filter(|_| running),
            listings_total: if running { total } else { 0 },
            listings_indexed: if running { done } else { 0 },
            percent,
            last: state.last,
        }
    }
}

/// A published generation.
#[derive(Debug)]
pub struct Reindexed {
    pub dir: PathBuf,
    pub listings: u64,
    pub seconds: f64,
}

/// Builds a new generation under `root`, catches it up and publishes it. Needs the
/// reindex lock, so two never run at once. On failure the half-built generation is
/// removed and the live one stays current.
pub async fn reindex(
    db: &PgPool,
    root: &IndexRoot,
    _lock: &ReindexLock,
    progress: &ReindexProgress,
) -> anyhow::Result<Reindexed> {
    let started = Instant::now();
    progress.set_phase(ReindexPhase::Building);
    let dir = root.new_generation()?;
    let result = build_and_publish(db, root, &dir, progress).await;
    let seconds = started.elapsed().as_secs_f64();
    let listings = progress.build.done.load(Ordering::Relaxed);
    let outcome = |result: &'static str, error: Option<String>| ReindexOutcome {
        finished_at: Utc::now(),
        result,
        generation: dir.file_name().map(|n| n.to_string_lossy().into_owned()),
        listings,
        seconds,
        rate: listings as f64 / seconds.max(1e-9),
        error,
    };
    match result {
        Ok(()) => {
            progress.finish(outcome("published", None));
            tracing::info!(dir = %dir.display(), listings, seconds, "reindex published a new generation");
            Ok(Reindexed { dir, listings, seconds })
        }
        Err(error) => {
            progress.finish(outcome("failed", Some(format!("{error:#}"))));
            if let Err(cleanup) = std::fs::remove_dir_all(&dir) {
                tracing::warn!(dir = %dir.display(), error = %cleanup, "cannot remove a failed reindex's generation");
            }
            Err(error)
        }
    }
}

async fn build_and_publish(
    db: &PgPool,
    root: &IndexRoot,
    dir: &std::path::Path,
    progress: &ReindexProgress,
) -> anyhow::Result<()> {
    let index = std::sync::Arc::new(SearchIndex::open_or_create(dir, root.analysis())?);
    let mut updater = IndexUpdater::new(db.clone(), index)?;
    updater.build(&progress.build).await?;
    progress.set_phase(ReindexPhase::CatchingUp);
    for _ in 0..CATCH_UP_ROUNDS {
        match updater.catch_up().await? {
            CatchUp::Applied(changed) if changed.is_empty() => break,
            CatchUp::Applied(_) => continue,
            CatchUp::OutboxPruned => anyhow::bail!("the change stream was pruned past the new index during its build"),
        }
    }
    progress.set_phase(ReindexPhase::Publishing);
    drop(updater.finish().await?);
    root.publish(dir)
}
