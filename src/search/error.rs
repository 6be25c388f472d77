//! How a search fails, and what kind of failure each is for the API.
//!
//! This is the one file of search outside `routes/` that knows the API's error kinds:
//! the rest of search returns [`SearchError`], and the routes answer it through the
//! envelope.

use std::time::Duration;

use crate::http::error::{ErrorCode, ErrorKind};

/// Why a search could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// As many searches as the queue holds are waiting already.
    #[error("the search queue is full: {capacity} searches are waiting")]
    QueueFull { capacity: usize, retry_after: Duration },
    /// No running slot came free within the wait limit.
    #[error("no search slot came free within {waited:?}")]
    WaitedTooLong { waited: Duration, retry_after: Duration },
    #[error("reading the index: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// The blocking task running the search panicked or was cancelled.
    #[error("the search task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

impl SearchError {
    /// When a refused search may be tried again; `None` for failures a retry does not
    /// cure.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            SearchError::QueueFull { retry_after, .. } | SearchError::WaitedTooLong { retry_after, .. } => {
                Some(*retry_after)
            }
            SearchError::Index(_) | SearchError::Task(_) => None,
        }
    }
}

impl ErrorCode for SearchError {
    fn kind(&self) -> ErrorKind {
        match self {
            SearchError::QueueFull { .. } | SearchError::WaitedTooLong { .. } => ErrorKind::Unavailable,
            SearchError::Index(_) | SearchError::Task(_) => ErrorKind::Internal,
        }
    }
}
