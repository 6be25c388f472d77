//! One-time proofs sent to a person: six-digit codes for text messages, and signed
//! tokens for emailed links.
//!
//! A link's token is the id of the stored request and its signature with the lookup
//! key under a domain of its own (a reset link's token does not verify an email), so
//! nothing stored opens an account and a job or an event can carry the id alone.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use rand::Rng;
use subtle::ConstantTimeEq;
use uuid::Uuid;

use super::error::AuthError;
use crate::platform::crypto::LookupHasher;

/// Six random digits.
pub fn new_code() -> String {
    format!("{:06}", rand::rng().random_range(0..1_000_000u32))
}

/// The token of a link to request `id`: its id and its signature under `domain`.
pub fn token_of(lookup: &LookupHasher, domain: &str, id: Uuid) -> String {
    let signature = lookup.hash(domain, &[id.as_bytes()]);
    format!("{}.{}", id.simple(), URL_SAFE_NO_PAD.encode(signature))
}

/// The request a token names, if its signature under `domain` holds.
pub fn id_of_token(lookup: &LookupHasher, domain: &str, token: &str) -> Option<Uuid> {
    let (id, signature) = token.trim().split_once('.')?;
    let id = Uuid::try_parse(id).ok()?;
    let presented = URL_SAFE_NO_PAD.decode(signature).ok()?;
    let expected = lookup.hash(domain, &[id.as_bytes()]);
    bool::from(presented.ct_eq(&expected)).then_some(id)
}

/// A lifetime from the settings' seconds.
pub fn seconds(secs: u64) -> Result<Duration, AuthError> {
    Ok(Duration::seconds(i64::try_from(secs).map_err(anyhow::Error::from)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(key: u8) -> LookupHasher {
        LookupHasher::new(&[key; 32]).unwrap()
    }

    #[test]
    fn a_token_names_its_request_only_under_the_key_and_domain_that_signed_it() {
        let id = Uuid::new_v4();
        let token = token_of(&lookup(1), "reset", id);
        assert_eq!(id_of_token(&lookup(1), "reset", &token), Some(id));
        assert_eq!(id_of_token(&lookup(2), "reset", &token), None);
        assert_eq!(id_of_token(&lookup(1), "verify", &token), None, "a reset link verifies nothing");
        assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)), "URL-safe: {token}");
    }

    #[test]
    fn a_forged_or_mangled_token_names_nothing() {
        let id = Uuid::new_v4();
        let other = Uuid::new_v4();
        let token = token_of(&lookup(1), "reset", id);
        let (_, signature) = token.split_once('.').unwrap();
        assert_eq!(id_of_token(&lookup(1), "reset", &format!("{}.{signature}", other.simple())), None);
        for mangled in ["", ".", "abc", &token[..token.len() - 1], &format!("{token}x"), &token.replace('.', "")] {
            assert_eq!(id_of_token(&lookup(1), "reset", mangled), None, "{mangled}");
        }
    }

    #[test]
    fn codes_are_six_digits() {
        for _ in 0..200 {
            let code = new_code();
            assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()), "{code}");
        }
    }
}
