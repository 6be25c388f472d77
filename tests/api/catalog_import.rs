use std::io::Write;
use std::process::Command;

use cargoparts::catalog::feed::RejectedLine;
use cargoparts::catalog::import::{self, ImportOptions, ImportReport, RawLine};
use cargoparts::cli::demo_catalog::DemoCatalog;
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{TestApp, server_url, spawn_app};

/// The demo catalog as feed lines, with three bad lines put in at known places.
fn feed_with_bad_lines(listings: usize) -> Vec<Vec<u8>> {
    let mut lines: Vec<Vec<u8>> = DemoCatalog::new(listings, 12, 3).map(|r| r.to_string().into_bytes()).collect();
    let mut no_title = serde_json::from_slice::<serde_json::Value>(&lines[0]).unwrap();
    no_title["sku"] = json!("BAD-TITLE");
    no_title.as_object_mut().unwrap().remove("title");
    let mut negative = serde_json::from_slice::<serde_json::Value>(&lines[1]).unwrap();
    negative["sku"] = json!("BAD-PRICE");
    negative["price_sar"] = json!("-10.00");
    lines.insert(10, no_title.to_string().into_bytes());
    lines.insert(20, negative.to_string().into_bytes());
    lines.insert(30, b"{\"sku\": \"BAD-UTF8\xff\"}".to_vec());
    lines
}

async fn run_import(db: &PgPool, lines: Vec<Vec<u8>>) -> (ImportReport, Vec<RejectedLine>) {
    let mut rejected = Vec::new();
    let source = lines.into_iter().map(|l| Ok(RawLine::Bytes(l)));
    let report = import::import(db, source, ImportOptions { batch_size: 64, writers: 3 }, |r| rejected.push(r.clone()))
        .await
        .unwrap();
    (report, rejected)
}

#[tokio::test]
async fn importing_a_generated_feed_stores_every_good_line_and_reports_the_bad_ones() {
    let app = spawn_app().await;
    let (report, rejected) = run_import(&app.db, feed_with_bad_lines(300)).await;

    assert_eq!(report.lines, 303);
    assert_eq!(report.outcome.inserted, 300);
    assert_eq!(report.rejected_lines, 3);
    let where_what: Vec<(u64, &str)> = rejected.iter().map(|r| (r.line, r.field.as_str())).collect();
    assert_eq!(where_what, vec![(11, "title"), (21, "price_sar"), (31, "line")]);
    assert_eq!(rejected[1].sku.as_deref(), Some("BAD-PRICE"));
    assert_eq!(app.count("SELECT count(*) FROM listings").await, 300);
    assert_eq!(app.count("SELECT count(*) FROM listings WHERE sku LIKE 'BAD-%'").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM sellers").await, 12);
    assert_eq!(app.count("SELECT count(DISTINCT listing_id) FROM search_outbox").await, 300);
}

#[tokio::test]
async fn importing_the_same_feed_twice_changes_nothing() {
    let app = spawn_app().await;
    run_import(&app.db, feed_with_bad_lines(200)).await;
    let stamp = "SELECT count(*) FROM listings WHERE updated_at <> created_at";
    let outbox = app.count("SELECT count(*) FROM search_outbox").await;

    let (again, _) = run_import(&app.db, feed_with_bad_lines(200)).await;

    assert_eq!(again.outcome.unchanged, 200);
    assert_eq!(again.outcome.inserted + again.outcome.updated, 0);
    assert_eq!(app.count(stamp).await, 0);
    assert_eq!(app.count("SELECT count(*) FROM search_outbox").await, outbox);
}

#[tokio::test]
async fn a_deleted_line_removes_the_listing_and_its_fitment() {
    let app = spawn_app().await;
    let lines = feed_with_bad_lines(50);
    let first: serde_json::Value = serde_json::from_slice(&lines[0]).unwrap();
    run_import(&app.db, lines).await;
    let deletion = json!({"seller": first["seller"], "sku": first["sku"], "deleted": true});

    let (report, _) = run_import(&app.db, vec![deletion.to_string().into_bytes()]).await;

    assert_eq!(report.outcome.deleted, 1);
    assert_eq!(app.count("SELECT count(*) FROM listings").await, 49);
    assert_eq!(
        app.count(
            "SELECT count(*) FROM listing_fitment f LEFT JOIN listings l ON l.id = f.listing_id WHERE l.id IS NULL"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn the_later_of_two_lines_for_one_sku_wins_within_a_batch() {
    let app = spawn_app().await;
    let mut line: serde_json::Value = DemoCatalog::new(1, 1, 1).next().unwrap();
    let first = line.to_string().into_bytes();
    line["price_sar"] = json!("12.34");
    let (report, _) = run_import(&app.db, vec![first, line.to_string().into_bytes()]).await;
    assert_eq!(report.outcome.inserted, 1);
    let price: String = sqlx::query_scalar("SELECT price_sar::text FROM listings").fetch_one(&app.db).await.unwrap();
    assert_eq!(price, "12.34");
}

#[tokio::test]
async fn across_batches_and_writers_the_last_line_of_each_listing_wins() {
    let app = spawn_app().await;
    let base: Vec<serde_json::Value> = DemoCatalog::new(200, 7, 5).collect();
    // Three rounds over the same 200 listings, 64 lines a batch, three writers: every
    // listing's lines fall in different batches, each batch split over the writers.
    let mut lines = Vec::new();
    for round in 1..=3 {
        for (i, record) in base.iter().enumerate() {
            let mut record = record.clone();
            if round == 3 && i % 10 == 0 {
                record["deleted"] = json!(true);
            } else {
                record["price_sar"] = json!(format!("{round}{i:03}.00"));
            }
            lines.push(record.to_string().into_bytes());
        }
    }
    let (report, rejected) = run_import(&app.db, lines).await;
    assert!(rejected.is_empty(), "{rejected:?}");
    assert_eq!(report.outcome.deleted, 20);
    let prices: Vec<(String, String)> =
        sqlx::query_as("SELECT sku, price_sar::text FROM listings").fetch_all(&app.db).await.unwrap();
    assert_eq!(prices.len(), 180);
    for (sku, price) in prices {
        let i = base.iter().position(|r| r["sku"] == sku.as_str()).unwrap();
        assert_eq!(price, format!("3{i:03}.00"), "{sku}");
    }
}

#[tokio::test]
async fn a_first_import_writes_one_change_stream_row_per_listing() {
    let app = spawn_app().await;
    let (report, _) = run_import(&app.db, feed_with_bad_lines(300)).await;
    let with_fitment = app.count("SELECT count(DISTINCT listing_id) FROM listing_fitment").await;
    assert!(with_fitment > 100, "the feed has fitment to write");
    let rows = app.count("SELECT count(*) FROM search_outbox").await;
    assert_eq!(rows as u64, report.outcome.inserted);
}

fn cargoparts(app: &TestApp) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cargoparts"));
    command
        .env("DATABASE_URL", format!("{}/{}", server_url(), app.db_name))
        .env("RUST_LOG", "warn")
        .env_remove("REDIS_URL");
    command
}

#[tokio::test]
async fn the_import_command_prints_a_summary_and_the_rejected_lines() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed.jsonl");
    let rejects = dir.path().join("rejects.jsonl");
    let mut file = std::fs::File::create(&feed).unwrap();
    for line in feed_with_bad_lines(40) {
        file.write_all(&line).unwrap();
        file.write_all(b"\n").unwrap();
    }
    drop(file);

    let output = cargoparts(&app).arg("import").arg(&feed).arg("--rejects").arg(&rejects).output().unwrap();

    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("43 lines") && stdout.contains("40 new") && stdout.contains("rejected 3"), "{stdout}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("line 21 (sku BAD-PRICE): price_sar: must be greater than 0"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&rejects).unwrap().lines().count(), 3);
    assert_eq!(app.count("SELECT count(*) FROM listings").await, 40);
}

#[tokio::test]
async fn the_import_command_fails_when_the_file_cannot_be_read() {
    let app = spawn_app().await;
    let output = cargoparts(&app).args(["import", "/nonexistent/feed.jsonl"]).output().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read /nonexistent/feed.jsonl"));
}

#[tokio::test]
async fn the_create_key_command_prints_a_working_key_once() {
    let app = spawn_app().await;
    let output = cargoparts(&app)
        .args(["seller", "create-key", "S77", "--name", "تشليح الصقر", "--city", "Jeddah"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let key = String::from_utf8(output.stdout).unwrap().trim().to_string();
    assert!(key.starts_with("cpk_"));
    let stored: Vec<u8> = sqlx::query_scalar("SELECT key_hash FROM seller_api_keys").fetch_one(&app.db).await.unwrap();
    assert_ne!(stored, key.as_bytes(), "only a digest is stored");
    let response = app.client.get(app.url("/api/v1/seller/listings")).bearer_auth(&key).send().await.unwrap();
    assert_eq!(response.status(), 200);

    let unknown = cargoparts(&app).args(["seller", "create-key", "NOBODY"]).output().unwrap();
    assert!(!unknown.status.success());
}

#[tokio::test]
async fn an_import_line_with_a_nul_is_rejected_and_the_rest_imported() {
    let app = spawn_app().await;
    let mut lines: Vec<Vec<u8>> = DemoCatalog::new(20, 2, 5).map(|r| r.to_string().into_bytes()).collect();
    let mut poisoned: serde_json::Value = serde_json::from_slice(&lines[3]).unwrap();
    poisoned["photos"] = json!(["https://img.example.com/x\u{0000}.jpg"]);
    lines[3] = poisoned.to_string().into_bytes();
    let deletion = json!({"seller": poisoned["seller"], "sku": "GONE\u{0000}", "deleted": true});
    lines.push(deletion.to_string().into_bytes());

    let (report, rejected) = run_import(&app.db, lines).await;

    assert_eq!(report.outcome.inserted, 19);
    let where_what: Vec<(u64, &str)> = rejected.iter().map(|r| (r.line, r.field.as_str())).collect();
    assert_eq!(where_what, vec![(4, "photos[0]"), (21, "sku")]);
    assert_eq!(app.count("SELECT count(*) FROM listings").await, 19);
}
