//! The HTTP endpoints of accounts and security.

pub mod account;
pub mod admin;
pub mod extract;
pub mod mfa;
pub mod otp;
pub mod pages;
pub mod recovery;
pub mod seller_keys;
pub mod verification;

use axum::extract::FromRef;
use axum::http::HeaderValue;
use axum::http::header::CACHE_CONTROL;
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AuthState;
use crate::http::rate_limit::{RateLimits, RouteClass, limited};
use crate::platform::client::TrustedProxies;
use crate::platform::db::PrimaryDb;

/// Routes of accounts and security, relative to `/api/v1`.
pub fn routes<S>(limits: &RateLimits) -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    AuthState: FromRef<S>,
    PrimaryDb: FromRef<S>,
    TrustedProxies: FromRef<S>,
{
    // Endpoints that check a password or a code: tight budgets, per address.
    let credentials = OpenApiRouter::new()
        .routes(routes!(account::register))
        .routes(routes!(account::login))
        .routes(routes!(account::change_password))
        .routes(routes!(mfa::verify_login))
        .routes(routes!(mfa::confirm_enrolment))
        .routes(routes!(mfa::disable))
        .routes(routes!(mfa::regenerate_recovery_codes))
        .routes(routes!(otp::request_code))
        .routes(routes!(otp::verify_code))
        .routes(routes!(recovery::forgot_password))
        .routes(routes!(recovery::reset_password))
        .routes(routes!(verification::send_phone_code))
        .routes(routes!(verification::send_email_link))
        .routes(routes!(verification::confirm_phone))
        .routes(routes!(verification::confirm_email));
    let signed_in = OpenApiRouter::new()
        .routes(routes!(account::refresh))
        .routes(routes!(account::logout))
        .routes(routes!(account::me, account::update_me))
        .routes(routes!(mfa::start_enrolment))
        .routes(routes!(seller_keys::create_key, seller_keys::list_keys))
        .routes(routes!(seller_keys::revoke_key))
        .routes(routes!(admin::audit_log))
        .routes(routes!(admin::revoke_sessions));
    OpenApiRouter::with_openapi(AuthDoc::openapi())
        .merge(limited(credentials, limits, RouteClass::Credentials))
        .merge(limited(signed_in, limits, RouteClass::Api))
        // Answers carry tokens, codes and personal data: no cache may keep them.
        .layer(SetResponseHeaderLayer::overriding(CACHE_CONTROL, HeaderValue::from_static("no-store")))
}

#[derive(OpenApi)]
#[openapi(
    modifiers(&BearerJwt),
    tags(
        (name = "auth", description = "Registration, sign-in, tokens and sign-out"),
        (name = "account", description = "The signed-in user's own account and second factor"),
        (name = "seller-keys", description = "Sellers managing their inventory-sync API keys"),
        (name = "admin", description = "Administration (administrators only)")
    )
)]
struct AuthDoc;

struct BearerJwt;

impl Modify for BearerJwt {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer_jwt",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An access token from `/api/v1/auth/login` (15 minutes; renew it at `/api/v1/auth/refresh`)",
                    ))
                    .build(),
            ),
        );
    }
}
