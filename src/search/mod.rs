//! The search core: the listing index, the indexer that keeps it equal to PostgreSQL,
//! query planning over the analyzers' query understanding, and the search API.

pub mod api;
pub mod document;
pub mod facets;
pub mod index;
pub mod indexer;
pub mod query;
pub mod schema;
pub mod service;
pub mod suggest;
pub mod verify;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::startup::AppState;

/// Routes of the search API, relative to `/api/v1`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(api::search)).routes(routes!(api::suggest))
}
