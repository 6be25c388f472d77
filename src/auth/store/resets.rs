//! Password resets: `password_resets`.

use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, Row};
use uuid::Uuid;

pub async fn issued_since(db: impl PgExecutor<'_>, user_id: Uuid, since: DateTime<Utc>) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT count(*) FROM password_resets WHERE user_id = $1 AND created_at > $2")
        .bind(user_id)
        .bind(since)
        .fetch_one(db)
        .await
}

/// A reset about to be stored.
pub struct NewReset<'a> {
    pub id: Uuid,
    pub user_id: Uuid,
    pub channel: &'a str,
    pub code_hash: Option<&'a [u8]>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert(db: impl PgExecutor<'_>, reset: &NewReset<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO password_resets (id, user_id, channel, code_hash, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(reset.id)
    .bind(reset.user_id)
    .bind(reset.channel)
    .bind(reset.code_hash)
    .bind(reset.created_at)
    .bind(reset.expires_at)
    .execute(db)
    .await?;
    Ok(())
}

/// A stored reset.
#[derive(Debug, Clone)]
pub struct ResetRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub channel: String,
    pub code_hash: Option<Vec<u8>>,
    pub expires_at: DateTime<Utc>,
    pub attempts: i32,
    pub used_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, user_id, channel, code_hash, expires_at, attempts, used_at";

fn row_of(row: sqlx::postgres::PgRow) -> sqlx::Result<ResetRow> {
    Ok(ResetRow {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        channel: row.try_get("channel")?,
        code_hash: row.try_get("code_hash")?,
        expires_at: row.try_get("expires_at")?,
        attempts: row.try_get("attempts")?,
        used_at: row.try_get("used_at")?,
    })
}

/// The reset `id`, without a lock.
pub async fn by_id(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<ResetRow>> {
    let sql = format!("SELECT {COLUMNS} FROM password_resets WHERE id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(db).await?.map(row_of).transpose()
}

/// The reset `id`, locked until the transaction ends.
pub async fn lock(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<ResetRow>> {
    let sql = format!("SELECT {COLUMNS} FROM password_resets WHERE id = $1 FOR UPDATE");
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(db).await?.map(row_of).transpose()
}

/// The account's latest unused SMS reset.
pub async fn latest_sms(db: impl PgExecutor<'_>, user_id: Uuid) -> sqlx::Result<Option<ResetRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM password_resets
          WHERE user_id = $1 AND channel = 'sms' AND used_at IS NULL
          ORDER BY created_at DESC LIMIT 1"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user_id).fetch_optional(db).await?.map(row_of).transpose()
}

pub async fn count_failed_attempt(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("UPDATE password_resets SET attempts = attempts + 1 WHERE id = $1").bind(id).execute(db).await?;
    Ok(())
}

/// Spends every open reset of the account: one that worked, and any other link or
/// code still on its way, so none opens the account again.
pub async fn spend_all(db: impl PgExecutor<'_>, user_id: Uuid, at: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query("UPDATE password_resets SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL")
        .bind(user_id)
        .bind(at)
        .execute(db)
        .await?;
    Ok(())
}
