//! Second factors: TOTP authenticators and single-use recovery codes, and the
//! challenge a sign-in passes through when the account has them.
//!
//! The TOTP secret is sealed at rest like other personal data. A code is accepted for
//! the current 30-second step or one step either side (clock drift), and the step
//! accepted is remembered: that code, or any older one, is refused afterwards, so an
//! observed code cannot be replayed (RFC 6238 §5.2). Recovery codes are random, shown
//! once, stored as keyed hashes and spent on use.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use serde::Serialize;
use sqlx::PgConnection;
use totp_rs::{Builder, Secret, Totp};
use utoipa::ToSchema;
use uuid::Uuid;

use super::AuthState;
use super::error::AuthError;
use super::store;
use super::tokens::{self, CHALLENGE_PREFIX};
use super::users::UserRecord;

/// Recovery codes issued at a time.
pub const RECOVERY_CODE_COUNT: usize = 10;
/// Letters and digits that cannot be confused with one another when copied by hand.
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
const RECOVERY_CODE_LEN: usize = 10;

/// Which second factor a code turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Factor {
    Totp,
    RecoveryCode,
}

impl Factor {
    pub fn as_str(self) -> &'static str {
        match self {
            Factor::Totp => "totp",
            Factor::RecoveryCode => "recovery_code",
        }
    }
}

/// What an authenticator app needs to start showing codes.
#[derive(Debug, Serialize, ToSchema)]
pub struct Enrolment {
    /// The shared secret in base32, for typing into the app by hand.
    pub secret: String,
    /// `otpauth://totp/…` URI with issuer and account.
    pub otpauth_url: String,
    /// The same URI as a QR code: a `data:image/png;base64,…` URL.
    pub qr_code: String,
}

fn totp(secret: Vec<u8>) -> Result<Totp, AuthError> {
    Builder::new().with_secret(secret).build().map_err(|e| AuthError::Internal(anyhow::anyhow!("building TOTP: {e}")))
}

fn secret_context(user_id: Uuid) -> Vec<u8> {
    format!("user_totp.secret_encrypted:{user_id}").into_bytes()
}

fn unix_seconds(at: DateTime<Utc>) -> u64 {
    u64::try_from(at.timestamp()).unwrap_or(0)
}

/// Starts (or restarts) enrolment of an authenticator for `user`.
pub async fn start_enrolment(
    conn: &mut PgConnection,
    auth: &AuthState,
    user: &UserRecord,
) -> Result<Enrolment, AuthError> {
    let secret = Secret::generate();
    let account = user.display_login(&auth.keys.cipher)?.replace(':', " ");
    let presented = Builder::new()
        .with_secret(secret.as_bytes().to_vec())
        .with_issuer(Some(auth.settings.totp_issuer.replace(':', " ")))
        .with_account_name(account)
        .build()
        .map_err(|e| AuthError::Internal(anyhow::anyhow!("building TOTP: {e}")))?;
    let otpauth_url = presented.to_url().map_err(|e| AuthError::Internal(anyhow::anyhow!("TOTP URL: {e}")))?;
    let qr_png = presented.to_qr_png().map_err(|e| AuthError::Internal(anyhow::anyhow!("TOTP QR code: {e}")))?;
    let sealed = auth.keys.cipher.seal(secret.as_bytes(), &secret_context(user.id));
    // A confirmed authenticator is never replaced here.
    let written = store::mfa::upsert_pending_totp(conn, user.id, &sealed, auth.clock.now()).await?;
    if !written {
        return Err(AuthError::Conflict(
            "two-factor authentication is already on; turn it off first to change authenticator",
        ));
    }
    Ok(Enrolment {
        secret: secret.to_base32(),
        otpauth_url,
        qr_code: format!("data:image/png;base64,{}", STANDARD.encode(qr_png)),
    })
}

/// Confirms a pending enrolment with a code from the app; returns new recovery codes.
pub async fn confirm_enrolment(
    conn: &mut PgConnection,
    auth: &AuthState,
    user_id: Uuid,
    code: &str,
) -> Result<Vec<String>, AuthError> {
    let now = auth.clock.now();
    let pending = store::mfa::lock_totp(&mut *conn, user_id)
        .await?
        .ok_or_else(|| AuthError::Conflict("no authenticator enrolment in progress; start one first"))?;
    if pending.confirmed {
        return Err(AuthError::Conflict("two-factor authentication is already on"));
    }
    let secret = auth.keys.cipher.open(&pending.secret_encrypted, &secret_context(user_id))?;
    let totp = totp(secret)?;
    let step = totp_code(code)
        .and_then(|digits| totp.check(&digits, unix_seconds(now)))
        .ok_or_else(|| AuthError::invalid("code", "is not the code your authenticator shows"))?;
    store::mfa::confirm_totp(&mut *conn, user_id, now, i64::try_from(step).map_err(anyhow::Error::from)?).await?;
    replace_recovery_codes(conn, auth, user_id, now).await
}

/// Turns two-factor authentication off.
pub async fn disable(conn: &mut PgConnection, user_id: Uuid) -> Result<(), AuthError> {
    store::mfa::delete_totp(&mut *conn, user_id).await?;
    store::mfa::delete_recovery_codes(conn, user_id).await?;
    Ok(())
}

/// Issues a fresh set of recovery codes, invalidating the previous set.
pub async fn replace_recovery_codes(
    conn: &mut PgConnection,
    auth: &AuthState,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<String>, AuthError> {
    store::mfa::delete_recovery_codes(&mut *conn, user_id).await?;
    let codes: Vec<String> = (0..RECOVERY_CODE_COUNT).map(|_| new_recovery_code()).collect();
    let hashes: Vec<Vec<u8>> =
        codes.iter().map(|code| recovery_hash(auth, user_id, &normalize_recovery_code(code))).collect();
    store::mfa::insert_recovery_codes(conn, user_id, &hashes, now).await?;
    Ok(codes)
}

/// Checks a second-factor code (authenticator or recovery code) and spends it.
/// `None` when it is wrong, replayed or already used.
pub async fn check_second_factor(
    conn: &mut PgConnection,
    auth: &AuthState,
    user_id: Uuid,
    code: &str,
) -> Result<Option<Factor>, AuthError> {
    let now = auth.clock.now();
    if let Some(digits) = totp_code(code) {
        let Some(sealed) = store::mfa::lock_confirmed_totp_secret(&mut *conn, user_id).await? else {
            return Ok(None);
        };
        let secret = auth.keys.cipher.open(&sealed, &secret_context(user_id))?;
        let Some(step) = totp(secret)?.check(&digits, unix_seconds(now)) else {
            return Ok(None);
        };
        let step = i64::try_from(step).map_err(anyhow::Error::from)?;
        if !store::mfa::advance_totp_step(conn, user_id, step).await? {
            tracing::warn!(%user_id, "replayed authenticator code refused");
            return Ok(None);
        }
        return Ok(Some(Factor::Totp));
    }
    let normalized = normalize_recovery_code(code);
    if normalized.len() != RECOVERY_CODE_LEN {
        return Ok(None);
    }
    let spent = store::mfa::spend_recovery_code(conn, user_id, &recovery_hash(auth, user_id, &normalized), now).await?;
    Ok(spent.then_some(Factor::RecoveryCode))
}

/// The answer to a correct password (or SMS code) when a second factor is needed.
#[derive(Debug, Serialize, ToSchema)]
pub struct MfaChallenge {
    /// Always true: the client must finish at `/auth/mfa/verify`.
    pub mfa_required: bool,
    /// Opaque, single use; send it back with the code.
    pub mfa_token: String,
    /// `totp` and `recovery_code`.
    pub methods: Vec<&'static str>,
    /// Seconds the challenge stays open.
    pub expires_in: i64,
}

/// Opens a second-factor challenge for a user whose first factor was accepted.
pub async fn open_challenge(
    conn: &mut PgConnection,
    auth: &AuthState,
    user_id: Uuid,
    first_factor: &'static str,
) -> Result<MfaChallenge, AuthError> {
    let now = auth.clock.now();
    let ttl = i64::try_from(auth.settings.mfa_challenge_ttl_secs).map_err(anyhow::Error::from)?;
    let (token, digest) = tokens::new_opaque_token(CHALLENGE_PREFIX);
    let challenge = store::mfa::NewChallenge {
        user_id,
        token_hash: &digest,
        first_factor,
        created_at: now,
        expires_at: now + Duration::seconds(ttl),
    };
    store::mfa::insert_challenge(conn, challenge).await?;
    Ok(MfaChallenge {
        mfa_required: true,
        mfa_token: token,
        methods: vec![Factor::Totp.as_str(), Factor::RecoveryCode.as_str()],
        expires_in: ttl,
    })
}

/// An open challenge, locked for the rest of the transaction.
pub struct OpenChallenge {
    pub id: Uuid,
    pub user_id: Uuid,
    pub first_factor: String,
}

/// Finds the open challenge `token` names; `None` when unknown, spent, expired or
/// out of attempts.
pub async fn find_challenge(
    conn: &mut PgConnection,
    auth: &AuthState,
    token: &str,
) -> Result<Option<OpenChallenge>, AuthError> {
    if !token.starts_with(CHALLENGE_PREFIX) || token.len() > 128 {
        return Ok(None);
    }
    let max_attempts = i32::try_from(auth.settings.max_code_attempts).unwrap_or(i32::MAX);
    Ok(store::mfa::lock_open_challenge(conn, &tokens::digest(token), auth.clock.now(), max_attempts).await?)
}

/// Records the outcome of an attempt at a challenge.
pub async fn settle_challenge(
    conn: &mut PgConnection,
    auth: &AuthState,
    id: Uuid,
    passed: bool,
) -> Result<(), AuthError> {
    if passed {
        store::mfa::spend_challenge(conn, id, auth.clock.now()).await?;
    } else {
        store::mfa::count_failed_attempt(conn, id).await?;
    }
    Ok(())
}

/// The six digits of an authenticator code as typed (`123 456` included).
fn totp_code(code: &str) -> Option<String> {
    let compact: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    (compact.len() == 6 && compact.bytes().all(|b| b.is_ascii_digit())).then_some(compact)
}

fn new_recovery_code() -> String {
    let mut rng = rand::rng();
    let raw: String = (0..RECOVERY_CODE_LEN)
        .map(|_| char::from(RECOVERY_ALPHABET[rng.random_range(0..RECOVERY_ALPHABET.len())]))
        .collect();
    format!("{}-{}", &raw[..5], &raw[5..])
}

/// Recovery codes are compared without case, dashes or spaces.
fn normalize_recovery_code(code: &str) -> String {
    code.chars().filter(|c| !c.is_whitespace() && *c != '-').flat_map(char::to_lowercase).collect()
}

fn recovery_hash(auth: &AuthState, user_id: Uuid, normalized: &str) -> Vec<u8> {
    auth.keys.lookup.hash("recovery_code", &[user_id.as_bytes(), normalized.as_bytes()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_readable_and_distinct() {
        let codes: Vec<String> = (0..50).map(|_| new_recovery_code()).collect();
        for code in &codes {
            assert_eq!(code.len(), 11, "{code}");
            assert_eq!(&code[5..6], "-");
            assert!(code.bytes().all(|b| b == b'-' || RECOVERY_ALPHABET.contains(&b)));
        }
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), codes.len());
    }

    #[test]
    fn recovery_codes_match_however_they_are_typed() {
        assert_eq!(normalize_recovery_code("ABCDE-fghjk"), "abcdefghjk");
        assert_eq!(normalize_recovery_code(" abcde fghjk "), "abcdefghjk");
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_and_no_further() {
        let totp = totp(vec![7u8; 20]).unwrap();
        let now = 1_790_000_000u64;
        let step = now / 30;
        let code = totp.generate(now).to_string();
        assert_eq!(totp.check(&code, now), Some(step));
        assert_eq!(totp.check(&code, now + 30), Some(step));
        assert_eq!(totp.check(&code, now - 30), Some(step));
        assert_eq!(totp.check(&code, now + 90), None);
    }
}
