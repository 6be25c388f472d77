//! The sandbox provider's own books: its checkouts and refunds.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SandboxCheckout {
    pub id: String,
    pub reference: String,
    pub amount_halalas: i64,
    pub brand: String,
    pub return_url: String,
    pub status: String,
}

pub async fn insert(db: impl PgExecutor<'_>, checkout: &SandboxCheckout, now: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO sandbox_checkouts (id, reference, amount_halalas, brand, return_url, status, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&checkout.id)
    .bind(&checkout.reference)
    .bind(checkout.amount_halalas)
    .bind(&checkout.brand)
    .bind(&checkout.return_url)
    .bind(&checkout.status)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn get(db: impl PgExecutor<'_>, id: &str) -> sqlx::Result<Option<SandboxCheckout>> {
    sqlx::query_as(
        "SELECT id, reference, amount_halalas, brand, return_url, status FROM sandbox_checkouts WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Records the shopper's decision on a checkout still open; `None` when there is no
/// such open checkout.
pub async fn decide(
    db: impl PgExecutor<'_>,
    id: &str,
    status: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<SandboxCheckout>> {
    sqlx::query_as(
        "UPDATE sandbox_checkouts SET status = $2, decided_at = $3 WHERE id = $1 AND status = 'initiated'
         RETURNING id, reference, amount_halalas, brand, return_url, status",
    )
    .bind(id)
    .bind(status)
    .bind(now)
    .fetch_optional(db)
    .await
}

/// Refunds `amount` of an approved checkout if, with what was refunded before, it stays
/// within what was paid; the refund's id, or `None` when it would not.
pub async fn refund(
    db: impl PgExecutor<'_>,
    id: &str,
    checkout_id: &str,
    amount_halalas: i64,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "INSERT INTO sandbox_refunds (id, checkout_id, amount_halalas, created_at)
         SELECT $1, c.id, $3, $4 FROM sandbox_checkouts c
          WHERE c.id = $2 AND c.status = 'approved'
            AND c.amount_halalas >= $3 + (SELECT coalesce(sum(amount_halalas), 0) FROM sandbox_refunds
                                           WHERE checkout_id = c.id)
         RETURNING id",
    )
    .bind(id)
    .bind(checkout_id)
    .bind(amount_halalas)
    .bind(now)
    .fetch_optional(db)
    .await
}

pub async fn refund_exists(db: impl PgExecutor<'_>, id: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM sandbox_refunds WHERE id = $1)").bind(id).fetch_one(db).await
}
