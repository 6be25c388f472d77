//! Exports too large to build while the owner waits (`privacy.export_inline_max_orders`
//! orders and more): a job builds the document into `data_exports`, where the owner
//! downloads it until it expires (`privacy.export_days`). It is never written to the
//! media store, which serves files to anyone with the URL.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{PrivacyError, export};
use crate::orders::OrdersState;
use crate::platform::jobs::{self, Job, JobFailure, JobHandler, NewJob};

pub const EXPORT_JOB: &str = "privacy.export";

/// An export being built, or ready to download.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExportStatus {
    pub id: Uuid,
    /// `pending` or `ready`.
    pub status: String,
    /// Where to download it, signed in as the owner.
    pub url: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, sqlx::FromRow)]
struct ExportRow {
    id: Uuid,
    status: String,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

#[derive(Debug, sqlx::FromRow)]
struct ExportWithDocument {
    #[sqlx(flatten)]
    export: ExportRow,
    document: Option<serde_json::Value>,
}

impl ExportRow {
    fn status(self) -> ExportStatus {
        ExportStatus {
            id: self.id,
            status: self.status,
            url: format!("/api/v1/me/exports/{}", self.id),
            created_at: self.created_at,
            expires_at: self.expires_at,
        }
    }
}

/// The account's unexpired export, or a new one queued for the job; asking again
/// while one is pending or ready answers the same export.
pub async fn request(
    db: &PgPool,
    user_id: Uuid,
    days: u32,
    max_attempts: u32,
    now: DateTime<Utc>,
) -> Result<ExportStatus, PrivacyError> {
    let mut tx = db.begin().await?;
    crate::auth::store::users::lock(&mut *tx, user_id).await?;
    let current: Option<ExportRow> = sqlx::query_as(
        "SELECT id, status, created_at, expires_at FROM data_exports
          WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at DESC LIMIT 1",
    )
    .bind(user_id)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(current) = current {
        return Ok(current.status());
    }
    let id = Uuid::new_v4();
    let expires_at = now + chrono::Duration::days(i64::from(days));
    sqlx::query(
        "INSERT INTO data_exports (id, user_id, status, created_at, expires_at) VALUES ($1, $2, 'pending', $3, $4)",
    )
    .bind(id)
    .bind(user_id)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *tx)
    .await?;
    let job = NewJob {
        kind: EXPORT_JOB,
        dedupe_key: Some(format!("privacy.export:{id}")),
        payload: serde_json::json!({ "export_id": id }),
    };
    jobs::enqueue(&mut tx, &job, max_attempts).await?;
    tx.commit().await?;
    Ok(ExportStatus {
        id,
        status: "pending".into(),
        url: format!("/api/v1/me/exports/{id}"),
        created_at: now,
        expires_at,
    })
}

/// Export `id` of `user_id`: its status, and the document once ready; `None` when
/// there is no such export of the account, or it expired.
pub async fn fetch(
    db: &PgPool,
    user_id: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<(ExportStatus, Option<serde_json::Value>)>, PrivacyError> {
    let row: Option<ExportWithDocument> = sqlx::query_as(
        "SELECT id, status, created_at, expires_at, document FROM data_exports
          WHERE id = $1 AND user_id = $2 AND expires_at > $3",
    )
    .bind(id)
    .bind(user_id)
    .bind(now)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|row| (row.export.status(), row.document)))
}

#[derive(Deserialize)]
struct Payload {
    export_id: Uuid,
}

/// Builds a pending export.
pub struct BuildExport {
    pub db: PgPool,
    pub orders: OrdersState,
}

impl BuildExport {
    pub fn handler(db: PgPool, orders: OrdersState) -> Arc<dyn JobHandler> {
        Arc::new(BuildExport { db, orders })
    }
}

#[async_trait]
impl JobHandler for BuildExport {
    async fn run(&self, job: &Job) -> Result<(), JobFailure> {
        let payload: Payload = serde_json::from_value(job.payload.clone())
            .map_err(|e| JobFailure::Permanent(format!("unreadable payload: {e}")))?;
        let owner: Option<Uuid> =
            sqlx::query_scalar("SELECT user_id FROM data_exports WHERE id = $1 AND status = 'pending'")
                .bind(payload.export_id)
                .fetch_optional(&self.db)
                .await
                .map_err(|e| JobFailure::Retry(e.to_string()))?;
        // Built already, or expired and purged: nothing to do.
        let Some(user_id) = owner else { return Ok(()) };
        let now = self.orders.now();
        let document = export::export(&self.db, &self.orders, user_id, now)
            .await
            .and_then(|built| Ok(serde_json::to_value(built).map_err(anyhow::Error::from)?))
            .map_err(|e| JobFailure::Retry(format!("building the export: {e}")))?;
        sqlx::query("UPDATE data_exports SET status = 'ready', document = $2, ready_at = $3 WHERE id = $1 AND status = 'pending'")
            .bind(payload.export_id)
            .bind(document)
            .bind(now)
            .execute(&self.db)
            .await
            .map_err(|e| JobFailure::Retry(e.to_string()))?;
        Ok(())
    }
}
