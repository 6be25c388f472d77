//! How the review queue fails.

use serde_json::Value;

use crate::http::error::{ErrorCode, ErrorKind, FieldError};

#[derive(Debug, thiserror::Error)]
pub enum ComplianceError {
    #[error("invalid {}", .0.iter().map(|f| f.field.as_str()).collect::<Vec<_>>().join(", "))]
    Invalid(Vec<FieldError>),
    #[error("flag not found")]
    NotFound,
    /// The flag was decided already.
    #[error("the flag is {0} already")]
    Decided(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl ErrorCode for ComplianceError {
    fn kind(&self) -> ErrorKind {
        match self {
            ComplianceError::Invalid(_) => ErrorKind::Validation,
            ComplianceError::NotFound => ErrorKind::NotFound,
            ComplianceError::Decided(_) => ErrorKind::InvalidState,
            ComplianceError::Database(error) => ErrorKind::of_database(error),
        }
    }

    fn fields(&self) -> Vec<FieldError> {
        match self {
            ComplianceError::Invalid(fields) => fields.clone(),
            _ => Vec::new(),
        }
    }

    fn details(&self) -> Option<Value> {
        match self {
            ComplianceError::Decided(current) => Some(serde_json::json!({ "current_state": current })),
            _ => None,
        }
    }
}
