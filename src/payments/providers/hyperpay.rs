//! HyperPay's COPYandPAY over HTTP: checkouts, payment status, refunds.
//!
//! Each payment method has its own entity id, and the status query of a checkout must
//! name the entity that opened it, so every call is made for a [`Method`].

use async_trait::async_trait;
use secrecy::ExposeSecret;
use serde::Deserialize;

use super::hyperpay_status::{HyperPayPayment, UnreadablePayment, parse_status};
use super::{
    Checkout, CheckoutRequest, NextStep, PaymentProvider, ProviderError, ProviderPayment, ProviderRefund,
    RefundRequest, RefundState, endpoint, urlencode,
};
use crate::payments::model::{Method, ProviderName};
use crate::payments::result_codes::{Outcome, classify};
use crate::platform::config::HyperPaySettings;

const NAME: &str = "hyperpay";
/// The result code of a checkout created.
const CHECKOUT_CREATED: &str = "000.200.100";

pub struct HyperPay {
    settings: HyperPaySettings,
    http: reqwest::Client,
}

impl HyperPay {
    pub fn new(settings: HyperPaySettings, http: reqwest::Client) -> HyperPay {
        HyperPay { settings, http }
    }

    /// The entity of `method`. Tap's hosted page has no HyperPay entity; a Tap payment
    /// that falls back to HyperPay is taken as a card payment.
    fn entity(&self, method: Method) -> Result<&str, ProviderError> {
        match method {
            Method::Mada => Ok(&self.settings.entity_id_mada),
            Method::Card | Method::Tap => Ok(&self.settings.entity_id_card),
            Method::Applepay => self.settings.entity_id_applepay.as_deref().ok_or_else(|| ProviderError::Refused {
                provider: NAME,
                code: "not_configured".into(),
                message: "no Apple Pay entity id is configured".into(),
            }),
        }
    }

    /// The brands the widget offers for `method`.
    fn brands(method: Method) -> &'static str {
        match method {
            Method::Mada => "MADA",
            Method::Card | Method::Tap => "VISA MASTER",
            Method::Applepay => "APPLEPAY",
        }
    }

    fn url(&self, path: &str) -> String {
        endpoint(&self.settings.base_url, path)
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<(reqwest::StatusCode, bytes::Bytes), ProviderError> {
        let response = request
            .bearer_auth(self.settings.access_token.expose_secret())
            .send()
            .await
            .map_err(|e| ProviderError::transport(NAME, e))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| ProviderError::transport(NAME, e))?;
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Err(ProviderError::Throttled { provider: NAME });
        }
        if status.is_server_error() {
            return Err(ProviderError::Unavailable { provider: NAME, reason: status.to_string() });
        }
        Ok((status, body))
    }
}

/// A HyperPay answer's `result`, which it sends with 2xx and 4xx alike.
#[derive(Deserialize)]
struct Answer {
    id: Option<String>,
    result: AnswerResult,
}

#[derive(Deserialize)]
struct AnswerResult {
    code: String,
    #[serde(default)]
    description: String,
}

fn read_answer(body: &[u8]) -> Result<Answer, ProviderError> {
    serde_json::from_slice(body).map_err(|e| ProviderError::Unreadable { provider: NAME, reason: e.to_string() })
}

fn unreadable(error: UnreadablePayment) -> ProviderError {
    ProviderError::Unreadable { provider: NAME, reason: error.to_string() }
}

impl From<HyperPayPayment> for ProviderPayment {
    fn from(payment: HyperPayPayment) -> ProviderPayment {
        ProviderPayment {
            outcome: payment.outcome,
            provider_payment_id: payment.payment_id,
            reference: payment.merchant_transaction_id,
            order_reference: None,
            amount: payment.amount,
            currency: payment.currency,
            brand: payment.brand,
            card_bin: payment.card_bin,
            card_last4: payment.card_last4,
            result_code: payment.result_code,
            result_description: payment.result_description,
        }
    }
}

fn refund_state(code: &str) -> RefundState {
    match classify(code) {
        Outcome::Succeeded | Outcome::NeedsReview => RefundState::Refunded,
        Outcome::Pending | Outcome::PendingLong => RefundState::Pending,
        Outcome::Rejected => RefundState::Failed,
    }
}

#[async_trait]
impl PaymentProvider for HyperPay {
    fn name(&self) -> ProviderName {
        ProviderName::Hyperpay
    }

    async fn create_checkout(&self, request: &CheckoutRequest) -> Result<Checkout, ProviderError> {
        let customer = &request.customer;
        let mut form = vec![
            ("entityId", self.entity(request.method)?.to_string()),
            ("amount", request.amount.to_string()),
            ("currency", "SAR".to_string()),
            ("paymentType", "DB".to_string()),
            ("merchantTransactionId", request.payment_id.to_string()),
            ("merchantInvoiceId", request.order_number.clone()),
            ("customer.givenName", customer.given_name.clone()),
            ("customer.surname", customer.surname.clone()),
            ("customer.mobile", customer.phone.clone()),
            ("billing.street1", customer.street.clone()),
            ("billing.city", customer.city.clone()),
            ("billing.state", customer.city.clone()),
            ("billing.country", "SA".to_string()),
        ];
        if let Some(postcode) = &customer.postcode {
            form.push(("billing.postcode", postcode.clone()));
        }
        if let Some(email) = &customer.email {
            form.push(("customer.email", email.clone()));
        }
        if self.settings.test_mode {
            form.push(("testMode", "EXTERNAL".to_string()));
        }
        let (status, body) = self.send(self.http.post(self.url("v1/checkouts")).form(&form)).await?;
        let answer = read_answer(&body)?;
        match answer.id {
            Some(id) if status.is_success() && answer.result.code == CHECKOUT_CREATED => Ok(Checkout {
                next: NextStep::Widget {
                    script_url: format!("{}?checkoutId={id}", self.url("v1/paymentWidgets.js")),
                    brands: HyperPay::brands(request.method).to_string(),
                },
                checkout_id: id,
            }),
            _ => Err(ProviderError::Refused {
                provider: NAME,
                code: answer.result.code,
                message: answer.result.description,
            }),
        }
    }

    async fn payment_status(&self, method: Method, checkout_id: &str) -> Result<ProviderPayment, ProviderError> {
        let url = self.url(&format!("v1/checkouts/{}/payment", urlencode(checkout_id)));
        let request = self.http.get(url).query(&[("entityId", self.entity(method)?)]);
        // A declined payment's status comes with a 400 and the same body as a paid one.
        let (_, body) = self.send(request).await?;
        parse_status(&body).map(ProviderPayment::from).map_err(unreadable)
    }

    async fn refund(&self, request: &RefundRequest) -> Result<ProviderRefund, ProviderError> {
        let form = [
            ("entityId", self.entity(request.method)?.to_string()),
            ("amount", request.amount.to_string()),
            ("currency", "SAR".to_string()),
            ("paymentType", "RF".to_string()),
            ("merchantTransactionId", request.refund_id.to_string()),
        ];
        let url = self.url(&format!("v1/payments/{}", urlencode(&request.provider_payment_id)));
        let (_, body) = self.send(self.http.post(url).form(&form)).await?;
        let answer = read_answer(&body)?;
        Ok(ProviderRefund {
            state: refund_state(&answer.result.code),
            provider_refund_id: answer.id,
            result_code: answer.result.code,
        })
    }

    async fn refund_status(&self, method: Method, provider_refund_id: &str) -> Result<ProviderRefund, ProviderError> {
        let url = self.url(&format!("v1/payments/{}", urlencode(provider_refund_id)));
        let (_, body) = self.send(self.http.get(url).query(&[("entityId", self.entity(method)?)])).await?;
        let answer = read_answer(&body)?;
        Ok(ProviderRefund {
            state: refund_state(&answer.result.code),
            provider_refund_id: Some(provider_refund_id.to_string()),
            result_code: answer.result.code,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_method_has_its_entity_and_brands() {
        let settings = HyperPaySettings {
            base_url: "https://eu-test.oppwa.com".into(),
            access_token: "token".into(),
            entity_id_card: "card-entity".into(),
            entity_id_mada: "mada-entity".into(),
            entity_id_applepay: None,
            webhook_key: "00".repeat(32).into(),
            test_mode: true,
        };
        let hyperpay = HyperPay::new(settings, super::super::http_client(std::time::Duration::from_secs(1)).unwrap());
        assert_eq!(hyperpay.entity(Method::Mada).unwrap(), "mada-entity");
        assert_eq!(hyperpay.entity(Method::Card).unwrap(), "card-entity");
        assert!(matches!(hyperpay.entity(Method::Applepay), Err(ProviderError::Refused { .. })));
        assert_eq!(HyperPay::brands(Method::Mada), "MADA");
        assert_eq!(HyperPay::brands(Method::Card), "VISA MASTER");
    }

    #[test]
    fn refund_results_read_as_the_payment_codes_do() {
        assert_eq!(refund_state("000.100.110"), RefundState::Refunded);
        assert_eq!(refund_state("000.200.000"), RefundState::Pending);
        assert_eq!(refund_state("700.400.200"), RefundState::Failed);
    }
}
