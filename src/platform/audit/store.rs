//! The `audit_log` table: appending entries, and reading them back for administrators.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgExecutor, Row};
use uuid::Uuid;

use super::Entry;

pub async fn insert(
    db: impl PgExecutor<'_>,
    entry: Entry,
    ip: Option<&str>,
    user_agent: Option<&str>,
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (occurred_at, event, actor_id, subject_id, ip, user_agent, details)
         VALUES ($1, $2, $3, $4, $5::inet, $6, $7)",
    )
    .bind(at)
    .bind(entry.event.as_str())
    .bind(entry.actor)
    .bind(entry.subject)
    .bind(ip)
    .bind(user_agent)
    .bind(entry.details)
    .execute(db)
    .await?;
    Ok(())
}

/// Which entries a read selects; `None` selects any.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filter<'a> {
    /// The event name, e.g. `login.failed`.
    pub event: Option<&'a str>,
    /// The user who acted or whom the entry concerns.
    pub user_id: Option<Uuid>,
}

/// One recorded entry.
#[derive(Debug, Clone)]
pub struct AuditRecord {
    pub id: i64,
    pub occurred_at: DateTime<Utc>,
    pub event: String,
    pub actor_id: Option<Uuid>,
    pub subject_id: Option<Uuid>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub details: Value,
}

pub async fn count(db: impl PgExecutor<'_>, filter: Filter<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT count(*) FROM audit_log
          WHERE ($1::text IS NULL OR event = $1)
            AND ($2::uuid IS NULL OR actor_id = $2 OR subject_id = $2)",
    )
    .bind(filter.event)
    .bind(filter.user_id)
    .fetch_one(db)
    .await
}

/// The entries `filter` selects, newest first: `limit` of them after skipping `offset`.
pub async fn page(
    db: impl PgExecutor<'_>,
    filter: Filter<'_>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<AuditRecord>> {
    let rows = sqlx::query(
        "SELECT id, occurred_at, event, actor_id, subject_id, host(ip) AS ip, user_agent, details
           FROM audit_log
          WHERE ($1::text IS NULL OR event = $1)
            AND ($2::uuid IS NULL OR actor_id = $2 OR subject_id = $2)
          ORDER BY occurred_at DESC, id DESC LIMIT $3 OFFSET $4",
    )
    .bind(filter.event)
    .bind(filter.user_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(AuditRecord {
                id: row.try_get("id")?,
                occurred_at: row.try_get("occurred_at")?,
                event: row.try_get("event")?,
                actor_id: row.try_get("actor_id")?,
                subject_id: row.try_get("subject_id")?,
                ip: row.try_get("ip")?,
                user_agent: row.try_get("user_agent")?,
                details: row.try_get("details")?,
            })
        })
        .collect()
}

/// Forgets where an erased account's entries came from (address, browser); the
/// entries themselves stay, as the security trail, naming an account with nothing
/// personal left.
pub async fn scrub_user(db: impl PgExecutor<'_>, user_id: Uuid) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE audit_log SET ip = NULL, user_agent = NULL
          WHERE (actor_id = $1 OR subject_id = $1) AND (ip IS NOT NULL OR user_agent IS NOT NULL)",
    )
    .bind(user_id)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
