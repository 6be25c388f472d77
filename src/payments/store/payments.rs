//! Payment rows.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::payments::model::{Method, PaymentStatus, ProviderName};
use crate::payments::providers::ProviderPayment;
use crate::payments::store::audit::AuditEntry;
use crate::platform::money::Halalas;

/// A payment as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRecord {
    pub id: Uuid,
    pub order_id: Uuid,
    pub buyer_id: Uuid,
    pub provider: ProviderName,
    pub method: Method,
    pub status: PaymentStatus,
    pub amount: Halalas,
    pub currency: String,
    pub checkout_id: Option<String>,
    pub provider_payment_id: Option<String>,
    pub brand: Option<String>,
    pub card_bin: Option<String>,
    pub card_last4: Option<String>,
    pub result_code: Option<String>,
    pub result_description: Option<String>,
    pub settled_order: bool,
    pub refunded: Halalas,
    pub next_poll_at: Option<DateTime<Utc>>,
    pub polls: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl PaymentRecord {
    /// The payment as [`record_answer`] leaves it, without reading it back.
    pub fn answered(
        self,
        status: PaymentStatus,
        answer: &ProviderPayment,
        settled_order: bool,
        next_poll_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> PaymentRecord {
        let or = |new: &Option<String>, old: Option<String>| new.clone().or(old);
        PaymentRecord {
            status,
            provider_payment_id: or(&answer.provider_payment_id, self.provider_payment_id),
            brand: or(&answer.brand, self.brand),
            card_bin: or(&answer.card_bin, self.card_bin),
            card_last4: or(&answer.card_last4, self.card_last4),
            result_code: Some(answer.result_code.clone()),
            result_description: Some(answer.result_description.clone()),
            settled_order,
            next_poll_at,
            updated_at: now,
            ..self
        }
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    order_id: Uuid,
    buyer_id: Uuid,
    provider: String,
    method: String,
    status: String,
    amount_halalas: i64,
    currency: String,
    checkout_id: Option<String>,
    provider_payment_id: Option<String>,
    brand: Option<String>,
    card_bin: Option<String>,
    card_last4: Option<String>,
    result_code: Option<String>,
    result_description: Option<String>,
    settled_order: bool,
    refunded_halalas: i64,
    next_poll_at: Option<DateTime<Utc>>,
    polls: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<Row> for PaymentRecord {
    type Error = sqlx::Error;

    fn try_from(row: Row) -> sqlx::Result<PaymentRecord> {
        let corrupt = |what: &str, value: &str| sqlx::Error::Decode(format!("payments.{what} {value:?}").into());
        Ok(PaymentRecord {
            provider: ProviderName::parse(&row.provider).ok_or_else(|| corrupt("provider", &row.provider))?,
            method: Method::parse(&row.method).ok_or_else(|| corrupt("method", &row.method))?,
            status: PaymentStatus::parse(&row.status).ok_or_else(|| corrupt("status", &row.status))?,
            id: row.id,
            order_id: row.order_id,
            buyer_id: row.buyer_id,
            amount: Halalas::new(row.amount_halalas),
            currency: row.currency,
            checkout_id: row.checkout_id,
            provider_payment_id: row.provider_payment_id,
            brand: row.brand,
            card_bin: row.card_bin,
            card_last4: row.card_last4,
            result_code: row.result_code,
            result_description: row.result_description,
            settled_order: row.settled_order,
            refunded: Halalas::new(row.refunded_halalas),
            next_poll_at: row.next_poll_at,
            polls: row.polls,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// The columns every reader takes, as one static SQL text with the rest of a statement.
macro_rules! with_columns {
    ($before:literal, $after:literal) => {
        concat!(
            $before,
            " id, order_id, buyer_id, provider, method, status, amount_halalas, currency, checkout_id,
              provider_payment_id, brand, card_bin, card_last4, result_code, result_description, settled_order,
              refunded_halalas, next_poll_at, polls, created_at, updated_at ",
            $after
        )
    };
}

fn read(rows: Vec<Row>) -> sqlx::Result<Vec<PaymentRecord>> {
    rows.into_iter().map(PaymentRecord::try_from).collect()
}

/// A payment about to be asked of a provider.
pub struct NewPayment {
    pub id: Uuid,
    pub order_id: Uuid,
    pub buyer_id: Uuid,
    pub provider: ProviderName,
    pub method: Method,
    pub amount: Halalas,
    pub first_poll_at: DateTime<Utc>,
}

pub async fn insert(db: impl PgExecutor<'_>, new: &NewPayment, now: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO payments (id, order_id, buyer_id, provider, method, status, amount_halalas, next_poll_at,
                               created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, 'initiated', $6, $7, $8, $8)",
    )
    .bind(new.id)
    .bind(new.order_id)
    .bind(new.buyer_id)
    .bind(new.provider.as_str())
    .bind(new.method.as_str())
    .bind(new.amount.get())
    .bind(new.first_poll_at)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

/// Records the checkout the provider opened (the fallback provider, when it was that
/// one) with its audit line, in one statement: one round trip, and atomic without a
/// transaction around it.
pub async fn set_checkout(
    db: impl PgExecutor<'_>,
    id: Uuid,
    provider: ProviderName,
    checkout_id: &str,
    audit: &AuditEntry<'_>,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "WITH opened AS (UPDATE payments SET provider = $2, checkout_id = $3, updated_at = $4 WHERE id = $1)
         INSERT INTO payment_audit (occurred_at, payment_id, refund_id, from_status, to_status, actor,
                                    provider_code, request_id, details)
         VALUES ($4, $1, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(id)
    .bind(provider.as_str())
    .bind(checkout_id)
    .bind(now)
    .bind(audit.refund_id)
    .bind(audit.from_status)
    .bind(audit.to_status)
    .bind(audit.actor)
    .bind(audit.provider_code)
    .bind(audit.request_id)
    .bind(&audit.details)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn get(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<PaymentRecord>> {
    let row: Option<Row> =
        sqlx::query_as(with_columns!("SELECT", "FROM payments WHERE id = $1")).bind(id).fetch_optional(db).await?;
    row.map(PaymentRecord::try_from).transpose()
}

/// The payment, locked until the transaction ends: confirmations of one payment
/// queue here, so only the first of them changes anything.
pub async fn lock(tx: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<PaymentRecord>> {
    let query = with_columns!("SELECT", "FROM payments WHERE id = $1 FOR UPDATE");
    let row: Option<Row> = sqlx::query_as(query).bind(id).fetch_optional(tx).await?;
    row.map(PaymentRecord::try_from).transpose()
}

pub async fn by_checkout(
    db: impl PgExecutor<'_>,
    provider: ProviderName,
    checkout_id: &str,
) -> sqlx::Result<Option<PaymentRecord>> {
    let query = with_columns!("SELECT", "FROM payments WHERE provider = $1 AND checkout_id = $2");
    let row: Option<Row> = sqlx::query_as(query).bind(provider.as_str()).bind(checkout_id).fetch_optional(db).await?;
    row.map(PaymentRecord::try_from).transpose()
}

/// The order's payments, oldest first.
pub async fn of_order(db: impl PgExecutor<'_>, order_id: Uuid) -> sqlx::Result<Vec<PaymentRecord>> {
    let query = with_columns!("SELECT", "FROM payments WHERE order_id = $1 ORDER BY created_at, id");
    read(sqlx::query_as(query).bind(order_id).fetch_all(db).await?)
}

/// The payment that paid the order, locked.
pub async fn lock_settling(tx: &mut PgConnection, order_id: Uuid) -> sqlx::Result<Option<PaymentRecord>> {
    let query = with_columns!("SELECT", "FROM payments WHERE order_id = $1 AND settled_order FOR UPDATE");
    let row: Option<Row> = sqlx::query_as(query).bind(order_id).fetch_optional(tx).await?;
    row.map(PaymentRecord::try_from).transpose()
}

/// Payment attempts since `since`: by the buyer, and on the order.
pub async fn attempts_since(
    db: impl PgExecutor<'_>,
    buyer_id: Uuid,
    order_id: Uuid,
    since: DateTime<Utc>,
) -> sqlx::Result<(i64, i64)> {
    sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE order_id = $2) FROM payments
          WHERE buyer_id = $1 AND created_at >= $3",
    )
    .bind(buyer_id)
    .bind(order_id)
    .bind(since)
    .fetch_one(db)
    .await
}

/// What the provider said, written onto the payment.
pub async fn record_answer(
    tx: &mut PgConnection,
    id: Uuid,
    status: PaymentStatus,
    answer: &ProviderPayment,
    settled_order: bool,
    next_poll_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE payments SET status = $2, provider_payment_id = coalesce($3, provider_payment_id),
                brand = coalesce($4, brand), card_bin = coalesce($5, card_bin), card_last4 = coalesce($6, card_last4),
                result_code = $7, result_description = $8, settled_order = $9, next_poll_at = $10, updated_at = $11
          WHERE id = $1",
    )
    .bind(id)
    .bind(status.as_str())
    .bind(&answer.provider_payment_id)
    .bind(&answer.brand)
    .bind(&answer.card_bin)
    .bind(&answer.card_last4)
    .bind(&answer.result_code)
    .bind(&answer.result_description)
    .bind(settled_order)
    .bind(next_poll_at)
    .bind(now)
    .execute(tx)
    .await?;
    Ok(())
}

/// Closes a payment without a provider's answer (no checkout could be opened, or it
/// was abandoned past the order's reservation).
pub async fn close(
    db: impl PgExecutor<'_>,
    id: Uuid,
    status: PaymentStatus,
    reason: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE payments SET status = $2, result_description = $3, next_poll_at = NULL, updated_at = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(status.as_str())
    .bind(reason)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

/// Adds a completed refund to the payment's total and sets its state.
pub async fn add_refunded(
    tx: &mut PgConnection,
    id: Uuid,
    amount: Halalas,
    status: PaymentStatus,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE payments SET refunded_halalas = refunded_halalas + $2, status = $3, updated_at = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(amount.get())
    .bind(status.as_str())
    .bind(now)
    .execute(tx)
    .await?;
    Ok(())
}

/// Claims up to `limit` open payments due for a status query, for `lease` (so another
/// instance does not ask about the same payment meanwhile). Returns them.
pub async fn claim_due(
    db: impl PgExecutor<'_>,
    now: DateTime<Utc>,
    lease: chrono::Duration,
    limit: i64,
) -> sqlx::Result<Vec<PaymentRecord>> {
    let query = with_columns!(
        "UPDATE payments SET next_poll_at = $2, polls = polls + 1
          WHERE id IN (SELECT id FROM payments
                        WHERE status IN ('initiated', 'pending') AND next_poll_at <= $1
                        ORDER BY next_poll_at LIMIT $3 FOR UPDATE SKIP LOCKED)
          RETURNING",
        ""
    );
    let rows = sqlx::query_as(query).bind(now).bind(now + lease).bind(limit).fetch_all(db).await?;
    read(rows)
}

/// Payments that paid an order since cancelled, with money left to give back and no
/// automatic refund asked yet.
pub async fn owed_for_cancelled_orders(db: impl PgExecutor<'_>, limit: i64) -> sqlx::Result<Vec<PaymentRecord>> {
    // Driven from the orders (`orders_cancelled_after_payment`), never from all payments.
    let query = with_columns!(
        "SELECT",
        "FROM payments p
          WHERE p.order_id IN (SELECT o.id FROM orders o WHERE o.status = 'cancelled' AND o.paid_at IS NOT NULL)
            AND p.settled_order AND p.status IN ('paid', 'partially_refunded')
            AND NOT EXISTS (SELECT 1 FROM payment_refunds r
                             WHERE r.payment_id = p.id AND r.requested_by->>'reason' = 'order_cancelled')
          ORDER BY p.updated_at LIMIT $1"
    );
    read(sqlx::query_as(query).bind(limit).fetch_all(db).await?)
}

/// A payment as its buyer's data export shows it: what was paid, how, and what the
/// provider said; never more of a card than its first and last digits.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct ExportedPayment {
    pub id: Uuid,
    pub order_id: Uuid,
    pub provider: String,
    pub method: String,
    pub status: String,
    pub amount_halalas: i64,
    pub refunded_halalas: i64,
    pub currency: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_bin: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_last4: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_description: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Every payment of `buyer_id`, oldest first.
pub async fn of_buyer(db: impl PgExecutor<'_>, buyer_id: Uuid) -> sqlx::Result<Vec<ExportedPayment>> {
    sqlx::query_as(
        "SELECT id, order_id, provider, method, status, amount_halalas, refunded_halalas, currency, brand,
                card_bin, card_last4, result_description, created_at
           FROM payments WHERE buyer_id = $1 ORDER BY created_at, id",
    )
    .bind(buyer_id)
    .fetch_all(db)
    .await
}
