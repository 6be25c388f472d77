//! The search API and its administration endpoints.

pub mod admin;
pub mod readiness;
pub mod search;

use axum::extract::FromRef;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::service::SearchService;
use crate::auth::AuthState;
use crate::platform::client::TrustedProxies;
use crate::platform::db::PrimaryDb;

/// Routes of the search API, relative to `/api/v1`.
pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    SearchService: FromRef<S>,
{
    OpenApiRouter::new().routes(routes!(search::search)).routes(routes!(search::suggest))
}

/// Administration routes, relative to `/api/v1`; administrators only.
pub fn admin_routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    SearchService: FromRef<S>,
    AuthState: FromRef<S>,
    PrimaryDb: FromRef<S>,
    TrustedProxies: FromRef<S>,
{
    OpenApiRouter::new().routes(routes!(admin::start_reindex, admin::reindex_status))
}
