//! The catalog: sellers, listings and fitment; the feed format; bulk import and the
//! sellers' inventory sync API; the public read API.

pub mod api_keys;
pub mod demo_catalog;
pub mod feed;
pub mod import;
pub mod inventory;
pub mod listings;
pub mod sanitize;
pub mod sellers;
pub mod store;
pub mod taxonomy;

use axum::extract::DefaultBodyLimit;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::startup::AppState;

/// Routes of the catalog, relative to `/api/v1`.
pub fn router(inventory_body_limit: usize) -> OpenApiRouter<AppState> {
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
