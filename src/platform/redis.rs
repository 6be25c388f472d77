//! Redis as the auth module uses it: under the deployment's key prefix, and with a
//! short time budget per call.
//!
//! The connection manager reconnects on its own, retrying with backoff; a request
//! should not wait through all of that. Past the budget the store counts as down and
//! the caller applies its policy (see `rate_limit` and `auth::revocation`).
//!
//! An outage is paid for once, not per request: after a failure the store answers
//! "down" at once for [`COOL_DOWN`], then lets one call through to find out whether
//! Redis is back.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redis::aio::ConnectionManager;
use redis::{Cmd, FromRedisValue};

/// How long one call may take before Redis counts as down.
const BUDGET: Duration = Duration::from_secs(1);
/// How long a failure marks the store down before Redis is tried again.
const COOL_DOWN: Duration = Duration::from_secs(2);

/// Redis was unreachable, slow or refused the command.
#[derive(Debug, thiserror::Error)]
#[error("redis unavailable: {0}")]
pub struct StoreDown(pub String);

#[derive(Clone)]
pub struct SharedStore {
    connection: ConnectionManager,
    prefix: Arc<str>,
    breaker: Breaker,
}

/// Remembers a failure for [`COOL_DOWN`], so callers meanwhile get "down" at once.
#[derive(Clone, Default)]
struct Breaker {
    /// Unix milliseconds until which the store counts as down without asking.
    down_until_ms: Arc<AtomicU64>,
}

impl Breaker {
    fn is_open(&self, now_ms: u64) -> bool {
        now_ms < self.down_until_ms.load(Ordering::Relaxed)
    }

    fn trip(&self, now_ms: u64) {
        self.down_until_ms.store(now_ms + COOL_DOWN.as_millis() as u64, Ordering::Relaxed);
    }
}

impl SharedStore {
    pub fn new(connection: ConnectionManager, prefix: &str) -> SharedStore {
        SharedStore { connection, prefix: prefix.into(), breaker: Breaker::default() }
    }

    /// The full key for `name`.
    pub fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    pub async fn query<T: FromRedisValue>(&self, command: &Cmd) -> Result<T, StoreDown> {
        if self.breaker.is_open(now_ms()) {
            return Err(StoreDown("marked down after a recent failure".into()));
        }
        let mut connection = self.connection.clone();
        let failure = match tokio::time::timeout(BUDGET, command.query_async::<T>(&mut connection)).await {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(error)) if !is_outage(&error) => return Err(StoreDown(error.to_string())),
            Ok(Err(error)) => StoreDown(error.to_string()),
            Err(_) => StoreDown(format!("no answer within {} ms", BUDGET.as_millis())),
        };
        self.breaker.trip(now_ms());
        Err(failure)
    }
}

/// Whether an error means Redis cannot be reached, as opposed to refusing one command.
fn is_outage(error: &redis::RedisError) -> bool {
    error.is_io_error() || error.is_connection_dropped() || error.is_connection_refusal() || error.is_timeout()
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_answers_for_the_cool_down_then_lets_a_call_through() {
        let breaker = Breaker::default();
        assert!(!breaker.is_open(1_000));
        breaker.trip(1_000);
        assert!(breaker.is_open(1_001));
        assert!(breaker.is_open(1_000 + COOL_DOWN.as_millis() as u64 - 1));
        assert!(!breaker.is_open(1_000 + COOL_DOWN.as_millis() as u64));
    }
}
