//! Sellers: public profiles, and creating seller records outside a feed.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use super::error::CatalogError;
use super::feed::SellerInput;
use super::store;
use crate::platform::cache::{CacheLimits, ReadCache, Source};
use crate::platform::redis::SharedStore;

/// A seller as shoppers see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SellerView {
    pub id: Uuid,
    pub name: String,
    pub city: String,
    /// Whether the marketplace verified the seller's documents (the verified badge).
    pub verified: bool,
    /// Listings currently offered.
    pub active_listings: i64,
    pub member_since: DateTime<Utc>,
}

/// The public profile of the seller under `raw_id`, if it is active, as its JSON
/// answer, from the cache when it holds it; where the answer came from.
pub async fn shown_profile(cache: &SellerCache, db: &PgPool, raw_id: &str) -> Result<(Bytes, Source), CatalogError> {
    let id = Uuid::parse_str(raw_id).map_err(|_| CatalogError::invalid("id", "must be a UUID"))?;
    let found = cache.0.get_or_load(&id.to_string(), || store::seller_profile(db, id)).await?;
    found.ok_or(CatalogError::NotFound("seller"))
}

/// The sellers' profile cache: in process over Redis. A profile shows the seller's
/// name, city and count of active listings, and every change of those re-indexes
/// one of the seller's listings (a rename re-indexes them all): the search index's
/// change stream evicts it, on every replica. A seller without listings is not in
/// that stream; its renamed profile shows once its entries expire.
#[derive(Clone)]
pub struct SellerCache(pub ReadCache);

impl SellerCache {
    pub fn new(shared: Option<SharedStore>, limits: CacheLimits) -> SellerCache {
        SellerCache(ReadCache::new("seller", shared, limits))
    }

    pub async fn evict(&self, ids: &[Uuid]) {
        self.0.evict(ids).await;
    }

    pub fn clear_local(&self) {
        self.0.clear_local();
    }
}

/// The id of the seller with this external id.
pub async fn by_external_id(db: &PgPool, external_id: &str) -> Result<Option<Uuid>, CatalogError> {
    Ok(store::seller_id(db, external_id).await?)
}

/// Creates the seller, or updates the name and city of the one with its external id;
/// returns its id.
pub async fn upsert_seller(conn: &mut PgConnection, seller: &SellerInput) -> Result<Uuid, CatalogError> {
    let ids = store::upsert_sellers(conn, std::slice::from_ref(seller)).await?;
    ids.get(&seller.external_id)
        .copied()
        .ok_or_else(|| CatalogError::Internal(anyhow::anyhow!("the seller just written is missing")))
}

/// Creates the seller record a seller account registers with. No feed named it, so
/// its external id is made up here (`cp-` and a random UUID).
pub async fn create_for_account(conn: &mut PgConnection, name: &str, city: &str) -> Result<Uuid, CatalogError> {
    let seller = SellerInput {
        external_id: format!("cp-{}", Uuid::new_v4().simple()),
        name: name.to_string(),
        city: city.to_string(),
    };
    upsert_seller(conn, &seller).await
}

/// A seller's tax registration, as it invoices with it.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct SellerTaxProfile {
    pub id: Uuid,
    pub name: String,
    /// The seller's Saudi VAT number; without one, the marketplace invoices its sales
    /// in its own name.
    pub vat_number: Option<String>,
}

/// Sets (or, with `None`, clears) the seller's VAT number: 15 digits, the first and
/// the last 3; spaces and Arabic-Indic digits are accepted and normalized.
pub async fn set_vat_number(
    db: &PgPool,
    seller_id: Uuid,
    vat_number: Option<&str>,
) -> Result<SellerTaxProfile, CatalogError> {
    let vat_number = match vat_number {
        None => None,
        Some(raw) => {
            let folded: String = raw
                .chars()
                .filter(|c| !c.is_whitespace() && *c != '-')
                .map(crate::platform::phone::fold_digit)
                .collect();
            if !crate::platform::money::is_saudi_vat_number(&folded) {
                return Err(CatalogError::invalid("vat_number", "must be 15 digits, beginning and ending with 3"));
            }
            Some(folded)
        }
    };
    store::set_vat_number(db, seller_id, vat_number.as_deref()).await?.ok_or(CatalogError::NotFound("seller"))
}
