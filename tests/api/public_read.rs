use serde_json::{Value, json};

use crate::helpers::{ndjson, record, spawn_app};

#[tokio::test]
async fn a_listing_is_shown_with_its_seller_and_fitment() {
    let app = spawn_app().await;
    let (seller, key) = app.seller_with_key("S1").await;
    app.post_inventory(&key, "application/x-ndjson", ndjson(&[record("A-1")])).await;
    let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM listings").fetch_one(&app.db).await.unwrap();

    let listing: Value =
        app.client.get(app.url(&format!("/api/v1/listings/{id}"))).send().await.unwrap().json().await.unwrap();

    assert_eq!(listing["sku"], "A-1");
    assert_eq!(listing["price_sar"], "45.00");
    assert_eq!(listing["seller"]["id"], seller.to_string());
    assert_eq!(listing["fitment"], json!([{"make": "Toyota", "model": "Camry", "year_from": 2018, "year_to": 2024}]));
    assert_eq!(listing["oem_numbers"], json!(["04152-YZZA1"]));
}

#[tokio::test]
async fn paused_listings_and_unknown_ids_are_not_found() {
    let app = spawn_app().await;
    let (_, key) = app.seller_with_key("S1").await;
    app.post_inventory(&key, "application/x-ndjson", ndjson(&[record("A-1")])).await;
    let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM listings").fetch_one(&app.db).await.unwrap();
    sqlx::query("UPDATE listings SET status = 'paused'").execute(&app.db).await.unwrap();

    let paused = app.client.get(app.url(&format!("/api/v1/listings/{id}"))).send().await.unwrap();
    assert_eq!(paused.status(), 404);
    let unknown = app.client.get(app.url(&format!("/api/v1/listings/{}", uuid::Uuid::new_v4()))).send().await.unwrap();
    assert_eq!(unknown.status(), 404);
    let malformed = app.client.get(app.url("/api/v1/listings/1%27%20OR%201=1")).send().await.unwrap();
    assert_eq!(malformed.status(), 400);
    let envelope: Value = malformed.json().await.unwrap();
    assert_eq!(envelope["error"]["details"][0]["field"], "id");
}

#[tokio::test]
async fn a_seller_profile_counts_active_listings() {
    let app = spawn_app().await;
    let (seller, key) = app.seller_with_key("S1").await;
    app.post_inventory(&key, "application/x-ndjson", ndjson(&[record("A-1"), record("A-2")])).await;
    let profile: Value =
        app.client.get(app.url(&format!("/api/v1/sellers/{seller}"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(profile["active_listings"], 2);
    assert_eq!(profile["name"], "Seller S1");
    assert_eq!(app.client.get(app.url("/api/v1/sellers/not-a-uuid")).send().await.unwrap().status(), 400);
}

#[tokio::test]
async fn the_taxonomy_is_served_in_both_scripts() {
    let app = spawn_app().await;
    let categories: Value = app.client.get(app.url("/api/v1/categories")).send().await.unwrap().json().await.unwrap();
    let list = categories["data"].as_array().unwrap();
    assert_eq!(list.len(), 30);
    let oil = list.iter().find(|c| c["slug"] == "oil-filter").unwrap();
    assert_eq!(oil["name_ar"], "فلتر زيت");
    assert_eq!(oil["name_en"], "Oil filter");

    let makes: Value = app.client.get(app.url("/api/v1/makes")).send().await.unwrap().json().await.unwrap();
    let toyota = makes["data"].as_array().unwrap().iter().find(|m| m["name"] == "Toyota").unwrap();
    assert_eq!(toyota["name_ar"], "تويوتا");
    assert!(toyota["models"].as_array().unwrap().iter().any(|m| m["name"] == "Camry" && m["name_ar"] == "كامري"));
}

#[tokio::test]
async fn prices_and_cities_are_shown_in_their_one_form_whatever_was_sent() {
    let app = spawn_app().await;
    let (_, key) = app.seller_with_key("S1").await;
    let mut sent = record("A-1");
    sent["price_sar"] = json!("45.5");
    sent["city"] = json!("  جده ");
    let response = app.post_inventory(&key, "application/x-ndjson", ndjson(&[sent])).await;
    assert_eq!(response.status(), 200);
    let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM listings").fetch_one(&app.db).await.unwrap();

    let listing: Value =
        app.client.get(app.url(&format!("/api/v1/listings/{id}"))).send().await.unwrap().json().await.unwrap();

    assert_eq!(listing["price_sar"], "45.50");
    assert_eq!(listing["city"], "Jeddah");
}
