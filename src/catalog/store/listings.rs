//! Listings: every read of a listing view, and the single-listing edits of the sync API.

use rust_decimal::Decimal;
use sqlx::{PgConnection, PgExecutor, PgPool, Row};
use uuid::Uuid;

use crate::catalog::listings::ListingView;
use crate::platform::pagination::PageParams;

/// The columns of a listing view with the given fitment expression, then `$tail`.
macro_rules! listing_select_with {
    (fitment = $fitment:literal, $($tail:literal),*) => {
        concat!(
            "SELECT l.id, l.sku, l.title, l.title_ar, l.description, l.category, l.brand, l.condition,
                    l.price_sar, l.quantity, l.city, l.photos, l.oem_numbers, l.status, l.created_at, l.updated_at,
                    s.id AS seller_id, s.name AS seller_name, s.city AS seller_city,
                    s.verified_at IS NOT NULL AS seller_verified,
                    COALESCE((SELECT json_agg(p.sizes ORDER BY p.position) FROM listing_photos p
                               WHERE p.listing_id = l.id AND p.status = 'ready'), '[]'::json) AS images, ",
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
        $crate::catalog::store::listing_select_with!(
            fitment = "COALESCE((SELECT json_agg(json_build_object('make', f.make, 'model', f.model,
                                                                 'year_from', f.year_from, 'year_to', f.year_to)
                                               ORDER BY f.position)
                                 FROM listing_fitment f WHERE f.listing_id = l.id), '[]'::json)",
            $($tail),*
        )
    };
}
pub(crate) use listing_select;

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

/// A page of a seller's listings (only those with `status`, when given), most
/// recently changed first, and how many there are in all.
pub async fn seller_listing_page(
    db: &PgPool,
    seller_id: Uuid,
    status: Option<&str>,
    page: PageParams,
) -> sqlx::Result<(u64, Vec<ListingView>)> {
    let total: i64 =
        sqlx::query_scalar("SELECT count(*) FROM listings WHERE seller_id = $1 AND ($2::text IS NULL OR status = $2)")
            .bind(seller_id)
            .bind(status)
            .fetch_one(db)
            .await?;
    let rows = sqlx::query(listing_select!(
        "WHERE l.seller_id = $1 AND ($2::text IS NULL OR l.status = $2)
         ORDER BY l.updated_at DESC, l.id LIMIT $3 OFFSET $4"
    ))
    .bind(seller_id)
    .bind(status)
    .bind(i64::from(page.limit))
    .bind(page.offset())
    .fetch_all(db)
    .await?;
    let listings = rows.iter().map(ListingView::from_row).collect::<Result<_, _>>()?;
    Ok((total.max(0) as u64, listings))
}

/// Sets what is given of a listing's price, stock and status; returns whether that
/// changed anything (an edit to the values already stored writes nothing).
pub async fn update_listing(
    conn: &mut PgConnection,
    seller_id: Uuid,
    sku: &str,
    price_sar: Option<Decimal>,
    quantity: Option<i32>,
    status: Option<&str>,
) -> sqlx::Result<bool> {
    let updated = sqlx::query(
        "UPDATE listings SET price_sar = COALESCE($3, price_sar),
                quantity = COALESCE(greatest($4 - held_units(id), 0), quantity),
                status = COALESCE($5, status), updated_at = now()
          WHERE seller_id = $1 AND sku = $2
            AND (price_sar, quantity, status) IS DISTINCT FROM
                (COALESCE($3, price_sar), COALESCE(greatest($4 - held_units(id), 0), quantity),
                 COALESCE($5, status))
          RETURNING id",
    )
    .bind(seller_id)
    .bind(sku)
    .bind(price_sar)
    .bind(quantity)
    .bind(status)
    .fetch_optional(conn)
    .await?;
    Ok(updated.is_some())
}

/// Removes one of a seller's listings; returns its id, or `None` when there was none.
pub async fn delete_listing<'e>(db: impl PgExecutor<'e>, seller_id: Uuid, sku: &str) -> sqlx::Result<Option<Uuid>> {
    let row = sqlx::query("DELETE FROM listings WHERE seller_id = $1 AND sku = $2 RETURNING id")
        .bind(seller_id)
        .bind(sku)
        .fetch_optional(db)
        .await?;
    Ok(row.map(|row| row.get("id")))
}

/// Listings in the catalog, whatever their status.
pub async fn count_listings<'e>(db: impl PgExecutor<'e>) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT count(*) FROM listings").fetch_one(db).await
}

/// Refreshes the planner's statistics of the catalog's tables.
pub async fn analyze<'e>(db: impl PgExecutor<'e>) -> sqlx::Result<()> {
    sqlx::query("ANALYZE sellers, listings, listing_fitment").execute(db).await?;
    Ok(())
}
