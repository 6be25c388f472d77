//! Liveness and readiness.
//!
//! Liveness says the process answers; readiness says it can do its job: a load
//! balancer sends traffic to a replica only once the database (and Redis, when
//! configured) answer.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use std::sync::atomic::Ordering;

use crate::search::outbox::{self, IndexLag};
use crate::startup::AppState;

const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// Liveness answer.
#[derive(Serialize, ToSchema)]
pub struct Liveness {
    status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/api/health", tag = "operations",
    responses((status = 200, description = "The process is up", body = Liveness)))]
pub async fn health() -> Json<Liveness> {
    Json(Liveness { status: "ok" })
}

/// The state of one dependency.
#[derive(Serialize, ToSchema)]
pub struct ComponentStatus {
    /// `ok`, `down` or `not_configured`.
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Readiness answer.
#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` or `not_ready`.
    status: &'static str,
    database: ComponentStatus,
    redis: ComponentStatus,
    search: SearchReadiness,
}

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
}

/// Whether this replica can serve: its database and Redis (when configured) answer.
#[utoipa::path(get, path = "/api/ready", tag = "operations",
    responses(
        (status = 200, description = "Ready to serve", body = Readiness),
        (status = 503, description = "A dependency is down", body = Readiness)
    ))]
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let (database, redis, search) = tokio::join!(check_database(&state), check_redis(&state), search_readiness(&state));
    let ok = database.status == "ok" && redis.status != "down" && search.status == "ok";
    let status = if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(Readiness { status: if ok { "ready" } else { "not_ready" }, database, redis, search }))
}

/// The search index's state and lag; also what `/metrics` reports of it.
pub async fn search_readiness(state: &AppState) -> SearchReadiness {
    let status = &state.search.status;
    let max_lag = state.settings.search.ready_max_lag_secs;
    let measured =
        tokio::time::timeout(CHECK_TIMEOUT, outbox::lag(&state.db.0, status.watermark_xmin.load(Ordering::Acquire)))
            .await;
    let lag = match measured {
        Ok(Ok(lag)) => Some(lag),
        Ok(Err(error)) => {
            tracing::warn!(error = format!("{error:#}"), "cannot measure the index lag");
            None
        }
        Err(_) => None,
    };
    let index = state.search.index.load();
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
        reindexing: state.search.reindex.status().running,
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

async fn check_database(state: &AppState) -> ComponentStatus {
    let ping = sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(&state.db.0);
    match tokio::time::timeout(CHECK_TIMEOUT, ping).await {
        Ok(Ok(_)) => ComponentStatus { status: "ok", error: None },
        Ok(Err(e)) => down(e.to_string()),
        Err(_) => down("timed out".to_string()),
    }
}

async fn check_redis(state: &AppState) -> ComponentStatus {
    let Some(redis) = state.redis.clone() else {
        return ComponentStatus { status: "not_configured", error: None };
    };
    let mut conn = redis;
    let command = redis::cmd("PING");
    let ping = command.query_async::<String>(&mut conn);
    match tokio::time::timeout(CHECK_TIMEOUT, ping).await {
        Ok(Ok(_)) => ComponentStatus { status: "ok", error: None },
        Ok(Err(e)) => down(e.to_string()),
        Err(_) => down("timed out".to_string()),
    }
}

fn down(error: String) -> ComponentStatus {
    tracing::warn!(%error, "readiness check failed");
    ComponentStatus { status: "down", error: Some(error) }
}
