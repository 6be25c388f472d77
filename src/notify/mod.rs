//! Notifications: text messages through Unifonic and emails through SendGrid, sent as
//! background jobs from domain events, each logged (`sms_log`, `email_log`) and sent
//! once; and the sign-in codes of the auth module, sent at once.
//!
//! Without a provider, development notes in the log that a message was due (never what
//! it says); production refuses to start (see the settings' production check).

pub mod accounts;
mod codes;
mod delivery;
pub mod orders;
pub mod providers;
pub mod sellers;
pub mod store;
pub mod templates;

use std::sync::Arc;
use std::time::Duration;

use crate::auth::mail::AccountMailer;
use crate::orders::OrdersState;
use crate::platform::config::Settings;
use crate::platform::events::Subscriber;
use crate::platform::jobs::Handlers;
use crate::platform::outbound::http_client;
use crate::platform::sms::SmsSender;
use providers::sendgrid::SendGrid;
use providers::unifonic::Unifonic;
use providers::{EmailProvider, LoggedEmail, LoggedSms, SmsProvider};

/// What sending messages needs.
#[derive(Clone)]
pub struct Notifier {
    /// Orders are read (and their phones opened) when a message about one leaves.
    pub orders: OrdersState,
    /// Emails with an account's link (reset, verification) are built, and their links
    /// signed, when they leave.
    pub accounts: AccountMailer,
    pub sms: Arc<dyn SmsProvider>,
    pub email: Arc<dyn EmailProvider>,
    /// Attempts of a message job before it is dead-lettered.
    pub max_attempts: u32,
}

impl Notifier {
    /// The providers the settings configure, or the development senders.
    pub fn new(settings: &Settings, orders: OrdersState, accounts: AccountMailer) -> anyhow::Result<Notifier> {
        let notify = &settings.notify;
        let http = http_client(Duration::from_millis(notify.timeout_ms))?;
        let sms: Arc<dyn SmsProvider> = match &notify.unifonic {
            Some(unifonic) => Arc::new(Unifonic::new(unifonic.clone(), http.clone())),
            None => {
                tracing::info!("no Unifonic configured: text messages are noted in the log, not sent");
                Arc::new(LoggedSms)
            }
        };
        let email: Arc<dyn EmailProvider> = match &notify.sendgrid {
            Some(sendgrid) => Arc::new(SendGrid::new(sendgrid.clone(), http)),
            None => {
                tracing::info!("no SendGrid configured: emails are noted in the log, not sent");
                Arc::new(LoggedEmail)
            }
        };
        Ok(Notifier { orders, accounts, sms, email, max_attempts: settings.jobs.max_attempts })
    }

    /// The subscribers that turn order and account events into message jobs.
    pub fn subscribers(&self) -> Vec<Arc<dyn Subscriber>> {
        vec![
            Arc::new(orders::OrderEvents(self.clone())),
            Arc::new(accounts::AccountEvents(self.clone())),
            Arc::new(sellers::SellerEvents(self.clone())),
        ]
    }

    /// The handlers of the message jobs.
    pub fn register(&self, handlers: &mut Handlers) {
        let notifier = Arc::new(self.clone());
        handlers.register(orders::SMS_JOB, Arc::new(orders::OrderSms(notifier.clone())));
        handlers.register(orders::EMAIL_JOB, Arc::new(orders::OrderEmail(notifier.clone())));
        handlers.register(accounts::LINK_EMAIL_JOB, Arc::new(accounts::LinkEmail(notifier.clone())));
        handlers.register(accounts::PASSWORD_NOTICE_JOB, Arc::new(accounts::PasswordChangedEmail(notifier.clone())));
        handlers.register(sellers::VERIFIED_EMAIL_JOB, Arc::new(sellers::SellerVerifiedEmail(notifier)));
    }

    /// The sender of sign-in codes: the same provider, logged without the code.
    pub fn code_sender(&self) -> Arc<dyn SmsSender> {
        Arc::new(codes::CodeSender { notifier: self.clone() })
    }
}
