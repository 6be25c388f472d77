//! The catalog's HTTP surface: public reads of listings, sellers and the taxonomy,
//! the sellers' inventory sync API and listing photos, and the stored photo files. The
//! only part of the catalog that speaks HTTP.

mod inventory;
mod listings;
mod photos;
mod sellers;
mod taxonomy;

use axum::extract::{DefaultBodyLimit, FromRef, FromRequestParts};
use axum::http::request::Parts;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::api_keys::{self, SellerAuth};
use super::listings::ListingCache;
use super::sellers::SellerCache;
use super::taxonomy::TaxonomyState;
use crate::http::credentials::bearer_token;
use crate::http::error::AppError;
use crate::platform::config::Settings;
use crate::platform::db::{PrimaryDb, ReadDb};
use crate::platform::media::MediaStore;
use crate::platform::rate_limit::VerifiedKeys;

/// Routes of the catalog, relative to `/api/v1`.
pub fn routes<S>(inventory_body_limit: usize, photo_body_limit: usize) -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    PrimaryDb: FromRef<S>,
    ReadDb: FromRef<S>,
    TaxonomyState: FromRef<S>,
    ListingCache: FromRef<S>,
    SellerCache: FromRef<S>,
    MediaStore: FromRef<S>,
    VerifiedKeys: FromRef<S>,
    std::sync::Arc<Settings>: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(listings::get_listing))
        .routes(routes!(sellers::get_seller))
        .routes(routes!(sellers::patch_profile))
        .routes(routes!(taxonomy::categories))
        .routes(routes!(taxonomy::makes))
        .routes(routes!(inventory::list_seller_listings))
        .routes(routes!(inventory::get_seller_listing, inventory::patch_listing, inventory::delete_listing))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(inventory::sync_inventory))
                .layer(DefaultBodyLimit::max(inventory_body_limit)),
        )
        .merge(
            OpenApiRouter::new()
                .routes(routes!(photos::upload_photo, photos::list_photos))
                .layer(DefaultBodyLimit::max(photo_body_limit)),
        )
}

/// The stored photo files, at the root (`/media/{key}`): files, not API.
pub fn media_routes<S>() -> axum::Router<S>
where
    S: Clone + Send + Sync + 'static,
    MediaStore: FromRef<S>,
{
    axum::Router::new().route("/media/{*key}", axum::routing::get(photos::media_file))
}

/// The seller of the request's `Authorization: Bearer <seller API key>`.
impl<S> FromRequestParts<S> for SellerAuth
where
    S: Send + Sync,
    PrimaryDb: FromRef<S>,
    VerifiedKeys: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let PrimaryDb(db) = PrimaryDb::from_ref(state);
        let verified = VerifiedKeys::from_ref(state);
        Ok(api_keys::authenticate(&db, &verified, bearer_token(&parts.headers)).await?)
    }
}
