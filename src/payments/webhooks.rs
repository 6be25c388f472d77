//! Provider notifications: authenticated first (HyperPay's body decrypts with our
//! webhook key, Tap's `hashstring` is the HMAC of its fields under our secret key),
//! then treated as a hint only: the payment they name is confirmed by asking the
//! provider. A notification that fails authentication changes nothing.

use secrecy::ExposeSecret;
use uuid::Uuid;

use super::confirm::{self, Trigger};
use super::model::ProviderName;
use super::providers::hyperpay_status::{UnreadablePayment, parse_notification};
use super::providers::hyperpay_webhook::decrypt;
use super::providers::tap_signature::ChargeFields;
use super::store::payments as store;
use super::{PaymentError, PaymentsState};

/// What became of a notification that passed authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    /// It named one of our payments, which was confirmed with the provider.
    Confirmed(Uuid),
    /// Authentic, but about nothing of ours (another type of notification, an unknown
    /// payment): acknowledged so the provider stops sending it.
    Ignored(&'static str),
}

/// A HyperPay notification: `body` with the IV and tag headers.
pub async fn hyperpay(
    state: &PaymentsState,
    iv: &str,
    tag: &str,
    body: &[u8],
    request_id: Option<&str>,
) -> Result<Handled, PaymentError> {
    let Some(settings) = &state.settings.payments.hyperpay else {
        return Err(refused(ProviderName::Hyperpay, "not_configured"));
    };
    let plain = decrypt(settings.webhook_key.expose_secret(), iv, tag, body)
        .map_err(|_| refused(ProviderName::Hyperpay, "authentication"))?;
    let payment = match parse_notification(&plain) {
        Ok(payment) => payment,
        Err(UnreadablePayment::NotAPayment(_)) => return Ok(Handled::Ignored("not a payment notification")),
        Err(error) => {
            tracing::warn!(%error, "an authentic HyperPay notification could not be read");
            return Ok(Handled::Ignored("unreadable notification"));
        }
    };
    let Some(id) = payment.merchant_transaction_id.as_deref().and_then(|id| Uuid::parse_str(id).ok()) else {
        return Ok(Handled::Ignored("no payment of ours"));
    };
    match store::get(&state.db, id).await? {
        Some(ours) if ours.provider == ProviderName::Hyperpay => {
            confirm::confirm(state, id, Trigger::Webhook, request_id).await?;
            Ok(Handled::Confirmed(id))
        }
        _ => Ok(Handled::Ignored("no payment of ours")),
    }
}

/// A Tap notification: the charge object and its `hashstring` header.
pub async fn tap(
    state: &PaymentsState,
    hashstring: &str,
    body: &[u8],
    request_id: Option<&str>,
) -> Result<Handled, PaymentError> {
    let Some(settings) = &state.settings.payments.tap else {
        return Err(refused(ProviderName::Tap, "not_configured"));
    };
    let charge: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| refused(ProviderName::Tap, "authentication"))?;
    let fields = ChargeFields::of(&charge).ok_or_else(|| refused(ProviderName::Tap, "authentication"))?;
    if !fields.signed().verify(settings.secret_key.expose_secret(), hashstring) {
        return Err(refused(ProviderName::Tap, "authentication"));
    }
    match store::by_checkout(&state.db, ProviderName::Tap, &fields.id).await? {
        Some(ours) => {
            confirm::confirm(state, ours.id, Trigger::Webhook, request_id).await?;
            Ok(Handled::Confirmed(ours.id))
        }
        None => Ok(Handled::Ignored("no payment of ours")),
    }
}

fn refused(provider: ProviderName, reason: &'static str) -> PaymentError {
    metrics::counter!("payment_webhook_failures_total", "provider" => provider.as_str(), "reason" => reason)
        .increment(1);
    tracing::warn!(provider = provider.as_str(), reason, "a webhook notification was refused");
    PaymentError::Unauthenticated("the notification does not authenticate")
}
