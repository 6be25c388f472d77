//! The outside payment providers: one trait, a real HTTP client for each provider,
//! the sandbox that runs inside the service, and the providers' wire formats.

pub mod hyperpay;
pub mod hyperpay_status;
pub mod hyperpay_webhook;
pub mod sandbox;
pub mod tap;
pub mod tap_signature;

use async_trait::async_trait;
use uuid::Uuid;

use super::model::{Method, ProviderName};
use super::result_codes::Outcome;
use crate::platform::money::Halalas;
pub use crate::platform::outbound::{endpoint, http_client};

/// What a payment provider does for us. Every answer about money is the provider's
/// own, asked for: nothing a shopper's browser or a notification says is taken on trust.
#[async_trait]
pub trait PaymentProvider: Send + Sync {
    fn name(&self) -> ProviderName;

    /// Opens a checkout the shopper completes on the provider's widget or page.
    async fn create_checkout(&self, request: &CheckoutRequest) -> Result<Checkout, ProviderError>;

    /// What became of the checkout `checkout_id`, opened for `method`.
    async fn payment_status(&self, method: Method, checkout_id: &str) -> Result<ProviderPayment, ProviderError>;

    /// Gives back `amount` of a payment made.
    async fn refund(&self, request: &RefundRequest) -> Result<ProviderRefund, ProviderError>;

    /// What became of a refund the provider left pending.
    async fn refund_status(&self, method: Method, provider_refund_id: &str) -> Result<ProviderRefund, ProviderError>;
}

/// A checkout to open: one payment attempt of one order.
#[derive(Debug, Clone)]
pub struct CheckoutRequest {
    /// Our payment id: the provider echoes it back, and confirmations must carry it.
    pub payment_id: Uuid,
    pub order_number: String,
    pub method: Method,
    pub amount: Halalas,
    pub customer: Customer,
    /// Where the provider sends the shopper back.
    pub return_url: String,
    /// Where the provider posts notifications (Tap names it per charge).
    pub webhook_url: String,
}

/// The shopper, as the order's shipping address names them.
#[derive(Debug, Clone)]
pub struct Customer {
    pub given_name: String,
    pub surname: String,
    pub email: Option<String>,
    /// E.164 (`+9665…`).
    pub phone: String,
    pub street: String,
    pub city: String,
    /// Absent when the address was given as a short national address.
    pub postcode: Option<String>,
}

impl Customer {
    /// Splits a full name into given name and surname, as the providers ask for them.
    pub fn split_name(name: &str) -> (String, String) {
        let name = name.trim();
        match name.rsplit_once(char::is_whitespace) {
            Some((given, surname)) => (given.trim().to_string(), surname.trim().to_string()),
            None => (name.to_string(), name.to_string()),
        }
    }
}

/// An open checkout, and how the shopper's page reaches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkout {
    /// The provider's id of the checkout (HyperPay) or charge (Tap).
    pub checkout_id: String,
    pub next: NextStep,
}

/// What the shopper's page does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextStep {
    /// Load the provider's widget script (HyperPay's COPYandPAY).
    Widget { script_url: String, brands: String },
    /// Send the shopper to the provider's page.
    Redirect { url: String },
}

/// What the provider says of a payment, reduced to what we keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderPayment {
    pub outcome: Outcome,
    /// The provider's id of the payment made (refunds name it).
    pub provider_payment_id: Option<String>,
    /// Our payment id, as the provider echoes it.
    pub reference: Option<String>,
    /// Our order number, when the provider keeps one (Tap).
    pub order_reference: Option<String>,
    pub amount: Option<Halalas>,
    pub currency: Option<String>,
    pub brand: Option<String>,
    pub card_bin: Option<String>,
    pub card_last4: Option<String>,
    pub result_code: String,
    pub result_description: String,
}

/// A refund to ask for.
#[derive(Debug, Clone)]
pub struct RefundRequest {
    /// Our refund id, given to the provider as its reference.
    pub refund_id: Uuid,
    pub method: Method,
    /// The provider's id of the payment.
    pub provider_payment_id: String,
    pub amount: Halalas,
    pub reason: String,
}

/// What the provider did with a refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRefund {
    pub provider_refund_id: Option<String>,
    pub state: RefundState,
    pub result_code: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundState {
    Refunded,
    Pending,
    Failed,
}

/// Why a provider could not answer.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// Unreachable, timed out or failing on its side (5xx): worth the fallback provider.
    #[error("{provider} is unavailable: {reason}")]
    Unavailable { provider: &'static str, reason: String },
    /// Asked too often (429): ask again later.
    #[error("{provider} throttled the request")]
    Throttled { provider: &'static str },
    /// The provider refused the request itself (a 4xx, a rejected result code).
    #[error("{provider} refused the request: {code} {message}")]
    Refused { provider: &'static str, code: String, message: String },
    /// An answer that is not what the provider documents.
    #[error("{provider} answered something unreadable: {reason}")]
    Unreadable { provider: &'static str, reason: String },
    /// The sandbox's own store failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl ProviderError {
    /// Whether the fallback provider should be tried and the circuit breaker told.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, ProviderError::Unavailable { .. })
    }

    /// Reads a transport error of `provider`'s client.
    pub fn transport(provider: &'static str, error: reqwest::Error) -> ProviderError {
        // The URL of a request may carry an entity id; the error's text names it. It holds no card data.
        ProviderError::Unavailable { provider, reason: error.without_url().to_string() }
    }

    /// Reads a non-2xx answer: 5xx and 429 are the provider's trouble, the rest ours.
    pub fn status(provider: &'static str, status: reqwest::StatusCode, code: String, message: String) -> ProviderError {
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            ProviderError::Throttled { provider }
        } else if status.is_server_error() {
            ProviderError::Unavailable { provider, reason: format!("{status}: {message}") }
        } else {
            ProviderError::Refused { provider, code, message }
        }
    }
}

/// A provider's id as one path segment, whatever it holds.
pub fn urlencode(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_stay_one_path_segment() {
        assert_eq!(urlencode("8ac7a4a1/../x"), "8ac7a4a1%2F..%2Fx");
    }

    #[test]
    fn names_split_into_given_name_and_surname() {
        assert_eq!(Customer::split_name("Noura Al-Qahtani"), ("Noura".into(), "Al-Qahtani".into()));
        assert_eq!(Customer::split_name(" نورة بنت محمد القحطاني "), ("نورة بنت محمد".into(), "القحطاني".into()));
        assert_eq!(Customer::split_name("Noura"), ("Noura".into(), "Noura".into()));
    }

    #[test]
    fn server_trouble_is_unavailable_and_client_trouble_is_refused() {
        let server = ProviderError::status("hyperpay", reqwest::StatusCode::BAD_GATEWAY, String::new(), "down".into());
        assert!(server.is_unavailable());
        let ours = ProviderError::status("tap", reqwest::StatusCode::BAD_REQUEST, "1108".into(), "bad".into());
        assert!(!ours.is_unavailable());
        let throttled =
            ProviderError::status("tap", reqwest::StatusCode::TOO_MANY_REQUESTS, String::new(), String::new());
        assert!(matches!(throttled, ProviderError::Throttled { .. }));
    }
}
