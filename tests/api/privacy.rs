//! PDPL data rights: the export holds every kind of record of the account and nothing
//! of another; erasure leaves orders and invoices valid and anonymous and the person
//! unfindable; orders still on their way, or a seller's to fulfil, hold it back;
//! consents are given and withdrawn with their history.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::auth_support::{PASSWORD, Session};
use crate::helpers::{ndjson, record};
use crate::orders_support::{ShopApp, spawn_shop_with};

/// A shop whose messages are written to the log at once (no provider configured).
async fn spawn_privacy_shop() -> ShopApp {
    spawn_shop_with(|settings| {
        settings.events.relay_interval_ms = 50;
        settings.jobs.poll_interval_ms = 100;
    })
    .await
}

async fn export_of(app: &ShopApp, session: &Session) -> Value {
    let response = app.get_as(&session.access, "/api/v1/me/export").await;
    assert_eq!(response.status(), 200);
    let disposition = response.headers()["content-disposition"].to_str().unwrap().to_string();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.json().await.unwrap()
}

async fn erase(app: &ShopApp, session: &Session, body: Value) -> reqwest::Response {
    app.client.delete(app.url("/api/v1/me")).bearer_auth(&session.access).json(&body).send().await.unwrap()
}

/// A paid order of one unit from a new shop: (order id, order number, the shop's key, group id).
async fn paid_order(app: &ShopApp, buyer: &Session, shop: &str) -> (String, String, String, String) {
    let (shop, ids) = app.shop(shop, &[("P-1", "230.00", 5)]).await;
    let admin = app.admin(&format!("admin-{}@example.com", shop.seller_id)).await;
    let order = app.order_ok(buyer, &[(ids[0], 1)]).await;
    let id = order["id"].as_str().unwrap().to_string();
    assert_eq!(app.pay(&admin, &id).await.status(), 200);
    let group = order["groups"][0]["id"].as_str().unwrap().to_string();
    (id, order["number"].as_str().unwrap().to_string(), shop.key, group)
}

async fn deliver(app: &ShopApp, key: &str, group: &str) {
    for (step, body) in [
        ("accept", json!({})),
        ("ship", json!({"carrier": "SMSA", "tracking_number": "290012345678"})),
        ("deliver", json!({})),
    ] {
        let moved = app.seller_post(key, &format!("/api/v1/seller/orders/{group}/{step}"), &body).await;
        assert_eq!(moved.status(), 200, "{step}");
    }
}

async fn wait_for_messages(app: &ShopApp, user_id: uuid::Uuid) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let logged: i64 =
            sqlx::query_scalar("SELECT count(*) FROM email_log WHERE user_id = $1 AND purpose = 'order_confirmed'")
                .bind(user_id)
                .fetch_one(&app.db)
                .await
                .unwrap();
        if logged > 0 {
            return;
        }
        assert!(Instant::now() < deadline, "the confirmation was never logged");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_export_holds_every_kind_of_record_and_nothing_of_another_account() {
    let app = spawn_privacy_shop().await;
    let noura = app.register_buyer("noura@example.com").await;
    let other = app.register_buyer("other@example.com").await;
    let (_, number, ..) = paid_order(&app, &noura, "S-EXPORT").await;
    let (_, other_number, ..) = paid_order(&app, &other, "S-OTHER").await;
    let consent = app
        .client
        .put(app.url("/api/v1/me/consents/marketing_sms"))
        .bearer_auth(&noura.access)
        .json(&json!({"granted": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(consent.status(), 200);
    app.login(&json!({"email": "noura@example.com", "password": "not the password at all"})).await;
    // A payment started with the development sandbox: the export shows the attempt.
    let (_, ids) = app.shop("S-PAYING", &[("PAY-1", "50.00", 5)]).await;
    let unpaid = app.order_ok(&noura, &[(ids[0], 1)]).await;
    let unpaid_id = unpaid["id"].as_str().unwrap().to_string();
    app.start_payment_ok(&noura, &unpaid_id, "mada").await;
    wait_for_messages(&app, noura.user_id).await;

    let export = export_of(&app, &noura).await;
    assert_eq!(export["account"]["email"], "noura@example.com");
    let orders = export["orders"].as_array().unwrap();
    assert_eq!(orders.len(), 2);
    let paid = orders.iter().find(|o| o["number"] == number.as_str()).expect("the paid order");
    assert_eq!(paid["shipping_address"]["street"], "King Fahd Road");
    assert_eq!(
        export["consents"][0],
        json!({"purpose": "marketing_sms", "granted": true, "recorded_at": export["consents"][0]["recorded_at"], "source": "api"})
    );
    assert_eq!(export["consent_history"].as_array().unwrap().len(), 1);
    assert!(!export["sessions"].as_array().unwrap().is_empty());
    let events: Vec<&str> =
        export["security_events"].as_array().unwrap().iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert!(events.contains(&"account.registered") && events.contains(&"login.failed"), "{events:?}");
    let payments = export["payments"].as_array().unwrap();
    assert_eq!(payments.len(), 1, "{payments:?}");
    assert_eq!(
        (payments[0]["order_id"].as_str(), payments[0]["method"].as_str()),
        (Some(unpaid_id.as_str()), Some("mada"))
    );
    let messages = export["messages"].as_array().unwrap();
    assert!(messages.iter().any(|m| m["channel"] == "email" && m["purpose"] == "order_confirmed"), "{messages:?}");

    let text = export.to_string();
    assert!(!text.contains(&other_number) && !text.contains("other@example.com"), "another account's data leaked");
    assert!(!text.contains(&other.user_id.to_string()));
}

#[tokio::test]
async fn erasure_waits_for_open_orders_then_leaves_them_valid_and_anonymous() {
    let app = spawn_privacy_shop().await;
    let buyer = app
        .register(json!({"email": "sara@example.com", "phone": "0551234567", "password": PASSWORD, "name": "Sara"}))
        .await
        .0;
    let (order_id, number, key, group) = paid_order(&app, &buyer, "S-ERASE").await;

    assert_eq!(field_of(erase(&app, &buyer, json!({"password": "a wrong password here"})).await).await, "password");
    assert_eq!(field_of(erase(&app, &buyer, json!({})).await).await, "password");
    let waiting = erase(&app, &buyer, json!({"password": PASSWORD})).await;
    assert_eq!(waiting.status(), 409);
    let envelope: Value = waiting.json().await.unwrap();
    assert_eq!(envelope["error"]["details"]["open_orders"], json!([number]), "{envelope}");

    deliver(&app, &key, &group).await;
    assert_eq!(erase(&app, &buyer, json!({"password": PASSWORD})).await.status(), 204);

    // The person is gone: tokens, sign-in, lookups by email or phone.
    assert_eq!(app.get_as(&buyer.access, "/api/v1/me").await.status(), 401);
    let refreshed = app.post("/api/v1/auth/refresh", &json!({"refresh_token": buyer.refresh})).await;
    assert_eq!(refreshed.status(), 401);
    assert_eq!(app.login(&json!({"email": "sara@example.com", "password": PASSWORD})).await.status(), 401);
    assert_eq!(app.login(&json!({"phone": "0551234567", "password": PASSWORD})).await.status(), 401);
    let (name, email, phone, erased): (String, Option<String>, Option<Vec<u8>>, bool) =
        sqlx::query_as("SELECT name, email, phone_hash, erased_at IS NOT NULL FROM users WHERE id = $1")
            .bind(buyer.user_id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!((name.as_str(), email, phone, erased), ("—", None, None, true));
    for table in ["auth_sessions", "contact_verifications", "consent_records"] {
        let left: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table} WHERE user_id = $1")))
                .bind(buyer.user_id)
                .fetch_one(&app.db)
                .await
                .unwrap();
        assert_eq!(left, 0, "{table}");
    }
    // Nothing that named her is left in the orders, the logs or the trail's origins.
    let stored: String =
        sqlx::query_scalar("SELECT shipping_address::text || coalesce(notes, '') FROM orders WHERE id = $1::uuid")
            .bind(&order_id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert!(!stored.contains("Noura") && !stored.contains("King Fahd") && !stored.contains("1234"), "{stored}");
    let traced: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE (actor_id = $1 OR subject_id = $1) AND (ip IS NOT NULL OR user_agent IS NOT NULL)",
    )
    .bind(buyer.user_id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(traced, 0);
    let logged: i64 = sqlx::query_scalar("SELECT count(*) FROM email_log WHERE user_id = $1")
        .bind(buyer.user_id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(logged, 0);
    let erasures: Vec<Value> =
        sqlx::query_scalar("SELECT details FROM audit_log WHERE event = 'account.erased' AND subject_id = $1")
            .bind(buyer.user_id)
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(erasures, vec![json!({"orders_detached": 1})]);

    // The order and its invoice are still there and valid, for the seller and the tax man.
    let admin = app.admin("auditor@example.com").await;
    let order = app.get_as(&admin.access, &format!("/api/v1/orders/{order_id}")).await;
    assert_eq!(order.status(), 200);
    let order: Value = order.json().await.unwrap();
    assert_eq!((order["number"].as_str(), order["total_sar"].as_str()), (Some(number.as_str()), Some("230.00")));
    assert_eq!(order["shipping_address"]["name"], "—");
    assert_eq!(order["shipping_address"]["city"], "Riyadh");
    let invoices = app.get_as(&admin.access, &format!("/api/v1/orders/{order_id}/invoices")).await;
    assert_eq!(invoices.status(), 200);
    let invoices: Value = invoices.json().await.unwrap();
    assert_eq!(invoices.as_array().map(Vec::len), Some(1), "{invoices}");

    // The address and number are free for a new account.
    app.register(json!({"email": "sara@example.com", "phone": "0551234567", "password": PASSWORD, "name": "Sara"}))
        .await;
}

#[tokio::test]
async fn a_seller_with_orders_to_fulfil_cannot_erase() {
    let app = spawn_privacy_shop().await;
    let (seller, seller_id) = app.register_seller("khalid@example.com", "Khalid Parts").await;
    let key = cargoparts::catalog::api_keys::issue_key(&app.db, seller_id, Some("test")).await.unwrap().secret;
    let posted = app.post_inventory(&key, "application/x-ndjson", ndjson(&[record("K-1")])).await;
    assert_eq!(posted.status(), 200);
    let listing = app.listing_id(seller_id, "K-1").await;
    let buyer = app.register_buyer("buyer@example.com").await;
    let admin = app.admin("admin@example.com").await;
    let order = app.order_ok(&buyer, &[(listing, 1)]).await;
    assert_eq!(app.pay(&admin, order["id"].as_str().unwrap()).await.status(), 200);

    let refused = erase(&app, &seller, json!({"password": PASSWORD})).await;
    assert_eq!(refused.status(), 409);
    let envelope: Value = refused.json().await.unwrap();
    assert_eq!(envelope["error"]["details"]["open_orders"], json!([order["number"]]));
    assert!(envelope["error"]["message"].as_str().unwrap().contains("لدى البائع طلبات لم تُنفَّذ بعد"), "{envelope}");
    assert_eq!(app.get_as(&seller.access, "/api/v1/me").await.status(), 200, "nothing was erased");
}

#[tokio::test]
async fn consents_are_given_and_withdrawn_with_their_history() {
    let app = spawn_privacy_shop().await;
    let buyer = app.register_buyer("huda@example.com").await;
    let standing: Value = app.get_as(&buyer.access, "/api/v1/me/consents").await.json().await.unwrap();
    assert!(
        standing["consents"].as_array().unwrap().iter().all(|c| c["granted"] == false),
        "none by default: {standing}"
    );
    for (granted, source) in [(true, "storefront"), (false, "api")] {
        let changed = app
            .client
            .put(app.url("/api/v1/me/consents/marketing_email"))
            .bearer_auth(&buyer.access)
            .json(&json!({"granted": granted, "source": source}))
            .send()
            .await
            .unwrap();
        assert_eq!(changed.status(), 200);
    }
    let standing: Value = app.get_as(&buyer.access, "/api/v1/me/consents").await.json().await.unwrap();
    let email =
        standing["consents"].as_array().unwrap().iter().find(|c| c["purpose"] == "marketing_email").unwrap().clone();
    assert_eq!((email["granted"].as_bool(), email["source"].as_str()), (Some(false), Some("api")));
    let history = export_of(&app, &buyer).await["consent_history"].clone();
    assert_eq!(history.as_array().unwrap().len(), 2, "{history}");
    let unknown = app
        .client
        .put(app.url("/api/v1/me/consents/marketing_fax"))
        .bearer_auth(&buyer.access)
        .json(&json!({"granted": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(field_of(unknown).await, "purpose");
}

async fn field_of(response: reqwest::Response) -> String {
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    body["error"]["details"][0]["field"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn a_large_account_gets_its_export_built_by_a_job_and_downloads_it_when_ready() {
    let app = spawn_shop_with(|settings| {
        settings.privacy.export_inline_max_orders = 1;
        settings.jobs.poll_interval_ms = 100;
    })
    .await;
    let (_, ids) = app.shop("S-LARGE", &[("L-1", "10.00", 50)]).await;
    let buyer = app.register_buyer("large@example.com").await;
    let other = app.register_buyer("someone@example.com").await;
    let numbers: Vec<String> = {
        let mut numbers = Vec::new();
        for _ in 0..2 {
            numbers.push(app.order_ok(&buyer, &[(ids[0], 1)]).await["number"].as_str().unwrap().to_string());
        }
        numbers
    };

    let asked = app.get_as(&buyer.access, "/api/v1/me/export").await;
    assert_eq!(asked.status(), 202);
    let location = asked.headers()["location"].to_str().unwrap().to_string();
    let status: Value = asked.json().await.unwrap();
    assert_eq!(status["url"], location.as_str());
    let again: Value = app.get_as(&buyer.access, "/api/v1/me/export").await.json().await.unwrap();
    assert_eq!(again["id"], status["id"], "asking again answers the same export");
    assert_eq!(app.get_as(&other.access, &location).await.status(), 404, "only its owner downloads it");

    let deadline = Instant::now() + Duration::from_secs(30);
    let export: Value = loop {
        let response = app.get_as(&buyer.access, &location).await;
        if response.status() == 200 {
            assert!(response.headers()["content-disposition"].to_str().unwrap().starts_with("attachment;"));
            break response.json().await.unwrap();
        }
        assert_eq!(response.status(), 202);
        assert!(Instant::now() < deadline, "the export was never built");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let exported: Vec<&str> =
        export["orders"].as_array().unwrap().iter().map(|o| o["number"].as_str().unwrap()).collect();
    assert_eq!(exported.len(), 2);
    for number in &numbers {
        assert!(exported.contains(&number.as_str()), "{number} in {exported:?}");
    }
    assert_eq!(export["account"]["email"], "large@example.com");
}
