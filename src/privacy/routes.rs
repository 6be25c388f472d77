//! The data-rights endpoints of the signed-in account: `GET /me/export`,
//! `GET /me/exports/{id}`, `DELETE /me`, `GET /me/consents`, `PUT /me/consents/{purpose}`.

use axum::Json;
use axum::extract::{FromRef, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;
use validator::Validate;

use super::consents::{self, Consent, Purpose, Source};
use super::erasure;
use super::export::{self, AccountExport};
use super::exports::{self, ExportStatus};
use crate::auth::AuthState;
use crate::auth::erasure::Confirmation;
use crate::auth::principal::AuthUser;
use crate::http::error::{AppError, ErrorEnvelope};
use crate::http::extract::{AppJson, AppPath};
use crate::http::rate_limit::{RateLimits, RouteClass, limited};
use crate::orders::OrdersState;
use crate::platform::client::{RequestContext, TrustedProxies};
use crate::platform::db::PrimaryDb;

/// Routes of the data rights, relative to `/api/v1`.
pub fn routes<S>(limits: &RateLimits) -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    PrimaryDb: FromRef<S>,
    AuthState: FromRef<S>,
    OrdersState: FromRef<S>,
    TrustedProxies: FromRef<S>,
{
    // Erasure checks a password or a code: the tight budget of credential routes.
    let erasing = OpenApiRouter::new().routes(routes!(erase_me));
    let reading = OpenApiRouter::new()
        .routes(routes!(export_me))
        .routes(routes!(download_export))
        .routes(routes!(consents_of_me))
        .routes(routes!(set_consent));
    OpenApiRouter::with_openapi(PrivacyDoc::openapi())
        .merge(limited(erasing, limits, RouteClass::Credentials))
        .merge(limited(reading, limits, RouteClass::Api))
        // Answers are personal data: no cache may keep them.
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
}

#[derive(OpenApi)]
#[openapi(tags((name = "privacy", description = "The account's personal data rights (PDPL): access, erasure, consents")))]
struct PrivacyDoc;

/// Everything held about the signed-in account, as a JSON download: profile, consents
/// and their history, orders, sessions, security events, messages sent.
///
/// An account with many orders (more than `privacy.export_inline_max_orders`) gets
/// `202` instead: a job builds the document, and `url` (also in `Location`) downloads
/// it once ready, for `privacy.export_days`. Asking again answers the same export.
#[utoipa::path(
    get,
    path = "/me/export",
    tag = "privacy",
    security(("bearer_jwt" = [])),
    responses(
        (status = 200, description = "The account's data, as an attachment", body = AccountExport),
        (status = 202, description = "Being built; download it from `url` when ready", body = ExportStatus),
        (status = 401, description = "Missing, invalid or revoked access token", body = ErrorEnvelope),
        (status = 429, description = "Too many requests", body = ErrorEnvelope)
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %user.user_id))]
pub async fn export_me(
    State(auth): State<AuthState>,
    State(orders): State<OrdersState>,
    State(PrimaryDb(db)): State<PrimaryDb>,
    user: AuthUser,
) -> Result<Response, AppError> {
    let settings = &orders.settings;
    let now = auth.clock.now();
    if export::order_count(&orders, user.user_id).await? > settings.privacy.export_inline_max_orders {
        let status =
            exports::request(&db, user.user_id, settings.privacy.export_days, settings.jobs.max_attempts, now).await?;
        let location = HeaderValue::from_str(&status.url).map_err(anyhow::Error::from)?;
        return Ok((StatusCode::ACCEPTED, [(header::LOCATION, location)], Json(status)).into_response());
    }
    let exported = export::export(&db, &orders, user.user_id, now).await?;
    attachment(user.user_id, Json(exported).into_response())
}

/// Downloads an export built by a job: `202` with its status while it is built, the
/// document once ready.
#[utoipa::path(
    get,
    path = "/me/exports/{id}",
    tag = "privacy",
    security(("bearer_jwt" = [])),
    params(("id" = Uuid, Path, description = "The export's id, from `GET /me/export`")),
    responses(
        (status = 200, description = "The account's data, as an attachment", body = AccountExport),
        (status = 202, description = "Still being built", body = ExportStatus),
        (status = 401, description = "Missing, invalid or revoked access token", body = ErrorEnvelope),
        (status = 404, description = "No such export of this account, or it expired", body = ErrorEnvelope)
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %user.user_id))]
pub async fn download_export(
    State(auth): State<AuthState>,
    State(PrimaryDb(db)): State<PrimaryDb>,
    user: AuthUser,
    AppPath(id): AppPath<Uuid>,
) -> Result<Response, AppError> {
    match exports::fetch(&db, user.user_id, id, auth.clock.now()).await? {
        Some((_, Some(document))) => attachment(user.user_id, Json(document).into_response()),
        Some((status, None)) => Ok((StatusCode::ACCEPTED, Json(status)).into_response()),
        None => Err(AppError::NotFound("export")),
    }
}

/// `response` as a file to save.
fn attachment(user_id: Uuid, mut response: Response) -> Result<Response, AppError> {
    let filename = format!("attachment; filename=\"cargoparts-data-{user_id}.json\"");
    let disposition = HeaderValue::from_str(&filename).map_err(anyhow::Error::from)?;
    response.headers_mut().insert(header::CONTENT_DISPOSITION, disposition);
    Ok(response)
}

/// The owner's confirmation of an erasure: the password, or a code from the
/// authenticator (or a recovery code) of an account with a second factor.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EraseRequest {
    #[schema(value_type = Option<String>, format = Password)]
    pub password: Option<SecretString>,
    /// An authenticator or recovery code, instead of the password.
    #[schema(value_type = Option<String>)]
    pub code: Option<SecretString>,
}

/// Erases the signed-in account.
///
/// Personal data goes in one step: contacts, name, password, second factor, sessions
/// (every token stops working), codes, consents, a seller's API keys. Orders and their
/// invoices stay, as tax law wants, detached from the person (name, phone and street
/// address replaced). Refused while orders still need the person; the numbers are in
/// `details.open_orders`.
#[utoipa::path(
    delete,
    path = "/me",
    tag = "privacy",
    security(("bearer_jwt" = [])),
    request_body = EraseRequest,
    responses(
        (status = 204, description = "The account is erased"),
        (status = 400, description = "Neither or both of `password` and `code`, or a wrong one (the field is named)", body = ErrorEnvelope),
        (status = 401, description = "Missing, invalid or revoked access token", body = ErrorEnvelope),
        (status = 409, description = "Orders still on their way (a buyer) or to fulfil (a seller); `details.open_orders` lists them", body = ErrorEnvelope),
        (status = 429, description = "Too many attempts", body = ErrorEnvelope)
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %user.user_id))]
pub async fn erase_me(
    State(auth): State<AuthState>,
    State(PrimaryDb(db)): State<PrimaryDb>,
    user: AuthUser,
    context: RequestContext,
    AppJson(body): AppJson<EraseRequest>,
) -> Result<StatusCode, AppError> {
    let confirmation = match (body.password, body.code) {
        (Some(password), None) => Confirmation::Password(password),
        (None, Some(code)) => Confirmation::SecondFactor(code),
        _ => return Err(AppError::invalid("password", "give either password or code")),
    };
    erasure::erase(&db, &auth, user.user_id, confirmation, &context).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The account's consents to marketing messages.
#[derive(Debug, Serialize, ToSchema)]
pub struct Consents {
    pub consents: Vec<Consent>,
}

/// The signed-in account's standing consents; none is given by default.
#[utoipa::path(
    get,
    path = "/me/consents",
    tag = "privacy",
    security(("bearer_jwt" = [])),
    responses(
        (status = 200, description = "One entry per purpose", body = Consents),
        (status = 401, description = "Missing, invalid or revoked access token", body = ErrorEnvelope)
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %user.user_id))]
pub async fn consents_of_me(
    State(PrimaryDb(db)): State<PrimaryDb>,
    user: AuthUser,
) -> Result<Json<Consents>, AppError> {
    Ok(Json(Consents { consents: consents::current(&db, user.user_id).await? }))
}

/// A consent given or withdrawn.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentChoice {
    pub granted: bool,
    /// Where the choice was made; `api` when absent.
    #[serde(default)]
    pub source: Source,
}

/// Gives or withdraws a consent (`marketing_sms`, `marketing_email`); the change is
/// kept with its time, source and address, and withdrawing is as easy as giving.
#[utoipa::path(
    put,
    path = "/me/consents/{purpose}",
    tag = "privacy",
    security(("bearer_jwt" = [])),
    params(("purpose" = String, Path, description = "`marketing_sms` or `marketing_email`")),
    request_body = ConsentChoice,
    responses(
        (status = 200, description = "The standing consents after the change", body = Consents),
        (status = 400, description = "An unknown purpose or a malformed body", body = ErrorEnvelope),
        (status = 401, description = "Missing, invalid or revoked access token", body = ErrorEnvelope)
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %user.user_id))]
pub async fn set_consent(
    State(auth): State<AuthState>,
    State(PrimaryDb(db)): State<PrimaryDb>,
    user: AuthUser,
    context: RequestContext,
    AppPath(purpose): AppPath<String>,
    AppJson(body): AppJson<ConsentChoice>,
) -> Result<Json<Consents>, AppError> {
    let purpose = Purpose::parse(&purpose)
        .ok_or_else(|| AppError::invalid("purpose", "must be marketing_sms or marketing_email"))?;
    let now = auth.clock.now();
    let consents = consents::record(&db, user.user_id, purpose, body.granted, body.source, &context, now).await?;
    Ok(Json(Consents { consents }))
}
