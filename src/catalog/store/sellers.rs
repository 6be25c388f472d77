//! Sellers: the one statement that creates them, and their reads.

use std::collections::HashMap;

use sqlx::{PgConnection, PgExecutor, Row};
use uuid::Uuid;

use crate::catalog::feed::SellerInput;
use crate::catalog::sellers::{SellerTaxProfile, SellerView};

/// Creates the sellers named and updates the name and city of those that exist
/// (an empty city leaves the stored one); returns the id of each by external id.
///
/// Every seller record is created here: by the import, by a seller account
/// registering, and by the command line.
pub async fn upsert_sellers(conn: &mut PgConnection, sellers: &[SellerInput]) -> sqlx::Result<HashMap<String, Uuid>> {
    if sellers.is_empty() {
        return Ok(HashMap::new());
    }
    let external_ids: Vec<&str> = sellers.iter().map(|s| s.external_id.as_str()).collect();
    let names: Vec<&str> = sellers.iter().map(|s| s.name.as_str()).collect();
    let cities: Vec<&str> = sellers.iter().map(|s| s.city.as_str()).collect();
    sqlx::query(
        "INSERT INTO sellers (external_id, name, city)
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[])
         ON CONFLICT (external_id) DO UPDATE
            SET name = EXCLUDED.name,
                city = CASE WHEN EXCLUDED.city = '' THEN sellers.city ELSE EXCLUDED.city END,
                updated_at = now()
          WHERE (sellers.name, sellers.city) IS DISTINCT FROM
                (EXCLUDED.name, CASE WHEN EXCLUDED.city = '' THEN sellers.city ELSE EXCLUDED.city END)",
    )
    .bind(&external_ids)
    .bind(&names)
    .bind(&cities)
    .execute(&mut *conn)
    .await?;
    let rows = sqlx::query("SELECT id, external_id FROM sellers WHERE external_id = ANY($1)")
        .bind(&external_ids)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.into_iter().map(|r| (r.get::<String, _>("external_id"), r.get::<Uuid, _>("id"))).collect())
}

/// The id of the seller with this external id.
pub async fn seller_id<'e>(db: impl PgExecutor<'e>, external_id: &str) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar("SELECT id FROM sellers WHERE external_id = $1").bind(external_id).fetch_optional(db).await
}

/// The public profile of an active seller.
pub async fn seller_profile<'e>(db: impl PgExecutor<'e>, id: Uuid) -> sqlx::Result<Option<SellerView>> {
    let row = sqlx::query(
        "SELECT s.id, s.name, s.city, s.created_at, s.verified_at IS NOT NULL AS verified,
                (SELECT count(*) FROM listings l WHERE l.seller_id = s.id AND l.status = 'active') AS active_listings
           FROM sellers s WHERE s.id = $1 AND s.status = 'active'",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|row| SellerView {
        id: row.get("id"),
        name: row.get("name"),
        city: row.get("city"),
        verified: row.get("verified"),
        active_listings: row.get("active_listings"),
        member_since: row.get("created_at"),
    }))
}

/// Sets the seller's VAT number; `None` when there is no such seller.
pub async fn set_vat_number<'e>(
    db: impl PgExecutor<'e>,
    id: Uuid,
    vat_number: Option<&str>,
) -> sqlx::Result<Option<SellerTaxProfile>> {
    let row: Option<(Uuid, String, Option<String>)> = sqlx::query_as(
        "UPDATE sellers SET vat_number = $2, updated_at = now() WHERE id = $1 RETURNING id, name, vat_number",
    )
    .bind(id)
    .bind(vat_number)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(id, name, vat_number)| SellerTaxProfile { id, name, vat_number }))
}
