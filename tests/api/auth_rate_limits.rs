//! Rate limits per route class, with and without Redis, and with Redis down.

use cargoparts::platform::config::{RateLimitRule, Settings};
use serde_json::{Value, json};

use crate::auth_support::{AuthApp, PASSWORD, RedisRelay, spawn_auth_app_with, with_redis};

fn remaining(response: &reqwest::Response) -> u32 {
    response.headers()["x-ratelimit-remaining"].to_str().unwrap().parse().unwrap()
}

async fn six_logins_from_one_address(app: &AuthApp) {
    app.register_buyer("target@example.com").await;
    let attempt = json!({"email": "target@example.com", "password": "guessing a password"});
    for expected in [4, 3, 2, 1, 0] {
        let response = app.login(&attempt).await;
        assert_eq!(response.status(), 401);
        assert_eq!(response.headers()["x-ratelimit-limit"], "5");
        assert_eq!(remaining(&response), expected);
        let reset: u64 = response.headers()["x-ratelimit-reset"].to_str().unwrap().parse().unwrap();
        assert!((1..=900).contains(&reset), "{reset}");
    }
    let sixth = app.login(&attempt).await;
    assert_eq!(sixth.status(), 429);
    let retry_after: u64 = sixth.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    assert_eq!(remaining(&sixth), 0);
    let envelope: Value = sixth.json().await.unwrap();
    assert_eq!(envelope["error"]["code"], "RATE_LIMITED");
    // The right password does not get through a closed window either.
    let honest = app.login(&json!({"email": "target@example.com", "password": PASSWORD})).await;
    assert_eq!(honest.status(), 429);
}

#[tokio::test]
async fn the_sixth_login_in_fifteen_minutes_gets_429_counted_in_redis() {
    let app = spawn_auth_app_with(with_redis).await;
    six_logins_from_one_address(&app).await;
}

#[tokio::test]
async fn the_sixth_login_in_fifteen_minutes_gets_429_counted_in_process() {
    let app = spawn_auth_app_with(|_| {}).await;
    six_logins_from_one_address(&app).await;
}

#[tokio::test]
async fn replicas_sharing_redis_share_the_budget() {
    let prefix = format!("shared-{}:", uuid::Uuid::new_v4().simple());
    let shared = |settings: &mut Settings| {
        with_redis(settings);
        settings.redis.key_prefix = prefix.clone();
    };
    let first = spawn_auth_app_with(shared).await;
    let second = spawn_auth_app_with(shared).await;
    let attempt = json!({"email": "nobody@example.com", "password": "guessing a password"});
    for app in [&first, &first, &first, &second, &second] {
        assert_eq!(app.login(&attempt).await.status(), 401);
    }
    assert_eq!(first.login(&attempt).await.status(), 429);
    assert_eq!(second.login(&attempt).await.status(), 429);
}

fn behind_a_proxy(settings: &mut Settings) {
    settings.http.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
}

async fn login_from(app: &AuthApp, address: &str, body: &Value) -> reqwest::Response {
    app.client.post(app.url("/api/v1/auth/login")).header("x-forwarded-for", address).json(body).send().await.unwrap()
}

#[tokio::test]
async fn one_account_is_limited_whatever_address_the_guesses_come_from() {
    let app = spawn_auth_app_with(behind_a_proxy).await;
    let attempt = json!({"email": "victim@example.com", "password": "guessing a password"});
    for n in 1..=5 {
        let response = login_from(&app, &format!("198.51.100.{n}"), &attempt).await;
        assert_eq!(response.status(), 401);
    }
    let sixth = login_from(&app, "198.51.100.99", &attempt).await;
    assert_eq!(sixth.status(), 429);
    // Another account from a fresh address is unaffected.
    let other =
        login_from(&app, "198.51.100.100", &json!({"email": "someone@example.com", "password": "guessing a password"}))
            .await;
    assert_eq!(other.status(), 401);
}

#[tokio::test]
async fn forwarded_addresses_are_ignored_unless_the_peer_is_a_trusted_proxy() {
    let app = spawn_auth_app_with(|_| {}).await;
    for n in 1..=5 {
        let body = json!({"email": format!("user{n}@example.com"), "password": "guessing a password"});
        let response = login_from(&app, &format!("203.0.113.{n}"), &body).await;
        assert_eq!(response.status(), 401);
    }
    let body = json!({"email": "user6@example.com", "password": "guessing a password"});
    assert_eq!(
        login_from(&app, "203.0.113.6", &body).await.status(),
        429,
        "a spoofed X-Forwarded-For must not buy a fresh budget"
    );
}

fn tight_public_and_sync(settings: &mut Settings) {
    settings.rate_limit.public = RateLimitRule { limit: 3, window_secs: 60 };
    settings.rate_limit.seller_sync = RateLimitRule { limit: 2, window_secs: 60 };
}

#[tokio::test]
async fn public_reads_count_down_and_health_checks_are_not_limited() {
    let app = spawn_auth_app_with(|s| {
        with_redis(s);
        tight_public_and_sync(s);
    })
    .await;
    let mut seen = Vec::new();
    for _ in 0..3 {
        let response = app.client.get(app.url("/api/v1/categories")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        seen.push(remaining(&response));
    }
    assert_eq!(seen, [2, 1, 0]);
    let fourth = app.client.get(app.url("/api/v1/makes")).send().await.unwrap();
    assert_eq!(fourth.status(), 429);
    assert!(fourth.headers().contains_key("retry-after"));
    for _ in 0..5 {
        let health = app.client.get(app.url("/api/health")).send().await.unwrap();
        assert_eq!(health.status(), 200);
        assert!(!health.headers().contains_key("x-ratelimit-limit"));
    }
}

#[tokio::test]
async fn the_sync_api_is_limited_per_key() {
    let app = spawn_auth_app_with(tight_public_and_sync).await;
    let (_, first_key) = app.seller_with_key("S1").await;
    let (_, second_key) = app.seller_with_key("S2").await;
    let list = |key: String| {
        let request = app.client.get(app.url("/api/v1/seller/listings")).bearer_auth(key);
        async move { request.send().await.unwrap() }
    };
    assert_eq!(list(first_key.clone()).await.status(), 200);
    let second = list(first_key.clone()).await;
    assert_eq!(second.status(), 200);
    assert_eq!(remaining(&second), 0);
    assert_eq!(list(first_key).await.status(), 429);
    assert_eq!(list(second_key).await.status(), 200);
}

#[tokio::test]
async fn with_redis_down_sign_in_fails_closed_and_reads_fail_open() {
    let relay = RedisRelay::start().await;
    let url = relay.url.clone();
    let app = spawn_auth_app_with(move |s| s.redis.url = Some(url.into())).await;
    let session = app.register_buyer("outage@example.com").await;
    assert_eq!(app.get_as(&session.access, "/api/v1/me").await.status(), 200);

    relay.cut();

    let login = app.login(&json!({"email": "outage@example.com", "password": PASSWORD})).await;
    assert_eq!(login.status(), 503);
    let envelope: Value = login.json().await.unwrap();
    assert_eq!(envelope["error"]["code"], "SERVICE_UNAVAILABLE");

    // A revocation cannot be ruled out, so a signed-in request is refused too.
    let me = app.get_as(&session.access, "/api/v1/me").await;
    assert_eq!(me.status(), 503);

    // Public reads go on, counted in process.
    let categories = app.client.get(app.url("/api/v1/categories")).send().await.unwrap();
    assert_eq!(categories.status(), 200);
    assert!(categories.headers().contains_key("x-ratelimit-remaining"));
}
