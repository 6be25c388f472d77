//! Redis as the auth module uses it: under the deployment's key prefix, and with a
//! short time budget per call.
//!
//! The connection manager reconnects on its own, retrying with backoff; a request
//! should not wait through all of that. Past the budget the store counts as down and
//! the caller applies its policy (see `rate_limit` and `revocation`).

use std::sync::Arc;
use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::{Cmd, FromRedisValue};

/// How long one call may take before Redis counts as down.
const BUDGET: Duration = Duration::from_secs(1);

/// Redis was unreachable, slow or refused the command.
#[derive(Debug, thiserror::Error)]
#[error("redis unavailable: {0}")]
pub struct StoreDown(pub String);

#[derive(Clone)]
pub struct SharedStore {
    connection: ConnectionManager,
    prefix: Arc<str>,
}

impl SharedStore {
    pub fn new(connection: ConnectionManager, prefix: &str) -> SharedStore {
        SharedStore { connection, prefix: prefix.into() }
    }

    /// The full key for `name`.
    pub fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    pub async fn query<T: FromRedisValue>(&self, command: &Cmd) -> Result<T, StoreDown> {
        let mut connection = self.connection.clone();
        match tokio::time::timeout(BUDGET, command.query_async::<T>(&mut connection)).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(StoreDown(error.to_string())),
            Err(_) => Err(StoreDown(format!("no answer within {} ms", BUDGET.as_millis()))),
        }
    }
}
