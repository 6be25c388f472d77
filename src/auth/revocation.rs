//! Revoked access tokens, by `jti`, until they would have expired anyway.
//!
//! Access tokens are checked without a database round trip, so a logout needs a list
//! every replica consults: Redis, with each entry expiring with its token. Every
//! revocation is also kept in process, which is the whole list on a single node
//! without Redis and a partial safety net on a replica whose Redis is down.
//!
//! When Redis is configured but does not answer, a token cannot be shown not to be
//! revoked, so the check fails closed: the request gets a 503, not a pass.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::error::AuthError;
use crate::platform::redis::SharedStore;

/// Entries kept in process before expired ones are swept.
const SWEEP_AT: usize = 4096;

#[derive(Clone)]
pub struct Revocations {
    shared: Option<SharedStore>,
    local: Arc<Mutex<HashMap<Uuid, DateTime<Utc>>>>,
}

impl Revocations {
    pub fn new(shared: Option<SharedStore>) -> Revocations {
        Revocations { shared, local: Arc::default() }
    }

    /// Refuses the token `jti` from now until `until`.
    ///
    /// A Redis failure is logged and not returned: the caller (logout) has already
    /// ended the session, which is what matters most, and this replica still refuses
    /// the token.
    pub async fn revoke(&self, jti: Uuid, until: DateTime<Utc>, now: DateTime<Utc>) {
        {
            let mut local = self.local.lock().unwrap_or_else(|e| e.into_inner());
            if local.len() >= SWEEP_AT {
                local.retain(|_, expires| *expires > now);
            }
            local.insert(jti, until);
        }
        let Some(shared) = &self.shared else {
            return;
        };
        let ttl = (until - now).num_seconds().max(1);
        let command = redis::cmd("SET").arg(shared.key(&format!("revoked:{jti}"))).arg(1).arg("EX").arg(ttl).to_owned();
        if let Err(error) = shared.query::<()>(&command).await {
            tracing::warn!(%error, "revocation not shared with other replicas");
        }
    }

    /// Whether `jti` was revoked; an error when that cannot be known.
    pub async fn is_revoked(&self, jti: Uuid, now: DateTime<Utc>) -> Result<bool, AuthError> {
        {
            let local = self.local.lock().unwrap_or_else(|e| e.into_inner());
            if local.get(&jti).is_some_and(|until| *until > now) {
                return Ok(true);
            }
        }
        let Some(shared) = &self.shared else {
            return Ok(false);
        };
        let command = redis::cmd("EXISTS").arg(shared.key(&format!("revoked:{jti}"))).to_owned();
        shared
            .query::<bool>(&command)
            .await
            .map_err(|error| AuthError::Unavailable(format!("token revocation list: {error}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[tokio::test]
    async fn without_redis_revocations_hold_in_process_until_expiry() {
        let revocations = Revocations::new(None);
        let now = Utc::now();
        let jti = Uuid::new_v4();
        assert!(!revocations.is_revoked(jti, now).await.unwrap());
        revocations.revoke(jti, now + Duration::minutes(15), now).await;
        assert!(revocations.is_revoked(jti, now).await.unwrap());
        assert!(!revocations.is_revoked(Uuid::new_v4(), now).await.unwrap());
        let later = now + Duration::minutes(16);
        assert!(!revocations.is_revoked(jti, later).await.unwrap());
    }
}
