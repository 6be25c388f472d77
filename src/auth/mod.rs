//! Accounts and security: registration and sign-in (password, SMS code, TOTP second
//! factor), JWT access tokens with rotating refresh tokens, role checks, rate limits,
//! encryption of personal data at rest, and the audit trail.
//!
//! `docs/security.md` describes the token formats, the key rotation procedure and
//! what happens when Redis is down.

pub mod audit;
pub mod client;
pub mod clock;
pub mod crypto;
pub mod handlers;
pub mod headers;
pub mod keys;
pub mod login;
pub mod mfa;
pub mod otp;
pub mod passwords;
pub mod phone;
pub mod principal;
pub mod rate_limit;
pub mod revocation;
pub mod sessions;
pub mod shared_store;
pub mod sms;
pub mod tokens;
pub mod users;

use std::sync::Arc;

use axum::http::HeaderValue;
use axum::http::header::CACHE_CONTROL;
use ipnet::IpNet;
use redis::aio::ConnectionManager;
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::config::{AuthSettings, Settings};
use crate::startup::AppState;
use clock::{Clock, SystemClock};
use handlers::{account, admin, mfa as mfa_handlers, otp as otp_handlers, seller_keys};
use keys::Keys;
use rate_limit::{RateLimiter, RouteClass, limited};
use revocation::Revocations;
use shared_store::SharedStore;
use sms::{LogSmsSender, SmsSender};

/// What the auth endpoints and extractors share.
#[derive(Clone)]
pub struct AuthState {
    pub settings: Arc<AuthSettings>,
    pub keys: Arc<Keys>,
    pub revocations: Revocations,
    pub limiter: RateLimiter,
    pub sms: Arc<dyn SmsSender>,
    pub clock: Arc<dyn Clock>,
    pub trusted_proxies: Arc<[IpNet]>,
}

impl AuthState {
    /// Builds the auth state from the settings; fails on unusable keys.
    pub fn from_settings(settings: &Settings, redis: Option<ConnectionManager>) -> anyhow::Result<AuthState> {
        let keys = Keys::from_settings(&settings.auth)?;
        keys.warn_if_development();
        let shared = redis.map(|connection| SharedStore::new(connection, &settings.redis.key_prefix));
        Ok(AuthState {
            settings: Arc::new(settings.auth.clone()),
            keys: Arc::new(keys),
            revocations: Revocations::new(shared.clone()),
            limiter: RateLimiter::new(shared, settings.rate_limit.clone()),
            sms: Arc::new(LogSmsSender),
            clock: Arc::new(SystemClock),
            trusted_proxies: settings.http.trusted_proxies.clone().into(),
        })
    }
}

/// Routes of accounts and security, relative to `/api/v1`.
pub fn router(state: &AppState) -> OpenApiRouter<AppState> {
    // Endpoints that check a password or a code: tight budgets, per address.
    let credentials = OpenApiRouter::new()
        .routes(routes!(account::register))
        .routes(routes!(account::login))
        .routes(routes!(account::change_password))
        .routes(routes!(mfa_handlers::verify_login))
        .routes(routes!(mfa_handlers::confirm_enrolment))
        .routes(routes!(mfa_handlers::disable))
        .routes(routes!(mfa_handlers::regenerate_recovery_codes))
        .routes(routes!(otp_handlers::request_code))
        .routes(routes!(otp_handlers::verify_code));
    let signed_in = OpenApiRouter::new()
        .routes(routes!(account::refresh))
        .routes(routes!(account::logout))
        .routes(routes!(account::me))
        .routes(routes!(mfa_handlers::start_enrolment))
        .routes(routes!(seller_keys::create_key, seller_keys::list_keys))
        .routes(routes!(seller_keys::revoke_key))
        .routes(routes!(admin::audit_log))
        .routes(routes!(admin::revoke_sessions));
    OpenApiRouter::with_openapi(AuthDoc::openapi())
        .merge(limited(credentials, state, RouteClass::Credentials))
        .merge(limited(signed_in, state, RouteClass::Api))
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
