//! What the live indexer has done, shared by the indexer that writes it and the
//! service, readiness and metrics that read it.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64};

use tokio::sync::Notify;

/// The live indexer's progress, for readiness and metrics.
#[derive(Debug, Default)]
pub struct IndexerStatus {
    /// True once the index has caught up with PostgreSQL at least once.
    pub ready: AtomicBool,
    /// True while the index is being rebuilt because the change stream was pruned past
    /// it: until then it may lack changes.
    pub rebuilding: AtomicBool,
    pub watermark_xmin: AtomicU64,
    pub applied_seq: AtomicI64,
    /// Unix milliseconds of the last commit.
    pub last_commit_ms: AtomicI64,
    /// Woken after every commit, for callers waiting on freshness.
    pub committed: Notify,
    /// Woken when a reindex in this process published a new generation.
    pub generation_published: Notify,
}
