//! Sessions and their refresh tokens: `auth_sessions` and `refresh_tokens`.

use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, Row};
use uuid::Uuid;

pub async fn insert_session(
    db: impl PgExecutor<'_>,
    id: Uuid,
    user_id: Uuid,
    at: DateTime<Utc>,
    ip: Option<&str>,
    user_agent: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO auth_sessions (id, user_id, created_at, ip, user_agent)
         VALUES ($1, $2, $3, $4::inet, $5)",
    )
    .bind(id)
    .bind(user_id)
    .bind(at)
    .bind(ip)
    .bind(user_agent)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn insert_refresh_token(
    db: impl PgExecutor<'_>,
    session_id: Uuid,
    token_hash: &[u8],
    at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO refresh_tokens (session_id, token_hash, created_at, expires_at)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(session_id)
    .bind(token_hash)
    .bind(at)
    .bind(expires_at)
    .execute(db)
    .await?;
    Ok(())
}

/// A refresh token with its session.
#[derive(Debug, Clone)]
pub struct RefreshTokenRow {
    pub id: Uuid,
    pub session_id: Uuid,
    pub user_id: Uuid,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    /// When the session ended, if it has.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The refresh token with `token_hash`, its row and its session's locked until the
/// transaction ends.
pub async fn lock_refresh_token(db: impl PgExecutor<'_>, token_hash: &[u8]) -> sqlx::Result<Option<RefreshTokenRow>> {
    let row = sqlx::query(
        "SELECT t.id, t.session_id, t.expires_at, t.used_at, s.user_id, s.revoked_at
           FROM refresh_tokens t JOIN auth_sessions s ON s.id = t.session_id
          WHERE t.token_hash = $1
            FOR UPDATE OF t, s",
    )
    .bind(token_hash)
    .fetch_optional(db)
    .await?;
    row.map(|row| {
        Ok(RefreshTokenRow {
            id: row.try_get("id")?,
            session_id: row.try_get("session_id")?,
            user_id: row.try_get("user_id")?,
            expires_at: row.try_get("expires_at")?,
            used_at: row.try_get("used_at")?,
            revoked_at: row.try_get("revoked_at")?,
        })
    })
    .transpose()
}

pub async fn spend_refresh_token(db: impl PgExecutor<'_>, id: Uuid, at: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query("UPDATE refresh_tokens SET used_at = $2 WHERE id = $1").bind(id).bind(at).execute(db).await?;
    Ok(())
}

/// Ends the session unless it already ended.
pub async fn end_session(
    db: impl PgExecutor<'_>,
    session_id: Uuid,
    at: DateTime<Utc>,
    reason: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE auth_sessions SET revoked_at = $2, revoked_reason = $3
          WHERE id = $1 AND revoked_at IS NULL",
    )
    .bind(session_id)
    .bind(at)
    .bind(reason)
    .execute(db)
    .await?;
    Ok(())
}

/// Ends every open session of `user_id` but `keep`; how many ended.
pub async fn end_user_sessions(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    keep: Option<Uuid>,
    at: DateTime<Utc>,
    reason: &str,
) -> sqlx::Result<u64> {
    let result = sqlx::query(
        "UPDATE auth_sessions SET revoked_at = $3, revoked_reason = $4
          WHERE user_id = $1 AND revoked_at IS NULL AND id IS DISTINCT FROM $2",
    )
    .bind(user_id)
    .bind(keep)
    .bind(at)
    .bind(reason)
    .execute(db)
    .await?;
    Ok(result.rows_affected())
}

/// A session as its owner's data export shows it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct SessionRecord {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_reason: Option<String>,
    /// The address the session signed in from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
}

/// Every session of `user_id`, oldest first.
pub async fn of_user(db: impl PgExecutor<'_>, user_id: Uuid) -> sqlx::Result<Vec<SessionRecord>> {
    sqlx::query_as(
        "SELECT id, created_at, revoked_at, revoked_reason, host(ip) AS ip, user_agent
           FROM auth_sessions WHERE user_id = $1 ORDER BY created_at, id",
    )
    .bind(user_id)
    .fetch_all(db)
    .await
}
