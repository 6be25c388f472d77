//! Access and refresh tokens: expiry, tampering, rotation, reuse, revocation.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cargoparts::app::Application;
use chrono::Duration;
use secrecy::SecretString;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::auth_support::{spawn_auth_app, spawn_auth_app_with, with_redis};

#[tokio::test]
async fn a_reused_refresh_token_ends_its_whole_session() {
    let app = spawn_auth_app().await;
    let session = app.register_buyer("reuse@example.com").await;
    let first = app.post("/api/v1/auth/refresh", &json!({"refresh_token": session.refresh})).await;
    assert_eq!(first.status(), 200);
    let rotated: Value = first.json().await.unwrap();

    // The old token again: someone kept a copy.
    let replay = app.post("/api/v1/auth/refresh", &json!({"refresh_token": session.refresh})).await;
    assert_eq!(replay.status(), 401);
    let envelope: Value = replay.json().await.unwrap();
    assert!(envelope["error"]["message"].as_str().unwrap().contains("استُخدم رمز التجديد من قبل"), "{envelope}");
    // The successor dies with its family.
    let successor = app.post("/api/v1/auth/refresh", &json!({"refresh_token": rotated["refresh_token"]})).await;
    assert_eq!(successor.status(), 401);

    let reason: String =
        sqlx::query_scalar("SELECT revoked_reason FROM auth_sessions WHERE user_id = $1 AND revoked_at IS NOT NULL")
            .bind(session.user_id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(reason, "refresh_reuse");
    assert!(app.audit_events(session.user_id).await.contains(&"session.refresh_token_reused".to_string()));
}

#[tokio::test]
async fn refresh_tokens_are_stored_only_as_digests() {
    let app = spawn_auth_app().await;
    let session = app.register_buyer("digest@example.com").await;
    let stored: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT token_hash FROM refresh_tokens").fetch_all(&app.db).await.unwrap();
    assert_eq!(stored, vec![Sha256::digest(session.refresh.as_bytes()).to_vec()]);
}

#[tokio::test]
async fn an_expired_access_token_gets_401_and_refresh_still_works() {
    let app = spawn_auth_app().await;
    let session = app.register_buyer("expiry@example.com").await;
    app.clock.advance(Duration::minutes(14));
    assert_eq!(app.get_as(&session.access, "/api/v1/me").await.status(), 200);
    app.clock.advance(Duration::minutes(1));
    let expired = app.get_as(&session.access, "/api/v1/me").await;
    assert_eq!(expired.status(), 401);
    let refreshed = app.post("/api/v1/auth/refresh", &json!({"refresh_token": session.refresh})).await;
    assert_eq!(refreshed.status(), 200);
}

#[tokio::test]
async fn an_expired_refresh_token_is_refused() {
    let app = spawn_auth_app().await;
    let session = app.register_buyer("old@example.com").await;
    app.clock.advance(Duration::days(31));
    let refreshed = app.post("/api/v1/auth/refresh", &json!({"refresh_token": session.refresh})).await;
    assert_eq!(refreshed.status(), 401);
}

fn reencode(token: &str, edit: impl FnOnce(&mut Value, &mut Value)) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let mut header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    let mut claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    edit(&mut header, &mut claims);
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        parts[2]
    )
}

#[tokio::test]
async fn tampered_tokens_get_401() {
    let app = spawn_auth_app().await;
    let session = app.register_buyer("tamper@example.com").await;
    let header: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(session.access.split('.').next().unwrap()).unwrap()).unwrap();
    assert_eq!(header["kid"], "dev");
    assert_eq!(header["alg"], "HS256");

    let promoted = reencode(&session.access, |_, claims| claims["role"] = json!("admin"));
    let other_user = reencode(&session.access, |_, claims| claims["sub"] = json!(uuid::Uuid::new_v4()));
    let unsigned = {
        let t = reencode(&session.access, |header, _| header["alg"] = json!("none"));
        format!("{}.", t.rsplit_once('.').unwrap().0)
    };
    let unknown_kid = reencode(&session.access, |header, _| header["kid"] = json!("k9"));
    let mut flipped = session.access.clone().into_bytes();
    let last = flipped.len() - 2;
    flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();
    for (what, token) in [
        ("role claim edited", promoted.as_str()),
        ("subject edited", other_user.as_str()),
        ("alg none", unsigned.as_str()),
        ("unknown kid", unknown_kid.as_str()),
        ("signature changed", flipped.as_str()),
        ("garbage", "not.a.jwt"),
        ("a seller API key", "cpk_0123456789abcdef"),
    ] {
        let response = app.get_as(token, "/api/v1/me").await;
        assert_eq!(response.status(), 401, "{what}");
        let envelope: Value = response.json().await.unwrap();
        assert_eq!(envelope["error"]["code"], "UNAUTHORIZED", "{what}");
    }
    let missing = app.client.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(missing.status(), 401);
}

#[tokio::test]
async fn a_token_signed_with_a_forged_secret_is_refused() {
    let app = spawn_auth_app().await;
    let session = app.register_buyer("forge@example.com").await;
    let claims = reencode(&session.access, |_, _| {});
    let payload: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims.split('.').nth(1).unwrap()).unwrap()).unwrap();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some("dev".into());
    header.typ = Some("at+jwt".into());
    let forged = jsonwebtoken::encode(
        &header,
        &payload,
        &jsonwebtoken::EncodingKey::from_secret(b"a guess at the secret, 32 bytes or more"),
    )
    .unwrap();
    assert_eq!(app.get_as(&forged, "/api/v1/me").await.status(), 401);
}

/// The status `GET /me` gets with `token` from a server on `db_name` configured with
/// these JWT keys.
async fn me_status_with_keys(
    db_name: &str,
    token: &str,
    keys: &[(&str, &'static str)],
    signing_kid: &str,
) -> reqwest::StatusCode {
    let mut settings = crate::helpers::test_settings(db_name);
    for (kid, secret) in keys {
        settings.auth.jwt_keys.insert(kid.to_string(), SecretString::from(*secret));
    }
    settings.auth.jwt_signing_kid = Some(signing_kid.into());
    let index_dir = tempfile::tempdir().unwrap();
    settings.search.index_dir = index_dir.path().to_path_buf();
    let application = Application::build(settings).await.unwrap();
    let address = format!("http://127.0.0.1:{}", application.port());
    let server = tokio::spawn(application.run_until(std::future::pending()));
    let status =
        reqwest::Client::new().get(format!("{address}/api/v1/me")).bearer_auth(token).send().await.unwrap().status();
    server.abort();
    status
}

#[tokio::test]
async fn tokens_signed_before_a_key_rotation_stay_valid_while_the_old_key_is_listed() {
    const OLD: &str = "the 2026 signing secret, long enough to use";
    const NEW: &str = "the 2027 signing secret, long enough to use";
    let app = spawn_auth_app_with(|s| {
        s.auth.jwt_keys.insert("k2026".into(), SecretString::from(OLD));
    })
    .await;
    let session = app.register_buyer("rotate@example.com").await;
    // The same database, served by the rotated configuration.
    let rotated = [("k2026", OLD), ("k2027", NEW)];
    assert_eq!(me_status_with_keys(&app.db_name, &session.access, &rotated, "k2027").await, 200);
    let retired = [("k2027", NEW)];
    assert_eq!(me_status_with_keys(&app.db_name, &session.access, &retired, "k2027").await, 401);
}

#[tokio::test]
async fn logout_revokes_the_access_token_through_redis() {
    let app = spawn_auth_app_with(with_redis).await;
    let session = app.register_buyer("redis-logout@example.com").await;
    let logout = app.post_as(&session.access, "/api/v1/auth/logout", &json!({})).await;
    assert_eq!(logout.status(), 204);
    assert_eq!(app.get_as(&session.access, "/api/v1/me").await.status(), 401);

    let key = format!("{}:revoked:", app.db_name);
    let mut redis =
        redis::Client::open(crate::helpers::redis_url()).unwrap().get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS").arg(format!("{key}*")).query_async(&mut redis).await.unwrap();
    assert_eq!(keys.len(), 1, "{keys:?}");
    let ttl: i64 = redis::cmd("TTL").arg(&keys[0]).query_async(&mut redis).await.unwrap();
    assert!(ttl > 0 && ttl <= 900, "{ttl}");
}
