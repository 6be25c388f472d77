//! Sending text messages, as the modules that need one see it.
//!
//! The auth module sends sign-in codes through [`SmsSender`] without knowing the
//! provider: the notifications module implements it over Unifonic (or, in development
//! without it, a sender that notes in the log that a message was due, never what it
//! says), and tests substitute a recorder.

use futures::future::BoxFuture;

use super::phone::Phone;

/// Delivers a text message to a phone.
pub trait SmsSender: Send + Sync + 'static {
    fn send<'a>(&'a self, to: &'a Phone, text: &'a str) -> BoxFuture<'a, anyhow::Result<()>>;
}
