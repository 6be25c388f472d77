//! The index's life beside a running server: a reindex swapped in under searches,
//! replicas converging, connections lost, the change stream pruned.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use cargoparts::catalog::import::{self, ImportOptions, RawLine};
use cargoparts::cli::demo_catalog::DemoCatalog;
use cargoparts::search::generations::IndexRoot;
use cargoparts::search::verify::verify;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::auth_support::spawn_auth_app;
use crate::helpers::{TestApp, ndjson, record, spawn_app};

const NDJSON: &str = "application/x-ndjson";

/// Imports `listings` demo listings (from sellers named after `seed`).
async fn load_demo(db: &PgPool, listings: usize, seed: u64) {
    let lines = DemoCatalog::new(listings, 8, seed).map(|r| Ok(RawLine::Bytes(r.to_string().into_bytes())));
    import::import(db, lines, ImportOptions { batch_size: 500, writers: 2 }, |_| {}).await.unwrap();
}

/// Asserts that the app's live index equals the database.
async fn assert_index_equals_database(app: &TestApp) {
    let index = Arc::new(IndexRoot::new(app.index_dir()).open_live().unwrap());
    let differences = verify(&app.db, index).await.unwrap();
    assert!(differences.is_empty(), "{differences:?}");
}

fn generation_dirs(app: &TestApp) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(app.index_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_reindex_under_concurrent_searches_fails_none_and_keeps_changes_made_meanwhile() {
    let app = Arc::new(spawn_auth_app().await);
    load_demo(&app.db, 3000, 21).await;
    app.wait_for_index().await;
    let admin = app.admin("ops@example.com").await;
    let before = app.ready().await["search"]["generation"].as_str().unwrap().to_string();
    assert_eq!(generation_dirs(&app), vec![before.clone()]);

    let stop = Arc::new(AtomicBool::new(false));
    let (searches, failures) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let searchers: Vec<_> = ["فلتر زيت", "brake pads camry", "04152", "", "كفرات 17 انش"]
        .into_iter()
        .map(|q| {
            let (app, stop, searches, failures) = (app.clone(), stop.clone(), searches.clone(), failures.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let response = app.client.get(app.url("/api/v1/search")).query(&[("q", q)]).send().await;
                    let ok = match response {
                        Ok(r) if r.status() == 200 => r.json::<Value>().await.is_ok_and(|b| b["data"].is_array()),
                        _ => false,
                    };
                    searches.fetch_add(1, Ordering::Relaxed);
                    if !ok {
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();

    let started = app.post_as(&admin.access, "/api/v1/admin/reindex", &json!({})).await;
    assert_eq!(started.status(), 202);
    let body: Value = started.json().await.unwrap();
    assert_eq!(body["running"], true, "{body}");
    // A seller's changes while the new generation is built must survive the swap.
    let (_, key) = app.seller_with_key("during-reindex").await;
    let response = app.post_inventory(&key, NDJSON, ndjson(&[record("DURING-1"), record("DURING-2")])).await;
    assert_eq!(response.status(), 200);
    sqlx::query("DELETE FROM listings WHERE id IN (SELECT id FROM listings ORDER BY id LIMIT 3)")
        .execute(&app.db)
        .await
        .unwrap();

    let mut saw_progress = false;
    eventually("the new generation is served", async || {
        let status: Value = app.get_as(&admin.access, "/api/v1/admin/reindex").await.json().await.unwrap();
        saw_progress |= status["running"] == true && status["listings_total"].as_u64() > Some(0);
        let published = status["last"]["result"] == "published";
        published && app.ready().await["search"]["generation"] != before.as_str()
    })
    .await;
    // Searches go on for a moment on the new generation, then stop.
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, Ordering::Relaxed);
    for searcher in searchers {
        searcher.await.unwrap();
    }
    assert_eq!(failures.load(Ordering::Relaxed), 0, "of {} searches", searches.load(Ordering::Relaxed));
    assert!(searches.load(Ordering::Relaxed) > 0);
    assert!(saw_progress, "the status endpoint never showed the build's progress");

    app.wait_for_index().await;
    assert_index_equals_database(&app).await;
    let status: Value = app.get_as(&admin.access, "/api/v1/admin/reindex").await.json().await.unwrap();
    assert_eq!(status["running"], false, "{status}");
    assert!(status["last"]["listings"].as_u64() >= Some(2990), "{status}");
    // The replaced generation's directory goes once no search holds it.
    let after = app.ready().await["search"]["generation"].as_str().unwrap().to_string();
    eventually("the old generation is removed", async || generation_dirs(&app) == vec![after.clone()]).await;
    assert!(app.audit_events(admin.user_id).await.contains(&"admin.reindex_started".to_string()));
}

#[tokio::test]
async fn a_second_reindex_is_refused_while_one_runs_and_only_administrators_may_start_one() {
    let app = spawn_auth_app().await;
    app.wait_for_index().await;
    let admin = app.admin("ops@example.com").await;
    let buyer = app.register_buyer("shopper@example.com").await;

    let running = IndexRoot::new(app.index_dir()).lock_reindex().unwrap();
    let refused = app.post_as(&admin.access, "/api/v1/admin/reindex", &json!({})).await;
    assert_eq!(refused.status(), 409);
    let body: Value = refused.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("إعادة بناء الفهرس جارية"), "{body}");
    drop(running);

    assert_eq!(app.post_as(&buyer.access, "/api/v1/admin/reindex", &json!({})).await.status(), 403);
    assert_eq!(app.get_as(&buyer.access, "/api/v1/admin/reindex").await.status(), 403);
    let anonymous = app.client.post(app.url("/api/v1/admin/reindex")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);

    assert_eq!(app.post_as(&admin.access, "/api/v1/admin/reindex", &json!({})).await.status(), 202);
    eventually("the reindex finishes", async || {
        let status: Value = app.get_as(&admin.access, "/api/v1/admin/reindex").await.json().await.unwrap();
        status["last"]["result"] == "published"
    })
    .await;
}

#[tokio::test]
async fn two_replicas_on_one_database_converge_on_upserts_updates_and_deletes() {
    let primary = spawn_app().await;
    let replica = primary.spawn_replica().await;
    load_demo(&primary.db, 400, 22).await;
    let (_, key) = primary.seller_with_key("replicated").await;
    let records: Vec<Value> = (0..30).map(|i| record(&format!("REP-{i}"))).collect();
    assert_eq!(primary.post_inventory(&key, NDJSON, ndjson(&records)).await.status(), 200);
    // Price and stock updates, a deletion, a paused seller: through the sync API and SQL.
    let patch = primary
        .client
        .patch(primary.url("/api/v1/seller/listings/REP-1"))
        .bearer_auth(&key)
        .json(&json!({"price_sar": "39.50", "quantity": 0}))
        .send()
        .await
        .unwrap();
    assert_eq!(patch.status(), 200, "{}", patch.text().await.unwrap());
    let delete =
        primary.client.delete(primary.url("/api/v1/seller/listings/REP-2")).bearer_auth(&key).send().await.unwrap();
    assert_eq!(delete.status(), 204);
    sqlx::query("UPDATE sellers SET status = 'suspended' WHERE id = (SELECT seller_id FROM listings LIMIT 1)")
        .execute(&primary.db)
        .await
        .unwrap();

    for app in [&primary, &replica] {
        app.wait_for_index().await;
        assert_index_equals_database(app).await;
    }
    let ids =
        |body: Value| -> Vec<Value> { body["data"].as_array().unwrap().iter().map(|h| h["id"].clone()).collect() };
    for q in ["فلتر زيت كامري", "04152-YZZA1", ""] {
        let query = [("q", q), ("limit", "50")];
        assert_eq!(ids(primary.search(&query).await), ids(replica.search(&query).await), "{q}");
    }
    let hit = primary.search(&[("q", "04152-YZZA1"), ("limit", "50")]).await;
    let rep1 = hit["data"].as_array().unwrap().iter().find(|h| h["sku"] == "REP-1").expect("REP-1 is indexed").clone();
    assert_eq!(rep1["price_sar"], "39.50", "{rep1}");
    assert!(hit["data"].as_array().unwrap().iter().all(|h| h["sku"] != "REP-2"));
}

#[tokio::test]
async fn the_indexer_reconnects_after_its_database_connections_are_dropped_and_misses_nothing() {
    let app = spawn_app().await;
    load_demo(&app.db, 200, 23).await;
    app.wait_for_index().await;
    let listening = async || -> i64 {
        sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%'",
        )
        .fetch_one(&app.db)
        .await
        .unwrap()
    };
    assert_eq!(listening().await, 1);

    // What a PostgreSQL restart does to this database's sessions.
    let terminated: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid()) t",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(terminated >= 1);
    // Changes made straight after, while the indexer reconnects.
    let (_, key) = app.seller_with_key("after-drop").await;
    assert_eq!(app.post_inventory(&key, NDJSON, ndjson(&[record("AFTER-DROP")])).await.status(), 200);
    sqlx::query("UPDATE listings SET price_sar = price_sar + 1 WHERE sku <> 'AFTER-DROP'")
        .execute(&app.db)
        .await
        .unwrap();

    app.wait_for_index().await;
    assert_index_equals_database(&app).await;
    eventually("the indexer listens again", async || listening().await == 1).await;
    // And notifications reach it again: a change shows up.
    sqlx::query("DELETE FROM listings WHERE sku = 'AFTER-DROP'").execute(&app.db).await.unwrap();
    app.wait_for_index().await;
    assert_index_equals_database(&app).await;
}

#[tokio::test]
async fn index_lag_is_reported_in_readiness_and_metrics() {
    let app = spawn_app().await;
    load_demo(&app.db, 50, 24).await;
    app.wait_for_index().await;
    let ready = app.ready().await;
    let search = &ready["search"];
    assert_eq!(search["status"], "ok", "{ready}");
    assert_eq!(search["lag"]["seq_behind"], 0, "{ready}");
    assert_eq!(search["lag"]["seconds_behind"], 0.0, "{ready}");
    assert!(search["lag"]["head_seq"].as_i64() >= Some(50), "{ready}");
    assert!(search["generation"].as_str().unwrap().starts_with("gen-"), "{ready}");
    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    for name in [
        "search_index_lag_seconds",
        "search_index_lag_seq",
        "search_index_last_commit_timestamp_seconds",
        "search_index_documents",
        "search_reindex_running",
    ] {
        assert!(metrics.contains(name), "{name} missing from /metrics");
    }
}

#[tokio::test]
async fn a_server_whose_unread_changes_were_pruned_rebuilds_instead_of_missing_them() {
    use cargoparts::app::Application;
    use cargoparts::search::store::outbox;

    let db_name = crate::helpers::fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let settings = || {
        let mut s = crate::helpers::test_settings(&db_name);
        s.search.index_dir = dir.path().to_path_buf();
        s
    };
    let age_outbox = async |db: &PgPool| {
        sqlx::query("UPDATE search_outbox SET created_at = now() - interval '30 days'").execute(db).await.unwrap();
    };
    let retention = Duration::from_secs(7 * 24 * 3600);

    let first = Application::build(settings()).await.unwrap();
    let db = first.state().db.0.clone();
    let status = first.state().search.status.clone();
    let first_generation = first.state().search.index.load().dir.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(first.run_until(async move {
        let _ = stopped.await;
    }));
    // Caught up for pruning means the committed watermark is past every row's
    // transaction, not only that every row was applied: a row applied from a snapshot
    // that a concurrent transaction held back is covered by the next commit.
    let newest_txid = async |db: &PgPool| -> u64 {
        sqlx::query_scalar::<_, i64>("SELECT max(txid)::text::bigint FROM search_outbox").fetch_one(db).await.unwrap()
            as u64
    };
    load_demo(&db, 60, 25).await;
    let head: i64 = sqlx::query_scalar("SELECT max(seq) FROM search_outbox").fetch_one(&db).await.unwrap();
    let txid = newest_txid(&db).await;
    eventually("the first server caught up", async || {
        status.ready.load(Ordering::Acquire)
            && status.applied_seq.load(Ordering::Acquire) >= head
            && status.watermark_xmin.load(Ordering::Acquire) > txid
    })
    .await;
    // Pruning what a caught-up server has read costs it nothing.
    age_outbox(&db).await;
    assert!(outbox::prune(&db, retention).await.unwrap() > 0);
    sqlx::query("UPDATE listings SET price_sar = price_sar + 1 WHERE sku IN (SELECT sku FROM listings LIMIT 2)")
        .execute(&db)
        .await
        .unwrap();
    let head: i64 = sqlx::query_scalar("SELECT max(seq) FROM search_outbox").fetch_one(&db).await.unwrap();
    let txid = newest_txid(&db).await;
    eventually("the first server applied the update", async || {
        status.applied_seq.load(Ordering::Acquire) >= head && status.watermark_xmin.load(Ordering::Acquire) > txid
    })
    .await;
    assert!(!status.rebuilding.load(Ordering::Acquire));
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();

    // While no server runs: changes, then retention prunes them before anyone read them.
    load_demo(&db, 30, 26).await;
    sqlx::query("DELETE FROM listings WHERE id IN (SELECT id FROM listings ORDER BY id LIMIT 4)")
        .execute(&db)
        .await
        .unwrap();
    age_outbox(&db).await;
    assert!(outbox::prune(&db, retention).await.unwrap() > 0);

    let second = Application::build(settings()).await.unwrap();
    assert_eq!(second.state().search.index.load().dir, first_generation);
    let search = second.state().search.clone();
    eventually("the second server rebuilt", async || {
        search.status.ready.load(Ordering::Acquire)
            && !search.status.rebuilding.load(Ordering::Acquire)
            && search.index.load().dir != first_generation
    })
    .await;
    let differences = verify(&db, search.index.load_full()).await.unwrap();
    assert!(differences.is_empty(), "{differences:?}");
    assert!(differences.indexed >= 50, "{differences:?}");
    drop(second);
    db.close().await;
    crate::helpers::drop_database(db_name);
}
