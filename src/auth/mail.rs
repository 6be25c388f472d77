//! The emails of an account's links (a password reset, an email verification), as the
//! notifications send them.
//!
//! The notifications hold only the stored request's id; the link is signed here when
//! the email leaves, so neither the event log nor the job queue holds anything that
//! opens an account, and a request used or expired before its turn sends nothing.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use sqlx::PgPool;
use uuid::Uuid;

use super::error::AuthError;
use super::keys::Keys;
use super::users;
use super::{one_time, recovery, store, verification};
use crate::platform::config::AuthSettings;
use crate::platform::i18n::Locale;

/// Which link an email carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    PasswordReset,
    EmailVerification,
}

/// What an email with a link says.
#[derive(Debug, Clone)]
pub struct LinkMail {
    pub to: Addressee,
    /// The page with the token: a secret until used, never logged.
    pub link: SecretString,
    pub expires_at: DateTime<Utc>,
}

/// Who a notice about an account is written to.
#[derive(Debug, Clone)]
pub struct Addressee {
    pub user_id: Uuid,
    pub email: String,
    pub name: String,
    pub locale: Locale,
}

/// Builds link emails for the notifications.
#[derive(Clone)]
pub struct AccountMailer {
    db: PgPool,
    keys: Arc<Keys>,
    reset_page: String,
    verification_page: String,
}

impl AccountMailer {
    pub fn new(db: PgPool, keys: Arc<Keys>, settings: &AuthSettings) -> AccountMailer {
        AccountMailer {
            db,
            keys,
            reset_page: settings.password_reset_url.clone(),
            verification_page: settings.email_verification_url.clone(),
        }
    }

    /// Where a notice about account `user_id` goes: its email address, name and
    /// language; `None` without an address (or an account).
    pub async fn addressee(&self, user_id: Uuid) -> Result<Option<Addressee>, AuthError> {
        let Some(user) = users::by_id(&self.db, user_id).await? else { return Ok(None) };
        Ok(user.email.map(|email| Addressee { user_id, email, name: user.name, locale: user.locale }))
    }

    /// The accounts that manage seller `seller_id` and have an email address.
    pub async fn seller_addressees(&self, seller_id: Uuid) -> Result<Vec<Addressee>, AuthError> {
        let rows: Vec<(Uuid, String, String, String)> = sqlx::query_as(
            "SELECT id, email, name, locale FROM users
              WHERE seller_id = $1 AND email IS NOT NULL AND erased_at IS NULL ORDER BY created_at",
        )
        .bind(seller_id)
        .fetch_all(&self.db)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(user_id, email, name, locale)| Addressee { user_id, email, name, locale: Locale::from_db(&locale) })
            .collect())
    }

    /// The email of request `id` of `kind`; `None` once it is used or expired at `now`
    /// (a link sent late would not work), or when the account has no email address
    /// (or, for a verification, no longer the one it was sent for).
    pub async fn mail_for(&self, kind: LinkKind, id: Uuid, now: DateTime<Utc>) -> Result<Option<LinkMail>, AuthError> {
        let (open, page, domain) = match kind {
            LinkKind::PasswordReset => {
                let reset = store::resets::by_id(&self.db, id).await?;
                let open = reset
                    .filter(|r| r.channel == "email" && r.used_at.is_none() && r.expires_at > now)
                    .map(|r| (r.user_id, r.expires_at, None));
                (open, &self.reset_page, recovery::LINK_DOMAIN)
            }
            LinkKind::EmailVerification => {
                let verification = store::verifications::by_id(&self.db, id).await?;
                let open = verification
                    .filter(|v| v.channel == "email" && v.used_at.is_none() && v.expires_at > now)
                    .map(|v| (v.user_id, v.expires_at, Some(v.contact_hash)));
                (open, &self.verification_page, verification::LINK_DOMAIN)
            }
        };
        let Some((user_id, expires_at, sent_to)) = open else { return Ok(None) };
        let Some(user) = users::by_id(&self.db, user_id).await? else { return Ok(None) };
        let Some(email) = user.email else { return Ok(None) };
        if sent_to.is_some_and(|hash| hash != verification::email_hash(&self.keys.lookup, &email)) {
            return Ok(None);
        }
        let link = format!("{page}?token={}", one_time::token_of(&self.keys.lookup, domain, id));
        let to = Addressee { user_id: user.id, email, name: user.name, locale: user.locale };
        Ok(Some(LinkMail { to, link: link.into(), expires_at }))
    }
}
