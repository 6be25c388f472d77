//! Payments: mada and cards through HyperPay, Tap's hosted page, and the built-in
//! sandbox for development.
//!
//! - [`start`]: a buyer opens a payment of an order (screened by transaction
//!   monitoring; the fallback provider takes over when the chosen one is down).
//! - [`confirm`]: whatever announces a payment (the shopper's return, a webhook, the
//!   poller) leads here, and here the provider is asked: nothing a browser or a
//!   notification says is believed until the provider's own status query says it. The
//!   order is marked paid once, in the transaction that records the payment.
//! - [`refunds`]: never more than what was captured, in total; automatic when a paid
//!   order is cancelled, or when money arrives for an order that can no longer take it.
//! - [`poller`]: asks about payments still open, with backoff; retries refunds.
//! - [`webhooks`]: HyperPay's encrypted and Tap's signed notifications, authenticated.
//!
//! Of a card only the brand, BIN and last four digits are kept; the providers' answers
//! are read into types that have no field for more.

pub mod breaker;
pub mod confirm;
pub mod error;
pub mod gateway;
pub mod model;
pub mod poller;
pub mod providers;
pub mod refunds;
pub mod result_codes;
mod routes;
pub mod start;
pub mod store;
pub mod view;
pub mod webhooks;

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;

pub use error::PaymentError;
pub use routes::{routes, sandbox_routes};

use crate::orders::OrdersState;
use crate::platform::config::Settings;
use gateway::Gateway;
use model::ProviderName;
use providers::PaymentProvider;
use providers::hyperpay::HyperPay;
use providers::sandbox::Sandbox;
use providers::tap::Tap;

/// What the payments module works with.
#[derive(Clone)]
pub struct PaymentsState {
    pub db: PgPool,
    pub settings: Arc<Settings>,
    /// The orders a payment pays; its clock is the payments' clock.
    pub orders: OrdersState,
    pub gateway: Arc<Gateway>,
    /// The sandbox, when it serves (its page is ours to show).
    pub sandbox: Option<Arc<Sandbox>>,
}

impl PaymentsState {
    /// The providers the settings configure, with their shared HTTP client.
    pub fn new(db: PgPool, settings: Arc<Settings>, orders: OrdersState) -> anyhow::Result<PaymentsState> {
        let payments = &settings.payments;
        let http = providers::http_client(Duration::from_millis(payments.provider_timeout_ms))?;
        let mut providers: Vec<Arc<dyn PaymentProvider>> = Vec::new();
        if let Some(hyperpay) = &payments.hyperpay {
            providers.push(Arc::new(HyperPay::new(hyperpay.clone(), http.clone())));
        }
        if let Some(tap) = &payments.tap {
            providers.push(Arc::new(Tap::new(tap.clone(), http.clone())));
        }
        let sandbox = payments
            .sandbox_enabled(settings.env)
            .then(|| Arc::new(Sandbox::new(db.clone(), payments.public_url.clone())));
        if let Some(sandbox) = &sandbox {
            tracing::info!("the sandbox payment provider is on: payments are simulated");
            providers.push(sandbox.clone());
        }
        let fallback = payments.fallback.as_deref().and_then(ProviderName::parse);
        let gateway = Arc::new(Gateway::new(providers, fallback));
        Ok(PaymentsState { db, settings, orders, gateway, sandbox })
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.orders.now()
    }

    /// A URL of this service, as shoppers and providers reach it.
    pub fn public_url(&self, path: &str) -> String {
        providers::endpoint(&self.settings.payments.public_url, path)
    }

    /// When a payment that has asked `polls` times is asked next: the initial delay,
    /// doubling, up to the maximum.
    pub fn poll_delay(&self, polls: i32) -> chrono::Duration {
        let payments = &self.settings.payments;
        let doubled = payments.poll_initial_delay_secs.saturating_mul(1u64 << polls.clamp(0, 16));
        chrono::Duration::seconds(doubled.min(payments.poll_max_delay_secs.max(1)) as i64)
    }
}
