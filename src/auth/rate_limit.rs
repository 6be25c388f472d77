//! Request budgets per route class, shared by all replicas through Redis.
//!
//! Fixed windows: the first request of a window starts a counter that expires with
//! the window; every request counts, refused ones included, so hammering does not
//! buy a reset. The increment and the expiry are one Lua script, so concurrent
//! replicas never lose a count or leave a counter without expiry. Without Redis the
//! same windows are kept in process (one replica's view, which is the whole view on
//! a single node).
//!
//! Classes and keys:
//! - `auth`: credential endpoints (register, login, codes), per route and client
//!   address; login also counts per account inside its handler.
//! - `public`: everything else under `/api/v1`, per client address.
//! - `seller_sync`: requests carrying a seller API key, per key.
//!
//! When Redis is configured but down: `auth` fails closed (503), because a limit
//! that stops counting is an invitation to guess passwords; the other classes fail
//! open onto the in-process windows, so reads keep being served.
//!
//! Responses carry `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
//! `X-RateLimit-Reset` (seconds until the window ends); a 429 adds `Retry-After`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use utoipa_axum::router::OpenApiRouter;

use super::AuthState;
use super::client::{client_ip, peer_ip};
use super::principal::bearer_token;
use super::shared_store::SharedStore;
use crate::api::error::AppError;
use crate::config::{RateLimitRule, RateLimitSettings};
use crate::startup::AppState;

pub const LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
pub const REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
pub const RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");

/// In-process windows kept before expired ones are swept.
const SWEEP_AT: usize = 10_000;
/// Seconds between two warnings that Redis is down, so an outage does not flood logs.
const WARN_EVERY_SECS: u64 = 10;

const SCRIPT: &str = r"
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
";

/// A budget a request is counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitClass {
    Auth,
    Public,
    SellerSync,
}

impl LimitClass {
    fn rule(self, rules: &RateLimitSettings) -> RateLimitRule {
        match self {
            LimitClass::Auth => rules.auth,
            LimitClass::Public => rules.public,
            LimitClass::SellerSync => rules.seller_sync,
        }
    }

    fn fails_closed(self) -> bool {
        self == LimitClass::Auth
    }
}

/// How a request stands against its budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub limit: u32,
    pub remaining: u32,
    pub reset_secs: u64,
    pub allowed: bool,
}

impl Decision {
    fn new(rule: RateLimitRule, count: u64, reset: Duration) -> Decision {
        let limit = u64::from(rule.limit);
        Decision {
            limit: rule.limit,
            remaining: u32::try_from(limit.saturating_sub(count)).unwrap_or(0),
            reset_secs: reset.as_millis().div_ceil(1000).max(1) as u64,
            allowed: count <= limit,
        }
    }

    /// The one of two decisions about the same request that leaves less room.
    pub fn tighter(self, other: Decision) -> Decision {
        match (self.allowed, other.allowed) {
            (true, false) => other,
            (false, true) => self,
            _ if other.remaining < self.remaining => other,
            _ => self,
        }
    }

    /// `Ok` when allowed, otherwise the 429 to answer.
    pub fn check(self) -> Result<Decision, AppError> {
        if self.allowed {
            Ok(self)
        } else {
            Err(AppError::RateLimited { limit: self.limit, retry_after_secs: self.reset_secs })
        }
    }

    pub fn write_headers(&self, headers: &mut HeaderMap) {
        headers.insert(LIMIT, HeaderValue::from(self.limit));
        headers.insert(REMAINING, HeaderValue::from(self.remaining));
        headers.insert(RESET, HeaderValue::from(self.reset_secs));
    }

    /// Hands a handler's own decision (e.g. per account) to the middleware, which
    /// reports the tighter of it and the per-address one.
    pub fn attach(self, mut response: Response) -> Response {
        response.extensions_mut().insert(self);
        response
    }
}

/// Counts requests against the configured budgets.
#[derive(Clone)]
pub struct RateLimiter {
    shared: Option<SharedStore>,
    local: Arc<LocalWindows>,
    rules: Arc<RateLimitSettings>,
    last_warning: Arc<AtomicU64>,
}

impl RateLimiter {
    pub fn new(shared: Option<SharedStore>, rules: RateLimitSettings) -> RateLimiter {
        RateLimiter { shared, local: Arc::default(), rules: Arc::new(rules), last_warning: Arc::default() }
    }

    /// Counts one request under `key`; `None` when the class is turned off.
    pub async fn hit(&self, class: LimitClass, key: &str) -> Result<Option<Decision>, AppError> {
        let rule = class.rule(&self.rules);
        if rule.limit == 0 {
            return Ok(None);
        }
        let window = Duration::from_secs(rule.window_secs);
        let Some(shared) = &self.shared else {
            return Ok(Some(self.local.hit(key, rule, window)));
        };
        let command = redis::cmd("EVAL")
            .arg(SCRIPT)
            .arg(1)
            .arg(shared.key(&format!("rl:{key}")))
            .arg(window.as_millis() as u64)
            .to_owned();
        match shared.query::<(u64, u64)>(&command).await {
            Ok((count, ttl_ms)) => Ok(Some(Decision::new(rule, count, Duration::from_millis(ttl_ms)))),
            Err(error) if class.fails_closed() => {
                self.warn_down(&error.0, "refusing credential requests");
                Err(AppError::Unavailable(format!("rate limiter: {error}")))
            }
            Err(error) => {
                self.warn_down(&error.0, "counting in process");
                Ok(Some(self.local.hit(key, rule, window)))
            }
        }
    }

    fn warn_down(&self, error: &str, consequence: &str) {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let last = self.last_warning.load(Ordering::Relaxed);
        if now >= last + WARN_EVERY_SECS
            && self.last_warning.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_ok()
        {
            tracing::warn!(%error, consequence, "rate limiter cannot reach redis");
        }
    }
}

#[derive(Default)]
struct LocalWindows {
    windows: Mutex<HashMap<String, (u64, Instant)>>,
}

impl LocalWindows {
    fn hit(&self, key: &str, rule: RateLimitRule, window: Duration) -> Decision {
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() >= SWEEP_AT {
            windows.retain(|_, (_, ends)| *ends > now);
        }
        let entry = windows.entry(key.to_string()).or_insert((0, now + window));
        if entry.1 <= now {
            *entry = (0, now + window);
        }
        entry.0 += 1;
        Decision::new(rule, entry.0, entry.1 - now)
    }
}

/// Which budget the requests of a router count against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteClass {
    /// Credential endpoints: per route and client address.
    Credentials,
    /// Everything else: per seller API key when one is presented, else per address.
    Api,
}

#[derive(Clone)]
struct Policy {
    class: RouteClass,
    auth: AuthState,
}

/// `router` with every request counted against the budget of `class`.
pub fn limited(router: OpenApiRouter<AppState>, state: &AppState, class: RouteClass) -> OpenApiRouter<AppState> {
    let policy = Policy { class, auth: state.auth.clone() };
    router.layer(axum::middleware::from_fn_with_state(policy, enforce))
}

async fn enforce(State(policy): State<Policy>, request: Request, next: Next) -> Response {
    let ip = client_ip(peer_ip(request.extensions()), request.headers(), &policy.auth.trusted_proxies)
        .map_or_else(|| "unknown".to_string(), |ip| ip.to_string());
    let (class, key) = match policy.class {
        RouteClass::Credentials => {
            let route =
                request.extensions().get::<MatchedPath>().map_or_else(|| request.uri().path(), MatchedPath::as_str);
            (LimitClass::Auth, format!("auth:{route}:ip:{ip}"))
        }
        RouteClass::Api => match bearer_token(request.headers()).filter(|t| t.starts_with("cpk_")) {
            Some(api_key) => {
                let digest = hex::encode(&Sha256::digest(api_key.as_bytes())[..16]);
                (LimitClass::SellerSync, format!("seller_sync:key:{digest}"))
            }
            None => (LimitClass::Public, format!("public:ip:{ip}")),
        },
    };
    let decision = match policy.auth.limiter.hit(class, &key).await {
        Ok(Some(decision)) => decision,
        Ok(None) => return next.run(request).await,
        Err(error) => return error.into_response(),
    };
    if let Err(refusal) = decision.check() {
        return refusal.into_response();
    }
    let mut response = next.run(request).await;
    let decision = response.extensions_mut().remove::<Decision>().map_or(decision, |inner| decision.tighter(inner));
    if !response.headers().contains_key(LIMIT) {
        decision.write_headers(response.headers_mut());
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIVE: RateLimitRule = RateLimitRule { limit: 5, window_secs: 900 };

    fn rules() -> RateLimitSettings {
        RateLimitSettings { auth: FIVE, public: RateLimitRule { limit: 0, window_secs: 60 }, seller_sync: FIVE }
    }

    #[tokio::test]
    async fn the_sixth_request_in_a_window_is_refused_and_remaining_counts_down() {
        let limiter = RateLimiter::new(None, rules());
        let mut remaining = Vec::new();
        for _ in 0..5 {
            let decision = limiter.hit(LimitClass::Auth, "k").await.unwrap().unwrap();
            assert!(decision.allowed);
            assert!(decision.reset_secs <= 900 && decision.reset_secs > 0);
            remaining.push(decision.remaining);
        }
        assert_eq!(remaining, [4, 3, 2, 1, 0]);
        let sixth = limiter.hit(LimitClass::Auth, "k").await.unwrap().unwrap();
        assert!(!sixth.allowed);
        assert_eq!(sixth.remaining, 0);
        match sixth.check() {
            Err(AppError::RateLimited { limit: 5, retry_after_secs }) => assert!(retry_after_secs > 0),
            other => panic!("unexpected {other:?}"),
        }
        let other_key = limiter.hit(LimitClass::Auth, "k2").await.unwrap().unwrap();
        assert_eq!(other_key.remaining, 4);
    }

    #[tokio::test]
    async fn a_limit_of_zero_turns_a_class_off() {
        let limiter = RateLimiter::new(None, rules());
        assert_eq!(limiter.hit(LimitClass::Public, "k").await.unwrap(), None);
    }

    #[test]
    fn windows_restart_once_they_end() {
        let windows = LocalWindows::default();
        let rule = RateLimitRule { limit: 1, window_secs: 1 };
        assert!(windows.hit("k", rule, Duration::ZERO).allowed);
        // A zero-length window has always ended by the next request.
        assert!(windows.hit("k", rule, Duration::ZERO).allowed);
        assert!(windows.hit("j", rule, Duration::from_secs(60)).allowed);
        assert!(!windows.hit("j", rule, Duration::from_secs(60)).allowed);
    }

    #[test]
    fn the_tighter_decision_wins() {
        let roomy = Decision::new(FIVE, 1, Duration::from_secs(10));
        let tight = Decision::new(FIVE, 4, Duration::from_secs(10));
        let refused = Decision::new(FIVE, 6, Duration::from_secs(10));
        assert_eq!(roomy.tighter(tight), tight);
        assert_eq!(tight.tighter(roomy), tight);
        assert_eq!(roomy.tighter(refused), refused);
        assert_eq!(refused.tighter(roomy), refused);
    }
}
