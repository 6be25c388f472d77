//! Registration, sign-in, refresh, sign-out and the account itself.

use serde_json::{Value, json};

use crate::auth_support::{PASSWORD, spawn_auth_app};

#[tokio::test]
async fn a_buyer_registers_signs_in_refreshes_and_signs_out() {
    let app = spawn_auth_app().await;
    let (registered, created) =
        app.register(json!({"email": "  Noura@Example.COM ", "password": PASSWORD, "name": "Noura"})).await;
    assert_eq!(created["user"]["email"], "noura@example.com");
    assert_eq!(created["user"]["role"], "buyer");
    assert_eq!(created["tokens"]["token_type"], "Bearer");
    assert_eq!(created["tokens"]["expires_in"], 900);

    let tokens = app.login_ok(&json!({"email": "NOURA@example.com", "password": PASSWORD})).await;
    let access = tokens["access_token"].as_str().unwrap();
    let me: Value = app.get_as(access, "/api/v1/me").await.json().await.unwrap();
    assert_eq!(me["id"], registered.user_id.to_string());
    assert_eq!(me["name"], "Noura");
    assert_eq!(me["mfa_enabled"], false);

    let refreshed = app.post("/api/v1/auth/refresh", &json!({"refresh_token": tokens["refresh_token"]})).await;
    assert_eq!(refreshed.status(), 200);
    let refreshed: Value = refreshed.json().await.unwrap();
    assert_ne!(refreshed["refresh_token"], tokens["refresh_token"]);
    let new_access = refreshed["access_token"].as_str().unwrap();
    assert_eq!(app.get_as(new_access, "/api/v1/me").await.status(), 200);

    let logout = app.post_as(new_access, "/api/v1/auth/logout", &json!({})).await;
    assert_eq!(logout.status(), 204);
    let after = app.get_as(new_access, "/api/v1/me").await;
    assert_eq!(after.status(), 401);
    let envelope: Value = after.json().await.unwrap();
    assert_eq!(envelope["error"]["code"], "UNAUTHORIZED");
    let refresh_after_logout =
        app.post("/api/v1/auth/refresh", &json!({"refresh_token": refreshed["refresh_token"]})).await;
    assert_eq!(refresh_after_logout.status(), 401);
    // The other session (from registration) is untouched by this logout.
    assert_eq!(app.get_as(&registered.access, "/api/v1/me").await.status(), 200);

    let events = app.audit_events(registered.user_id).await;
    for expected in ["account.registered", "login.succeeded", "session.logged_out"] {
        assert!(events.iter().any(|e| e == expected), "{expected} in {events:?}");
    }
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_account_get_the_same_answer() {
    let app = spawn_auth_app().await;
    app.register_buyer("fahad@example.com").await;
    let wrong = app.login(&json!({"email": "fahad@example.com", "password": "not the password at all"})).await;
    let unknown = app.login(&json!({"email": "nobody@example.com", "password": PASSWORD})).await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(unknown.status(), 401);
    let wrong: Value = wrong.json().await.unwrap();
    let unknown: Value = unknown.json().await.unwrap();
    assert_eq!(wrong, unknown);
    let failures: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE event = 'login.failed'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(failures, 2);
}

#[tokio::test]
async fn an_email_registers_once_whatever_its_case() {
    let app = spawn_auth_app().await;
    let first = app.register_buyer("sara@example.com").await;
    // Unproven, the address gives way to the next registration, in any case.
    let body = json!({"email": "SARA@Example.com", "password": PASSWORD, "name": "Sara"});
    let (second, created) = app.register(body.clone()).await;
    assert_eq!(created["user"]["email"], "sara@example.com");
    let first_now: Value = app.get_as(&first.access, "/api/v1/me").await.json().await.unwrap();
    assert!(first_now.get("email").is_none(), "{first_now}");
    // Proven (as the mailed link does, see auth_verification), it is held.
    sqlx::query("UPDATE users SET email_verified_at = now() WHERE id = $1")
        .bind(second.user_id)
        .execute(&app.db)
        .await
        .unwrap();
    let again = app.post("/api/v1/auth/register", &body).await;
    assert_eq!(again.status(), 409);
    let envelope: Value = again.json().await.unwrap();
    assert_eq!(envelope["error"]["code"], "CONFLICT");
}

#[tokio::test]
async fn weak_passwords_are_refused_with_the_reason() {
    let app = spawn_auth_app().await;
    for (password, reason) in [
        ("short1", "يجب ألا يقل عدد أحرفها عن 10"),
        ("password123", "شائعة جدًا"),
        ("1111111111111", "شائعة جدًا"),
        ("abdulrahman-garage", "يجب ألا تحتوي على اسمك"),
    ] {
        let response = app
            .post(
                "/api/v1/auth/register",
                &json!({"email": "abdulrahman@example.com", "password": password, "name": "Abdulrahman"}),
            )
            .await;
        assert_eq!(response.status(), 400, "{password}");
        let envelope: Value = response.json().await.unwrap();
        assert_eq!(envelope["error"]["details"][0]["field"], "password");
        let message = envelope["error"]["details"][0]["reason"].as_str().unwrap();
        assert!(message.contains(reason), "{password}: {message}");
    }
}

#[tokio::test]
async fn registration_names_every_bad_field() {
    let app = spawn_auth_app().await;
    let response = app
        .post(
            "/api/v1/auth/register",
            &json!({"email": "not-an-email", "phone": "0112345678", "password": PASSWORD, "name": " "}),
        )
        .await;
    assert_eq!(response.status(), 400);
    let envelope: Value = response.json().await.unwrap();
    let fields: Vec<&str> =
        envelope["error"]["details"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    for field in ["email", "phone", "name"] {
        assert!(fields.contains(&field), "{field} in {fields:?}");
    }
    let neither = app.post("/api/v1/auth/register", &json!({"password": PASSWORD, "name": "Someone"})).await;
    assert_eq!(neither.status(), 400);
}

#[tokio::test]
async fn administrators_cannot_register_themselves() {
    let app = spawn_auth_app().await;
    let response = app
        .post(
            "/api/v1/auth/register",
            &json!({"email": "boss@example.com", "password": PASSWORD, "name": "Boss", "role": "admin"}),
        )
        .await;
    assert_eq!(response.status(), 400);
    let envelope: Value = response.json().await.unwrap();
    assert_eq!(envelope["error"]["details"][0]["field"], "role");
    assert_eq!(app.count("SELECT count(*) FROM users").await, 0);
}

#[tokio::test]
async fn a_seller_account_gets_a_seller_record_or_links_one_by_its_key() {
    let app = spawn_auth_app().await;
    let (_, created) = app
        .register(json!({
            "email": "owner@rashed-parts.sa", "password": PASSWORD, "name": "Khalid",
            "role": "seller", "seller": {"name": "قطع غيار الراشد", "city": "riyadh"}
        }))
        .await;
    assert_eq!(created["user"]["role"], "seller");
    let seller_id = created["user"]["seller_id"].as_str().unwrap();
    let (name, city): (String, String) = sqlx::query_as("SELECT name, city FROM sellers WHERE id = $1::uuid")
        .bind(seller_id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!((name.as_str(), city.as_str()), ("قطع غيار الراشد", "Riyadh"));

    let (existing_id, key) = app.seller_with_key("S-IMPORTED").await;
    let (_, linked) = app
        .register(json!({
            "email": "staff@imported.sa", "password": PASSWORD, "name": "Omar",
            "role": "seller", "seller": {"api_key": key}
        }))
        .await;
    assert_eq!(linked["user"]["seller_id"], existing_id.to_string());

    let bad_key = app
        .post(
            "/api/v1/auth/register",
            &json!({
                "email": "thief@example.com", "password": PASSWORD, "name": "Thief",
                "role": "seller", "seller": {"api_key": "cpk_0000000000000000"}
            }),
        )
        .await;
    assert_eq!(bad_key.status(), 400);
    let envelope: Value = bad_key.json().await.unwrap();
    assert_eq!(envelope["error"]["details"][0]["field"], "seller.api_key");

    let no_seller = app
        .post(
            "/api/v1/auth/register",
            &json!({"email": "x@example.com", "password": PASSWORD, "name": "X", "role": "seller"}),
        )
        .await;
    assert_eq!(no_seller.status(), 400);
}

#[tokio::test]
async fn every_spelling_of_a_phone_number_reaches_the_same_account() {
    let app = spawn_auth_app().await;
    let (session, created) = app.register(json!({"phone": "050 123 4567", "password": PASSWORD, "name": "Huda"})).await;
    assert_eq!(created["user"]["phone"], "+966501234567");
    for spelling in ["0501234567", "501234567", "+966501234567", "00966501234567", "٠٥٠١٢٣٤٥٦٧"] {
        let tokens = app.login_ok(&json!({"phone": spelling, "password": PASSWORD})).await;
        assert!(tokens["access_token"].is_string(), "{spelling}");
    }
    // A sign-in code proves the number; then no other registration may name it.
    assert_eq!(app.post("/api/v1/auth/otp/request", &json!({"phone": "0501234567"})).await.status(), 202);
    let code = app.sms.last_code_to("+966501234567").unwrap();
    let proven = app.post("/api/v1/auth/otp/verify", &json!({"phone": "0501234567", "code": code})).await;
    assert_eq!(proven.status(), 200);
    let duplicate = app
        .post("/api/v1/auth/register", &json!({"phone": "+966 50 123 4567", "password": PASSWORD, "name": "Other"}))
        .await;
    assert_eq!(duplicate.status(), 409);

    // At rest: a keyed hash for lookups and a sealed value, never the number itself.
    let (hash, sealed): (Vec<u8>, String) =
        sqlx::query_as("SELECT phone_hash, phone_encrypted FROM users WHERE id = $1")
            .bind(session.user_id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(hash.len(), 32);
    assert!(sealed.starts_with("dev:"), "{sealed}");
    assert!(!sealed.contains("501234567"));
}

#[tokio::test]
async fn invalid_phone_numbers_are_refused_by_field() {
    let app = spawn_auth_app().await;
    for phone in ["0112345678", "+14155552671", "12345", "05X1234567"] {
        let response =
            app.post("/api/v1/auth/register", &json!({"phone": phone, "password": PASSWORD, "name": "Huda"})).await;
        assert_eq!(response.status(), 400, "{phone}");
        let envelope: Value = response.json().await.unwrap();
        assert_eq!(envelope["error"]["details"][0]["field"], "phone", "{phone}");
    }
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions() {
    let app = spawn_auth_app().await;
    let first = app.register_buyer("majed@example.com").await;
    let second = app.login_ok(&json!({"email": "majed@example.com", "password": PASSWORD})).await;
    let wrong_current = app
        .post_as(
            &first.access,
            "/api/v1/me/password",
            &json!({"current_password": "not it at all", "new_password": "a brand new passphrase"}),
        )
        .await;
    assert_eq!(wrong_current.status(), 400);
    let changed = app
        .post_as(
            &first.access,
            "/api/v1/me/password",
            &json!({"current_password": PASSWORD, "new_password": "a brand new passphrase"}),
        )
        .await;
    assert_eq!(changed.status(), 204);
    let other_refresh = app.post("/api/v1/auth/refresh", &json!({"refresh_token": second["refresh_token"]})).await;
    assert_eq!(other_refresh.status(), 401);
    let own_refresh = app.post("/api/v1/auth/refresh", &json!({"refresh_token": first.refresh})).await;
    assert_eq!(own_refresh.status(), 200);
    let old = app.login(&json!({"email": "majed@example.com", "password": PASSWORD})).await;
    assert_eq!(old.status(), 401);
    app.login_ok(&json!({"email": "majed@example.com", "password": "a brand new passphrase"})).await;
    assert!(app.audit_events(first.user_id).await.contains(&"password.changed".to_string()));
}

#[tokio::test]
async fn auth_answers_are_never_cached() {
    let app = spawn_auth_app().await;
    let session = app.register_buyer("cache@example.com").await;
    let me = app.get_as(&session.access, "/api/v1/me").await;
    assert_eq!(me.headers()["cache-control"], "no-store");
}
