//! Public seller profiles.

use axum::extract::{Path, State};
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::http::error::{AppError, ErrorEnvelope};
use crate::http::json::cached_json;
use crate::platform::db::ReadDb;

/// A seller as shoppers see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SellerView {
    pub id: Uuid,
    pub name: String,
    pub city: String,
    /// Listings currently offered.
    pub active_listings: i64,
    pub member_since: DateTime<Utc>,
}

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
    let id = Uuid::parse_str(&id).map_err(|_| AppError::invalid("id", "must be a UUID"))?;
    let row = sqlx::query(
        "SELECT s.id, s.name, s.city, s.created_at,
                (SELECT count(*) FROM listings l WHERE l.seller_id = s.id AND l.status = 'active') AS active_listings
           FROM sellers s WHERE s.id = $1 AND s.status = 'active'",
    )
    .bind(id)
    .fetch_optional(&db)
    .await?
    .ok_or(AppError::NotFound("seller"))?;
    let seller = SellerView {
        id: row.get("id"),
        name: row.get("name"),
        city: row.get("city"),
        active_listings: row.get("active_listings"),
        member_since: row.get("created_at"),
    };
    Ok(cached_json(&seller, 60))
}
