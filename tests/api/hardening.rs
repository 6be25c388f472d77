//! The service against hostile or sloppy clients: connections that never finish a
//! request, requests hyper cannot parse, bodies over the limit, and metrics kept off
//! the public address.

use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{TestApp, spawn_app, spawn_app_with};

fn socket_address(app: &TestApp) -> String {
    app.address.trim_start_matches("http://").to_string()
}

/// Sends `request` as raw bytes and reads the whole answer; the server may reset a
/// connection it refused before reading all of it, so what arrived first counts.
async fn raw(app: &TestApp, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(socket_address(app)).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    let mut chunk = [0u8; 8192];
    while let Ok(Ok(n)) = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut chunk)).await {
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&chunk[..n]);
    }
    String::from_utf8_lossy(&answer).into_owned()
}

/// The envelope of a raw answer, after checking it is JSON.
fn envelope_of(answer: &str) -> Value {
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no head: {answer}"));
    assert!(head.to_ascii_lowercase().contains("content-type: application/json"), "{head}");
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
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
async fn a_url_over_64_kib_gets_414_in_the_envelope() {
    let app = spawn_app().await;
    let long = "a".repeat(70 * 1024);
    let answer = raw(&app, format!("GET /api/v1/search?q={long} HTTP/1.1\r\nhost: x\r\n\r\n").as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 414"), "{}", &answer[..answer.len().min(200)]);
    assert_eq!(envelope_of(&answer)["error"]["code"], "URI_TOO_LONG");
    // Headers over hyper's buffer are the same story.
    let huge = format!("GET /api/health HTTP/1.1\r\nhost: x\r\nx-padding: {}\r\n\r\n", "b".repeat(1 << 20));
    let answer = raw(&app, huge.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 431"), "{}", &answer[..answer.len().min(200)]);
    assert_eq!(envelope_of(&answer)["error"]["code"], "HEADERS_TOO_LARGE");
}

#[tokio::test]
async fn raw_bytes_that_are_not_utf8_in_the_request_line_get_400_in_the_envelope() {
    let app = spawn_app().await;
    for request in [
        &b"GET /api/v1/listings/\xff HTTP/1.1\r\nhost: x\r\n\r\n"[..],
        b"GET /api/v1/search?q=\xd9 HTTP/1.1\r\nhost: x\r\n\r\n",
    ] {
        let answer = raw(&app, request).await;
        assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
        let envelope = envelope_of(&answer);
        assert_eq!(envelope["error"]["code"], "BAD_REQUEST");
        // No header of the request could be read, its language neither: Arabic, the default.
        assert_eq!(envelope["error"]["message"], "طلب غير سليم: تعذّرت قراءة سطر الطلب أو ترويساته");
        assert!(answer.to_ascii_lowercase().contains("content-language: ar\r\n"), "{answer}");
        assert!(answer.to_ascii_lowercase().contains("x-request-id: "), "{answer}");
    }
}

#[tokio::test]
async fn a_path_parameter_that_is_not_utf8_gets_400_in_the_envelope() {
    let app = spawn_app().await;
    for path in ["/api/v1/listings/%FF", "/api/v1/sellers/%C3%28"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 400, "{path}");
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
        assert!(!response.headers()["x-request-id"].is_empty());
        let envelope: Value = response.json().await.unwrap();
        let code = envelope["error"]["code"].as_str().unwrap();
        assert!(code == "BAD_REQUEST" || code == "VALIDATION_FAILED", "{envelope}");
        assert!(envelope["error"]["message"].as_str().unwrap().contains("UTF-8"), "{envelope}");
    }
}

#[tokio::test]
async fn an_unsupported_content_encoding_is_refused_in_the_envelope() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .header("content-encoding", "compress")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    let envelope: Value = response.json().await.unwrap();
    assert_eq!(envelope["error"]["code"], "UNSUPPORTED_MEDIA_TYPE");
}

#[tokio::test]
async fn a_json_body_over_the_limit_gets_413_naming_the_limit() {
    let app = spawn_app_with(|s| s.rate_limit.auth.limit = 0).await;
    let body = serde_json::json!({ "email": "a@example.com", "password": "x".repeat(1024 * 1024 + 10) });
    let response = app.client.post(app.url("/api/v1/auth/login")).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 413);
    let envelope: Value = response.json().await.unwrap();
    assert_eq!(envelope["error"]["code"], "PAYLOAD_TOO_LARGE");
    assert_eq!(envelope["error"]["details"]["limit_bytes"], 1024 * 1024);
}

#[tokio::test]
async fn a_json_body_repeating_a_key_is_refused_naming_the_key() {
    let app = spawn_app_with(|s| s.rate_limit.auth.limit = 0).await;
    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body(r#"{"email": "a@example.com", "password": "one", "password": "two"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let envelope: Value = response.json().await.unwrap();
    assert_eq!(envelope["error"]["code"], "VALIDATION_FAILED");
    assert_eq!(envelope["error"]["details"][0]["field"], "password", "{envelope}");
    assert_eq!(envelope["error"]["details"][0]["reason"], "مفتاح مكرر");
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

#[tokio::test]
async fn the_error_schema_admits_every_shape_of_details_and_every_operation_documents_it() {
    let app = spawn_app().await;
    let document: Value = app.client.get(app.url("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    let details = &document["components"]["schemas"]["ErrorBody"]["properties"]["details"];
    let shapes: Vec<&str> = details["anyOf"]
        .as_array()
        .unwrap_or_else(|| panic!("{details}"))
        .iter()
        .filter_map(|s| s["type"].as_str())
        .collect();
    assert_eq!(shapes, ["array", "object", "null"], "{details}");
    assert_eq!(details["anyOf"][0]["items"]["required"], serde_json::json!(["field", "reason"]), "{details}");
    for (path, item) in document["paths"].as_object().unwrap() {
        let operations = item
            .as_object()
            .unwrap()
            .iter()
            .filter(|(key, _)| matches!(key.as_str(), "get" | "put" | "post" | "delete" | "patch"));
        for (method, operation) in operations {
            let default = &operation["responses"]["default"]["content"]["application/json"]["schema"]["$ref"];
            assert_eq!(default, "#/components/schemas/ErrorEnvelope", "{method} {path}");
        }
    }
}
