//! The search core: the listing index, the indexer that keeps it equal to PostgreSQL,
//! query planning over the analyzers' query understanding, and the search API.

pub mod analysis;
pub mod document;
pub mod error;
pub mod facets;
pub mod generations;
pub mod index;
pub mod indexer;
pub mod query;
pub mod queue;
pub mod readiness;
pub mod reindex;
pub mod routes;
pub mod schema;
pub mod service;
pub mod status;
pub mod store;
pub mod suggest;
pub mod updater;
pub mod verify;

pub use error::SearchError;
pub use routes::readiness::SearchReadiness;
pub use routes::search::{MAX_RESULT_WINDOW, SearchParams};
pub use routes::{admin_routes, routes};
