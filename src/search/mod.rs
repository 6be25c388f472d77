//! The search core: the listing index, the indexer that keeps it equal to PostgreSQL,
//! query planning over the analyzers' query understanding, and the search API.

pub mod admin;
pub mod api;
pub mod document;
pub mod facets;
pub mod generations;
pub mod index;
pub mod indexer;
pub mod outbox;
pub mod query;
pub mod reindex;
pub mod schema;
pub mod service;
pub mod suggest;
pub mod updater;
pub mod verify;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::startup::AppState;

/// Routes of the search API, relative to `/api/v1`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(api::search)).routes(routes!(api::suggest))
}

/// Administration routes, relative to `/api/v1`; administrators only.
pub fn admin_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(admin::start_reindex, admin::reindex_status))
}
