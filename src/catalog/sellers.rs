//! Public seller profiles.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgPool, Row};
use utoipa::ToSchema;
use uuid::Uuid;

use super::error::CatalogError;

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

/// The public profile of the seller under `raw_id`, if it is active.
pub async fn profile(db: &PgPool, raw_id: &str) -> Result<SellerView, CatalogError> {
    let id = Uuid::parse_str(raw_id).map_err(|_| CatalogError::invalid("id", "must be a UUID"))?;
    let row = sqlx::query(
        "SELECT s.id, s.name, s.city, s.created_at,
                (SELECT count(*) FROM listings l WHERE l.seller_id = s.id AND l.status = 'active') AS active_listings
           FROM sellers s WHERE s.id = $1 AND s.status = 'active'",
    )
    .bind(id)
    .fetch_optional(db)
    .await?
    .ok_or(CatalogError::NotFound("seller"))?;
    Ok(SellerView {
        id: row.get("id"),
        name: row.get("name"),
        city: row.get("city"),
        active_listings: row.get("active_listings"),
        member_since: row.get("created_at"),
    })
}
