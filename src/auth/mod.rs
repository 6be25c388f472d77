//! Accounts and security: registration and sign-in (password, SMS code, TOTP second
//! factor), JWT access tokens with rotating refresh tokens, role checks, rate limits,
//! encryption of personal data at rest, and the audit trail.
//!
//! `docs/security.md` describes the token formats, the key rotation procedure and
//! what happens when Redis is down.

pub mod erasure;
pub mod error;
pub mod keys;
pub mod login;
pub mod mail;
pub mod mfa;
pub mod one_time;
pub mod otp;
pub mod passwords;
pub mod principal;
pub mod recovery;
pub mod revocation;
pub mod routes;
pub mod sessions;
pub mod store;
pub mod tokens;
pub mod users;
pub mod verification;

use std::sync::Arc;

use crate::platform::clock::{Clock, SystemClock};
use crate::platform::config::{AuthSettings, Settings};
use crate::platform::rate_limit::RateLimiter;
use crate::platform::redis::SharedStore;
use crate::platform::sms::SmsSender;
use keys::Keys;
use revocation::Revocations;

pub use routes::pages::routes as page_routes;
pub use routes::routes;

/// What the auth endpoints and extractors share.
#[derive(Clone)]
pub struct AuthState {
    pub settings: Arc<AuthSettings>,
    pub keys: Arc<Keys>,
    pub revocations: Revocations,
    pub limiter: RateLimiter,
    pub sms: Arc<dyn SmsSender>,
    pub clock: Arc<dyn Clock>,
}

impl AuthState {
    /// The auth state over keys already checked for the environment, sending sign-in
    /// codes through `sms`.
    pub fn new(
        settings: &Settings,
        keys: Arc<Keys>,
        shared: Option<SharedStore>,
        limiter: RateLimiter,
        sms: Arc<dyn SmsSender>,
    ) -> AuthState {
        keys.warn_if_development();
        AuthState {
            settings: Arc::new(settings.auth.clone()),
            keys,
            revocations: Revocations::new(shared),
            limiter,
            sms,
            clock: Arc::new(SystemClock),
        }
    }
}
