//! Administration of the search index: starting a reindex on the running server and
//! following it.

use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::AuthState;
use crate::auth::principal::AdminUser;
use crate::http::error::{AppError, ErrorEnvelope};
use crate::platform::audit::{self, Entry, Event};
use crate::platform::client::RequestContext;
use crate::platform::db::PrimaryDb;
use crate::search::generations::ReindexRefused;
use crate::search::reindex::{self, reindex};
use crate::search::service::SearchService;

/// Starts rebuilding the index into a new generation. Searches go on meanwhile on the
/// live index, which keeps taking sellers' changes; the new generation replaces it
/// atomically once built and caught up. Follow it with `GET /admin/reindex`.
#[utoipa::path(post, path = "/admin/reindex", tag = "admin",
    security(("bearer_jwt" = [])),
    responses(
        (status = 202, description = "Reindex started", body = ReindexStatus),
        (status = 401, description = "Missing, invalid or revoked access token", body = ErrorEnvelope),
        (status = 403, description = "Not an administrator", body = ErrorEnvelope),
        (status = 409, description = "A reindex is already running", body = ErrorEnvelope)
    ))]
#[tracing::instrument(skip_all, fields(admin_id = %admin.0.user_id))]
pub async fn start_reindex(
    State(search): State<SearchService>,
    State(PrimaryDb(db)): State<PrimaryDb>,
    State(auth): State<AuthState>,
    admin: AdminUser,
    context: RequestContext,
) -> Result<(StatusCode, Json<ReindexStatus>), AppError> {
    let lock = search.root.lock_reindex().map_err(|refused| match refused {
        ReindexRefused::AlreadyRunning(_) => {
            AppError::Conflict("a reindex is already running; follow it with GET /api/v1/admin/reindex".into())
        }
        ReindexRefused::Io(error) => AppError::Internal(error),
    })?;
    audit::record(
        &db,
        Entry {
            event: Event::AdminStartedReindex,
            actor: Some(admin.0.user_id),
            subject: None,
            details: Default::default(),
        },
        &context,
        auth.clock.now(),
    )
    .await?;
    let task_search = search.clone();
    tokio::spawn(async move {
        let result = reindex(&db, &task_search.root, &lock, &task_search.reindex).await;
        drop(lock);
        match result {
            Ok(_) => task_search.status.generation_published.notify_one(),
            Err(error) => tracing::error!(error = format!("{error:#}"), "reindex failed"),
        }
    });
    // The task has not necessarily reported its first phase yet.
    let mut status = search.reindex.status();
    status.running = true;
    Ok((StatusCode::ACCEPTED, Json(status.into())))
}

/// The running reindex's phase and progress, and how the last one ended.
#[utoipa::path(get, path = "/admin/reindex", tag = "admin",
    security(("bearer_jwt" = [])),
    responses(
        (status = 200, description = "Reindex status", body = ReindexStatus),
        (status = 401, description = "Missing, invalid or revoked access token", body = ErrorEnvelope),
        (status = 403, description = "Not an administrator", body = ErrorEnvelope)
    ))]
pub async fn reindex_status(State(search): State<SearchService>, _admin: AdminUser) -> Json<ReindexStatus> {
    let mut status = search.reindex.status();
    status.running |= search.status.rebuilding.load(Ordering::Acquire);
    Json(status.into())
}

/// Where a reindex is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReindexPhase {
    Idle,
    Building,
    CatchingUp,
    Publishing,
}

/// How the last reindex ended.
#[derive(Debug, Clone, Serialize, ToSchema)]
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The reindex status as the API reports it.
#[derive(Debug, Clone, Serialize, ToSchema)]
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

impl From<reindex::ReindexPhase> for ReindexPhase {
    fn from(phase: reindex::ReindexPhase) -> ReindexPhase {
        match phase {
            reindex::ReindexPhase::Idle => ReindexPhase::Idle,
            reindex::ReindexPhase::Building => ReindexPhase::Building,
            reindex::ReindexPhase::CatchingUp => ReindexPhase::CatchingUp,
            reindex::ReindexPhase::Publishing => ReindexPhase::Publishing,
        }
    }
}

impl From<reindex::ReindexOutcome> for ReindexOutcome {
    fn from(o: reindex::ReindexOutcome) -> ReindexOutcome {
        ReindexOutcome {
            finished_at: o.finished_at,
            result: o.result,
            generation: o.generation,
            listings: o.listings,
            seconds: o.seconds,
            rate: o.rate,
            error: o.error,
        }
    }
}

impl From<reindex::ReindexStatus> for ReindexStatus {
    fn from(s: reindex::ReindexStatus) -> ReindexStatus {
        ReindexStatus {
            running: s.running,
            phase: s.phase.into(),
            started_at: s.started_at,
            listings_total: s.listings_total,
            listings_indexed: s.listings_indexed,
            percent: s.percent,
            last: s.last.map(ReindexOutcome::from),
        }
    }
}
