//! Orders against the real PostgreSQL: checkout, stock that never oversells, idempotency
//! keys, expiry, cancellation, who sees what, fulfilment, VAT and invoices.

use std::collections::HashSet;
use std::time::Duration;

use futures::future::join_all;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::auth_support::Session;
use crate::orders_support::{ShopApp, order_body, spawn_shop};

async fn buyers(app: &ShopApp, n: usize) -> Vec<Session> {
    let mut all = Vec::with_capacity(n);
    for i in 0..n {
        all.push(app.register_buyer(&format!("buyer{i}@example.com")).await);
    }
    all
}

#[tokio::test]
async fn an_order_from_two_sellers_is_priced_with_vat_per_line_and_reserves_its_stock() {
    let app = spawn_shop().await;
    let (_, a) = app.shop("s-a", &[("A-1", "115.00", 10), ("A-2", "33.33", 5)]).await;
    let (_, b) = app.shop("s-b", &[("B-1", "0.01", 3)]).await;
    let buyer = app.register_buyer("nora@example.com").await;

    let order = app.order_ok(&buyer, &[(a[0], 2), (b[0], 1), (a[1], 3)]).await;

    assert!(order["number"].as_str().unwrap().starts_with("CP-20"), "{order}");
    assert_eq!(order["status"], "pending_payment");
    assert_eq!(order["currency"], "SAR");
    // 230.00 (VAT 30.00) + 99.99 (VAT 13.04) + 0.01 (VAT 0.00)
    assert_eq!(order["total_sar"], "330.00");
    assert_eq!(order["vat_sar"], "43.04");
    assert_eq!(order["subtotal_sar"], "286.96");
    let groups = order["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2, "one group per seller");
    let group_a = groups.iter().find(|g| g["lines"].as_array().unwrap().len() == 2).unwrap();
    let line = group_a["lines"].as_array().unwrap().iter().find(|l| l["sku"] == "A-1").unwrap();
    assert_eq!(
        (&line["unit_price_sar"], &line["line_total_sar"], &line["vat_sar"]),
        (&json!("115.00"), &json!("230.00"), &json!("30.00"))
    );
    assert_eq!(group_a["total_sar"], "329.99");
    assert_eq!(order["shipping_address"]["phone"], "+966501234567");
    assert_eq!(order["shipping_address"]["city"], "Riyadh");
    let hijri = order["created_at_hijri"].as_str().unwrap();
    assert!(hijri.len() == 10 && hijri.starts_with("14"), "{hijri}");
    let created = chrono::DateTime::parse_from_rfc3339(order["created_at"].as_str().unwrap()).unwrap();
    let until = chrono::DateTime::parse_from_rfc3339(order["reserved_until"].as_str().unwrap()).unwrap();
    assert_eq!((until - created).num_seconds(), 900);

    assert_eq!((app.quantity(a[0]).await, app.quantity(a[1]).await, app.quantity(b[0]).await), (8, 2, 2));
    // The answer is the order as it reads back.
    let path = format!("/api/v1/orders/{}", order["id"].as_str().unwrap());
    let read: Value = app.get_as(&buyer.access, &path).await.json().await.unwrap();
    assert_eq!(read, order);
    // The phone is sealed at rest, and not kept in the address.
    let (sealed, stored_address): (String, Value) =
        sqlx::query_as("SELECT shipping_phone, shipping_address FROM orders").fetch_one(&app.db).await.unwrap();
    assert!(!sealed.contains("501234567") && !stored_address.to_string().contains("501234567"));
    assert_eq!(app.topics(order["id"].as_str().unwrap()).await, ["order.created"]);

    // Search shows the new quantities, and a sold-out listing leaves `in_stock=true`.
    let rest = app.order_ok(&buyer, &[(b[0], 2)]).await;
    assert_eq!(rest["status"], "pending_payment");
    app.wait_for_index().await;
    let seller_b = app.listing_seller(b[0]).await.to_string();
    let everything = app.search(&[("seller", seller_b.as_str())]).await;
    assert_eq!(everything["data"][0]["quantity"], 0, "{everything}");
    let in_stock = app.search(&[("seller", seller_b.as_str()), ("in_stock", "true")]).await;
    assert_eq!(in_stock["meta"]["total"], 0, "{in_stock}");
    let seller_a = app.listing_seller(a[0]).await.to_string();
    let shown = app.search(&[("seller", seller_a.as_str()), ("in_stock", "true")]).await;
    let quantities: HashSet<i64> =
        shown["data"].as_array().unwrap().iter().map(|h| h["quantity"].as_i64().unwrap()).collect();
    assert_eq!(quantities, HashSet::from([8, 2]));
}

#[tokio::test]
async fn fifty_buyers_for_the_last_five_units_leave_exactly_five_orders_and_no_negative_stock() {
    let app = spawn_shop().await;
    let (_, ids) = app.shop("s-last", &[("LAST-1", "50.00", 5)]).await;
    let people = buyers(&app, 10).await;
    let listing = ids[0];
    // Fifty checkouts at once: ten buyers, five each.
    let attempts = (0..50).map(|i| {
        let (app, buyer, ids) = (&app, &people[i % 10], [listing]);
        async move { app.order(buyer, &order_body(&[(ids[0], 1)])).await }
    });
    let answers = join_all(attempts).await;
    let mut created = 0;
    for answer in answers {
        match answer.status().as_u16() {
            201 => created += 1,
            409 => {
                let body: Value = answer.json().await.unwrap();
                assert_eq!(body["error"]["code"], "INSUFFICIENT_STOCK", "{body}");
                assert_eq!(body["error"]["details"]["short"][0]["available"], 0);
            }
            other => panic!("unexpected status {other}: {}", answer.text().await.unwrap()),
        }
    }
    assert_eq!(created, 5);
    assert_eq!(app.quantity(ids[0]).await, 0);
    assert_eq!(app.count("SELECT count(*) FROM orders").await, 5);
}

#[tokio::test]
async fn two_listings_ordered_in_opposite_orders_never_deadlock_or_oversell() {
    let app = spawn_shop().await;
    let (_, ids) = app.shop("s-pair", &[("P-1", "10.00", 5), ("P-2", "20.00", 5)]).await;
    let people = buyers(&app, 10).await;
    let attempts = (0..50).map(|i| {
        let (app, buyer) = (&app, &people[i % 10]);
        let items = if i % 2 == 0 { [(ids[0], 1), (ids[1], 1)] } else { [(ids[1], 1), (ids[0], 1)] };
        async move { app.order(buyer, &order_body(&items)).await.status().as_u16() }
    });
    let statuses = join_all(attempts).await;
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 5, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 201 || *s == 409), "{statuses:?}");
    assert_eq!((app.quantity(ids[0]).await, app.quantity(ids[1]).await), (0, 0));
}

#[tokio::test]
async fn a_short_order_names_each_short_line_with_what_is_available() {
    let app = spawn_shop().await;
    let (shop, ids) = app.shop("s-short", &[("S-1", "10.00", 2), ("S-2", "10.00", 9), ("S-3", "10.00", 4)]).await;
    sqlx::query("UPDATE listings SET status = 'paused' WHERE id = $1").bind(ids[2]).execute(&app.db).await.unwrap();
    let buyer = app.register_buyer("short@example.com").await;
    let response = app.order(&buyer, &order_body(&[(ids[0], 3), (ids[1], 1), (ids[2], 1)])).await;
    assert_eq!(response.status(), 409);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "INSUFFICIENT_STOCK");
    let short = body["error"]["details"]["short"].as_array().unwrap();
    assert_eq!(short.len(), 2, "{body}");
    assert_eq!(
        (&short[0]["field"], &short[0]["requested"], &short[0]["available"]),
        (&json!("items[0]"), &json!(3), &json!(2))
    );
    assert_eq!((&short[1]["field"], &short[1]["available"]), (&json!("items[2]"), &json!(0)), "paused");
    assert_eq!(app.quantity(ids[0]).await, 2, "nothing taken");
    // A suspended seller's listings are not orderable either.
    sqlx::query("UPDATE sellers SET status = 'suspended' WHERE id = $1")
        .bind(shop.seller_id)
        .execute(&app.db)
        .await
        .unwrap();
    let response = app.order(&buyer, &order_body(&[(ids[1], 1)])).await;
    assert_eq!(response.status(), 409);
    // An unknown listing is a named field.
    let response = app.order(&buyer, &order_body(&[(Uuid::now_v7(), 1)])).await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["details"][0]["field"], "items[0].listing_id");
}

#[tokio::test]
async fn bad_orders_get_a_400_naming_each_field() {
    let app = spawn_shop().await;
    let (_, ids) = app.shop("s-bad", &[("BAD-1", "10.00", 5)]).await;
    let buyer = app.register_buyer("bad@example.com").await;
    let mut body = order_body(&[(ids[0], 0)]);
    body["shipping_address"]["phone"] = json!("12345");
    body["shipping_address"]["postal_code"] = json!("ABCDE");
    let response = app.order(&buyer, &body).await;
    assert_eq!(response.status(), 400);
    let error: Value = response.json().await.unwrap();
    let fields: Vec<&str> =
        error["error"]["details"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["items[0].quantity", "shipping_address.postal_code", "shipping_address.phone"]);
    // An unknown field, a wrong type and a missing key are named too.
    let mut unknown = order_body(&[(ids[0], 1)]);
    unknown["coupon"] = json!("FREE");
    assert_eq!(app.order(&buyer, &unknown).await.status(), 400);
    let mut wrong = order_body(&[(ids[0], 1)]);
    wrong["items"][0]["quantity"] = json!("two");
    let answer: Value = app.order(&buyer, &wrong).await.json().await.unwrap();
    assert_eq!(answer["error"]["details"][0]["field"], "items[0].quantity", "{answer}");
    let missing_key = app
        .client
        .post(app.url("/api/v1/orders"))
        .bearer_auth(&buyer.access)
        .json(&order_body(&[(ids[0], 1)]))
        .send()
        .await
        .unwrap();
    assert_eq!(missing_key.status(), 400);
    let answer: Value = missing_key.json().await.unwrap();
    assert_eq!(answer["error"]["details"][0]["field"], "Idempotency-Key");
    assert_eq!(app.order_with_key(&buyer, "", &order_body(&[(ids[0], 1)])).await.status(), 400);
    assert_eq!(app.order_with_key(&buyer, &"k".repeat(256), &order_body(&[(ids[0], 1)])).await.status(), 400);
    assert_eq!(app.count("SELECT count(*) FROM orders").await, 0);
    assert_eq!(app.quantity(ids[0]).await, 5);
}

#[tokio::test]
async fn a_retried_checkout_replays_its_first_answer_and_a_reused_key_is_refused() {
    let app = spawn_shop().await;
    let (_, ids) = app.shop("s-idem", &[("I-1", "10.00", 10), ("I-2", "10.00", 10)]).await;
    let buyer = app.register_buyer("idem@example.com").await;
    let body = order_body(&[(ids[0], 2)]);
    let first = app.order_with_key(&buyer, "order-key-1", &body).await;
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await.unwrap();
    // The same body with its keys in another order is the same request.
    let reordered: Value = serde_json::from_str(&format!(
        r#"{{"shipping_address": {}, "items": [{{"quantity": 2, "listing_id": "{}"}}]}}"#,
        crate::orders_support::address(),
        ids[0]
    ))
    .unwrap();
    let again = app.order_with_key(&buyer, "order-key-1", &reordered).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again, first);
    assert_eq!(app.count("SELECT count(*) FROM orders").await, 1);
    assert_eq!(app.quantity(ids[0]).await, 8, "taken once");

    let other = app.order_with_key(&buyer, "order-key-1", &order_body(&[(ids[1], 1)])).await;
    assert_eq!(other.status(), 422);
    let other: Value = other.json().await.unwrap();
    assert_eq!(other["error"]["code"], "IDEMPOTENCY_KEY_REUSED");

    // Keys are per user: another buyer's same key is a new order.
    let someone = app.register_buyer("someone@example.com").await;
    assert_eq!(app.order_with_key(&someone, "order-key-1", &body).await.status(), 201);

    // A failed attempt keeps no answer: the key works once stock is back.
    let big = order_body(&[(ids[1], 50)]);
    assert_eq!(app.order_with_key(&buyer, "order-key-2", &big).await.status(), 409);
    sqlx::query("UPDATE listings SET quantity = 60 WHERE id = $1").bind(ids[1]).execute(&app.db).await.unwrap();
    assert_eq!(app.order_with_key(&buyer, "order-key-2", &big).await.status(), 201);

    // Answers are kept 24 hours.
    app.clock.advance(chrono::Duration::hours(25));
    let buyer = app.sign_in_again(&buyer, "idem@example.com").await;
    let later = app.order_with_key(&buyer, "order-key-1", &body).await;
    assert_eq!(later.status(), 201);
    assert!(later.headers().get("idempotent-replayed").is_none(), "a new order after the retention");
}

#[tokio::test]
async fn twenty_concurrent_requests_with_one_key_create_one_order() {
    let app = spawn_shop().await;
    let (_, ids) = app.shop("s-race", &[("R-1", "10.00", 100)]).await;
    let buyer = app.register_buyer("race@example.com").await;
    let body = order_body(&[(ids[0], 1)]);
    let answers = join_all((0..20).map(|_| app.order_with_key(&buyer, "same-key", &body))).await;
    let mut ids_seen = HashSet::new();
    for answer in answers {
        match answer.status().as_u16() {
            201 => {
                let order: Value = answer.json().await.unwrap();
                ids_seen.insert(order["id"].as_str().unwrap().to_string());
            }
            409 => {
                let error: Value = answer.json().await.unwrap();
                assert_eq!(error["error"]["code"], "IDEMPOTENCY_KEY_IN_USE");
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(ids_seen.len(), 1);
    assert_eq!(app.count("SELECT count(*) FROM orders").await, 1);
    assert_eq!(app.quantity(ids[0]).await, 99);
}

/// Waits for the expiry sweep to move `order_id` to `status`.
async fn until_status(app: &ShopApp, order_id: &str, status: &str) {
    for _ in 0..200 {
        if app.status_of(order_id).await == status {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("order {order_id} never became {status}");
}

#[tokio::test]
async fn an_unpaid_order_expires_and_its_stock_returns_even_after_a_sweep_died_midway() {
    let app = spawn_shop().await;
    let (_, ids) = app.shop("s-exp", &[("E-1", "10.00", 2), ("E-2", "10.00", 3)]).await;
    let buyer = app.register_buyer("exp@example.com").await;
    let first = app.order_ok(&buyer, &[(ids[0], 2)]).await;
    let second = app.order_ok(&buyer, &[(ids[1], 3)]).await;
    assert_eq!((app.quantity(ids[0]).await, app.quantity(ids[1]).await), (0, 0));

    // Another instance's sweep takes the second order, gives its stock back, and dies
    // before committing.
    let mut dying = app.db.begin().await.unwrap();
    sqlx::query("SELECT id FROM orders WHERE id = $1::uuid FOR UPDATE")
        .bind(second["id"].as_str().unwrap())
        .execute(&mut *dying)
        .await
        .unwrap();
    sqlx::query("UPDATE listings SET quantity = quantity + 3 WHERE id = $1")
        .bind(ids[1])
        .execute(&mut *dying)
        .await
        .unwrap();
    app.clock.advance(chrono::Duration::seconds(901));
    until_status(&app, first["id"].as_str().unwrap(), "expired").await;
    assert_eq!(app.status_of(second["id"].as_str().unwrap()).await, "pending_payment", "skipped while locked");
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(&mut *dying).await.unwrap();
    sqlx::query("SELECT pg_terminate_backend($1)").bind(pid).execute(&app.db).await.unwrap();
    drop(dying);

    until_status(&app, second["id"].as_str().unwrap(), "expired").await;
    assert_eq!((app.quantity(ids[0]).await, app.quantity(ids[1]).await), (2, 3), "every unit back, none twice");
    assert_eq!(app.topics(second["id"].as_str().unwrap()).await, ["order.created", "order.expired"]);
    let buyer = app.sign_in_again(&buyer, "exp@example.com").await;
    let order: Value = app
        .get_as(&buyer.access, &format!("/api/v1/orders/{}", first["id"].as_str().unwrap()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(order["status"], "expired");
    assert_eq!(order["groups"][0]["status"], "expired");
    // An expired order cannot be paid.
    let admin = app.admin("root@example.com").await;
    let late = app.pay(&admin, first["id"].as_str().unwrap()).await;
    assert_eq!(late.status(), 409);
    let late: Value = late.json().await.unwrap();
    assert_eq!(
        (&late["error"]["code"], &late["error"]["details"]["current_state"]),
        (&json!("INVALID_STATE"), &json!("expired"))
    );
}

#[tokio::test]
async fn cancelling_returns_the_stock_and_only_the_buyer_or_an_admin_may() {
    let app = spawn_shop().await;
    let (shop, ids) = app.shop("s-cancel", &[("C-1", "10.00", 4)]).await;
    let buyer = app.register_buyer("cancel@example.com").await;
    let other = app.register_buyer("other@example.com").await;
    let order = app.order_ok(&buyer, &[(ids[0], 3)]).await;
    let id = order["id"].as_str().unwrap();
    let path = format!("/api/v1/orders/{id}/cancel");
    assert_eq!(app.post_as(&other.access, &path, &json!({})).await.status(), 404);
    let cancelled = app.post_as(&buyer.access, &path, &json!({})).await;
    assert_eq!(cancelled.status(), 200);
    let cancelled: Value = cancelled.json().await.unwrap();
    assert_eq!(cancelled["status"], "cancelled");
    let read: Value = app.get_as(&buyer.access, &format!("/api/v1/orders/{id}")).await.json().await.unwrap();
    assert_eq!(read, cancelled);
    assert_eq!(app.quantity(ids[0]).await, 4);
    let again = app.post_as(&buyer.access, &path, &json!({})).await;
    assert_eq!(again.status(), 409);
    assert_eq!(app.quantity(ids[0]).await, 4, "returned once");

    // A paid order cancels until a group ships; the event says a refund is due.
    let admin = app.admin("admin@example.com").await;
    let paid = app.order_ok(&buyer, &[(ids[0], 1)]).await;
    let paid_id = paid["id"].as_str().unwrap();
    assert_eq!(app.pay(&admin, paid_id).await.status(), 200);
    let shipped = app.order_ok(&buyer, &[(ids[0], 1)]).await;
    let shipped_id = shipped["id"].as_str().unwrap();
    assert_eq!(app.pay(&admin, shipped_id).await.status(), 200);
    let group = shipped["groups"][0]["id"].as_str().unwrap();
    assert_eq!(
        app.seller_post(&shop.key, &format!("/api/v1/seller/orders/{group}/accept"), &json!({})).await.status(),
        200
    );
    let ship = json!({"carrier": "SMSA", "tracking_number": "290012345678"});
    assert_eq!(app.seller_post(&shop.key, &format!("/api/v1/seller/orders/{group}/ship"), &ship).await.status(), 200);
    let refused = app.post_as(&buyer.access, &format!("/api/v1/orders/{shipped_id}/cancel"), &json!({})).await;
    assert_eq!(refused.status(), 409);
    let refused: Value = refused.json().await.unwrap();
    assert_eq!(refused["error"]["details"]["current_state"], "paid");
    let by_admin = app.post_as(&admin.access, &format!("/api/v1/orders/{paid_id}/cancel"), &json!({})).await;
    assert_eq!(by_admin.status(), 200);
    let payload: Value = sqlx::query_scalar(
        "SELECT payload FROM event_outbox WHERE subject_id = $1::uuid AND topic = 'order.cancelled'",
    )
    .bind(paid_id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(payload["refund_due"], true);
    assert_eq!(payload["by"]["kind"], "admin");
}

#[tokio::test]
async fn orders_are_seen_only_by_their_buyer_their_sellers_own_group_and_admins() {
    let app = spawn_shop().await;
    let (shop_a, a) = app.shop("s-see-a", &[("SA-1", "10.00", 5)]).await;
    let (shop_b, b) = app.shop("s-see-b", &[("SB-1", "20.00", 5)]).await;
    let (stranger_shop, _) = app.shop("s-see-c", &[("SC-1", "30.00", 5)]).await;
    let buyer = app.register_buyer("see@example.com").await;
    let other = app.register_buyer("peek@example.com").await;
    let admin = app.admin("boss@example.com").await;
    let order = app.order_ok(&buyer, &[(a[0], 1), (b[0], 1)]).await;
    let id = order["id"].as_str().unwrap();
    let path = format!("/api/v1/orders/{id}");

    assert_eq!(app.get_as(&buyer.access, &path).await.status(), 200);
    assert_eq!(app.get_as(&admin.access, &path).await.status(), 200);
    for refused in [app.get_as(&other.access, &path).await, app.get_as(&stranger_shop.key, &path).await] {
        assert_eq!(refused.status(), 404);
        let body: Value = refused.json().await.unwrap();
        assert!(!body.to_string().contains("Noura"), "no data in a refusal");
    }
    assert_eq!(app.client.get(app.url(&path)).send().await.unwrap().status(), 401);
    assert_eq!(app.get_as(&buyer.access, "/api/v1/orders/not-a-uuid").await.status(), 400);
    assert_eq!(app.get_as(&buyer.access, &format!("/api/v1/orders/{}", Uuid::now_v7())).await.status(), 404);

    // A seller sees its own group only, without the address before payment.
    let seen: Value = app.get_as(&shop_a.key, &path).await.json().await.unwrap();
    assert_eq!(seen["groups"].as_array().unwrap().len(), 1);
    assert_eq!(seen["groups"][0]["seller"]["id"], json!(shop_a.seller_id));
    assert_eq!(seen["total_sar"], "10.00");
    assert!(seen.get("shipping_address").is_none(), "{seen}");
    // Nor may it move another seller's group.
    let group_b =
        order["groups"].as_array().unwrap().iter().find(|g| g["seller"]["id"] == json!(shop_b.seller_id)).unwrap();
    let path_b = format!("/api/v1/seller/orders/{}/accept", group_b["id"].as_str().unwrap());
    assert_eq!(app.seller_post(&shop_a.key, &path_b, &json!({})).await.status(), 404);
    // A buyer's list holds its own orders only.
    let mine: Value = app.get_as(&buyer.access, "/api/v1/orders").await.json().await.unwrap();
    assert_eq!(mine["meta"]["total"], 1);
    let theirs: Value = app.get_as(&other.access, "/api/v1/orders").await.json().await.unwrap();
    assert_eq!(theirs["meta"]["total"], 0);
    // A buyer is not a seller.
    assert_eq!(app.get_as(&buyer.access, "/api/v1/seller/orders").await.status(), 403);
    assert_eq!(app.client.get(app.url("/api/v1/seller/orders")).send().await.unwrap().status(), 401);
}

#[tokio::test]
async fn a_paid_order_is_accepted_shipped_and_delivered_group_by_group_until_completed() {
    let app = spawn_shop().await;
    let (shop_a, a) = app.shop("s-ful-a", &[("FA-1", "100.00", 5)]).await;
    let (shop_b, b) = app.shop("s-ful-b", &[("FB-1", "50.00", 5)]).await;
    let buyer = app.register_buyer("ful@example.com").await;
    let admin = app.admin("ops@example.com").await;
    let order = app.order_ok(&buyer, &[(a[0], 1), (b[0], 2)]).await;
    let id = order["id"].as_str().unwrap();
    let group_of = |seller: Uuid| {
        order["groups"].as_array().unwrap().iter().find(|g| g["seller"]["id"] == json!(seller)).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (ga, gb) = (group_of(shop_a.seller_id), group_of(shop_b.seller_id));
    // Nothing is accepted before payment.
    let early = app.seller_post(&shop_a.key, &format!("/api/v1/seller/orders/{ga}/accept"), &json!({})).await;
    assert_eq!(early.status(), 409);

    let paid = app.pay(&admin, id).await;
    assert_eq!(paid.status(), 200);
    let paid: Value = paid.json().await.unwrap();
    assert_eq!(paid["status"], "paid");
    let read: Value = app.get_as(&admin.access, &format!("/api/v1/orders/{id}")).await.json().await.unwrap();
    assert_eq!(read, paid, "the answer is the order as it reads back");
    assert!(paid["paid_at"].is_string());
    assert_eq!(app.pay(&admin, id).await.status(), 409, "paid once");

    let waiting: Value = app.get_as(&shop_a.key, "/api/v1/seller/orders?status=paid").await.json().await.unwrap();
    assert_eq!(waiting["meta"]["total"], 1);
    assert_eq!(waiting["data"][0]["shipping_address"]["phone"], "+966501234567", "shown once paid");

    let ship = json!({"carrier": "SMSA", "tracking_number": "290012345678"});
    let too_soon = app.seller_post(&shop_a.key, &format!("/api/v1/seller/orders/{ga}/ship"), &ship).await;
    assert_eq!(too_soon.status(), 409);
    for (key, group) in [(&shop_a.key, &ga), (&shop_b.key, &gb)] {
        for (step, body) in [("accept", json!({})), ("ship", ship.clone())] {
            let answer = app.seller_post(key, &format!("/api/v1/seller/orders/{group}/{step}"), &body).await;
            assert_eq!(answer.status(), 200, "{step}");
        }
    }
    let bad_ship =
        app.seller_post(&shop_a.key, &format!("/api/v1/seller/orders/{ga}/ship"), &json!({"carrier": ""})).await;
    assert_eq!(bad_ship.status(), 400);
    let delivered = app.seller_post(&shop_a.key, &format!("/api/v1/seller/orders/{ga}/deliver"), &json!({})).await;
    let delivered: Value = delivered.json().await.unwrap();
    assert_eq!(delivered["status"], "delivered");
    let listed: Value = app
        .client
        .get(app.url("/api/v1/seller/orders?status=delivered"))
        .bearer_auth(&shop_a.key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["data"][0], delivered, "the answer is the group as it reads back");
    assert_eq!(delivered["shipment"]["tracking_number"], "290012345678");
    assert_eq!(app.status_of(id).await, "paid", "one group still on its way");
    app.seller_post(&shop_b.key, &format!("/api/v1/seller/orders/{gb}/deliver"), &json!({})).await;
    assert_eq!(app.status_of(id).await, "completed");
    let seen: Value = app.get_as(&buyer.access, &format!("/api/v1/orders/{id}")).await.json().await.unwrap();
    assert_eq!(seen["groups"][0]["shipment"]["carrier"], "SMSA");
    let topics = app.topics(id).await;
    assert_eq!(topics.iter().filter(|t| *t == "order.shipped").count(), 2);
    assert_eq!(topics.iter().filter(|t| *t == "order.delivered").count(), 2);
    assert_eq!(&topics[..2], ["order.created", "order.paid"]);
}

#[tokio::test]
async fn invoices_are_numbered_without_gaps_under_concurrent_payments_and_carry_the_zatca_qr() {
    let app = spawn_shop().await;
    let (shop, ids) = app.shop("s-vat", &[("V-1", "115.00", 100)]).await;
    let (_, plain) = app.shop("s-novat", &[("N-1", "23.00", 100)]).await;
    sqlx::query("UPDATE sellers SET vat_number = '310122393500003' WHERE id = $1")
        .bind(shop.seller_id)
        .execute(&app.db)
        .await
        .unwrap();
    let serial: i64 = sqlx::query_scalar("SELECT serial FROM sellers WHERE id = $1")
        .bind(shop.seller_id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    let buyer = app.register_buyer("inv@example.com").await;
    let admin = app.admin("fin@example.com").await;
    let mut orders = Vec::new();
    for _ in 0..20 {
        orders.push(app.order_ok(&buyer, &[(ids[0], 1), (plain[0], 1)]).await);
    }
    let paid = join_all(orders.iter().map(|o| app.pay(&admin, o["id"].as_str().unwrap()))).await;
    assert!(paid.iter().all(|p| p.status() == 200));

    let numbers: Vec<String> = sqlx::query_scalar("SELECT number FROM invoices WHERE seller_id = $1 ORDER BY sequence")
        .bind(shop.seller_id)
        .fetch_all(&app.db)
        .await
        .unwrap();
    let expected: Vec<String> = (1..=20).map(|n| format!("INV-S{serial:04}-{n:06}")).collect();
    assert_eq!(numbers, expected);
    let marketplace: Vec<i64> =
        sqlx::query_scalar("SELECT sequence FROM invoices WHERE issuer = 'CP' ORDER BY sequence")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(marketplace, (1..=20).collect::<Vec<i64>>());

    let id = orders[0]["id"].as_str().unwrap();
    let invoices: Value =
        app.get_as(&buyer.access, &format!("/api/v1/orders/{id}/invoices")).await.json().await.unwrap();
    let invoices = invoices.as_array().unwrap();
    assert_eq!(invoices.len(), 2);
    let own = invoices.iter().find(|i| i["seller"]["vat_number"] == "310122393500003").unwrap();
    assert_eq!(
        (&own["total_sar"], &own["vat_sar"], &own["subtotal_sar"]),
        (&json!("115.00"), &json!("15.00"), &json!("100.00"))
    );
    assert_eq!(own["seller"]["name"], "Seller s-vat");
    let fields = cargoparts::orders::invoices::qr::decode(own["qr"].as_str().unwrap()).unwrap();
    let tags: Vec<u8> = fields.iter().map(|f| f.0).collect();
    assert_eq!(tags, [1, 2, 3, 4, 5]);
    assert_eq!(fields[0].1, "Seller s-vat");
    assert_eq!(fields[1].1, "310122393500003");
    assert!(fields[2].1.ends_with('Z') && fields[2].1.len() == 20, "{}", fields[2].1);
    assert_eq!((fields[3].1.as_str(), fields[4].1.as_str()), ("115.00", "15.00"));
    let through_marketplace = invoices.iter().find(|i| i["sold_by"]["name"] == "Seller s-novat").unwrap();
    assert_eq!(through_marketplace["seller"]["name"], "CargoParts");
    assert_eq!(through_marketplace["seller"]["vat_number"], "300000000000003");
    assert_eq!(through_marketplace["vat_sar"], "3.00");
    assert!(through_marketplace["issued_at_hijri"].as_str().unwrap().starts_with("14"));

    // The printable page, Arabic first.
    let page = app
        .client
        .get(app.url(&format!("/api/v1/invoices/{}", own["id"].as_str().unwrap())))
        .bearer_auth(&buyer.access)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"dir="rtl""#) && html.contains("<svg"), "{}", &html[..300.min(html.len())]);
    assert!(html.contains(own["number"].as_str().unwrap()));
    // The other seller cannot read this seller's invoice; a stranger not even the list.
    let (_, stranger_key) = app.seller_with_key("s-stranger").await;
    let path = format!("/api/v1/invoices/{}", own["id"].as_str().unwrap());
    assert_eq!(app.get_as(&stranger_key, &path).await.status(), 404);
    let other = app.register_buyer("nosy@example.com").await;
    assert_eq!(app.get_as(&other.access, &format!("/api/v1/orders/{id}/invoices")).await.status(), 404);
}

#[tokio::test]
async fn vat_on_awkward_amounts_matches_the_worked_table() {
    // price × quantity = line total; VAT = round half up (line total × 15 / 115)
    //      0.01 × 1 =          0.01 → VAT 0.001304…       →         0.00
    //     33.33 × 3 =         99.99 → VAT 13.042173…      →        13.04
    //      7.67 × 1 =          7.67 → VAT 1.000434…       →         1.00
    //      0.23 × 1 =          0.23 → VAT 0.03            →         0.03
    // 9999999.99 × 1 = 9,999,999.99 → VAT 1,304,347.824… → 1,304,347.82
    let app = spawn_shop().await;
    let (_, ids) = app
        .shop(
            "s-awk",
            &[
                ("W-1", "0.01", 5),
                ("W-2", "33.33", 5),
                ("W-3", "7.67", 5),
                ("W-4", "0.23", 5),
                ("W-5", "9999999.99", 1),
            ],
        )
        .await;
    let buyer = app.register_buyer("awk@example.com").await;
    let small = app.order_ok(&buyer, &[(ids[0], 1), (ids[1], 3), (ids[2], 1), (ids[3], 1)]).await;
    let vat_of = |order: &Value, sku: &str| {
        order["groups"][0]["lines"].as_array().unwrap().iter().find(|l| l["sku"] == sku).unwrap()["vat_sar"].clone()
    };
    assert_eq!(vat_of(&small, "W-1"), "0.00");
    assert_eq!(vat_of(&small, "W-2"), "13.04");
    assert_eq!(vat_of(&small, "W-3"), "1.00");
    assert_eq!(vat_of(&small, "W-4"), "0.03");
    assert_eq!(small["total_sar"], "107.90");
    assert_eq!(small["vat_sar"], "14.07", "the sum of the lines' VAT");
    assert_eq!(small["subtotal_sar"], "93.83");
    let big = app.order_ok(&buyer, &[(ids[4], 1)]).await;
    assert_eq!(
        (&big["total_sar"], &big["vat_sar"], &big["subtotal_sar"]),
        (&json!("9999999.99"), &json!("1304347.82"), &json!("8695652.17"))
    );
    // Past the cap of an order, refused with the field named.
    let (_, more) = app.shop("s-awk2", &[("W-6", "9999999.99", 5)]).await;
    let response = app.order(&buyer, &order_body(&[(more[0], 2)])).await;
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn a_seller_resending_its_count_while_orders_wait_never_sells_a_unit_twice() {
    let app = spawn_shop().await;
    let (shop, ids) = app.shop("s-held", &[("H-1", "10.00", 5)]).await;
    let buyer = app.register_buyer("held@example.com").await;
    let admin = app.admin("held-admin@example.com").await;
    let order = app.order_ok(&buyer, &[(ids[0], 3)]).await;
    assert_eq!(app.quantity(ids[0]).await, 2);
    // The seller still has five on its shelf and says so: three are held.
    let mut resent = crate::helpers::record("H-1");
    resent["price_sar"] = json!("10.00");
    resent["quantity"] = json!(5);
    let synced = app.post_inventory(&shop.key, "application/x-ndjson", crate::helpers::ndjson(&[resent.clone()])).await;
    assert!(synced.status().is_success());
    assert_eq!(app.quantity(ids[0]).await, 2);
    let patched = app
        .client
        .patch(app.url("/api/v1/seller/listings/H-1"))
        .bearer_auth(&shop.key)
        .json(&json!({"quantity": 4}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    assert_eq!(app.quantity(ids[0]).await, 1);
    // Once shipped, the units have left the shelf: the count no longer includes them.
    let id = order["id"].as_str().unwrap();
    assert_eq!(app.pay(&admin, id).await.status(), 200);
    let group = order["groups"][0]["id"].as_str().unwrap();
    app.seller_post(&shop.key, &format!("/api/v1/seller/orders/{group}/accept"), &json!({})).await;
    let ship = json!({"carrier": "Aramex", "tracking_number": "AX1"});
    assert_eq!(app.seller_post(&shop.key, &format!("/api/v1/seller/orders/{group}/ship"), &ship).await.status(), 200);
    resent["quantity"] = json!(2);
    app.post_inventory(&shop.key, "application/x-ndjson", crate::helpers::ndjson(&[resent])).await;
    assert_eq!(app.quantity(ids[0]).await, 2);
}

#[tokio::test]
async fn a_seller_sets_its_vat_number_and_invoices_in_its_own_name() {
    let app = spawn_shop().await;
    let (shop, ids) = app.shop("s-reg", &[("G-1", "115.00", 5)]).await;
    let patch =
        |body: Value| app.client.patch(app.url("/api/v1/seller/profile")).bearer_auth(&shop.key).json(&body).send();
    let refused = patch(json!({"vat_number": "123456789012345"})).await.unwrap();
    assert_eq!(refused.status(), 400);
    let refused: Value = refused.json().await.unwrap();
    assert_eq!(refused["error"]["details"][0]["field"], "vat_number");
    let set = patch(json!({"vat_number": "٣١٠١٢٢٣٩٣٥٠٠٠٠٣"})).await.unwrap();
    assert_eq!(set.status(), 200);
    let set: Value = set.json().await.unwrap();
    assert_eq!(set["vat_number"], "310122393500003");
    let buyer = app.register_buyer("reg@example.com").await;
    let admin = app.admin("reg-admin@example.com").await;
    let order = app.order_ok(&buyer, &[(ids[0], 1)]).await;
    let id = order["id"].as_str().unwrap();
    app.pay(&admin, id).await;
    let invoices: Value = app.get_as(&shop.key, &format!("/api/v1/orders/{id}/invoices")).await.json().await.unwrap();
    assert_eq!(invoices[0]["seller"]["vat_number"], "310122393500003");
    assert!(invoices[0]["number"].as_str().unwrap().starts_with("INV-S"));
    assert_eq!(
        app.client.patch(app.url("/api/v1/seller/profile")).json(&json!({})).send().await.unwrap().status(),
        401
    );
}

#[tokio::test]
async fn a_short_national_address_stands_for_the_building_and_postal_code() {
    let app = spawn_shop().await;
    let (_, ids) = app.shop("s-short", &[("SH-1", "10.00", 5)]).await;
    let buyer = app.register_buyer("short@example.com").await;
    let mut body = order_body(&[(ids[0], 1)]);
    let address = body["shipping_address"].as_object_mut().unwrap();
    address.remove("building_number");
    address.remove("postal_code");
    address.remove("additional_number");
    address.insert("short_address".into(), json!("rrrd ٢٩٢٩"));
    let response = app.order(&buyer, &body).await;
    assert_eq!(response.status(), 201);
    let order: Value = response.json().await.unwrap();
    assert_eq!(order["shipping_address"]["short_address"], "RRRD2929");
    assert!(order["shipping_address"].get("building_number").is_none(), "{order}");

    // Neither form: each missing number is named, and so is a malformed short address.
    body["shipping_address"].as_object_mut().unwrap().remove("short_address");
    let error: Value = app.order(&buyer, &body).await.json().await.unwrap();
    let fields: Vec<&str> =
        error["error"]["details"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["shipping_address.building_number", "shipping_address.postal_code"]);
    body["shipping_address"]["short_address"] = json!("RRR2929");
    let error: Value = app.order(&buyer, &body).await.json().await.unwrap();
    assert_eq!(error["error"]["details"][0]["field"], "shipping_address.short_address", "{error}");
}
