//! Sellers managing their own inventory-sync API keys.
//!
//! Every query is scoped to the seller of the signed-in account, so another seller's
//! key is indistinguishable from one that does not exist (404), never a 403 that
//! would confirm it exists.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::AuthState;
use crate::auth::principal::SellerUser;
use crate::auth::store;
use crate::auth::store::api_keys::ApiKeyRow;
use crate::catalog::api_keys;
use crate::catalog::feed::single_line;
use crate::catalog::taxonomy::ListOf;
use crate::http::error::{AppError, ErrorEnvelope};
use crate::http::extract::AppJson;
use crate::platform::audit::{self, Entry, Event};
use crate::platform::client::RequestContext;
use crate::platform::db::PrimaryDb;

/// Active keys one seller may hold: enough for every system they run, few enough
/// that a leaked account cannot mint keys without bound.
const MAX_ACTIVE_KEYS: i64 = 20;
/// Keys listed, newest first; revoked ones stay visible for a while as history.
const LIST_LIMIT: i64 = 200;

/// An API key, without its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyView {
    pub id: Uuid,
    /// The first characters of the key, to tell keys apart.
    pub prefix: String,
    pub label: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiKeyRow> for ApiKeyView {
    fn from(row: ApiKeyRow) -> ApiKeyView {
        let ApiKeyRow { id, prefix, label, created_at, last_used_at, revoked_at } = row;
        ApiKeyView { id, prefix, label, created_at, last_used_at, revoked_at }
    }
}

/// A key to create.
#[derive(Deserialize, Validate, ToSchema)]
pub struct CreateApiKeyRequest {
    /// A note telling keys apart, e.g. the system that uses it.
    #[validate(
        length(min = 1, max = 100, message = "must be 1 to 100 characters"),
        custom(function = single_line)
    )]
    pub label: Option<String>,
}

/// A new key with its secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    pub id: Uuid,
    pub prefix: String,
    pub label: Option<String>,
    /// The key itself (`cpk_…`): send it as `Authorization: Bearer …` to the sync API.
    /// It is not stored and cannot be shown again.
    pub secret: String,
}

/// Creates an API key for the seller's inventory sync.
#[utoipa::path(
    post,
    path = "/seller/api-keys",
    tag = "seller-keys",
    security(("bearer_jwt" = [])),
    request_body = CreateApiKeyRequest,
    responses(
        (status = 201, description = "The key, with its secret shown once", body = CreatedApiKey),
        (status = 400, description = "Bad label", body = ErrorEnvelope),
        (status = 401, description = "Missing, invalid or revoked access token", body = ErrorEnvelope),
        (status = 403, description = "Not a seller account", body = ErrorEnvelope),
        (status = 409, description = "Too many active keys", body = ErrorEnvelope)
    )
)]
#[tracing::instrument(skip_all, fields(seller_id = %seller.seller_id))]
pub async fn create_key(
    State(auth): State<AuthState>,
    State(PrimaryDb(db)): State<PrimaryDb>,
    seller: SellerUser,
    context: RequestContext,
    AppJson(body): AppJson<CreateApiKeyRequest>,
) -> Result<(StatusCode, Json<CreatedApiKey>), AppError> {
    let active = store::api_keys::count_active(&db, seller.seller_id).await?;
    if active >= MAX_ACTIVE_KEYS {
        return Err(AppError::Conflict(format!(
            "a seller may hold at most {MAX_ACTIVE_KEYS} active keys; revoke one first"
        )));
    }
    let label = body.label.map(|l| l.trim().to_string());
    let key = api_keys::issue_key(&db, seller.seller_id, label.as_deref()).await?;
    audit::record(
        &db,
        Entry::own(Event::ApiKeyCreated, seller.user.user_id).with(serde_json::json!({
            "seller_id": seller.seller_id,
            "key_id": key.id,
            "prefix": key.prefix,
        })),
        &context,
        auth.clock.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(CreatedApiKey { id: key.id, prefix: key.prefix, label, secret: key.secret })))
}

/// The seller's API keys, active first, newest first.
#[utoipa::path(
    get,
    path = "/seller/api-keys",
    tag = "seller-keys",
    security(("bearer_jwt" = [])),
    responses(
        (status = 200, description = "The keys, without secrets", body = ListOf<ApiKeyView>),
        (status = 401, description = "Missing, invalid or revoked access token", body = ErrorEnvelope),
        (status = 403, description = "Not a seller account", body = ErrorEnvelope)
    )
)]
#[tracing::instrument(skip_all, fields(seller_id = %seller.seller_id))]
pub async fn list_keys(
    State(PrimaryDb(db)): State<PrimaryDb>,
    seller: SellerUser,
) -> Result<Json<ListOf<ApiKeyView>>, AppError> {
    let rows = store::api_keys::list(&db, seller.seller_id, LIST_LIMIT).await?;
    let data = rows.into_iter().map(ApiKeyView::from).collect();
    Ok(Json(ListOf { data }))
}

/// Revokes one of the seller's keys; the sync API refuses it from now on.
#[utoipa::path(
    delete,
    path = "/seller/api-keys/{id}",
    tag = "seller-keys",
    security(("bearer_jwt" = [])),
    params(("id" = String, Path, description = "Key id (UUID)")),
    responses(
        (status = 204, description = "Revoked (or already was)"),
        (status = 400, description = "The id is not a UUID", body = ErrorEnvelope),
        (status = 401, description = "Missing, invalid or revoked access token", body = ErrorEnvelope),
        (status = 403, description = "Not a seller account", body = ErrorEnvelope),
        (status = 404, description = "The seller has no such key", body = ErrorEnvelope)
    )
)]
#[tracing::instrument(skip_all, fields(seller_id = %seller.seller_id))]
pub async fn revoke_key(
    State(auth): State<AuthState>,
    State(PrimaryDb(db)): State<PrimaryDb>,
    seller: SellerUser,
    context: RequestContext,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let id = Uuid::parse_str(&id).map_err(|_| AppError::invalid("id", "must be a UUID"))?;
    let now = auth.clock.now();
    let prefix = store::api_keys::revoke(&db, id, seller.seller_id, now).await?.ok_or(AppError::NotFound("API key"))?;
    audit::record(
        &db,
        Entry::own(Event::ApiKeyRevoked, seller.user.user_id).with(serde_json::json!({
            "seller_id": seller.seller_id,
            "key_id": id,
            "prefix": prefix,
        })),
        &context,
        now,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
