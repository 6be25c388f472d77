//! The catalog's SQL, and nothing else: every statement the catalog runs is here.
//!
//! This file writes feed changes in set-based batches: a few thousand records with a
//! handful of statements (UNNEST arrays, not row by row). Unchanged records are not
//! rewritten, so sending the same feed twice neither bumps `updated_at` nor wakes the
//! search indexer. Reads and single-row edits of listings, sellers and seller API
//! keys live in the files beside it.

mod api_keys;
mod listings;
pub mod photos;
mod sellers;

use std::collections::{HashMap, HashSet};

use rust_decimal::Decimal;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

pub use self::api_keys::{ActiveKey, active_key, insert_key, record_key_use};
pub use self::listings::{
    analyze, count_listings, delete_listing, public_listing, seller_listing, seller_listing_page, update_listing,
};
pub(crate) use self::listings::{listing_select, listing_select_with};
pub use self::sellers::{seller_id, seller_profile, set_vat_number, upsert_sellers};
use super::feed::{Fitment, ListingInput};

/// What a batch did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct BatchOutcome {
    /// Listings created.
    pub inserted: u64,
    /// Listings whose content changed.
    pub updated: u64,
    /// Listings sent again without change.
    pub unchanged: u64,
    /// Listings removed.
    pub deleted: u64,
    /// Deletions of SKUs that did not exist (already gone).
    pub not_found: u64,
}

impl BatchOutcome {
    pub fn add(&mut self, other: BatchOutcome) {
        self.inserted += other.inserted;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.deleted += other.deleted;
        self.not_found += other.not_found;
    }

    /// Records accepted and applied.
    pub fn applied(&self) -> u64 {
        self.inserted + self.updated + self.unchanged + self.deleted + self.not_found
    }
}

/// A change bound to the seller it belongs to.
#[derive(Debug, Clone)]
pub enum SellerChange {
    Upsert { seller_id: Uuid, listing: Box<ListingInput> },
    Delete { seller_id: Uuid, sku: String },
}

impl SellerChange {
    pub(crate) fn key(&self) -> (Uuid, &str) {
        match self {
            SellerChange::Upsert { seller_id, listing } => (*seller_id, listing.sku.as_str()),
            SellerChange::Delete { seller_id, sku } => (*seller_id, sku.as_str()),
        }
    }
}

/// Applies a batch of changes inside the caller's transaction.
///
/// A record's `quantity` is what the seller has on hand; the listing offers that less
/// the units open orders hold and have not shipped yet (`held_units`).
///
/// When a batch names the same (seller, sku) twice, the later line wins, as it
/// would had the lines been sent one by one.
pub async fn apply_changes(conn: &mut PgConnection, changes: Vec<SellerChange>) -> sqlx::Result<BatchOutcome> {
    let mut last_index: HashMap<(Uuid, String), usize> = HashMap::with_capacity(changes.len());
    for (i, change) in changes.iter().enumerate() {
        let (seller, sku) = change.key();
        last_index.insert((seller, sku.to_string()), i);
    }
    let mut upserts = Vec::new();
    let mut deletes = Vec::new();
    for (i, change) in changes.into_iter().enumerate() {
        let (seller, sku) = change.key();
        if last_index.get(&(seller, sku.to_string())) != Some(&i) {
            continue;
        }
        match change {
            SellerChange::Upsert { seller_id, listing } => upserts.push((seller_id, listing)),
            SellerChange::Delete { seller_id, sku } => deletes.push((seller_id, sku)),
        }
    }
    let mut outcome = upsert_listings(conn, &upserts).await?;
    outcome.add(delete_listings(conn, &deletes).await?);
    Ok(outcome)
}

async fn upsert_listings(conn: &mut PgConnection, upserts: &[(Uuid, Box<ListingInput>)]) -> sqlx::Result<BatchOutcome> {
    if upserts.is_empty() {
        return Ok(BatchOutcome::default());
    }
    let n = upserts.len();
    let mut ids = Vec::with_capacity(n);
    let mut seller_ids = Vec::with_capacity(n);
    let mut skus = Vec::with_capacity(n);
    let mut titles = Vec::with_capacity(n);
    let mut titles_ar: Vec<Option<&str>> = Vec::with_capacity(n);
    let mut descriptions = Vec::with_capacity(n);
    let mut categories = Vec::with_capacity(n);
    let mut brands: Vec<Option<&str>> = Vec::with_capacity(n);
    let mut conditions = Vec::with_capacity(n);
    let mut prices: Vec<Decimal> = Vec::with_capacity(n);
    let mut quantities = Vec::with_capacity(n);
    let mut cities = Vec::with_capacity(n);
    // Arrays of arrays may be ragged, which PostgreSQL arrays cannot be: each
    // listing's list travels as one JSON text and is unpacked in SQL.
    let mut photos = Vec::with_capacity(n);
    let mut oem_numbers = Vec::with_capacity(n);
    for (seller_id, l) in upserts {
        ids.push(Uuid::now_v7());
        seller_ids.push(*seller_id);
        skus.push(l.sku.as_str());
        titles.push(l.title.as_str());
        titles_ar.push(l.title_ar.as_deref());
        descriptions.push(l.description.as_str());
        categories.push(l.category.as_str());
        brands.push(l.brand.as_deref());
        conditions.push(l.condition.as_str());
        prices.push(l.price_sar.to_decimal());
        quantities.push(l.quantity);
        cities.push(l.city.as_str());
        photos.push(serde_json::to_string(&l.photos).expect("strings serialize"));
        oem_numbers.push(serde_json::to_string(&l.oem_numbers).expect("strings serialize"));
    }
    let returned = sqlx::query(
        "INSERT INTO listings AS l (id, seller_id, sku, title, title_ar, description, category, brand,
                                    condition, price_sar, quantity, city, photos, oem_numbers)
         SELECT id, seller_id, sku, title, title_ar, description, category, brand, condition, price_sar,
                quantity, city,
                ARRAY(SELECT jsonb_array_elements_text(photos::jsonb)),
                ARRAY(SELECT jsonb_array_elements_text(oem_numbers::jsonb))
           FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                       $8::text[], $9::text[], $10::numeric[], $11::int4[], $12::text[], $13::text[], $14::text[])
                AS t(id, seller_id, sku, title, title_ar, description, category, brand, condition, price_sar,
                     quantity, city, photos, oem_numbers)
         ON CONFLICT (seller_id, sku) DO UPDATE SET
             title = EXCLUDED.title, title_ar = EXCLUDED.title_ar, description = EXCLUDED.description,
             category = EXCLUDED.category, brand = EXCLUDED.brand, condition = EXCLUDED.condition,
             price_sar = EXCLUDED.price_sar, quantity = greatest(EXCLUDED.quantity - held_units(l.id), 0),
             city = EXCLUDED.city, photos = EXCLUDED.photos, oem_numbers = EXCLUDED.oem_numbers,
             updated_at = now()
          WHERE (l.title, l.title_ar, l.description, l.category, l.brand, l.condition, l.price_sar,
                 l.quantity, l.city, l.photos, l.oem_numbers)
                IS DISTINCT FROM
                (EXCLUDED.title, EXCLUDED.title_ar, EXCLUDED.description, EXCLUDED.category, EXCLUDED.brand,
                 EXCLUDED.condition, EXCLUDED.price_sar, greatest(EXCLUDED.quantity - held_units(l.id), 0),
                 EXCLUDED.city, EXCLUDED.photos, EXCLUDED.oem_numbers)
         RETURNING id, seller_id, sku, (xmax = 0) AS inserted",
    )
    .bind(&ids)
    .bind(&seller_ids)
    .bind(&skus)
    .bind(&titles)
    .bind(&titles_ar)
    .bind(&descriptions)
    .bind(&categories)
    .bind(&brands)
    .bind(&conditions)
    .bind(&prices)
    .bind(&quantities)
    .bind(&cities)
    .bind(&photos)
    .bind(&oem_numbers)
    .fetch_all(&mut *conn)
    .await?;
    // The ids of every listing of the batch: those written now come back from the
    // statement; only those left as they were are looked up (none on a first import).
    let mut id_of: HashMap<(Uuid, String), Uuid> = HashMap::with_capacity(n);
    let mut written: HashMap<Uuid, bool> = HashMap::with_capacity(returned.len());
    for row in returned {
        let id: Uuid = row.get("id");
        id_of.insert((row.get("seller_id"), row.get("sku")), id);
        written.insert(id, row.get("inserted"));
    }
    if id_of.len() < n {
        let (unwritten_sellers, unwritten_skus): (Vec<Uuid>, Vec<&str>) = seller_ids
            .iter()
            .zip(&skus)
            .filter(|(seller, sku)| !id_of.contains_key(&(**seller, (**sku).to_owned())))
            .map(|(seller, sku)| (*seller, *sku))
            .unzip();
        let rows = sqlx::query(
            "SELECT l.id, l.seller_id, l.sku FROM listings l
               JOIN UNNEST($1::uuid[], $2::text[]) AS k(seller_id, sku) USING (seller_id, sku)",
        )
        .bind(&unwritten_sellers)
        .bind(&unwritten_skus)
        .fetch_all(&mut *conn)
        .await?;
        id_of.extend(rows.into_iter().map(|r| ((r.get("seller_id"), r.get("sku")), r.get("id"))));
    }
    let fitment_changed = sync_fitment(conn, upserts, &id_of, &written).await?;

    let fitment_only: Vec<Uuid> = fitment_changed.iter().filter(|id| !written.contains_key(id)).copied().collect();
    if !fitment_only.is_empty() {
        sqlx::query("UPDATE listings SET updated_at = now() WHERE id = ANY($1)")
            .bind(&fitment_only)
            .execute(&mut *conn)
            .await?;
    }

    let mut outcome = BatchOutcome::default();
    for id in id_of.values() {
        match written.get(id) {
            Some(true) => outcome.inserted += 1,
            Some(false) => outcome.updated += 1,
            None if fitment_changed.contains(id) => outcome.updated += 1,
            None => outcome.unchanged += 1,
        }
    }
    Ok(outcome)
}

/// Replaces the fitment rows of listings whose fitment differs from what is stored,
/// returning the ids of the listings whose fitment changed.
async fn sync_fitment(
    conn: &mut PgConnection,
    upserts: &[(Uuid, Box<ListingInput>)],
    id_of: &HashMap<(Uuid, String), Uuid>,
    written: &HashMap<Uuid, bool>,
) -> sqlx::Result<HashSet<Uuid>> {
    // Listings inserted by this batch have no fitment yet: only the others are read.
    let existing: Vec<Uuid> = id_of.values().filter(|id| written.get(id) != Some(&true)).copied().collect();
    let mut stored: HashMap<Uuid, Vec<Fitment>> = HashMap::new();
    if !existing.is_empty() {
        let rows = sqlx::query(
            "SELECT listing_id, make, model, year_from, year_to FROM listing_fitment
              WHERE listing_id = ANY($1) ORDER BY listing_id, position",
        )
        .bind(&existing)
        .fetch_all(&mut *conn)
        .await?;
        for r in rows {
            stored.entry(r.get("listing_id")).or_default().push(Fitment {
                make: r.get("make"),
                model: r.get("model"),
                year_from: r.get("year_from"),
                year_to: r.get("year_to"),
            });
        }
    }
    let mut changed = HashSet::new();
    let mut to_clear = Vec::new();
    let (mut f_ids, mut f_pos, mut f_make, mut f_model, mut f_from, mut f_to) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (seller_id, listing) in upserts {
        let Some(&id) = id_of.get(&(*seller_id, listing.sku.clone())) else {
            continue;
        };
        let current = stored.get(&id).map(Vec::as_slice).unwrap_or(&[]);
        if current == listing.fitment.as_slice() || !changed.insert(id) {
            continue;
        }
        if !current.is_empty() {
            to_clear.push(id);
        }
        for (position, f) in listing.fitment.iter().enumerate() {
            f_ids.push(id);
            f_pos.push(position as i16);
            f_make.push(f.make.as_str());
            f_model.push(f.model.as_str());
            f_from.push(f.year_from);
            f_to.push(f.year_to);
        }
    }
    if !to_clear.is_empty() {
        sqlx::query("DELETE FROM listing_fitment WHERE listing_id = ANY($1)")
            .bind(&to_clear)
            .execute(&mut *conn)
            .await?;
    }
    if !f_ids.is_empty() {
        sqlx::query(
            "INSERT INTO listing_fitment (listing_id, position, make, model, year_from, year_to)
             SELECT * FROM UNNEST($1::uuid[], $2::int2[], $3::text[], $4::text[], $5::int2[], $6::int2[])",
        )
        .bind(&f_ids)
        .bind(&f_pos)
        .bind(&f_make)
        .bind(&f_model)
        .bind(&f_from)
        .bind(&f_to)
        .execute(&mut *conn)
        .await?;
    }
    Ok(changed)
}

async fn delete_listings(conn: &mut PgConnection, deletes: &[(Uuid, String)]) -> sqlx::Result<BatchOutcome> {
    if deletes.is_empty() {
        return Ok(BatchOutcome::default());
    }
    let seller_ids: Vec<Uuid> = deletes.iter().map(|(s, _)| *s).collect();
    let skus: Vec<&str> = deletes.iter().map(|(_, sku)| sku.as_str()).collect();
    let deleted = sqlx::query(
        "DELETE FROM listings l USING UNNEST($1::uuid[], $2::text[]) AS k(seller_id, sku)
          WHERE l.seller_id = k.seller_id AND l.sku = k.sku",
    )
    .bind(&seller_ids)
    .bind(&skus)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(BatchOutcome { deleted, not_found: deletes.len() as u64 - deleted, ..BatchOutcome::default() })
}
