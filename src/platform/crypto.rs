//! Encryption of personal fields at rest, and keyed lookup hashes.
//!
//! A sealed value is `<key id>:<base64 of nonce ‖ ciphertext ‖ tag>`: AES-256-GCM with a
//! fresh random 96-bit nonce per value, and associated data naming the column and row
//! so a sealed value copied onto another row does not open there. The key id prefix
//! lets keys rotate: new values use the active key, old ones open with theirs.
//!
//! Encrypted values cannot be searched, so lookups (by phone number) go through an
//! HMAC-SHA256 of the normalized value under a separate key: equal inputs give equal
//! hashes, and without the key a leaked hash cannot be brute-forced from the small
//! space of phone numbers.

use std::collections::HashMap;
use std::fmt;

use aes_gcm::aead::{Aead, Generate, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

const NONCE_LEN: usize = 12;

/// The AES-256-GCM keyring for personal fields.
pub struct FieldCipher {
    active: String,
    keys: HashMap<String, Aes256Gcm>,
}

impl fmt::Debug for FieldCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ids: Vec<&String> = self.keys.keys().collect();
        ids.sort();
        f.debug_struct("FieldCipher").field("active", &self.active).field("key_ids", &ids).finish()
    }
}

impl FieldCipher {
    /// A keyring from raw 32-byte keys; `active` must be one of them.
    pub fn new(active: &str, keys: &[(String, Vec<u8>)]) -> anyhow::Result<FieldCipher> {
        let mut ring = HashMap::new();
        for (id, key) in keys {
            check_key_id(id)?;
            anyhow::ensure!(key.len() == 32, "encryption key {id} must be 32 bytes, not {}", key.len());
            let cipher = Aes256Gcm::new_from_slice(key)
                .map_err(|_| anyhow::anyhow!("encryption key {id} is not a valid AES-256 key"))?;
            ring.insert(id.clone(), cipher);
        }
        anyhow::ensure!(
            ring.contains_key(active),
            "the active encryption key {active} is not among the configured keys"
        );
        Ok(FieldCipher { active: active.to_string(), keys: ring })
    }

    /// Seals `plaintext` under the active key, bound to `context` (column and row).
    pub fn seal(&self, plaintext: &[u8], context: &[u8]) -> String {
        let cipher = &self.keys[&self.active];
        let nonce = Nonce::generate();
        let ciphertext = cipher
            .encrypt(&nonce, Payload { msg: plaintext, aad: context })
            .expect("AES-GCM encryption of an in-memory buffer cannot fail");
        let mut packed = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        packed.extend_from_slice(nonce.as_slice());
        packed.extend_from_slice(&ciphertext);
        format!("{}:{}", self.active, STANDARD.encode(packed))
    }

    /// Opens a value sealed by [`FieldCipher::seal`] with the same `context`.
    pub fn open(&self, sealed: &str, context: &[u8]) -> anyhow::Result<Vec<u8>> {
        let (id, body) = sealed.split_once(':').context("sealed value has no key id")?;
        let cipher = self.keys.get(id).with_context(|| format!("sealed with unknown key {id}"))?;
        let packed = STANDARD.decode(body).context("sealed value is not base64")?;
        if packed.len() < NONCE_LEN + 16 {
            bail!("sealed value is too short");
        }
        let (nonce, ciphertext) = packed.split_at(NONCE_LEN);
        let nonce = Nonce::try_from(nonce).context("bad nonce")?;
        cipher
            .decrypt(&nonce, Payload { msg: ciphertext, aad: context })
            .map_err(|_| anyhow::anyhow!("sealed value does not open with key {id}"))
    }
}

/// Keyed HMAC-SHA256 for looking values up without storing them.
#[derive(Clone)]
pub struct LookupHasher {
    mac: Hmac<Sha256>,
}

impl fmt::Debug for LookupHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LookupHasher")
    }
}

impl LookupHasher {
    pub fn new(key: &[u8]) -> anyhow::Result<LookupHasher> {
        anyhow::ensure!(key.len() >= 32, "the HMAC key must be at least 32 bytes");
        let mac = Hmac::<Sha256>::new_from_slice(key).context("invalid HMAC key")?;
        Ok(LookupHasher { mac })
    }

    /// The hash of `parts` in `domain`. Each part is length-prefixed and the domain
    /// is separate, so distinct inputs can never produce the same message.
    pub fn hash(&self, domain: &str, parts: &[&[u8]]) -> Vec<u8> {
        let mut mac = self.mac.clone();
        for part in std::iter::once(domain.as_bytes()).chain(parts.iter().copied()) {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac.finalize().into_bytes().to_vec()
    }
}

/// Key ids travel in sealed values and JWT headers: short, and never containing `:`.
pub fn check_key_id(id: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        !id.is_empty() && id.len() <= 32 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "key id {id:?} must be 1 to 32 letters, digits, '-' or '_'"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(active: &str) -> FieldCipher {
        FieldCipher::new(active, &[("k1".to_string(), vec![1u8; 32]), ("k2".to_string(), vec![2u8; 32])]).unwrap()
    }

    #[test]
    fn sealed_values_open_with_their_context_only() {
        let cipher = ring("k1");
        let sealed = cipher.seal(b"+966501234567", b"users.phone:1");
        assert!(sealed.starts_with("k1:"));
        assert!(!sealed.contains("966501234567"));
        assert_eq!(cipher.open(&sealed, b"users.phone:1").unwrap(), b"+966501234567");
        assert!(cipher.open(&sealed, b"users.phone:2").is_err());
    }

    #[test]
    fn every_seal_uses_a_fresh_nonce() {
        let cipher = ring("k1");
        assert_ne!(cipher.seal(b"same", b"c"), cipher.seal(b"same", b"c"));
    }

    #[test]
    fn values_sealed_under_a_retired_key_still_open_after_rotation() {
        let old = ring("k1").seal(b"secret", b"c");
        let rotated = ring("k2");
        assert_eq!(rotated.open(&old, b"c").unwrap(), b"secret");
        assert!(rotated.seal(b"secret", b"c").starts_with("k2:"));
    }

    #[test]
    fn tampered_or_unknown_values_are_refused() {
        let cipher = ring("k1");
        let sealed = cipher.seal(b"secret", b"c");
        let (id, body) = sealed.split_once(':').unwrap();
        let mut bytes = STANDARD.decode(body).unwrap();
        bytes[NONCE_LEN] ^= 1;
        let tampered = format!("{id}:{}", STANDARD.encode(bytes));
        assert!(cipher.open(&tampered, b"c").is_err());
        assert!(cipher.open(&sealed.replacen("k1", "k9", 1), b"c").is_err());
        assert!(cipher.open("k1:AAAA", b"c").is_err());
        assert!(cipher.open("no-key-id", b"c").is_err());
    }

    #[test]
    fn keys_must_be_32_bytes_and_the_active_one_present() {
        assert!(FieldCipher::new("k1", &[("k1".into(), vec![0; 16])]).is_err());
        assert!(FieldCipher::new("k2", &[("k1".into(), vec![0; 32])]).is_err());
        assert!(FieldCipher::new("a:b", &[("a:b".into(), vec![0; 32])]).is_err());
    }

    #[test]
    fn lookup_hashes_depend_on_key_domain_and_boundaries() {
        let a = LookupHasher::new(&[7; 32]).unwrap();
        let b = LookupHasher::new(&[8; 32]).unwrap();
        let h = a.hash("phone", &[b"+966501234567"]);
        assert_eq!(h, a.hash("phone", &[b"+966501234567"]));
        assert_eq!(h.len(), 32);
        assert_ne!(h, b.hash("phone", &[b"+966501234567"]));
        assert_ne!(h, a.hash("otp", &[b"+966501234567"]));
        assert_ne!(a.hash("x", &[b"ab", b"c"]), a.hash("x", &[b"a", b"bc"]));
        assert!(LookupHasher::new(b"short").is_err());
    }
}
