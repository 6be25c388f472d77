//! Orders: checkout with idempotency keys and stock that never oversells, the order's
//! state machine, sellers' fulfilment, the expiry of unpaid orders, and the simplified
//! tax invoices issued when an order is paid.
//!
//! Only `routes` speaks HTTP; the rest returns [`OrderError`]. Other modules reach
//! orders through this face: [`lifecycle::mark_paid`] is what a confirmed payment calls.

pub mod address;
pub mod checkout;
pub mod contact;
pub mod error;
pub mod expiry;
pub mod fulfilment;
pub mod invoices;
pub mod lifecycle;
pub mod model;
pub mod privacy;
pub mod reading;
mod routes;
pub mod state;
pub mod store;
pub mod view;

use std::sync::Arc;

use sqlx::PgPool;
use uuid::Uuid;

pub use error::OrderError;
pub use routes::routes;

use crate::auth::keys::Keys;
use crate::platform::clock::{Clock, SystemClock};
use crate::platform::config::Settings;
use crate::platform::phone::Phone;
use store::OrderRecord;

/// What the orders module works with.
#[derive(Clone)]
pub struct OrdersState {
    pub db: PgPool,
    pub settings: Arc<Settings>,
    /// Seals the shipping phone at rest, as account phones are.
    pub keys: Arc<Keys>,
    pub clock: Arc<dyn Clock>,
}

impl OrdersState {
    pub fn new(db: PgPool, settings: Arc<Settings>, keys: Arc<Keys>) -> OrdersState {
        OrdersState { db, settings, keys, clock: Arc::new(SystemClock) }
    }

    /// The time now, at the microsecond precision PostgreSQL keeps, so an order
    /// answered from memory reads the same as one read back.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        use chrono::SubsecRound;
        self.clock.now().trunc_subsecs(6)
    }

    fn seal_phone(&self, order_id: Uuid, phone: &Phone) -> String {
        self.keys.cipher.seal(phone.as_str().as_bytes(), &phone_context(order_id))
    }

    /// The shipping phone of `order`, opened; `None` once its buyer was erased.
    pub fn open_phone(&self, order: &OrderRecord) -> Result<Option<Phone>, OrderError> {
        let Some(sealed) = &order.phone_sealed else { return Ok(None) };
        let bytes = self.keys.cipher.open(sealed, &phone_context(order.id))?;
        Ok(Some(Phone::from_e164(String::from_utf8(bytes).map_err(anyhow::Error::from)?)))
    }
}

/// Binds a sealed phone to its order, so it cannot be copied onto another row.
fn phone_context(order_id: Uuid) -> Vec<u8> {
    format!("orders.shipping_phone:{order_id}").into_bytes()
}
