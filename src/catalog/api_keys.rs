//! Seller API keys: issuing them, and telling whose a presented key is.
//!
//! A key is 32 random bytes shown once; the database keeps only its SHA-256 digest and
//! a short prefix so people can tell their keys apart.

use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::{PgExecutor, PgPool, Row};
use uuid::Uuid;

use super::error::CatalogError;
use crate::platform::rate_limit::VerifiedKeys;

const KEY_PREFIX: &str = "cpk_";
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
    let id: Uuid = sqlx::query_scalar(
        "INSERT INTO seller_api_keys (seller_id, prefix, key_hash, label) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(seller_id)
    .bind(&prefix)
    .bind(digest(&secret))
    .bind(label)
    .fetch_one(db)
    .await?;
    Ok(IssuedKey { id, secret, prefix })
}

pub(crate) fn digest(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// An active key of an active seller.
#[derive(Debug, Clone)]
pub struct ActiveKey {
    pub key_id: Uuid,
    pub seller_id: Uuid,
    pub external_id: String,
    /// Its last use was recorded over a minute ago, or never.
    pub stale: bool,
}

/// The active key `secret` is, if any: not revoked, of a seller not suspended.
pub async fn active_key<'e>(db: impl PgExecutor<'e>, secret: &str) -> Result<Option<ActiveKey>, CatalogError> {
    let row = sqlx::query(
        "SELECT k.id AS key_id, k.last_used_at < now() - interval '1 minute' OR k.last_used_at IS NULL AS stale,
                s.id AS seller_id, s.external_id
           FROM seller_api_keys k JOIN sellers s ON s.id = k.seller_id
          WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND s.status = 'active'",
    )
    .bind(digest(secret))
    .fetch_optional(db)
    .await?;
    Ok(row.map(|row| ActiveKey {
        key_id: row.get("key_id"),
        seller_id: row.get("seller_id"),
        external_id: row.get("external_id"),
        stale: row.get("stale"),
    }))
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
            let result = sqlx::query("UPDATE seller_api_keys SET last_used_at = now() WHERE id = $1")
                .bind(key_id)
                .execute(&db)
                .await;
            if let Err(error) = result {
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
