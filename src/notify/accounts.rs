//! Messages about accounts: the password-reset link, queued from the auth module's
//! event and sent by a job.
//!
//! The job holds the reset's id only. The link is signed when the email leaves (see
//! `auth::recovery`), so neither the event log nor the queue holds anything that opens
//! an account; a reset used or expired before its turn sends nothing.

use std::sync::Arc;

use async_trait::async_trait;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use uuid::Uuid;

use super::Notifier;
use super::providers::{Email, mask_email};
use super::store::{Attempt, Channel};
use super::templates::{Locale, PasswordResetMessage};
use crate::auth::recovery::{RESET_REQUESTED, ResetMail};
use crate::auth::users::Locale as AccountLocale;
use crate::platform::events::{StoredEvent, Subscriber};
use crate::platform::jobs::{self, Job, JobFailure, JobHandler, NewJob};

pub const RESET_EMAIL_JOB: &str = "notify.password_reset_email";

/// A reset email job's payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetNotice {
    /// Names the message in the log, so it is sent once: `{event id}:email`.
    pub key: String,
    pub reset_id: Uuid,
}

impl ResetNotice {
    fn of_event(event: &StoredEvent) -> Option<ResetNotice> {
        if event.topic != RESET_REQUESTED || event.payload["channel"] != "email" {
            return None;
        }
        let reset_id = event.payload["reset_id"].as_str()?.parse().ok()?;
        Some(ResetNotice { key: format!("{}:{}", event.id, Channel::Email.as_str()), reset_id })
    }
}

/// Queues the email an account event calls for, in the relay's transaction.
pub struct AccountEvents(pub Notifier);

#[async_trait]
impl Subscriber for AccountEvents {
    async fn on_event(&self, tx: &mut PgConnection, event: &StoredEvent) -> anyhow::Result<()> {
        let Some(notice) = ResetNotice::of_event(event) else { return Ok(()) };
        let job = NewJob {
            kind: RESET_EMAIL_JOB,
            dedupe_key: Some(format!("notify:{}", notice.key)),
            payload: serde_json::to_value(&notice)?,
        };
        jobs::enqueue(tx, &job, self.0.max_attempts).await?;
        Ok(())
    }
}

/// Sends a password-reset email.
pub struct ResetEmail(pub Arc<Notifier>);

#[async_trait]
impl JobHandler for ResetEmail {
    async fn run(&self, job: &Job) -> Result<(), JobFailure> {
        let notifier = &self.0;
        let notice: ResetNotice = serde_json::from_value(job.payload.clone())
            .map_err(|e| JobFailure::Permanent(format!("unreadable payload: {e}")))?;
        if notifier.already_sent(Channel::Email, &notice.key).await? {
            return Ok(());
        }
        let now = notifier.orders.now();
        let mail = notifier
            .resets
            .mail_for(notice.reset_id, now)
            .await
            .map_err(|e| JobFailure::Retry(format!("reading the reset: {e}")))?;
        let Some(mail) = mail else {
            // Used, expired, or the account is gone: a late link would not work.
            return Ok(());
        };
        let email = reset_email(&mail, now);
        let attempt = Attempt {
            purpose: PasswordResetMessage::PURPOSE,
            key: Some(&notice.key),
            user_id: Some(mail.user_id),
            recipient_masked: mask_email(&mail.email),
            summary: email.subject.clone(),
            now,
        };
        Ok(notifier.send_email(&attempt, &email).await?)
    }
}

fn reset_email(mail: &ResetMail, now: chrono::DateTime<chrono::Utc>) -> Email {
    let locale = match mail.locale {
        AccountLocale::En => Locale::English,
        AccountLocale::Ar => Locale::Arabic,
    };
    let minutes = u64::try_from((mail.expires_at - now).num_minutes().max(1)).unwrap_or(1);
    let message = PasswordResetMessage { name: &mail.name, link: mail.link.expose_secret(), minutes };
    Email {
        to: mail.email.clone(),
        to_name: mail.name.clone(),
        subject: message.subject(locale),
        text: message.email_text(locale),
        html: message.email_html(locale),
        attachments: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(topic: &str, payload: serde_json::Value) -> StoredEvent {
        StoredEvent { id: 7, topic: topic.into(), subject_id: Uuid::nil(), payload, occurred_at: chrono::Utc::now() }
    }

    #[test]
    fn only_a_reset_by_email_calls_for_an_email() {
        let id = Uuid::new_v4();
        let by_email = event(RESET_REQUESTED, serde_json::json!({"reset_id": id, "channel": "email"}));
        assert_eq!(ResetNotice::of_event(&by_email), Some(ResetNotice { key: "7:email".into(), reset_id: id }));
        let by_sms = event(RESET_REQUESTED, serde_json::json!({"reset_id": id, "channel": "sms"}));
        assert_eq!(ResetNotice::of_event(&by_sms), None);
        let done = event("account.password_reset", serde_json::json!({"reset_id": id, "channel": "email"}));
        assert_eq!(ResetNotice::of_event(&done), None);
    }
}
