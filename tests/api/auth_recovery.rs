//! Account recovery: a password reset by an emailed link (sent through a fake SendGrid
//! by the notifications' job) or by an SMS code, single use, short-lived, limited per
//! account, answered alike for unknown accounts, and ending every session.

use chrono::Duration;
use serde_json::{Value, json};
use wiremock::MockServer;

use crate::auth_support::{AuthApp, PASSWORD, Session, emails, link_token, sendgrid, spawn_mailing_app};

const NEW_PASSWORD: &str = "olive grove at sunrise";
const PHONE: &str = "+966551234567";
const RESET_PAGE: &str = "https://shop.cargoparts.example/reset-password";

/// A server whose emails go to `sendgrid`, with quick relay and job rounds.
async fn spawn_recovery_app(sendgrid: &MockServer) -> AuthApp {
    spawn_mailing_app(sendgrid, |settings| settings.auth.password_reset_url = RESET_PAGE.into()).await
}

/// The reset emails SendGrid has received (registrations send verification emails too).
async fn reset_emails(sendgrid: &MockServer) -> Vec<Value> {
    let sent = emails(sendgrid).await;
    sent.into_iter().filter(|email| email["content"][0]["value"].as_str().unwrap().contains(RESET_PAGE)).collect()
}

/// Waits for the `n`th reset email and answers the token of its link.
async fn token_from_email(sendgrid: &MockServer, n: usize) -> String {
    link_token(sendgrid, RESET_PAGE, n).await
}

async fn forgot(app: &AuthApp, body: Value) -> reqwest::Response {
    app.post("/api/v1/auth/password/forgot", &body).await
}

async fn reset(app: &AuthApp, body: Value) -> reqwest::Response {
    app.post("/api/v1/auth/password/reset", &body).await
}

async fn field_of(response: reqwest::Response) -> String {
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    body["error"]["details"][0]["field"].as_str().unwrap_or_default().to_string()
}

async fn assert_signed_out(app: &AuthApp, session: &Session) {
    assert_eq!(app.get_as(&session.access, "/api/v1/me").await.status(), 401, "the access token stopped working");
    let refreshed = app.post("/api/v1/auth/refresh", &json!({"refresh_token": session.refresh})).await;
    assert_eq!(refreshed.status(), 401, "the refresh token stopped working");
}

#[tokio::test]
async fn an_emailed_link_sets_a_new_password_once_and_ends_every_session() {
    let sendgrid = sendgrid().await;
    let app = spawn_recovery_app(&sendgrid).await;
    let first = app.register_buyer("noura@example.com").await;
    let second = app.login_ok(&json!({"email": "noura@example.com", "password": PASSWORD})).await;

    let asked = forgot(&app, json!({"email": " Noura@Example.com "})).await;
    assert_eq!(asked.status(), 202);
    let body: Value = asked.json().await.unwrap();
    assert_eq!((body["channel"].as_str(), body["expires_in"].as_u64()), (Some("email"), Some(1800)));
    let token = token_from_email(&sendgrid, 1).await;

    // What was emailed: to the account, in Arabic by default, with the link in both parts.
    let email = &reset_emails(&sendgrid).await[0];
    assert_eq!(email["personalizations"][0]["to"][0]["email"], "noura@example.com");
    assert!(email["subject"].as_str().unwrap().contains("إعادة تعيين كلمة المرور"), "{email}");
    assert!(email["content"][1]["value"].as_str().unwrap().contains(&format!("?token={token}")));
    // Nothing stored or queued holds what opens the account.
    let secret = token.split_once('.').unwrap().1.to_string();
    for sql in [
        "SELECT count(*) FROM jobs WHERE payload::text LIKE '%' || $1 || '%'",
        "SELECT count(*) FROM event_outbox WHERE payload::text LIKE '%' || $1 || '%'",
        "SELECT count(*) FROM email_log WHERE subject LIKE '%' || $1 || '%'",
        "SELECT count(*) FROM audit_log WHERE details::text LIKE '%' || $1 || '%'",
    ] {
        let found: i64 = sqlx::query_scalar(sql).bind(&secret).fetch_one(&app.db).await.unwrap();
        assert_eq!(found, 0, "{sql}");
    }
    let logged: (String, String) =
        sqlx::query_as("SELECT purpose, status FROM email_log WHERE purpose = 'password_reset'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(logged, ("password_reset".into(), "sent".into()));

    // A password the policy refuses does not spend the link.
    let weak = reset(&app, json!({"token": token, "new_password": "short"})).await;
    assert_eq!(field_of(weak).await, "new_password");
    assert_eq!(reset(&app, json!({"token": token, "new_password": NEW_PASSWORD})).await.status(), 204);

    assert_signed_out(&app, &first).await;
    let second_access = second["access_token"].as_str().unwrap();
    assert_eq!(app.get_as(second_access, "/api/v1/me").await.status(), 401);
    let old = app.login(&json!({"email": "noura@example.com", "password": PASSWORD})).await;
    assert_eq!(old.status(), 401, "the old password is gone");
    app.login_ok(&json!({"email": "noura@example.com", "password": NEW_PASSWORD})).await;

    let again = reset(&app, json!({"token": token, "new_password": "another fine password"})).await;
    assert_eq!(field_of(again).await, "token", "a link works once");
    // The owner is told the password changed, in case it was not them.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let notices: Vec<Value> = emails(&sendgrid)
            .await
            .into_iter()
            .filter(|email| email["subject"].as_str().unwrap().contains("تم تغيير كلمة مرورك"))
            .collect();
        if let Some(notice) = notices.first() {
            assert_eq!(notice["personalizations"][0]["to"][0]["email"], "noura@example.com");
            assert!(notice["content"][0]["value"].as_str().unwrap().contains("نسيت كلمة المرور"), "{notice}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no notice of the changed password");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let events = app.audit_events(first.user_id).await;
    assert!(events.iter().any(|e| e == "password.reset_requested"), "{events:?}");
    assert!(events.iter().any(|e| e == "password.reset"), "{events:?}");
    for topic in ["account.registered", "account.password_reset_requested", "account.password_reset"] {
        let recorded: i64 =
            sqlx::query_scalar("SELECT count(*) FROM event_outbox WHERE topic = $1 AND subject_id = $2")
                .bind(topic)
                .bind(first.user_id)
                .fetch_one(&app.db)
                .await
                .unwrap();
        assert_eq!(recorded, 1, "{topic}");
    }
}

#[tokio::test]
async fn a_code_by_sms_resets_once_and_wrong_guesses_count() {
    let sendgrid = sendgrid().await;
    let app = spawn_recovery_app(&sendgrid).await;
    let (session, _) = app.register(json!({"phone": "0551234567", "password": PASSWORD, "name": "Reem"})).await;

    let asked = forgot(&app, json!({"phone": "٠٥٥١٢٣٤٥٦٧"})).await;
    assert_eq!(asked.status(), 202);
    let body: Value = asked.json().await.unwrap();
    assert_eq!((body["channel"].as_str(), body["expires_in"].as_u64()), (Some("sms"), Some(600)));
    let code = app.sms.last_code_to(PHONE).expect("a code was texted");
    let wrong = if code == "000000" { "000001" } else { "000000" };

    let guessed = reset(&app, json!({"phone": PHONE, "code": wrong, "new_password": NEW_PASSWORD})).await;
    assert_eq!(field_of(guessed).await, "code");
    let missing = reset(&app, json!({"phone": PHONE, "new_password": NEW_PASSWORD})).await;
    assert_eq!(field_of(missing).await, "code");
    let done = reset(&app, json!({"phone": "0551234567", "code": code, "new_password": NEW_PASSWORD})).await;
    assert_eq!(done.status(), 204);
    assert_signed_out(&app, &session).await;
    app.login_ok(&json!({"phone": PHONE, "password": NEW_PASSWORD})).await;
    let reused = reset(&app, json!({"phone": PHONE, "code": code, "new_password": "another fine password"})).await;
    assert_eq!(field_of(reused).await, "code");
    assert!(emails(&sendgrid).await.is_empty(), "a reset by SMS sends no email");
}

#[tokio::test]
async fn unknown_accounts_are_answered_alike_and_an_account_gets_a_few_resets_an_hour() {
    let sendgrid = sendgrid().await;
    let app = spawn_recovery_app(&sendgrid).await;
    app.register(json!({"phone": "0551234567", "password": PASSWORD, "name": "Reem"})).await;

    let unknown = forgot(&app, json!({"phone": "0559999999"})).await;
    assert_eq!(unknown.status(), 202);
    assert_eq!(unknown.json::<Value>().await.unwrap(), json!({"channel": "sms", "expires_in": 600}));
    assert_eq!(app.sms.count_to("+966559999999"), 0, "nothing is sent to a number without an account");

    let registered = app.sms.count_to(PHONE); // the verification code
    for _ in 0..5 {
        assert_eq!(forgot(&app, json!({"phone": PHONE})).await.status(), 202);
    }
    assert_eq!(app.sms.count_to(PHONE) - registered, 3, "three resets an hour, the rest answered alike");
    app.clock.advance(Duration::minutes(61));
    assert_eq!(forgot(&app, json!({"phone": PHONE})).await.status(), 202);
    assert_eq!(app.sms.count_to(PHONE) - registered, 4);

    for (body, field) in [
        (json!({}), "email"),
        (json!({"email": "a@example.com", "phone": PHONE}), "email"),
        (json!({"email": "not an address"}), "email"),
        (json!({"phone": "12345"}), "phone"),
    ] {
        assert_eq!(field_of(forgot(&app, body.clone()).await).await, field, "{body}");
    }
    let forged = reset(&app, json!({"token": "0123.abcd", "new_password": NEW_PASSWORD})).await;
    assert_eq!(field_of(forged).await, "token");
}

#[tokio::test]
async fn an_expired_link_is_refused_and_the_page_says_so() {
    let sendgrid = sendgrid().await;
    let app = spawn_recovery_app(&sendgrid).await;
    app.register_buyer("sara@example.com").await;
    forgot(&app, json!({"email": "sara@example.com"})).await;
    let token = token_from_email(&sendgrid, 1).await;

    let page = app.client.get(app.url(&format!("/reset-password?token={token}"))).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("form-action 'self'") && csp.contains("default-src 'none'"), "{csp}");
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"<html lang="ar" dir="rtl">"#) && html.contains(r#"name="new_password""#));

    app.clock.advance(Duration::minutes(31));
    let late = app.client.get(app.url(&format!("/reset-password?token={token}"))).send().await.unwrap();
    assert_eq!(late.status(), 400);
    let late = late.text().await.unwrap();
    assert!(late.contains("الرابط غير صالح"), "{late}");
    let refused = reset(&app, json!({"token": token, "new_password": NEW_PASSWORD})).await;
    assert_eq!(field_of(refused).await, "token");
}

#[tokio::test]
async fn the_page_sets_the_password_without_javascript() {
    let sendgrid = sendgrid().await;
    let app = spawn_recovery_app(&sendgrid).await;
    let session = app.register_buyer("huda@example.com").await;
    forgot(&app, json!({"email": "huda@example.com"})).await;
    let token = token_from_email(&sendgrid, 1).await;

    let weak = app
        .client
        .post(app.url("/reset-password"))
        .form(&[("token", token.as_str()), ("new_password", "password1")])
        .send()
        .await
        .unwrap();
    assert_eq!(weak.status(), 400);
    assert!(weak.text().await.unwrap().contains(r#"role="alert""#), "the form comes back with the reason");

    let saved = app
        .client
        .post(app.url("/reset-password"))
        .form(&[("token", token.as_str()), ("new_password", NEW_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 200);
    assert!(saved.text().await.unwrap().contains("تم تغيير كلمة المرور"));
    assert_signed_out(&app, &session).await;
    app.login_ok(&json!({"email": "huda@example.com", "password": NEW_PASSWORD})).await;
}
