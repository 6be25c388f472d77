//! Idempotency keys, as payment APIs have them: a client that retries a request with
//! the same `Idempotency-Key` gets the first answer again instead of a second effect.
//!
//! The work and its answer are committed in one transaction: [`claim`] runs first in
//! that transaction, [`remember`] last. So a key has a stored answer exactly when the
//! work was done, and a crash in between leaves neither. While the first request runs,
//! its transaction holds an advisory lock on the key; a second request with the key
//! does not wait for it but is told the key is in use. Only completed work is kept: a
//! request that failed (no stock, a bad field) can be retried with the same key.

mod store;

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use uuid::Uuid;

/// How long an answer is kept for replay.
pub const RETENTION: Duration = Duration::hours(24);
/// The longest key accepted, in characters.
pub const MAX_KEY_CHARS: usize = 255;

/// A client's idempotency key, checked: 1 to 255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(text: &str) -> Result<IdempotencyKey, &'static str> {
        if text.is_empty() {
            return Err("must not be empty");
        }
        if text.chars().count() > MAX_KEY_CHARS {
            return Err("must be at most 255 characters");
        }
        if !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("must be visible ASCII characters (a UUID is a good key)");
        }
        Ok(IdempotencyKey(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One user's use of a key for one kind of request.
#[derive(Debug, Clone)]
pub struct KeyUse<'a> {
    pub user_id: Uuid,
    /// The kind of request, e.g. `orders.create`: a key names one request per kind.
    pub scope: &'static str,
    pub key: &'a IdempotencyKey,
    /// The request's body, canonicalised and hashed (see [`fingerprint`]).
    pub fingerprint: [u8; 32],
}

/// The stored first answer to a key.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

/// What a request with a key is to do.
#[derive(Debug)]
pub enum Claim {
    /// First use: do the work, then [`remember`] the answer in the same transaction.
    Fresh,
    /// Done before with the same body: answer this again.
    Replay(Answer),
}

#[derive(Debug, thiserror::Error)]
pub enum IdempotencyError {
    /// Another request with this key is running now.
    #[error("a request with this Idempotency-Key is still being processed; retry shortly")]
    InUse,
    /// The key was used for a request with another body.
    #[error("this Idempotency-Key was used for a different request")]
    Reused,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// The fingerprint of a JSON body: the same for bodies that differ only in spacing or
/// the order of object keys.
pub fn fingerprint(body: &Value) -> [u8; 32] {
    let mut canonical = Vec::new();
    write_canonical(body, &mut canonical);
    Sha256::digest(&canonical).into()
}

fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (i, (key, value)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(&Value::String(key.clone()), out);
                out.push(b':');
                write_canonical(value, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        scalar => out.extend_from_slice(scalar.to_string().as_bytes()),
    }
}

/// Takes the key for this transaction, or says what to answer instead.
pub async fn claim(tx: &mut PgConnection, usage: &KeyUse<'_>, now: DateTime<Utc>) -> Result<Claim, IdempotencyError> {
    if !store::try_lock(&mut *tx, usage).await? {
        return Err(IdempotencyError::InUse);
    }
    match store::find(&mut *tx, usage, now).await? {
        None => Ok(Claim::Fresh),
        Some((fingerprint, answer)) if fingerprint == usage.fingerprint => Ok(Claim::Replay(answer)),
        Some(_) => Err(IdempotencyError::Reused),
    }
}

/// Keeps `answer` for the key, in the transaction that did the work.
pub async fn remember(
    tx: &mut PgConnection,
    usage: &KeyUse<'_>,
    answer: &Answer,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    store::save(tx, usage, answer, now, now + RETENTION).await
}

/// Forgets answers past their retention; returns how many.
pub async fn purge_expired(db: &sqlx::PgPool, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    store::purge(db, now).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_short_visible_ascii() {
        assert!(IdempotencyKey::parse("0f8fad5b-d9cb-469f-a165-70867728950e").is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(256)).is_err());
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse("has space").is_err());
        assert!(IdempotencyKey::parse("مفتاح").is_err());
    }

    #[test]
    fn the_fingerprint_ignores_spacing_and_key_order_but_not_values() {
        let a: Value =
            serde_json::from_str(r#"{"items": [{"listing_id": "x", "quantity": 2}], "notes": "n"}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"notes":"n","items":[{"quantity":2,"listing_id":"x"}]}"#).unwrap();
        let c: Value = serde_json::from_str(r#"{"notes":"n","items":[{"quantity":3,"listing_id":"x"}]}"#).unwrap();
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a), fingerprint(&c));
        let reordered: Value = serde_json::from_str(r#"{"items":[2,1]}"#).unwrap();
        let ordered: Value = serde_json::from_str(r#"{"items":[1,2]}"#).unwrap();
        assert_ne!(fingerprint(&reordered), fingerprint(&ordered), "arrays keep their order");
    }
}
