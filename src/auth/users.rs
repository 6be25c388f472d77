//! Accounts as stored, and as their owners see them.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgExecutor, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use super::AuthState;
use super::error::AuthError;
use super::principal::Role;
use super::sessions::{self, EndReason};
use super::store;
use super::tokens::Subject;
use crate::platform::audit::{self, Entry, Event};
use crate::platform::client::RequestContext;
use crate::platform::crypto::{FieldCipher, LookupHasher};
use crate::platform::phone::Phone;

/// The event of a new account, in the event outbox for other modules and the log.
pub const REGISTERED: &str = "account.registered";
/// The event of a password changed by its owner (a reset raises `account.password_reset`).
pub const PASSWORD_CHANGED: &str = "account.password_changed";

/// A user row with what sign-in needs.
#[derive(Clone)]
pub struct UserRecord {
    pub id: Uuid,
    pub email: Option<String>,
    pub phone_encrypted: Option<String>,
    pub name: String,
    pub password_hash: Option<String>,
    pub role: Role,
    pub seller_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub locale: Locale,
    pub mfa_enabled: bool,
    /// When the account proved it receives mail at `email`.
    pub email_verified_at: Option<DateTime<Utc>>,
    /// When the account proved it receives text messages at its phone.
    pub phone_verified_at: Option<DateTime<Utc>>,
}

/// The language an account's text messages and emails are written in.
use crate::platform::i18n::Locale;

impl UserRecord {
    pub fn subject(&self) -> Subject {
        Subject { user_id: self.id, role: self.role, seller_id: self.seller_id }
    }

    /// The phone number, opened from its sealed form.
    pub fn phone(&self, cipher: &FieldCipher) -> Result<Option<Phone>, AuthError> {
        let Some(sealed) = &self.phone_encrypted else {
            return Ok(None);
        };
        let bytes = cipher.open(sealed, &phone_context(self.id))?;
        let e164 = String::from_utf8(bytes).map_err(anyhow::Error::from)?;
        Ok(Some(Phone::from_e164(e164)))
    }

    /// What authenticator apps show the account as.
    pub fn display_login(&self, cipher: &FieldCipher) -> Result<String, AuthError> {
        match (&self.email, self.phone(cipher)?) {
            (Some(email), _) => Ok(email.clone()),
            (None, Some(phone)) => Ok(phone.as_str().to_string()),
            (None, None) => Ok(self.id.to_string()),
        }
    }

    pub fn view(&self, auth: &AuthState) -> Result<UserView, AuthError> {
        self.view_with(&auth.keys.cipher)
    }

    /// The owner's view, its phone opened with `cipher` (for callers without the auth state).
    pub fn view_with(&self, cipher: &FieldCipher) -> Result<UserView, AuthError> {
        Ok(UserView {
            id: self.id,
            email: self.email.clone(),
            phone: self.phone(cipher)?.map(|p| p.as_str().to_string()),
            name: self.name.clone(),
            role: self.role,
            seller_id: self.seller_id,
            locale: self.locale,
            mfa_enabled: self.mfa_enabled,
            email_verified: self.email_verified_at.is_some(),
            phone_verified: self.phone_verified_at.is_some(),
            created_at: self.created_at,
        })
    }
}

/// An account as its owner sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// E.164, e.g. `+966501234567`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    pub name: String,
    pub role: Role,
    /// The seller record a seller account manages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seller_id: Option<Uuid>,
    /// The language of the account's text messages and emails.
    pub locale: Locale,
    /// Whether sign-in asks for an authenticator code.
    pub mfa_enabled: bool,
    /// Whether the account proved it receives mail at `email`. Until it does, another
    /// registration naming the address takes it.
    pub email_verified: bool,
    /// Whether the account proved it receives text messages at `phone`. Until it does,
    /// another registration naming the number takes it.
    pub phone_verified: bool,
    pub created_at: DateTime<Utc>,
}

/// The associated data a user's sealed phone number is bound to.
pub fn phone_context(user_id: Uuid) -> Vec<u8> {
    format!("users.phone_encrypted:{user_id}").into_bytes()
}

/// The lookup hash of a phone number.
pub fn phone_hash(lookup: &LookupHasher, phone: &Phone) -> Vec<u8> {
    lookup.hash("phone", &[phone.as_str().as_bytes()])
}

pub async fn by_id(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<UserRecord>, AuthError> {
    Ok(store::users::by_id(db, id).await?)
}

pub async fn by_email(db: impl PgExecutor<'_>, email: &str) -> Result<Option<UserRecord>, AuthError> {
    Ok(store::users::by_email(db, email).await?)
}

pub async fn by_phone_hash(db: impl PgExecutor<'_>, hash: &[u8]) -> Result<Option<UserRecord>, AuthError> {
    Ok(store::users::by_phone_hash(db, hash).await?)
}

/// Gives the account with `email` the role `role` (a seller account needs the external
/// id of its seller record) and ends its sessions; for operators, from the command line.
pub async fn set_role(db: &PgPool, email: &str, role: Role, seller_external_id: Option<&str>) -> anyhow::Result<()> {
    let email = email.trim().to_lowercase();
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let seller_id: Option<Uuid> = match (role, seller_external_id) {
        (Role::Seller, Some(external_id)) => Some(
            store::users::seller_id_by_external_id(&mut *tx, external_id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no seller has the external id {external_id}"))?,
        ),
        (Role::Seller, None) => anyhow::bail!("a seller account needs its seller record"),
        (_, _) => None,
    };
    let user_id = store::users::set_role_by_email(&mut *tx, &email, role, seller_id, now)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no account has the email {email}"))?;
    let ended = sessions::end_all(&mut tx, user_id, None, EndReason::Admin, now).await?;
    audit::record(
        &mut *tx,
        Entry::about(Event::RoleChanged, Some(user_id)).with(serde_json::json!({
            "role": role.as_str(),
            "seller_id": seller_id,
            "sessions_ended": ended,
            "via": "command line",
        })),
        &RequestContext::default(),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
