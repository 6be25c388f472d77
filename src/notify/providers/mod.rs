//! The SMS and email providers, behind traits: Unifonic and SendGrid over HTTP, and,
//! in development without them, senders that note in the log that a message was due
//! (never what it says).

pub mod sendgrid;
pub mod unifonic;

use async_trait::async_trait;
use rust_decimal::Decimal;

use crate::platform::phone::Phone;

/// Why a provider did not take a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendFailure {
    /// Busy, down or slow (429, 5xx, a timeout): worth trying again later.
    #[error("provider unavailable: {0}")]
    Unavailable(String),
    /// Refused what we sent (4xx, or a 200 that says it failed): sending it again
    /// would fail again.
    #[error("provider refused the message: {0}")]
    Refused(String),
}

/// What a provider said about a text message it took.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SmsReceipt {
    pub message_id: Option<String>,
    pub units: Option<i32>,
    pub cost: Option<Decimal>,
}

#[async_trait]
pub trait SmsProvider: Send + Sync + 'static {
    /// False for the development sender, which sends nothing.
    fn delivers(&self) -> bool {
        true
    }

    async fn send(&self, to: &Phone, text: &str) -> Result<SmsReceipt, SendFailure>;
}

/// A file sent with an email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

/// An email ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub to_name: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub attachments: Vec<Attachment>,
}

#[async_trait]
pub trait EmailProvider: Send + Sync + 'static {
    fn delivers(&self) -> bool {
        true
    }

    /// The provider's message id when it gave one.
    async fn send(&self, email: &Email) -> Result<Option<String>, SendFailure>;
}

/// Development without Unifonic: the message is noted, not sent.
#[derive(Debug, Default)]
pub struct LoggedSms;

#[async_trait]
impl SmsProvider for LoggedSms {
    fn delivers(&self) -> bool {
        false
    }

    async fn send(&self, to: &Phone, text: &str) -> Result<SmsReceipt, SendFailure> {
        tracing::info!(to = %to.masked(), chars = text.chars().count(), "development: a text message was due (not sent)");
        Ok(SmsReceipt::default())
    }
}

/// Development without SendGrid: the email is noted, not sent.
#[derive(Debug, Default)]
pub struct LoggedEmail;

#[async_trait]
impl EmailProvider for LoggedEmail {
    fn delivers(&self) -> bool {
        false
    }

    async fn send(&self, email: &Email) -> Result<Option<String>, SendFailure> {
        tracing::info!(
            to = %mask_email(&email.to),
            attachments = email.attachments.len(),
            "development: an email was due (not sent)"
        );
        Ok(None)
    }
}

/// `n••••@example.com`: enough to tell addresses apart in a log, not to write to one.
pub fn mask_email(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}••••@{domain}")
        }
        None => "••••".into(),
    }
}

/// The error of a provider's non-2xx answer: 429 and 5xx are worth retrying, the rest
/// are refusals.
fn failure_of_status(provider: &str, status: reqwest::StatusCode, detail: &str) -> SendFailure {
    let detail: String = detail.chars().take(300).collect();
    let message = format!("{provider} answered {status}: {detail}");
    if status == reqwest::StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        SendFailure::Unavailable(message)
    } else {
        SendFailure::Refused(message)
    }
}

/// A request that got no answer: unavailable, without the URL (which may carry a
/// credential in a query string of another provider).
fn failure_of_transport(provider: &str, error: &reqwest::Error) -> SendFailure {
    let what = if error.is_timeout() { "timed out" } else { "could not be reached" };
    SendFailure::Unavailable(format!("{provider} {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_masked_in_logs() {
        assert_eq!(mask_email("noura@example.com"), "n••••@example.com");
        assert_eq!(mask_email("nobody"), "••••");
    }

    #[test]
    fn throttling_and_server_errors_are_retried_and_the_rest_refused() {
        use reqwest::StatusCode;
        assert!(matches!(failure_of_status("x", StatusCode::TOO_MANY_REQUESTS, ""), SendFailure::Unavailable(_)));
        assert!(matches!(failure_of_status("x", StatusCode::SERVICE_UNAVAILABLE, ""), SendFailure::Unavailable(_)));
        assert!(matches!(failure_of_status("x", StatusCode::BAD_REQUEST, ""), SendFailure::Refused(_)));
        assert!(matches!(failure_of_status("x", StatusCode::UNAUTHORIZED, ""), SendFailure::Refused(_)));
    }
}
