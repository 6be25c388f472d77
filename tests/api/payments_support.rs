//! Harness of the payments tests: a shop whose HyperPay and Tap are local fake servers
//! (wiremock) speaking the providers' documented APIs, and the providers' side of a
//! payment: status answers, signed and encrypted notifications.

use std::ops::Deref;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use secrecy::SecretString;
use serde_json::{Value, json};
use sha2::Sha256;
use uuid::Uuid;
use wiremock::matchers::{body_string_contains, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use cargoparts::platform::config::{HyperPaySettings, Settings, TapSettings};

use crate::auth_support::Session;
use crate::orders_support::{ShopApp, spawn_shop_with};

pub const WEBHOOK_KEY: &str = "000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f";
pub const TAP_SECRET: &str = "sk_test_XKokBfNWv6FIYuTMg5sLPjhJ";
pub const MADA_ENTITY: &str = "8ac7a4c9-mada";
pub const CARD_ENTITY: &str = "8ac7a4c9-card";

/// A shop with fake HyperPay and Tap servers.
pub struct PayApp {
    pub shop: ShopApp,
    pub hyperpay: MockServer,
    pub tap: MockServer,
}

impl Deref for PayApp {
    type Target = ShopApp;

    fn deref(&self) -> &ShopApp {
        &self.shop
    }
}

/// A shop paying through the fake providers; `adjust` changes its settings last.
pub async fn spawn_pay_app_with(adjust: impl FnOnce(&mut Settings)) -> PayApp {
    let (hyperpay, tap) = (MockServer::start().await, MockServer::start().await);
    let (hyperpay_url, tap_url) = (hyperpay.uri(), tap.uri());
    let shop = spawn_shop_with(move |settings| {
        settings.payments.sandbox = Some(false);
        settings.payments.poll_interval_secs = 1;
        settings.payments.hyperpay = Some(HyperPaySettings {
            base_url: hyperpay_url,
            access_token: SecretString::from("OGE4Mjk0MTc0YjdlY2IyODAxNGI5Njk5MjIwMDE1Y2N8c3k2S0pzVDg="),
            entity_id_card: CARD_ENTITY.into(),
            entity_id_mada: MADA_ENTITY.into(),
            entity_id_applepay: None,
            webhook_key: SecretString::from(WEBHOOK_KEY),
            test_mode: true,
        });
        settings.payments.tap = Some(TapSettings { base_url: tap_url, secret_key: SecretString::from(TAP_SECRET) });
        adjust(settings);
    })
    .await;
    PayApp { shop, hyperpay, tap }
}

pub async fn spawn_pay_app() -> PayApp {
    spawn_pay_app_with(|_| {}).await
}

/// A shop with no provider configured: the built-in sandbox takes every payment.
pub async fn spawn_sandbox_shop() -> ShopApp {
    spawn_shop_with(|settings| {
        settings.payments.sandbox = Some(true);
        settings.payments.poll_interval_secs = 1;
    })
    .await
}

/// HyperPay's answer to a checkout created with `entity`.
pub async fn hyperpay_opens_checkouts(server: &MockServer, entity: &str, checkout_id: &str) {
    Mock::given(method("POST"))
        .and(path("/v1/checkouts"))
        .and(form_field("entityId", entity))
        .and(form_field("paymentType", "DB"))
        .and(form_field("currency", "SAR"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "result": {"code": "000.200.100", "description": "successfully created checkout"},
            "buildNumber": "0f6a6c0ba0c3b1e4b5ff1a2bdcd0d2f0c0b8f6a4@2026-12-01 10:00:00 +0000",
            "timestamp": "2026-12-03 14:25:09+0000",
            "ndc": format!("{checkout_id}.uat01-vm-tx04"),
            "id": checkout_id
        })))
        .mount(server)
        .await;
}

/// A HyperPay payment as its status query and notifications describe it.
pub fn hyperpay_payment(payment_id: &str, amount: &str, code: &str, brand: &str) -> Value {
    json!({
        "id": "8ac7a4a18e5b4c9a018e5c1b2c3d4e5f",
        "paymentType": "DB",
        "paymentBrand": brand,
        "amount": amount,
        "currency": "SAR",
        "descriptor": "4621.9842.8512 CargoParts",
        "merchantTransactionId": payment_id,
        "result": {"code": code, "description": "Request successfully processed in 'Merchant in Integrator Test Mode'"},
        "card": {"bin": "446404", "last4Digits": "0007", "holder": "Noura Al-Qahtani", "expiryMonth": "12",
                 "expiryYear": "2030"},
        "customer": {"givenName": "Noura", "surname": "Al-Qahtani"},
        "timestamp": "2026-12-03 14:26:41+0000",
        "ndc": "8ac7a4c9.uat01-vm-tx04"
    })
}

/// HyperPay's status query of `checkout_id` (asked with `entity`) answers `payment`,
/// `times` times (all the time when `None`).
pub async fn hyperpay_status_answers(
    server: &MockServer,
    checkout_id: &str,
    entity: &str,
    payment: &Value,
    times: Option<u64>,
) {
    let mock = Mock::given(method("GET"))
        .and(path(format!("/v1/checkouts/{checkout_id}/payment")))
        .and(query_param("entityId", entity))
        .respond_with(ResponseTemplate::new(200).set_body_json(payment));
    match times {
        Some(n) => mock.up_to_n_times(n).with_priority(1).mount(server).await,
        None => mock.with_priority(5).mount(server).await,
    }
}

/// HyperPay's notification of `payment`, encrypted with the webhook key: body, IV, tag (hex).
pub fn hyperpay_notification(payment: &Value, key_hex: &str) -> (String, String, String) {
    let plain = json!({"type": "PAYMENT", "action": null, "payload": payment}).to_string();
    let key = hex::decode(key_hex).unwrap();
    let iv: [u8; 12] = rand::random();
    let cipher = Aes256Gcm::new_from_slice(&key).unwrap();
    let nonce = Nonce::try_from(&iv[..]).unwrap();
    let sealed = cipher.encrypt(&nonce, Payload { msg: plain.as_bytes(), aad: &[] }).unwrap();
    let (body, tag) = sealed.split_at(sealed.len() - 16);
    (hex::encode_upper(body), hex::encode_upper(iv), hex::encode_upper(tag))
}

/// Tap's charge object in `status`.
pub fn tap_charge(charge_id: &str, payment_id: &str, order_number: &str, amount: f64, status: &str) -> Value {
    json!({
        "id": charge_id,
        "object": "charge",
        "live_mode": false,
        "status": status,
        "amount": amount,
        "currency": "SAR",
        "threeDSecure": true,
        "description": format!("CargoParts order {order_number}"),
        "reference": {"transaction": payment_id, "order": order_number, "gateway": "123456789", "payment": "3312345678"},
        "transaction": {"url": format!("https://checkout.tap.test/?chg={charge_id}"), "created": "1764771909000",
                        "timezone": "UTC+03:00"},
        "response": {"code": if status == "CAPTURED" { "000" } else { "100" }, "message": status},
        "card": {"object": "card", "first_six": "512345", "scheme": "MASTERCARD", "brand": "MASTERCARD",
                 "last_four": "0008"},
        "source": {"object": "token", "payment_method": "MASTERCARD"},
        "redirect": {"status": "PENDING", "url": "http://127.0.0.1/return"}
    })
}

/// Tap opens charges as `charge` (the answer to `POST /v2/charges`).
pub async fn tap_opens_charges(server: &MockServer, charge: &Value) {
    Mock::given(method("POST"))
        .and(path("/v2/charges"))
        .respond_with(ResponseTemplate::new(200).set_body_json(charge))
        .mount(server)
        .await;
}

/// Tap opens a new charge (a new id) for every `POST /v2/charges`, as it does.
pub async fn tap_opens_fresh_charges(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/v2/charges"))
        .respond_with(|request: &wiremock::Request| {
            let asked: Value = serde_json::from_slice(&request.body).unwrap_or_default();
            let id = format!("chg_{}", Uuid::new_v4().simple());
            let order = asked["reference"]["order"].as_str().unwrap_or_default().to_string();
            let payment = asked["reference"]["transaction"].as_str().unwrap_or_default().to_string();
            let amount = asked["amount"].as_f64().unwrap_or_default();
            ResponseTemplate::new(200).set_body_json(tap_charge(&id, &payment, &order, amount, "INITIATED"))
        })
        .mount(server)
        .await;
}

/// Tap's retrieval of `charge` answers it.
pub async fn tap_retrieves(server: &MockServer, charge: &Value) {
    let id = charge["id"].as_str().unwrap();
    Mock::given(method("GET"))
        .and(path(format!("/v2/charges/{id}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(charge))
        .mount(server)
        .await;
}

/// Tap's `hashstring` of a charge, computed as its documentation says.
pub fn tap_hashstring(charge: &Value, secret: &str) -> String {
    let amount = format!("{:.2}", charge["amount"].as_f64().unwrap());
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let signed = format!(
        "x_id{}x_amount{amount}x_currency{}x_gateway_reference{}x_payment_reference{}x_status{}x_created{}",
        text(&charge["id"]),
        text(&charge["currency"]),
        text(&charge["reference"]["gateway"]),
        text(&charge["reference"]["payment"]),
        text(&charge["status"]),
        text(&charge["transaction"]["created"]),
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(signed.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// A match on a form field of a request, for mocks that must see it.
pub fn form_field(name: &str, value: &str) -> impl wiremock::Match + use<> {
    body_string_contains(format!("{name}={value}"))
}

impl PayApp {
    /// Starts paying `order_id` with `method`.
    pub async fn start_payment(&self, buyer: &Session, order_id: &str, method: &str) -> reqwest::Response {
        self.post_as(&buyer.access, &format!("/api/v1/orders/{order_id}/payments"), &json!({"method": method})).await
    }
}

impl ShopApp {
    pub async fn start_payment_ok(&self, buyer: &Session, order_id: &str, method: &str) -> Value {
        let response = self
            .post_as(&buyer.access, &format!("/api/v1/orders/{order_id}/payments"), &json!({"method": method}))
            .await;
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_eq!(status, 201, "{body}");
        body
    }

    /// The shopper's return from the provider.
    pub async fn return_from_provider(&self, payment_id: &str, query: &[(&str, &str)]) -> Value {
        let response = self
            .client
            .get(self.url(&format!("/api/v1/payments/{payment_id}/return")))
            .query(query)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    pub async fn payment_status(&self, payment_id: &str) -> String {
        sqlx::query_scalar("SELECT status FROM payments WHERE id = $1::uuid")
            .bind(payment_id)
            .fetch_one(&self.db)
            .await
            .unwrap()
    }

    pub async fn count_for(&self, sql: &'static str, id: &str) -> i64 {
        sqlx::query_scalar(sql).bind(Uuid::parse_str(id).unwrap()).fetch_one(&self.db).await.unwrap()
    }

    /// The open flags of the review queue, as an administrator reads them.
    pub async fn open_flags(&self, admin: &Session) -> Vec<Value> {
        let response = self.get_as(&admin.access, "/api/v1/admin/compliance/flags?status=open&limit=100").await;
        assert_eq!(response.status(), 200);
        let page: Value = response.json().await.unwrap();
        page["data"].as_array().unwrap().clone()
    }

    /// Waits until `check` holds, the way a poller's work is waited for.
    pub async fn eventually<F, Fut>(&self, what: &str, mut check: F)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = bool>,
    {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while !check().await {
            assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}
