//! Handing one message to its provider, with the log written before and after.

use super::Notifier;
use super::providers::{Email, SendFailure, mask_email};
use super::store::{self, Attempt, Channel};
use super::templates::AccountEmail;
use crate::auth::mail::Addressee;
use crate::platform::jobs::JobFailure;
use crate::platform::phone::Phone;

/// Why a message did not go out.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error(transparent)]
    Provider(#[from] SendFailure),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

impl From<DeliveryError> for JobFailure {
    fn from(error: DeliveryError) -> JobFailure {
        match error {
            DeliveryError::Provider(SendFailure::Unavailable(reason)) => JobFailure::Retry(reason),
            DeliveryError::Provider(SendFailure::Refused(reason)) => JobFailure::Permanent(reason),
            DeliveryError::Database(error) => JobFailure::Retry(format!("database: {error}")),
        }
    }
}

impl Notifier {
    /// Whether the message with `key` went out already (an earlier run, or a duplicate job).
    pub(super) async fn already_sent(&self, channel: Channel, key: &str) -> Result<bool, JobFailure> {
        let status = store::status_of(&self.orders.db, channel, key).await?;
        Ok(matches!(status.as_deref(), Some("sent" | "logged")))
    }

    /// Sends `text` to `to`, logged as `attempt` says.
    pub(super) async fn send_sms(&self, attempt: &Attempt<'_>, to: &Phone, text: &str) -> Result<(), DeliveryError> {
        let db = &self.orders.db;
        let id = store::begin(db, Channel::Sms, attempt).await?;
        match self.sms.send(to, text).await {
            Ok(receipt) => {
                metrics::counter!("notifications_sent_total", "channel" => "sms").increment(1);
                store::sms_sent(db, id, &receipt, self.sms.delivers(), self.orders.now()).await?;
                Ok(())
            }
            Err(failure) => {
                metrics::counter!("notifications_failed_total", "channel" => "sms").increment(1);
                store::failed(db, Channel::Sms, id, &failure.to_string(), self.orders.now()).await?;
                Err(failure.into())
            }
        }
    }

    /// Sends `message` to the account `to`, in its language, logged under `key`.
    pub(super) async fn email_account(
        &self,
        key: &str,
        to: &Addressee,
        message: &(dyn AccountEmail + Sync),
    ) -> Result<(), DeliveryError> {
        let locale = to.locale;
        let email = Email {
            to: to.email.clone(),
            to_name: to.name.clone(),
            subject: message.subject(locale),
            text: message.email_text(locale),
            html: message.email_html(locale),
            attachments: Vec::new(),
        };
        let attempt = Attempt {
            purpose: message.purpose(),
            key: Some(key),
            user_id: Some(to.user_id),
            recipient_masked: mask_email(&to.email),
            summary: email.subject.clone(),
            now: self.orders.now(),
        };
        self.send_email(&attempt, &email).await
    }

    /// Sends `email`, logged as `attempt` says.
    pub(super) async fn send_email(&self, attempt: &Attempt<'_>, email: &Email) -> Result<(), DeliveryError> {
        let db = &self.orders.db;
        let id = store::begin(db, Channel::Email, attempt).await?;
        match self.email.send(email).await {
            Ok(message_id) => {
                metrics::counter!("notifications_sent_total", "channel" => "email").increment(1);
                store::email_sent(db, id, message_id.as_deref(), self.email.delivers(), self.orders.now()).await?;
                Ok(())
            }
            Err(failure) => {
                metrics::counter!("notifications_failed_total", "channel" => "email").increment(1);
                store::failed(db, Channel::Email, id, &failure.to_string(), self.orders.now()).await?;
                Err(failure.into())
            }
        }
    }
}
