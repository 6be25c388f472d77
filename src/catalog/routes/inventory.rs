//! The sellers' inventory sync API: `POST /seller/inventory` and `/seller/listings`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header::CONTENT_TYPE};
use serde::Deserialize;
use utoipa::IntoParams;
use validator::Validate;

use crate::catalog::api_keys::SellerAuth;
use crate::catalog::error::CatalogError;
use crate::catalog::inventory::{self, BodyFormat, ListingPatch, SyncReport, listing_status};
use crate::catalog::listings::ListingView;
use crate::http::error::{AppError, ErrorEnvelope};
use crate::http::extract::{AppJson, AppQuery, LimitedBody};
use crate::platform::db::PrimaryDb;
use crate::platform::i18n::{Locale, translate};
use crate::platform::pagination::{MAX_LIMIT, MAX_PAGE, PageParams, Paginated};

/// Upserts and deletes a batch of the seller's listings.
///
/// The body is NDJSON (`application/x-ndjson`, one feed record per line) or a JSON
/// array of records (`application/json`). Each record is validated on its own: the
/// valid ones are applied in one transaction, the others reported with their line
/// (or array position), SKU, field and reason. Answers 200 when every record was
/// applied, 207 when some were rejected, 400 when none could be applied.
#[utoipa::path(
    post,
    path = "/seller/inventory",
    tag = "seller",
    security(("seller_api_key" = [])),
    request_body(content = String, description = "Feed records (see the inventory feed spec)",
                 content_type = "application/x-ndjson"),
    responses(
        (status = 200, description = "Every record applied", body = SyncReport),
        (status = 207, description = "Some records rejected, the rest applied", body = SyncReport),
        (status = 400, description = "No record could be applied", body = ErrorEnvelope),
        (status = 401, description = "Missing or invalid API key", body = ErrorEnvelope),
        (status = 413, description = "Body or record count over the limit", body = ErrorEnvelope),
        (status = 415, description = "Unsupported content type", body = ErrorEnvelope)
    )
)]
pub async fn sync_inventory(
    State(PrimaryDb(db)): State<PrimaryDb>,
    auth: SellerAuth,
    headers: HeaderMap,
    LimitedBody(body): LimitedBody,
) -> Result<(StatusCode, Json<SyncReport>), AppError> {
    let media_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let format = BodyFormat::from_media_type(media_type).ok_or_else(|| {
        AppError::UnsupportedMediaType(
            "send application/x-ndjson (one record per line) or application/json (an array of records)".into(),
        )
    })?;
    let mut report = inventory::sync(&db, &auth, format, body).await.map_err(sync_error)?;
    // The rejected lines' reasons are read by the seller's staff, like error messages.
    let locale = Locale::current();
    for line in &mut report.rejected {
        line.reason = translate(&line.reason, locale).into_owned();
    }
    let status = if report.rejected.is_empty() { StatusCode::OK } else { StatusCode::MULTI_STATUS };
    Ok((status, Json(report)))
}

/// The envelope of a failed sync: rejected records and unreadable bodies keep their
/// details (which records and why; where the JSON broke; the record limit).
fn sync_error(error: CatalogError) -> AppError {
    match error {
        CatalogError::NothingApplied(rejected) => AppError::RejectedRecords(serde_json::json!(rejected)),
        CatalogError::MalformedBody { message, line, column } => AppError::BadRequest {
            message: format!("malformed JSON array: {message}"),
            details: Some(serde_json::json!({ "line": line, "column": column })),
        },
        CatalogError::TooManyRecords { count, limit } => AppError::BadRequest {
            message: format!("at most {limit} records per request, got {count}"),
            details: Some(serde_json::json!({ "field": "body", "limit": limit })),
        },
        other => other.into(),
    }
}

/// Query parameters of the seller's listing list.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SellerListingsQuery {
    /// 1-based page number.
    #[serde(default = "crate::platform::pagination::first_page")]
    #[validate(range(min = 1, max = MAX_PAGE, message = "must be between 1 and 10000"))]
    pub page: u32,
    /// Results per page, 1–100.
    #[serde(default = "crate::platform::pagination::default_limit")]
    #[validate(range(min = 1, max = MAX_LIMIT, message = "must be between 1 and 100"))]
    pub limit: u32,
    /// Only listings with this status.
    #[validate(custom(function = listing_status))]
    pub status: Option<String>,
}

/// The seller's own listings, most recently changed first.
#[utoipa::path(
    get,
    path = "/seller/listings",
    tag = "seller",
    security(("seller_api_key" = [])),
    params(SellerListingsQuery),
    responses(
        (status = 200, description = "A page of the seller's listings", body = Paginated<ListingView>),
        (status = 400, description = "Bad parameter", body = ErrorEnvelope),
        (status = 401, description = "Missing or invalid API key", body = ErrorEnvelope)
    )
)]
pub async fn list_seller_listings(
    State(PrimaryDb(db)): State<PrimaryDb>,
    auth: SellerAuth,
    AppQuery(query): AppQuery<SellerListingsQuery>,
) -> Result<Json<Paginated<ListingView>>, AppError> {
    let page = PageParams { page: query.page, limit: query.limit };
    Ok(Json(inventory::seller_listings(&db, &auth, query.status.as_deref(), page).await?))
}

/// One of the seller's listings.
#[utoipa::path(
    get,
    path = "/seller/listings/{sku}",
    tag = "seller",
    security(("seller_api_key" = [])),
    params(("sku" = String, Path, description = "The seller's SKU")),
    responses(
        (status = 200, description = "The listing", body = ListingView),
        (status = 400, description = "The SKU cannot be one", body = ErrorEnvelope),
        (status = 404, description = "The seller has no such SKU", body = ErrorEnvelope)
    )
)]
pub async fn get_seller_listing(
    State(PrimaryDb(db)): State<PrimaryDb>,
    auth: SellerAuth,
    Path(sku): Path<String>,
) -> Result<Json<ListingView>, AppError> {
    Ok(Json(inventory::own_listing(&db, &auth, &sku).await?))
}

/// Changes a listing's price, stock or status.
#[utoipa::path(
    patch,
    path = "/seller/listings/{sku}",
    tag = "seller",
    security(("seller_api_key" = [])),
    params(("sku" = String, Path, description = "The seller's SKU")),
    request_body = ListingPatch,
    responses(
        (status = 200, description = "The updated listing", body = ListingView),
        (status = 400, description = "Invalid field", body = ErrorEnvelope),
        (status = 404, description = "The seller has no such SKU", body = ErrorEnvelope)
    )
)]
pub async fn patch_listing(
    State(PrimaryDb(db)): State<PrimaryDb>,
    auth: SellerAuth,
    Path(sku): Path<String>,
    AppJson(patch): AppJson<ListingPatch>,
) -> Result<Json<ListingView>, AppError> {
    Ok(Json(inventory::patch_listing(&db, &auth, &sku, patch).await?))
}

/// Removes a listing.
#[utoipa::path(
    delete,
    path = "/seller/listings/{sku}",
    tag = "seller",
    security(("seller_api_key" = [])),
    params(("sku" = String, Path, description = "The seller's SKU")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "The SKU cannot be one", body = ErrorEnvelope),
        (status = 404, description = "The seller has no such SKU", body = ErrorEnvelope)
    )
)]
pub async fn delete_listing(
    State(PrimaryDb(db)): State<PrimaryDb>,
    auth: SellerAuth,
    Path(sku): Path<String>,
) -> Result<StatusCode, AppError> {
    inventory::delete_listing(&db, &auth, &sku).await?;
    Ok(StatusCode::NO_CONTENT)
}
