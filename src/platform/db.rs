//! PostgreSQL pools, database creation and migrations.

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
use sqlx::migrate::{MigrateDatabase, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres};

use super::config::DatabaseSettings;

/// The primary database: writes, and reads that must see them.
#[derive(Clone)]
pub struct PrimaryDb(pub PgPool);

/// The database for read-only public queries: the replica when configured.
#[derive(Clone)]
pub struct ReadDb(pub PgPool);

/// The migrations compiled into the binary.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Connection options carrying the session limits every connection of a pool gets.
///
/// Setting them as start-up parameters costs no extra round trip per connection.
pub fn connect_options(
    url: &SecretString,
    statement_timeout: Duration,
    idle_in_transaction_timeout: Duration,
) -> anyhow::Result<PgConnectOptions> {
    let options = PgConnectOptions::from_str(url.expose_secret())
        .context("invalid database url")?
        .application_name("cargoparts")
        .options([
            ("statement_timeout", format!("{}ms", statement_timeout.as_millis())),
            ("idle_in_transaction_session_timeout", format!("{}ms", idle_in_transaction_timeout.as_millis())),
        ]);
    Ok(options)
}

/// A pool sized and limited by the settings.
pub fn pool(settings: &DatabaseSettings, url: &SecretString) -> anyhow::Result<PgPool> {
    let options = connect_options(
        url,
        Duration::from_millis(settings.statement_timeout_ms),
        Duration::from_millis(settings.idle_in_transaction_timeout_ms),
    )?;
    Ok(PgPoolOptions::new()
        .max_connections(settings.max_connections)
        .min_connections(settings.min_connections)
        .acquire_timeout(Duration::from_millis(settings.acquire_timeout_ms))
        .idle_timeout(Duration::from_secs(600))
        .connect_lazy_with(options))
}

/// Creates the database named by `url` when it does not exist yet.
pub async fn create_database_if_missing(url: &SecretString) -> anyhow::Result<()> {
    let url = url.expose_secret();
    if Postgres::database_exists(url).await.context("connecting to PostgreSQL")? {
        return Ok(());
    }
    match Postgres::create_database(url).await {
        Ok(()) => {
            tracing::info!("created database");
            Ok(())
        }
        // Another process created it between the check and the create.
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P04") => Ok(()),
        Err(e) => Err(e).context("creating the database"),
    }
}

/// Applies pending migrations; concurrent callers serialize on sqlx's advisory lock.
pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    MIGRATOR.run(pool).await.context("applying migrations")?;
    Ok(())
}

/// Creates the database if needed and migrates it, returning a pool to it.
pub async fn prepare(settings: &DatabaseSettings) -> anyhow::Result<PgPool> {
    create_database_if_missing(&settings.url).await?;
    let pool = pool(settings, &settings.url)?;
    migrate(&pool).await?;
    Ok(pool)
}

/// Whether an error is a violation of the named constraint.
pub fn is_constraint_violation(err: &sqlx::Error, constraint: &str) -> bool {
    matches!(err, sqlx::Error::Database(e) if e.constraint() == Some(constraint))
}
