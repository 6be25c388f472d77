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
    /// `ok` once the index has caught up with the database, `building` before.
    status: &'static str,
    /// Listings searchable now.
    documents: u64,
    /// Highest change-stream position applied.
    applied_seq: i64,
    /// When the index last committed (Unix milliseconds).
    last_commit_ms: i64,
}

/// Whether this replica can serve: its database and Redis (when configured) answer.
#[utoipa::path(get, path = "/api/ready", tag = "operations",
    responses(
        (status = 200, description = "Ready to serve", body = Readiness),
        (status = 503, description = "A dependency is down", body = Readiness)
    ))]
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let (database, redis) = tokio::join!(check_database(&state), check_redis(&state));
    let search = search_readiness(&state);
    let ok = database.status == "ok" && redis.status != "down" && search.status == "ok";
    let status = if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(Readiness { status: if ok { "ready" } else { "not_ready" }, database, redis, search }))
}

fn search_readiness(state: &AppState) -> SearchReadiness {
    use std::sync::atomic::Ordering;
    let status = &state.search.status;
    SearchReadiness {
        status: if status.ready.load(Ordering::Acquire) { "ok" } else { "building" },
        documents: state.search.index.load().num_docs(),
        applied_seq: status.applied_seq.load(Ordering::Acquire),
        last_commit_ms: status.last_commit_ms.load(Ordering::Acquire),
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
