//! Seller API keys: issuing them, and telling whose a presented key is.
//!
//! A key is 32 random bytes shown once; the database keeps only its SHA-256 digest and
//! a short prefix so people can tell their keys apart.

use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

use super::error::CatalogError;
use super::store;
pub use super::store::ActiveKey;
use crate::platform::rate_limit::VerifiedKeys;

/// What every seller API key begins with.
pub const KEY_PREFIX: &str = "cpk_";
/// Longest token looked up; anything longer is not a key of ours.
const MAX_KEY_CHARS: usize = 128;

/// A newly issued key: the secret is available only here.
#[derive(Debug)]
pub struct IssuedKey {
    pub id: Uuid,
    pub secret: String,
    pub prefix: String,
}

/// Creates a key for the seller and returns it; only its digest is stored.
pub async fn issue_key(db: &PgPool, seller_id: Uuid, label: Option<&str>) -> Result<IssuedKey, CatalogError> {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("{KEY_PREFIX}{}", hex::encode(bytes));
    let prefix = secret[..KEY_PREFIX.len() + 8].to_string();
    let id = store::insert_key(db, seller_id, &prefix, &digest(&secret), label).await?;
    Ok(IssuedKey { id, secret, prefix })
}

pub(crate) fn digest(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// The active key `secret` is, if any: not revoked, of a seller not suspended.
pub async fn active_key<'e>(db: impl PgExecutor<'e>, secret: &str) -> Result<Option<ActiveKey>, CatalogError> {
    Ok(store::active_key(db, &digest(secret)).await?)
}

/// The seller a request's API key belongs to.
#[derive(Debug, Clone)]
pub struct SellerAuth {
    pub seller_id: Uuid,
    pub external_id: String,
    pub key_id: Uuid,
}

/// Authenticates the sync API's bearer `token` as one of a seller's keys.
///
/// An accepted key is remembered in `verified`, so its requests count against its
/// own rate budget from then on; a refused one is forgotten there.
pub async fn authenticate(
    db: &PgPool,
    verified: &VerifiedKeys,
    token: Option<&str>,
) -> Result<SellerAuth, CatalogError> {
    let token = token.ok_or(CatalogError::Unauthenticated("missing Authorization: Bearer <seller API key>"))?;
    if !token.starts_with(KEY_PREFIX) || token.len() > MAX_KEY_CHARS {
        return Err(CatalogError::Unauthenticated("malformed Authorization header: expected Bearer <seller API key>"));
    }
    let Some(key) = active_key(db, token).await? else {
        verified.forget(token);
        return Err(CatalogError::Unauthenticated("invalid or revoked API key"));
    };
    verified.accept(token);
    // Recording use at most once a minute keeps a busy sync client from turning
    // every request into a write.
    if key.stale {
        let (db, key_id) = (db.clone(), key.key_id);
        tokio::spawn(async move {
            if let Err(error) = store::record_key_use(&db, key_id).await {
                tracing::warn!(%error, "recording API key use failed");
            }
        });
    }
    Ok(SellerAuth { seller_id: key.seller_id, external_id: key.external_id, key_id: key.key_id })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_stable_and_distinct() {
        assert_eq!(digest("cpk_a"), digest("cpk_a"));
        assert_ne!(digest("cpk_a"), digest("cpk_b"));
        assert_eq!(digest("cpk_a").len(), 32);
    }
}
