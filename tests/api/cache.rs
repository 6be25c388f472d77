//! The listing and seller caches: served from memory after the first read, shared
//! through Redis between replicas, and evicted on every replica when what they show
//! changes.

use serde_json::Value;

use crate::auth_support::with_redis;
use crate::helpers::{TestApp, ndjson, record, spawn_app_with};

async fn read(app: &TestApp, id: &str) -> (String, Value) {
    read_at(app, &format!("/api/v1/listings/{id}")).await
}

async fn read_at(app: &TestApp, path: &str) -> (String, Value) {
    let response = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let served_from = response.headers()["x-cache"].to_str().unwrap().to_string();
    (served_from, response.json().await.unwrap())
}

#[tokio::test]
async fn a_listing_change_evicts_the_cached_page_on_every_replica() {
    let app = spawn_app_with(with_redis).await;
    let replica = app.spawn_replica_with(with_redis).await;
    let (_, key) = app.seller_with_key("S-CACHE").await;
    let first = record("CACHE-1");
    assert_eq!(app.post_inventory(&key, "application/x-ndjson", ndjson(&[first])).await.status(), 200);
    let id: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM listings WHERE sku = 'CACHE-1'").fetch_one(&app.db).await.unwrap();
    let id = id.to_string();

    let (source, listing) = read(&app, &id).await;
    assert_eq!((source.as_str(), listing["price_sar"].as_str()), ("miss", Some("45.00")));
    assert_eq!(read(&app, &id).await.0, "memory");
    assert_eq!(read(&replica, &id).await.0, "redis", "the other replica finds it in Redis");
    assert_eq!(read(&replica, &id).await.0, "memory");

    let mut changed = record("CACHE-1");
    changed["price_sar"] = "39.50".into();
    assert_eq!(app.post_inventory(&key, "application/x-ndjson", ndjson(&[changed])).await.status(), 200);
    app.wait_for_index().await;
    replica.wait_for_index().await;
    // Each replica's index tail evicts its own copy (and Redis's) once it has applied
    // the change: the next read loads the new price, wherever it lands.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    for server in [&app, &replica] {
        loop {
            let (source, listing) = read(server, &id).await;
            if listing["price_sar"] == "39.50" {
                assert_ne!(source, "memory", "a fresh page is loaded, not kept");
                break;
            }
            assert!(std::time::Instant::now() < deadline, "the old page was still served: {listing}");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
    let hits = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(hits.contains("cache_hits_total") && hits.contains("cache_misses_total"), "{hits}");
}

#[tokio::test]
async fn a_seller_profile_is_cached_and_evicted_when_a_listing_of_theirs_goes() {
    let app = spawn_app_with(with_redis).await;
    let replica = app.spawn_replica_with(with_redis).await;
    let (seller, key) = app.seller_with_key("S-PROFILE").await;
    let listings = ndjson(&[record("PROF-1"), record("PROF-2")]);
    assert_eq!(app.post_inventory(&key, "application/x-ndjson", listings).await.status(), 200);
    app.wait_for_index().await;
    let path = format!("/api/v1/sellers/{seller}");

    let (source, profile) = read_at(&app, &path).await;
    assert_eq!((source.as_str(), profile["active_listings"].as_i64()), ("miss", Some(2)));
    assert_eq!(read_at(&app, &path).await.0, "memory");
    assert_eq!(read_at(&replica, &path).await.0, "redis");
    assert_eq!(read_at(&replica, &path).await.0, "memory");

    // A deleted listing is gone from the tables: its seller is found in the index.
    let deleted = app.client.delete(app.url("/api/v1/seller/listings/PROF-2")).bearer_auth(&key).send().await.unwrap();
    assert_eq!(deleted.status(), 204);
    app.wait_for_index().await;
    replica.wait_for_index().await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    for server in [&app, &replica] {
        loop {
            let (source, profile) = read_at(server, &path).await;
            if profile["active_listings"] == 1 {
                assert_ne!(source, "memory", "a fresh profile is loaded, not kept");
                break;
            }
            assert!(std::time::Instant::now() < deadline, "the old profile was still served: {profile}");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}
