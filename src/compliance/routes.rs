//! Administrators' review queue: `GET /admin/compliance/flags`,
//! `POST /admin/compliance/flags/{id}/resolve`.

use axum::Json;
use axum::extract::{FromRef, State};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;
use validator::Validate;

use super::ComplianceError;
use super::store::{self, FlagRecord};
use crate::auth::AuthState;
use crate::auth::principal::AdminUser;
use crate::http::error::{AppError, ErrorEnvelope};
use crate::http::extract::{AppJson, AppPath, AppQuery};
use crate::platform::audit::{self, Entry, Event};
use crate::platform::client::{RequestContext, TrustedProxies};
use crate::platform::db::PrimaryDb;
use crate::platform::pagination::{MAX_LIMIT, MAX_PAGE, PageMeta, PageParams, Paginated};
use crate::platform::rate_limit::VerifiedKeys;

/// Routes of compliance, relative to `/api/v1`.
pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    PrimaryDb: FromRef<S>,
    AuthState: FromRef<S>,
    VerifiedKeys: FromRef<S>,
    TrustedProxies: FromRef<S>,
{
    OpenApiRouter::with_openapi(ComplianceDoc::openapi()).routes(routes!(list_flags)).routes(routes!(resolve_flag))
}

#[derive(OpenApi)]
#[openapi(tags((name = "compliance", description = "Transaction monitoring (SAMA): the review queue")))]
struct ComplianceDoc;

/// A flag in the review queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct FlagView {
    pub id: Uuid,
    /// `LARGE_TRANSACTION`, `RAPID_TRANSACTIONS`, `PAYMENT_MISMATCH`, `PROVIDER_REVIEW`.
    pub rule: String,
    pub payment_id: Uuid,
    pub order_id: Uuid,
    pub buyer_id: Uuid,
    /// Why the rule fired (the amount and threshold, the attempts counted, what differed).
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    /// `open`, `cleared` or `reported`.
    pub status: String,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<FlagRecord> for FlagView {
    fn from(flag: FlagRecord) -> FlagView {
        FlagView {
            id: flag.id,
            rule: flag.rule,
            payment_id: flag.payment_id,
            order_id: flag.order_id,
            buyer_id: flag.buyer_id,
            details: flag.details,
            status: flag.status,
            decided_by: flag.decided_by,
            decided_at: flag.decided_at,
            note: flag.note,
            created_at: flag.created_at,
        }
    }
}

/// Which flags to list.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FlagsQuery {
    /// 1-based page number.
    #[serde(default = "crate::platform::pagination::first_page")]
    #[validate(range(min = 1, max = MAX_PAGE, message = "must be between 1 and 10000"))]
    pub page: u32,
    /// Results per page, 1–100.
    #[serde(default = "crate::platform::pagination::default_limit")]
    #[validate(range(min = 1, max = MAX_LIMIT, message = "must be between 1 and 100"))]
    pub limit: u32,
    /// Which flags; `open` by default.
    #[serde(default)]
    #[param(value_type = Option<FlagFilter>)]
    pub status: FlagFilter,
}

/// The flags a listing shows.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum FlagFilter {
    #[default]
    Open,
    Cleared,
    Reported,
    All,
}

impl FlagFilter {
    /// The stored status it keeps, `None` for all.
    fn status(self) -> Option<&'static str> {
        match self {
            FlagFilter::Open => Some("open"),
            FlagFilter::Cleared => Some("cleared"),
            FlagFilter::Reported => Some("reported"),
            FlagFilter::All => None,
        }
    }
}

/// The review queue, oldest flag first.
#[utoipa::path(
    get,
    path = "/admin/compliance/flags",
    tag = "compliance",
    security(("bearer_jwt" = [])),
    params(FlagsQuery),
    responses(
        (status = 200, description = "A page of flags", body = Paginated<FlagView>),
        (status = 400, description = "A parameter is invalid; it is named", body = ErrorEnvelope),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an administrator", body = ErrorEnvelope)
    )
)]
pub async fn list_flags(
    State(db): State<PrimaryDb>,
    _admin: AdminUser,
    AppQuery(query): AppQuery<FlagsQuery>,
) -> Result<Json<Paginated<FlagView>>, AppError> {
    let page = PageParams { page: query.page, limit: query.limit };
    let (flags, total) = store::list(&db.0, query.status.status(), i64::from(page.limit), page.offset())
        .await
        .map_err(ComplianceError::from)?;
    let meta = PageMeta::new(page, u64::try_from(total).unwrap_or(0));
    Ok(Json(Paginated { data: flags.into_iter().map(FlagView::from).collect(), meta }))
}

/// What the reviewer decided.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// Looked at, nothing to report.
    Cleared,
    /// Reported to the authorities.
    Reported,
}

/// `POST /admin/compliance/flags/{id}/resolve`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Resolve {
    pub decision: Decision,
    /// Why, for whoever reads the file later.
    #[validate(length(max = 2000, message = "must be at most 2000 characters"))]
    pub note: Option<String>,
}

/// Decides a flag: `cleared` or `reported`. The decision, the administrator and the
/// note stay on the flag and go to the audit log; the payment is not touched.
#[utoipa::path(
    post,
    path = "/admin/compliance/flags/{id}/resolve",
    tag = "compliance",
    security(("bearer_jwt" = [])),
    params(("id" = Uuid, Path, description = "The flag's id")),
    request_body = Resolve,
    responses(
        (status = 200, description = "The flag, decided", body = FlagView),
        (status = 400, description = "A field is invalid; it is named", body = ErrorEnvelope),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an administrator", body = ErrorEnvelope),
        (status = 404, description = "No such flag", body = ErrorEnvelope),
        (status = 409, description = "`INVALID_STATE`: the flag was decided already", body = ErrorEnvelope)
    )
)]
pub async fn resolve_flag(
    State(db): State<PrimaryDb>,
    State(auth): State<AuthState>,
    admin: AdminUser,
    context: RequestContext,
    AppPath(id): AppPath<Uuid>,
    AppJson(body): AppJson<Resolve>,
) -> Result<Json<FlagView>, AppError> {
    let decision = match body.decision {
        Decision::Cleared => "cleared",
        Decision::Reported => "reported",
    };
    let note = body.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let now = auth.clock.now();
    let mut tx = db.0.begin().await?;
    let Some(flag) = store::resolve(&mut *tx, id, decision, admin.0.user_id, note, now).await? else {
        return match store::get(&mut *tx, id).await? {
            Some(flag) => Err(ComplianceError::Decided(flag.status).into()),
            None => Err(ComplianceError::NotFound.into()),
        };
    };
    let entry = Entry {
        event: Event::ComplianceFlagResolved,
        actor: Some(admin.0.user_id),
        subject: Some(flag.payment_id),
        details: serde_json::json!({ "flag_id": flag.id, "rule": flag.rule, "decision": decision, "note": note }),
    };
    audit::record(&mut *tx, entry, &context, now).await?;
    tx.commit().await?;
    Ok(Json(flag.into()))
}
