//! Sign-in with a code sent by SMS.

use chrono::Duration;
use serde_json::{Value, json};

use crate::auth_support::{AuthApp, PASSWORD, spawn_auth_app, spawn_auth_app_with};

const PHONE: &str = "+966551234567";

async fn with_phone_account(app: &AuthApp) -> uuid::Uuid {
    let (session, _) = app.register(json!({"phone": "0551234567", "password": PASSWORD, "name": "Reem"})).await;
    session.user_id
}

async fn request_code(app: &AuthApp, phone: &str) -> reqwest::Response {
    app.post("/api/v1/auth/otp/request", &json!({"phone": phone})).await
}

async fn verify(app: &AuthApp, phone: &str, code: &str) -> reqwest::Response {
    app.post("/api/v1/auth/otp/verify", &json!({"phone": phone, "code": code})).await
}

#[tokio::test]
async fn a_code_sent_by_sms_signs_in_once() {
    let app = spawn_auth_app().await;
    let user_id = with_phone_account(&app).await;
    let requested = request_code(&app, "+966 55 123 4567").await;
    assert_eq!(requested.status(), 202);
    let body: Value = requested.json().await.unwrap();
    assert_eq!(body["expires_in"], 300);
    let code = app.sms.last_code_to(PHONE).expect("a code was sent");

    let wrong = if code == "000000" { "000001" } else { "000000" };
    assert_eq!(verify(&app, "0551234567", wrong).await.status(), 401);
    let signed_in = verify(&app, "٠٥٥١٢٣٤٥٦٧", &code).await;
    assert_eq!(signed_in.status(), 200);
    let tokens: Value = signed_in.json().await.unwrap();
    let me: Value = app.get_as(tokens["access_token"].as_str().unwrap(), "/api/v1/me").await.json().await.unwrap();
    assert_eq!(me["id"], user_id.to_string());
    assert_eq!(me["phone"], PHONE);

    assert_eq!(verify(&app, PHONE, &code).await.status(), 401, "spent");
    let stored: Vec<Vec<u8>> = sqlx::query_scalar("SELECT code_hash FROM phone_otps").fetch_all(&app.db).await.unwrap();
    assert!(stored.iter().all(|h| h.len() == 32 && h != code.as_bytes()));
}

#[tokio::test]
async fn the_sixth_code_for_a_number_within_an_hour_is_refused() {
    // The per-address budget is raised so that the per-number limit is what stops it.
    let app = spawn_auth_app_with(|s| s.rate_limit.auth.limit = 50).await;
    with_phone_account(&app).await;
    let registered = app.sms.count_to(PHONE); // the verification code
    for _ in 0..5 {
        assert_eq!(request_code(&app, PHONE).await.status(), 202);
    }
    let sixth = request_code(&app, "0551234567").await;
    assert_eq!(sixth.status(), 429);
    let retry_after: i64 = sixth.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=3600).contains(&retry_after), "{retry_after}");
    let envelope: Value = sixth.json().await.unwrap();
    assert_eq!(envelope["error"]["code"], "RATE_LIMITED");
    assert_eq!(app.sms.count_to(PHONE) - registered, 5);

    // An hour on, the number may have codes again.
    app.clock.advance(Duration::minutes(61));
    assert_eq!(request_code(&app, PHONE).await.status(), 202);
    assert_eq!(app.sms.count_to(PHONE) - registered, 6);
}

#[tokio::test]
async fn a_code_expires_after_five_minutes() {
    let app = spawn_auth_app().await;
    with_phone_account(&app).await;
    request_code(&app, PHONE).await;
    let code = app.sms.last_code_to(PHONE).unwrap();
    app.clock.advance(Duration::minutes(5));
    assert_eq!(verify(&app, PHONE, &code).await.status(), 401);
}

#[tokio::test]
async fn a_code_dies_after_five_wrong_guesses() {
    let app = spawn_auth_app_with(|s| s.rate_limit.auth.limit = 50).await;
    with_phone_account(&app).await;
    request_code(&app, PHONE).await;
    let code = app.sms.last_code_to(PHONE).unwrap();
    let wrong = if code == "111111" { "222222" } else { "111111" };
    for _ in 0..5 {
        assert_eq!(verify(&app, PHONE, wrong).await.status(), 401);
    }
    assert_eq!(verify(&app, PHONE, &code).await.status(), 401);
}

#[tokio::test]
async fn numbers_without_an_account_get_the_same_answer_and_no_message() {
    let app = spawn_auth_app().await;
    let response = request_code(&app, "0591234567").await;
    assert_eq!(response.status(), 202);
    assert_eq!(app.sms.count_to("+966591234567"), 0);
    let invalid = request_code(&app, "0112345678").await;
    assert_eq!(invalid.status(), 400);
    let envelope: Value = invalid.json().await.unwrap();
    assert_eq!(envelope["error"]["details"][0]["field"], "phone");
}
