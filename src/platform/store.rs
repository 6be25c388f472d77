//! The SQL the platform itself runs, outside any module's tables.

use sqlx::PgExecutor;

/// One round trip to the database: answers when it is reachable and serving queries.
pub async fn ping(db: impl PgExecutor<'_>) -> sqlx::Result<()> {
    sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(db).await?;
    Ok(())
}
