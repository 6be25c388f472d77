use serde_json::{Value, json};

use crate::helpers::{ndjson, record, spawn_app, spawn_app_with};

const NDJSON: &str = "application/x-ndjson";

#[tokio::test]
async fn a_seller_batch_is_applied_and_reported() {
    let app = spawn_app().await;
    let (_, key) = app.seller_with_key("S1").await;
    let body = ndjson(&[record("A-1"), record("A-2"), record("A-3")]);
    let response = app.post_inventory(&key, NDJSON, body).await;
    assert_eq!(response.status(), 200);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["received"], 3);
    assert_eq!(report["applied"]["inserted"], 3);
    assert_eq!(report["rejected"], json!([]));
    assert_eq!(app.count("SELECT count(*) FROM listings").await, 3);
    assert_eq!(app.count("SELECT count(*) FROM listing_fitment").await, 3);
}

#[tokio::test]
async fn sending_the_same_batch_twice_leaves_the_same_state() {
    let app = spawn_app().await;
    let (_, key) = app.seller_with_key("S1").await;
    let body = ndjson(&[record("A-1"), record("A-2")]);
    app.post_inventory(&key, NDJSON, body.clone()).await;
    let snapshot = |app: &crate::helpers::TestApp| {
        let db = app.db.clone();
        async move {
            sqlx::query_scalar::<_, String>(
                "SELECT string_agg(l.sku || l.title || l.price_sar || l.quantity || l.updated_at || f.make || f.year_to, '|' ORDER BY l.sku)
                   FROM listings l JOIN listing_fitment f ON f.listing_id = l.id",
            )
            .fetch_one(&db)
            .await
            .unwrap()
        }
    };
    let before = snapshot(&app).await;
    let outbox_before = app.count("SELECT count(*) FROM search_outbox").await;

    let report: Value = app.post_inventory(&key, NDJSON, body).await.json().await.unwrap();

    assert_eq!(report["applied"]["unchanged"], 2);
    assert_eq!(report["applied"]["inserted"], 0);
    assert_eq!(snapshot(&app).await, before);
    assert_eq!(app.count("SELECT count(*) FROM search_outbox").await, outbox_before, "no-op writes wake the indexer");
}

#[tokio::test]
async fn a_changed_price_or_fitment_updates_the_listing_and_the_change_stream() {
    let app = spawn_app().await;
    let (_, key) = app.seller_with_key("S1").await;
    app.post_inventory(&key, NDJSON, ndjson(&[record("A-1"), record("A-2")])).await;
    let outbox_before = app.count("SELECT count(*) FROM search_outbox").await;
    let mut cheaper = record("A-1");
    cheaper["price_sar"] = json!("39.90");
    let mut refitted = record("A-2");
    refitted["fitment"] = json!([{"make": "Toyota", "model": "Corolla", "year_from": 2014, "year_to": 2019}]);

    let report: Value = app.post_inventory(&key, NDJSON, ndjson(&[cheaper, refitted])).await.json().await.unwrap();

    assert_eq!(report["applied"]["updated"], 2, "{report}");
    let price: String =
        sqlx::query_scalar("SELECT price_sar::text FROM listings WHERE sku = 'A-1'").fetch_one(&app.db).await.unwrap();
    assert_eq!(price, "39.90");
    let models: Vec<String> = sqlx::query_scalar(
        "SELECT f.model FROM listing_fitment f JOIN listings l ON l.id = f.listing_id WHERE l.sku = 'A-2'",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(models, vec!["Corolla"]);
    assert!(app.count("SELECT count(*) FROM search_outbox").await > outbox_before);
}

#[tokio::test]
async fn a_bad_line_is_reported_with_its_field_and_the_rest_applied() {
    let app = spawn_app().await;
    let (_, key) = app.seller_with_key("S1").await;
    let mut bad = record("A-2");
    bad["price_sar"] = json!("-5.00");
    let response = app.post_inventory(&key, NDJSON, ndjson(&[record("A-1"), bad, record("A-3")])).await;
    assert_eq!(response.status(), 207);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["applied"]["inserted"], 2);
    assert_eq!(
        report["rejected"],
        json!([{"line": 2, "sku": "A-2", "field": "price_sar", "reason": "must be greater than 0"}])
    );
    assert_eq!(app.count("SELECT count(*) FROM listings WHERE sku = 'A-2'").await, 0);
}

#[tokio::test]
async fn each_kind_of_invalid_record_is_refused_with_its_field_named_and_nothing_written() {
    let app = spawn_app().await;
    let (_, key) = app.seller_with_key("S1").await;
    let without_title = {
        let mut r = record("B-1");
        r.as_object_mut().unwrap().remove("title");
        r.to_string().into_bytes()
    };
    let negative_price = {
        let mut r = record("B-2");
        r["price_sar"] = json!("-1.00");
        r.to_string().into_bytes()
    };
    let unknown_category = {
        let mut r = record("B-3");
        r["category"] = json!("hover-conversion");
        r.to_string().into_bytes()
    };
    let malformed = b"{\"sku\": \"B-4\", \"title\": ".to_vec();
    let mut invalid_utf8 = record("B-5").to_string().into_bytes();
    invalid_utf8.splice(10..10, [0xff, 0xfe]);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("missing title", without_title, "title"),
        ("negative price", negative_price, "price_sar"),
        ("unknown category", unknown_category, "category"),
        ("malformed JSON", malformed, "line"),
        ("invalid UTF-8", invalid_utf8, "line"),
    ];
    for (case, body, field) in cases {
        let response = app.post_inventory(&key, NDJSON, body).await;
        assert_eq!(response.status(), 400, "{case}");
        let envelope: Value = response.json().await.unwrap();
        assert_eq!(envelope["error"]["code"], "VALIDATION_FAILED", "{case}");
        assert_eq!(envelope["error"]["details"]["rejected"][0]["field"], field, "{case}: {envelope}");
    }
    assert_eq!(app.count("SELECT count(*) FROM listings").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM search_outbox").await, 0);
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_413() {
    let app = spawn_app_with(|s| s.http.inventory_body_limit_bytes = 64 * 1024).await;
    let (_, key) = app.seller_with_key("S1").await;
    let records: Vec<Value> = (0..400).map(|i| record(&format!("A-{i}"))).collect();
    let body = ndjson(&records);
    assert!(body.len() > 64 * 1024);
    let response = app.post_inventory(&key, NDJSON, body).await;
    assert_eq!(response.status(), 413);
    let envelope: Value = response.json().await.unwrap();
    assert_eq!(envelope["error"]["code"], "PAYLOAD_TOO_LARGE");
    assert_eq!(app.count("SELECT count(*) FROM listings").await, 0);
}

#[tokio::test]
async fn ten_thousand_records_in_one_request_are_accepted() {
    let app = spawn_app().await;
    let (_, key) = app.seller_with_key("S1").await;
    let records: Vec<Value> = (0..10_000).map(|i| record(&format!("BULK-{i:05}"))).collect();
    let response = app.post_inventory(&key, NDJSON, ndjson(&records)).await;
    assert_eq!(response.status(), 200);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["applied"]["inserted"], 10_000);
    assert_eq!(app.count("SELECT count(*) FROM listings").await, 10_000);
}

#[tokio::test]
async fn a_json_array_body_is_accepted_and_deletions_apply() {
    let app = spawn_app().await;
    let (_, key) = app.seller_with_key("S1").await;
    let body = json!([record("A-1"), record("A-2")]).to_string();
    let response = app.post_inventory(&key, "application/json", body).await;
    assert_eq!(response.status(), 200);

    let body = json!([{"sku": "A-1", "deleted": true}, {"sku": "GONE", "deleted": true}]).to_string();
    let report: Value = app.post_inventory(&key, "application/json", body).await.json().await.unwrap();
    assert_eq!(report["applied"]["deleted"], 1);
    assert_eq!(report["applied"]["not_found"], 1);
    assert_eq!(app.count("SELECT count(*) FROM listings").await, 1);
    assert_eq!(app.count("SELECT count(*) FROM search_outbox WHERE op = 'delete'").await, 1);
}

#[tokio::test]
async fn an_unsupported_content_type_gets_415() {
    let app = spawn_app().await;
    let (_, key) = app.seller_with_key("S1").await;
    let response = app.post_inventory(&key, "text/csv", "sku,title\nA,B\n").await;
    assert_eq!(response.status(), 415);
}

#[tokio::test]
async fn requests_without_a_valid_key_are_refused() {
    let app = spawn_app().await;
    let body = ndjson(&[record("A-1")]);
    let no_key = app.client.post(app.url("/api/v1/seller/inventory")).body(body.clone()).send().await.unwrap();
    assert_eq!(no_key.status(), 401);
    let wrong = app.post_inventory("cpk_0000000000000000000000000000000000000000", NDJSON, body.clone()).await;
    assert_eq!(wrong.status(), 401);
    let (seller, key) = app.seller_with_key("S1").await;
    sqlx::query("UPDATE seller_api_keys SET revoked_at = now() WHERE seller_id = $1")
        .bind(seller)
        .execute(&app.db)
        .await
        .unwrap();
    let revoked = app.post_inventory(&key, NDJSON, body).await;
    assert_eq!(revoked.status(), 401);
    let envelope: Value = revoked.json().await.unwrap();
    assert_eq!(envelope["error"]["code"], "UNAUTHORIZED");
}

#[tokio::test]
async fn a_seller_never_reaches_another_sellers_listing() {
    let app = spawn_app().await;
    let (_, key_a) = app.seller_with_key("SA").await;
    let (seller_b, key_b) = app.seller_with_key("SB").await;
    app.post_inventory(&key_b, NDJSON, ndjson(&[record("SHARED-1")])).await;

    let path = app.url("/api/v1/seller/listings/SHARED-1");
    assert_eq!(app.client.get(&path).bearer_auth(&key_a).send().await.unwrap().status(), 404);
    let patch = app.client.patch(&path).bearer_auth(&key_a).json(&json!({"price_sar": "1.00"})).send().await.unwrap();
    assert_eq!(patch.status(), 404);
    assert_eq!(app.client.delete(&path).bearer_auth(&key_a).send().await.unwrap().status(), 404);
    let listed: Value = app
        .client
        .get(app.url("/api/v1/seller/listings"))
        .bearer_auth(&key_a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["meta"]["total"], 0);

    // A's own record with the same SKU is A's listing, not a change to B's.
    let mut theirs = record("SHARED-1");
    theirs["price_sar"] = json!("1.00");
    app.post_inventory(&key_a, NDJSON, ndjson(&[theirs])).await;
    let b_price: String =
        sqlx::query_scalar("SELECT price_sar::text FROM listings WHERE seller_id = $1 AND sku = 'SHARED-1'")
            .bind(seller_b)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(b_price, "45.00");

    // Naming B in a record sent with A's key is refused.
    let mut impostor = record("X-1");
    impostor["seller"] = json!({"external_id": "SB"});
    let response = app.post_inventory(&key_a, NDJSON, ndjson(&[impostor])).await;
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn price_stock_and_status_edits_are_validated_and_applied() {
    let app = spawn_app().await;
    let (_, key) = app.seller_with_key("S1").await;
    app.post_inventory(&key, NDJSON, ndjson(&[record("A-1")])).await;
    let path = app.url("/api/v1/seller/listings/A-1");

    let updated: Value = app
        .client
        .patch(&path)
        .bearer_auth(&key)
        .json(&json!({"price_sar": "50.25", "quantity": 0, "status": "paused"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(updated["price_sar"], "50.25");
    assert_eq!(updated["quantity"], 0);
    assert_eq!(updated["status"], "paused");

    for (body, field) in [
        (json!({"price_sar": "-1"}), "price_sar"),
        (json!({"quantity": -3}), "quantity"),
        (json!({"status": "sold"}), "status"),
        (json!({"title": "new title"}), "title"),
        (json!({}), "__all__"),
    ] {
        let response = app.client.patch(&path).bearer_auth(&key).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 400, "{body}");
        let envelope: Value = response.json().await.unwrap();
        assert_eq!(envelope["error"]["details"][0]["field"], field, "{envelope}");
    }
    let unchanged: String =
        sqlx::query_scalar("SELECT price_sar::text FROM listings").fetch_one(&app.db).await.unwrap();
    assert_eq!(unchanged, "50.25");

    assert_eq!(app.client.delete(&path).bearer_auth(&key).send().await.unwrap().status(), 204);
    assert_eq!(app.client.get(&path).bearer_auth(&key).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn descriptions_are_stored_without_scripts() {
    let app = spawn_app().await;
    let (_, key) = app.seller_with_key("S1").await;
    let mut hostile = record("XSS-1");
    hostile["description"] =
        json!("<p>نظيف</p><script>document.location='//evil'</script><img src=x onerror=alert(1)>");
    hostile["title"] = json!("'; DROP TABLE listings; -- <b>filter</b>");
    app.post_inventory(&key, NDJSON, ndjson(&[hostile])).await;
    let (title, description): (String, String) =
        sqlx::query_as("SELECT title, description FROM listings").fetch_one(&app.db).await.unwrap();
    assert_eq!(title, "'; DROP TABLE listings; -- <b>filter</b>", "titles are stored as text, inertly");
    assert!(description.contains("<p>نظيف</p>"), "{description}");
    assert!(!description.contains("script") && !description.contains("onerror"), "{description}");
}

#[tokio::test]
async fn the_sellers_listing_pages_carry_the_pagination_meta() {
    let app = spawn_app().await;
    let (_, key) = app.seller_with_key("S1").await;
    let records: Vec<Value> = (0..5).map(|i| record(&format!("P-{i}"))).collect();
    app.post_inventory(&key, NDJSON, ndjson(&records)).await;
    let page: Value = app
        .client
        .get(app.url("/api/v1/seller/listings?limit=2&page=2"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["data"].as_array().unwrap().len(), 2);
    assert_eq!(
        page["meta"],
        json!({"total": 5, "page": 2, "limit": 2, "totalPages": 3, "hasNext": true, "hasPrev": true})
    );
    for bad in ["limit=0", "limit=101", "page=0", "page=-1", "limit=abc", "status=gone"] {
        let response =
            app.client.get(app.url(&format!("/api/v1/seller/listings?{bad}"))).bearer_auth(&key).send().await.unwrap();
        assert_eq!(response.status(), 400, "{bad}");
        let envelope: Value = response.json().await.unwrap();
        let field = bad.split('=').next().unwrap();
        assert_eq!(envelope["error"]["details"][0]["field"], field, "{bad}: {envelope}");
    }
}

#[tokio::test]
async fn a_nul_in_the_sku_of_a_listing_path_is_refused_naming_the_sku() {
    let app = spawn_app().await;
    let (_, key) = app.seller_with_key("S1").await;
    app.post_inventory(&key, NDJSON, ndjson(&[record("A-1")])).await;
    let path = app.url("/api/v1/seller/listings/A-1%00");

    let get = app.client.get(&path).bearer_auth(&key).send().await.unwrap();
    let patch = app.client.patch(&path).bearer_auth(&key).json(&json!({"quantity": 3})).send().await.unwrap();
    let delete = app.client.delete(&path).bearer_auth(&key).send().await.unwrap();

    for (method, response) in [("GET", get), ("PATCH", patch), ("DELETE", delete)] {
        assert_eq!(response.status(), 400, "{method}");
        let envelope: Value = response.json().await.unwrap();
        assert_eq!(envelope["error"]["code"], "VALIDATION_FAILED", "{method}: {envelope}");
        assert_eq!(envelope["error"]["details"][0]["field"], "sku", "{method}: {envelope}");
    }
    let quantity: i32 =
        sqlx::query_scalar("SELECT quantity FROM listings WHERE sku = 'A-1'").fetch_one(&app.db).await.unwrap();
    assert_eq!(quantity, 12, "the listing is untouched");
}

#[tokio::test]
async fn a_nul_in_a_photo_url_rejects_that_line_and_the_others_land() {
    let app = spawn_app().await;
    let (_, key) = app.seller_with_key("S1").await;
    let mut poisoned = record("A-2");
    poisoned["photos"] = json!(["https://img.example.com/a.jpg", "https://img.example.com/b\u{0000}.jpg"]);

    let response = app.post_inventory(&key, NDJSON, ndjson(&[record("A-1"), poisoned, record("A-3")])).await;

    assert_eq!(response.status(), 207);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["applied"]["inserted"], 2, "{report}");
    let rejected = report["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 1, "{report}");
    assert_eq!(rejected[0]["line"], 2);
    assert_eq!(rejected[0]["sku"], "A-2");
    assert_eq!(rejected[0]["field"], "photos[1]");
    assert!(rejected[0]["reason"].as_str().unwrap().contains("NUL"), "{report}");
    for sku in ["A-1", "A-3"] {
        let response =
            app.client.get(app.url(&format!("/api/v1/seller/listings/{sku}"))).bearer_auth(&key).send().await.unwrap();
        assert_eq!(response.status(), 200, "{sku}");
        let listing: Value = response.json().await.unwrap();
        assert_eq!(listing["photos"], json!(["https://img.example.com/a.jpg"]), "{sku}");
    }
    assert_eq!(app.count("SELECT count(*) FROM listings WHERE sku = 'A-2'").await, 0);
}

#[tokio::test]
async fn a_nul_in_the_sku_of_a_deletion_rejects_that_line_and_the_others_land() {
    let app = spawn_app().await;
    let (_, key) = app.seller_with_key("S1").await;
    app.post_inventory(&key, NDJSON, ndjson(&[record("A-1"), record("A-2")])).await;
    let body = json!([
        {"sku": "A-1", "deleted": true},
        {"sku": "A-2\u{0000}", "deleted": true},
        record("A-3"),
    ])
    .to_string();

    let response = app.post_inventory(&key, "application/json", body).await;

    assert_eq!(response.status(), 207);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["applied"]["deleted"], 1, "{report}");
    assert_eq!(report["applied"]["inserted"], 1, "{report}");
    assert_eq!(
        report["rejected"],
        json!([{"line": 2, "sku": "A-2\u{0000}", "field": "sku", "reason": "must not contain NUL characters"}])
    );
    let listed: Value = app
        .client
        .get(app.url("/api/v1/seller/listings"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut skus: Vec<&str> = listed["data"].as_array().unwrap().iter().map(|l| l["sku"].as_str().unwrap()).collect();
    skus.sort_unstable();
    assert_eq!(skus, vec!["A-2", "A-3"]);
}

#[tokio::test]
async fn a_nul_in_any_text_field_is_refused_with_the_field_named() {
    let app = spawn_app().await;
    let (_, key) = app.seller_with_key("S1").await;
    let mut cases: Vec<(Value, &str)> = Vec::new();
    for (field, value) in [
        ("title", json!("filter\u{0000}")),
        ("title_ar", json!("فلتر\u{0000}")),
        ("description", json!("ok\u{0000}")),
        ("brand", json!("Toyota\u{0000}")),
        ("city", json!("Riyadh\u{0000}")),
        ("oem_numbers", json!(["04152\u{0000}"])),
        ("fitment", json!([{"make": "Toyota", "model": "Cam\u{0000}ry", "year_from": 2018, "year_to": 2024}])),
        ("price_sar", json!("45\u{0000}")),
    ] {
        let mut r = record("N-1");
        r[field] = value;
        cases.push((r, field));
    }
    for (body, field) in cases {
        let response = app.post_inventory(&key, NDJSON, ndjson(&[body])).await;
        assert_eq!(response.status(), 400, "{field}");
        let envelope: Value = response.json().await.unwrap();
        let named = envelope["error"]["details"]["rejected"][0]["field"].as_str().unwrap().to_string();
        assert!(named.starts_with(field), "{field}: {envelope}");
    }
    assert_eq!(app.count("SELECT count(*) FROM listings").await, 0);
}

#[tokio::test]
async fn prices_over_the_cap_and_years_outside_the_model_years_are_rejected_with_the_reason() {
    let app = spawn_app().await;
    let (_, key) = app.seller_with_key("S1").await;
    let mut too_dear = record("A-2");
    too_dear["price_sar"] = json!("10000000.01");
    let mut too_old = record("A-3");
    too_old["fitment"] = json!([{"make": "Toyota", "model": "Camry", "year_from": 1949, "year_to": 2000}]);
    let mut too_precise = record("A-4");
    too_precise["price_sar"] = json!("45.005");

    let response = app.post_inventory(&key, NDJSON, ndjson(&[record("A-1"), too_dear, too_old, too_precise])).await;

    assert_eq!(response.status(), 207);
    let report: Value = response.json().await.unwrap();
    assert_eq!(
        report["rejected"],
        json!([
            {"line": 2, "sku": "A-2", "field": "price_sar", "reason": "must not exceed 10000000"},
            {"line": 3, "sku": "A-3", "field": "fitment[0].year_from", "reason": "must be between 1950 and 2035"},
            {"line": 4, "sku": "A-4", "field": "price_sar", "reason": "must have at most 2 decimal places"},
        ])
    );
    let most: Value = app
        .client
        .patch(app.url("/api/v1/seller/listings/A-1"))
        .bearer_auth(&key)
        .json(&json!({"price_sar": "10000000"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(most["price_sar"], "10000000.00");
}

#[tokio::test]
async fn a_key_given_twice_rejects_its_record_in_either_body_format() {
    let app = spawn_app().await;
    let (_, key) = app.seller_with_key("S1").await;
    let twice = r#"{"sku":"D-2","title":"فلتر زيت كامري","category":"oil-filter","condition":"new","price_sar":"45.00","price_sar":"99.00","quantity":3,"city":"Riyadh"}"#;
    let ndjson_body = format!("{}\n{twice}\n", record("D-1"));
    let array_body = format!("[{}, {twice}]", record("D-3"));
    for (content_type, body, kept) in [(NDJSON, ndjson_body, "D-1"), ("application/json", array_body, "D-3")] {
        let response = app.post_inventory(&key, content_type, body).await;
        assert_eq!(response.status(), 207, "{content_type}");
        let report: Value = response.json().await.unwrap();
        assert_eq!(
            report["rejected"],
            json!([{"line": 2, "sku": "D-2", "field": "price_sar", "reason": "duplicate key"}]),
            "{content_type}"
        );
        let response =
            app.client.get(app.url(&format!("/api/v1/seller/listings/{kept}"))).bearer_auth(&key).send().await.unwrap();
        assert_eq!(response.status(), 200, "{kept}");
    }
    assert_eq!(app.count("SELECT count(*) FROM listings WHERE sku = 'D-2'").await, 0);
}
