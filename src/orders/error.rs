//! How ordering fails, in its own words; `http` places each kind on the wire.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::state::IllegalMove;
use crate::http::error::{ErrorCode, ErrorKind};
use crate::platform::idempotency::IdempotencyError;

pub use crate::http::error::FieldError;

/// A line of an order that cannot be served as asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Shortage {
    /// Path of the line in the request, e.g. `items[1]`.
    pub field: String,
    pub listing_id: Uuid,
    pub requested: u32,
    /// Units that can be ordered now (0 when the listing is paused or its seller suspended).
    pub available: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    /// Input broke a rule; every failing field is named.
    #[error("invalid {}", .0.iter().map(|f| f.field.as_str()).collect::<Vec<_>>().join(", "))]
    Invalid(Vec<FieldError>),
    /// Not there, or not the caller's to see.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Some lines ask for more than is in stock.
    #[error("not enough stock for {}", .0.iter().map(|s| s.field.as_str()).collect::<Vec<_>>().join(", "))]
    InsufficientStock(Vec<Shortage>),
    #[error(transparent)]
    IllegalMove(#[from] IllegalMove),
    #[error("{0}")]
    Unauthenticated(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error(transparent)]
    Idempotency(#[from] IdempotencyError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl OrderError {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> OrderError {
        OrderError::Invalid(vec![FieldError::new(field, reason)])
    }
}

impl ErrorCode for OrderError {
    fn kind(&self) -> ErrorKind {
        match self {
            OrderError::Invalid(_) => ErrorKind::Validation,
            OrderError::NotFound(_) => ErrorKind::NotFound,
            OrderError::InsufficientStock(_) => ErrorKind::Conflict,
            OrderError::IllegalMove(_) => ErrorKind::InvalidState,
            OrderError::Unauthenticated(_) => ErrorKind::Unauthorized,
            OrderError::Forbidden(_) => ErrorKind::Forbidden,
            OrderError::Idempotency(IdempotencyError::InUse) => ErrorKind::Conflict,
            OrderError::Idempotency(IdempotencyError::Reused) => ErrorKind::Unprocessable,
            OrderError::Idempotency(IdempotencyError::Database(error)) | OrderError::Database(error) => {
                ErrorKind::of_database(error)
            }
            OrderError::Internal(_) => ErrorKind::Internal,
        }
    }

    fn fields(&self) -> Vec<FieldError> {
        match self {
            OrderError::Invalid(fields) => fields.clone(),
            _ => Vec::new(),
        }
    }

    fn code(&self) -> Option<&'static str> {
        match self {
            OrderError::InsufficientStock(_) => Some("INSUFFICIENT_STOCK"),
            OrderError::Idempotency(IdempotencyError::InUse) => Some("IDEMPOTENCY_KEY_IN_USE"),
            OrderError::Idempotency(IdempotencyError::Reused) => Some("IDEMPOTENCY_KEY_REUSED"),
            _ => None,
        }
    }

    fn details(&self) -> Option<Value> {
        match self {
            OrderError::InsufficientStock(short) => Some(serde_json::json!({ "short": short })),
            OrderError::IllegalMove(illegal) => Some(serde_json::json!({ "current_state": illegal.current })),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_failure_has_its_kind_and_code() {
        let short = OrderError::InsufficientStock(vec![Shortage {
            field: "items[0]".into(),
            listing_id: Uuid::nil(),
            requested: 3,
            available: 1,
        }]);
        assert_eq!(short.kind(), ErrorKind::Conflict);
        assert_eq!(short.code(), Some("INSUFFICIENT_STOCK"));
        assert_eq!(short.details().unwrap()["short"][0]["available"], 1);
        let reused = OrderError::Idempotency(IdempotencyError::Reused);
        assert_eq!((reused.kind(), reused.code()), (ErrorKind::Unprocessable, Some("IDEMPOTENCY_KEY_REUSED")));
        let in_use = OrderError::Idempotency(IdempotencyError::InUse);
        assert_eq!((in_use.kind(), in_use.code()), (ErrorKind::Conflict, Some("IDEMPOTENCY_KEY_IN_USE")));
        let illegal = OrderError::from(IllegalMove { action: "ship", current: "cancelled" });
        assert_eq!(illegal.kind(), ErrorKind::InvalidState);
        assert_eq!(illegal.details().unwrap()["current_state"], "cancelled");
    }
}
