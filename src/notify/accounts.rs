//! Messages about accounts: the emails with a password-reset link or an
//! email-verification link, and the notice that a password changed, queued from the
//! auth module's events and sent by a job.
//!
//! The job holds the request's id only. The link is signed when the email leaves (see
//! `auth::mail`), so neither the event log nor the queue holds anything that opens an
//! account; a request used or expired before its turn sends nothing.

use std::sync::Arc;

use async_trait::async_trait;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use uuid::Uuid;

use super::Notifier;
use super::store::Channel;
use super::templates::{AccountLinkMessage, PasswordChangedMessage};
use crate::auth::mail::{LinkKind, LinkMail};
use crate::auth::recovery::{RESET_DONE, RESET_REQUESTED};
use crate::auth::users::PASSWORD_CHANGED;
use crate::auth::verification::EMAIL_VERIFICATION_REQUESTED;
use crate::platform::events::{StoredEvent, Subscriber};
use crate::platform::jobs::{self, Job, JobFailure, JobHandler, NewJob};

pub const LINK_EMAIL_JOB: &str = "notify.account_link_email";
pub const PASSWORD_NOTICE_JOB: &str = "notify.password_changed_email";

/// A link email job's payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkNotice {
    /// Names the message in the log, so it is sent once: `{event id}:email`.
    pub key: String,
    pub kind: LinkKind,
    /// The reset or the verification.
    pub id: Uuid,
}

impl LinkNotice {
    fn of_event(event: &StoredEvent) -> Option<LinkNotice> {
        let (kind, id) = match event.topic.as_str() {
            RESET_REQUESTED if event.payload["channel"] == "email" => {
                (LinkKind::PasswordReset, &event.payload["reset_id"])
            }
            EMAIL_VERIFICATION_REQUESTED => (LinkKind::EmailVerification, &event.payload["verification_id"]),
            _ => return None,
        };
        let id = id.as_str()?.parse().ok()?;
        Some(LinkNotice { key: format!("{}:{}", event.id, Channel::Email.as_str()), kind, id })
    }
}

/// Queues the email an account event calls for, in the relay's transaction.
pub struct AccountEvents(pub Notifier);

#[async_trait]
impl Subscriber for AccountEvents {
    async fn on_event(&self, tx: &mut PgConnection, event: &StoredEvent) -> anyhow::Result<()> {
        let key = format!("{}:{}", event.id, Channel::Email.as_str());
        let job = if let Some(notice) = LinkNotice::of_event(event) {
            NewJob {
                kind: LINK_EMAIL_JOB,
                dedupe_key: Some(format!("notify:{key}")),
                payload: serde_json::to_value(&notice)?,
            }
        } else if [PASSWORD_CHANGED, RESET_DONE].contains(&event.topic.as_str()) {
            let notice = PasswordNotice { key: key.clone(), user_id: event.subject_id, at: event.occurred_at };
            NewJob {
                kind: PASSWORD_NOTICE_JOB,
                dedupe_key: Some(format!("notify:{key}")),
                payload: serde_json::to_value(&notice)?,
            }
        } else {
            return Ok(());
        };
        jobs::enqueue(tx, &job, self.0.max_attempts).await?;
        Ok(())
    }
}

/// Sends an email with an account's link.
pub struct LinkEmail(pub Arc<Notifier>);

#[async_trait]
impl JobHandler for LinkEmail {
    async fn run(&self, job: &Job) -> Result<(), JobFailure> {
        let notifier = &self.0;
        let notice: LinkNotice = serde_json::from_value(job.payload.clone())
            .map_err(|e| JobFailure::Permanent(format!("unreadable payload: {e}")))?;
        if notifier.already_sent(Channel::Email, &notice.key).await? {
            return Ok(());
        }
        let now = notifier.orders.now();
        let mail = notifier
            .accounts
            .mail_for(notice.kind, notice.id, now)
            .await
            .map_err(|e| JobFailure::Retry(format!("reading the account's request: {e}")))?;
        let Some(mail) = mail else {
            // Used, expired, or the account or its address is gone: a late link would not work.
            return Ok(());
        };
        let message = AccountLinkMessage::of(notice.kind, &mail, now);
        Ok(notifier.email_account(&notice.key, &mail.to, &message).await?)
    }
}

/// A password notice job's payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordNotice {
    pub key: String,
    pub user_id: Uuid,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// Tells an account its password changed.
pub struct PasswordChangedEmail(pub Arc<Notifier>);

#[async_trait]
impl JobHandler for PasswordChangedEmail {
    async fn run(&self, job: &Job) -> Result<(), JobFailure> {
        let notifier = &self.0;
        let notice: PasswordNotice = serde_json::from_value(job.payload.clone())
            .map_err(|e| JobFailure::Permanent(format!("unreadable payload: {e}")))?;
        if notifier.already_sent(Channel::Email, &notice.key).await? {
            return Ok(());
        }
        let addressee = notifier
            .accounts
            .addressee(notice.user_id)
            .await
            .map_err(|e| JobFailure::Retry(format!("reading the account: {e}")))?;
        // No address (a phone-only account, or an erased one): nobody to tell by email.
        let Some(addressee) = addressee else { return Ok(()) };
        let message = PasswordChangedMessage { name: &addressee.name, at: notice.at };
        Ok(notifier.email_account(&notice.key, &addressee, &message).await?)
    }
}

impl<'a> AccountLinkMessage<'a> {
    /// The message of `mail`, its lifetime counted from `now`.
    fn of(kind: LinkKind, mail: &'a LinkMail, now: chrono::DateTime<chrono::Utc>) -> AccountLinkMessage<'a> {
        let minutes = u64::try_from((mail.expires_at - now).num_minutes().max(1)).unwrap_or(1);
        AccountLinkMessage { kind, name: &mail.to.name, link: mail.link.expose_secret(), minutes }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(topic: &str, payload: serde_json::Value) -> StoredEvent {
        StoredEvent { id: 7, topic: topic.into(), subject_id: Uuid::nil(), payload, occurred_at: chrono::Utc::now() }
    }

    #[test]
    fn a_reset_by_email_and_a_verification_call_for_an_email() {
        let id = Uuid::new_v4();
        let by_email = event(RESET_REQUESTED, serde_json::json!({"reset_id": id, "channel": "email"}));
        let expected = LinkNotice { key: "7:email".into(), kind: LinkKind::PasswordReset, id };
        assert_eq!(LinkNotice::of_event(&by_email), Some(expected));
        let by_sms = event(RESET_REQUESTED, serde_json::json!({"reset_id": id, "channel": "sms"}));
        assert_eq!(LinkNotice::of_event(&by_sms), None);
        let done = event("account.password_reset", serde_json::json!({"reset_id": id, "channel": "email"}));
        assert_eq!(LinkNotice::of_event(&done), None);
        let verify = event(EMAIL_VERIFICATION_REQUESTED, serde_json::json!({"verification_id": id}));
        let expected = LinkNotice { key: "7:email".into(), kind: LinkKind::EmailVerification, id };
        assert_eq!(LinkNotice::of_event(&verify), Some(expected));
    }
}
