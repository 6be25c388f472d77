//! `GET /sellers/{id}`.

use axum::extract::{Path, State};
use axum::response::IntoResponse;

use crate::catalog::sellers::{self, SellerView};
use crate::http::error::{AppError, ErrorEnvelope};
use crate::http::json::cached_json;
use crate::platform::db::ReadDb;

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
    State(ReadDb(db)): State<ReadDb>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, AppError> {
    let seller = sellers::profile(&db, &id).await?;
    Ok(cached_json(&seller, 60))
}
