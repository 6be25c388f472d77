//! Abuse control: an administrator blocks a network; every replica refuses its clients
//! within seconds, and lets them back when the block is lifted.

use std::time::{Duration, Instant};

use cargoparts::platform::config::Settings;
use serde_json::{Value, json};

use crate::auth_support::{spawn_auth_app_with, with_redis};
use crate::helpers::TestApp;

/// The test's requests come from 127.0.0.1, a trusted proxy here, so the address each
/// one names in `X-Forwarded-For` is its client's. Replicas share events through Redis:
/// without it each hears only what its own relay happened to relay.
fn behind_a_proxy(settings: &mut Settings) {
    with_redis(settings);
    settings.http.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    // Only the change's event can make a replica follow within the test.
    settings.security.blocklist_refresh_secs = 3600;
}

async fn status_from(app: &TestApp, client: &str) -> u16 {
    let response =
        app.client.get(app.url("/api/v1/categories")).header("x-forwarded-for", client).send().await.unwrap();
    response.status().as_u16()
}

async fn eventually(app: &TestApp, client: &str, status: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while status_from(app, client).await != status {
        assert!(Instant::now() < deadline, "{client} never got {status}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_blocked_network_is_refused_on_every_replica_until_it_is_lifted() {
    let app = spawn_auth_app_with(behind_a_proxy).await;
    let replica = app.spawn_replica_with(behind_a_proxy).await;
    let admin = app.admin("ops@example.com").await;

    let blocked = app
        .client
        .post(app.url("/api/v1/admin/blocked-networks"))
        .bearer_auth(&admin.access)
        .header("x-forwarded-for", "198.51.100.10")
        .json(&json!({"network": "203.0.113.77/24", "reason": "credential stuffing from this range"}))
        .send()
        .await
        .unwrap();
    assert_eq!(blocked.status(), 201);
    let block: Value = blocked.json().await.unwrap();
    assert_eq!(block["network"], "203.0.113.0/24", "host bits cleared");
    assert_eq!((block["active"].as_bool(), block["expires_at"].is_null()), (Some(true), true));

    // At once where it was made, within the relay's round on the other replica.
    let refused = app.client.get(app.url("/api/v1/categories")).header("x-forwarded-for", "203.0.113.9").send().await;
    let refused = refused.unwrap();
    assert_eq!(refused.status(), 403);
    let envelope: Value = refused.json().await.unwrap();
    assert_eq!(envelope["error"]["code"], "ADDRESS_BLOCKED");
    assert_eq!(envelope["error"]["message"], "الطلبات من هذه الشبكة محظورة");
    assert_eq!(status_from(&app, "203.0.114.9").await, 200, "the next network is not blocked");
    eventually(&replica, "203.0.113.200", 403).await;
    // The probes still answer: a block never takes a replica out of its balancer.
    let health = app.client.get(app.url("/api/health")).header("x-forwarded-for", "203.0.113.9").send().await;
    assert_eq!(health.unwrap().status(), 200);

    // Who did it and why is on record.
    let audited: (Option<uuid::Uuid>, Value) = sqlx::query_as(
        "SELECT actor_id, details FROM audit_log WHERE event = 'security.network_blocked' ORDER BY occurred_at DESC LIMIT 1",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(audited.0, Some(admin.user_id));
    assert_eq!(audited.1["network"], "203.0.113.0/24");

    let listed: Value = app.get_as(&admin.access, "/api/v1/admin/blocked-networks").await.json().await.unwrap();
    assert_eq!(listed["data"][0]["id"], block["id"]);

    let lifted = app
        .client
        .delete(app.url(&format!("/api/v1/admin/blocked-networks/{}", block["id"].as_str().unwrap())))
        .bearer_auth(&admin.access)
        .send()
        .await
        .unwrap();
    assert_eq!(lifted.status(), 204);
    assert_eq!(status_from(&app, "203.0.113.9").await, 200);
    eventually(&replica, "203.0.113.200", 200).await;
}

#[tokio::test]
async fn a_block_that_would_lock_out_its_author_or_everyone_is_refused() {
    let app = spawn_auth_app_with(behind_a_proxy).await;
    let admin = app.admin("ops@example.com").await;
    let buyer = app.register_buyer("shopper@example.com").await;
    let block = |token: String, body: Value| {
        app.client
            .post(app.url("/api/v1/admin/blocked-networks"))
            .bearer_auth(token)
            .header("x-forwarded-for", "198.51.100.10")
            .header("accept-language", "en")
            .json(&body)
            .send()
    };
    for (body, field, reason) in [
        (json!({"network": "198.51.100.0/24", "reason": "abuse"}), "network", "holds your own address"),
        (json!({"network": "127.0.0.0/8", "reason": "abuse"}), "network", "overlaps a trusted proxy"),
        (json!({"network": "0.0.0.0/0", "reason": "abuse"}), "network", "whole address space"),
        (json!({"network": "a.b.c.d", "reason": "abuse"}), "network", "CIDR"),
        (json!({"network": "203.0.113.1", "reason": "x"}), "reason", "3 to 500"),
        (json!({"network": "203.0.113.1", "reason": "abuse", "expires_in_hours": 0}), "expires_in_hours", "between"),
    ] {
        let response = block(admin.access.clone(), body.clone()).await.unwrap();
        assert_eq!(response.status(), 400, "{body}");
        let envelope: Value = response.json().await.unwrap();
        assert_eq!(envelope["error"]["details"][0]["field"], field, "{envelope}");
        assert!(envelope["error"]["details"][0]["reason"].as_str().unwrap().contains(reason), "{envelope}");
    }
    let body = json!({"network": "203.0.113.1", "reason": "abuse", "expires_in_hours": 24});
    let first = block(admin.access.clone(), body.clone()).await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    assert!(first["expires_at"].is_string(), "{first}");
    assert_eq!(block(admin.access.clone(), body.clone()).await.unwrap().status(), 409, "blocked already");
    assert_eq!(block(buyer.access.clone(), body).await.unwrap().status(), 403, "administrators only");
}
