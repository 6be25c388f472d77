//! Search on a small fixture catalog: each listing stands for a phenomenon of how
//! sellers write and shoppers type.

use std::time::Duration;

use cargoparts::search::queue::QueueLimits;
use cargoparts::search::service::SearchService;
use serde_json::{Value, json};

use crate::helpers::{TestApp, ndjson, spawn_app, spawn_prepared_app};

const NDJSON: &str = "application/x-ndjson";

fn listing(
    sku: &str,
    title: &str,
    category: &str,
    fitment: Value,
    oem: &[&str],
    condition: &str,
    price: &str,
) -> Value {
    json!({
        "sku": sku, "title": title, "category": category, "fitment": fitment, "oem_numbers": oem,
        "condition": condition, "price_sar": price, "quantity": 5, "city": "Riyadh",
        "description": "قطعة أصلية، ضمان سنة"
    })
}

fn fits(make: &str, model: &str, from: u16, to: u16) -> Value {
    json!([{"make": make, "model": model, "year_from": from, "year_to": to}])
}

/// The fixture catalog, indexed.
async fn catalog() -> (TestApp, String) {
    catalog_in(spawn_app().await).await
}

/// The fixture catalog, indexed by `app`.
async fn catalog_in(app: TestApp) -> (TestApp, String) {
    let (_, key) = app.seller_with_key("S1").await;
    let records = vec![
        listing(
            "CAMRY-OF-NEW",
            "فلتر زيت تويوتا كامري 2018-2024",
            "oil-filter",
            fits("Toyota", "Camry", 2018, 2024),
            &["04152-YZZA1"],
            "new",
            "45.00",
        ),
        listing(
            "CAMRY-OF-OLD",
            "فلتر زيت تويوتا كامري 2012-2017",
            "oil-filter",
            fits("Toyota", "Camry", 2012, 2017),
            &["04152-31090"],
            "new",
            "40.00",
        ),
        listing(
            "CAMRY-OF-MANN",
            "Mann Oil Filter Toyota Camry 2018-2024",
            "oil-filter",
            fits("Toyota", "Camry", 2018, 2024),
            &["04152yzza1", "W68/3"],
            "new",
            "38.00",
        ),
        listing("CAMRY-OF-INTERCHANGE", "Mann W68/3 oil filter", "oil-filter", json!([]), &["W68/3"], "new", "30.00"),
        listing(
            "CAMRY-OF-TITLE-ONLY",
            "فلتر زيت تيوتا كامرى موديل ٢٠٢٠ مستعمل",
            "oil-filter",
            json!([]),
            &[],
            "used",
            "20.00",
        ),
        listing(
            "COROLLA-OF",
            "فلتر زيت كورولا 2014-2019",
            "oil-filter",
            fits("Toyota", "Corolla", 2014, 2019),
            &["90915-YZZE1"],
            "new",
            "35.00",
        ),
        listing(
            "CAMRY-PADS",
            "فحمات فرامل امامية كامري 2018-2024",
            "brake-pads",
            fits("Toyota", "Camry", 2018, 2024),
            &["04465-33471"],
            "new",
            "180.00",
        ),
        listing(
            "PATROL-PLUGS-USED",
            "بواجي نيسان باترول 2010-2019 مستعمل",
            "spark-plug",
            fits("Nissan", "Patrol", 2010, 2019),
            &["22401-1LA1A"],
            "used",
            "60.00",
        ),
        listing(
            "PATROL-PLUGS-NEW",
            "Spark Plugs Nissan Patrol 2010-2019 NGK",
            "spark-plug",
            fits("Nissan", "Patrol", 2010, 2019),
            &["LFR6E"],
            "new",
            "95.00",
        ),
        listing(
            "SONATA-RADIATOR",
            "رديتر هيونداي سوناتا 2015-2019",
            "radiator",
            fits("Hyundai", "Sonata", 2015, 2019),
            &["25310-C1100"],
            "refurbished",
            "650.00",
        ),
        listing(
            "BENZ-LIGHT",
            "شمعة أمامية مرسيدس اي كلاس 2017-2023",
            "headlight",
            fits("Mercedes-Benz", "E-Class", 2017, 2023),
            &["A213 906 71 03"],
            "new",
            "2400.00",
        ),
    ];
    let response = app.post_inventory(&key, NDJSON, ndjson(&records)).await;
    assert_eq!(response.status(), 200);
    app.wait_for_index().await;
    (app, key)
}

fn skus(result: &Value) -> Vec<String> {
    result["data"].as_array().unwrap().iter().map(|h| h["sku"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn a_part_for_a_car_and_year_comes_first_however_it_is_spelled() {
    let (app, _) = catalog().await;
    for q in [
        "فلتر زيت كامري ٢٠١٩",
        "فِلتر الزيت كامرى 2019",
        "فلتر زيت لكامري 2019",
        "camry oil filter 2019",
        "Camry Oil Filter ٢٠١٩",
        "فلتر زيت camry 2019",
    ] {
        let result = app.search(&[("q", q)]).await;
        let top = skus(&result);
        assert!(
            top[..3].iter().all(|s| ["CAMRY-OF-NEW", "CAMRY-OF-MANN", "CAMRY-OF-TITLE-ONLY"].contains(&s.as_str())),
            "{q}: {top:?}"
        );
        assert!(!top[..3].contains(&"CAMRY-OF-OLD".to_string()), "{q}: the 2012-2017 filter does not fit 2019");
        assert!(!top.contains(&"CAMRY-PADS".to_string()), "{q}: brake pads are not an oil filter");
    }
}

#[tokio::test]
async fn the_listing_for_the_asked_year_ranks_above_the_other_generation() {
    let (app, _) = catalog().await;
    let result = app.search(&[("q", "فلتر زيت كامري 2015")]).await;
    assert_eq!(skus(&result)[0], "CAMRY-OF-OLD");
    assert_eq!(result["query"]["year"], 2015);
    assert_eq!(result["query"]["model"], "Camry");
}

#[tokio::test]
async fn typos_in_longer_words_still_find_the_part() {
    let (app, _) = catalog().await;
    let result = app.search(&[("q", "camery oil filtr")]).await;
    assert!(skus(&result)[..2].iter().all(|s| s.starts_with("CAMRY-OF")), "{:?}", skus(&result));
    let result = app.search(&[("q", "ردياتير سوناتا")]).await;
    assert_eq!(skus(&result)[0], "SONATA-RADIATOR");
}

#[tokio::test]
async fn part_numbers_match_in_every_format_then_interchangeable_ones_follow() {
    let (app, _) = catalog().await;
    for q in ["04152-YZZA1", "04152 YZZA1", "04152yzza1", "٠٤١٥٢-YZZA1", "04152-yzza1"] {
        let top = skus(&app.search(&[("q", q)]).await);
        assert_eq!(top.len(), 3, "{q}: {top:?}");
        assert!(
            top[..2].contains(&"CAMRY-OF-NEW".to_string()) && top[..2].contains(&"CAMRY-OF-MANN".to_string()),
            "{q}: {top:?}"
        );
        // The Mann filter carries W68/3 too: a listing with only W68/3 is interchangeable.
        assert_eq!(top[2], "CAMRY-OF-INTERCHANGE", "{q}");
    }
    let prefix = skus(&app.search(&[("q", "04152-")]).await);
    assert!(prefix.contains(&"CAMRY-OF-NEW".to_string()) && prefix.contains(&"CAMRY-OF-OLD".to_string()), "{prefix:?}");
    let spaced = skus(&app.search(&[("q", "A213 906 71 03")]).await);
    assert_eq!(spaced[0], "BENZ-LIGHT");
}

#[tokio::test]
async fn a_car_named_only_in_the_title_is_found_by_the_garage_filter() {
    let (app, _) = catalog().await;
    let result =
        app.search(&[("make", "toyota"), ("model", "كامري"), ("year", "2020"), ("category", "oil-filter")]).await;
    let found = skus(&result);
    assert!(found.contains(&"CAMRY-OF-TITLE-ONLY".to_string()), "{found:?}");
    assert!(!found.contains(&"CAMRY-OF-OLD".to_string()), "{found:?}");
    assert!(!found.contains(&"COROLLA-OF".to_string()), "{found:?}");
}

#[tokio::test]
async fn the_asked_condition_ranks_first() {
    let (app, _) = catalog().await;
    let used = skus(&app.search(&[("q", "بواجي مستعمل باترول")]).await);
    assert_eq!(used[0], "PATROL-PLUGS-USED");
    let new = skus(&app.search(&[("q", "بواجي جديد باترول")]).await);
    assert_eq!(new[0], "PATROL-PLUGS-NEW");
}

#[tokio::test]
async fn filters_sorting_paging_and_facets_follow_the_spec() {
    let (app, _) = catalog().await;
    let browse = app.search(&[("limit", "4")]).await;
    assert_eq!(browse["meta"]["total"], 11);
    assert_eq!(browse["meta"]["totalPages"], 3);
    assert_eq!(browse["meta"]["hasNext"], true);
    assert!(browse["meta"]["took_ms"].as_f64().unwrap() >= 0.0);
    assert_eq!(browse["facets"]["category"]["oil-filter"], 6);
    assert_eq!(browse["facets"]["make"]["Toyota"], 6, "the interchange-only listing names no car");
    assert_eq!(browse["facets"]["condition"]["used"], 2);

    let cheap = app.search(&[("category", "oil-filter"), ("sort", "price_asc"), ("price_max", "39.99")]).await;
    let prices: Vec<&str> =
        cheap["data"].as_array().unwrap().iter().map(|h| h["price_sar"].as_str().unwrap()).collect();
    assert_eq!(prices, vec!["20.00", "30.00", "35.00", "38.00"]);

    let two_conditions = app.search(&[("condition", "used"), ("condition", "refurbished")]).await;
    assert_eq!(two_conditions["meta"]["total"], 3);

    let page_two = app.search(&[("limit", "4"), ("page", "2"), ("sort", "price_desc")]).await;
    assert_eq!(page_two["data"].as_array().unwrap().len(), 4);
    assert_eq!(page_two["meta"]["hasPrev"], true);
}

#[tokio::test]
async fn hostile_and_odd_queries_all_get_an_answer() {
    let (app, _) = catalog().await;
    let long = "فلتر ".repeat(2000);
    for q in [
        "'; DROP TABLE listings; --",
        "<script>alert(1)</script>",
        long.as_str(),
        "\u{0651}\u{0652}\u{064B}",
        "\u{202E}\u{200F}فلتر\u{200E}",
        "\u{0000}",
        "🚗🔧",
        "   ",
        "ـــــ",
    ] {
        let response = app.client.get(app.url("/api/v1/search")).query(&[("q", q)]).send().await.unwrap();
        assert_eq!(response.status(), 200, "{q:?}");
    }
    assert_eq!(app.count("SELECT count(*) FROM listings").await, 11);
}

#[tokio::test]
async fn bad_parameters_get_a_400_naming_the_field() {
    let (app, _) = catalog().await;
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("page=-1", "page"),
        ("page=0", "page"),
        ("year=abc", "year"),
        ("year=1800", "year"),
        ("sort=cheapest", "sort"),
        ("price_min=-5", "price_min"),
        ("category=hover-boards", "category"),
        ("condition=broken", "condition"),
        ("seller=not-a-uuid", "seller"),
        ("in_stock=maybe", "in_stock"),
        ("page=200&limit=100", "page"),
    ] {
        let response = app.client.get(app.url(&format!("/api/v1/search?{query}"))).send().await.unwrap();
        assert_eq!(response.status(), 400, "{query}");
        let envelope: Value = response.json().await.unwrap();
        assert_eq!(envelope["error"]["details"][0]["field"], field, "{query}: {envelope}");
    }
    let reversed = app.client.get(app.url("/api/v1/search?price_min=50&price_max=10")).send().await.unwrap();
    assert_eq!(reversed.status(), 400);
}

#[tokio::test]
async fn a_sellers_changes_reach_search() {
    let (app, key) = catalog().await;
    let path = app.url("/api/v1/seller/listings/COROLLA-OF");
    app.client.patch(&path).bearer_auth(&key).json(&json!({"price_sar": "33.50", "quantity": 0})).send().await.unwrap();
    app.wait_for_index().await;
    let result = app.search(&[("q", "90915-YZZE1")]).await;
    assert_eq!(result["data"][0]["price_sar"], "33.50");
    let in_stock = app.search(&[("q", "90915-YZZE1"), ("in_stock", "true")]).await;
    assert_eq!(in_stock["meta"]["total"], 0);

    app.client.delete(&path).bearer_auth(&key).send().await.unwrap();
    app.wait_for_index().await;
    assert_eq!(app.search(&[("q", "90915-YZZE1")]).await["meta"]["total"], 0);

    app.client
        .patch(app.url("/api/v1/seller/listings/SONATA-RADIATOR"))
        .bearer_auth(&key)
        .json(&json!({"status": "paused"}))
        .send()
        .await
        .unwrap();
    app.wait_for_index().await;
    assert_eq!(
        app.search(&[("q", "رديتر سوناتا")]).await["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["sku"] == "SONATA-RADIATOR")
            .count(),
        0
    );
}

#[tokio::test]
async fn a_restarted_server_resumes_from_its_watermark_and_misses_nothing_changed_meanwhile() {
    use cargoparts::app::Application;
    use cargoparts::catalog::import::{self, ImportOptions, RawLine};
    use cargoparts::cli::demo_catalog::DemoCatalog;
    use std::sync::atomic::Ordering;

    let db_name = crate::helpers::fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let settings = || {
        let mut s = crate::helpers::test_settings(&db_name);
        s.search.index_dir = dir.path().to_path_buf();
        s
    };
    let feed = |range: std::ops::Range<usize>| {
        DemoCatalog::new(60, 3, 5)
            .skip(range.start)
            .take(range.len())
            .map(|r| Ok(RawLine::Bytes(r.to_string().into_bytes())))
    };
    let caught_up = |app: &Application| {
        let db = app.state().db.0.clone();
        let status = app.state().search.status.clone();
        async move {
            let wanted: i64 =
                sqlx::query_scalar("SELECT coalesce(max(seq), 0) FROM search_outbox").fetch_one(&db).await.unwrap();
            while !(status.ready.load(Ordering::Acquire) && status.applied_seq.load(Ordering::Acquire) >= wanted) {
                let _ = tokio::time::timeout(std::time::Duration::from_millis(50), status.committed.notified()).await;
            }
        }
    };

    let first = Application::build(settings()).await.unwrap();
    let db = first.state().db.0.clone();
    import::import(&db, feed(0..40), ImportOptions { batch_size: 100, writers: 2 }, |_| {}).await.unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(30), caught_up(&first)).await.expect("first index caught up");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(first.run_until(async move {
        let _ = stopped.await;
    }));
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();

    // Changes while no server runs: new listings and a deletion.
    import::import(&db, feed(40..60), ImportOptions { batch_size: 100, writers: 2 }, |_| {}).await.unwrap();
    sqlx::query("DELETE FROM listings WHERE id IN (SELECT id FROM listings ORDER BY id LIMIT 5)")
        .execute(&db)
        .await
        .unwrap();

    let second = Application::build(settings()).await.unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(30), caught_up(&second)).await.expect("second index caught up");
    let in_db: i64 = sqlx::query_scalar("SELECT count(*) FROM listings").fetch_one(&db).await.unwrap();
    assert_eq!(second.state().search.index.load().num_docs(), in_db as u64);
    assert_eq!(in_db, 55);
    drop(second);
    db.close().await;
    crate::helpers::drop_database(db_name);
}

#[tokio::test]
async fn completions_follow_the_script_typed() {
    let (app, _) = catalog().await;
    let suggest = |q: &'static str| {
        let app = &app;
        async move {
            let body: Value = app
                .client
                .get(app.url("/api/v1/search/suggest"))
                .query(&[("q", q)])
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            body["data"].as_array().unwrap().clone()
        }
    };
    let arabic = suggest("فلتر ز").await;
    assert!(arabic.iter().any(|s| s["value"] == "oil-filter"), "{arabic:?}");
    assert!(arabic.iter().all(|s| s["text"].as_str().unwrap().chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c))));
    let latin = suggest("cam").await;
    assert!(latin.iter().any(|s| s["kind"] == "model" && s["value"] == "Toyota Camry"), "{latin:?}");
    let number = suggest("04152-Y").await;
    assert!(number.iter().any(|s| s["kind"] == "part_number" && s["value"] == "04152yzza1"), "{number:?}");
    assert!(suggest("").await.is_empty());
}

#[tokio::test]
async fn verify_finds_the_index_equal_to_the_database_and_names_every_difference() {
    use cargoparts::search::generations::IndexRoot;
    use cargoparts::search::verify::verify;
    use std::sync::Arc;

    let (app, _) = catalog().await;
    let index = Arc::new(IndexRoot::new(app.index_dir()).open_live().unwrap());
    let equal = verify(&app.db, index).await.unwrap();
    assert!(equal.is_empty(), "{equal:?}");
    assert_eq!((equal.indexed, equal.in_database), (11, 11));

    // Writes that bypass the change stream are what verify exists to catch.
    let mut conn = app.db.acquire().await.unwrap();
    sqlx::query("SET session_replication_role = replica").execute(&mut *conn).await.unwrap();
    sqlx::query("DELETE FROM listings WHERE sku = 'COROLLA-OF'").execute(&mut *conn).await.unwrap();
    sqlx::query("UPDATE listings SET price_sar = 1 WHERE sku = 'CAMRY-PADS'").execute(&mut *conn).await.unwrap();
    sqlx::query("SET session_replication_role = origin").execute(&mut *conn).await.unwrap();
    drop(conn);

    let index = Arc::new(IndexRoot::new(app.index_dir()).open_live().unwrap());
    let differences = verify(&app.db, index).await.unwrap();
    assert_eq!(differences.extra.len(), 1, "{differences:?}");
    assert_eq!(differences.stale.len(), 1, "{differences:?}");
    assert!(differences.missing.is_empty() && differences.duplicated.is_empty(), "{differences:?}");
}

/// One search as a shopper would send it, answered with its status, `Retry-After`
/// and error code.
async fn search_status(app: &TestApp, q: &str) -> (u16, Option<String>, Option<String>) {
    let response = app.client.get(app.url("/api/v1/search")).query(&[("q", q)]).send().await.unwrap();
    let status = response.status().as_u16();
    let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
    let body: Value = response.json().await.unwrap();
    (status, retry_after, body["error"]["code"].as_str().map(str::to_string))
}

/// Every answer of a burst is a page of results or a refusal saying when to retry.
fn assert_answered_or_refused(answers: &[(u16, Option<String>, Option<String>)]) {
    for (status, retry_after, code) in answers {
        match status {
            200 => assert_eq!(retry_after, &None),
            503 => {
                assert_eq!(code.as_deref(), Some("SERVICE_UNAVAILABLE"));
                let secs: u64 = retry_after.as_deref().expect("a refusal says when to retry").parse().unwrap();
                assert!(secs >= 1, "Retry-After {secs}");
            }
            other => panic!("a search got {other} ({code:?})"),
        }
    }
}

#[tokio::test]
async fn a_burst_beyond_the_search_queue_is_refused_with_retry_after_and_never_fails() {
    let limits = QueueLimits { concurrency: 1, capacity: 1, max_wait: Duration::from_secs(2) };
    let mut served: Option<SearchService> = None;
    let app = spawn_prepared_app(
        |_| {},
        |application| {
            let search = application.state().search.clone().with_queue(limits);
            served = Some(search.clone());
            application.state_mut().search = search;
        },
    )
    .await;
    let queue = served.unwrap().queue().clone();
    let (app, _) = catalog_in(app).await;
    let burst = |n: usize| {
        let app = &app;
        futures::future::join_all((0..n).map(move |i| async move {
            let q = ["فلتر زيت كامري 2019", "04152-YZZA1", "spark plug patrol", "رديتر"][i % 4];
            search_status(app, q).await
        }))
    };

    // A burst as it comes: each search is answered or refused, none fails.
    let answers = burst(64).await;
    assert_answered_or_refused(&answers);

    // While the only slot is taken, one search may wait and the rest are refused.
    let slot = queue.admit().await.unwrap();
    let refused_before = queue.rejected();
    let held = burst(20);
    let released = async {
        for _ in 0..3000 {
            if queue.rejected() >= refused_before + 19 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        drop(slot);
    };
    let (answers, ()) = tokio::join!(held, released);
    assert_answered_or_refused(&answers);
    let refusals = answers.iter().filter(|(status, ..)| *status == 503).count();
    assert!(refusals >= 19, "{refusals} of 20 refused");
    assert!(answers.iter().filter(|(_, retry_after, _)| retry_after.as_deref() == Some("2")).count() >= 19);

    // Nothing stays taken: the next search is answered.
    assert_eq!(search_status(&app, "فلتر زيت").await.0, 200);
    assert_eq!((queue.waiting(), queue.running()), (0, 0));

    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    for name in ["search_queue_depth", "search_queue_running", "search_queue_rejected_total"] {
        assert!(metrics.contains(name), "{name} missing from /metrics");
    }
}
