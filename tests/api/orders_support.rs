//! Harness of the orders tests: a server whose clock the test moves, sellers with
//! listings, buyers, and shortcuts for placing and paying orders.

use std::ops::Deref;

use serde_json::{Value, json};
use uuid::Uuid;

use crate::auth_support::{AuthApp, PASSWORD, Session, spawn_auth_app_with};
use crate::helpers::{ndjson, record};

/// A test server for orders: the auth harness, with the orders module on the same clock.
pub struct ShopApp {
    pub app: AuthApp,
}

impl Deref for ShopApp {
    type Target = AuthApp;

    fn deref(&self) -> &AuthApp {
        &self.app
    }
}

pub async fn spawn_shop() -> ShopApp {
    spawn_shop_with(|_| {}).await
}

pub async fn spawn_shop_with(adjust: impl FnOnce(&mut cargoparts::platform::config::Settings)) -> ShopApp {
    let app = spawn_auth_app_with(|settings| {
        settings.orders.expiry_sweep_interval_secs = 1;
        // Tests sign many buyers up from one address.
        settings.rate_limit.auth.limit = 1000;
        adjust(settings);
    })
    .await;
    ShopApp { app }
}

/// A seller with an API key and listings.
pub struct Shop {
    pub seller_id: Uuid,
    pub key: String,
}

/// A shipping address as shoppers type it.
pub fn address() -> Value {
    json!({
        "name": "Noura Al-Qahtani",
        "phone": "0501234567",
        "city": "الرياض",
        "district": "Al Olaya",
        "street": "King Fahd Road",
        "building_number": "1234",
        "postal_code": "12345",
        "additional_number": "5678"
    })
}

/// An order body for `items` (listing, units).
pub fn order_body(items: &[(Uuid, u32)]) -> Value {
    json!({
        "items": items.iter().map(|(id, quantity)| json!({"listing_id": id, "quantity": quantity})).collect::<Vec<_>>(),
        "shipping_address": address(),
    })
}

impl ShopApp {
    /// Signs `session`'s account in again (after the clock passed its token's lifetime).
    pub async fn sign_in_again(&self, session: &Session, email: &str) -> Session {
        let tokens = self.login_ok(&json!({"email": email, "password": PASSWORD})).await;
        Session {
            user_id: session.user_id,
            access: tokens["access_token"].as_str().unwrap().to_string(),
            refresh: tokens["refresh_token"].as_str().unwrap().to_string(),
        }
    }

    /// A seller `external_id` listing `(sku, price, quantity)`s; returns it and the listings' ids.
    pub async fn shop(&self, external_id: &str, listings: &[(&str, &str, i64)]) -> (Shop, Vec<Uuid>) {
        let (seller_id, key) = self.seller_with_key(external_id).await;
        let records: Vec<Value> = listings
            .iter()
            .map(|(sku, price, quantity)| {
                let mut r = record(sku);
                r["price_sar"] = json!(price);
                r["quantity"] = json!(quantity);
                r
            })
            .collect();
        let response = self.post_inventory(&key, "application/x-ndjson", ndjson(&records)).await;
        assert!(response.status().is_success(), "{}", response.text().await.unwrap());
        let mut ids = Vec::new();
        for (sku, _, _) in listings {
            ids.push(self.listing_id(seller_id, sku).await);
        }
        (Shop { seller_id, key }, ids)
    }

    pub async fn listing_id(&self, seller_id: Uuid, sku: &str) -> Uuid {
        sqlx::query_scalar("SELECT id FROM listings WHERE seller_id = $1 AND sku = $2")
            .bind(seller_id)
            .bind(sku)
            .fetch_one(&self.db)
            .await
            .unwrap()
    }

    pub async fn listing_seller(&self, listing: Uuid) -> Uuid {
        sqlx::query_scalar("SELECT seller_id FROM listings WHERE id = $1")
            .bind(listing)
            .fetch_one(&self.db)
            .await
            .unwrap()
    }

    pub async fn quantity(&self, listing: Uuid) -> i32 {
        sqlx::query_scalar("SELECT quantity FROM listings WHERE id = $1")
            .bind(listing)
            .fetch_one(&self.db)
            .await
            .unwrap()
    }

    /// Places an order with a fresh idempotency key.
    pub async fn order(&self, buyer: &Session, body: &Value) -> reqwest::Response {
        self.order_with_key(buyer, &Uuid::new_v4().to_string(), body).await
    }

    pub async fn order_with_key(&self, buyer: &Session, key: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/orders"))
            .bearer_auth(&buyer.access)
            .header("idempotency-key", key)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Places an order and expects it to be created.
    pub async fn order_ok(&self, buyer: &Session, items: &[(Uuid, u32)]) -> Value {
        let response = self.order(buyer, &order_body(items)).await;
        assert_eq!(response.status(), 201);
        response.json().await.unwrap()
    }

    /// Marks the order paid as an administrator recording a bank transfer.
    pub async fn pay(&self, admin: &Session, order_id: &str) -> reqwest::Response {
        self.post_as(
            &admin.access,
            &format!("/api/v1/admin/orders/{order_id}/mark-paid"),
            &json!({"reference": "TRX-1001"}),
        )
        .await
    }

    /// A seller's move on its group, with its API key.
    pub async fn seller_post(&self, key: &str, path: &str, body: &Value) -> reqwest::Response {
        self.client.post(self.url(path)).bearer_auth(key).json(body).send().await.unwrap()
    }

    pub async fn status_of(&self, order_id: &str) -> String {
        sqlx::query_scalar("SELECT status FROM orders WHERE id = $1::uuid")
            .bind(order_id)
            .fetch_one(&self.db)
            .await
            .unwrap()
    }

    pub async fn topics(&self, order_id: &str) -> Vec<String> {
        sqlx::query_scalar("SELECT topic FROM event_outbox WHERE subject_id = $1::uuid ORDER BY seq")
            .bind(order_id)
            .fetch_all(&self.db)
            .await
            .unwrap()
    }
}
