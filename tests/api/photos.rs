//! Listing photos: uploaded by the seller as the file itself, recognised by its bytes,
//! made into three sizes by a job, shown on the listing and in search.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, RgbImage};
use serde_json::Value;

use cargoparts::platform::config::S3Settings;

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

    let photos = ready_photos(&app, &key, "PH-1").await;
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

/// Waits until every photo of `sku` is ready, and returns them.
async fn ready_photos(app: &TestApp, key: &str, sku: &str) -> Vec<Value> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let listed = app
            .client
            .get(app.url(&format!("/api/v1/seller/listings/{sku}/photos")))
            .bearer_auth(key)
            .send()
            .await
            .unwrap()
            .json::<Vec<Value>>()
            .await
            .unwrap();
        if !listed.is_empty() && listed.iter().all(|p| p["status"] == "ready") {
            return listed;
        }
        assert!(std::time::Instant::now() < deadline, "the sizes were not made: {listed:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// An S3 bucket as its REST API keeps objects: `PUT /{bucket}/{key}` stores the body
/// and answers its `ETag`; `GET` returns it with `ETag` and `Last-Modified`, or 404.
/// Every request is recorded with its `Authorization` header.
#[derive(Clone, Default)]
struct FakeBucket {
    objects: std::sync::Arc<std::sync::Mutex<std::collections::BTreeMap<String, Vec<u8>>>>,
    authorizations: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl wiremock::Respond for FakeBucket {
    fn respond(&self, request: &wiremock::Request) -> wiremock::ResponseTemplate {
        let authorization = request.headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("");
        self.authorizations.lock().unwrap().push(authorization.to_string());
        let path = request.url.path().trim_start_matches('/').to_string();
        let etag = |bytes: &[u8]| format!("\"{:x}\"", bytes.len() * 31 + bytes.first().copied().unwrap_or(0) as usize);
        match request.method.as_str() {
            "PUT" => {
                let tag = etag(&request.body);
                self.objects.lock().unwrap().insert(path, request.body.clone());
                wiremock::ResponseTemplate::new(200).insert_header("ETag", tag)
            }
            "GET" => match self.objects.lock().unwrap().get(&path) {
                Some(bytes) => wiremock::ResponseTemplate::new(200)
                    .insert_header("ETag", etag(bytes))
                    .insert_header("Last-Modified", "Thu, 03 Dec 2026 12:00:00 GMT")
                    .set_body_bytes(bytes.clone()),
                None => wiremock::ResponseTemplate::new(404).set_body_string(
                    "<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>",
                ),
            },
            _ => wiremock::ResponseTemplate::new(405),
        }
    }
}

#[tokio::test]
async fn with_a_bucket_configured_photos_are_kept_in_it_and_served_from_it() {
    let bucket = FakeBucket::default();
    let s3 = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::any()).respond_with(bucket.clone()).mount(&s3).await;
    let endpoint = s3.uri();
    let app = spawn_app_with(|s| {
        s.jobs.poll_interval_ms = 50;
        s.media.s3 = Some(S3Settings {
            bucket: "cargoparts-media".into(),
            region: "me-central-1".into(),
            endpoint: Some(endpoint),
            access_key_id: "AKIDCARGOPARTS".into(),
            secret_access_key: "a-secret-key".into(),
            allow_http: true,
        });
    })
    .await;
    let (_, key) = app.seller_with_key("S-BUCKET").await;
    assert_eq!(app.post_inventory(&key, "application/x-ndjson", ndjson(&[record("BK-1")])).await.status(), 200);
    assert_eq!(upload(&app, &key, "BK-1", "image/jpeg", photo(1600, 1200, ImageFormat::Jpeg)).await.status(), 202);
    let photos = ready_photos(&app, &key, "BK-1").await;

    let stored: Vec<String> = bucket.objects.lock().unwrap().keys().cloned().collect();
    assert_eq!(stored.len(), 4, "the original and three sizes: {stored:?}");
    assert!(stored.iter().all(|k| k.starts_with("cargoparts-media/photos/")), "path-style keys: {stored:?}");
    for size in ["thumbnail", "card", "full"] {
        let url = photos[0]["sizes"][size].as_str().unwrap();
        let object = format!("cargoparts-media/{}", url.split_once("/media/").unwrap().1);
        let kept = bucket.objects.lock().unwrap().get(&object).cloned().expect("the size is in the bucket");
        let served = app.client.get(app.url(&media_path(url))).send().await.unwrap();
        assert_eq!(served.status(), 200, "{url}");
        assert_eq!(served.bytes().await.unwrap().as_ref(), kept.as_slice(), "{size} is served from the bucket");
    }
    let missing = app.client.get(app.url("/media/photos/none/none/full.jpg")).send().await.unwrap();
    assert_eq!(missing.status(), 404, "a key the bucket does not hold");
    let authorizations = bucket.authorizations.lock().unwrap().clone();
    assert!(
        authorizations.iter().all(|a| a.starts_with("AWS4-HMAC-SHA256 Credential=AKIDCARGOPARTS/")
            && a.contains("/me-central-1/s3/aws4_request")),
        "every request is signed with the configured key: {authorizations:?}"
    );
    assert_eq!(std::fs::read_dir(app.media_dir()).unwrap().count(), 0, "nothing is written to the local directory");
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
