//! Schema changes run safely: a `pg_dump` first when asked, then each migration in its
//! own transaction (sqlx's default: one that fails leaves nothing behind), then a check
//! that the schema is exactly what this binary knows.
//!
//! There are no down migrations: a release that must be undone is undone by a new
//! migration, or by restoring the backup (docs/deploy.md, "Migrations").

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};
use sqlx::PgPool;

use super::config::DatabaseSettings;
use super::db::{self, MIGRATOR};

/// What a run of the migrations did.
#[derive(Debug)]
pub struct Migrated {
    /// The versions applied by this run, oldest first.
    pub applied: Vec<i64>,
    /// The backup taken before them, when one was asked for and there was work.
    pub backup: Option<PathBuf>,
}

/// Creates the database if needed, backs it up into `backup_dir` when a migration is
/// pending, migrates it and checks the result.
pub async fn run(settings: &DatabaseSettings, backup_dir: Option<&Path>) -> anyhow::Result<Migrated> {
    db::create_database_if_missing(&settings.url).await?;
    let pool = db::pool(settings, &settings.url)?;
    // An older binary never touches a newer release's schema, not even to back it up.
    refuse_unknown(&applied(&pool).await?)?;
    let pending = pending(&pool).await?;
    let backup = match backup_dir {
        Some(dir) if !pending.is_empty() => Some(backup(&settings.url, dir, pending[0]).await?),
        _ => None,
    };
    db::migrate(&pool).await?;
    check(&pool).await?;
    Ok(Migrated { applied: pending, backup })
}

/// The versions this binary knows and the database has not applied.
pub async fn pending(pool: &PgPool) -> anyhow::Result<Vec<i64>> {
    let applied = applied(pool).await?;
    Ok(MIGRATOR
        .iter()
        .filter(|m| m.migration_type.is_up_migration() && !applied.contains_key(&m.version))
        .map(|m| m.version)
        .collect())
}

/// Applied versions with whether they succeeded and their checksums; none on a
/// database never migrated.
async fn applied(pool: &PgPool) -> anyhow::Result<HashMap<i64, (bool, Vec<u8>)>> {
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(pool)
        .await
        .context("reading the applied migrations")?;
    if !exists {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i64, bool, Vec<u8>)> = sqlx::query_as("SELECT version, success, checksum FROM _sqlx_migrations")
        .fetch_all(pool)
        .await
        .context("reading the applied migrations")?;
    Ok(rows.into_iter().map(|(version, success, checksum)| (version, (success, checksum))).collect())
}

/// The check after a run: every migration of this binary applied, successfully, as
/// written (its checksum), and none applied that this binary does not know (a newer
/// release's, which an older binary must not run against).
pub async fn check(pool: &PgPool) -> anyhow::Result<()> {
    let applied = applied(pool).await?;
    for migration in MIGRATOR.iter().filter(|m| m.migration_type.is_up_migration()) {
        match applied.get(&migration.version) {
            None => bail!("migration {} ({}) is not applied", migration.version, migration.description),
            Some((false, _)) => bail!("migration {} ({}) failed part way", migration.version, migration.description),
            Some((true, checksum)) if checksum.as_slice() != &*migration.checksum => {
                bail!("migration {} ({}) was changed after it was applied", migration.version, migration.description)
            }
            Some(_) => {}
        }
    }
    refuse_unknown(&applied)
}

/// Fails when the database has migrations this binary does not know.
fn refuse_unknown(applied: &HashMap<i64, (bool, Vec<u8>)>) -> anyhow::Result<()> {
    let known: Vec<i64> = MIGRATOR.iter().map(|m| m.version).collect();
    let mut unknown: Vec<i64> = applied.keys().filter(|v| !known.contains(v)).copied().collect();
    unknown.sort_unstable();
    if !unknown.is_empty() {
        bail!("the database has migrations this binary does not know: {unknown:?} (a newer release's?)");
    }
    Ok(())
}

/// Dumps the database into `dir` in `pg_dump`'s custom format (restore with
/// `pg_restore --clean --if-exists -d …`), named for the database, the time and the
/// first migration about to run. The password goes to `pg_dump` in its environment,
/// never on its command line, where any user of the machine could read it.
pub async fn backup(url: &SecretString, dir: &Path, before: i64) -> anyhow::Result<PathBuf> {
    let mut url = url::Url::parse(url.expose_secret()).context("invalid database url")?;
    let password = url.password().map(percent_decode);
    let _ = url.set_password(None);
    let database = url.path().trim_start_matches('/').to_string();
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let file = dir.join(format!("{database}-{}-before-{before}.dump", Utc::now().format("%Y%m%dT%H%M%SZ")));
    let mut command = tokio::process::Command::new("pg_dump");
    command.arg("--format=custom").arg("--file").arg(&file).arg("--dbname").arg(url.as_str());
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    let output = command.output().await.context("running pg_dump (is the PostgreSQL client installed?)")?;
    if !output.status.success() {
        let _ = std::fs::remove_file(&file);
        bail!("pg_dump failed: {}", String::from_utf8_lossy(&output.stderr).trim());
    }
    Ok(file)
}

fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("p={text}").as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_else(|| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_encoded_password_is_given_to_pg_dump_as_it_is() {
        assert_eq!(percent_decode("s%40cret%2Fx"), "s@cret/x");
        assert_eq!(percent_decode("plain"), "plain");
    }
}
