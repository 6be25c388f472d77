//! Access tokens (JWT) and opaque tokens (refresh tokens, login challenges).
//!
//! Access tokens are HS256 JWTs: the service both issues and checks them, so a shared
//! secret is enough and keeps verification cheap. The header carries `kid` (the key
//! that signed it, so keys rotate without invalidating live tokens) and
//! `typ: at+jwt` (RFC 9068, so no other JWT signed with the same key passes as an
//! access token). Claims: `sub`, `role`, `seller_id`, `sid` (the session, i.e. the
//! refresh-token family), `jti` (for revocation), `iat`, `exp`, `iss`, `aud`.
//! Expiry is checked against the module's clock rather than inside the library.
//!
//! Opaque tokens are 32 random bytes with a readable prefix; only their SHA-256 is
//! stored. They are long random secrets, so a fast digest suffices.

use std::collections::HashMap;
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::principal::Role;
use crate::platform::config::AuthSettings;
use crate::platform::crypto::check_key_id;

const ACCESS_TOKEN_TYPE: &str = "at+jwt";
const MIN_SECRET_LEN: usize = 32;

/// Prefix of refresh tokens.
pub const REFRESH_PREFIX: &str = "cprt_";
/// Prefix of second-factor login challenges.
pub const CHALLENGE_PREFIX: &str = "cpmfa_";

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub sub: Uuid,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seller_id: Option<Uuid>,
    pub sid: Uuid,
    pub jti: Uuid,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
}

/// Who a token is issued to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subject {
    pub user_id: Uuid,
    pub role: Role,
    pub seller_id: Option<Uuid>,
}

/// Why an access token was refused. Callers answer all of them with the same 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("malformed token")]
    Malformed,
    #[error("signed with an unknown key")]
    UnknownKey,
    #[error("bad signature or claims")]
    Invalid,
    #[error("expired")]
    Expired,
}

/// Signing and verification keys by id.
pub struct JwtKeyring {
    signing_kid: String,
    encoding: EncodingKey,
    decoding: HashMap<String, DecodingKey>,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl: Duration,
}

impl fmt::Debug for JwtKeyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ids: Vec<&String> = self.decoding.keys().collect();
        ids.sort();
        f.debug_struct("JwtKeyring").field("signing_kid", &self.signing_kid).field("key_ids", &ids).finish()
    }
}

impl JwtKeyring {
    pub fn new(
        settings: &AuthSettings,
        signing_kid: &str,
        secrets: &[(String, Vec<u8>)],
    ) -> anyhow::Result<JwtKeyring> {
        let mut decoding = HashMap::new();
        let mut encoding = None;
        for (id, secret) in secrets {
            check_key_id(id)?;
            anyhow::ensure!(secret.len() >= MIN_SECRET_LEN, "JWT key {id} must be at least {MIN_SECRET_LEN} bytes");
            decoding.insert(id.clone(), DecodingKey::from_secret(secret));
            if id == signing_kid {
                encoding = Some(EncodingKey::from_secret(secret));
            }
        }
        let encoding = encoding.ok_or_else(|| anyhow::anyhow!("JWT signing key {signing_kid} is not configured"))?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        // Expiry is compared with the auth clock in `verify`.
        validation.validate_exp = false;
        Ok(JwtKeyring {
            signing_kid: signing_kid.to_string(),
            encoding,
            decoding,
            validation,
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
            ttl: Duration::seconds(i64::try_from(settings.access_token_ttl_secs)?),
        })
    }

    pub fn signing_kid(&self) -> &str {
        &self.signing_kid
    }

    /// Access token lifetime in seconds, as `expires_in` tells clients.
    pub fn ttl_secs(&self) -> i64 {
        self.ttl.num_seconds()
    }

    /// A new access token for `subject` in session `session_id`.
    pub fn issue(&self, subject: Subject, session_id: Uuid, now: DateTime<Utc>) -> (String, AccessClaims) {
        let claims = AccessClaims {
            sub: subject.user_id,
            role: subject.role,
            seller_id: subject.seller_id,
            sid: session_id,
            jti: Uuid::new_v4(),
            iat: now.timestamp(),
            exp: (now + self.ttl).timestamp(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.signing_kid.clone());
        header.typ = Some(ACCESS_TOKEN_TYPE.to_string());
        let token = jsonwebtoken::encode(&header, &claims, &self.encoding)
            .expect("HS256 signing of serializable claims cannot fail");
        (token, claims)
    }

    /// The claims of a valid, unexpired access token.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<AccessClaims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed)?;
        if header.typ.as_deref() != Some(ACCESS_TOKEN_TYPE) {
            return Err(TokenError::Invalid);
        }
        let key = header.kid.as_deref().and_then(|kid| self.decoding.get(kid)).ok_or(TokenError::UnknownKey)?;
        let data =
            jsonwebtoken::decode::<AccessClaims>(token, key, &self.validation).map_err(|_| TokenError::Invalid)?;
        if data.claims.exp <= now.timestamp() {
            return Err(TokenError::Expired);
        }
        Ok(data.claims)
    }
}

/// A new opaque token with `prefix`, and the digest to store for it.
pub fn new_opaque_token(prefix: &str) -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes));
    let digest = digest(&token);
    (token, digest)
}

/// The stored form of an opaque token.
pub fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::config::Settings;

    fn keyring(kid: &str, secrets: &[(&str, &str)]) -> JwtKeyring {
        let settings = Settings::load_from(None, |_| None).unwrap().auth;
        let secrets: Vec<(String, Vec<u8>)> =
            secrets.iter().map(|(id, s)| (id.to_string(), s.as_bytes().to_vec())).collect();
        JwtKeyring::new(&settings, kid, &secrets).unwrap()
    }

    const A: &str = "secret A, long enough for HS256 use";
    const B: &str = "secret B, long enough for HS256 use";

    fn subject() -> Subject {
        Subject { user_id: Uuid::new_v4(), role: Role::Seller, seller_id: Some(Uuid::new_v4()) }
    }

    #[test]
    fn issued_tokens_verify_until_they_expire() {
        let ring = keyring("a", &[("a", A)]);
        let now = Utc::now();
        let subject = subject();
        let (token, claims) = ring.issue(subject, Uuid::new_v4(), now);
        assert_eq!(ring.verify(&token, now), Ok(claims.clone()));
        assert_eq!(claims.exp - claims.iat, 900);
        assert_eq!(claims.seller_id, subject.seller_id);
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.kid.as_deref(), Some("a"));
        assert_eq!(ring.verify(&token, now + Duration::seconds(899)), Ok(claims));
        assert_eq!(ring.verify(&token, now + Duration::seconds(900)), Err(TokenError::Expired));
    }

    #[test]
    fn tokens_of_a_retired_key_verify_while_it_stays_listed() {
        let old = keyring("a", &[("a", A)]);
        let (token, _) = old.issue(subject(), Uuid::new_v4(), Utc::now());
        let rotated = keyring("b", &[("a", A), ("b", B)]);
        assert!(rotated.verify(&token, Utc::now()).is_ok());
        let (fresh, _) = rotated.issue(subject(), Uuid::new_v4(), Utc::now());
        assert_eq!(jsonwebtoken::decode_header(&fresh).unwrap().kid.as_deref(), Some("b"));
        let dropped = keyring("b", &[("b", B)]);
        assert_eq!(dropped.verify(&token, Utc::now()), Err(TokenError::UnknownKey));
    }

    #[test]
    fn a_token_signed_with_another_secret_under_a_known_kid_is_invalid() {
        let forger = keyring("a", &[("a", B)]);
        let (token, _) = forger.issue(subject(), Uuid::new_v4(), Utc::now());
        assert_eq!(keyring("a", &[("a", A)]).verify(&token, Utc::now()), Err(TokenError::Invalid));
    }

    #[test]
    fn unsigned_and_garbage_tokens_are_refused() {
        let ring = keyring("a", &[("a", A)]);
        let (token, _) = ring.issue(subject(), Uuid::new_v4(), Utc::now());
        let mut parts: Vec<&str> = token.split('.').collect();
        let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"at+jwt","kid":"a"}"#);
        parts[0] = &none_header;
        parts[2] = "";
        assert!(ring.verify(&parts.join("."), Utc::now()).is_err());
        assert_eq!(ring.verify("not a token", Utc::now()), Err(TokenError::Malformed));
    }

    #[test]
    fn opaque_tokens_are_random_and_stored_as_digests() {
        let (a, digest_a) = new_opaque_token(REFRESH_PREFIX);
        let (b, _) = new_opaque_token(REFRESH_PREFIX);
        assert!(a.starts_with("cprt_") && a.len() == 5 + 43);
        assert_ne!(a, b);
        assert_eq!(digest(&a), digest_a);
        assert_eq!(digest_a.len(), 32);
    }
}
