//! A seller's own view of its inventory-sync keys: `seller_api_keys`, always scoped
//! to one seller.

use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, Row};
use uuid::Uuid;

pub async fn count_active(db: impl PgExecutor<'_>, seller_id: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT count(*) FROM seller_api_keys WHERE seller_id = $1 AND revoked_at IS NULL")
        .bind(seller_id)
        .fetch_one(db)
        .await
}

/// A key without its secret.
#[derive(Debug, Clone)]
pub struct ApiKeyRow {
    pub id: Uuid,
    pub prefix: String,
    pub label: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The seller's keys, active first, then newest first; at most `limit`.
pub async fn list(db: impl PgExecutor<'_>, seller_id: Uuid, limit: i64) -> sqlx::Result<Vec<ApiKeyRow>> {
    let rows = sqlx::query(
        "SELECT id, prefix, label, created_at, last_used_at, revoked_at FROM seller_api_keys
          WHERE seller_id = $1
          ORDER BY revoked_at IS NOT NULL, created_at DESC, id LIMIT $2",
    )
    .bind(seller_id)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(ApiKeyRow {
                id: row.try_get("id")?,
                prefix: row.try_get("prefix")?,
                label: row.try_get("label")?,
                created_at: row.try_get("created_at")?,
                last_used_at: row.try_get("last_used_at")?,
                revoked_at: row.try_get("revoked_at")?,
            })
        })
        .collect()
}

/// Revokes the seller's key `id` (keeping the first revocation time); its prefix, or
/// `None` when the seller has no such key.
pub async fn revoke(
    db: impl PgExecutor<'_>,
    id: Uuid,
    seller_id: Uuid,
    at: DateTime<Utc>,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "UPDATE seller_api_keys SET revoked_at = COALESCE(revoked_at, $3)
          WHERE id = $1 AND seller_id = $2 RETURNING prefix",
    )
    .bind(id)
    .bind(seller_id)
    .bind(at)
    .fetch_optional(db)
    .await
}
