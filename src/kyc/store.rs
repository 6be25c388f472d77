//! The SQL of seller verification: `seller_documents`, and the verification columns of
//! `sellers`.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

/// A stored document.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DocumentRow {
    pub id: Uuid,
    pub seller_id: Uuid,
    pub r#type: String,
    pub number_sealed: String,
    pub number_last4: String,
    pub expires_on: Option<NaiveDate>,
    pub file_key: String,
    pub content_type: String,
    pub size_bytes: i32,
    pub status: String,
    pub reason: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub uploaded_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, seller_id, type, number_sealed, number_last4, expires_on, file_key, content_type,
                       size_bytes, status, reason, reviewed_at, uploaded_at";

/// Locks the seller's row until the transaction ends: uploads and reviews of one
/// seller decide its verification one at a time. Its verification time, or `None`
/// when there is no such seller.
pub async fn lock_seller(conn: &mut PgConnection, seller_id: Uuid) -> sqlx::Result<Option<Option<DateTime<Utc>>>> {
    sqlx::query_scalar("SELECT verified_at FROM sellers WHERE id = $1 FOR UPDATE")
        .bind(seller_id)
        .fetch_optional(conn)
        .await
}

/// Marks the seller's current document of `type` superseded.
pub async fn supersede(conn: &mut PgConnection, seller_id: Uuid, r#type: &str) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE seller_documents SET status = 'superseded'
          WHERE seller_id = $1 AND type = $2 AND status <> 'superseded'",
    )
    .bind(seller_id)
    .bind(r#type)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn insert(conn: &mut PgConnection, document: &DocumentRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO seller_documents (id, seller_id, type, number_sealed, number_last4, expires_on, file_key,
                                       content_type, size_bytes, status, uploaded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10)",
    )
    .bind(document.id)
    .bind(document.seller_id)
    .bind(&document.r#type)
    .bind(&document.number_sealed)
    .bind(&document.number_last4)
    .bind(document.expires_on)
    .bind(&document.file_key)
    .bind(&document.content_type)
    .bind(document.size_bytes)
    .bind(document.uploaded_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The seller's current documents (one per type at most).
pub async fn current(db: impl PgExecutor<'_>, seller_id: Uuid) -> sqlx::Result<Vec<DocumentRow>> {
    let sql =
        format!("SELECT {COLUMNS} FROM seller_documents WHERE seller_id = $1 AND status <> 'superseded' ORDER BY type");
    sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(seller_id).fetch_all(db).await
}

pub async fn by_id(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<DocumentRow>> {
    let sql = format!("SELECT {COLUMNS} FROM seller_documents WHERE id = $1");
    sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(db).await
}

/// Documents awaiting review, oldest first.
pub async fn pending(db: impl PgExecutor<'_>, limit: i64) -> sqlx::Result<Vec<DocumentRow>> {
    let sql =
        format!("SELECT {COLUMNS} FROM seller_documents WHERE status = 'pending' ORDER BY uploaded_at, id LIMIT $1");
    sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(limit).fetch_all(db).await
}

/// Records a review of a pending document; false when it is no longer pending.
pub async fn decide(
    conn: &mut PgConnection,
    id: Uuid,
    status: &str,
    reason: Option<&str>,
    reviewer: Uuid,
    at: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE seller_documents SET status = $2, reason = $3, reviewed_by = $4, reviewed_at = $5
          WHERE id = $1 AND status = 'pending'",
    )
    .bind(id)
    .bind(status)
    .bind(reason)
    .bind(reviewer)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets the seller's verification and registration expiry.
pub async fn set_verification(
    conn: &mut PgConnection,
    seller_id: Uuid,
    verified_at: Option<DateTime<Utc>>,
    cr_expires_on: Option<NaiveDate>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE sellers SET verified_at = $2, cr_expires_on = $3, updated_at = now() WHERE id = $1")
        .bind(seller_id)
        .bind(verified_at)
        .bind(cr_expires_on)
        .execute(conn)
        .await?;
    Ok(())
}

/// Marks every listing of the seller changed, so the search index re-reads them (the
/// change stream's triggers see the update).
pub async fn touch_listings(conn: &mut PgConnection, seller_id: Uuid) -> sqlx::Result<u64> {
    let done = sqlx::query("UPDATE listings SET updated_at = updated_at WHERE seller_id = $1")
        .bind(seller_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// Verified sellers whose registration expired before `today`.
pub async fn expired_verifications(db: impl PgExecutor<'_>, today: NaiveDate) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar("SELECT id FROM sellers WHERE verified_at IS NOT NULL AND cr_expires_on < $1")
        .bind(today)
        .fetch_all(db)
        .await
}
