//! The shopper-facing site the service serves at `/`: server-rendered pages, Arabic
//! first and right to left, English under `/en`, for phones first. Every page works
//! without script; a small script adds suggestions as the shopper types, narrows the
//! car models to the chosen make, and applies filters as they are ticked.
//!
//! It reads through the other modules' faces only: searches go through the same
//! parameters, validation and search queue as the API, listings and sellers through
//! the same caches. Pages carry a strict content policy (no inline code), every form
//! posts a cross-site token, and everything shown is escaped by the templates.

mod assets;
mod car;
mod cards;
mod csrf;
mod form;
mod layout;
mod locale;
mod names;
mod pages;
mod searching;
mod texts;
mod understood;

use std::sync::Arc;

use axum::Router;
use axum::extract::FromRef;
use axum::routing::{get, post};

use crate::catalog::listings::ListingCache;
use crate::catalog::sellers::SellerCache;
use crate::http::rate_limit::{RateLimits, RouteClass, limited};
use crate::platform::config::Settings;
use crate::platform::db::PrimaryDb;
use crate::search::service::SearchService;

/// The site's pages, each in Arabic at its path and in English under `/en`, limited
/// like the API; and its stylesheet and script, not limited (a page loads both).
pub fn routes<S>(limits: &RateLimits) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    SearchService: FromRef<S>,
    ListingCache: FromRef<S>,
    SellerCache: FromRef<S>,
    PrimaryDb: FromRef<S>,
    Arc<Settings>: FromRef<S>,
{
    let mut pages = utoipa_axum::router::OpenApiRouter::new();
    for prefix in ["", "/en"] {
        pages = pages
            .route(&format!("{prefix}/search"), get(pages::results::show))
            .route(&format!("{prefix}/listings/{{id}}"), get(pages::listing::show))
            .route(&format!("{prefix}/sellers/{{id}}"), get(pages::seller::show))
            .route(&format!("{prefix}/car"), post(pages::car::save));
    }
    let pages = pages
        .route("/", get(pages::home::show))
        .route("/en", get(pages::home::show))
        .route("/en/", get(pages::home::show));
    let pages: Router<S> = limited(pages, limits, RouteClass::Api).into();
    pages.route("/assets/{file}", get(assets::serve))
}
