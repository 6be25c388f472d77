//! HyperPay's webhook notifications: AES-256-GCM encrypted bodies.
//!
//! The body is the ciphertext in hex (or `{"encryptedBody": "<hex>"}`), the 12-byte IV
//! and 16-byte tag come as hex headers, and the key is the webhook secret (64 hex
//! characters); there is no associated data. A body that does not decrypt with the key
//! was not sent by HyperPay: it is refused before anything is read from it.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};

/// Why a notification is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookRefused {
    #[error("the {0} is not valid hex of the right length")]
    Malformed(&'static str),
    #[error("the notification does not decrypt with the webhook key")]
    Forged,
}

/// Decrypts a notification's body with the webhook `key` (hex).
pub fn decrypt(key_hex: &str, iv_hex: &str, tag_hex: &str, body: &[u8]) -> Result<Vec<u8>, WebhookRefused> {
    let key = decode_exact(key_hex, 32, "webhook key")?;
    let iv = decode_exact(iv_hex, 12, "X-Initialization-Vector")?;
    let tag = decode_exact(tag_hex, 16, "X-Authentication-Tag")?;
    let ciphertext_hex = encrypted_body(body).ok_or(WebhookRefused::Malformed("body"))?;
    let mut sealed = hex::decode(ciphertext_hex.trim()).map_err(|_| WebhookRefused::Malformed("body"))?;
    sealed.extend_from_slice(&tag);
    let cipher = Aes256Gcm::new_from_slice(&key).map_err(|_| WebhookRefused::Malformed("webhook key"))?;
    let nonce = Nonce::try_from(iv.as_slice()).map_err(|_| WebhookRefused::Malformed("X-Initialization-Vector"))?;
    cipher.decrypt(&nonce, Payload { msg: &sealed, aad: &[] }).map_err(|_| WebhookRefused::Forged)
}

fn decode_exact(text: &str, len: usize, what: &'static str) -> Result<Vec<u8>, WebhookRefused> {
    let bytes = hex::decode(text.trim()).map_err(|_| WebhookRefused::Malformed(what))?;
    if bytes.len() != len {
        return Err(WebhookRefused::Malformed(what));
    }
    Ok(bytes)
}

/// The hex ciphertext: the whole body, or its `encryptedBody` field.
fn encrypted_body(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?.trim();
    if text.starts_with('{') {
        let value: serde_json::Value = serde_json::from_str(text).ok()?;
        return value.get("encryptedBody")?.as_str().map(str::to_string);
    }
    Some(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f";
    const IV: &str = "000000000000000000000000";
    const TAG: &str = "CE573FB7A41AB78E743180DC83FF09BD";
    const BODY: &str = "0A3471C72D9BE49A8520F79C66BBD9A12FF9";

    #[test]
    fn the_documented_example_decrypts() {
        assert_eq!(decrypt(KEY, IV, TAG, BODY.as_bytes()).unwrap(), br#"{"type":"PAYMENT"}"#);
        let wrapped = format!(r#"{{"encryptedBody": "{BODY}"}}"#);
        assert_eq!(decrypt(KEY, IV, TAG, wrapped.as_bytes()).unwrap(), br#"{"type":"PAYMENT"}"#);
    }

    #[test]
    fn a_changed_byte_anywhere_is_refused() {
        let wrong_tag = "CE573FB7A41AB78E743180DC83FF09BE";
        assert_eq!(decrypt(KEY, IV, wrong_tag, BODY.as_bytes()), Err(WebhookRefused::Forged));
        let wrong_body = "0A3471C72D9BE49A8520F79C66BBD9A12FF8";
        assert_eq!(decrypt(KEY, IV, TAG, wrong_body.as_bytes()), Err(WebhookRefused::Forged));
        let other_key = "ff0102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f";
        assert_eq!(decrypt(other_key, IV, TAG, BODY.as_bytes()), Err(WebhookRefused::Forged));
        assert_eq!(decrypt(KEY, "00", TAG, BODY.as_bytes()), Err(WebhookRefused::Malformed("X-Initialization-Vector")));
        assert_eq!(decrypt(KEY, IV, TAG, b"not hex"), Err(WebhookRefused::Malformed("body")));
    }
}
