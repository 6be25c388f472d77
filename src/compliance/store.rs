//! The review queue's SQL.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

pub struct NewFlag {
    pub rule: &'static str,
    pub payment_id: Uuid,
    pub order_id: Uuid,
    pub buyer_id: Uuid,
    pub details: Value,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FlagRecord {
    pub id: Uuid,
    pub rule: String,
    pub payment_id: Uuid,
    pub order_id: Uuid,
    pub buyer_id: Uuid,
    pub details: Value,
    pub status: String,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

macro_rules! with_columns {
    ($before:literal, $after:literal) => {
        concat!(
            $before,
            " id, rule, payment_id, order_id, buyer_id, details, status, decided_by, decided_at, note, created_at ",
            $after
        )
    };
}

/// Queues a flag; a second flag of the same rule on the same payment is the first one.
pub async fn insert(tx: &mut PgConnection, flag: &NewFlag, now: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO compliance_flags (id, rule, payment_id, order_id, buyer_id, details, status, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'open', $7) ON CONFLICT (rule, payment_id) DO NOTHING",
    )
    .bind(Uuid::now_v7())
    .bind(flag.rule)
    .bind(flag.payment_id)
    .bind(flag.order_id)
    .bind(flag.buyer_id)
    .bind(&flag.details)
    .bind(now)
    .execute(tx)
    .await?;
    Ok(())
}

/// A page of flags in `status` (all when `None`), oldest first, and how many there are.
pub async fn list(
    db: impl PgExecutor<'_> + Copy,
    status: Option<&str>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<FlagRecord>, i64)> {
    let query = with_columns!(
        "SELECT",
        "FROM compliance_flags WHERE ($1::text IS NULL OR status = $1) ORDER BY created_at, id LIMIT $2 OFFSET $3"
    );
    let flags = sqlx::query_as(query).bind(status).bind(limit).bind(offset).fetch_all(db).await?;
    let total = sqlx::query_scalar("SELECT count(*) FROM compliance_flags WHERE ($1::text IS NULL OR status = $1)")
        .bind(status)
        .fetch_one(db)
        .await?;
    Ok((flags, total))
}

pub async fn get(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<FlagRecord>> {
    sqlx::query_as(with_columns!("SELECT", "FROM compliance_flags WHERE id = $1")).bind(id).fetch_optional(db).await
}

/// Records the decision on a flag still open; `None` when it is not open (or not there).
pub async fn resolve(
    db: impl PgExecutor<'_>,
    id: Uuid,
    decision: &str,
    decided_by: Uuid,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<FlagRecord>> {
    let query = with_columns!(
        "UPDATE compliance_flags SET status = $2, decided_by = $3, note = $4, decided_at = $5
          WHERE id = $1 AND status = 'open' RETURNING",
        ""
    );
    sqlx::query_as(query).bind(id).bind(decision).bind(decided_by).bind(note).bind(now).fetch_optional(db).await
}
