//! The wire form of the index's state, which the app's readiness answer embeds.

use serde::Serialize;
use utoipa::ToSchema;

use crate::search::readiness::IndexReadiness;
use crate::search::store::outbox;

/// The search index's state.
#[derive(Serialize, ToSchema)]
pub struct SearchReadiness {
    /// `ok` when the index is caught up within `search.ready_max_lag_secs`; `building`
    /// before its first catch-up, `rebuilding` while it is rebuilt because the change
    /// stream was pruned past it, `lagging` when its oldest unapplied change is older
    /// than the bound, `unknown` when the lag cannot be measured.
    status: &'static str,
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
    /// `on` when Japanese titles and descriptions are segmented into words; `off` when
    /// no dictionary is built (`cargoparts setup-dictionaries`): they are then found by
    /// their part numbers, Latin words and known car and part names only. Either way
    /// the replica serves.
    #[schema(example = "on")]
    japanese_analysis: &'static str,
}

/// How far an index is behind the change stream.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct IndexLag {
    /// Newest position of the change stream.
    pub head_seq: i64,
    /// Stream positions from the oldest change not yet applied to the head; 0 when
    /// caught up.
    pub seq_behind: i64,
    /// Age of the oldest change not yet applied; 0 when caught up.
    pub seconds_behind: f64,
}

impl From<IndexReadiness> for SearchReadiness {
    fn from(r: IndexReadiness) -> SearchReadiness {
        SearchReadiness {
            status: r.verdict.as_str(),
            documents: r.documents,
            generation: r.generation,
            applied_seq: r.applied_seq,
            last_commit_ms: r.last_commit_ms,
            lag: r.lag.map(IndexLag::from),
            max_lag_seconds: r.max_lag_seconds,
            reindexing: r.reindexing,
            japanese_analysis: if r.japanese_analysis { "on" } else { "off" },
        }
    }
}

impl From<outbox::IndexLag> for IndexLag {
    fn from(lag: outbox::IndexLag) -> IndexLag {
        IndexLag { head_seq: lag.head_seq, seq_behind: lag.seq_behind, seconds_behind: lag.seconds_behind }
    }
}
