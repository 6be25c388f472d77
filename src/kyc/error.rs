//! How seller verification fails.

use serde_json::Value;

use crate::http::error::{ErrorCode, ErrorKind, FieldError};

#[derive(Debug, thiserror::Error)]
pub enum KycError {
    #[error("invalid {}", .0.iter().map(|f| f.field.as_str()).collect::<Vec<_>>().join(", "))]
    Invalid(Vec<FieldError>),
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The document was reviewed already, or superseded.
    #[error("the document is {0}, not pending")]
    Decided(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl KycError {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> KycError {
        KycError::Invalid(vec![FieldError::new(field, reason)])
    }
}

impl ErrorCode for KycError {
    fn kind(&self) -> ErrorKind {
        match self {
            KycError::Invalid(_) => ErrorKind::Validation,
            KycError::NotFound(_) => ErrorKind::NotFound,
            KycError::Decided(_) => ErrorKind::InvalidState,
            KycError::Database(error) => ErrorKind::of_database(error),
            KycError::Internal(_) => ErrorKind::Internal,
        }
    }

    fn fields(&self) -> Vec<FieldError> {
        match self {
            KycError::Invalid(fields) => fields.clone(),
            _ => Vec::new(),
        }
    }

    fn details(&self) -> Option<Value> {
        match self {
            KycError::Decided(current) => Some(serde_json::json!({ "current_state": current })),
            _ => None,
        }
    }
}
