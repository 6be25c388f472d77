//! The payment audit log: appended to, never changed (a trigger refuses updates and
//! deletes).

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

/// One state change of a payment or of one of its refunds.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    pub payment_id: Uuid,
    pub refund_id: Option<Uuid>,
    pub from_status: Option<&'a str>,
    pub to_status: &'a str,
    /// `buyer:<id>`, `admin:<id>`, `webhook:tap`, `return`, `poller`, `system`.
    pub actor: &'a str,
    pub provider_code: Option<&'a str>,
    pub request_id: Option<&'a str>,
    pub details: serde_json::Value,
}

pub async fn append(db: impl PgExecutor<'_>, entry: &AuditEntry<'_>, at: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO payment_audit (occurred_at, payment_id, refund_id, from_status, to_status, actor, provider_code,
                                    request_id, details)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(at)
    .bind(entry.payment_id)
    .bind(entry.refund_id)
    .bind(entry.from_status)
    .bind(entry.to_status)
    .bind(entry.actor)
    .bind(entry.provider_code)
    .bind(entry.request_id.map(|id| id.chars().take(128).collect::<String>()))
    .bind(&entry.details)
    .execute(db)
    .await?;
    Ok(())
}

/// One line of a payment's history, as administrators read it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    pub occurred_at: DateTime<Utc>,
    pub refund_id: Option<Uuid>,
    pub from_status: Option<String>,
    pub to_status: String,
    pub actor: String,
    pub provider_code: Option<String>,
    pub request_id: Option<String>,
}

pub async fn of_payment(db: impl PgExecutor<'_>, payment_id: Uuid) -> sqlx::Result<Vec<AuditRow>> {
    sqlx::query_as(
        "SELECT occurred_at, refund_id, from_status, to_status, actor, provider_code, request_id
           FROM payment_audit WHERE payment_id = $1 ORDER BY id",
    )
    .bind(payment_id)
    .fetch_all(db)
    .await
}
