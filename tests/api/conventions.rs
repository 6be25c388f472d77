use serde_json::Value;

use crate::helpers::{redis_url, spawn_app, spawn_app_with};

#[tokio::test]
async fn every_response_carries_the_api_version_and_a_request_id() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/api/v1/categories")).send().await.unwrap();
    assert_eq!(response.headers()["x-api-version"], "v1");
    assert!(!response.headers()["x-request-id"].is_empty());
    let traced = app.client.get(app.url("/api/health")).header("x-request-id", "trace-me-42").send().await.unwrap();
    assert_eq!(traced.headers()["x-request-id"], "trace-me-42");
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_the_error_envelope() {
    let app = spawn_app().await;
    let missing = app.client.get(app.url("/api/v1/no-such-thing")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    let envelope: Value = missing.json().await.unwrap();
    assert_eq!(envelope["error"]["code"], "NOT_FOUND");
    let wrong_method = app.client.put(app.url("/api/v1/categories")).send().await.unwrap();
    assert_eq!(wrong_method.status(), 405);
    let envelope: Value = wrong_method.json().await.unwrap();
    assert_eq!(envelope["error"]["code"], "METHOD_NOT_ALLOWED");
}

#[tokio::test]
async fn the_openapi_document_describes_the_endpoints_and_the_docs_page_renders() {
    let app = spawn_app().await;
    let document: Value = app.client.get(app.url("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    let paths = document["paths"].as_object().unwrap();
    for path in [
        "/api/v1/seller/inventory",
        "/api/v1/seller/listings/{sku}",
        "/api/v1/listings/{id}",
        "/api/v1/categories",
        "/api/v1/makes",
        "/api/v1/sellers/{id}",
        "/api/ready",
    ] {
        assert!(paths.contains_key(path), "{path} missing from the OpenAPI document");
    }
    let docs = app.client.get(app.url("/api/docs")).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("CargoParts API"));
}

#[tokio::test]
async fn responses_are_compressed_when_the_client_accepts_it() {
    let app = spawn_app().await;
    for encoding in ["gzip", "br"] {
        let response =
            app.client.get(app.url("/api/v1/makes")).header("accept-encoding", encoding).send().await.unwrap();
        assert_eq!(response.headers()["content-encoding"], encoding);
    }
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    let app = spawn_app().await;
    app.client.get(app.url("/api/v1/listings/00000000-0000-0000-0000-000000000000")).send().await.unwrap();
    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(
        metrics.lines().any(|l| l.starts_with("http_requests_total")
            && l.contains("route=\"/api/v1/listings/{id}\"")
            && l.contains("status=\"404\"")),
        "{metrics}"
    );
    assert!(metrics.contains("http_request_duration_seconds_bucket"));
}

#[tokio::test]
async fn readiness_reports_the_database_and_redis() {
    let app = spawn_app().await;
    app.wait_for_index().await;
    let ready: Value = app.client.get(app.url("/api/ready")).send().await.unwrap().json().await.unwrap();
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["search"]["status"], "ok");
    assert_eq!(ready["database"]["status"], "ok");
    assert_eq!(ready["redis"]["status"], "not_configured");

    let with_redis = spawn_app_with(|s| s.redis.url = Some(redis_url().into())).await;
    with_redis.wait_for_index().await;
    let ready: Value = with_redis.client.get(with_redis.url("/api/ready")).send().await.unwrap().json().await.unwrap();
    assert_eq!(ready["redis"]["status"], "ok", "{ready}");
}

#[tokio::test]
async fn a_hostile_sku_in_the_path_is_only_ever_data() {
    let app = spawn_app().await;
    let (_, key) = app.seller_with_key("S1").await;
    let response = app
        .client
        .get(app.url("/api/v1/seller/listings/x%27%3B%20DROP%20TABLE%20listings%3B--"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(app.count("SELECT count(*) FROM listings").await, 0, "the table is still there");
}

#[tokio::test]
async fn malformed_json_bodies_get_a_400_naming_the_problem() {
    let app = spawn_app().await;
    let (_, key) = app.seller_with_key("S1").await;
    let response = app
        .client
        .post(app.url("/api/v1/seller/inventory"))
        .bearer_auth(&key)
        .header("content-type", "application/json")
        .body("[{\"sku\": \"A\"},")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let envelope: Value = response.json().await.unwrap();
    assert_eq!(envelope["error"]["code"], "BAD_REQUEST");
    assert!(envelope["error"]["message"].as_str().unwrap().starts_with("مصفوفة JSON غير سليمة"), "{envelope}");
}
