//! Password policy and hashing.
//!
//! The policy follows NIST SP 800-63B: length matters, composition rules do not, and
//! passwords everybody tries first are refused. Hashes are argon2id with the crate's
//! defaults (19 MiB, 2 passes, 1 lane: OWASP's recommendation) in PHC form, so the
//! parameters travel with each hash and can be raised later without a migration.
//! Hashing takes tens of milliseconds of CPU, so it runs on the blocking pool.

use std::sync::OnceLock;

use anyhow::Context;
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use secrecy::{ExposeSecret, SecretString};

use crate::platform::phone::Phone;

pub const MIN_LENGTH: usize = 10;
pub const MAX_LENGTH: usize = 128;

/// Passwords attackers try first, lowercase. Matching is case-insensitive.
const COMMON: &[&str] = &[
    "1234567890",
    "12345678910",
    "0123456789",
    "0987654321",
    "1122334455",
    "1111111111",
    "123456789a",
    "a123456789",
    "qwertyuiop",
    "qwerty1234",
    "1234qwerty",
    "1q2w3e4r5t",
    "1qaz2wsx3edc",
    "asdfghjkl1",
    "password12",
    "password123",
    "password1234",
    "passw0rd123",
    "iloveyou123",
    "letmein1234",
    "welcome123",
    "admin12345",
    "administrator",
    "changeme123",
    "football123",
    "princess123",
    "sunshine123",
    "abc1234567",
    "abcdefghij",
    "cargoparts",
    "cargoparts1",
    "cargoparts123",
    "saudiarabia",
    "saudi12345",
    "riyadh1234",
    "jeddah1234",
    "ksa1234567",
    "mohammed123",
    "muhammad123",
    "abdullah123",
];

/// What a password must not contain: the name, the email's local part, the phone's
/// national digits.
pub fn personal<'a>(name: &'a str, email: Option<&'a str>, phone: Option<&'a Phone>) -> [&'a str; 3] {
    [
        name,
        email.and_then(|e| e.split('@').next()).unwrap_or(""),
        phone.map_or("", |p| p.as_str().trim_start_matches("+966")),
    ]
}

/// Why a password is refused, in words a user can act on.
pub fn policy_violation(password: &str, personal: &[&str]) -> Option<String> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Some(format!("must be at least {MIN_LENGTH} characters; a few unrelated words make a strong one"));
    }
    if length > MAX_LENGTH {
        return Some(format!("must be at most {MAX_LENGTH} characters"));
    }
    let lower = password.to_lowercase();
    let mut distinct: Vec<char> = lower.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 4 || COMMON.contains(&lower.as_str()) {
        return Some("is too common and would be guessed quickly; choose another".to_string());
    }
    if personal.iter().map(|p| p.trim().to_lowercase()).any(|p| p.chars().count() >= 4 && lower.contains(&p)) {
        return Some("must not contain your name, email or phone number".to_string());
    }
    None
}

/// Hashes a password into a PHC string.
pub async fn hash(password: SecretString) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash_now(password.expose_secret()))
        .await
        .context("password hashing task failed")?
}

fn hash_now(password: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
}

/// Whether `password` matches `stored`. Without a stored hash (no such account, or an
/// account without a password) a dummy hash is verified instead, so the answer takes
/// as long either way and response times do not reveal which accounts exist.
pub async fn verify(password: SecretString, stored: Option<String>) -> anyhow::Result<bool> {
    tokio::task::spawn_blocking(move || {
        let (stored, real) = match stored {
            Some(stored) => (stored, true),
            None => (dummy_hash().to_string(), false),
        };
        let parsed = PasswordHash::new(&stored).map_err(|e| anyhow::anyhow!("stored hash: {e}"))?;
        let matches = Argon2::default().verify_password(password.expose_secret().as_bytes(), &parsed).is_ok();
        Ok(real && matches)
    })
    .await
    .context("password verification task failed")?
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        hash_now("no account has this password; it only spends time").expect("hashing a constant password succeeds")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_explains_each_refusal() {
        let short = policy_violation("abc12", &[]).unwrap();
        assert!(short.contains("at least 10"), "{short}");
        let long = "x".repeat(129) + "abcd";
        assert!(policy_violation(&long, &[]).unwrap().contains("at most"));
        assert!(policy_violation("Password123", &[]).unwrap().contains("too common"));
        assert!(policy_violation("aaaaaaaaaaaa", &[]).unwrap().contains("too common"));
        let personal = policy_violation("fatimah-parts-2026", &["Fatimah", "f@example.com"]);
        assert!(personal.unwrap().contains("name"));
    }

    #[test]
    fn long_passphrases_in_any_script_pass() {
        assert_eq!(policy_violation("correct horse battery staple", &[]), None);
        assert_eq!(policy_violation("فلتر زيت كامري ٢٠١٩", &["Ali"]), None);
    }

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify_only_the_right_password() {
        let stored = hash(SecretString::from("lemon tree by the sea")).await.unwrap();
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        assert!(verify(SecretString::from("lemon tree by the sea"), Some(stored.clone())).await.unwrap());
        assert!(!verify(SecretString::from("lemon tree by the see"), Some(stored)).await.unwrap());
    }

    #[tokio::test]
    async fn accounts_without_a_hash_never_verify() {
        let phrase = "no account has this password; it only spends time";
        assert!(!verify(SecretString::from(phrase), None).await.unwrap());
    }
}
