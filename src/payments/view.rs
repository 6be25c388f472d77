//! Payments as the API shows them.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::model::{Method, PaymentStatus, ProviderName, RefundStatus};
use super::providers::NextStep;
use super::start::Started;
use super::store::audit::AuditRow;
use super::store::payments::PaymentRecord;
use super::store::refunds::RefundRecord;

/// A payment just opened, and how the shopper's page goes on.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentStarted {
    pub payment_id: Uuid,
    /// The provider that opened the checkout (the fallback one when the first was down).
    pub provider: ProviderName,
    pub method: Method,
    /// `initiated`: the shopper has not paid yet.
    pub status: PaymentStatus,
    /// The order's total, VAT included.
    #[schema(example = "230.00")]
    pub amount_sar: String,
    pub checkout: CheckoutView,
}

/// How the shopper pays: HyperPay's widget on our page, or the provider's own page.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum CheckoutView {
    /// Load `script_url`, then a `<form action="{shopper_result_url}" class="paymentWidgets"
    /// data-brands="{brands}">`.
    Widget { checkout_id: String, script_url: String, brands: String, shopper_result_url: String },
    /// Send the shopper to `redirect_url`; they come back to the payment's return URL.
    Redirect { redirect_url: String },
}

impl PaymentStarted {
    pub fn of(started: Started) -> PaymentStarted {
        let payment = started.payment;
        let checkout = match started.next {
            NextStep::Widget { script_url, brands } => CheckoutView::Widget {
                checkout_id: payment.checkout_id.clone().unwrap_or_default(),
                script_url,
                brands,
                shopper_result_url: started.return_url,
            },
            NextStep::Redirect { url } => CheckoutView::Redirect { redirect_url: url },
        };
        PaymentStarted {
            payment_id: payment.id,
            provider: payment.provider,
            method: payment.method,
            status: payment.status,
            amount_sar: payment.amount.to_string(),
            checkout,
        }
    }
}

/// A payment, for its buyer and administrators.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentView {
    pub payment_id: Uuid,
    pub order_id: Uuid,
    pub provider: ProviderName,
    pub method: Method,
    pub status: PaymentStatus,
    #[schema(example = "230.00")]
    pub amount_sar: String,
    /// What went back to the shopper so far.
    #[schema(example = "0.00")]
    pub refunded_sar: String,
    pub currency: String,
    /// `MADA`, `VISA`, `MASTER`, `APPLEPAY`, once paid.
    pub brand: Option<String>,
    /// The card's last four digits, once paid: nothing more of a card is kept.
    pub card_last4: Option<String>,
    /// The provider's result code (HyperPay's `000.100.110`, Tap's `CAPTURED`).
    pub result_code: Option<String>,
    pub result_description: Option<String>,
    pub refunds: Vec<RefundView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl PaymentView {
    pub fn of(payment: &PaymentRecord, refunds: &[RefundRecord]) -> PaymentView {
        PaymentView {
            payment_id: payment.id,
            order_id: payment.order_id,
            provider: payment.provider,
            method: payment.method,
            status: payment.status,
            amount_sar: payment.amount.to_string(),
            refunded_sar: payment.refunded.to_string(),
            currency: payment.currency.clone(),
            brand: payment.brand.clone(),
            card_last4: payment.card_last4.clone(),
            result_code: payment.result_code.clone(),
            result_description: payment.result_description.clone(),
            refunds: refunds.iter().map(RefundView::of).collect(),
            created_at: payment.created_at,
            updated_at: payment.updated_at,
        }
    }
}

/// Where a payment stands when the shopper comes back from the provider.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentReturn {
    pub payment_id: Uuid,
    pub order_id: Uuid,
    /// `paid` once the provider confirmed it; `pending` or `initiated` while it has not
    /// decided (the service keeps asking); `failed` when declined.
    pub status: PaymentStatus,
}

/// A refund.
#[derive(Debug, Serialize, ToSchema)]
pub struct RefundView {
    pub id: Uuid,
    pub payment_id: Uuid,
    #[schema(example = "50.00")]
    pub amount_sar: String,
    pub reason: String,
    pub status: RefundStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl RefundView {
    pub fn of(refund: &RefundRecord) -> RefundView {
        RefundView {
            id: refund.id,
            payment_id: refund.payment_id,
            amount_sar: refund.amount.to_string(),
            reason: refund.reason.clone(),
            status: refund.status,
            created_at: refund.created_at,
            updated_at: refund.updated_at,
        }
    }
}

/// A payment with its audit trail, for administrators.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentAudit {
    pub payment: PaymentView,
    pub history: Vec<AuditRow>,
}
