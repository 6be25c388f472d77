//! Seller API keys: issuing them, and authenticating the sync API's requests with them.
//!
//! A key is 32 random bytes shown once; the database keeps only its SHA-256 digest and
//! a short prefix so people can tell their keys apart.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::{PgPool, Row};
use uuid::Uuid;

use crate::http::credentials::bearer_token;
use crate::http::error::AppError;
use crate::platform::db::PrimaryDb;
use crate::platform::rate_limit::VerifiedKeys;

const KEY_PREFIX: &str = "cpk_";

/// A newly issued key: the secret is available only here.
#[derive(Debug)]
pub struct IssuedKey {
    pub id: Uuid,
    pub secret: String,
    pub prefix: String,
}

/// Creates a key for the seller and returns it; only its digest is stored.
pub async fn issue_key(db: &PgPool, seller_id: Uuid, label: Option<&str>) -> sqlx::Result<IssuedKey> {
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

/// The seller a request's API key belongs to.
#[derive(Debug, Clone)]
pub struct SellerAuth {
    pub seller_id: Uuid,
    pub external_id: String,
    pub key_id: Uuid,
}

impl<S> FromRequestParts<S> for SellerAuth
where
    S: Send + Sync,
    PrimaryDb: FromRef<S>,
    VerifiedKeys: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let token = bearer_token(&parts.headers)
            .ok_or(AppError::Unauthorized("missing Authorization: Bearer <seller API key>"))?;
        if !token.starts_with(KEY_PREFIX) || token.len() > 128 {
            return Err(AppError::Unauthorized("malformed Authorization header: expected Bearer <seller API key>"));
        }
        let PrimaryDb(db) = PrimaryDb::from_ref(state);
        let verified = VerifiedKeys::from_ref(state);
        let row = sqlx::query(
            "SELECT k.id AS key_id, k.last_used_at < now() - interval '1 minute' OR k.last_used_at IS NULL AS stale,
                    s.id AS seller_id, s.external_id
               FROM seller_api_keys k JOIN sellers s ON s.id = k.seller_id
              WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND s.status = 'active'",
        )
        .bind(digest(token))
        .fetch_optional(&db)
        .await?;
        let Some(row) = row else {
            verified.forget(token);
            return Err(AppError::Unauthorized("invalid or revoked API key"));
        };
        // From now on the key's requests count against its own budget.
        verified.accept(token);
        let auth = SellerAuth {
            seller_id: row.get("seller_id"),
            external_id: row.get("external_id"),
            key_id: row.get("key_id"),
        };
        // Recording use at most once a minute keeps a busy sync client from turning
        // every request into a write.
        if row.get::<bool, _>("stale") {
            let key_id = auth.key_id;
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
        Ok(auth)
    }
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
