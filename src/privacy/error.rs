//! How the data-rights requests fail.

use serde_json::Value;

use crate::auth::error::AuthError;
use crate::http::error::{ErrorCode, ErrorKind, FieldError};
use crate::orders::OrderError;

#[derive(Debug, thiserror::Error)]
pub enum PrivacyError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Orders(#[from] OrderError),
    /// Orders that still need the person: the erasure waits for them.
    #[error("{reason}: {}", numbers.join(", "))]
    OpenOrders { reason: &'static str, numbers: Vec<String> },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ErrorCode for PrivacyError {
    fn kind(&self) -> ErrorKind {
        match self {
            PrivacyError::Auth(error) => error.kind(),
            PrivacyError::Orders(error) => error.kind(),
            PrivacyError::OpenOrders { .. } => ErrorKind::Conflict,
            PrivacyError::Database(error) => ErrorKind::of_database(error),
            PrivacyError::Internal(_) => ErrorKind::Internal,
        }
    }

    fn fields(&self) -> Vec<FieldError> {
        match self {
            PrivacyError::Auth(error) => error.fields(),
            PrivacyError::Orders(error) => error.fields(),
            _ => Vec::new(),
        }
    }

    fn details(&self) -> Option<Value> {
        match self {
            PrivacyError::OpenOrders { numbers, .. } => Some(serde_json::json!({ "open_orders": numbers })),
            PrivacyError::Orders(error) => error.details(),
            _ => None,
        }
    }
}
