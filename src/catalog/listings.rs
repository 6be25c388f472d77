//! Listing views: what shoppers and sellers read about a listing.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::Row;
use sqlx::postgres::PgRow;
use utoipa::ToSchema;
use uuid::Uuid;

use super::error::CatalogError;
use super::store;
use crate::platform::cache::{CacheLimits, ReadCache, Source};
use crate::platform::redis::SharedStore;

// The listing reads are SQL and live in the store; search reads listings the same way.
pub(crate) use super::store::{listing_select, listing_select_with};

/// An uploaded photo in the sizes shoppers see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
pub struct ListingImage {
    /// 160 pixels on the longest side.
    pub thumbnail: String,
    /// 480 pixels: result cards.
    pub card: String,
    /// 1,280 pixels: the listing's page.
    pub full: String,
}

impl ListingView {
    /// The picture of a result card: the first uploaded photo's card size, else the
    /// first photo of the feed.
    pub fn card_photo(&self) -> Option<&str> {
        self.images.first().map(|i| i.card.as_str()).or(self.photos.first().map(String::as_str))
    }
}

/// The seller as shown on a listing.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SellerSummary {
    pub id: Uuid,
    pub name: String,
    pub city: String,
    /// Whether the marketplace verified the seller's registration, VAT and bank
    /// documents (the verified badge).
    #[serde(default)]
    pub verified: bool,
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
    /// Photo URLs given in the seller's feed.
    pub photos: Vec<String>,
    /// Photos the seller uploaded, in their sizes, in order.
    pub images: Vec<ListingImage>,
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
                verified: row.try_get("seller_verified")?,
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
            images: row.try_get::<sqlx::types::Json<Vec<ListingImage>>, _>("images")?.0,
            oem_numbers: row.try_get("oem_numbers")?,
            fitment: fitment.0,
            status: row.try_get("status")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

/// Parses a listing id sent by a client, naming the field when it is not a UUID.
pub fn parse_id(raw: &str) -> Result<Uuid, CatalogError> {
    Uuid::parse_str(raw).map_err(|_| CatalogError::invalid("id", "must be a UUID"))
}

/// The listing shoppers see under `raw_id`, as its JSON answer, from the cache when it
/// holds it; where the answer came from.
pub async fn shown_listing(
    cache: &ListingCache,
    db: &sqlx::PgPool,
    raw_id: &str,
) -> Result<(bytes::Bytes, Source), CatalogError> {
    let id = parse_id(raw_id)?;
    let found = cache.0.get_or_load(&id.to_string(), || store::public_listing(db, id)).await?;
    found.ok_or(CatalogError::NotFound("listing"))
}

/// The listings' page cache: in process over Redis, evicted when the search index
/// applies a change of the listing (on every replica, each by its own index tail).
#[derive(Clone)]
pub struct ListingCache(pub ReadCache);

impl ListingCache {
    pub fn new(shared: Option<SharedStore>, limits: CacheLimits) -> ListingCache {
        ListingCache(ReadCache::new("listing", shared, limits))
    }

    /// Drops the pages of `ids`.
    pub async fn evict(&self, ids: &[Uuid]) {
        self.0.evict(ids).await;
    }

    /// Drops every page kept in process.
    pub fn clear_local(&self) {
        self.0.clear_local();
    }
}
