//! Sending text messages.
//!
//! Providers sit behind [`SmsSender`] so the login code does not care which one is
//! configured, and tests substitute a recorder. The development sender notes in the log
//! that a message would have been sent, never what it says: a message may carry a login
//! code, and logs travel further than anyone intends. Production never uses it.

use std::sync::Arc;

use futures::future::BoxFuture;

use super::config::Environment;
use super::phone::Phone;

/// Delivers a text message to a phone.
pub trait SmsSender: Send + Sync + 'static {
    fn send<'a>(&'a self, to: &'a Phone, text: &'a str) -> BoxFuture<'a, anyhow::Result<()>>;
}

/// Development only: notes that a message was due, without sending it or logging it.
#[derive(Debug, Default)]
pub struct LogSmsSender;

impl SmsSender for LogSmsSender {
    fn send<'a>(&'a self, to: &'a Phone, text: &'a str) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            tracing::info!(to = %to.masked(), chars = text.chars().count(), "development SMS sender: message not sent");
            Ok(())
        })
    }
}

/// Production without an SMS provider: every message fails, so features that need
/// one answer "unavailable" instead of pretending a code went out.
#[derive(Debug, Default)]
pub struct NoSmsProvider;

impl SmsSender for NoSmsProvider {
    fn send<'a>(&'a self, _to: &'a Phone, _text: &'a str) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async { anyhow::bail!("no SMS provider is configured") })
    }
}

/// The sender an environment starts with until a provider is configured.
pub fn default_sender(env: Environment) -> Arc<dyn SmsSender> {
    if env.is_production() {
        tracing::warn!("no SMS provider configured: sign-in with SMS codes is unavailable");
        Arc::new(NoSmsProvider)
    } else {
        Arc::new(LogSmsSender)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn production_without_a_provider_sends_nothing_and_says_so() {
        let phone = Phone::parse("0501234567").unwrap();
        assert!(default_sender(Environment::Production).send(&phone, "code 123456").await.is_err());
        assert!(default_sender(Environment::Development).send(&phone, "code 123456").await.is_ok());
    }
}
