//! Listing photos: `listing_photos`.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::catalog::photos::PhotoView;

const PHOTO_COLUMNS: &str = "id, position, status, format, width, height, sizes, error, created_at";

/// The id of the seller's listing `sku`, whatever its status.
pub async fn listing_of(db: &PgPool, seller_id: Uuid, sku: &str) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar("SELECT id FROM listings WHERE seller_id = $1 AND sku = $2")
        .bind(seller_id)
        .bind(sku)
        .fetch_optional(db)
        .await
}

/// Locks the listing until the transaction ends, so concurrent uploads number their
/// photos one after the other; its photos so far.
pub async fn lock_and_count(tx: &mut PgConnection, listing_id: Uuid) -> sqlx::Result<i64> {
    sqlx::query("SELECT 1 FROM listings WHERE id = $1 FOR UPDATE").bind(listing_id).execute(&mut *tx).await?;
    sqlx::query_scalar("SELECT count(*) FROM listing_photos WHERE listing_id = $1").bind(listing_id).fetch_one(tx).await
}

/// A photo about to be recorded.
pub struct NewPhoto<'a> {
    pub id: Uuid,
    pub listing_id: Uuid,
    pub original_key: &'a str,
    pub format: &'a str,
    pub width: i32,
    pub height: i32,
    pub bytes: i32,
    pub now: DateTime<Utc>,
}

/// Records the photo, `processing`, after the listing's others.
pub async fn insert(tx: &mut PgConnection, photo: &NewPhoto<'_>) -> sqlx::Result<PhotoView> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO listing_photos (id, listing_id, position, status, original_key, format, width, height, bytes,
                                     created_at, updated_at)
         VALUES ($1, $2, (SELECT coalesce(max(position) + 1, 0) FROM listing_photos WHERE listing_id = $2),
                 'processing', $3, $4, $5, $6, $7, $8, $8)
         RETURNING {PHOTO_COLUMNS}"
    )))
    .bind(photo.id)
    .bind(photo.listing_id)
    .bind(photo.original_key)
    .bind(photo.format)
    .bind(photo.width)
    .bind(photo.height)
    .bind(photo.bytes)
    .bind(photo.now)
    .fetch_one(tx)
    .await
}

pub async fn of_listing(db: &PgPool, listing_id: Uuid) -> sqlx::Result<Vec<PhotoView>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {PHOTO_COLUMNS} FROM listing_photos WHERE listing_id = $1 ORDER BY position"
    )))
    .bind(listing_id)
    .fetch_all(db)
    .await
}

/// The original's key of a photo still waiting for its sizes.
pub async fn processing(db: &PgPool, photo_id: Uuid) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT original_key FROM listing_photos WHERE id = $1 AND status = 'processing'")
        .bind(photo_id)
        .fetch_optional(db)
        .await
}

/// The sizes exist: the photo shows (the update re-indexes its listing).
pub async fn ready(db: &PgPool, photo_id: Uuid, sizes: &serde_json::Value) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE listing_photos SET status = 'ready', sizes = $2, error = NULL, updated_at = now()
          WHERE id = $1 AND status = 'processing'",
    )
    .bind(photo_id)
    .bind(sizes)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn failed(db: &PgPool, photo_id: Uuid, reason: &str) -> sqlx::Result<()> {
    let reason: String = reason.chars().take(500).collect();
    sqlx::query(
        "UPDATE listing_photos SET status = 'failed', error = $2, updated_at = now() WHERE id = $1 AND status = 'processing'",
    )
    .bind(photo_id)
    .bind(reason)
    .execute(db)
    .await?;
    Ok(())
}
