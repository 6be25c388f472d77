//! Proofs of an email address or a phone number: `contact_verifications`, and the
//! ownership columns of `users`.

use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, Row};
use uuid::Uuid;

/// Verifications sent to the account on `channel` since `since`.
pub async fn issued_since(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    channel: &str,
    since: DateTime<Utc>,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT count(*) FROM contact_verifications WHERE user_id = $1 AND channel = $2 AND created_at > $3",
    )
    .bind(user_id)
    .bind(channel)
    .bind(since)
    .fetch_one(db)
    .await
}

/// A verification about to be stored.
pub struct NewVerification<'a> {
    pub id: Uuid,
    pub user_id: Uuid,
    pub channel: &'a str,
    pub contact_hash: &'a [u8],
    pub code_hash: Option<&'a [u8]>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert(db: impl PgExecutor<'_>, verification: &NewVerification<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO contact_verifications (id, user_id, channel, contact_hash, code_hash, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(verification.id)
    .bind(verification.user_id)
    .bind(verification.channel)
    .bind(verification.contact_hash)
    .bind(verification.code_hash)
    .bind(verification.created_at)
    .bind(verification.expires_at)
    .execute(db)
    .await?;
    Ok(())
}

/// A stored verification.
#[derive(Debug, Clone)]
pub struct VerificationRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub channel: String,
    pub contact_hash: Vec<u8>,
    pub code_hash: Option<Vec<u8>>,
    pub expires_at: DateTime<Utc>,
    pub attempts: i32,
    pub used_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, user_id, channel, contact_hash, code_hash, expires_at, attempts, used_at";

fn row_of(row: sqlx::postgres::PgRow) -> sqlx::Result<VerificationRow> {
    Ok(VerificationRow {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        channel: row.try_get("channel")?,
        contact_hash: row.try_get("contact_hash")?,
        code_hash: row.try_get("code_hash")?,
        expires_at: row.try_get("expires_at")?,
        attempts: row.try_get("attempts")?,
        used_at: row.try_get("used_at")?,
    })
}

/// The verification `id`, without a lock.
pub async fn by_id(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<VerificationRow>> {
    let sql = format!("SELECT {COLUMNS} FROM contact_verifications WHERE id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(db).await?.map(row_of).transpose()
}

/// The verification `id`, locked until the transaction ends.
pub async fn lock(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<VerificationRow>> {
    let sql = format!("SELECT {COLUMNS} FROM contact_verifications WHERE id = $1 FOR UPDATE");
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(db).await?.map(row_of).transpose()
}

/// The account's latest unused code, locked until the transaction ends.
pub async fn lock_latest_sms(db: impl PgExecutor<'_>, user_id: Uuid) -> sqlx::Result<Option<VerificationRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM contact_verifications
          WHERE user_id = $1 AND channel = 'sms' AND used_at IS NULL
          ORDER BY created_at DESC LIMIT 1 FOR UPDATE"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user_id).fetch_optional(db).await?.map(row_of).transpose()
}

pub async fn count_failed_attempt(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("UPDATE contact_verifications SET attempts = attempts + 1 WHERE id = $1").bind(id).execute(db).await?;
    Ok(())
}

/// Spends every open verification of the account on `channel`.
pub async fn spend_all(db: impl PgExecutor<'_>, user_id: Uuid, channel: &str, at: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE contact_verifications SET used_at = $3 WHERE user_id = $1 AND channel = $2 AND used_at IS NULL",
    )
    .bind(user_id)
    .bind(channel)
    .bind(at)
    .execute(db)
    .await?;
    Ok(())
}

/// Marks the account's email verified, if it is still the one proven (an unchanged
/// `email`); whether it was.
pub async fn mark_email_verified(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    email: &str,
    at: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE users SET email_verified_at = COALESCE(email_verified_at, $3), updated_at = $3
          WHERE id = $1 AND email = $2",
    )
    .bind(user_id)
    .bind(email)
    .bind(at)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks the account's phone verified, if it is still the one proven.
pub async fn mark_phone_verified(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    phone_hash: &[u8],
    at: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE users SET phone_verified_at = COALESCE(phone_verified_at, $3), updated_at = $3
          WHERE id = $1 AND phone_hash = $2",
    )
    .bind(user_id)
    .bind(phone_hash)
    .bind(at)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Takes `email` from the unverified account holding it, if one does; that account's id.
pub async fn release_unverified_email(
    db: impl PgExecutor<'_>,
    email: &str,
    at: DateTime<Utc>,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar(
        "UPDATE users SET email = NULL, updated_at = $2
          WHERE email = $1 AND email_verified_at IS NULL RETURNING id",
    )
    .bind(email)
    .bind(at)
    .fetch_optional(db)
    .await
}

/// Takes the phone with `phone_hash` from the unverified account holding it, if one
/// does; that account's id.
pub async fn release_unverified_phone(
    db: impl PgExecutor<'_>,
    phone_hash: &[u8],
    at: DateTime<Utc>,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar(
        "UPDATE users SET phone_hash = NULL, phone_encrypted = NULL, updated_at = $2
          WHERE phone_hash = $1 AND phone_verified_at IS NULL RETURNING id",
    )
    .bind(phone_hash)
    .bind(at)
    .fetch_optional(db)
    .await
}

/// Whether the account still has an email or a phone to sign in with.
pub async fn has_contact(db: impl PgExecutor<'_>, user_id: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM users WHERE id = $1 AND (email IS NOT NULL OR phone_hash IS NOT NULL))",
    )
    .bind(user_id)
    .fetch_one(db)
    .await
}
