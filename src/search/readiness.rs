//! Whether the index can serve: built, not rebuilding, and caught up with the change
//! stream within the readiness bound. Readiness and `/metrics` both ask here.

use std::sync::atomic::Ordering;
use std::time::Duration;

use serde::Serialize;
use sqlx::PgPool;
use utoipa::ToSchema;

use super::outbox::{self, IndexLag};
use super::service::SearchService;

/// How long measuring the lag may take before it counts as unknown.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// The search index's state.
#[derive(Serialize, ToSchema)]
pub struct SearchReadiness {
    /// `ok` when the index is caught up within `search.ready_max_lag_secs`; `building`
    /// before its first catch-up, `rebuilding` while it is rebuilt because the change
    /// stream was pruned past it, `lagging` when its oldest unapplied change is older
    /// than the bound, `unknown` when the lag cannot be measured.
    pub status: &'static str,
    /// Listings searchable now.
    documents: u64,
    /// Directory name of the live index generation.
    generation: String,
    /// Highest change-stream position applied.
    applied_seq: i64,
    /// When the index last committed (Unix milliseconds).
    last_commit_ms: i64,
    /// How far the index is behind the change stream, when it could be measured.
    lag: Option<IndexLag>,
    /// The readiness bound on `lag.seconds_behind`.
    max_lag_seconds: f64,
    /// Whether a reindex is building a new generation now.
    reindexing: bool,
}

/// The search index's state and lag; also what `/metrics` reports of it.
impl SearchService {
    /// The index's state and lag, judged against `max_lag` seconds; also what
    /// `/metrics` reports of it.
    pub async fn readiness(&self, db: &PgPool, max_lag: f64) -> SearchReadiness {
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
            "building"
        } else if status.rebuilding.load(Ordering::Acquire) {
            "rebuilding"
        } else {
            match lag {
                None => "unknown",
                Some(lag) if lag.seconds_behind > max_lag => "lagging",
                Some(_) => "ok",
            }
        };
        SearchReadiness {
            status: verdict,
            documents: index.num_docs(),
            generation: index.dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            applied_seq: status.applied_seq.load(Ordering::Acquire),
            last_commit_ms: status.last_commit_ms.load(Ordering::Acquire),
            lag,
            max_lag_seconds: max_lag,
            reindexing: self.reindex.status().running,
        }
    }
}

impl SearchReadiness {
    /// Sets the index gauges of `/metrics` from this reading.
    pub fn record_metrics(&self) {
        metrics::gauge!("search_index_documents").set(self.documents as f64);
        metrics::gauge!("search_index_applied_seq").set(self.applied_seq as f64);
        metrics::gauge!("search_index_last_commit_timestamp_seconds").set(self.last_commit_ms as f64 / 1000.0);
        metrics::gauge!("search_index_ready").set(if self.status == "ok" { 1.0 } else { 0.0 });
        metrics::gauge!("search_reindex_running").set(if self.reindexing { 1.0 } else { 0.0 });
        if let Some(lag) = self.lag {
            metrics::gauge!("search_outbox_head_seq").set(lag.head_seq as f64);
            metrics::gauge!("search_index_lag_seq").set(lag.seq_behind as f64);
            metrics::gauge!("search_index_lag_seconds").set(lag.seconds_behind);
        }
    }
}
