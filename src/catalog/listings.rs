//! Listing views: what shoppers and sellers read about a listing.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::postgres::PgRow;
use sqlx::{PgExecutor, Row};
use utoipa::ToSchema;
use uuid::Uuid;

use super::error::CatalogError;

/// The columns of a listing view with the given fitment expression, then `$tail`.
macro_rules! listing_select_with {
    (fitment = $fitment:literal, $($tail:literal),*) => {
        concat!(
            "SELECT l.id, l.sku, l.title, l.title_ar, l.description, l.category, l.brand, l.condition,
                    l.price_sar, l.quantity, l.city, l.photos, l.oem_numbers, l.status, l.created_at, l.updated_at,
                    s.id AS seller_id, s.name AS seller_name, s.city AS seller_city, ",
            $fitment,
            " AS fitment FROM listings l JOIN sellers s ON s.id = l.seller_id ",
            $($tail),*
        )
    };
}
pub(crate) use listing_select_with;

/// The columns of a full listing view, fitment included; every listing read selects them.
macro_rules! listing_select {
    ($($tail:literal),*) => {
        $crate::catalog::listings::listing_select_with!(
            fitment = "COALESCE((SELECT json_agg(json_build_object('make', f.make, 'model', f.model,
                                                                 'year_from', f.year_from, 'year_to', f.year_to)
                                               ORDER BY f.position)
                                 FROM listing_fitment f WHERE f.listing_id = l.id), '[]'::json)",
            $($tail),*
        )
    };
}
pub(crate) use listing_select;

/// The seller as shown on a listing.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SellerSummary {
    pub id: Uuid,
    pub name: String,
    pub city: String,
}

/// A vehicle the part fits.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema, PartialEq, Eq)]
pub struct FitmentView {
    pub make: String,
    pub model: String,
    pub year_from: i16,
    pub year_to: i16,
}

/// A listing with its seller and fitment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ListingView {
    pub id: Uuid,
    /// The seller's own SKU, exactly as sent.
    pub sku: String,
    pub seller: SellerSummary,
    pub title: String,
    pub title_ar: Option<String>,
    /// Sanitized HTML.
    pub description: String,
    pub category: String,
    pub brand: Option<String>,
    /// `new`, `used` or `refurbished`.
    pub condition: String,
    /// Price in SAR, VAT included, as a decimal string.
    #[schema(value_type = String, example = "45.00")]
    pub price_sar: Decimal,
    pub quantity: i32,
    pub city: String,
    pub photos: Vec<String>,
    pub oem_numbers: Vec<String>,
    pub fitment: Vec<FitmentView>,
    /// `active` or `paused`.
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ListingView {
    pub fn from_row(row: &PgRow) -> Result<ListingView, sqlx::Error> {
        let fitment: sqlx::types::Json<Vec<FitmentView>> = row.try_get("fitment")?;
        Ok(ListingView {
            id: row.try_get("id")?,
            sku: row.try_get("sku")?,
            seller: SellerSummary {
                id: row.try_get("seller_id")?,
                name: row.try_get("seller_name")?,
                city: row.try_get("seller_city")?,
            },
            title: row.try_get("title")?,
            title_ar: row.try_get("title_ar")?,
            description: row.try_get("description")?,
            category: row.try_get("category")?,
            brand: row.try_get("brand")?,
            condition: row.try_get("condition")?,
            price_sar: row.try_get("price_sar")?,
            quantity: row.try_get("quantity")?,
            city: row.try_get("city")?,
            photos: row.try_get("photos")?,
            oem_numbers: row.try_get("oem_numbers")?,
            fitment: fitment.0,
            status: row.try_get("status")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

/// A listing shoppers may see: active, from an active seller.
pub async fn public_listing<'e>(db: impl PgExecutor<'e>, id: Uuid) -> sqlx::Result<Option<ListingView>> {
    let row = sqlx::query(listing_select!("WHERE l.id = $1 AND l.status = 'active' AND s.status = 'active'"))
        .bind(id)
        .fetch_optional(db)
        .await?;
    row.as_ref().map(ListingView::from_row).transpose()
}

/// One of a seller's listings, whatever its status.
pub async fn seller_listing<'e>(
    db: impl PgExecutor<'e>,
    seller_id: Uuid,
    sku: &str,
) -> sqlx::Result<Option<ListingView>> {
    let row = sqlx::query(listing_select!("WHERE l.seller_id = $1 AND l.sku = $2"))
        .bind(seller_id)
        .bind(sku)
        .fetch_optional(db)
        .await?;
    row.as_ref().map(ListingView::from_row).transpose()
}

/// Parses a listing id sent by a client, naming the field when it is not a UUID.
pub fn parse_id(raw: &str) -> Result<Uuid, CatalogError> {
    Uuid::parse_str(raw).map_err(|_| CatalogError::invalid("id", "must be a UUID"))
}

/// The listing shoppers see under `raw_id`.
pub async fn shown_listing(db: &sqlx::PgPool, raw_id: &str) -> Result<ListingView, CatalogError> {
    let id = parse_id(raw_id)?;
    public_listing(db, id).await?.ok_or(CatalogError::NotFound("listing"))
}
