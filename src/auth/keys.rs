//! The key material of the auth module, from settings.
//!
//! Three kinds of keys: JWT signing secrets and field-encryption keys, both keyrings
//! indexed by key id so they rotate, and one HMAC key for lookup hashes. When nothing
//! is configured the service uses the development keys below so it starts on a fresh
//! machine, and warns loudly: they are in the source code, so anything they protect
//! is public. A configured key of a kind replaces the development key of that kind
//! entirely; it never sits beside it in a keyring.

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretString};

use super::tokens::JwtKeyring;
use crate::platform::config::{AuthSettings, Environment};
use crate::platform::crypto::{FieldCipher, LookupHasher, check_key_id};

const DEV_KEY_ID: &str = "dev";
const DEV_JWT_SECRET: &[u8] = b"cargoparts development JWT secret: published, never for real users";
const DEV_ENCRYPTION_KEY: &[u8; 32] = b"cargoparts-dev-field-key-32bytes";
const DEV_HMAC_KEY: &[u8] = b"cargoparts development lookup key: published, never for real users";

/// Every key the auth module uses.
pub struct Keys {
    pub jwt: JwtKeyring,
    pub cipher: FieldCipher,
    pub lookup: LookupHasher,
    /// Which kinds fell back to development keys.
    pub development: Vec<&'static str>,
}

impl Keys {
    /// The keys of `settings`; in production a missing key stops the service, since
    /// the development keys are published with the source.
    pub fn for_environment(settings: &AuthSettings, env: Environment) -> anyhow::Result<Keys> {
        if env.is_production() {
            let missing = missing_keys(settings);
            anyhow::ensure!(
                missing.is_empty(),
                "CARGOPARTS_ENV=production needs its own keys; missing: {}",
                missing.join(", ")
            );
        }
        Keys::from_settings(settings)
    }

    pub fn from_settings(settings: &AuthSettings) -> anyhow::Result<Keys> {
        let mut development = Vec::new();

        let (signing_kid, jwt_secrets) = if settings.jwt_keys.is_empty() {
            development.push("jwt");
            (DEV_KEY_ID.to_string(), vec![(DEV_KEY_ID.to_string(), DEV_JWT_SECRET.to_vec())])
        } else {
            let secrets = settings
                .jwt_keys
                .iter()
                .map(|(id, secret)| (id.clone(), secret.expose_secret().as_bytes().to_vec()))
                .collect::<Vec<_>>();
            let active = active_id("auth.jwt_signing_kid", settings.jwt_signing_kid.as_deref(), &settings.jwt_keys)?;
            (active, secrets)
        };
        let jwt = JwtKeyring::new(settings, &signing_kid, &jwt_secrets)?;

        let (active, keys) = if settings.encryption_keys.is_empty() {
            development.push("encryption");
            (DEV_KEY_ID.to_string(), vec![(DEV_KEY_ID.to_string(), DEV_ENCRYPTION_KEY.to_vec())])
        } else {
            let mut keys = Vec::new();
            for (id, encoded) in &settings.encryption_keys {
                let key = STANDARD
                    .decode(encoded.expose_secret().trim())
                    .with_context(|| format!("auth.encryption_keys.{id} is not base64"))?;
                keys.push((id.clone(), key));
            }
            let active =
                active_id("auth.encryption_key_id", settings.encryption_key_id.as_deref(), &settings.encryption_keys)?;
            (active, keys)
        };
        let cipher = FieldCipher::new(&active, &keys)?;

        let lookup = match &settings.hmac_key {
            Some(key) => LookupHasher::new(key.expose_secret().as_bytes()).context("auth.hmac_key")?,
            None => {
                development.push("hmac");
                LookupHasher::new(DEV_HMAC_KEY)?
            }
        };

        if !development.is_empty() {
            anyhow::ensure!(
                settings.allow_development_keys,
                "auth keys missing ({}) and auth.allow_development_keys is false: configure \
                 CARGOPARTS__AUTH__JWT_KEYS__<ID>, CARGOPARTS__AUTH__ENCRYPTION_KEYS__<ID> \
                 and CARGOPARTS__AUTH__HMAC_KEY",
                development.join(", ")
            );
        }
        Ok(Keys { jwt, cipher, lookup, development })
    }

    /// Logs, once at start-up, that development keys protect this instance.
    pub fn warn_if_development(&self) {
        if !self.development.is_empty() {
            tracing::warn!(
                kinds = %self.development.join(", "),
                "DEVELOPMENT KEYS IN USE: tokens and encrypted personal data are protected by \
                 keys published in the source code. Never serve real users like this: configure \
                 CARGOPARTS__AUTH__JWT_KEYS__<ID>, CARGOPARTS__AUTH__ENCRYPTION_KEYS__<ID> and \
                 CARGOPARTS__AUTH__HMAC_KEY, and set CARGOPARTS__AUTH__ALLOW_DEVELOPMENT_KEYS=false"
            );
        }
    }
}

/// The configured active id, or the only key's id when there is just one.
fn active_id(
    setting: &str,
    configured: Option<&str>,
    keys: &std::collections::BTreeMap<String, SecretString>,
) -> anyhow::Result<String> {
    for id in keys.keys() {
        check_key_id(id)?;
    }
    // Ids from the environment arrive lowercased, so the name is matched without case.
    match configured.map(str::trim).filter(|id| !id.is_empty()) {
        Some(wanted) => keys
            .keys()
            .find(|id| id.eq_ignore_ascii_case(wanted))
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("{setting} names key {wanted}, which is not configured")),
        None if keys.len() == 1 => Ok(keys.keys().next().cloned().unwrap_or_default()),
        None => anyhow::bail!("{setting} must name one of the {} configured keys", keys.len()),
    }
}

/// The key settings a production instance lacks, by the names operators set.
fn missing_keys(settings: &AuthSettings) -> Vec<&'static str> {
    let mut missing = Vec::new();
    if settings.jwt_keys.is_empty() {
        missing.push("CARGOPARTS__AUTH__JWT_KEYS__<ID>");
    }
    if settings.encryption_keys.is_empty() {
        missing.push("CARGOPARTS__AUTH__ENCRYPTION_KEYS__<ID>");
    }
    if settings.hmac_key.is_none() {
        missing.push("CARGOPARTS__AUTH__HMAC_KEY");
    }
    // The published keys, configured by hand, are no better than none.
    if settings.jwt_keys.values().any(|k| k.expose_secret().as_bytes() == DEV_JWT_SECRET) {
        missing.push("CARGOPARTS__AUTH__JWT_KEYS__<ID> (the development secret is published)");
    }
    let dev_encryption = STANDARD.encode(DEV_ENCRYPTION_KEY);
    if settings.encryption_keys.values().any(|k| k.expose_secret().trim() == dev_encryption) {
        missing.push("CARGOPARTS__AUTH__ENCRYPTION_KEYS__<ID> (the development key is published)");
    }
    if settings.hmac_key.as_ref().is_some_and(|k| k.expose_secret().as_bytes() == DEV_HMAC_KEY) {
        missing.push("CARGOPARTS__AUTH__HMAC_KEY (the development key is published)");
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::config::Settings;

    fn settings_with(env: &'static [(&'static str, &'static str)]) -> AuthSettings {
        Settings::load_from(None, |name| env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())).unwrap().auth
    }

    #[test]
    fn a_fresh_machine_starts_on_development_keys() {
        let keys = Keys::from_settings(&settings_with(&[])).unwrap();
        assert_eq!(keys.development, ["jwt", "encryption", "hmac"]);
        assert_eq!(keys.jwt.signing_kid(), "dev");
    }

    #[test]
    fn production_refuses_to_start_on_development_keys() {
        let mut settings = settings_with(&[]);
        settings.allow_development_keys = false;
        let err = Keys::from_settings(&settings).err().unwrap().to_string();
        assert!(err.contains("jwt, encryption, hmac"), "{err}");
    }

    #[test]
    fn production_names_every_missing_key_and_refuses_the_published_ones() {
        let settings = settings_with(&[]);
        let err = Keys::for_environment(&settings, Environment::Production).err().unwrap().to_string();
        for name in ["JWT_KEYS", "ENCRYPTION_KEYS", "HMAC_KEY"] {
            assert!(err.contains(&format!("CARGOPARTS__AUTH__{name}")), "{err}");
        }
        let mut published = settings.clone();
        let dev_secret = String::from_utf8(DEV_JWT_SECRET.to_vec()).unwrap();
        published.jwt_keys.insert("k1".into(), SecretString::from(dev_secret));
        published.encryption_keys.insert("e1".into(), SecretString::from(STANDARD.encode(DEV_ENCRYPTION_KEY)));
        published.hmac_key = Some(SecretString::from(String::from_utf8(DEV_HMAC_KEY.to_vec()).unwrap()));
        let err = Keys::for_environment(&published, Environment::Production).err().unwrap().to_string();
        assert_eq!(err.matches("is published").count(), 3, "{err}");
        assert!(Keys::for_environment(&settings, Environment::Development).is_ok());
    }

    #[test]
    fn configured_keys_replace_the_development_ones() {
        let mut settings = settings_with(&[]);
        settings.allow_development_keys = false;
        settings.jwt_keys.insert("k2026a".into(), SecretString::from("a production secret of at least 32 bytes"));
        settings.encryption_keys.insert("e1".into(), SecretString::from(STANDARD.encode([9u8; 32])));
        settings.hmac_key = Some(SecretString::from("a production HMAC key, 32 bytes or more"));
        let keys = Keys::from_settings(&settings).unwrap();
        assert!(keys.development.is_empty());
        assert_eq!(keys.jwt.signing_kid(), "k2026a");
        assert!(keys.cipher.seal(b"x", b"c").starts_with("e1:"));
    }

    #[test]
    fn with_several_keys_the_active_one_must_be_named() {
        let mut settings = settings_with(&[]);
        for id in ["old", "new"] {
            settings
                .jwt_keys
                .insert(id.into(), SecretString::from(format!("{id} secret that is long enough, 32 bytes+")));
        }
        assert!(Keys::from_settings(&settings).is_err());
        settings.jwt_signing_kid = Some("NEW".into());
        assert_eq!(Keys::from_settings(&settings).unwrap().jwt.signing_kid(), "new");
        settings.jwt_signing_kid = Some("gone".into());
        assert!(Keys::from_settings(&settings).is_err());
    }

    #[test]
    fn keys_are_read_from_the_settings_file_by_id() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cargoparts.toml");
        std::fs::write(
            &path,
            "[auth]\nhmac_key = \"hmac key from the file, 32 bytes or more\"\n\
             [auth.jwt_keys]\nk2026b = \"secret from the file, 32 bytes at least\"\n",
        )
        .unwrap();
        let settings = Settings::load_from(path.to_str(), |_| None).unwrap().auth;
        let keys = Keys::from_settings(&settings).unwrap();
        assert_eq!(keys.jwt.signing_kid(), "k2026b");
        assert_eq!(keys.development, ["encryption"]);
        assert!(!format!("{settings:?}").contains("from the file"));
    }
}
