//! `GET /sellers/{id}`, and the seller's own tax profile.

use axum::extract::{Path, State};
use axum::response::IntoResponse;

use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use crate::catalog::api_keys::SellerAuth;
use crate::catalog::sellers::{self, SellerCache, SellerTaxProfile, SellerView};
use crate::http::error::{AppError, ErrorEnvelope};
use crate::http::extract::AppJson;
use crate::http::json::cached_json_bytes;
use crate::platform::db::PrimaryDb;

/// A seller's public profile.
#[utoipa::path(
    get,
    path = "/sellers/{id}",
    tag = "catalog",
    params(("id" = String, Path, description = "Seller id (UUID)")),
    responses(
        (status = 200, description = "The seller", body = SellerView),
        (status = 400, description = "The id is not a UUID", body = ErrorEnvelope),
        (status = 404, description = "No such active seller", body = ErrorEnvelope)
    )
)]
pub async fn get_seller(
    // Misses read the primary, for the reason listing pages do.
    State(PrimaryDb(db)): State<PrimaryDb>,
    State(cache): State<SellerCache>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, AppError> {
    let (body, source) = sellers::shown_profile(&cache, &db, &id).await?;
    Ok(cached_json_bytes(body, 60, source.served_from()))
}

/// `PATCH /seller/profile`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatch {
    /// The seller's Saudi VAT number (15 digits, first and last 3), or `null` to clear it.
    pub vat_number: Option<String>,
}

/// Sets the seller's VAT number. Invoices issued from then on carry the seller's own
/// name and VAT number; a seller without one is invoiced through the marketplace.
#[utoipa::path(
    patch,
    path = "/seller/profile",
    tag = "seller",
    security(("seller_api_key" = [])),
    request_body = ProfilePatch,
    responses(
        (status = 200, description = "The seller's tax profile", body = SellerTaxProfile),
        (status = 400, description = "`vat_number` is not a Saudi VAT number", body = ErrorEnvelope),
        (status = 401, description = "Missing or invalid API key", body = ErrorEnvelope)
    )
)]
pub async fn patch_profile(
    State(PrimaryDb(db)): State<PrimaryDb>,
    auth: SellerAuth,
    AppJson(body): AppJson<ProfilePatch>,
) -> Result<Json<SellerTaxProfile>, AppError> {
    Ok(Json(sellers::set_vat_number(&db, auth.seller_id, body.vat_number.as_deref()).await?))
}
