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
//! - `seller_sync`: requests carrying a seller API key already proven valid, per key.
//!   An unverified credential never chooses its bucket: a key counts as its own only
//!   once the sync API has accepted it ([`VerifiedKeys`]), so inventing keys buys nothing.
//!
//! When Redis is configured but down: `auth` fails closed (503), because a limit
//! that stops counting is an invitation to guess passwords; the other classes fail
//! open onto the in-process windows, so reads keep being served.
//!
//! The in-process windows live in a bounded cache (moka): O(1) per request, and a
//! flood of new addresses evicts old windows instead of growing memory or making any
//! request scan the rest. The middleware that applies all this is `http::rate_limit`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use super::config::{RateLimitRule, RateLimitSettings};
use super::redis::SharedStore;

/// In-process windows kept at most; past it the least used are evicted.
const LOCAL_WINDOWS_MAX: u64 = 100_000;
/// Accepted seller keys remembered, and for how long.
const VERIFIED_KEYS_MAX: u64 = 50_000;
const VERIFIED_KEY_TTL: Duration = Duration::from_secs(300);
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

    /// `Ok` when allowed, otherwise the refusal to answer.
    pub fn check(self) -> Result<Decision, LimitError> {
        if self.allowed {
            Ok(self)
        } else {
            Err(LimitError::Exceeded { limit: self.limit, retry_after_secs: self.reset_secs })
        }
    }
}

/// Why a request may not go on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    /// The budget is used up; the client may retry after `retry_after_secs`.
    #[error("too many requests; retry in {retry_after_secs} seconds")]
    Exceeded { limit: u32, retry_after_secs: u64 },
    /// The shared counters cannot be reached and the class fails closed.
    #[error("rate limiter unavailable: {0}")]
    Unavailable(String),
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
    pub async fn hit(&self, class: LimitClass, key: &str) -> Result<Option<Decision>, LimitError> {
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
                Err(LimitError::Unavailable(error.to_string()))
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

/// Fixed windows kept in process, at most [`LOCAL_WINDOWS_MAX`] of them.
struct LocalWindows {
    windows: moka::sync::Cache<String, Arc<Window>>,
}

struct Window {
    length: Duration,
    /// Requests counted, and when the window ends.
    state: Mutex<(u64, Instant)>,
}

/// Each window is dropped when it ends, so only live windows take memory.
struct EndsWithWindow;

impl moka::Expiry<String, Arc<Window>> for EndsWithWindow {
    fn expire_after_create(&self, _key: &String, window: &Arc<Window>, _created_at: Instant) -> Option<Duration> {
        Some(window.length)
    }
}

impl Default for LocalWindows {
    fn default() -> LocalWindows {
        LocalWindows {
            windows: moka::sync::Cache::builder().max_capacity(LOCAL_WINDOWS_MAX).expire_after(EndsWithWindow).build(),
        }
    }
}

impl LocalWindows {
    fn hit(&self, key: &str, rule: RateLimitRule, length: Duration) -> Decision {
        let now = Instant::now();
        let window =
            self.windows.get_with_by_ref(key, || Arc::new(Window { length, state: Mutex::new((0, now + length)) }));
        let mut state = window.state.lock().unwrap_or_else(|e| e.into_inner());
        // Expiry is lazy: a window past its end may still be handed out once.
        if state.1 <= now {
            *state = (0, now + length);
        }
        state.0 += 1;
        Decision::new(rule, state.0, state.1 - now)
    }
}

/// Seller API keys the sync API has accepted recently, by the digest of the key.
///
/// Only a key found here is counted in a bucket of its own; any other credential is
/// counted against its address's public budget. Entries are only a routing hint for
/// the limiter: the request is still authenticated against the database.
#[derive(Clone)]
pub struct VerifiedKeys {
    keys: moka::sync::Cache<[u8; 16], ()>,
}

impl Default for VerifiedKeys {
    fn default() -> VerifiedKeys {
        VerifiedKeys {
            keys: moka::sync::Cache::builder().max_capacity(VERIFIED_KEYS_MAX).time_to_live(VERIFIED_KEY_TTL).build(),
        }
    }
}

impl VerifiedKeys {
    /// The short digest a key is known by here and in its bucket's name.
    pub fn digest(secret: &str) -> [u8; 16] {
        let full = Sha256::digest(secret.as_bytes());
        let mut short = [0u8; 16];
        short.copy_from_slice(&full[..16]);
        short
    }

    pub fn accept(&self, secret: &str) {
        self.keys.insert(Self::digest(secret), ());
    }

    pub fn forget(&self, secret: &str) {
        self.keys.invalidate(&Self::digest(secret));
    }

    pub fn contains(&self, secret: &str) -> bool {
        self.keys.contains_key(&Self::digest(secret))
    }
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
            Err(LimitError::Exceeded { limit: 5, retry_after_secs }) => assert!(retry_after_secs > 0),
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
    fn windows_stay_bounded_under_a_flood_of_new_keys() {
        let windows = LocalWindows::default();
        let rule = RateLimitRule { limit: 5, window_secs: 60 };
        for i in 0..(LOCAL_WINDOWS_MAX + 5_000) {
            windows.hit(&format!("public:ip:{i}"), rule, Duration::from_secs(60));
        }
        windows.windows.run_pending_tasks();
        assert!(windows.windows.entry_count() <= LOCAL_WINDOWS_MAX, "{}", windows.windows.entry_count());
    }

    #[test]
    fn only_accepted_keys_are_known() {
        let verified = VerifiedKeys::default();
        assert!(!verified.contains("cpk_a"));
        verified.accept("cpk_a");
        assert!(verified.contains("cpk_a") && !verified.contains("cpk_b"));
        verified.forget("cpk_a");
        assert!(!verified.contains("cpk_a"));
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
