//! `cargoparts migrate --backup DIR`: a dump before anything is applied, each migration
//! in its transaction, and a check of the result.

use std::process::{Command, Stdio};

use crate::helpers::{drop_database, fresh_database, server_url};

fn migrate(db_name: &str, backup: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_cargoparts"))
        .env("DATABASE_URL", format!("{}/{db_name}", server_url()))
        .env("RUST_LOG", "warn")
        .args(["migrate", "--backup"])
        .arg(backup)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

async fn connect(db_name: &str) -> sqlx::PgPool {
    sqlx::PgPool::connect(&format!("{}/{db_name}", server_url())).await.unwrap()
}

#[tokio::test]
async fn a_pending_migration_is_backed_up_then_applied_and_checked() {
    let db_name = fresh_database().await;
    let db = connect(&db_name).await;
    // The blocked-networks migration and those after it not applied yet, as after a
    // release that brings them. The later ones run again over their own effects.
    const FIRST_PENDING: i64 = 20261204000006;
    let mut pending: Vec<i64> =
        sqlx::query_scalar("DELETE FROM _sqlx_migrations WHERE version >= $1 RETURNING version")
            .bind(FIRST_PENDING)
            .fetch_all(&db)
            .await
            .unwrap();
    pending.sort_unstable();
    assert_eq!(pending.first(), Some(&FIRST_PENDING));
    sqlx::query("DROP TABLE blocked_networks").execute(&db).await.unwrap();
    sqlx::query("CREATE TABLE kept_data (note text)").execute(&db).await.unwrap();
    sqlx::query("INSERT INTO kept_data VALUES ('before the release')").execute(&db).await.unwrap();

    let backups = tempfile::tempdir().unwrap();
    let output = migrate(&db_name, backups.path());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    let dumps: Vec<_> = std::fs::read_dir(backups.path()).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(dumps.len(), 1, "{dumps:?}");
    let dump = &dumps[0];
    assert!(dump.file_name().unwrap().to_string_lossy().ends_with(&format!("-before-{FIRST_PENDING}.dump")));
    assert!(stdout.contains(&dump.display().to_string()), "the backup is named: {stdout}");
    assert!(stdout.contains(&format!("applied {} migrations: {pending:?}", pending.len())), "{stdout}");
    // The dump holds the data as it was, and restores with pg_restore.
    let listing = Command::new("pg_restore").arg("--list").arg(dump).output().unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(listing.contains("kept_data") && !listing.contains("blocked_networks"), "{listing}");
    let restored: bool =
        sqlx::query_scalar("SELECT to_regclass('blocked_networks') IS NOT NULL").fetch_one(&db).await.unwrap();
    assert!(restored);

    // Nothing pending: no backup, nothing applied.
    let again = migrate(&db_name, backups.path());
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("nothing to apply"));
    assert_eq!(std::fs::read_dir(backups.path()).unwrap().count(), 1);

    // A schema from a newer release is refused by the check, not run against.
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (29991231000001, 'from the future', true, '\\x00', 1)",
    )
    .execute(&db)
    .await
    .unwrap();
    let refused = migrate(&db_name, backups.path());
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("does not know"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    db.close().await;
    drop_database(db_name);
}
