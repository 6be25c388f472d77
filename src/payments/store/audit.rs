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

impl<'a> AuditEntry<'a> {
    /// A change of the payment from `from` (none for its first state) to `to`, by `actor`.
    pub fn change(payment_id: Uuid, from: Option<&'a str>, to: &'a str, actor: &'a str) -> AuditEntry<'a> {
        AuditEntry {
            payment_id,
            refund_id: None,
            from_status: from,
            to_status: to,
            actor,
            provider_code: None,
            request_id: None,
            details: serde_json::Value::Object(Default::default()),
        }
    }

    /// The change is one of the refund `id`'s.
    pub fn of_refund(self, id: Uuid) -> AuditEntry<'a> {
        AuditEntry { refund_id: Some(id), ..self }
    }

    pub fn provider_code(self, code: &'a str) -> AuditEntry<'a> {
        AuditEntry { provider_code: Some(code), ..self }
    }

    pub fn request(self, request_id: Option<&'a str>) -> AuditEntry<'a> {
        AuditEntry { request_id, ..self }
    }

    pub fn details(self, details: serde_json::Value) -> AuditEntry<'a> {
        AuditEntry { details, ..self }
    }
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

/// One line of a payment's history, as administrators read it (the API shows it as it is).
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct AuditRow {
    pub occurred_at: DateTime<Utc>,
    /// Set when the change is one of a refund's.
    pub refund_id: Option<Uuid>,
    pub from_status: Option<String>,
    pub to_status: String,
    /// `buyer:<id>`, `admin:<id>`, `webhook:hyperpay`, `return`, `poller`, `system`.
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
