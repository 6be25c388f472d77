//! How accounts and security fail, in their own words; `http` places each kind on the wire.

use crate::http::error::{ErrorCode, ErrorKind, FieldError};
use crate::platform::rate_limit::LimitError;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No valid credential: missing, wrong, expired or revoked.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// A valid credential that may not do this.
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("invalid {field}")]
    Invalid { field: &'static str, reason: String },
    /// The account is not in a state that allows this (e.g. a second factor already on).
    #[error("{0}")]
    Conflict(&'static str),
    #[error(transparent)]
    Limited(#[from] LimitError),
    /// A dependency the decision needs is down.
    #[error("{0}")]
    Unavailable(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AuthError {
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> AuthError {
        AuthError::Invalid { field, reason: reason.into() }
    }
}

impl ErrorCode for AuthError {
    fn kind(&self) -> ErrorKind {
        match self {
            AuthError::Unauthenticated(_) => ErrorKind::Unauthorized,
            AuthError::Forbidden(_) => ErrorKind::Forbidden,
            AuthError::Invalid { .. } => ErrorKind::Validation,
            AuthError::Conflict(_) => ErrorKind::Conflict,
            AuthError::Limited(LimitError::Exceeded { limit, retry_after_secs }) => {
                ErrorKind::RateLimited { limit: *limit, retry_after_secs: *retry_after_secs }
            }
            AuthError::Limited(LimitError::Unavailable(_)) | AuthError::Unavailable(_) => ErrorKind::Unavailable,
            AuthError::Database(error) => ErrorKind::of_database(error),
            AuthError::Internal(_) => ErrorKind::Internal,
        }
    }

    fn fields(&self) -> Vec<FieldError> {
        match self {
            AuthError::Invalid { field, reason } => vec![FieldError::new(*field, reason.clone())],
            _ => Vec::new(),
        }
    }
}
