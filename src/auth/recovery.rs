//! Account recovery: a forgotten password reset through an emailed link or an SMS code.
//!
//! A request is answered alike whether or not the account exists, and past an account's
//! hourly budget it sends nothing more (the per-address rate limit of the route answers
//! 429 to whoever keeps asking). The emailed link is the reset's id signed with the
//! lookup key: nothing stored opens an account, and the email job carries only the id.
//! An SMS code is six digits kept as a keyed hash, with a few guesses, sent at once
//! like sign-in codes. Either works once and briefly; a reset spends every other open
//! link and code of the account, closes its pending second-factor challenges and ends
//! all its sessions, so whoever held the old password is out.

use chrono::{DateTime, Duration, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use sqlx::PgPool;
use subtle::ConstantTimeEq;
use uuid::Uuid;

use super::error::AuthError;
use super::sessions::{self, EndReason};
use super::store::{self, resets::NewReset, resets::ResetRow};
use super::users::{self, UserRecord};
use super::verification::{self, Proven};
use super::{AuthState, one_time, passwords};
use crate::platform::audit::{self, Entry, Event};
use crate::platform::client::RequestContext;
use crate::platform::crypto::LookupHasher;
use crate::platform::events;
use crate::platform::phone::Phone;

/// The event a reset by email raises; the notifications send its link.
pub const RESET_REQUESTED: &str = "account.password_reset_requested";
/// The event of a finished reset.
pub const RESET_DONE: &str = "account.password_reset";

pub(super) const LINK_DOMAIN: &str = "password_reset_link";
const CODE_DOMAIN: &str = "password_reset_code";

/// Where a reset is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }
}

/// The account a reset is asked for, as the person named it.
pub enum Target {
    Email(String),
    Phone(Phone),
}

impl Target {
    pub fn channel(&self) -> Channel {
        match self {
            Target::Email(_) => Channel::Email,
            Target::Phone(_) => Channel::Sms,
        }
    }
}

/// What proves the person may set a new password.
pub enum Proof {
    /// The token of an emailed link.
    Link(SecretString),
    /// The code texted to the account's phone.
    Code { phone: Phone, code: SecretString },
}

fn code_hash(lookup: &LookupHasher, reset_id: Uuid, code: &str) -> Vec<u8> {
    lookup.hash(CODE_DOMAIN, &[reset_id.as_bytes(), code.as_bytes()])
}

fn code_message(code: &str, minutes: u64) -> String {
    format!(
        "CargoParts: your password reset code is {code}. It expires in {minutes} minutes; never share it.\n\
         كارقو بارتس: رمز إعادة تعيين كلمة المرور {code} صالح لمدة {minutes} دقائق، لا تشاركه مع أحد."
    )
}

/// An account event about a reset: it names the reset and the channel, never the secret.
fn reset_event(
    topic: &'static str,
    user_id: Uuid,
    reset_id: Uuid,
    channel: Channel,
    now: DateTime<Utc>,
) -> events::Event {
    events::Event {
        topic,
        subject_id: user_id,
        payload: json!({ "reset_id": reset_id, "channel": channel.as_str() }),
        occurred_at: now,
    }
}

/// Starts a reset for `target`'s account, if there is one and it has budget left.
pub async fn request(
    db: &PgPool,
    auth: &AuthState,
    target: &Target,
    context: &RequestContext,
) -> Result<(), AuthError> {
    let now = auth.clock.now();
    let channel = target.channel();
    let user = match target {
        Target::Email(email) => users::by_email(db, email).await?,
        Target::Phone(phone) => users::by_phone_hash(db, &users::phone_hash(&auth.keys.lookup, phone)).await?,
    };
    let Some(user) = user else {
        let entry = Entry::about(Event::PasswordResetRequested, None)
            .with(json!({ "channel": channel.as_str(), "outcome": "unknown_account" }));
        audit::record(db, entry, context, now).await?;
        return Ok(());
    };
    let settings = &auth.settings;
    let mut tx = db.begin().await?;
    store::users::lock(&mut *tx, user.id).await?;
    let recent = store::resets::issued_since(&mut *tx, user.id, now - Duration::hours(1)).await?;
    if recent >= i64::from(settings.password_reset_max_per_hour) {
        let entry = Entry::about(Event::PasswordResetRequested, Some(user.id))
            .with(json!({ "channel": channel.as_str(), "outcome": "over_hourly_budget" }));
        audit::record(&mut *tx, entry, context, now).await?;
        tx.commit().await?;
        return Ok(());
    }
    let id = Uuid::new_v4();
    let (ttl_secs, code) = match channel {
        Channel::Email => (settings.password_reset_link_ttl_secs, None),
        Channel::Sms => (settings.password_reset_code_ttl_secs, Some(one_time::new_code())),
    };
    let stored_code = code.as_deref().map(|code| code_hash(&auth.keys.lookup, id, code));
    let reset = NewReset {
        id,
        user_id: user.id,
        channel: channel.as_str(),
        code_hash: stored_code.as_deref(),
        created_at: now,
        expires_at: now + one_time::seconds(ttl_secs)?,
    };
    store::resets::insert(&mut *tx, &reset).await?;
    let entry = Entry::about(Event::PasswordResetRequested, Some(user.id))
        .with(json!({ "channel": channel.as_str(), "outcome": "sent", "reset_id": id }));
    audit::record(&mut *tx, entry, context, now).await?;
    events::record(&mut tx, &reset_event(RESET_REQUESTED, user.id, id, channel, now)).await?;
    tx.commit().await?;
    if let (Target::Phone(phone), Some(code)) = (target, code) {
        auth.sms.send(phone, &code_message(&code, ttl_secs.div_ceil(60))).await.map_err(|error| {
            tracing::error!(error = ?error, to = %phone.masked(), "sending a password reset code failed");
            AuthError::Unavailable("SMS delivery failed".into())
        })?;
    }
    Ok(())
}

const BAD_LINK: &str = "is invalid, expired or already used; ask for a new link";
const BAD_CODE: &str = "is invalid, expired or already used; ask for a new code";

/// The reset a proof points at and its account, before any lock: enough to check the
/// new password against the account's own words first.
async fn claimed(db: &PgPool, auth: &AuthState, proof: &Proof) -> Result<(Uuid, UserRecord), AuthError> {
    let reset = match proof {
        Proof::Link(token) => {
            let id = one_time::id_of_token(&auth.keys.lookup, LINK_DOMAIN, token.expose_secret())
                .ok_or_else(|| AuthError::invalid("token", BAD_LINK))?;
            store::resets::by_id(db, id).await?.ok_or_else(|| AuthError::invalid("token", BAD_LINK))?
        }
        Proof::Code { phone, .. } => {
            let user = users::by_phone_hash(db, &users::phone_hash(&auth.keys.lookup, phone))
                .await?
                .ok_or_else(|| AuthError::invalid("code", BAD_CODE))?;
            store::resets::latest_sms(db, user.id).await?.ok_or_else(|| AuthError::invalid("code", BAD_CODE))?
        }
    };
    let user = users::by_id(db, reset.user_id).await?.ok_or_else(|| AuthError::invalid("token", BAD_LINK))?;
    Ok((reset.id, user))
}

/// Whether `reset`, locked, still opens the account with `proof`; a wrong code counts.
async fn check_locked(
    tx: &mut sqlx::PgConnection,
    auth: &AuthState,
    reset: &ResetRow,
    proof: &Proof,
    now: DateTime<Utc>,
    context: &RequestContext,
) -> Result<Result<Channel, AuthError>, AuthError> {
    let open = reset.used_at.is_none() && reset.expires_at > now;
    match proof {
        Proof::Link(_) => Ok(if open && reset.channel == "email" {
            Ok(Channel::Email)
        } else {
            Err(AuthError::invalid("token", BAD_LINK))
        }),
        Proof::Code { code, .. } => {
            let guesses_left = i64::from(reset.attempts) < i64::from(auth.settings.max_code_attempts);
            if !(open && guesses_left && reset.channel == "sms") {
                return Ok(Err(AuthError::invalid("code", BAD_CODE)));
            }
            let presented = code_hash(&auth.keys.lookup, reset.id, code.expose_secret().trim());
            let stored = reset.code_hash.as_deref().unwrap_or_default();
            if bool::from(presented.ct_eq(stored)) {
                return Ok(Ok(Channel::Sms));
            }
            store::resets::count_failed_attempt(&mut *tx, reset.id).await?;
            let entry = Entry::about(Event::PasswordResetFailed, Some(reset.user_id)).with(json!({ "channel": "sms" }));
            audit::record(&mut *tx, entry, context, now).await?;
            Ok(Err(AuthError::invalid("code", BAD_CODE)))
        }
    }
}

/// Sets `new_password` on the account `proof` opens, spends the proof and ends every
/// session of the account; the account's id.
pub async fn reset(
    db: &PgPool,
    auth: &AuthState,
    proof: Proof,
    new_password: SecretString,
    context: &RequestContext,
) -> Result<Uuid, AuthError> {
    let (reset_id, user) = claimed(db, auth, &proof).await?;
    let phone = user.phone(&auth.keys.cipher)?;
    let personal = passwords::personal(&user.name, user.email.as_deref(), phone.as_ref());
    if let Some(reason) = passwords::policy_violation(new_password.expose_secret(), &personal) {
        return Err(AuthError::invalid("new_password", reason));
    }
    let hash = passwords::hash(new_password).await?;
    let now = auth.clock.now();
    let mut tx = db.begin().await?;
    let reset = store::resets::lock(&mut *tx, reset_id).await?.ok_or_else(|| AuthError::invalid("token", BAD_LINK))?;
    let channel = match check_locked(&mut tx, auth, &reset, &proof, now, context).await? {
        Ok(channel) => channel,
        Err(refused) => {
            // A wrong code's count and its audit entry stand.
            tx.commit().await?;
            return Err(refused);
        }
    };
    store::resets::spend_all(&mut *tx, user.id, now).await?;
    store::users::set_password(&mut *tx, user.id, &hash, now).await?;
    let proven = match &proof {
        Proof::Link(_) => None,
        Proof::Code { phone, .. } => Some(users::phone_hash(&auth.keys.lookup, phone)),
    };
    let proven = proven.as_deref().map_or(Proven::Email, Proven::Phone);
    verification::proven_by(&mut tx, &user, proven, context, now).await?;
    store::mfa::close_challenges(&mut *tx, user.id, now).await?;
    let ended = sessions::end_all(&mut tx, user.id, None, EndReason::PasswordReset, now).await?;
    let entry = Entry::about(Event::PasswordReset, Some(user.id))
        .with(json!({ "channel": channel.as_str(), "sessions_ended": ended, "reset_id": reset_id }));
    audit::record(&mut *tx, entry, context, now).await?;
    events::record(&mut tx, &reset_event(RESET_DONE, user.id, reset_id, channel, now)).await?;
    tx.commit().await?;
    Ok(user.id)
}

/// Whether an emailed link's token still opens a reset at `now`: the page asks before
/// it shows the form.
pub async fn link_is_open(db: &PgPool, auth: &AuthState, token: &str) -> Result<bool, AuthError> {
    let Some(id) = one_time::id_of_token(&auth.keys.lookup, LINK_DOMAIN, token) else { return Ok(false) };
    let reset = store::resets::by_id(db, id).await?;
    Ok(reset.is_some_and(|r| r.channel == "email" && r.used_at.is_none() && r.expires_at > auth.clock.now()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(key: u8) -> LookupHasher {
        LookupHasher::new(&[key; 32]).unwrap()
    }

    #[test]
    fn codes_are_bound_to_their_reset() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        assert_ne!(code_hash(&lookup(1), a, "123456"), code_hash(&lookup(1), b, "123456"));
    }

    #[test]
    fn the_code_message_says_it_in_both_languages() {
        let text = code_message("042917", 10);
        assert_eq!(text.matches("042917").count(), 2);
        assert!(text.contains("10 minutes") && text.contains("10 دقائق"));
    }
}
