//! Second factors: `user_totp`, `recovery_codes` and `mfa_challenges`.

use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, Row};
use uuid::Uuid;

use crate::auth::mfa::OpenChallenge;

/// Stores a new, unconfirmed authenticator secret for `user_id`, replacing an
/// unconfirmed one; `false` when a confirmed authenticator is there, which is kept.
pub async fn upsert_pending_totp(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    secret_encrypted: &str,
    at: DateTime<Utc>,
) -> sqlx::Result<bool> {
    // The WHERE makes the upsert a no-op on a confirmed row, which the row count reports.
    let written = sqlx::query(
        "INSERT INTO user_totp (user_id, secret_encrypted, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (user_id) DO UPDATE
            SET secret_encrypted = EXCLUDED.secret_encrypted, created_at = EXCLUDED.created_at,
                last_used_step = NULL
          WHERE user_totp.confirmed_at IS NULL",
    )
    .bind(user_id)
    .bind(secret_encrypted)
    .bind(at)
    .execute(db)
    .await?
    .rows_affected();
    Ok(written > 0)
}

/// An authenticator as stored.
#[derive(Debug, Clone)]
pub struct TotpRow {
    /// Sealed with the user's id as associated data.
    pub secret_encrypted: String,
    pub confirmed: bool,
}

/// The authenticator of `user_id`, confirmed or not, locked until the transaction ends.
pub async fn lock_totp(db: impl PgExecutor<'_>, user_id: Uuid) -> sqlx::Result<Option<TotpRow>> {
    let row = sqlx::query(
        "SELECT secret_encrypted, confirmed_at IS NOT NULL AS confirmed
           FROM user_totp WHERE user_id = $1 FOR UPDATE",
    )
    .bind(user_id)
    .fetch_optional(db)
    .await?;
    row.map(|row| {
        Ok(TotpRow { secret_encrypted: row.try_get("secret_encrypted")?, confirmed: row.try_get("confirmed")? })
    })
    .transpose()
}

/// The sealed secret of the confirmed authenticator of `user_id`, locked until the
/// transaction ends.
pub async fn lock_confirmed_totp_secret(db: impl PgExecutor<'_>, user_id: Uuid) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT secret_encrypted FROM user_totp
          WHERE user_id = $1 AND confirmed_at IS NOT NULL FOR UPDATE",
    )
    .bind(user_id)
    .fetch_optional(db)
    .await
}

/// Confirms the authenticator, remembering `step` as used.
pub async fn confirm_totp(db: impl PgExecutor<'_>, user_id: Uuid, at: DateTime<Utc>, step: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE user_totp SET confirmed_at = $2, last_used_step = $3 WHERE user_id = $1")
        .bind(user_id)
        .bind(at)
        .bind(step)
        .execute(db)
        .await?;
    Ok(())
}

/// Remembers `step` as used unless it, or a later one, already was; `false` then.
pub async fn advance_totp_step(db: impl PgExecutor<'_>, user_id: Uuid, step: i64) -> sqlx::Result<bool> {
    let fresh = sqlx::query(
        "UPDATE user_totp SET last_used_step = $2
          WHERE user_id = $1 AND (last_used_step IS NULL OR last_used_step < $2)",
    )
    .bind(user_id)
    .bind(step)
    .execute(db)
    .await?
    .rows_affected();
    Ok(fresh > 0)
}

pub async fn delete_totp(db: impl PgExecutor<'_>, user_id: Uuid) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM user_totp WHERE user_id = $1").bind(user_id).execute(db).await?;
    Ok(())
}

pub async fn delete_recovery_codes(db: impl PgExecutor<'_>, user_id: Uuid) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user_id).execute(db).await?;
    Ok(())
}

pub async fn insert_recovery_codes(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    code_hashes: &[Vec<u8>],
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO recovery_codes (user_id, code_hash, created_at)
         SELECT $1, hash, $3 FROM unnest($2::bytea[]) AS hash",
    )
    .bind(user_id)
    .bind(code_hashes)
    .bind(at)
    .execute(db)
    .await?;
    Ok(())
}

/// Spends the unused recovery code with `code_hash`; `false` when there is none.
pub async fn spend_recovery_code(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    code_hash: &[u8],
    at: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let spent = sqlx::query(
        "UPDATE recovery_codes SET used_at = $3
          WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
    )
    .bind(user_id)
    .bind(code_hash)
    .bind(at)
    .execute(db)
    .await?
    .rows_affected();
    Ok(spent == 1)
}

/// A challenge for the second factor after `first_factor` succeeded.
pub struct NewChallenge<'a> {
    pub user_id: Uuid,
    pub token_hash: &'a [u8],
    pub first_factor: &'a str,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert_challenge(db: impl PgExecutor<'_>, challenge: NewChallenge<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO mfa_challenges (user_id, token_hash, method, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(challenge.user_id)
    .bind(challenge.token_hash)
    .bind(challenge.first_factor)
    .bind(challenge.created_at)
    .bind(challenge.expires_at)
    .execute(db)
    .await?;
    Ok(())
}

/// The challenge with `token_hash` if it is unspent, unexpired at `now` and has had
/// fewer than `max_attempts` attempts, locked until the transaction ends.
pub async fn lock_open_challenge(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    now: DateTime<Utc>,
    max_attempts: i32,
) -> sqlx::Result<Option<OpenChallenge>> {
    let row = sqlx::query(
        "SELECT id, user_id, method FROM mfa_challenges
          WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 AND attempts < $3
            FOR UPDATE",
    )
    .bind(token_hash)
    .bind(now)
    .bind(max_attempts)
    .fetch_optional(db)
    .await?;
    row.map(|row| {
        Ok(OpenChallenge {
            id: row.try_get("id")?,
            user_id: row.try_get("user_id")?,
            first_factor: row.try_get("method")?,
        })
    })
    .transpose()
}

pub async fn spend_challenge(db: impl PgExecutor<'_>, id: Uuid, at: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query("UPDATE mfa_challenges SET used_at = $2 WHERE id = $1").bind(id).bind(at).execute(db).await?;
    Ok(())
}

pub async fn count_failed_attempt(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("UPDATE mfa_challenges SET attempts = attempts + 1 WHERE id = $1").bind(id).execute(db).await?;
    Ok(())
}

/// Closes every open challenge of the account: they were opened with a password that
/// no longer holds.
pub async fn close_challenges(db: impl PgExecutor<'_>, user_id: Uuid, at: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query("UPDATE mfa_challenges SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL")
        .bind(user_id)
        .bind(at)
        .execute(db)
        .await?;
    Ok(())
}
