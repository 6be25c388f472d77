//! Sending text messages.
//!
//! Providers sit behind [`SmsSender`] so the login code does not care which one is
//! configured, and tests substitute a recorder. The development sender writes the
//! message to the log, which is how a developer reads the code on a local machine.

use futures::future::BoxFuture;

use super::phone::Phone;

/// Delivers a text message to a phone.
pub trait SmsSender: Send + Sync + 'static {
    fn send<'a>(&'a self, to: &'a Phone, text: &'a str) -> BoxFuture<'a, anyhow::Result<()>>;
}

/// Logs messages instead of sending them. Never for real users: the log then holds
/// their login codes.
#[derive(Debug, Default)]
pub struct LogSmsSender;

impl SmsSender for LogSmsSender {
    fn send<'a>(&'a self, to: &'a Phone, text: &'a str) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            tracing::info!(to = %to.masked(), text, "development SMS sender: message not sent");
            Ok(())
        })
    }
}
