//! Holes a security review found, each shut and kept shut: invented seller keys,
//! development keys in production, suspended sellers, codes in logs, sign-out while
//! Redis is down, one sign-in budget per account.

use std::process::{Command, Stdio};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use cargoparts::platform::config::Environment;
use futures::{StreamExt, stream};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::auth_support::{PASSWORD, RedisRelay, spawn_auth_app, spawn_auth_app_with, with_redis};
use crate::helpers::{drop_database, fresh_database, server_url, spawn_app};

/// Production settings with keys of its own.
fn production(settings: &mut cargoparts::platform::config::Settings) {
    settings.env = Environment::Production;
    settings.marketplace.vat_number = "310122393500003".into();
    settings.auth.jwt_keys.insert("prod1".into(), SecretString::from("a production secret that is long enough!!"));
    settings.auth.encryption_keys.insert("e1".into(), SecretString::from(STANDARD.encode([7u8; 32])));
    settings.auth.hmac_key = Some(SecretString::from("a production lookup key that is long enough"));
    settings.payments.public_url = "https://cargoparts.example".into();
    settings.auth.password_reset_url = "https://cargoparts.example/reset-password".into();
    settings.auth.email_verification_url = "https://cargoparts.example/verify-email".into();
    settings.payments.tap = Some(cargoparts::platform::config::TapSettings {
        base_url: "https://tap.invalid/".into(),
        secret_key: SecretString::from("sk_live_not_a_real_key"),
    });
    settings.notify.unifonic = Some(cargoparts::platform::config::UnifonicSettings {
        base_url: "https://unifonic.invalid/".into(),
        app_sid: SecretString::from("not-a-real-app-sid"),
        sender_id: "CargoParts".into(),
    });
    settings.notify.sendgrid = Some(cargoparts::platform::config::SendGridSettings {
        base_url: "https://sendgrid.invalid/".into(),
        api_key: SecretString::from("SG.not-a-real-key"),
        from: "orders@cargoparts.example".into(),
        from_name: "CargoParts".into(),
    });
}

#[tokio::test]
async fn invented_seller_keys_share_their_address_budget() {
    let app = spawn_app().await;
    let limit = 1200;
    let statuses: Vec<u16> = stream::iter(0..1500)
        .map(|i| {
            let request = app
                .client
                .get(app.url("/api/v1/search"))
                .query(&[("q", "filter")])
                .bearer_auth(format!("cpk_{i:064x}"));
            async move { request.send().await.unwrap().status().as_u16() }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let served = statuses.iter().filter(|s| **s == 200).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((served, refused), (limit, 1500 - limit), "every request counts against the one address");
}

#[tokio::test]
async fn production_without_keys_refuses_to_start_and_names_what_is_missing() {
    let db_name = fresh_database().await;
    let output = Command::new(env!("CARGO_BIN_EXE_cargoparts"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("CARGOPARTS_ENV", "production")
        .env("DATABASE_URL", format!("{}/{db_name}", server_url()))
        .env("CARGOPARTS_BIND", "127.0.0.1:0")
        .env("CARGOPARTS_INDEX_DIR", tempfile::tempdir().unwrap().path())
        .arg("serve")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    drop_database(db_name);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    for setting in
        ["CARGOPARTS__AUTH__JWT_KEYS__<ID>", "CARGOPARTS__AUTH__ENCRYPTION_KEYS__<ID>", "CARGOPARTS__AUTH__HMAC_KEY"]
    {
        assert!(stderr.contains(setting), "{setting} not named in: {stderr}");
    }
}

#[tokio::test]
async fn production_with_its_keys_but_the_development_vat_number_refuses_to_start() {
    let mut settings = crate::helpers::test_settings("unused");
    production(&mut settings);
    settings.marketplace.vat_number = cargoparts::platform::config::DEVELOPMENT_VAT_NUMBER.into();
    let refused = cargoparts::app::AppState::connect(settings).await.err().expect("refused");
    assert!(format!("{refused:#}").contains("CARGOPARTS__MARKETPLACE__VAT_NUMBER"), "{refused:#}");
}

#[tokio::test]
async fn a_token_signed_with_the_development_keys_is_refused_in_production() {
    let development = spawn_auth_app().await;
    let session = development.register_buyer("forger@example.com").await;
    assert_eq!(development.get_as(&session.access, "/api/v1/me").await.status(), 200);

    let production = development.spawn_replica_with(production).await;
    let me = production.client.get(production.url("/api/v1/me")).bearer_auth(&session.access).send().await.unwrap();
    assert_eq!(me.status(), 401);
    // The account itself is fine: signing in on production gives a token that works there.
    let login = production
        .client
        .post(production.url("/api/v1/auth/login"))
        .json(&json!({"email": "forger@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let tokens: Value = login.json().await.unwrap();
    let own = production
        .client
        .get(production.url("/api/v1/me"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 200);
}

#[tokio::test]
async fn a_seller_suspended_mid_session_is_refused_on_the_next_request() {
    let app = spawn_auth_app().await;
    let (seller, seller_id) = app.register_seller("suspended@example.com", "قطع الشمال").await;
    assert_eq!(app.get_as(&seller.access, "/api/v1/seller/api-keys").await.status(), 200);

    sqlx::query("UPDATE sellers SET status = 'suspended' WHERE id = $1")
        .bind(seller_id)
        .execute(&app.db)
        .await
        .unwrap();
    let refused = app.get_as(&seller.access, "/api/v1/seller/api-keys").await;
    assert_eq!(refused.status(), 403);
    let envelope: Value = refused.json().await.unwrap();
    assert_eq!(envelope["error"]["message"], "حساب البائع هذا موقوف", "{envelope}");

    sqlx::query("UPDATE sellers SET status = 'active' WHERE id = $1").bind(seller_id).execute(&app.db).await.unwrap();
    assert_eq!(app.get_as(&seller.access, "/api/v1/seller/api-keys").await.status(), 200);
}

#[tokio::test]
async fn a_revoked_role_stops_working_at_once() {
    let app = spawn_auth_app().await;
    let admin = app.admin("demoted@example.com").await;
    assert_eq!(app.get_as(&admin.access, "/api/v1/admin/audit-log").await.status(), 200);
    sqlx::query("UPDATE users SET role = 'buyer' WHERE id = $1").bind(admin.user_id).execute(&app.db).await.unwrap();
    assert_eq!(app.get_as(&admin.access, "/api/v1/admin/audit-log").await.status(), 403);
}

#[tokio::test]
async fn no_sms_code_reaches_the_log() {
    let db_name = fresh_database().await;
    let index_dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_cargoparts"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DATABASE_URL", format!("{}/{db_name}", server_url()))
        .env("CARGOPARTS_BIND", format!("127.0.0.1:{port}"))
        .env("CARGOPARTS_INDEX_DIR", index_dir.path())
        .env("CARGOPARTS_LOG_FORMAT", "json")
        .env("RUST_LOG", "debug")
        .arg("serve")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    // Read the log while the server runs, so a full pipe never stalls it.
    let mut stderr = child.stderr.take().unwrap();
    let reader = tokio::spawn(async move {
        let mut log = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut stderr, &mut log).await.unwrap();
        log
    });
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut registered = None;
    for _ in 0..600 {
        let body = json!({"phone": "0551234567", "password": PASSWORD, "name": "Reem"});
        if let Ok(response) = client.post(format!("{base}/api/v1/auth/register")).json(&body).send().await {
            registered = Some(response.status());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(registered.map(|s| s.as_u16()), Some(201));
    let requested = client
        .post(format!("{base}/api/v1/auth/otp/request"))
        .json(&json!({"phone": "0551234567"}))
        .send()
        .await
        .unwrap();
    assert_eq!(requested.status(), 202);

    child.start_kill().unwrap();
    child.wait().await.unwrap();
    let log = reader.await.unwrap();
    drop_database(db_name);
    let log = String::from_utf8_lossy(&log);
    let sms_lines: Vec<&str> = log.lines().filter(|line| line.contains("a text message was due")).collect();
    assert_eq!(sms_lines.len(), 2, "the registration's verification code and the sign-in code: {log}");
    for line in log.lines() {
        for text in ["sign-in code", "رمز الدخول", "verification code", "رمز تأكيد"] {
            assert!(!line.contains(text), "the message text was logged: {line}");
        }
        // Events of sign-in and of messaging, without the timestamp and the request ids
        // (whose hex may hold digit runs): a six-digit run left there would be a code.
        let Ok(mut event) = serde_json::from_str::<Value>(line) else { continue };
        let target = event["target"].as_str().unwrap_or_default();
        if !(target.starts_with("cargoparts::auth") || target.starts_with("cargoparts::notify")) {
            continue;
        }
        for noise in ["timestamp", "span", "spans"] {
            event.as_object_mut().unwrap().remove(noise);
        }
        let text = event.to_string();
        let six_digits = text.as_bytes().windows(6).any(|w| w.iter().all(u8::is_ascii_digit));
        assert!(!six_digits, "a code-like number in the log: {text}");
    }
}

#[tokio::test]
async fn signing_out_while_redis_is_down_ends_the_session_for_good() {
    let relay = RedisRelay::start().await;
    let url = relay.url.clone();
    let app = spawn_auth_app_with(move |s| s.redis.url = Some(url.into())).await;
    let session = app.register_buyer("outage-logout@example.com").await;

    relay.cut();
    let logout = app.post_as(&session.access, "/api/v1/auth/logout", &json!({})).await;
    assert_eq!(logout.status(), 204);
    let refresh = app.post("/api/v1/auth/refresh", &json!({"refresh_token": session.refresh})).await;
    assert_eq!(refresh.status(), 401, "the refresh token died with the session");

    // A replica whose Redis answers never heard of the revocation; the session says enough.
    let replica = app.spawn_replica_with(with_redis).await;
    let me = replica.client.get(replica.url("/api/v1/me")).bearer_auth(&session.access).send().await.unwrap();
    assert_eq!(me.status(), 401);
}

#[tokio::test]
async fn email_and_phone_of_one_account_share_one_sign_in_budget() {
    // Each guess from its own address, so only the account's budget can refuse one.
    let app = spawn_auth_app_with(|s| s.http.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()]).await;
    app.register(json!({"email": "both@example.com", "phone": "0559876543", "password": PASSWORD, "name": "Sara"}))
        .await;
    let mut statuses = Vec::new();
    for attempt in 0..8 {
        let login = if attempt % 2 == 0 {
            json!({"email": "both@example.com", "password": "wrong password, try again"})
        } else {
            json!({"phone": "+966559876543", "password": "wrong password, try again"})
        };
        let response = app
            .client
            .post(app.url("/api/v1/auth/login"))
            .header("x-forwarded-for", format!("198.51.100.{attempt}"))
            .json(&login)
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    // Five guesses in the window for the account, whichever way it is named.
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429, 429, 429]);
}
