//! Sign-in codes sent by SMS: `phone_otps`.

use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, Row};
use uuid::Uuid;

/// Holds the transaction-scoped advisory lock `key` until the transaction ends.
pub async fn lock_phone(db: impl PgExecutor<'_>, key: i64) -> sqlx::Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(key).execute(db).await?;
    Ok(())
}

/// The codes issued to a number since some moment.
#[derive(Debug, Clone, Copy)]
pub struct Issued {
    pub count: i64,
    /// When the oldest of them was issued.
    pub oldest: Option<DateTime<Utc>>,
}

pub async fn issued_since(db: impl PgExecutor<'_>, phone_hash: &[u8], since: DateTime<Utc>) -> sqlx::Result<Issued> {
    let row = sqlx::query(
        "SELECT count(*) AS sent, min(created_at) AS oldest FROM phone_otps
          WHERE phone_hash = $1 AND created_at > $2",
    )
    .bind(phone_hash)
    .bind(since)
    .fetch_one(db)
    .await?;
    Ok(Issued { count: row.try_get("sent")?, oldest: row.try_get("oldest")? })
}

pub async fn insert(
    db: impl PgExecutor<'_>,
    phone_hash: &[u8],
    code_hash: &[u8],
    at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO phone_otps (phone_hash, code_hash, created_at, expires_at)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(phone_hash)
    .bind(code_hash)
    .bind(at)
    .bind(expires_at)
    .execute(db)
    .await?;
    Ok(())
}

/// An unspent code.
#[derive(Debug, Clone)]
pub struct OtpRow {
    pub id: Uuid,
    pub code_hash: Vec<u8>,
    pub expires_at: DateTime<Utc>,
    pub attempts: i32,
}

/// The latest unspent code sent to a number, locked until the transaction ends.
pub async fn lock_latest_unspent(db: impl PgExecutor<'_>, phone_hash: &[u8]) -> sqlx::Result<Option<OtpRow>> {
    let row = sqlx::query(
        "SELECT id, code_hash, expires_at, attempts FROM phone_otps
          WHERE phone_hash = $1 AND consumed_at IS NULL
          ORDER BY created_at DESC LIMIT 1
            FOR UPDATE",
    )
    .bind(phone_hash)
    .fetch_optional(db)
    .await?;
    row.map(|row| {
        Ok(OtpRow {
            id: row.try_get("id")?,
            code_hash: row.try_get("code_hash")?,
            expires_at: row.try_get("expires_at")?,
            attempts: row.try_get("attempts")?,
        })
    })
    .transpose()
}

pub async fn count_failed_attempt(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("UPDATE phone_otps SET attempts = attempts + 1 WHERE id = $1").bind(id).execute(db).await?;
    Ok(())
}

pub async fn spend(db: impl PgExecutor<'_>, id: Uuid, at: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query("UPDATE phone_otps SET consumed_at = $2 WHERE id = $1").bind(id).bind(at).execute(db).await?;
    Ok(())
}
