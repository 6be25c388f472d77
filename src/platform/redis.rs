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
    /// Unix milliseconds until which the store counts as down without asking.
    down_until_ms: Arc<AtomicU64>,
}

impl SharedStore {
    pub fn new(connection: ConnectionManager, prefix: &str) -> SharedStore {
        SharedStore { connection, prefix: prefix.into(), down_until_ms: Arc::default() }
    }

    /// The full key for `name`.
    pub fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    pub async fn query<T: FromRedisValue>(&self, command: &Cmd) -> Result<T, StoreDown> {
        let now = now_ms();
        let down_until = self.down_until_ms.load(Ordering::Relaxed);
        if now < down_until {
            return Err(StoreDown("marked down after a recent failure".into()));
        }
        let mut connection = self.connection.clone();
        let failure = match tokio::time::timeout(BUDGET, command.query_async::<T>(&mut connection)).await {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(error)) if !is_outage(&error) => return Err(StoreDown(error.to_string())),
            Ok(Err(error)) => StoreDown(error.to_string()),
            Err(_) => StoreDown(format!("no answer within {} ms", BUDGET.as_millis())),
        };
        self.down_until_ms.store(now_ms() + COOL_DOWN.as_millis() as u64, Ordering::Relaxed);
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
