//! Sign-in with a code sent by SMS.
//!
//! A code is six random digits, valid for a few minutes, stored as a keyed hash and
//! compared in constant time. Each number gets a limited count of codes per hour and
//! each code a limited count of guesses. Whether a number has an account is never
//! revealed: a request is answered the same either way, and a code is only sent
//! (and paid for) when there is an account to sign in to.

use chrono::Duration;
use sqlx::PgPool;
use subtle::ConstantTimeEq;

use super::error::AuthError;
use super::store;
use super::users::{self, UserRecord};
use super::verification::{self, Proven};
use super::{AuthState, one_time};
use crate::platform::audit::{self, Entry, Event};
use crate::platform::client::RequestContext;
use crate::platform::phone::Phone;
use crate::platform::rate_limit::LimitError;

const INVALID: AuthError = AuthError::Unauthenticated("invalid or expired code");

fn code_hash(auth: &AuthState, phone_hash: &[u8], code: &str) -> Vec<u8> {
    auth.keys.lookup.hash("phone_otp", &[phone_hash, code.as_bytes()])
}

fn message(code: &str, minutes: u64) -> String {
    format!(
        "CargoParts: your sign-in code is {code}. It expires in {minutes} minutes; never share it.\n\
         كارقو بارتس: رمز الدخول {code} صالح لمدة {minutes} دقائق، لا تشاركه مع أحد."
    )
}

/// Issues a code for `phone` and sends it if the number has an account.
pub async fn request(db: &PgPool, auth: &AuthState, phone: &Phone, context: &RequestContext) -> Result<(), AuthError> {
    let now = auth.clock.now();
    let phone_hash = users::phone_hash(&auth.keys.lookup, phone);
    let hour_ago = now - Duration::hours(1);
    let mut tx = db.begin().await?;
    // Serializes requests for one number so that concurrent ones cannot both pass
    // the hourly count.
    let lock_key = i64::from_be_bytes(phone_hash[..8].try_into().map_err(anyhow::Error::from)?);
    store::otp::lock_phone(&mut *tx, lock_key).await?;
    let recent = store::otp::issued_since(&mut *tx, &phone_hash, hour_ago).await?;
    let max = auth.settings.otp_max_per_hour;
    if recent.count >= i64::from(max) {
        let frees_at = recent.oldest.unwrap_or(now) + Duration::hours(1);
        return Err(AuthError::Limited(LimitError::Exceeded {
            limit: max,
            retry_after_secs: u64::try_from((frees_at - now).num_seconds().max(1)).unwrap_or(1),
        }));
    }
    let code = one_time::new_code();
    let ttl_secs = auth.settings.otp_ttl_secs;
    let expires_at = now + Duration::seconds(i64::try_from(ttl_secs).map_err(anyhow::Error::from)?);
    store::otp::insert(&mut *tx, &phone_hash, &code_hash(auth, &phone_hash, &code), now, expires_at).await?;
    let user = users::by_phone_hash(&mut *tx, &phone_hash).await?;
    audit::record(&mut *tx, Entry::about(Event::OtpRequested, user.as_ref().map(|u| u.id)), context, now).await?;
    tx.commit().await?;
    if user.is_some() {
        auth.sms.send(phone, &message(&code, ttl_secs.div_ceil(60))).await.map_err(|error| {
            tracing::error!(error = ?error, to = %phone.masked(), "sending a login code failed");
            AuthError::Unavailable("SMS delivery failed".into())
        })?;
    }
    Ok(())
}

/// Spends the latest code sent to `phone` if `code` is it; the account it signs in to.
pub async fn verify(
    db: &PgPool,
    auth: &AuthState,
    phone: &Phone,
    code: &str,
    context: &RequestContext,
) -> Result<UserRecord, AuthError> {
    let now = auth.clock.now();
    let phone_hash = users::phone_hash(&auth.keys.lookup, phone);
    let mut tx = db.begin().await?;
    let Some(store::otp::OtpRow { id, code_hash: stored, expires_at, attempts }) =
        store::otp::lock_latest_unspent(&mut *tx, &phone_hash).await?
    else {
        return Err(INVALID);
    };
    let exhausted = i64::from(attempts) >= i64::from(auth.settings.max_code_attempts);
    if expires_at <= now || exhausted {
        return Err(INVALID);
    }
    let presented = code_hash(auth, &phone_hash, code.trim());
    let user = users::by_phone_hash(&mut *tx, &phone_hash).await?;
    if !bool::from(presented.ct_eq(&stored)) {
        store::otp::count_failed_attempt(&mut *tx, id).await?;
        audit::record(&mut *tx, Entry::about(Event::OtpFailed, user.as_ref().map(|u| u.id)), context, now).await?;
        tx.commit().await?;
        return Err(INVALID);
    }
    store::otp::spend(&mut *tx, id, now).await?;
    let user = user.ok_or(INVALID)?;
    verification::proven_by(&mut tx, &user, Proven::Phone(&phone_hash), context, now).await?;
    tx.commit().await?;
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_carries_the_code_in_both_languages() {
        let text = message("042917", 5);
        assert_eq!(text.matches("042917").count(), 2);
        assert!(text.contains("5 minutes") && text.contains("5 دقائق"));
    }
}
