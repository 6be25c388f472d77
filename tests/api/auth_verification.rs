//! Ownership of an email address and a phone number: registration sends a code and a
//! link, each proves its contact once; an unverified registration does not hold the
//! number or the address, a verified one does; other codes prove the phone too.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::auth_support::{AuthApp, PASSWORD, Session, emails, link_token, sendgrid, spawn_mailing_app};

const PHONE: &str = "+966551234567";
const VERIFY_PAGE: &str = "https://shop.cargoparts.example/verify-email";

async fn spawn_verifying_app(sendgrid: &wiremock::MockServer) -> AuthApp {
    spawn_mailing_app(sendgrid, |settings| settings.auth.email_verification_url = VERIFY_PAGE.into()).await
}

async fn me(app: &AuthApp, session: &Session) -> Value {
    let response = app.get_as(&session.access, "/api/v1/me").await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn confirm_phone(app: &AuthApp, session: &Session, code: &str) -> reqwest::Response {
    app.post_as(&session.access, "/api/v1/me/verification/phone/confirm", &json!({"code": code})).await
}

async fn field_of(response: reqwest::Response) -> String {
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    body["error"]["details"][0]["field"].as_str().unwrap_or_default().to_string()
}

/// Waits for the verification email greeting `name` and answers its link's token.
async fn token_mailed_to(sendgrid: &wiremock::MockServer, name: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let prefix = format!("{VERIFY_PAGE}?token=");
    loop {
        for email in emails(sendgrid).await {
            let text = email["content"][0]["value"].as_str().unwrap().to_string();
            if let Some(start) = text.find(&prefix).filter(|_| text.contains(name)) {
                let link = text[start..].split_whitespace().next().unwrap();
                return link.split_once("?token=").unwrap().1.to_string();
            }
        }
        assert!(std::time::Instant::now() < deadline, "no verification email to {name} arrived");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn events_about(app: &AuthApp, user_id: Uuid, topic: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM event_outbox WHERE topic = $1 AND subject_id = $2")
        .bind(topic)
        .bind(user_id)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_registration_sends_a_code_and_a_link_and_each_proves_its_contact_once() {
    let sendgrid = sendgrid().await;
    let app = spawn_verifying_app(&sendgrid).await;
    let body = json!({"email": "noura@example.com", "phone": "0551234567", "password": PASSWORD, "name": "Noura"});
    let (session, created) = app.register(body).await;
    assert_eq!(
        (created["user"]["email_verified"].as_bool(), created["user"]["phone_verified"].as_bool()),
        (Some(false), Some(false))
    );

    // The phone: a wrong code counts, the right one proves it, and works once.
    let code = app.sms.last_code_to(PHONE).expect("registration texts a code");
    let wrong = if code == "000000" { "000001" } else { "000000" };
    assert_eq!(field_of(confirm_phone(&app, &session, wrong).await).await, "code");
    assert_eq!(confirm_phone(&app, &session, &code).await.status(), 204);
    assert_eq!(me(&app, &session).await["phone_verified"], true);
    assert_eq!(field_of(confirm_phone(&app, &session, &code).await).await, "code");
    let again = app.post_as(&session.access, "/api/v1/me/verification/phone", &json!({})).await;
    assert_eq!(again.status(), 409, "a verified number needs no code");

    // The address: the mailed link's page asks before it proves anything.
    let token = link_token(&sendgrid, VERIFY_PAGE, 1).await;
    let mail = emails(&sendgrid).await.into_iter().next().unwrap();
    assert_eq!(mail["personalizations"][0]["to"][0]["email"], "noura@example.com");
    assert!(mail["subject"].as_str().unwrap().contains("تأكيد بريدك"), "{mail}");
    let page = app.client.get(app.url(&format!("/verify-email?token={token}"))).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains(r#"action="/verify-email""#));
    assert_eq!(me(&app, &session).await["email_verified"], false, "opening the link proves nothing");
    let confirmed = app.client.post(app.url("/verify-email")).form(&[("token", token.as_str())]).send().await.unwrap();
    assert_eq!(confirmed.status(), 200);
    assert!(confirmed.text().await.unwrap().contains("تم تأكيد بريدك"));
    assert_eq!(me(&app, &session).await["email_verified"], true);
    let reused = app.post("/api/v1/auth/verify-email", &json!({"token": token})).await;
    assert_eq!(field_of(reused).await, "token");
    let forged =
        app.post("/api/v1/auth/verify-email", &json!({"token": format!("{}.AAAA", Uuid::new_v4().simple())})).await;
    assert_eq!(field_of(forged).await, "token");

    assert_eq!(events_about(&app, session.user_id, "account.contact_verified").await, 2);
    let audit = app.audit_events(session.user_id).await;
    assert_eq!(audit.iter().filter(|e| *e == "contact.verified").count(), 2, "{audit:?}");
    assert!(audit.iter().any(|e| e == "contact.verification_failed"), "{audit:?}");
    // The code is kept only as a keyed hash.
    let stored: Vec<Vec<u8>> = sqlx::query_scalar("SELECT code_hash FROM contact_verifications WHERE channel = 'sms'")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert!(stored.iter().all(|h| h.len() == 32 && h != code.as_bytes()));
}

#[tokio::test]
async fn an_unverified_registration_does_not_hold_the_number_or_the_address() {
    let sendgrid = sendgrid().await;
    let app = spawn_verifying_app(&sendgrid).await;
    // Someone registers a number and an address that are not theirs.
    let squatter = json!({"email": "reem@example.com", "phone": "0551234567", "password": "a brass key under the mat", "name": "Squatter"});
    let (squatter, _) = app.register(squatter).await;

    // Their owner registers them anyway, and proves the number.
    let owner = json!({"email": "Reem@Example.com", "phone": "+966 55 123 4567", "password": PASSWORD, "name": "Reem"});
    let (owner, _) = app.register(owner).await;
    let owners_link = token_mailed_to(&sendgrid, "Reem").await;
    let held = me(&app, &squatter).await;
    assert!(held.get("phone").is_none() && held.get("email").is_none(), "the squatter holds nothing: {held}");
    let code = app.sms.last_code_to(PHONE).unwrap();
    assert_eq!(confirm_phone(&app, &owner, &code).await.status(), 204);
    let signed_in = app.login_ok(&json!({"phone": "0551234567", "password": PASSWORD})).await;
    let whose: Value =
        app.get_as(signed_in["access_token"].as_str().unwrap(), "/api/v1/me").await.json().await.unwrap();
    assert_eq!(whose["id"], owner.user_id.to_string());
    let refused = app.login(&json!({"phone": PHONE, "password": "a brass key under the mat"})).await;
    assert_eq!(refused.status(), 401);
    let audit = app.audit_events(squatter.user_id).await;
    assert_eq!(audit.iter().filter(|e| *e == "contact.released").count(), 2, "{audit:?}");

    // A verified number is the owner's: the next registration naming it is refused.
    let late = app.post("/api/v1/auth/register", &json!({"phone": PHONE, "password": PASSWORD, "name": "Y"})).await;
    assert_eq!(late.status(), 409);
    // The address is not verified yet, so it still gives way.
    let (third, _) = app.register(json!({"email": "reem@example.com", "password": PASSWORD, "name": "Third"})).await;
    assert!(me(&app, &owner).await.get("email").is_none());
    assert_eq!(me(&app, &third).await["email"], "reem@example.com");
    // The link mailed to the owner before no longer proves an address it lost; the
    // holder's does.
    let stale = app.post("/api/v1/auth/verify-email", &json!({"token": owners_link})).await;
    assert_eq!(field_of(stale).await, "token");
    let holders_link = token_mailed_to(&sendgrid, "Third").await;
    assert_eq!(app.post("/api/v1/auth/verify-email", &json!({"token": holders_link})).await.status(), 204);
    assert_eq!(me(&app, &third).await["email_verified"], true);
}

#[tokio::test]
async fn a_sign_in_code_proves_the_phone_and_codes_are_limited() {
    let sendgrid = sendgrid().await;
    let app = spawn_verifying_app(&sendgrid).await;
    let (session, _) = app.register(json!({"phone": "0551234567", "password": PASSWORD, "name": "Reem"})).await;

    // A few codes an hour, the registration's counted.
    for _ in 0..4 {
        let sent = app.post_as(&session.access, "/api/v1/me/verification/phone", &json!({})).await;
        assert_eq!(sent.status(), 202);
        assert_eq!(sent.json::<Value>().await.unwrap(), json!({"channel": "sms", "expires_in": 600}));
    }
    let limited = app.post_as(&session.access, "/api/v1/me/verification/phone", &json!({})).await;
    assert_eq!(limited.status(), 429);
    let no_email = app.post_as(&session.access, "/api/v1/me/verification/email", &json!({})).await;
    assert_eq!(field_of(no_email).await, "channel");

    // A sign-in code reached the number: that proves it.
    assert_eq!(app.post("/api/v1/auth/otp/request", &json!({"phone": PHONE})).await.status(), 202);
    let code = app.sms.last_code_to(PHONE).unwrap();
    let verified = app.post("/api/v1/auth/otp/verify", &json!({"phone": PHONE, "code": code})).await;
    assert_eq!(verified.status(), 200);
    assert_eq!(me(&app, &session).await["phone_verified"], true);
    assert_eq!(events_about(&app, session.user_id, "account.contact_verified").await, 1);
}
