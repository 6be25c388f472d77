//! Where a rate limit is applied: a middleware counting every request of a router
//! against its class's budget (`platform::rate_limit` keeps the counters), and the
//! `X-RateLimit-*` headers that report it.
//!
//! Responses carry `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
//! `X-RateLimit-Reset` (seconds until the window ends); a 429 adds `Retry-After`.

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;

use super::credentials::bearer_token;
use super::error::AppError;
use crate::platform::client::{TrustedProxies, request_client_ip};
use crate::platform::rate_limit::{Decision, LimitClass, RateLimiter, VerifiedKeys};

pub const LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
pub const REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
pub const RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");

/// Which budget the requests of a router count against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteClass {
    /// Credential endpoints: per route and client address.
    Credentials,
    /// Everything else: per seller API key once the key has been accepted, else per address.
    Api,
}

/// What the middleware needs to count a request.
#[derive(Clone)]
pub struct RateLimits {
    pub limiter: RateLimiter,
    pub proxies: TrustedProxies,
    pub verified_keys: VerifiedKeys,
}

#[derive(Clone)]
struct Policy {
    class: RouteClass,
    limits: RateLimits,
}

/// `router` with every request counted against the budget of `class`.
pub fn limited<S>(router: OpenApiRouter<S>, limits: &RateLimits, class: RouteClass) -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
{
    let policy = Policy { class, limits: limits.clone() };
    router.layer(axum::middleware::from_fn_with_state(policy, enforce))
}

/// Writes a decision into the `X-RateLimit-*` headers.
pub fn write_headers(decision: &Decision, headers: &mut HeaderMap) {
    headers.insert(LIMIT, HeaderValue::from(decision.limit));
    headers.insert(REMAINING, HeaderValue::from(decision.remaining));
    headers.insert(RESET, HeaderValue::from(decision.reset_secs));
}

/// Hands a handler's own decision (e.g. per account) to the middleware, which
/// reports the tighter of it and the per-address one.
pub fn attach(decision: Decision, mut response: Response) -> Response {
    response.extensions_mut().insert(decision);
    response
}

async fn enforce(State(policy): State<Policy>, request: Request, next: Next) -> Response {
    let limits = &policy.limits;
    let ip = request_client_ip(request.extensions(), request.headers(), &limits.proxies.0)
        .map_or_else(|| "unknown".to_string(), |ip| ip.to_string());
    // A key not accepted yet is counted against its address; if this very request
    // proves it valid, the request is then also counted against the key's own budget.
    let mut unproven_key = None;
    let (class, key) = match policy.class {
        RouteClass::Credentials => {
            let route =
                request.extensions().get::<MatchedPath>().map_or_else(|| request.uri().path(), MatchedPath::as_str);
            (LimitClass::Auth, format!("auth:{route}:ip:{ip}"))
        }
        RouteClass::Api => match bearer_token(request.headers()) {
            Some(token) if limits.verified_keys.contains(token) => (LimitClass::SellerSync, seller_bucket(token)),
            token => {
                unproven_key = token.filter(|t| t.starts_with(SELLER_KEY_PREFIX)).map(str::to_string);
                (LimitClass::Public, format!("public:ip:{ip}"))
            }
        },
    };
    let decision = match limits.limiter.hit(class, &key).await {
        Ok(Some(decision)) => decision,
        Ok(None) => return next.run(request).await,
        Err(error) => return AppError::from(error).into_response(),
    };
    if let Err(refusal) = decision.check() {
        return AppError::from(refusal).into_response();
    }
    let mut response = next.run(request).await;
    let mut decision = response.extensions_mut().remove::<Decision>().map_or(decision, |inner| decision.tighter(inner));
    if let Some(token) = unproven_key.filter(|t| limits.verified_keys.contains(t)) {
        // Already answered, so only the count and the headers change.
        if let Ok(Some(own)) = limits.limiter.hit(LimitClass::SellerSync, &seller_bucket(&token)).await {
            decision = own;
        }
    }
    if !response.headers().contains_key(LIMIT) {
        write_headers(&decision, response.headers_mut());
    }
    response
}

/// Seller API keys start with this; only such a credential can earn a bucket of its own.
const SELLER_KEY_PREFIX: &str = "cpk_";

fn seller_bucket(api_key: &str) -> String {
    format!("seller_sync:key:{}", hex::encode(VerifiedKeys::digest(api_key)))
}
