//! Refund rows.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::payments::model::RefundStatus;
use crate::platform::money::Halalas;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRecord {
    pub id: Uuid,
    pub payment_id: Uuid,
    pub amount: Halalas,
    pub reason: String,
    pub status: RefundStatus,
    pub provider_refund_id: Option<String>,
    pub result_code: Option<String>,
    pub requested_by: serde_json::Value,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    payment_id: Uuid,
    amount_halalas: i64,
    reason: String,
    status: String,
    provider_refund_id: Option<String>,
    result_code: Option<String>,
    requested_by: serde_json::Value,
    attempts: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<Row> for RefundRecord {
    type Error = sqlx::Error;

    fn try_from(row: Row) -> sqlx::Result<RefundRecord> {
        let status = RefundStatus::parse(&row.status)
            .ok_or_else(|| sqlx::Error::Decode(format!("payment_refunds.status {:?}", row.status).into()))?;
        Ok(RefundRecord {
            id: row.id,
            payment_id: row.payment_id,
            amount: Halalas::new(row.amount_halalas),
            reason: row.reason,
            status,
            provider_refund_id: row.provider_refund_id,
            result_code: row.result_code,
            requested_by: row.requested_by,
            attempts: row.attempts,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

macro_rules! with_columns {
    ($before:literal, $after:literal) => {
        concat!(
            $before,
            " id, payment_id, amount_halalas, reason, status, provider_refund_id, result_code, requested_by,
              attempts, created_at, updated_at ",
            $after
        )
    };
}

fn read(rows: Vec<Row>) -> sqlx::Result<Vec<RefundRecord>> {
    rows.into_iter().map(RefundRecord::try_from).collect()
}

/// Money already promised back on the payment: refunds pending or done.
pub async fn committed(tx: &mut PgConnection, payment_id: Uuid) -> sqlx::Result<Halalas> {
    let total: i64 = sqlx::query_scalar(
        "SELECT coalesce(sum(amount_halalas), 0)::bigint FROM payment_refunds
          WHERE payment_id = $1 AND status IN ('refund_pending', 'refunded')",
    )
    .bind(payment_id)
    .fetch_one(tx)
    .await?;
    Ok(Halalas::new(total))
}

pub struct NewRefund<'a> {
    pub id: Uuid,
    pub payment_id: Uuid,
    pub amount: Halalas,
    pub reason: &'a str,
    pub requested_by: serde_json::Value,
}

/// Records a pending refund. The poller takes it up at `retry_at` if whoever opened it
/// has not carried it through by then.
pub async fn insert(
    tx: &mut PgConnection,
    new: &NewRefund<'_>,
    retry_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO payment_refunds (id, payment_id, amount_halalas, reason, status, requested_by, next_attempt_at,
                                      created_at, updated_at)
         VALUES ($1, $2, $3, $4, 'refund_pending', $5, $6, $7, $7)",
    )
    .bind(new.id)
    .bind(new.payment_id)
    .bind(new.amount.get())
    .bind(new.reason)
    .bind(&new.requested_by)
    .bind(retry_at)
    .bind(now)
    .execute(tx)
    .await?;
    Ok(())
}

pub async fn get(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<RefundRecord>> {
    let row: Option<Row> = sqlx::query_as(with_columns!("SELECT", "FROM payment_refunds WHERE id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?;
    row.map(RefundRecord::try_from).transpose()
}

pub async fn lock(tx: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<RefundRecord>> {
    let row: Option<Row> = sqlx::query_as(with_columns!("SELECT", "FROM payment_refunds WHERE id = $1 FOR UPDATE"))
        .bind(id)
        .fetch_optional(tx)
        .await?;
    row.map(RefundRecord::try_from).transpose()
}

/// The payment's refunds, oldest first.
pub async fn of_payment(db: impl PgExecutor<'_>, payment_id: Uuid) -> sqlx::Result<Vec<RefundRecord>> {
    let query = with_columns!("SELECT", "FROM payment_refunds WHERE payment_id = $1 ORDER BY created_at, id");
    read(sqlx::query_as(query).bind(payment_id).fetch_all(db).await?)
}

/// Writes what the provider did, and when to ask again if it is still pending.
pub async fn record_answer(
    tx: &mut PgConnection,
    id: Uuid,
    status: RefundStatus,
    provider_refund_id: Option<&str>,
    result_code: &str,
    next_attempt_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE payment_refunds SET status = $2, provider_refund_id = coalesce($3, provider_refund_id),
                result_code = $4, next_attempt_at = $5, attempts = attempts + 1, updated_at = $6
          WHERE id = $1",
    )
    .bind(id)
    .bind(status.as_str())
    .bind(provider_refund_id)
    .bind(result_code)
    .bind(next_attempt_at)
    .bind(now)
    .execute(tx)
    .await?;
    Ok(())
}

/// Claims pending refunds due for (another) attempt, for `lease`.
pub async fn claim_due(
    db: impl PgExecutor<'_>,
    now: DateTime<Utc>,
    lease: chrono::Duration,
    limit: i64,
) -> sqlx::Result<Vec<RefundRecord>> {
    let query = with_columns!(
        "UPDATE payment_refunds SET next_attempt_at = $2
          WHERE id IN (SELECT id FROM payment_refunds
                        WHERE status = 'refund_pending' AND next_attempt_at <= $1
                        ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
          RETURNING",
        ""
    );
    read(sqlx::query_as(query).bind(now).bind(now + lease).bind(limit).fetch_all(db).await?)
}
