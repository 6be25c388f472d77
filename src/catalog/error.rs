//! How the catalog fails, in its own words; `http` places each kind on the wire.
//!
//! This is the one file outside `routes/` that knows the API's error conventions: the
//! rest of the catalog names failing fields with the [`FieldError`] re-exported here.

use super::feed::RejectedLine;
use crate::http::error::{ErrorCode, ErrorKind};

pub use crate::http::error::{FieldError, field_errors};

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// Input broke a rule; every failing field is named.
    #[error("invalid {}", .0.iter().map(|f| f.field.as_str()).collect::<Vec<_>>().join(", "))]
    Invalid(Vec<FieldError>),
    /// No valid seller API key came with the request.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// The thing asked for does not exist, or is not the caller's to see.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A request body that cannot be read as records at all.
    #[error("malformed JSON array: {message}")]
    MalformedBody { message: String, line: usize, column: usize },
    /// More records in one request than a request may carry.
    #[error("at most {limit} records per request, got {count}")]
    TooManyRecords { count: usize, limit: usize },
    /// Every record of a batch was rejected, each for the reasons given.
    #[error("no record could be applied")]
    NothingApplied(Vec<RejectedLine>),
    /// The listing has as many photos as a listing may.
    #[error("a listing has at most {limit} photos")]
    TooManyPhotos { limit: u32 },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl CatalogError {
    /// A validation failure of a single field.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> CatalogError {
        CatalogError::Invalid(vec![FieldError::new(field, reason)])
    }
}

impl ErrorCode for CatalogError {
    fn kind(&self) -> ErrorKind {
        match self {
            CatalogError::Invalid(_) | CatalogError::NothingApplied(_) => ErrorKind::Validation,
            CatalogError::Unauthenticated(_) => ErrorKind::Unauthorized,
            CatalogError::NotFound(_) => ErrorKind::NotFound,
            CatalogError::MalformedBody { .. } | CatalogError::TooManyRecords { .. } => ErrorKind::BadRequest,
            CatalogError::TooManyPhotos { .. } => ErrorKind::Unprocessable,
            CatalogError::Database(error) => ErrorKind::of_database(error),
            CatalogError::Internal(_) => ErrorKind::Internal,
        }
    }

    fn fields(&self) -> Vec<FieldError> {
        match self {
            CatalogError::Invalid(fields) => fields.clone(),
            CatalogError::NothingApplied(rejected) => rejected
                .iter()
                .map(|r| FieldError::new(format!("[{}].{}", r.line, r.field), r.reason.clone()))
                .collect(),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_failure_has_its_kind() {
        assert_eq!(CatalogError::invalid("sku", "must not be blank").kind(), ErrorKind::Validation);
        assert_eq!(CatalogError::NotFound("listing").kind(), ErrorKind::NotFound);
        assert_eq!(CatalogError::NotFound("listing").to_string(), "listing not found");
        assert_eq!(CatalogError::Unauthenticated("no key").kind(), ErrorKind::Unauthorized);
        assert_eq!(CatalogError::TooManyRecords { count: 3, limit: 2 }.kind(), ErrorKind::BadRequest);
        assert_eq!(CatalogError::Database(sqlx::Error::PoolTimedOut).kind(), ErrorKind::Unavailable);
    }

    #[test]
    fn a_validation_failure_names_its_fields() {
        let error = CatalogError::Invalid(vec![FieldError::new("sku", "x"), FieldError::new("price_sar", "y")]);
        assert_eq!(error.to_string(), "invalid sku, price_sar");
        assert_eq!(error.fields().len(), 2);
    }
}
