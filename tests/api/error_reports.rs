//! Error reports reach Sentry with the request id and nothing personal, tested against
//! a local server speaking Sentry's envelope endpoint.

use std::time::{Duration, Instant};

use secrecy::SecretString;
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::spawn_app_with;

const PROJECT: &str = "4242";

/// The events the fake Sentry has received, each as its JSON item.
async fn events(sentry: &MockServer) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for request in sentry.received_requests().await.unwrap_or_default() {
        let body = String::from_utf8_lossy(&request.body).into_owned();
        // An envelope: a header line, then each item's header line and payload.
        for line in body.lines() {
            if let Ok(item) = serde_json::from_str::<Value>(line)
                && item.get("event_id").is_some()
                && (item.get("exception").is_some() || item.get("message").is_some() || item.get("logentry").is_some())
            {
                out.push((body.clone(), item));
            }
        }
    }
    out
}

async fn event_where(sentry: &MockServer, wanted: impl Fn(&Value) -> bool) -> (String, Value) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(found) = events(sentry).await.into_iter().find(|(_, event)| wanted(event)) {
            return found;
        }
        assert!(Instant::now() < deadline, "no such event reached Sentry: {:?}", events(sentry).await);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_server_failure_is_reported_with_its_request_id_and_without_the_person() {
    let sentry = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/api/{PROJECT}/envelope/")))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": "x"})))
        .mount(&sentry)
        .await;
    let dsn = format!("http://publickey@{}/{PROJECT}", sentry.address());
    let app = spawn_app_with(|settings| settings.sentry.dsn = Some(SecretString::from(dsn))).await;

    // The sellers' table gone from under the service: a failure of ours, a 500.
    sqlx::query("ALTER TABLE sellers RENAME TO sellers_elsewhere").execute(&app.db).await.unwrap();
    let response = app
        .client
        .get(app.url(&format!("/api/v1/sellers/{}?phone=0551234567&q=oil+filter", uuid::Uuid::new_v4())))
        .bearer_auth("eyJhbGciOi.secret-token")
        .header("cookie", "session=s3cr3t")
        .header("x-request-id", "req-sentry-1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
    sqlx::query("ALTER TABLE sellers_elsewhere RENAME TO sellers").execute(&app.db).await.unwrap();

    let (envelope, event) = event_where(&sentry, |event| event["tags"]["request_id"] == "req-sentry-1").await;
    // Sentry leaves out the level when it is the default, error.
    assert_eq!(event["level"].as_str().unwrap_or("error"), "error", "{event}");
    assert_eq!(event["request"]["method"], "GET");
    assert!(event["request"]["url"].as_str().unwrap().contains("/api/v1/sellers/"), "{event}");
    assert!(event["request"]["headers"].get("x-request-id").is_some(), "{event}");
    for secret in ["secret-token", "s3cr3t", "0551234567", "eyJhbGciOi"] {
        assert!(!envelope.contains(secret), "{secret} reached Sentry: {envelope}");
    }
    assert!(event["user"].is_null(), "{event}");
    assert!(envelope.contains("sellers"), "the cause is reported: {envelope}");

    // A panic is reported too, with what identifies a person masked.
    // (On a thread of its own: a thread's hub is made from the main hub when first used.)
    let _ = std::thread::spawn(|| panic!("cannot text noura@example.com at 0551234567")).join();
    let (envelope, _) = event_where(&sentry, |event| event.to_string().contains("cannot text")).await;
    assert!(envelope.contains("[email]") && envelope.contains("[phone]"), "{envelope}");
    assert!(!envelope.contains("noura@example.com") && !envelope.contains("0551234567"), "{envelope}");
}
