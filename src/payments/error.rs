//! How paying fails, in its own words; `http` places each kind on the wire.

use serde_json::Value;

use super::model::Method;
use super::providers::ProviderError;
use crate::http::error::{ErrorCode, ErrorKind, FieldError};
use crate::orders::OrderError;
use crate::platform::money::Halalas;

#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    #[error("invalid {}", .0.iter().map(|f| f.field.as_str()).collect::<Vec<_>>().join(", "))]
    Invalid(Vec<FieldError>),
    /// Not there, or not the caller's to see.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// No provider is configured for the method.
    #[error("{} payments are not available", .0.as_str())]
    MethodUnavailable(Method),
    /// The provider (and the fallback) could not be reached; nothing was charged.
    #[error("the payment provider is unavailable; try again shortly")]
    ProviderUnavailable(#[source] ProviderError),
    /// The provider refused to open the checkout.
    #[error("the payment provider refused the payment: {0}")]
    ProviderRefused(#[source] ProviderError),
    /// The order has no payment that was captured.
    #[error("the order has no captured payment to refund")]
    NotPaid,
    /// More than what is left of the payment.
    #[error("the refund exceeds what can still be refunded ({refundable} SAR)")]
    RefundExceedsCaptured { refundable: Halalas },
    /// A webhook that does not prove it comes from the provider.
    #[error("{0}")]
    Unauthenticated(&'static str),
    #[error(transparent)]
    Order(#[from] OrderError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<ProviderError> for PaymentError {
    fn from(error: ProviderError) -> PaymentError {
        match error {
            ProviderError::Database(error) => PaymentError::Database(error),
            error if error.is_unavailable() || matches!(error, ProviderError::Throttled { .. }) => {
                PaymentError::ProviderUnavailable(error)
            }
            error => PaymentError::ProviderRefused(error),
        }
    }
}

impl ErrorCode for PaymentError {
    fn kind(&self) -> ErrorKind {
        match self {
            PaymentError::Invalid(_) => ErrorKind::Validation,
            PaymentError::NotFound(_) => ErrorKind::NotFound,
            PaymentError::MethodUnavailable(_) | PaymentError::RefundExceedsCaptured { .. } => ErrorKind::Unprocessable,
            PaymentError::ProviderUnavailable(_) => ErrorKind::Unavailable,
            PaymentError::ProviderRefused(_) => ErrorKind::BadGateway,
            PaymentError::NotPaid => ErrorKind::InvalidState,
            PaymentError::Unauthenticated(_) => ErrorKind::Unauthorized,
            PaymentError::Order(error) => error.kind(),
            PaymentError::Database(error) => ErrorKind::of_database(error),
            PaymentError::Internal(_) => ErrorKind::Internal,
        }
    }

    fn fields(&self) -> Vec<FieldError> {
        match self {
            PaymentError::Invalid(fields) => fields.clone(),
            PaymentError::Order(error) => error.fields(),
            _ => Vec::new(),
        }
    }

    fn code(&self) -> Option<&'static str> {
        match self {
            PaymentError::MethodUnavailable(_) => Some("PAYMENT_METHOD_UNAVAILABLE"),
            PaymentError::ProviderUnavailable(_) => Some("PAYMENT_PROVIDER_UNAVAILABLE"),
            PaymentError::ProviderRefused(_) => Some("PAYMENT_PROVIDER_ERROR"),
            PaymentError::RefundExceedsCaptured { .. } => Some("REFUND_EXCEEDS_CAPTURED"),
            PaymentError::Order(error) => error.code(),
            _ => None,
        }
    }

    fn details(&self) -> Option<Value> {
        match self {
            PaymentError::MethodUnavailable(method) => Some(serde_json::json!({ "field": "method", "method": method })),
            PaymentError::RefundExceedsCaptured { refundable } => {
                Some(serde_json::json!({ "field": "amount_sar", "refundable_sar": refundable.to_string() }))
            }
            PaymentError::NotPaid => Some(serde_json::json!({ "current_state": "unpaid" })),
            PaymentError::Order(error) => error.details(),
            _ => None,
        }
    }
}
