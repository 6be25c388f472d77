//! Tap Payments over HTTP: charges, their retrieval, refunds.
//!
//! A Tap payment is one charge: creating it gives the page to send the shopper to, and
//! retrieving it is the authoritative word on whether it was captured.

use async_trait::async_trait;
use rust_decimal::prelude::ToPrimitive;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use super::tap_signature::two_decimals;
use super::{
    Checkout, CheckoutRequest, NextStep, PaymentProvider, ProviderError, ProviderPayment, ProviderRefund,
    RefundRequest, RefundState, endpoint, urlencode,
};
use crate::payments::model::{Method, ProviderName};
use crate::payments::result_codes::Outcome;
use crate::platform::config::TapSettings;
use crate::platform::money::Halalas;

const NAME: &str = "tap";

pub struct Tap {
    settings: TapSettings,
    http: reqwest::Client,
}

impl Tap {
    pub fn new(settings: TapSettings, http: reqwest::Client) -> Tap {
        Tap { settings, http }
    }

    /// The secret key: it authenticates our requests and keys the webhooks' `hashstring`.
    pub fn secret_key(&self) -> &str {
        self.settings.secret_key.expose_secret()
    }

    /// `path` under the API's version, whether the base URL names `/v2` or not.
    fn url(&self, path: &str) -> String {
        let base = self.settings.base_url.trim_end_matches('/').trim_end_matches("/v2");
        endpoint(base, &format!("v2/{path}"))
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Value, ProviderError> {
        let response =
            request.bearer_auth(self.secret_key()).send().await.map_err(|e| ProviderError::transport(NAME, e))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| ProviderError::transport(NAME, e))?;
        let value: Option<Value> = serde_json::from_slice(&body).ok();
        if !status.is_success() {
            // `{"errors": [{"code": "1108", "description": "…"}]}`
            let first = value.as_ref().map(|v| &v["errors"][0]);
            let text = |key: &str| first.and_then(|e| e[key].as_str()).unwrap_or_default().to_string();
            return Err(ProviderError::status(NAME, status, text("code"), text("description")));
        }
        value.ok_or_else(|| ProviderError::Unreadable { provider: NAME, reason: "not JSON".into() })
    }
}

/// Tap's source for a method: its hosted page with everything, or one network.
fn source(method: Method) -> &'static str {
    match method {
        Method::Tap => "src_all",
        Method::Mada => "src_sa.mada",
        Method::Card => "src_card",
        Method::Applepay => "src_apple_pay",
    }
}

/// What a charge's status says of the money. Only `CAPTURED` is paid.
fn outcome(status: &str) -> Outcome {
    match status {
        "CAPTURED" => Outcome::Succeeded,
        "INITIATED" | "IN_PROGRESS" | "AUTHORIZED" | "UNKNOWN" => Outcome::Pending,
        _ => Outcome::Rejected,
    }
}

/// A SAR amount as Tap's JSON number. A two-decimal amount below 2^53 halalas is
/// exactly recoverable from the double Tap's API takes, and is read back exactly.
fn amount_number(amount: Halalas) -> Value {
    json!(amount.to_decimal().to_f64().unwrap_or(f64::NAN))
}

/// Reads a charge object (an answer of `/v2/charges`, or what the webhook posts).
pub fn parse_charge(charge: &Value) -> Result<ProviderPayment, ProviderError> {
    let unreadable = |reason: &str| ProviderError::Unreadable { provider: NAME, reason: reason.to_string() };
    let text = |value: &Value| value.as_str().map(str::to_string);
    let status = charge["status"].as_str().ok_or_else(|| unreadable("a charge without a status"))?;
    let id = text(&charge["id"]).ok_or_else(|| unreadable("a charge without an id"))?;
    let amount = match two_decimals(&charge["amount"]) {
        Some(amount) => Some(Halalas::parse_sar(&amount).map_err(|_| unreadable("an amount that is not SAR"))?),
        None => None,
    };
    let card = &charge["card"];
    let digits = |value: &Value, len: std::ops::RangeInclusive<usize>| {
        value.as_str().filter(|d| len.contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit())).map(str::to_string)
    };
    let brand = [&card["brand"], &card["scheme"], &charge["source"]["payment_method"]]
        .into_iter()
        .find_map(|v| v.as_str())
        .map(|b| b.chars().take(32).collect());
    Ok(ProviderPayment {
        outcome: outcome(status),
        provider_payment_id: Some(id),
        reference: text(&charge["reference"]["transaction"]),
        order_reference: text(&charge["reference"]["order"]),
        amount,
        currency: text(&charge["currency"]),
        brand,
        card_bin: digits(&card["first_six"], 6..=8),
        card_last4: digits(&card["last_four"], 4..=4),
        result_code: status.to_string(),
        result_description: charge["response"]["message"].as_str().unwrap_or_default().chars().take(255).collect(),
    })
}

fn read_refund(refund: &Value) -> ProviderRefund {
    let status = refund["status"].as_str().unwrap_or("UNKNOWN");
    let state = match status {
        "REFUNDED" => RefundState::Refunded,
        "PENDING" | "IN_PROGRESS" | "INITIATED" => RefundState::Pending,
        _ => RefundState::Failed,
    };
    ProviderRefund { provider_refund_id: refund["id"].as_str().map(str::to_string), state, result_code: status.into() }
}

#[async_trait]
impl PaymentProvider for Tap {
    fn name(&self) -> ProviderName {
        ProviderName::Tap
    }

    async fn create_checkout(&self, request: &CheckoutRequest) -> Result<Checkout, ProviderError> {
        let customer = &request.customer;
        let national = customer.phone.strip_prefix("+966").unwrap_or(&customer.phone);
        let mut person = json!({
            "first_name": customer.given_name,
            "last_name": customer.surname,
            "phone": {"country_code": "966", "number": national},
        });
        if let Some(email) = &customer.email {
            person["email"] = json!(email);
        }
        let body = json!({
            "amount": amount_number(request.amount),
            "currency": "SAR",
            "threeDSecure": true,
            "save_card": false,
            "description": format!("CargoParts order {}", request.order_number),
            "reference": {"transaction": request.payment_id.to_string(), "order": request.order_number},
            "customer": person,
            "source": {"id": source(request.method)},
            "post": {"url": request.webhook_url},
            "redirect": {"url": request.return_url},
        });
        let charge = self.send(self.http.post(self.url("charges")).json(&body)).await?;
        let id = charge["id"]
            .as_str()
            .ok_or_else(|| ProviderError::Unreadable { provider: NAME, reason: "a charge without an id".into() })?;
        let url = charge["transaction"]["url"].as_str().ok_or_else(|| ProviderError::Refused {
            provider: NAME,
            code: charge["response"]["code"].as_str().unwrap_or_default().into(),
            message: charge["response"]["message"].as_str().unwrap_or("no payment page").into(),
        })?;
        Ok(Checkout { checkout_id: id.to_string(), next: NextStep::Redirect { url: url.to_string() } })
    }

    async fn payment_status(&self, _method: Method, checkout_id: &str) -> Result<ProviderPayment, ProviderError> {
        let charge = self.send(self.http.get(self.url(&format!("charges/{}", urlencode(checkout_id))))).await?;
        parse_charge(&charge)
    }

    async fn refund(&self, request: &RefundRequest) -> Result<ProviderRefund, ProviderError> {
        let body = json!({
            "charge_id": request.provider_payment_id,
            "amount": amount_number(request.amount),
            "currency": "SAR",
            "reason": request.reason,
            "reference": {"merchant": request.refund_id.to_string()},
        });
        let refund = self.send(self.http.post(self.url("refunds")).json(&body)).await?;
        Ok(read_refund(&refund))
    }

    async fn refund_status(&self, _method: Method, provider_refund_id: &str) -> Result<ProviderRefund, ProviderError> {
        let refund = self.send(self.http.get(self.url(&format!("refunds/{}", urlencode(provider_refund_id))))).await?;
        Ok(read_refund(&refund))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn charge() -> Value {
        json!({
            "id": "chg_TS01A1220261425Xy8k0312345",
            "status": "CAPTURED",
            "amount": 230,
            "currency": "SAR",
            "reference": {"transaction": "0193a7d2-0000-7000-8000-000000000001", "order": "CP-2026-000123",
                          "gateway": "123456", "payment": "3412345678"},
            "transaction": {"url": "https://checkout.tap.company/?mode=page&token=x", "created": "1764771909000"},
            "response": {"code": "000", "message": "Captured"},
            "card": {"object": "card", "first_six": "512345", "scheme": "MASTERCARD", "brand": "MASTERCARD",
                     "last_four": "0008", "number": "5123450000000008"},
            "source": {"payment_method": "MASTERCARD"}
        })
    }

    #[test]
    fn a_captured_charge_is_paid_and_keeps_no_card_number() {
        let payment = parse_charge(&charge()).unwrap();
        assert_eq!(payment.outcome, Outcome::Succeeded);
        assert_eq!(payment.amount, Some(Halalas::new(23000)));
        assert_eq!(payment.order_reference.as_deref(), Some("CP-2026-000123"));
        assert_eq!((payment.card_bin.as_deref(), payment.card_last4.as_deref()), (Some("512345"), Some("0008")));
        assert!(!format!("{payment:?}").contains("5123450000000008"));
    }

    #[test]
    fn only_captured_is_paid() {
        assert_eq!(outcome("CAPTURED"), Outcome::Succeeded);
        for pending in ["INITIATED", "IN_PROGRESS", "AUTHORIZED", "UNKNOWN"] {
            assert_eq!(outcome(pending), Outcome::Pending, "{pending}");
        }
        for failed in ["ABANDONED", "CANCELLED", "FAILED", "DECLINED", "RESTRICTED", "VOID", "TIMEDOUT", "NEW?"] {
            assert_eq!(outcome(failed), Outcome::Rejected, "{failed}");
        }
    }

    #[test]
    fn amounts_go_out_as_numbers_with_their_halalas() {
        assert_eq!(amount_number(Halalas::new(23050)).to_string(), "230.5");
        assert_eq!(amount_number(Halalas::new(1_000_001)).to_string(), "10000.01");
        assert_eq!(two_decimals(&amount_number(Halalas::new(1_000_001))).as_deref(), Some("10000.01"));
    }

    #[test]
    fn refunds_read_their_state() {
        assert_eq!(read_refund(&json!({"id": "re_1", "status": "REFUNDED"})).state, RefundState::Refunded);
        assert_eq!(read_refund(&json!({"id": "re_1", "status": "PENDING"})).state, RefundState::Pending);
        assert_eq!(read_refund(&json!({"status": "FAILED"})).state, RefundState::Failed);
    }
}
