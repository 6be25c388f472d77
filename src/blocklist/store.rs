//! The blocked networks' SQL.

use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, Row};
use uuid::Uuid;

/// A blocked network as stored.
#[derive(Debug, Clone)]
pub struct BlockRecord {
    pub id: Uuid,
    pub network: String,
    pub reason: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, network::text AS network, reason, created_by, created_at, expires_at";

fn record(row: sqlx::postgres::PgRow) -> sqlx::Result<BlockRecord> {
    Ok(BlockRecord {
        id: row.try_get("id")?,
        network: row.try_get("network")?,
        reason: row.try_get("reason")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
    })
}

/// Every block, newest first, lifted ones included.
pub async fn all(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<BlockRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM blocked_networks ORDER BY created_at DESC, id");
    sqlx::query(sqlx::AssertSqlSafe(sql)).try_map(record).fetch_all(db).await
}

/// The blocks in force at `now`.
pub async fn active(db: impl PgExecutor<'_>, now: DateTime<Utc>) -> sqlx::Result<Vec<BlockRecord>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM blocked_networks WHERE expires_at IS NULL OR expires_at > $1 ORDER BY created_at, id"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now).try_map(record).fetch_all(db).await
}

/// Inserts `block`; `None` when its network is blocked already.
pub async fn insert(db: impl PgExecutor<'_>, block: &BlockRecord) -> sqlx::Result<Option<BlockRecord>> {
    let sql = format!(
        "INSERT INTO blocked_networks (id, network, reason, created_by, created_at, expires_at)
         VALUES ($1, $2::cidr, $3, $4, $5, $6)
         ON CONFLICT (network) DO NOTHING
         RETURNING {COLUMNS}"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(block.id)
        .bind(&block.network)
        .bind(&block.reason)
        .bind(block.created_by)
        .bind(block.created_at)
        .bind(block.expires_at)
        .try_map(record)
        .fetch_optional(db)
        .await
}

/// Removes the block `id`, returning it; `None` when there is none.
pub async fn delete(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<BlockRecord>> {
    let sql = format!("DELETE FROM blocked_networks WHERE id = $1 RETURNING {COLUMNS}");
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).try_map(record).fetch_optional(db).await
}
