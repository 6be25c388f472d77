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

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use sqlx::PgPool;
use subtle::ConstantTimeEq;
use uuid::Uuid;

use super::error::AuthError;
use super::keys::Keys;
use super::sessions::{self, EndReason};
use super::store::{self, resets::NewReset, resets::ResetRow};
use super::users::{self, Locale, UserRecord};
use super::{AuthState, passwords};
use crate::platform::audit::{self, Entry, Event};
use crate::platform::client::RequestContext;
use crate::platform::config::AuthSettings;
use crate::platform::crypto::LookupHasher;
use crate::platform::events;
use crate::platform::phone::Phone;

/// The event a reset by email raises; the notifications send its link.
pub const RESET_REQUESTED: &str = "account.password_reset_requested";
/// The event of a finished reset.
pub const RESET_DONE: &str = "account.password_reset";

const LINK_DOMAIN: &str = "password_reset_link";
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

/// The link's token: the reset's id and its signature.
fn token_of(lookup: &LookupHasher, id: Uuid) -> String {
    let signature = lookup.hash(LINK_DOMAIN, &[id.as_bytes()]);
    format!("{}.{}", id.simple(), URL_SAFE_NO_PAD.encode(signature))
}

/// The reset a token names, if its signature holds.
fn reset_of_token(lookup: &LookupHasher, token: &str) -> Option<Uuid> {
    let (id, signature) = token.trim().split_once('.')?;
    let id = Uuid::try_parse(id).ok()?;
    let presented = URL_SAFE_NO_PAD.decode(signature).ok()?;
    let expected = lookup.hash(LINK_DOMAIN, &[id.as_bytes()]);
    bool::from(presented.ct_eq(&expected)).then_some(id)
}

fn code_hash(lookup: &LookupHasher, reset_id: Uuid, code: &str) -> Vec<u8> {
    lookup.hash(CODE_DOMAIN, &[reset_id.as_bytes(), code.as_bytes()])
}

fn new_code() -> String {
    format!("{:06}", rand::rng().random_range(0..1_000_000u32))
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

fn seconds(secs: u64) -> Result<Duration, AuthError> {
    Ok(Duration::seconds(i64::try_from(secs).map_err(anyhow::Error::from)?))
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
    store::resets::lock_user(&mut *tx, user.id).await?;
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
        Channel::Sms => (settings.password_reset_code_ttl_secs, Some(new_code())),
    };
    let stored_code = code.as_deref().map(|code| code_hash(&auth.keys.lookup, id, code));
    let reset = NewReset {
        id,
        user_id: user.id,
        channel: channel.as_str(),
        code_hash: stored_code.as_deref(),
        created_at: now,
        expires_at: now + seconds(ttl_secs)?,
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
            let id = reset_of_token(&auth.keys.lookup, token.expose_secret())
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
    let Some(id) = reset_of_token(&auth.keys.lookup, token) else { return Ok(false) };
    let reset = store::resets::by_id(db, id).await?;
    Ok(reset.is_some_and(|r| r.channel == "email" && r.used_at.is_none() && r.expires_at > auth.clock.now()))
}

/// What the email of a reset says.
#[derive(Debug, Clone)]
pub struct ResetMail {
    pub user_id: Uuid,
    pub email: String,
    pub name: String,
    pub locale: Locale,
    /// The page with the token: a secret until used, never logged.
    pub link: SecretString,
    pub expires_at: DateTime<Utc>,
}

/// Builds reset emails for the notifications, which hold only the reset's id.
#[derive(Clone)]
pub struct ResetMailer {
    db: PgPool,
    keys: Arc<Keys>,
    page: String,
}

impl ResetMailer {
    pub fn new(db: PgPool, keys: Arc<Keys>, settings: &AuthSettings) -> ResetMailer {
        ResetMailer { db, keys, page: settings.password_reset_url.clone() }
    }

    /// The email of reset `id`; `None` once it is used or expired at `now` (a link sent
    /// late would not work), or when the account has no email address.
    pub async fn mail_for(&self, id: Uuid, now: DateTime<Utc>) -> Result<Option<ResetMail>, AuthError> {
        let Some(reset) = store::resets::by_id(&self.db, id).await? else { return Ok(None) };
        if reset.used_at.is_some() || reset.expires_at <= now || reset.channel != "email" {
            return Ok(None);
        }
        let Some(user) = users::by_id(&self.db, reset.user_id).await? else { return Ok(None) };
        let Some(email) = user.email else { return Ok(None) };
        let link = format!("{}?token={}", self.page, token_of(&self.keys.lookup, id));
        Ok(Some(ResetMail {
            user_id: user.id,
            email,
            name: user.name,
            locale: user.locale,
            link: link.into(),
            expires_at: reset.expires_at,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(key: u8) -> LookupHasher {
        LookupHasher::new(&[key; 32]).unwrap()
    }

    #[test]
    fn a_token_names_its_reset_only_under_the_key_that_signed_it() {
        let id = Uuid::new_v4();
        let token = token_of(&lookup(1), id);
        assert_eq!(reset_of_token(&lookup(1), &token), Some(id));
        assert_eq!(reset_of_token(&lookup(2), &token), None);
        assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)), "URL-safe: {token}");
    }

    #[test]
    fn a_forged_or_mangled_token_names_nothing() {
        let id = Uuid::new_v4();
        let other = Uuid::new_v4();
        let token = token_of(&lookup(1), id);
        let (_, signature) = token.split_once('.').unwrap();
        assert_eq!(reset_of_token(&lookup(1), &format!("{}.{signature}", other.simple())), None);
        for mangled in ["", ".", "abc", &token[..token.len() - 1], &format!("{token}x"), &token.replace('.', "")] {
            assert_eq!(reset_of_token(&lookup(1), mangled), None, "{mangled}");
        }
    }

    #[test]
    fn codes_are_bound_to_their_reset() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        assert_ne!(code_hash(&lookup(1), a, "123456"), code_hash(&lookup(1), b, "123456"));
        let code = new_code();
        assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()));
    }

    #[test]
    fn the_code_message_says_it_in_both_languages() {
        let text = code_message("042917", 10);
        assert_eq!(text.matches("042917").count(), 2);
        assert!(text.contains("10 minutes") && text.contains("10 دقائق"));
    }
}
