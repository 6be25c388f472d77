//! The catalog's HTTP surface: public reads of listings, sellers and the taxonomy,
//! and the sellers' inventory sync API.

use axum::extract::{DefaultBodyLimit, FromRef};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::taxonomy::{self, TaxonomyState};
use super::{inventory, listings, sellers};
use crate::platform::config::Settings;
use crate::platform::db::{PrimaryDb, ReadDb};
use crate::platform::rate_limit::VerifiedKeys;

/// Routes of the catalog, relative to `/api/v1`.
pub fn routes<S>(inventory_body_limit: usize) -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    PrimaryDb: FromRef<S>,
    ReadDb: FromRef<S>,
    TaxonomyState: FromRef<S>,
    VerifiedKeys: FromRef<S>,
    std::sync::Arc<Settings>: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(listings::get_listing))
        .routes(routes!(sellers::get_seller))
        .routes(routes!(taxonomy::categories))
        .routes(routes!(taxonomy::makes))
        .routes(routes!(inventory::list_seller_listings))
        .routes(routes!(inventory::get_seller_listing, inventory::patch_listing, inventory::delete_listing))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(inventory::sync_inventory))
                .layer(DefaultBodyLimit::max(inventory_body_limit)),
        )
}
