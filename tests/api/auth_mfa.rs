//! TOTP second factor: enrolment, sign-in step-up, replay, recovery codes.

use cargoparts::platform::clock::Clock;
use chrono::Duration;
use serde_json::{Value, json};

use crate::auth_support::{AuthApp, PASSWORD, Session, spawn_auth_app, spawn_auth_app_with, totp_code};

/// Enrols and confirms an authenticator; returns its secret and the recovery codes.
async fn enable_totp(app: &AuthApp, session: &Session) -> (String, Vec<String>) {
    let started = app.post_as(&session.access, "/api/v1/me/mfa/totp", &json!({})).await;
    assert_eq!(started.status(), 201);
    let enrolment: Value = started.json().await.unwrap();
    let secret = enrolment["secret"].as_str().unwrap().to_string();
    let url = enrolment["otpauth_url"].as_str().unwrap();
    assert!(url.starts_with("otpauth://totp/"), "{url}");
    assert!(url.contains("issuer=CargoParts"), "{url}");
    assert!(url.contains(&format!("secret={secret}")), "{url}");
    assert!(enrolment["qr_code"].as_str().unwrap().starts_with("data:image/png;base64,iVBOR"));

    let confirmed = app
        .post_as(&session.access, "/api/v1/me/mfa/totp/confirm", &json!({"code": totp_code(&secret, app.clock.now())}))
        .await;
    assert_eq!(confirmed.status(), 200);
    let codes: Value = confirmed.json().await.unwrap();
    let codes: Vec<String> =
        codes["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect();
    assert_eq!(codes.len(), 10);
    (secret, codes)
}

async fn challenge(app: &AuthApp, email: &str) -> String {
    let response = app.login(&json!({"email": email, "password": PASSWORD})).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["mfa_required"], true, "{body}");
    assert!(body.get("access_token").is_none());
    body["mfa_token"].as_str().unwrap().to_string()
}

async fn answer(app: &AuthApp, mfa_token: &str, code: &str) -> reqwest::Response {
    app.post("/api/v1/auth/mfa/verify", &json!({"mfa_token": mfa_token, "code": code})).await
}

#[tokio::test]
async fn an_enrolled_account_signs_in_with_its_authenticator_and_a_code_works_once() {
    let app = spawn_auth_app().await;
    let session = app.register_buyer("totp@example.com").await;
    let (secret, _) = enable_totp(&app, &session).await;
    let me: Value = app.get_as(&session.access, "/api/v1/me").await.json().await.unwrap();
    assert_eq!(me["mfa_enabled"], true);

    // Half a minute later there is a fresh code.
    app.clock.advance(Duration::seconds(30));
    let code = totp_code(&secret, app.clock.now());
    let first = challenge(&app, "totp@example.com").await;
    let wrong = answer(&app, &first, "000000").await;
    assert_eq!(wrong.status(), 401);
    let signed_in = answer(&app, &first, &code).await;
    assert_eq!(signed_in.status(), 200);
    let tokens: Value = signed_in.json().await.unwrap();
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(app.get_as(access, "/api/v1/me").await.status(), 200);

    // The challenge is spent, and the same code is refused on a new one.
    assert_eq!(answer(&app, &first, &code).await.status(), 401);
    let second = challenge(&app, "totp@example.com").await;
    let replay = answer(&app, &second, &code).await;
    assert_eq!(replay.status(), 401);
    // So is the code of the step before, which the skew window would otherwise allow.
    let earlier = totp_code(&secret, app.clock.now() - Duration::seconds(30));
    assert_eq!(answer(&app, &second, &earlier).await.status(), 401);

    let events = app.audit_events(session.user_id).await;
    for expected in ["mfa.enrolment_started", "mfa.enabled", "mfa.challenge_failed"] {
        assert!(events.iter().any(|e| e == expected), "{expected} in {events:?}");
    }
}

#[tokio::test]
async fn a_recovery_code_works_once() {
    let app = spawn_auth_app().await;
    let session = app.register_buyer("recovery@example.com").await;
    let (_, codes) = enable_totp(&app, &session).await;

    let first = challenge(&app, "recovery@example.com").await;
    let typed = codes[3].to_uppercase().replace('-', " ");
    let signed_in = answer(&app, &first, &typed).await;
    assert_eq!(signed_in.status(), 200);

    let second = challenge(&app, "recovery@example.com").await;
    assert_eq!(answer(&app, &second, &codes[3]).await.status(), 401);
    assert_eq!(answer(&app, &second, &codes[4]).await.status(), 200);
    assert!(app.audit_events(session.user_id).await.contains(&"mfa.recovery_code_used".to_string()));
}

#[tokio::test]
async fn a_challenge_dies_after_too_many_wrong_codes_or_when_it_expires() {
    // More attempts than the per-address budget allows: the challenge's own limit is
    // what is under test.
    let app = spawn_auth_app_with(|s| s.rate_limit.auth.limit = 50).await;
    let session = app.register_buyer("attempts@example.com").await;
    let (secret, _) = enable_totp(&app, &session).await;
    let guessed = challenge(&app, "attempts@example.com").await;
    for _ in 0..5 {
        assert_eq!(answer(&app, &guessed, "123456").await.status(), 401);
    }
    app.clock.advance(Duration::seconds(30));
    let good = totp_code(&secret, app.clock.now());
    assert_eq!(answer(&app, &guessed, &good).await.status(), 401);

    let late = challenge(&app, "attempts@example.com").await;
    app.clock.advance(Duration::minutes(6));
    let good = totp_code(&secret, app.clock.now());
    assert_eq!(answer(&app, &late, &good).await.status(), 401);
}

#[tokio::test]
async fn enrolment_needs_the_right_code_and_does_not_turn_on_until_confirmed() {
    let app = spawn_auth_app().await;
    let session = app.register_buyer("pending@example.com").await;
    let started = app.post_as(&session.access, "/api/v1/me/mfa/totp", &json!({})).await;
    assert_eq!(started.status(), 201);
    let wrong = app.post_as(&session.access, "/api/v1/me/mfa/totp/confirm", &json!({"code": "000000"})).await;
    assert_eq!(wrong.status(), 400);
    // Unconfirmed: sign-in still answers tokens directly.
    let tokens = app.login_ok(&json!({"email": "pending@example.com", "password": PASSWORD})).await;
    assert!(tokens.get("mfa_required").is_none());
    let sealed: String = sqlx::query_scalar("SELECT secret_encrypted FROM user_totp").fetch_one(&app.db).await.unwrap();
    let enrolment: Value = started.json().await.unwrap();
    assert!(!sealed.contains(enrolment["secret"].as_str().unwrap()));
}

#[tokio::test]
async fn turning_two_factor_off_needs_a_code_and_new_recovery_codes_replace_the_old() {
    let app = spawn_auth_app().await;
    let session = app.register_buyer("off@example.com").await;
    let (secret, old_codes) = enable_totp(&app, &session).await;

    app.clock.advance(Duration::seconds(30));
    let regenerated = app
        .post_as(
            &session.access,
            "/api/v1/me/mfa/recovery-codes",
            &json!({"code": totp_code(&secret, app.clock.now())}),
        )
        .await;
    assert_eq!(regenerated.status(), 200);
    let regenerated: Value = regenerated.json().await.unwrap();
    let new_codes = regenerated["recovery_codes"].as_array().unwrap();
    assert_eq!(new_codes.len(), 10);

    let refused = app.post_as(&session.access, "/api/v1/me/mfa/totp/disable", &json!({"code": old_codes[0]})).await;
    assert_eq!(refused.status(), 400);
    let disabled = app.post_as(&session.access, "/api/v1/me/mfa/totp/disable", &json!({"code": new_codes[0]})).await;
    assert_eq!(disabled.status(), 204);
    let tokens = app.login_ok(&json!({"email": "off@example.com", "password": PASSWORD})).await;
    assert!(tokens["access_token"].is_string());
    assert!(app.audit_events(session.user_id).await.contains(&"mfa.disabled".to_string()));
}
