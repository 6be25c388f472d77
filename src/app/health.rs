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

use crate::app::AppState;
use crate::platform::store;
use crate::search::SearchReadiness;
use crate::search::readiness::IndexReadiness;

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

/// Whether this replica can serve: its database and Redis (when configured) answer.
#[utoipa::path(get, path = "/api/ready", tag = "operations",
    responses(
        (status = 200, description = "Ready to serve", body = Readiness),
        (status = 503, description = "A dependency is down", body = Readiness)
    ))]
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let (database, redis, search) = tokio::join!(check_database(&state), check_redis(&state), search_readiness(&state));
    let ok = database.status == "ok" && redis.status != "down" && search.is_ready();
    let status = if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let search = search.into();
    (status, Json(Readiness { status: if ok { "ready" } else { "not_ready" }, database, redis, search }))
}

async fn check_database(state: &AppState) -> ComponentStatus {
    let ping = store::ping(&state.db.0);
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

/// The search index's readiness under this deployment's lag bound.
pub async fn search_readiness(state: &AppState) -> IndexReadiness {
    state.search.readiness(&state.db.0, state.settings.search.ready_max_lag_secs).await
}
