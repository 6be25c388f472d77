//! How a search fails, and what kind of failure each is for the API.
//!
//! This is the one file of search outside `routes/` that knows the API's error kinds:
//! the rest of search returns [`SearchError`], and the routes answer it through the
//! envelope.

use crate::http::error::{ErrorCode, ErrorKind};

/// Why a search could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("reading the index: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// The blocking task running the search panicked or was cancelled.
    #[error("the search task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

impl ErrorCode for SearchError {
    fn kind(&self) -> ErrorKind {
        match self {
            SearchError::Index(_) | SearchError::Task(_) => ErrorKind::Internal,
        }
    }
}
