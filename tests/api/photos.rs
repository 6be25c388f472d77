//! Listing photos: uploaded by the seller as the file itself, recognised by its bytes,
//! made into three sizes by a job, shown on the listing and in search.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, RgbImage};
use serde_json::Value;

use crate::helpers::{TestApp, ndjson, record, spawn_app_with};

fn photo(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
    let pixels = RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 251) as u8, (y % 241) as u8, 90]));
    let mut bytes = Vec::new();
    DynamicImage::ImageRgb8(pixels).write_to(&mut Cursor::new(&mut bytes), format).unwrap();
    bytes
}

async fn upload(app: &TestApp, key: &str, sku: &str, content_type: &str, body: Vec<u8>) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/seller/listings/{sku}/photos")))
        .bearer_auth(key)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// The path of a stored file's URL on this server.
fn media_path(url: &str) -> String {
    format!("/media/{}", url.split_once("/media/").unwrap().1)
}

#[tokio::test]
async fn an_uploaded_photo_is_made_into_three_sizes_and_shows_on_the_listing_and_in_search() {
    let app = spawn_app_with(|s| s.jobs.poll_interval_ms = 50).await;
    let (_, key) = app.seller_with_key("S-PHOTO").await;
    assert_eq!(app.post_inventory(&key, "application/x-ndjson", ndjson(&[record("PH-1")])).await.status(), 200);

    // Declared as PNG, but a JPEG: what counts is the bytes.
    let response = upload(&app, &key, "PH-1", "image/png", photo(2400, 1600, ImageFormat::Jpeg)).await;
    assert_eq!(response.status(), 202);
    let accepted: Value = response.json().await.unwrap();
    assert_eq!((accepted["status"].as_str(), accepted["format"].as_str()), (Some("processing"), Some("jpeg")));
    assert_eq!((accepted["width"].as_i64(), accepted["height"].as_i64()), (Some(2400), Some(1600)));
    let second = upload(&app, &key, "PH-1", "image/webp", photo(800, 800, ImageFormat::WebP)).await;
    assert_eq!(second.status(), 202);

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let photos: Vec<Value> = loop {
        let listed = app
            .client
            .get(app.url("/api/v1/seller/listings/PH-1/photos"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap()
            .json::<Vec<Value>>()
            .await
            .unwrap();
        if listed.iter().all(|p| p["status"] == "ready") {
            break listed;
        }
        assert!(std::time::Instant::now() < deadline, "the sizes were not made: {listed:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(photos.iter().map(|p| p["position"].as_i64().unwrap()).collect::<Vec<_>>(), [0, 1]);
    for (size, dimensions) in [("thumbnail", (160, 107)), ("card", (480, 320)), ("full", (1280, 853))] {
        let url = photos[0]["sizes"][size].as_str().unwrap();
        let response = app.client.get(app.url(&media_path(url))).send().await.unwrap();
        assert_eq!(response.status(), 200, "{url}");
        assert_eq!(response.headers()["content-type"], "image/jpeg");
        assert!(response.headers()["cache-control"].to_str().unwrap().contains("immutable"));
        let decoded = image::load_from_memory(&response.bytes().await.unwrap()).unwrap();
        assert_eq!((decoded.width(), decoded.height()), dimensions, "{size}: the aspect kept");
    }

    let id: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM listings WHERE sku = 'PH-1'").fetch_one(&app.db).await.unwrap();
    app.wait_for_index().await;
    let listing: Value =
        app.client.get(app.url(&format!("/api/v1/listings/{id}"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(listing["images"].as_array().unwrap().len(), 2);
    assert_eq!(listing["images"][0]["card"], photos[0]["sizes"]["card"]);
    let results = app.search(&[("q", "فلتر زيت كامري")]).await;
    let hit = results["data"].as_array().unwrap().iter().find(|h| h["sku"] == "PH-1").expect("the listing is found");
    assert_eq!(hit["photo"], photos[0]["sizes"]["card"], "result cards show the uploaded photo");
}

#[tokio::test]
async fn what_is_not_a_photo_is_refused_and_nothing_is_kept() {
    let app = spawn_app_with(|s| s.media.max_upload_bytes = 300_000).await;
    let (_, key) = app.seller_with_key("S-NOPHOTO").await;
    let (_, other_key) = app.seller_with_key("S-OTHER").await;
    assert_eq!(app.post_inventory(&key, "application/x-ndjson", ndjson(&[record("NP-1")])).await.status(), 200);

    let text = upload(&app, &key, "NP-1", "image/png", b"<?php echo 'not a picture'; ?>".to_vec()).await;
    assert_eq!(text.status(), 400);
    let envelope: Value = text.json().await.unwrap();
    assert_eq!(envelope["error"]["details"][0]["field"], "body", "{envelope}");
    let truncated = photo(400, 400, ImageFormat::Png)[..40].to_vec();
    assert_eq!(upload(&app, &key, "NP-1", "image/png", truncated).await.status(), 400);
    assert_eq!(upload(&app, &key, "NP-1", "image/png", photo(50, 50, ImageFormat::Png)).await.status(), 400);
    assert_eq!(upload(&app, &key, "NP-1", "text/plain", photo(400, 400, ImageFormat::Png)).await.status(), 415);
    let big = vec![0u8; 400_000];
    assert_eq!(upload(&app, &key, "NP-1", "image/jpeg", big).await.status(), 413);
    let theirs = upload(&app, &other_key, "NP-1", "image/png", photo(400, 400, ImageFormat::Png)).await;
    assert_eq!(theirs.status(), 404, "another seller's SKU is not found");
    assert_eq!(app.count("SELECT count(*) FROM listing_photos").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM jobs").await, 0);

    for path in ["/media/..%2F..%2Fetc%2Fpasswd", "/media/photos/none/full.jpg", "/media/.hidden"] {
        assert_eq!(app.client.get(app.url(path)).send().await.unwrap().status(), 404, "{path}");
    }
}
