//! Seller API keys: stored as digests, looked up by digest.

use sqlx::{PgExecutor, Row};
use uuid::Uuid;

/// An active key of an active seller.
#[derive(Debug, Clone)]
pub struct ActiveKey {
    pub key_id: Uuid,
    pub seller_id: Uuid,
    pub external_id: String,
    /// Its last use was recorded over a minute ago, or never.
    pub stale: bool,
}

/// Stores a new key by its digest; returns its id.
pub async fn insert_key<'e>(
    db: impl PgExecutor<'e>,
    seller_id: Uuid,
    prefix: &str,
    digest: &[u8],
    label: Option<&str>,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar(
        "INSERT INTO seller_api_keys (seller_id, prefix, key_hash, label) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(seller_id)
    .bind(prefix)
    .bind(digest)
    .bind(label)
    .fetch_one(db)
    .await
}

/// The key with this digest, if it is not revoked and its seller is active.
pub async fn active_key<'e>(db: impl PgExecutor<'e>, digest: &[u8]) -> sqlx::Result<Option<ActiveKey>> {
    let row = sqlx::query(
        "SELECT k.id AS key_id, k.last_used_at < now() - interval '1 minute' OR k.last_used_at IS NULL AS stale,
                s.id AS seller_id, s.external_id
           FROM seller_api_keys k JOIN sellers s ON s.id = k.seller_id
          WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND s.status = 'active'",
    )
    .bind(digest)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|row| ActiveKey {
        key_id: row.get("key_id"),
        seller_id: row.get("seller_id"),
        external_id: row.get("external_id"),
        stale: row.get("stale"),
    }))
}

/// Notes that the key was used now.
pub async fn record_key_use<'e>(db: impl PgExecutor<'e>, key_id: Uuid) -> sqlx::Result<()> {
    sqlx::query("UPDATE seller_api_keys SET last_used_at = now() WHERE id = $1").bind(key_id).execute(db).await?;
    Ok(())
}
