//! The orders module's HTTP surface: buyers' checkout and orders, sellers' fulfilment,
//! invoices, and administrators' offline payments.

mod admin;
mod buyer;
mod extract;
mod invoices;
mod seller;

use axum::extract::FromRef;
use axum::http::HeaderValue;
use axum::http::header::CACHE_CONTROL;
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::OrdersState;
use crate::auth::AuthState;
use crate::platform::client::TrustedProxies;
use crate::platform::db::PrimaryDb;
use crate::platform::rate_limit::VerifiedKeys;

/// Routes of orders, relative to `/api/v1`.
pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    OrdersState: FromRef<S>,
    AuthState: FromRef<S>,
    PrimaryDb: FromRef<S>,
    VerifiedKeys: FromRef<S>,
    TrustedProxies: FromRef<S>,
{
    OpenApiRouter::with_openapi(OrdersDoc::openapi())
        .routes(routes!(buyer::create_order, buyer::list_orders))
        .routes(routes!(buyer::get_order))
        .routes(routes!(buyer::cancel_order))
        .routes(routes!(invoices::order_invoices))
        .routes(routes!(invoices::get_invoice))
        .routes(routes!(seller::list_seller_orders))
        .routes(routes!(seller::accept))
        .routes(routes!(seller::ship))
        .routes(routes!(seller::deliver))
        .routes(routes!(admin::mark_paid))
        // Orders carry addresses and phone numbers: no cache may keep them.
        .layer(SetResponseHeaderLayer::overriding(CACHE_CONTROL, HeaderValue::from_static("no-store")))
}

#[derive(OpenApi)]
#[openapi(tags(
    (name = "orders", description = "Checkout and the buyer's orders"),
    (name = "seller-orders", description = "Sellers' fulfilment of their part of orders"),
    (name = "invoices", description = "Simplified tax invoices (ZATCA)")
))]
struct OrdersDoc;
