//! The payments module's HTTP surface: buyers' payments and their return, the
//! providers' webhooks, administrators' refunds and audit trail, and the sandbox's page.

mod admin;
mod buyer;
mod sandbox;
mod webhooks;

use axum::extract::FromRef;
use axum::http::HeaderValue;
use axum::http::header::CACHE_CONTROL;
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::PaymentsState;
use crate::auth::AuthState;
use crate::platform::client::TrustedProxies;
use crate::platform::db::PrimaryDb;
use crate::platform::rate_limit::VerifiedKeys;

pub use sandbox::sandbox_routes;

/// Routes of payments, relative to `/api/v1`.
pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    PaymentsState: FromRef<S>,
    AuthState: FromRef<S>,
    PrimaryDb: FromRef<S>,
    VerifiedKeys: FromRef<S>,
    TrustedProxies: FromRef<S>,
{
    OpenApiRouter::with_openapi(PaymentsDoc::openapi())
        .routes(routes!(buyer::start_payment))
        .routes(routes!(buyer::get_payment))
        .routes(routes!(buyer::payment_return))
        .routes(routes!(webhooks::hyperpay))
        .routes(routes!(webhooks::tap))
        .routes(routes!(admin::refund))
        .routes(routes!(admin::payment_audit))
        // Payments name amounts, cards' last digits and orders: no cache may keep them.
        .layer(SetResponseHeaderLayer::overriding(CACHE_CONTROL, HeaderValue::from_static("no-store")))
}

#[derive(OpenApi)]
#[openapi(tags(
    (name = "payments", description = "Paying orders: mada and cards through HyperPay, Tap, the sandbox"),
    (name = "webhooks", description = "Payment providers' notifications")
))]
struct PaymentsDoc;
