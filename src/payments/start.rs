//! Opening a payment: a buyer chooses how to pay an order; the payment is recorded and
//! screened, then the provider opens a checkout (or the fallback provider does).

use uuid::Uuid;

use super::model::{Method, PaymentStatus, ProviderName};
use super::providers::{CheckoutRequest, Customer, NextStep, ProviderError};
use super::store::audit::{self, AuditEntry};
use super::store::payments::{self as store, NewPayment, PaymentRecord};
use super::{PaymentError, PaymentsState};
use crate::compliance::monitoring::{self, Attempt};
use crate::orders::lifecycle;
use crate::platform::money::Halalas;

/// A payment opened, and what the shopper's page does next.
#[derive(Debug, Clone)]
pub struct Started {
    pub payment: PaymentRecord,
    pub next: NextStep,
    /// Where a HyperPay widget's form sends the shopper when done.
    pub return_url: String,
}

/// The return URL of a payment.
pub fn return_path(payment_id: Uuid) -> String {
    format!("/api/v1/payments/{payment_id}/return")
}

/// Opens a payment of `order_id` for its buyer with `method`.
pub async fn start(
    state: &PaymentsState,
    buyer: Uuid,
    order_id: Uuid,
    method: Method,
    request_id: Option<&str>,
) -> Result<Started, PaymentError> {
    let primary = state.gateway.primary(method).ok_or(PaymentError::MethodUnavailable(method))?;
    let now = state.now();
    let created = now;
    let payment_id = Uuid::now_v7();
    let actor = format!("buyer:{buyer}");

    let mut tx = state.db.begin().await?;
    let order = lifecycle::lock_payable(&mut tx, order_id, buyer, now).await?;
    let new = NewPayment {
        id: payment_id,
        order_id,
        buyer_id: buyer,
        provider: primary,
        method,
        amount: order.total,
        first_poll_at: now + state.poll_delay(0),
    };
    store::insert(&mut *tx, &new, now).await?;
    let (by_buyer, on_order) =
        store::attempts_since(&mut *tx, buyer, order_id, now - chrono::Duration::hours(1)).await?;
    let attempt = Attempt {
        payment_id,
        order_id,
        buyer_id: buyer,
        amount: order.total,
        buyer_attempts_last_hour: by_buyer,
        order_attempts_last_hour: on_order,
    };
    let flags = monitoring::screen(&mut tx, &attempt, now).await?;
    let entry = AuditEntry::change(payment_id, None, PaymentStatus::Initiated.as_str(), &actor)
        .request(request_id)
        .details(serde_json::json!({ "provider": primary, "method": method, "flags": flags }));
    audit::append(&mut *tx, &entry, now).await?;
    tx.commit().await?;

    let (given_name, surname) = Customer::split_name(&order.address.name);
    let email = crate::auth::users::by_id(&state.db, buyer).await.map_err(anyhow::Error::from)?.and_then(|u| u.email);
    let return_url = state.public_url(&return_path(payment_id));
    let request = CheckoutRequest {
        payment_id,
        order_number: order.number.clone(),
        method,
        amount: order.total,
        customer: Customer {
            given_name,
            surname,
            email,
            phone: state.orders.open_phone(&order)?.map(|p| p.as_str().to_string()).unwrap_or_default(),
            street: match &order.address.building_number {
                Some(building) => format!("{building} {}", order.address.street),
                None => order.address.street.clone(),
            },
            city: order.address.city.clone(),
            postcode: order.address.postal_code.clone(),
        },
        return_url: return_url.clone(),
        webhook_url: state.public_url(&format!("/api/v1/webhooks/{}", ProviderName::Tap.as_str())),
    };
    let opened = match state.gateway.create_checkout(primary, &request).await {
        Ok((provider, checkout)) => {
            let now = state.now();
            let entry = AuditEntry::change(
                payment_id,
                Some(PaymentStatus::Initiated.as_str()),
                PaymentStatus::Initiated.as_str(),
                &actor,
            )
            .request(request_id)
            .details(serde_json::json!({ "checkout_opened_by": provider, "fallback": provider != primary }));
            match store::set_checkout(&state.db, payment_id, provider, &checkout.checkout_id, &entry, now).await {
                Ok(()) => Ok((provider, checkout, now)),
                // A provider never gives one id twice; if it did, the payment cannot be told apart.
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(ProviderError::Unreadable {
                    provider: provider.as_str(),
                    reason: "a checkout id it had given before".into(),
                }),
                Err(error) => return Err(error.into()),
            }
        }
        Err(error) => Err(error),
    };
    match opened {
        Ok((provider, checkout, now)) => {
            let payment = PaymentRecord {
                id: payment_id,
                order_id,
                buyer_id: buyer,
                provider,
                method,
                status: PaymentStatus::Initiated,
                amount: order.total,
                currency: "SAR".into(),
                checkout_id: Some(checkout.checkout_id),
                provider_payment_id: None,
                brand: None,
                card_bin: None,
                card_last4: None,
                result_code: None,
                result_description: None,
                settled_order: false,
                refunded: Halalas::ZERO,
                next_poll_at: Some(new.first_poll_at),
                polls: 0,
                created_at: created,
                updated_at: now,
            };
            Ok(Started { payment, next: checkout.next, return_url })
        }
        Err(error) => {
            let now = state.now();
            let reason = error.to_string();
            let mut tx = state.db.begin().await?;
            store::close(&mut *tx, payment_id, PaymentStatus::Failed, &truncate(&reason, 255), now).await?;
            let entry = AuditEntry::change(
                payment_id,
                Some(PaymentStatus::Initiated.as_str()),
                PaymentStatus::Failed.as_str(),
                &actor,
            )
            .request(request_id)
            .details(serde_json::json!({ "error": truncate(&reason, 500) }));
            audit::append(&mut *tx, &entry, now).await?;
            tx.commit().await?;
            metrics::counter!("payments_processed_total", "provider" => primary.as_str(), "method" => method.as_str(), "result" => "checkout_failed").increment(1);
            Err(error.into())
        }
    }
}

pub(crate) fn truncate(text: &str, chars: usize) -> String {
    text.chars().take(chars).collect()
}
