//! One-time codes (sign-in, password reset, phone verification): sent at once while
//! the person waits (a code that leaves minutes late is useless, so no queue), through
//! the same provider as every text message, and logged without the code.

use futures::future::BoxFuture;

use super::Notifier;
use super::store::Attempt;
use super::templates::OTP_LOG_EXCERPT;
use crate::platform::phone::Phone;
use crate::platform::sms::SmsSender;

pub(super) struct CodeSender {
    pub notifier: Notifier,
}

impl SmsSender for CodeSender {
    fn send<'a>(&'a self, to: &'a Phone, text: &'a str) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            let attempt = Attempt {
                purpose: "otp",
                key: None,
                user_id: None,
                recipient_masked: to.masked(),
                summary: OTP_LOG_EXCERPT.into(),
                now: self.notifier.orders.now(),
            };
            Ok(self.notifier.send_sms(&attempt, to, text).await?)
        })
    }
}
