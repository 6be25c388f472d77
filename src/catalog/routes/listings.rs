//! `GET /listings/{id}`.

use axum::extract::{Path, State};
use axum::response::IntoResponse;

use crate::catalog::listings::{self, ListingCache, ListingView};
use crate::http::error::{AppError, ErrorEnvelope};
use crate::http::json::cached_json_bytes;
use crate::platform::db::PrimaryDb;

/// A listing with its seller and the cars it fits.
#[utoipa::path(
    get,
    path = "/listings/{id}",
    tag = "catalog",
    params(("id" = String, Path, description = "Listing id (UUID)")),
    responses(
        (status = 200, description = "The listing", body = ListingView),
        (status = 400, description = "The id is not a UUID", body = ErrorEnvelope),
        (status = 404, description = "No such active listing", body = ErrorEnvelope)
    )
)]
pub async fn get_listing(
    // A miss reads the primary, not a read replica: a replica's lag would otherwise
    // be kept in the cache for its whole time to live, long after the replica caught
    // up. Misses are the few reads the cache does not absorb.
    State(PrimaryDb(db)): State<PrimaryDb>,
    State(cache): State<ListingCache>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, AppError> {
    let (body, source) = listings::shown_listing(&cache, &db, &id).await?;
    Ok(cached_json_bytes(body, 30, source.served_from()))
}
