//! Whether the index can serve: built, not rebuilding, and caught up with the change
//! stream within the readiness bound. Readiness and `/metrics` both ask here.

use std::sync::atomic::Ordering;
use std::time::Duration;

use sqlx::PgPool;

use super::service::SearchService;
use super::store::outbox::{self, IndexLag};

/// How long measuring the lag may take before it counts as unknown.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// The verdict on the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexVerdict {
    /// Caught up within the readiness bound.
    Ok,
    /// Before its first catch-up.
    Building,
    /// Rebuilt because the change stream was pruned past it.
    Rebuilding,
    /// Its oldest unapplied change is older than the bound.
    Lagging,
    /// The lag cannot be measured.
    Unknown,
}

impl IndexVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            IndexVerdict::Ok => "ok",
            IndexVerdict::Building => "building",
            IndexVerdict::Rebuilding => "rebuilding",
            IndexVerdict::Lagging => "lagging",
            IndexVerdict::Unknown => "unknown",
        }
    }
}

/// The search index's state, as readiness and `/metrics` report it.
#[derive(Debug, Clone)]
pub struct IndexReadiness {
    pub verdict: IndexVerdict,
    /// Listings searchable now.
    pub documents: u64,
    /// Directory name of the live index generation.
    pub generation: String,
    /// Highest change-stream position applied.
    pub applied_seq: i64,
    /// When the index last committed (Unix milliseconds).
    pub last_commit_ms: i64,
    /// How far the index is behind the change stream, when it could be measured.
    pub lag: Option<IndexLag>,
    /// The readiness bound on `lag.seconds_behind`.
    pub max_lag_seconds: f64,
    /// Whether a reindex is building a new generation now.
    pub reindexing: bool,
    /// Whether Japanese text is segmented (its dictionary is loaded).
    pub japanese_analysis: bool,
}

impl SearchService {
    /// The index's state and lag, judged against `max_lag` seconds.
    pub async fn readiness(&self, db: &PgPool, max_lag: f64) -> IndexReadiness {
        let status = &self.status;
        let measured =
            tokio::time::timeout(CHECK_TIMEOUT, outbox::lag(db, status.watermark_xmin.load(Ordering::Acquire))).await;
        let lag = match measured {
            Ok(Ok(lag)) => Some(lag),
            Ok(Err(error)) => {
                tracing::warn!(error = format!("{error:#}"), "cannot measure the index lag");
                None
            }
            Err(_) => None,
        };
        let index = self.index.load();
        let verdict = if !status.ready.load(Ordering::Acquire) {
            IndexVerdict::Building
        } else if status.rebuilding.load(Ordering::Acquire) {
            IndexVerdict::Rebuilding
        } else {
            match lag {
                None => IndexVerdict::Unknown,
                Some(lag) if lag.seconds_behind > max_lag => IndexVerdict::Lagging,
                Some(_) => IndexVerdict::Ok,
            }
        };
        IndexReadiness {
            verdict,
            documents: index.num_docs(),
            generation: index.dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            applied_seq: status.applied_seq.load(Ordering::Acquire),
            last_commit_ms: status.last_commit_ms.load(Ordering::Acquire),
            lag,
            max_lag_seconds: max_lag,
            reindexing: self.reindex.status().running,
            japanese_analysis: index.japanese,
        }
    }
}

impl IndexReadiness {
    /// Whether this replica's index may serve traffic.
    pub fn is_ready(&self) -> bool {
        self.verdict == IndexVerdict::Ok
    }

    /// Sets the index gauges of `/metrics` from this reading.
    pub fn record_metrics(&self) {
        metrics::gauge!("search_index_documents").set(self.documents as f64);
        metrics::gauge!("search_index_applied_seq").set(self.applied_seq as f64);
        metrics::gauge!("search_index_last_commit_timestamp_seconds").set(self.last_commit_ms as f64 / 1000.0);
        metrics::gauge!("search_index_ready").set(if self.is_ready() { 1.0 } else { 0.0 });
        metrics::gauge!("search_reindex_running").set(if self.reindexing { 1.0 } else { 0.0 });
        if let Some(lag) = self.lag {
            metrics::gauge!("search_outbox_head_seq").set(lag.head_seq as f64);
            metrics::gauge!("search_index_lag_seq").set(lag.seq_behind as f64);
            metrics::gauge!("search_index_lag_seconds").set(lag.seconds_behind);
        }
    }
}
