//! Ownership of an email address and a phone number: proven by a link mailed to the
//! address or a code texted to the number, and until then not held.
//!
//! Registration sends both proofs at once (the code inline like sign-in codes, the link
//! through the event → job path like a reset). An account that has not proven a contact
//! gives it way: a later registration naming the same address or number takes it, so
//! nobody can block a number by registering it first. Once proven, the contact is the
//! account's and a registration naming it is refused.
//!
//! Other proofs count too: a sign-in code or a reset code texted to the number proves
//! the number, and a reset link mailed to the address proves the address.

use chrono::{DateTime, Duration, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use super::error::AuthError;
use super::recovery::Channel;
use super::store::{self, verifications::NewVerification};
use super::users::{self, UserRecord};
use super::{AuthState, one_time};
use crate::platform::audit::{self, Entry, Event};
use crate::platform::client::RequestContext;
use crate::platform::crypto::LookupHasher;
use crate::platform::events;
use crate::platform::phone::Phone;
use crate::platform::rate_limit::LimitError;

/// The event of a verification link to mail; the notifications send it.
pub const EMAIL_VERIFICATION_REQUESTED: &str = "account.email_verification_requested";
/// The event of a contact proven.
pub const CONTACT_VERIFIED: &str = "account.contact_verified";

pub(super) const LINK_DOMAIN: &str = "email_verification_link";
const CODE_DOMAIN: &str = "phone_verification_code";

const BAD_LINK: &str = "is invalid, expired or already used; ask for a new link";
const BAD_CODE: &str = "is invalid, expired or already used; ask for a new code";

/// The lookup hash of an email address, naming it in a verification without storing it again.
pub fn email_hash(lookup: &LookupHasher, email: &str) -> Vec<u8> {
    lookup.hash("email", &[email.as_bytes()])
}

fn code_hash(lookup: &LookupHasher, verification_id: Uuid, code: &str) -> Vec<u8> {
    lookup.hash(CODE_DOMAIN, &[verification_id.as_bytes(), code.as_bytes()])
}

fn code_message(code: &str, minutes: u64) -> String {
    format!(
        "CargoParts: your phone verification code is {code}. It expires in {minutes} minutes; never share it.\n\
         كارقو بارتس: رمز تأكيد رقم جوالك {code} صالح لمدة {minutes} دقائق، لا تشاركه مع أحد."
    )
}

/// A code stored with its account, to text once the transaction commits.
pub struct PendingCode {
    phone: Phone,
    code: String,
    minutes: u64,
}

impl PendingCode {
    /// Texts the code. A failure is the caller's to report: a registration goes on
    /// (the person asks for another code), an explicit request answers 503.
    pub async fn send(self, auth: &AuthState) -> Result<(), AuthError> {
        auth.sms.send(&self.phone, &code_message(&self.code, self.minutes)).await.map_err(|error| {
            tracing::error!(error = ?error, to = %self.phone.masked(), "sending a verification code failed");
            AuthError::Unavailable("SMS delivery failed".into())
        })
    }
}

/// Takes `email` and the phone with `phone_hash` from any unverified account holding
/// them, in the transaction of the registration that names them. The account keeps
/// its row (its orders name it) and is told nothing; the audit trail says it happened.
pub async fn release_unverified(
    tx: &mut PgConnection,
    email: Option<&str>,
    phone_hash: Option<&[u8]>,
    context: &RequestContext,
    now: DateTime<Utc>,
) -> Result<(), AuthError> {
    let mut released = Vec::new();
    if let Some(email) = email
        && let Some(id) = store::verifications::release_unverified_email(&mut *tx, email, now).await?
    {
        released.push((id, Channel::Email));
    }
    if let Some(hash) = phone_hash
        && let Some(id) = store::verifications::release_unverified_phone(&mut *tx, hash, now).await?
    {
        released.push((id, Channel::Sms));
    }
    for (id, channel) in released {
        let entry = Entry::about(Event::ContactReleased, Some(id)).with(json!({ "channel": channel.as_str() }));
        audit::record(&mut *tx, entry, context, now).await?;
    }
    Ok(())
}

/// Stores a proof for each contact of a new account, in its registration transaction:
/// the email link's event for the notifications, and the code to text after commit.
pub async fn start(
    tx: &mut PgConnection,
    auth: &AuthState,
    user: &UserRecord,
    phone: Option<&Phone>,
    now: DateTime<Utc>,
) -> Result<Option<PendingCode>, AuthError> {
    if let Some(email) = &user.email {
        issue_link(tx, auth, user.id, email, now).await?;
    }
    match phone {
        Some(phone) => Ok(Some(issue_code(tx, auth, user.id, phone, now).await?)),
        None => Ok(None),
    }
}

async fn issue_link(
    tx: &mut PgConnection,
    auth: &AuthState,
    user_id: Uuid,
    email: &str,
    now: DateTime<Utc>,
) -> Result<Duration, AuthError> {
    let id = Uuid::new_v4();
    let ttl = one_time::seconds(auth.settings.verification_link_ttl_secs)?;
    let contact_hash = email_hash(&auth.keys.lookup, email);
    let verification = NewVerification {
        id,
        user_id,
        channel: Channel::Email.as_str(),
        contact_hash: &contact_hash,
        code_hash: None,
        created_at: now,
        expires_at: now + ttl,
    };
    store::verifications::insert(&mut *tx, &verification).await?;
    let event = events::Event {
        topic: EMAIL_VERIFICATION_REQUESTED,
        subject_id: user_id,
        payload: json!({ "verification_id": id }),
        occurred_at: now,
    };
    events::record(tx, &event).await?;
    Ok(ttl)
}

async fn issue_code(
    tx: &mut PgConnection,
    auth: &AuthState,
    user_id: Uuid,
    phone: &Phone,
    now: DateTime<Utc>,
) -> Result<PendingCode, AuthError> {
    let id = Uuid::new_v4();
    let ttl_secs = auth.settings.verification_code_ttl_secs;
    let code = one_time::new_code();
    let contact_hash = users::phone_hash(&auth.keys.lookup, phone);
    let stored_code = code_hash(&auth.keys.lookup, id, &code);
    let verification = NewVerification {
        id,
        user_id,
        channel: Channel::Sms.as_str(),
        contact_hash: &contact_hash,
        code_hash: Some(&stored_code),
        created_at: now,
        expires_at: now + one_time::seconds(ttl_secs)?,
    };
    store::verifications::insert(&mut *tx, &verification).await?;
    Ok(PendingCode { phone: phone.clone(), code, minutes: ttl_secs.div_ceil(60) })
}

/// Sends the signed-in account a new proof on `channel`; how long it works.
///
/// Refused when the account has no such contact or has already proven it, and past
/// `auth.verification_max_per_hour` per channel.
pub async fn send(
    db: &PgPool,
    auth: &AuthState,
    user_id: Uuid,
    channel: Channel,
    context: &RequestContext,
) -> Result<u64, AuthError> {
    let now = auth.clock.now();
    let mut tx = db.begin().await?;
    // Serializes requests of one account so that concurrent ones cannot both pass the count.
    store::users::lock(&mut *tx, user_id).await?;
    let user = users::by_id(&mut *tx, user_id).await?.ok_or(AuthError::Unauthenticated("the account is gone"))?;
    let since = now - Duration::hours(1);
    let max = auth.settings.verification_max_per_hour;
    if store::verifications::issued_since(&mut *tx, user.id, channel.as_str(), since).await? >= i64::from(max) {
        return Err(AuthError::Limited(LimitError::Exceeded { limit: max, retry_after_secs: 3600 }));
    }
    let (pending, expires_in) = match channel {
        Channel::Email => {
            let email = user
                .email
                .as_deref()
                .ok_or_else(|| AuthError::invalid("channel", "the account has no email address"))?;
            if user.email_verified_at.is_some() {
                return Err(AuthError::Conflict("the email address is already verified"));
            }
            (None, issue_link(&mut tx, auth, user.id, email, now).await?)
        }
        Channel::Sms => {
            let phone = user
                .phone(&auth.keys.cipher)?
                .ok_or_else(|| AuthError::invalid("channel", "the account has no phone number"))?;
            if user.phone_verified_at.is_some() {
                return Err(AuthError::Conflict("the phone number is already verified"));
            }
            let pending = issue_code(&mut tx, auth, user.id, &phone, now).await?;
            let ttl = one_time::seconds(auth.settings.verification_code_ttl_secs)?;
            (Some(pending), ttl)
        }
    };
    let entry = Entry::own(Event::VerificationSent, user.id).with(json!({ "channel": channel.as_str() }));
    audit::record(&mut *tx, entry, context, now).await?;
    tx.commit().await?;
    if let Some(pending) = pending {
        pending.send(auth).await?;
    }
    Ok(u64::try_from(expires_in.num_seconds()).unwrap_or_default())
}

/// Proves the signed-in account's phone with the code texted to it.
pub async fn confirm_phone(
    db: &PgPool,
    auth: &AuthState,
    user_id: Uuid,
    code: &SecretString,
    context: &RequestContext,
) -> Result<(), AuthError> {
    let now = auth.clock.now();
    let mut tx = db.begin().await?;
    let Some(verification) = store::verifications::lock_latest_sms(&mut *tx, user_id).await? else {
        return Err(AuthError::invalid("code", BAD_CODE));
    };
    let guesses_left = i64::from(verification.attempts) < i64::from(auth.settings.max_code_attempts);
    if verification.expires_at <= now || !guesses_left {
        return Err(AuthError::invalid("code", BAD_CODE));
    }
    let presented = code_hash(&auth.keys.lookup, verification.id, code.expose_secret().trim());
    let stored = verification.code_hash.as_deref().unwrap_or_default();
    if !bool::from(presented.ct_eq(stored)) {
        store::verifications::count_failed_attempt(&mut *tx, verification.id).await?;
        let entry = Entry::own(Event::VerificationFailed, user_id).with(json!({ "channel": "sms" }));
        audit::record(&mut *tx, entry, context, now).await?;
        tx.commit().await?;
        return Err(AuthError::invalid("code", BAD_CODE));
    }
    if !store::verifications::mark_phone_verified(&mut *tx, user_id, &verification.contact_hash, now).await? {
        // The number changed hands since the code was sent.
        return Err(AuthError::invalid("code", BAD_CODE));
    }
    verified(&mut tx, user_id, Channel::Sms, context, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Proves an email address with the token of the link mailed to it; the account's id.
pub async fn confirm_email(
    db: &PgPool,
    auth: &AuthState,
    token: &str,
    context: &RequestContext,
) -> Result<Uuid, AuthError> {
    let now = auth.clock.now();
    let id = one_time::id_of_token(&auth.keys.lookup, LINK_DOMAIN, token)
        .ok_or_else(|| AuthError::invalid("token", BAD_LINK))?;
    let mut tx = db.begin().await?;
    let verification =
        store::verifications::lock(&mut *tx, id).await?.ok_or_else(|| AuthError::invalid("token", BAD_LINK))?;
    if verification.channel != "email" || verification.used_at.is_some() || verification.expires_at <= now {
        return Err(AuthError::invalid("token", BAD_LINK));
    }
    let user =
        users::by_id(&mut *tx, verification.user_id).await?.ok_or_else(|| AuthError::invalid("token", BAD_LINK))?;
    let still_held =
        user.email.as_deref().is_some_and(|e| email_hash(&auth.keys.lookup, e) == verification.contact_hash);
    let Some(email) = user.email.as_deref().filter(|_| still_held) else {
        return Err(AuthError::invalid("token", BAD_LINK));
    };
    if !store::verifications::mark_email_verified(&mut *tx, user.id, email, now).await? {
        return Err(AuthError::invalid("token", BAD_LINK));
    }
    verified(&mut tx, user.id, Channel::Email, context, now).await?;
    tx.commit().await?;
    Ok(user.id)
}

/// Whether an emailed link's token still verifies something: the page asks before it
/// shows its button.
pub async fn link_is_open(db: &PgPool, auth: &AuthState, token: &str) -> Result<bool, AuthError> {
    let Some(id) = one_time::id_of_token(&auth.keys.lookup, LINK_DOMAIN, token) else { return Ok(false) };
    let verification = store::verifications::by_id(db, id).await?;
    Ok(verification.is_some_and(|v| v.channel == "email" && v.used_at.is_none() && v.expires_at > auth.clock.now()))
}

/// A contact proven by a message that reached it for another purpose.
pub enum Proven<'a> {
    /// The account's email address, by a reset link mailed to it.
    Email,
    /// The phone with this lookup hash, by a sign-in or reset code texted to it.
    Phone(&'a [u8]),
}

/// Records a contact proven some other way, in the transaction that spent the proof.
pub async fn proven_by(
    tx: &mut PgConnection,
    user: &UserRecord,
    proof: Proven<'_>,
    context: &RequestContext,
    now: DateTime<Utc>,
) -> Result<(), AuthError> {
    let (channel, marked) = match proof {
        Proven::Email => {
            let Some(email) = user.email.as_deref().filter(|_| user.email_verified_at.is_none()) else {
                return Ok(());
            };
            (Channel::Email, store::verifications::mark_email_verified(&mut *tx, user.id, email, now).await?)
        }
        Proven::Phone(hash) => {
            if user.phone_verified_at.is_some() {
                return Ok(());
            }
            (Channel::Sms, store::verifications::mark_phone_verified(&mut *tx, user.id, hash, now).await?)
        }
    };
    if marked {
        verified(tx, user.id, channel, context, now).await?;
    }
    Ok(())
}

/// What a proven contact leaves: its other open proofs spent, an audit entry, an event.
async fn verified(
    tx: &mut PgConnection,
    user_id: Uuid,
    channel: Channel,
    context: &RequestContext,
    now: DateTime<Utc>,
) -> Result<(), AuthError> {
    store::verifications::spend_all(&mut *tx, user_id, channel.as_str(), now).await?;
    let entry = Entry::own(Event::ContactVerified, user_id).with(json!({ "channel": channel.as_str() }));
    audit::record(&mut *tx, entry, context, now).await?;
    let event = events::Event {
        topic: CONTACT_VERIFIED,
        subject_id: user_id,
        payload: json!({ "channel": channel.as_str() }),
        occurred_at: now,
    };
    events::record(tx, &event).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(key: u8) -> LookupHasher {
        LookupHasher::new(&[key; 32]).unwrap()
    }

    #[test]
    fn codes_are_bound_to_their_verification() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        assert_ne!(code_hash(&lookup(1), a, "123456"), code_hash(&lookup(1), b, "123456"));
    }

    #[test]
    fn an_email_hash_is_keyed() {
        assert_eq!(email_hash(&lookup(1), "a@b.sa"), email_hash(&lookup(1), "a@b.sa"));
        assert_ne!(email_hash(&lookup(1), "a@b.sa"), email_hash(&lookup(2), "a@b.sa"));
    }

    #[test]
    fn the_code_message_says_it_in_both_languages() {
        let text = code_message("042917", 10);
        assert_eq!(text.matches("042917").count(), 2);
        assert!(text.contains("10 minutes") && text.contains("10 دقائق"));
    }
}
