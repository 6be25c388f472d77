//! Administration: reading the audit trail, ending a user's sessions.

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::{Validate, ValidationError};

use crate::auth::AuthState;
use crate::auth::principal::AdminUser;
use crate::auth::sessions::{self, EndReason};
use crate::auth::store;
use crate::http::error::{AppError, ErrorEnvelope};
use crate::http::extract::AppQuery;
use crate::platform::audit::store::{AuditRecord, Filter};
use crate::platform::audit::{self, Entry, Event};
use crate::platform::client::RequestContext;
use crate::platform::db::PrimaryDb;
use crate::platform::pagination::{PageMeta, PageParams, Paginated};

/// Filters and page of the audit log.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditLogQuery {
    /// 1-based page number.
    #[serde(default = "crate::platform::pagination::first_page")]
    #[validate(range(min = 1, max = crate::platform::pagination::MAX_PAGE, message = "must be between 1 and 10000"))]
    pub page: u32,
    /// Entries per page, 1–100.
    #[serde(default = "crate::platform::pagination::default_limit")]
    #[validate(range(min = 1, max = crate::platform::pagination::MAX_LIMIT, message = "must be between 1 and 100"))]
    pub limit: u32,
    /// Only this event, e.g. `login.failed`.
    #[validate(custom(function = event_name))]
    pub event: Option<String>,
    /// Only entries this user caused or that concern them.
    pub user_id: Option<Uuid>,
}

/// Event names are lowercase words joined by `.` and `_`.
fn event_name(event: &str) -> Result<(), ValidationError> {
    let well_formed =
        (1..=64).contains(&event.len()) && event.bytes().all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'_');
    if well_formed {
        Ok(())
    } else {
        Err(ValidationError::new("event").with_message("must be an event name such as login.failed".into()))
    }
}

/// One security event.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryView {
    pub id: i64,
    pub occurred_at: DateTime<Utc>,
    /// e.g. `login.succeeded`, `session.refresh_token_reused`, `api_key.revoked`.
    pub event: String,
    /// Who acted; absent for anonymous callers.
    pub actor_id: Option<Uuid>,
    /// Whose account the event concerns.
    pub subject_id: Option<Uuid>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    #[schema(value_type = Object)]
    pub details: Value,
}

impl From<AuditRecord> for AuditEntryView {
    fn from(record: AuditRecord) -> AuditEntryView {
        let AuditRecord { id, occurred_at, event, actor_id, subject_id, ip, user_agent, details } = record;
        AuditEntryView { id, occurred_at, event, actor_id, subject_id, ip, user_agent, details }
    }
}

/// The audit log, newest first.
#[utoipa::path(
    get,
    path = "/admin/audit-log",
    tag = "admin",
    security(("bearer_jwt" = [])),
    params(AuditLogQuery),
    responses(
        (status = 200, description = "A page of security events", body = Paginated<AuditEntryView>),
        (status = 400, description = "Bad parameter", body = ErrorEnvelope),
        (status = 401, description = "Missing, invalid or revoked access token", body = ErrorEnvelope),
        (status = 403, description = "Not an administrator", body = ErrorEnvelope)
    )
)]
#[tracing::instrument(skip_all, fields(admin_id = %admin.0.user_id))]
pub async fn audit_log(
    State(PrimaryDb(db)): State<PrimaryDb>,
    admin: AdminUser,
    AppQuery(query): AppQuery<AuditLogQuery>,
) -> Result<Json<Paginated<AuditEntryView>>, AppError> {
    let page = PageParams { page: query.page, limit: query.limit };
    let filter = Filter { event: query.event.as_deref(), user_id: query.user_id };
    let total = audit::store::count(&db, filter).await?;
    let records = audit::store::page(&db, filter, i64::from(page.limit), page.offset()).await?;
    let data = records.into_iter().map(AuditEntryView::from).collect();
    Ok(Json(Paginated { data, meta: PageMeta::new(page, u64::try_from(total).unwrap_or(0)) }))
}

/// How many sessions ended.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionsRevoked {
    pub sessions_revoked: u64,
}

/// Ends every session of a user: their refresh tokens stop working at once, and
/// their access tokens lapse within the access-token lifetime.
#[utoipa::path(
    post,
    path = "/admin/users/{id}/revoke-sessions",
    tag = "admin",
    security(("bearer_jwt" = [])),
    params(("id" = String, Path, description = "User id (UUID)")),
    responses(
        (status = 200, description = "Sessions ended", body = SessionsRevoked),
        (status = 400, description = "The id is not a UUID", body = ErrorEnvelope),
        (status = 401, description = "Missing, invalid or revoked access token", body = ErrorEnvelope),
        (status = 403, description = "Not an administrator", body = ErrorEnvelope),
        (status = 404, description = "No such user", body = ErrorEnvelope)
    )
)]
#[tracing::instrument(skip_all, fields(admin_id = %admin.0.user_id))]
pub async fn revoke_sessions(
    State(auth): State<AuthState>,
    State(PrimaryDb(db)): State<PrimaryDb>,
    admin: AdminUser,
    context: RequestContext,
    Path(id): Path<String>,
) -> Result<Json<SessionsRevoked>, AppError> {
    let user_id = Uuid::parse_str(&id).map_err(|_| AppError::invalid("id", "must be a UUID"))?;
    let now = auth.clock.now();
    let mut tx = db.begin().await?;
    if !store::users::exists(&mut *tx, user_id).await? {
        return Err(AppError::NotFound("user"));
    }
    let ended = sessions::end_all(&mut tx, user_id, None, EndReason::Admin, now).await?;
    audit::record(
        &mut *tx,
        Entry {
            event: Event::AdminRevokedSessions,
            actor: Some(admin.0.user_id),
            subject: Some(user_id),
            details: serde_json::json!({ "sessions_revoked": ended }),
        },
        &context,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Json(SessionsRevoked { sessions_revoked: ended }))
}
