//! The sandbox: a payment provider that runs inside the service, for development and
//! demonstrations. It behaves as the real providers do — a checkout, a page where the
//! shopper decides, a return to the service, a status query that is the only word
//! believed, refunds within what was paid — but no money and no card ever pass through
//! it: its page offers "approve" and "decline", nothing else.
//!
//! Its result codes are HyperPay's, so they read the same way: `000.100.110` paid,
//! `000.200.000` still open, `800.100.100` declined. Production refuses to start with it.

use async_trait::async_trait;
use sqlx::PgPool;
use uuid::Uuid;

use super::{
    Checkout, CheckoutRequest, NextStep, PaymentProvider, ProviderError, ProviderPayment, ProviderRefund,
    RefundRequest, RefundState, endpoint,
};
use crate::payments::model::{Method, ProviderName};
use crate::payments::result_codes::classify;
use crate::payments::store::sandbox::{self as store, SandboxCheckout};
use crate::platform::money::Halalas;

pub const APPROVED: &str = "000.100.110";
pub const OPEN: &str = "000.200.000";
pub const DECLINED: &str = "800.100.100";

/// The sandbox keeps its own books, on its own (the system's) clock, as a provider does.
pub struct Sandbox {
    db: PgPool,
    public_url: String,
}

/// The shopper's choice on the sandbox's page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Decline,
}

impl Sandbox {
    pub fn new(db: PgPool, public_url: String) -> Sandbox {
        Sandbox { db, public_url }
    }

    /// The page of checkout `id`, relative to the service.
    pub fn page_path(id: &str) -> String {
        format!("/api/v1/sandbox/checkouts/{id}")
    }

    pub async fn checkout(&self, id: &str) -> Result<Option<SandboxCheckout>, ProviderError> {
        Ok(store::get(&self.db, id).await?)
    }

    /// Records the shopper's decision; where to send them back, or `None` when the
    /// checkout is unknown or decided already.
    pub async fn decide(&self, id: &str, decision: Decision) -> Result<Option<String>, ProviderError> {
        let status = match decision {
            Decision::Approve => "approved",
            Decision::Decline => "declined",
        };
        let decided = store::decide(&self.db, id, status, chrono::Utc::now()).await?;
        Ok(decided.map(|checkout| checkout.return_url))
    }
}

fn brand(method: Method) -> &'static str {
    match method {
        Method::Mada => "MADA",
        Method::Card | Method::Tap => "VISA",
        Method::Applepay => "APPLEPAY",
    }
}

#[async_trait]
impl PaymentProvider for Sandbox {
    fn name(&self) -> ProviderName {
        ProviderName::Sandbox
    }

    async fn create_checkout(&self, request: &CheckoutRequest) -> Result<Checkout, ProviderError> {
        let id = format!("sbx_{}", Uuid::new_v4().simple());
        let checkout = SandboxCheckout {
            id: id.clone(),
            reference: request.payment_id.to_string(),
            amount_halalas: request.amount.get(),
            brand: brand(request.method).to_string(),
            return_url: request.return_url.clone(),
            status: "initiated".to_string(),
        };
        store::insert(&self.db, &checkout, chrono::Utc::now()).await?;
        let url = endpoint(&self.public_url, &Sandbox::page_path(&id));
        Ok(Checkout { checkout_id: id, next: NextStep::Redirect { url } })
    }

    async fn payment_status(&self, _method: Method, checkout_id: &str) -> Result<ProviderPayment, ProviderError> {
        let Some(checkout) = store::get(&self.db, checkout_id).await? else {
            return Err(ProviderError::Refused {
                provider: "sandbox",
                code: "200.300.404".into(),
                message: "no such checkout".into(),
            });
        };
        let (code, description) = match checkout.status.as_str() {
            "approved" => (APPROVED, "approved in the sandbox"),
            "declined" => (DECLINED, "declined in the sandbox"),
            _ => (OPEN, "waiting for the shopper"),
        };
        let approved = checkout.status == "approved";
        Ok(ProviderPayment {
            outcome: classify(code),
            provider_payment_id: approved.then(|| checkout.id.clone()),
            reference: Some(checkout.reference),
            order_reference: None,
            amount: Some(Halalas::new(checkout.amount_halalas)),
            currency: Some("SAR".into()),
            brand: approved.then_some(checkout.brand),
            card_bin: None,
            card_last4: None,
            result_code: code.into(),
            result_description: description.into(),
        })
    }

    async fn refund(&self, request: &RefundRequest) -> Result<ProviderRefund, ProviderError> {
        let id = format!("sbx_rf_{}", request.refund_id.simple());
        let refunded =
            store::refund(&self.db, &id, &request.provider_payment_id, request.amount.get(), chrono::Utc::now())
                .await?;
        Ok(match refunded {
            Some(id) => ProviderRefund {
                provider_refund_id: Some(id),
                state: RefundState::Refunded,
                result_code: APPROVED.into(),
            },
            None => {
                ProviderRefund { provider_refund_id: None, state: RefundState::Failed, result_code: DECLINED.into() }
            }
        })
    }

    async fn refund_status(&self, _method: Method, provider_refund_id: &str) -> Result<ProviderRefund, ProviderError> {
        let state = if store::refund_exists(&self.db, provider_refund_id).await? {
            RefundState::Refunded
        } else {
            RefundState::Failed
        };
        Ok(ProviderRefund { provider_refund_id: Some(provider_refund_id.into()), state, result_code: String::new() })
    }
}
