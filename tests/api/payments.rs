//! Payments against the real PostgreSQL, with HyperPay and Tap replaced by local fake
//! servers speaking their documented APIs: checkouts, confirmation pulled from the
//! provider, webhooks (forged, duplicated, racing), polling, fallback, refunds,
//! transaction monitoring, and card data that never lands anywhere.

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::auth_support::Session;
use crate::orders_support::ShopApp;
use crate::payments_support::*;

/// A buyer with an order of 230.00 SAR (two units at 115.00) from a fresh seller.
async fn ordered(app: &ShopApp, who: &str) -> (Session, Value) {
    let (_, ids) = app.shop(&format!("seller-{who}"), &[(&format!("P-{who}"), "115.00", 10)]).await;
    let buyer = app.register_buyer(&format!("{who}@example.com")).await;
    let order = app.order_ok(&buyer, &[(ids[0], 2)]).await;
    assert_eq!(order["total_sar"], "230.00");
    (buyer, order)
}

fn id_of(value: &Value, key: &str) -> String {
    value[key].as_str().unwrap_or_else(|| panic!("no {key} in {value}")).to_string()
}

async fn invoices_of(app: &ShopApp, buyer: &Session, order_id: &str) -> Vec<Value> {
    let response = app.get_as(&buyer.access, &format!("/api/v1/orders/{order_id}/invoices")).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn events(app: &ShopApp, order_id: &str, topic: &str) -> usize {
    app.topics(order_id).await.iter().filter(|t| *t == topic).count()
}

/// The audit trail's state changes of a payment, as an administrator reads them.
async fn history(app: &ShopApp, admin: &Session, payment_id: &str) -> Vec<(String, String)> {
    let response = app.get_as(&admin.access, &format!("/api/v1/admin/payments/{payment_id}")).await;
    assert_eq!(response.status(), 200);
    let audit: Value = response.json().await.unwrap();
    audit["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| (line["to_status"].as_str().unwrap().to_string(), line["actor"].as_str().unwrap().to_string()))
        .collect()
}

/// Requests the fake server received with `http_method` on a path starting with `prefix`.
async fn received(server: &wiremock::MockServer, http_method: &str, prefix: &str) -> usize {
    let requests = server.received_requests().await.unwrap_or_default();
    requests.iter().filter(|r| r.method.as_str() == http_method && r.url.path().starts_with(prefix)).count()
}

#[tokio::test]
async fn a_mada_checkout_is_paid_through_the_return_url_once_hyperpay_confirms_it() {
    let app = spawn_pay_app().await;
    let admin = app.admin("admin@example.com").await;
    let (buyer, order) = ordered(&app, "mada").await;
    let order_id = id_of(&order, "id");
    hyperpay_opens_checkouts(&app.hyperpay, MADA_ENTITY, "CHK-MADA-1").await;

    let started = app.start_payment_ok(&buyer, &order_id, "mada").await;

    assert_eq!(started["provider"], "hyperpay");
    assert_eq!(started["status"], "initiated");
    assert_eq!(started["amount_sar"], "230.00");
    let checkout = &started["checkout"];
    assert_eq!(checkout["brands"], "MADA");
    assert_eq!(checkout["checkout_id"], "CHK-MADA-1");
    assert!(checkout["script_url"].as_str().unwrap().ends_with("/v1/paymentWidgets.js?checkoutId=CHK-MADA-1"));
    let payment_id = id_of(&started, "payment_id");
    assert!(
        checkout["shopper_result_url"].as_str().unwrap().ends_with(&format!("/api/v1/payments/{payment_id}/return"))
    );

    // Asked before anyone paid, HyperPay knows no payment of the checkout: not a failure.
    let unpaid = json!({"result": {"code": "200.300.404", "description": "invalid or missing parameter"},
                        "buildNumber": "b", "timestamp": "2026-12-03 14:25:09+0000", "ndc": "n"});
    hyperpay_status_answers(&app.hyperpay, "CHK-MADA-1", MADA_ENTITY, &unpaid, Some(1)).await;
    let back = app.return_from_provider(&payment_id, &[]).await;
    assert_eq!(back["status"], "initiated");

    // The shopper comes back before paying: HyperPay says the checkout is still open.
    let open = hyperpay_payment(&payment_id, "230.00", "000.200.000", "MADA");
    hyperpay_status_answers(&app.hyperpay, "CHK-MADA-1", MADA_ENTITY, &open, Some(1)).await;
    let back = app.return_from_provider(&payment_id, &[("id", "CHK-MADA-1")]).await;
    assert_eq!(back["status"], "pending");
    assert_eq!(app.status_of(&order_id).await, "pending_payment");

    // Then pays; the return's parameters are ignored, the status query decides.
    let paid = hyperpay_payment(&payment_id, "230.00", "000.100.110", "MADA");
    hyperpay_status_answers(&app.hyperpay, "CHK-MADA-1", MADA_ENTITY, &paid, None).await;
    let back = app
        .return_from_provider(
            &payment_id,
            &[("id", "CHK-FORGED"), ("resourcePath", "/v1/checkouts/CHK-FORGED/payment")],
        )
        .await;
    assert_eq!(back["status"], "paid");
    assert_eq!(back["order_id"], order_id.as_str());
    assert_eq!(app.status_of(&order_id).await, "paid");
    assert_eq!(invoices_of(&app, &buyer, &order_id).await.len(), 1);
    assert_eq!(events(&app, &order_id, "order.paid").await, 1);

    let payment: Value =
        app.get_as(&buyer.access, &format!("/api/v1/payments/{payment_id}")).await.json().await.unwrap();
    assert_eq!(payment["status"], "paid");
    assert_eq!(payment["brand"], "MADA");
    assert_eq!(payment["card_last4"], "0007");
    assert_eq!(payment["result_code"], "000.100.110");
    let trail = history(&app, &admin, &payment_id).await;
    let states: Vec<&str> = trail.iter().map(|(to, _)| to.as_str()).collect();
    assert_eq!(states, ["initiated", "initiated", "pending", "paid"], "{trail:?}");
    assert_eq!(trail.last().unwrap().1, "return");

    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains(r#"payments_processed_total{provider="hyperpay",method="mada",result="paid"}"#),
        "{metrics}"
    );
    assert!(
        metrics
            .contains(r#"payment_provider_request_seconds_bucket{provider="hyperpay",operation="status",outcome="ok""#)
    );

    let stranger = app.register_buyer("stranger@example.com").await;
    let response = app.get_as(&stranger.access, &format!("/api/v1/payments/{payment_id}")).await;
    assert_eq!(response.status(), 404, "another buyer does not see the payment");
    let again = app.start_payment(&buyer, &order_id, "mada").await;
    assert_eq!(again.status(), 409, "a paid order takes no more payments");
}

#[tokio::test]
async fn a_tap_charge_is_paid_through_the_webhook_after_retrieving_the_charge() {
    let app = spawn_pay_app().await;
    let (buyer, order) = ordered(&app, "tap").await;
    let (order_id, number) = (id_of(&order, "id"), id_of(&order, "number"));
    tap_opens_charges(&app.tap, &tap_charge("chg_TS01A", "", &number, 230.0, "INITIATED")).await;

    let started = app.start_payment_ok(&buyer, &order_id, "tap").await;

    assert_eq!(started["provider"], "tap");
    assert_eq!(started["checkout"]["redirect_url"], "https://checkout.tap.test/?chg=chg_TS01A");
    let payment_id = id_of(&started, "payment_id");
    let captured = tap_charge("chg_TS01A", &payment_id, &number, 230.0, "CAPTURED");
    tap_retrieves(&app.tap, &captured).await;
    let response = app
        .client
        .post(app.url("/api/v1/webhooks/tap"))
        .header("hashstring", tap_hashstring(&captured, TAP_SECRET))
        .json(&captured)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["outcome"], "confirmed");
    assert_eq!(app.status_of(&order_id).await, "paid");
    assert_eq!(received(&app.tap, "GET", "/v2/charges/chg_TS01A").await, 1, "the charge was retrieved");
    let payment: Value =
        app.get_as(&buyer.access, &format!("/api/v1/payments/{payment_id}")).await.json().await.unwrap();
    assert_eq!((payment["brand"].as_str(), payment["card_last4"].as_str()), (Some("MASTERCARD"), Some("0008")));
}

#[tokio::test]
async fn forged_webhooks_are_refused_and_change_nothing() {
    let app = spawn_pay_app().await;
    let (buyer, order) = ordered(&app, "forged").await;
    let (order_id, number) = (id_of(&order, "id"), id_of(&order, "number"));
    hyperpay_opens_checkouts(&app.hyperpay, MADA_ENTITY, "CHK-FORGED").await;
    let hyperpay_payment_id = id_of(&app.start_payment_ok(&buyer, &order_id, "mada").await, "payment_id");
    tap_opens_charges(&app.tap, &tap_charge("chg_FORGED", "", &number, 230.0, "INITIATED")).await;
    let tap_payment_id = id_of(&app.start_payment_ok(&buyer, &order_id, "tap").await, "payment_id");

    let paid = hyperpay_payment(&hyperpay_payment_id, "230.00", "000.100.110", "MADA");
    let (body, iv, tag) = hyperpay_notification(&paid, &"ab".repeat(32));
    let wrong_key = app
        .client
        .post(app.url("/api/v1/webhooks/hyperpay"))
        .header("x-initialization-vector", &iv)
        .header("x-authentication-tag", &tag)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_key.status(), 401);
    let (body, iv, _) = hyperpay_notification(&paid, WEBHOOK_KEY);
    let wrong_tag = app
        .client
        .post(app.url("/api/v1/webhooks/hyperpay"))
        .header("x-initialization-vector", &iv)
        .header("x-authentication-tag", "00".repeat(16))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_tag.status(), 401);
    let garbage = app.client.post(app.url("/api/v1/webhooks/hyperpay")).body("not hex").send().await.unwrap();
    assert_eq!(garbage.status(), 401);

    let captured = tap_charge("chg_FORGED", &tap_payment_id, &number, 230.0, "CAPTURED");
    let signed_elsewhere = app
        .client
        .post(app.url("/api/v1/webhooks/tap"))
        .header("hashstring", tap_hashstring(&captured, "sk_test_someone_else"))
        .json(&captured)
        .send()
        .await
        .unwrap();
    assert_eq!(signed_elsewhere.status(), 401);
    let mut altered = captured.clone();
    let genuine = tap_hashstring(&captured, TAP_SECRET);
    altered["status"] = json!("CAPTURED");
    altered["amount"] = json!(1.0);
    let altered_after_signing = app
        .client
        .post(app.url("/api/v1/webhooks/tap"))
        .header("hashstring", genuine)
        .json(&altered)
        .send()
        .await
        .unwrap();
    assert_eq!(altered_after_signing.status(), 401);
    let unsigned = app.client.post(app.url("/api/v1/webhooks/tap")).json(&captured).send().await.unwrap();
    assert_eq!(unsigned.status(), 401);
    let body: Value = unsigned.json().await.unwrap();
    assert_eq!(body["error"]["code"], "UNAUTHORIZED");

    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    for provider in ["hyperpay", "tap"] {
        let counted = format!(r#"payment_webhook_failures_total{{provider="{provider}",reason="authentication"}}"#);
        assert!(metrics.contains(&counted), "{counted} in {metrics}");
    }
    assert_eq!(received(&app.hyperpay, "GET", "/v1/checkouts").await, 0, "no status was asked");
    assert_eq!(received(&app.tap, "GET", "/v2/charges").await, 0, "no charge was retrieved");
    assert_eq!(app.payment_status(&hyperpay_payment_id).await, "initiated");
    assert_eq!(app.payment_status(&tap_payment_id).await, "initiated");
    assert_eq!(app.status_of(&order_id).await, "pending_payment");
}

#[tokio::test]
async fn a_confirmation_whose_amount_differs_from_the_order_is_flagged_and_never_paid() {
    let app = spawn_pay_app().await;
    let admin = app.admin("admin@example.com").await;
    let (buyer, order) = ordered(&app, "short").await;
    let (order_id, number) = (id_of(&order, "id"), id_of(&order, "number"));
    tap_opens_charges(&app.tap, &tap_charge("chg_SHORT", "", &number, 230.0, "INITIATED")).await;
    let payment_id = id_of(&app.start_payment_ok(&buyer, &order_id, "tap").await, "payment_id");
    // Tap says 1.00 was captured: signed correctly, confirmed by retrieval, and still wrong.
    let short = tap_charge("chg_SHORT", &payment_id, &number, 1.0, "CAPTURED");
    tap_retrieves(&app.tap, &short).await;

    let response = app
        .client
        .post(app.url("/api/v1/webhooks/tap"))
        .header("hashstring", tap_hashstring(&short, TAP_SECRET))
        .json(&short)
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200, "authentic, so acknowledged");
    assert_eq!(app.payment_status(&payment_id).await, "mismatched");
    assert_eq!(app.status_of(&order_id).await, "pending_payment");
    assert!(invoices_of(&app, &buyer, &order_id).await.is_empty());
    let flags = app.open_flags(&admin).await;
    let flag = flags.iter().find(|f| f["rule"] == "PAYMENT_MISMATCH").expect("a mismatch flag");
    assert_eq!(flag["payment_id"], payment_id.as_str());
    assert!(flag["details"]["mismatches"][0].as_str().unwrap().starts_with("amount"), "{flag}");
}

#[tokio::test]
async fn the_same_webhook_five_times_pays_once_and_invoices_once() {
    let app = spawn_pay_app().await;
    let admin = app.admin("admin@example.com").await;
    let (buyer, order) = ordered(&app, "dup").await;
    let order_id = id_of(&order, "id");
    hyperpay_opens_checkouts(&app.hyperpay, MADA_ENTITY, "CHK-DUP").await;
    let payment_id = id_of(&app.start_payment_ok(&buyer, &order_id, "mada").await, "payment_id");
    let paid = hyperpay_payment(&payment_id, "230.00", "000.100.110", "MADA");
    hyperpay_status_answers(&app.hyperpay, "CHK-DUP", MADA_ENTITY, &paid, None).await;
    let (body, iv, tag) = hyperpay_notification(&paid, WEBHOOK_KEY);

    let deliveries = (0..5).map(|_| {
        app.client
            .post(app.url("/api/v1/webhooks/hyperpay"))
            .header("x-initialization-vector", &iv)
            .header("x-authentication-tag", &tag)
            .body(body.clone())
            .send()
    });
    let answers = futures::future::join_all(deliveries).await;

    assert!(answers.iter().all(|a| a.as_ref().unwrap().status() == 200));
    assert_eq!(app.status_of(&order_id).await, "paid");
    assert_eq!(invoices_of(&app, &buyer, &order_id).await.len(), 1);
    assert_eq!(events(&app, &order_id, "order.paid").await, 1);
    let paid_moves = history(&app, &admin, &payment_id).await.iter().filter(|(to, _)| to == "paid").count();
    assert_eq!(paid_moves, 1);
    let count = app.count_for("SELECT count(*) FROM payments WHERE order_id = $1", &order_id).await;
    assert_eq!(count, 1);
}

#[tokio::test]
async fn the_return_and_the_webhook_racing_pay_exactly_once() {
    let app = spawn_pay_app().await;
    let (buyer, order) = ordered(&app, "race").await;
    let (order_id, number) = (id_of(&order, "id"), id_of(&order, "number"));
    tap_opens_charges(&app.tap, &tap_charge("chg_RACE", "", &number, 230.0, "INITIATED")).await;
    let payment_id = id_of(&app.start_payment_ok(&buyer, &order_id, "tap").await, "payment_id");
    let captured = tap_charge("chg_RACE", &payment_id, &number, 230.0, "CAPTURED");
    tap_retrieves(&app.tap, &captured).await;

    let webhook = app
        .client
        .post(app.url("/api/v1/webhooks/tap"))
        .header("hashstring", tap_hashstring(&captured, TAP_SECRET))
        .json(&captured)
        .send();
    let back = app.return_from_provider(&payment_id, &[("tap_id", "chg_RACE")]);
    let (webhook, back) = tokio::join!(webhook, back);

    assert_eq!(webhook.unwrap().status(), 200);
    assert_eq!(back["status"], "paid");
    assert_eq!(events(&app, &order_id, "order.paid").await, 1);
    assert_eq!(invoices_of(&app, &buyer, &order_id).await.len(), 1);
}

#[tokio::test]
async fn a_pending_payment_is_polled_until_the_provider_says_it_is_paid() {
    let app = spawn_pay_app().await;
    let (buyer, order) = ordered(&app, "pending").await;
    let order_id = id_of(&order, "id");
    hyperpay_opens_checkouts(&app.hyperpay, MADA_ENTITY, "CHK-PENDING").await;
    let payment_id = id_of(&app.start_payment_ok(&buyer, &order_id, "mada").await, "payment_id");
    let pending = hyperpay_payment(&payment_id, "230.00", "000.200.000", "MADA");
    hyperpay_status_answers(&app.hyperpay, "CHK-PENDING", MADA_ENTITY, &pending, Some(1)).await;
    let paid = hyperpay_payment(&payment_id, "230.00", "000.100.112", "MADA");
    hyperpay_status_answers(&app.hyperpay, "CHK-PENDING", MADA_ENTITY, &paid, None).await;

    let back = app.return_from_provider(&payment_id, &[]).await;
    assert_eq!(back["status"], "pending");
    // Nobody comes back again and no webhook arrives: the poller's turn comes.
    app.clock.advance(chrono::Duration::seconds(30));

    app.eventually("the poller to confirm the payment", || async { app.status_of(&order_id).await == "paid" }).await;
    assert_eq!(app.payment_status(&payment_id).await, "paid");
    assert_eq!(received(&app.hyperpay, "GET", "/v1/checkouts/CHK-PENDING").await, 2);
}

#[tokio::test]
async fn when_hyperpay_is_down_tap_takes_the_payment() {
    let app = spawn_pay_app_with(|settings| settings.payments.fallback = Some("tap".into())).await;
    let (buyer, order) = ordered(&app, "fallback").await;
    let (order_id, number) = (id_of(&order, "id"), id_of(&order, "number"));
    Mock::given(method("POST"))
        .and(path("/v1/checkouts"))
        .respond_with(ResponseTemplate::new(503).set_body_string("<html>maintenance</html>"))
        .mount(&app.hyperpay)
        .await;
    tap_opens_charges(&app.tap, &tap_charge("chg_FALLBACK", "", &number, 230.0, "INITIATED")).await;

    let started = app.start_payment_ok(&buyer, &order_id, "mada").await;

    assert_eq!(started["provider"], "tap");
    assert_eq!(started["method"], "mada");
    assert_eq!(started["checkout"]["redirect_url"], "https://checkout.tap.test/?chg=chg_FALLBACK");
    let requests = app.tap.received_requests().await.unwrap();
    let charge: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(charge["source"]["id"], "src_sa.mada", "Tap is asked for mada too");
    assert_eq!(charge["amount"], json!(230.0));

    // HyperPay keeps failing: after five failures in a row its circuit opens and the
    // payments go straight to Tap, without waiting on HyperPay.
    app.tap.reset().await;
    tap_opens_fresh_charges(&app.tap).await;
    for _ in 0..6 {
        let started = app.start_payment_ok(&buyer, &order_id, "card").await;
        assert_eq!(started["provider"], "tap");
    }
    assert_eq!(received(&app.hyperpay, "POST", "/v1/checkouts").await, 5, "the circuit opened after five failures");
    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains(r#"payment_provider_fallbacks_total{from="hyperpay",to="tap"}"#), "{metrics}");
}

#[tokio::test]
async fn without_a_fallback_an_unreachable_provider_is_a_clear_503_and_nothing_is_charged() {
    let app = spawn_pay_app().await;
    let (buyer, order) = ordered(&app, "down").await;
    let order_id = id_of(&order, "id");
    Mock::given(method("POST"))
        .and(path("/v1/checkouts"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&app.hyperpay)
        .await;

    let response = app.start_payment(&buyer, &order_id, "card").await;

    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "PAYMENT_PROVIDER_UNAVAILABLE");
    let failed =
        app.count_for("SELECT count(*) FROM payments WHERE order_id = $1 AND status = 'failed'", &order_id).await;
    assert_eq!(failed, 1);
    assert_eq!(app.status_of(&order_id).await, "pending_payment");
}

/// An order paid through HyperPay's return URL; the payment's id.
async fn paid_through_hyperpay(app: &PayApp, buyer: &Session, order_id: &str) -> String {
    hyperpay_opens_checkouts(&app.hyperpay, CARD_ENTITY, "CHK-REFUND").await;
    let payment_id = id_of(&app.start_payment_ok(buyer, order_id, "card").await, "payment_id");
    let paid = hyperpay_payment(&payment_id, "230.00", "000.000.000", "VISA");
    hyperpay_status_answers(&app.hyperpay, "CHK-REFUND", CARD_ENTITY, &paid, None).await;
    assert_eq!(app.return_from_provider(&payment_id, &[]).await["status"], "paid");
    payment_id
}

#[tokio::test]
async fn refunds_never_exceed_what_was_captured() {
    let app = spawn_pay_app().await;
    let admin = app.admin("admin@example.com").await;
    let (buyer, order) = ordered(&app, "refund").await;
    let order_id = id_of(&order, "id");
    let payment_id = paid_through_hyperpay(&app, &buyer, &order_id).await;
    Mock::given(method("POST"))
        .and(path("/v1/payments/8ac7a4a18e5b4c9a018e5c1b2c3d4e5f"))
        .and(form_field("paymentType", "RF"))
        .and(form_field("entityId", CARD_ENTITY))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "8ac7a4a28e5b4c9a018e5d0000000001", "paymentType": "RF",
            "result": {"code": "000.100.110", "description": "Request successfully processed"}
        })))
        .mount(&app.hyperpay)
        .await;
    let refund = |amount: &'static str| {
        let path = format!("/api/v1/admin/orders/{order_id}/refunds");
        let (app, admin) = (&app, &admin);
        async move {
            app.post_as(&admin.access, &path, &json!({"amount_sar": amount, "reason": "damaged in transit"})).await
        }
    };

    let too_much = refund("230.01").await;
    assert_eq!(too_much.status(), 422);
    let body: Value = too_much.json().await.unwrap();
    assert_eq!(body["error"]["code"], "REFUND_EXCEEDS_CAPTURED");
    assert_eq!(body["error"]["details"]["refundable_sar"], "230.00");

    let part = refund("100.00").await;
    assert_eq!(part.status(), 201);
    assert_eq!(part.json::<Value>().await.unwrap()["status"], "refunded");
    assert_eq!(app.status_of(&order_id).await, "partially_refunded");

    let rest_and_a_halala = refund("130.01").await;
    assert_eq!(rest_and_a_halala.status(), 422);
    let body: Value = rest_and_a_halala.json().await.unwrap();
    assert_eq!(body["error"]["details"]["refundable_sar"], "130.00");
    for bad in ["-5", "0", "12.345", "ten"] {
        let response = refund(bad).await;
        assert_eq!(response.status(), 400, "{bad}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["details"][0]["field"], "amount_sar");
    }

    assert_eq!(refund("130.00").await.status(), 201);
    assert_eq!(app.status_of(&order_id).await, "refunded");
    let payment: Value =
        app.get_as(&buyer.access, &format!("/api/v1/payments/{payment_id}")).await.json().await.unwrap();
    assert_eq!(payment["status"], "refunded");
    assert_eq!(payment["refunded_sar"], "230.00");
    assert_eq!(payment["refunds"].as_array().unwrap().len(), 2);
    assert_eq!(refund("0.01").await.status(), 422, "nothing is left");
    assert_eq!(received(&app.hyperpay, "POST", "/v1/payments/").await, 2, "only the two refunds reached HyperPay");
    let as_buyer = app
        .post_as(
            &buyer.access,
            &format!("/api/v1/admin/orders/{order_id}/refunds"),
            &json!({"amount_sar": "1.00", "reason": "mine"}),
        )
        .await;
    assert_eq!(as_buyer.status(), 403);
}

#[tokio::test]
async fn a_payment_over_ten_thousand_riyals_is_flagged_and_the_flag_is_decided_once() {
    let app = spawn_sandbox_shop().await;
    let admin = app.admin("admin@example.com").await;
    let (_, ids) = app.shop("big-seller", &[("ENGINE-1", "10000.01", 1), ("ENGINE-2", "10000.00", 1)]).await;
    let buyer = app.register_buyer("big@example.com").await;
    let at_threshold = app.order_ok(&buyer, &[(ids[1], 1)]).await;
    app.start_payment_ok(&buyer, &id_of(&at_threshold, "id"), "mada").await;
    let big = app.order_ok(&buyer, &[(ids[0], 1)]).await;

    let started = app.start_payment_ok(&buyer, &id_of(&big, "id"), "mada").await;

    assert_eq!(started["amount_sar"], "10000.01");
    let flags = app.open_flags(&admin).await;
    assert_eq!(flags.len(), 1, "10,000.00 is not over the threshold: {flags:?}");
    let flag = &flags[0];
    assert_eq!(flag["rule"], "LARGE_TRANSACTION");
    assert_eq!(flag["payment_id"], started["payment_id"]);
    assert_eq!(flag["details"]["amount_sar"], "10000.01");
    let path = format!("/api/v1/admin/compliance/flags/{}/resolve", id_of(flag, "id"));

    let decided =
        app.post_as(&admin.access, &path, &json!({"decision": "cleared", "note": "a workshop's engine order"})).await;
    assert_eq!(decided.status(), 200);
    let decided: Value = decided.json().await.unwrap();
    assert_eq!(decided["status"], "cleared");
    assert_eq!(decided["decided_by"], admin.user_id.to_string());
    let again = app.post_as(&admin.access, &path, &json!({"decision": "reported"})).await;
    assert_eq!(again.status(), 409);
    assert!(app.open_flags(&admin).await.is_empty());
    assert!(app.audit_events(admin.user_id).await.contains(&"compliance.flag_resolved".to_string()));
    let bad = app.post_as(&admin.access, &path, &json!({"decision": "ignored"})).await;
    assert_eq!(bad.status(), 400);
    let as_buyer = app.get_as(&buyer.access, "/api/v1/admin/compliance/flags").await;
    assert_eq!(as_buyer.status(), 403);
}

#[tokio::test]
async fn the_sixth_payment_attempt_within_an_hour_is_flagged() {
    let app = spawn_sandbox_shop().await;
    let admin = app.admin("admin@example.com").await;
    let (buyer, order) = ordered(&app, "rapid").await;
    let order_id = id_of(&order, "id");
    let mut attempts = Vec::new();
    for _ in 0..6 {
        attempts.push(id_of(&app.start_payment_ok(&buyer, &order_id, "card").await, "payment_id"));
    }

    let flags = app.open_flags(&admin).await;

    assert_eq!(flags.len(), 1, "{flags:?}");
    assert_eq!(flags[0]["rule"], "RAPID_TRANSACTIONS");
    assert_eq!(flags[0]["payment_id"], attempts[5].as_str());
    assert_eq!(flags[0]["details"]["order_attempts_last_hour"], 6);
    // An hour later the count starts again.
    app.clock.advance(chrono::Duration::minutes(61));
    let later = app.sign_in_again(&buyer, "rapid@example.com").await;
    let (_, ids) = app.shop("seller-rapid-2", &[("R-2", "10.00", 5)]).await;
    let another = app.order_ok(&later, &[(ids[0], 1)]).await;
    app.start_payment_ok(&later, &id_of(&another, "id"), "card").await;
    let admin = app.sign_in_again(&admin, "admin@example.com").await;
    assert_eq!(app.open_flags(&admin).await.len(), 1);
}

#[tokio::test]
async fn the_sandbox_takes_a_newcomer_from_checkout_to_invoice_without_credentials() {
    let app = spawn_sandbox_shop().await;
    let (buyer, order) = ordered(&app, "newcomer").await;
    let order_id = id_of(&order, "id");

    let started = app.start_payment_ok(&buyer, &order_id, "mada").await;

    assert_eq!(started["provider"], "sandbox");
    let page_url = started["checkout"]["redirect_url"].as_str().unwrap().to_string();
    let page_path = &page_url[page_url.find("/api/v1/sandbox/").unwrap()..];
    let page = app.client.get(app.url(page_path)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("230.00") && html.contains("value=\"approve\""), "{html}");
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let decided = no_redirects.post(app.url(page_path)).form(&[("decision", "approve")]).send().await.unwrap();
    assert_eq!(decided.status(), 303);
    let location = decided.headers()["location"].to_str().unwrap().to_string();
    let payment_id = id_of(&started, "payment_id");
    assert!(location.ends_with(&format!("/api/v1/payments/{payment_id}/return")), "{location}");
    let twice = no_redirects.post(app.url(page_path)).form(&[("decision", "decline")]).send().await.unwrap();
    assert_eq!(twice.status(), 404, "a decided checkout is decided");

    let back = app.return_from_provider(&payment_id, &[]).await;

    assert_eq!(back["status"], "paid");
    assert_eq!(app.status_of(&order_id).await, "paid");
    let invoices = invoices_of(&app, &buyer, &order_id).await;
    assert_eq!(invoices.len(), 1);
    assert_eq!(invoices[0]["total_sar"], "230.00");
}

#[tokio::test]
async fn cancelling_a_paid_order_refunds_it() {
    let app = spawn_sandbox_shop().await;
    let (buyer, order) = ordered(&app, "regret").await;
    let order_id = id_of(&order, "id");
    let payment_id = sandbox_paid(&app, &buyer, &order_id).await;

    let cancelled = app.post_as(&buyer.access, &format!("/api/v1/orders/{order_id}/cancel"), &json!({})).await;
    assert_eq!(cancelled.status(), 200);

    app.eventually("the refund of the cancelled order", || async { app.status_of(&order_id).await == "refunded" })
        .await;
    assert_eq!(app.payment_status(&payment_id).await, "refunded");
    let refunds = app
        .count_for("SELECT count(*) FROM payment_refunds WHERE payment_id = $1 AND status = 'refunded'", &payment_id)
        .await;
    assert_eq!(refunds, 1);
    assert_eq!(events(&app, &order_id, "order.refunded").await, 1);
}

#[tokio::test]
async fn money_that_arrives_after_the_order_expired_goes_back() {
    let app = spawn_sandbox_shop().await;
    let (buyer, order) = ordered(&app, "late").await;
    let order_id = id_of(&order, "id");
    let started = app.start_payment_ok(&buyer, &order_id, "card").await;
    let payment_id = id_of(&started, "payment_id");
    app.clock.advance(chrono::Duration::seconds(901));
    app.eventually("the order to expire", || async { app.status_of(&order_id).await == "expired" }).await;

    sandbox_decide(&app, &started, "approve").await;
    let back = app.return_from_provider(&payment_id, &[]).await;

    assert_eq!(back["status"], "refunded");
    assert_eq!(app.status_of(&order_id).await, "expired", "an expired order is not revived");
    let buyer = app.sign_in_again(&buyer, "late@example.com").await;
    assert!(invoices_of(&app, &buyer, &order_id).await.is_empty());
    let payment: Value =
        app.get_as(&buyer.access, &format!("/api/v1/payments/{payment_id}")).await.json().await.unwrap();
    assert_eq!(payment["refunded_sar"], "230.00");
    assert_eq!(payment["refunds"][0]["status"], "refunded");
}

#[tokio::test]
async fn no_card_number_reaches_the_database_or_the_log() {
    let log = crate::log_capture::install();
    let app = spawn_pay_app().await;
    let (buyer, order) = ordered(&app, "pan").await;
    let order_id = id_of(&order, "id");
    hyperpay_opens_checkouts(&app.hyperpay, CARD_ENTITY, "CHK-PAN").await;
    let payment_id = id_of(&app.start_payment_ok(&buyer, &order_id, "card").await, "payment_id");
    // A provider answer carrying what it never should: the whole test card number and CVV.
    let mut leaky = hyperpay_payment(&payment_id, "230.00", "000.100.110", "VISA");
    leaky["card"]["number"] = json!("4111111111111111");
    leaky["card"]["cvv"] = json!("737");
    leaky["card"]["bin"] = json!("411111");
    leaky["card"]["last4Digits"] = json!("1111");
    hyperpay_status_answers(&app.hyperpay, "CHK-PAN", CARD_ENTITY, &leaky, None).await;
    let (body, iv, tag) = hyperpay_notification(&leaky, WEBHOOK_KEY);
    let response = app
        .client
        .post(app.url("/api/v1/webhooks/hyperpay"))
        .header("x-initialization-vector", iv)
        .header("x-authentication-tag", tag)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(app.status_of(&order_id).await, "paid");

    let dump = std::process::Command::new("pg_dump")
        .arg("--data-only")
        .arg(format!("{}/{}", crate::helpers::server_url(), app.db_name))
        .output()
        .expect("pg_dump runs");
    assert!(dump.status.success(), "{}", String::from_utf8_lossy(&dump.stderr));
    let dump = String::from_utf8_lossy(&dump.stdout);
    assert!(dump.contains("411111") && dump.contains(&payment_id), "the dump holds the payment");
    assert!(!dump.contains("4111111111111111"), "a card number in the database");
    assert!(!dump.contains("\"737\""), "a CVV in the database");
    let logged = log.contents();
    assert!(logged.contains(&payment_id) || logged.contains("webhooks/hyperpay"), "the log was captured");
    assert!(!logged.contains("4111111111111111"), "a card number in the log");
}

/// Pays `order_id` through the sandbox: start, approve, return. The payment's id.
async fn sandbox_paid(app: &ShopApp, buyer: &Session, order_id: &str) -> String {
    let started = app.start_payment_ok(buyer, order_id, "mada").await;
    sandbox_decide(app, &started, "approve").await;
    let payment_id = id_of(&started, "payment_id");
    assert_eq!(app.return_from_provider(&payment_id, &[]).await["status"], "paid");
    payment_id
}

async fn sandbox_decide(app: &ShopApp, started: &Value, decision: &str) {
    let page_url = started["checkout"]["redirect_url"].as_str().unwrap();
    let page_path = &page_url[page_url.find("/api/v1/sandbox/").unwrap()..];
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let decided = no_redirects.post(app.url(page_path)).form(&[("decision", decision)]).send().await.unwrap();
    assert_eq!(decided.status(), 303);
}

#[tokio::test]
async fn a_provider_that_gives_a_checkout_id_twice_is_refused_with_a_502() {
    let app = spawn_pay_app().await;
    let (buyer, order) = ordered(&app, "twice").await;
    let (order_id, number) = (id_of(&order, "id"), id_of(&order, "number"));
    tap_opens_charges(&app.tap, &tap_charge("chg_SAME", "", &number, 230.0, "INITIATED")).await;
    app.start_payment_ok(&buyer, &order_id, "tap").await;

    let again = app.start_payment(&buyer, &order_id, "tap").await;

    assert_eq!(again.status(), 502);
    let body: Value = again.json().await.unwrap();
    assert_eq!(body["error"]["code"], "PAYMENT_PROVIDER_ERROR");
    let failed =
        app.count_for("SELECT count(*) FROM payments WHERE order_id = $1 AND status = 'failed'", &order_id).await;
    assert_eq!(failed, 1, "the second attempt is closed as failed");
}
