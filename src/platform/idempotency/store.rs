//! The SQL of idempotency keys.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};

use super::{Answer, KeyUse};

/// Takes the key's transaction-scoped advisory lock without waiting; false when another
/// transaction holds it. The lock goes with the transaction, crash included.
pub(super) async fn try_lock(tx: &mut PgConnection, usage: &KeyUse<'_>) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!("idempotency:{}:{}:{}", usage.scope, usage.user_id, usage.key.as_str()))
        .fetch_one(tx)
        .await
}

/// The fingerprint and answer kept for the key, unless expired.
pub(super) async fn find(
    tx: &mut PgConnection,
    usage: &KeyUse<'_>,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<(Vec<u8>, Answer)>> {
    let row: Option<(Vec<u8>, i16, serde_json::Value)> = sqlx::query_as(
        "SELECT request_hash, status, body FROM idempotency_keys
          WHERE user_id = $1 AND scope = $2 AND key = $3 AND expires_at > $4",
    )
    .bind(usage.user_id)
    .bind(usage.scope)
    .bind(usage.key.as_str())
    .bind(now)
    .fetch_optional(tx)
    .await?;
    Ok(row.map(|(hash, status, body)| (hash, Answer { status: status as u16, body })))
}

/// Stores the answer, replacing an expired one under the same key.
pub(super) async fn save(
    tx: &mut PgConnection,
    usage: &KeyUse<'_>,
    answer: &Answer,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO idempotency_keys (user_id, scope, key, request_hash, status, body, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (user_id, scope, key) DO UPDATE
            SET request_hash = EXCLUDED.request_hash, status = EXCLUDED.status, body = EXCLUDED.body,
                created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at",
    )
    .bind(usage.user_id)
    .bind(usage.scope)
    .bind(usage.key.as_str())
    .bind(&usage.fingerprint[..])
    .bind(answer.status as i16)
    .bind(&answer.body)
    .bind(now)
    .bind(expires_at)
    .execute(tx)
    .await?;
    Ok(())
}

pub(super) async fn purge(db: impl PgExecutor<'_>, now: DateTime<Utc>) -> sqlx::Result<u64> {
    Ok(sqlx::query("DELETE FROM idempotency_keys WHERE expires_at <= $1").bind(now).execute(db).await?.rows_affected())
}
