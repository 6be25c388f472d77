//! The service against hostile or sloppy clients: connections that never finish a
//! request, and metrics kept off the public address.

use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{TestApp, spawn_app_with};

fn socket_address(app: &TestApp) -> String {
    app.address.trim_start_matches("http://").to_string()
}

#[tokio::test]
async fn five_hundred_half_sent_requests_are_closed_after_the_header_timeout_while_others_are_served() {
    let app = spawn_app_with(|s| s.http.header_read_timeout_ms = 1000).await;
    let mut idle = Vec::new();
    for _ in 0..500 {
        let mut stream = TcpStream::connect(socket_address(&app)).await.unwrap();
        stream.write_all(b"GET /api/v1/search?q=filt").await.unwrap();
        idle.push(stream);
    }
    // Meanwhile the service answers everyone else.
    let health = app.client.get(app.url("/api/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let search = app.client.get(app.url("/api/v1/search")).query(&[("q", "فلتر")]).send().await.unwrap();
    assert_eq!(search.status(), 200);

    let started = Instant::now();
    let closed = futures::future::join_all(idle.iter_mut().map(|stream| async move {
        let mut chunk = [0u8; 512];
        match tokio::time::timeout(Duration::from_secs(30), stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => true,
            Ok(Ok(n)) => panic!("the server answered a half-sent request: {:?}", String::from_utf8_lossy(&chunk[..n])),
            Err(_) => false,
        }
    }))
    .await;
    let still_open = closed.iter().filter(|closed| !**closed).count();
    assert_eq!(still_open, 0, "{still_open} half-sent connections still open after {:?}", started.elapsed());
    let health = app.client.get(app.url("/api/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn past_the_connection_cap_clients_wait_and_are_then_served() {
    let app = spawn_app_with(|s| {
        s.http.max_connections = 8;
        s.http.header_read_timeout_ms = 500;
    })
    .await;
    let mut holders = Vec::new();
    for _ in 0..20 {
        let mut stream = TcpStream::connect(socket_address(&app)).await.unwrap();
        let _ = stream.write_all(b"GET /api/hea").await;
        holders.push(stream);
    }
    let health = tokio::time::timeout(Duration::from_secs(30), app.client.get(app.url("/api/health")).send())
        .await
        .expect("served once the half-sent requests timed out")
        .unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn with_a_metrics_listener_metrics_leave_the_public_address() {
    let app = spawn_app_with(|s| s.metrics.bind = Some("127.0.0.1:0".parse().unwrap())).await;
    app.client.get(app.url("/api/v1/categories")).send().await.unwrap();
    let public = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(public.status(), 404);
    let envelope: Value = public.json().await.unwrap();
    assert_eq!(envelope["error"]["code"], "NOT_FOUND");

    let metrics_address = app.metrics_address.clone().expect("a metrics listener");
    let scraped = app.client.get(format!("{metrics_address}/metrics")).send().await.unwrap();
    assert_eq!(scraped.status(), 200);
    assert!(scraped.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = scraped.text().await.unwrap();
    assert!(text.lines().any(|l| l.starts_with("http_requests_total{")), "{text}");
    // The metrics listener serves nothing else.
    let api = app.client.get(format!("{metrics_address}/api/v1/categories")).send().await.unwrap();
    assert_eq!(api.status(), 404);
}

#[tokio::test]
async fn with_a_metrics_token_a_scrape_must_present_it() {
    let token = "a-scrape-token-of-some-length";
    let app = spawn_app_with(|s| s.metrics.token = Some(token.into())).await;
    let anonymous = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(anonymous.headers()["www-authenticate"], "Bearer");
    let envelope: Value = anonymous.json().await.unwrap();
    assert_eq!(envelope["error"]["code"], "UNAUTHORIZED");
    let wrong = app.client.get(app.url("/metrics")).bearer_auth("a-scrape-token-of-some-lengtX").send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    let right = app.client.get(app.url("/metrics")).bearer_auth(token).send().await.unwrap();
    assert_eq!(right.status(), 200);
    assert!(right.text().await.unwrap().contains("# TYPE"));
}
