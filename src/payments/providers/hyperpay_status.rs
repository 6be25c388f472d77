//! A HyperPay payment as its status query and its webhooks describe it, read into what
//! we keep: ids, amount, brand, the card's BIN and last four digits, the result code.
//!
//! Nothing else of the card is read. A card number or CVV in an answer (a test card in
//! the sandbox, a provider bug) has no field to land in, so it can reach neither the
//! database nor a log through this type.

use serde::Deserialize;

use super::super::result_codes::{Outcome, classify};
use crate::platform::money::Halalas;

/// What a status answer or a `PAYMENT` notification says of a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HyperPayPayment {
    /// The payment's id at HyperPay (refunds name it); absent when no payment was made.
    pub payment_id: Option<String>,
    /// Our payment id, echoed back.
    pub merchant_transaction_id: Option<String>,
    pub result_code: String,
    pub result_description: String,
    pub outcome: Outcome,
    pub amount: Option<Halalas>,
    pub currency: Option<String>,
    /// `MADA`, `VISA`, `MASTER`, `APPLEPAY`.
    pub brand: Option<String>,
    pub card_bin: Option<String>,
    pub card_last4: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    id: Option<String>,
    merchant_transaction_id: Option<String>,
    result: WireResult,
    amount: Option<String>,
    currency: Option<String>,
    payment_brand: Option<String>,
    card: Option<WireCard>,
}

#[derive(Deserialize)]
struct WireResult {
    code: String,
    #[serde(default)]
    description: String,
}

/// Only the two card fields we keep; serde skips the others unread.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireCard {
    bin: Option<String>,
    last4_digits: Option<String>,
}

/// Why an answer cannot be read as a payment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnreadablePayment {
    #[error("not a HyperPay payment: {0}")]
    Shape(String),
    #[error("the amount {0:?} is not a SAR amount")]
    Amount(String),
    #[error("a {0} notification is not about a payment")]
    NotAPayment(String),
}

/// Reads a status answer (`GET /v1/checkouts/{id}/payment`).
pub fn parse_status(body: &[u8]) -> Result<HyperPayPayment, UnreadablePayment> {
    let wire: Wire = serde_json::from_slice(body).map_err(|e| UnreadablePayment::Shape(e.to_string()))?;
    from_wire(wire)
}

/// Reads a decrypted webhook notification: `{"type": "PAYMENT", "payload": {…}}`.
pub fn parse_notification(body: &[u8]) -> Result<HyperPayPayment, UnreadablePayment> {
    #[derive(Deserialize)]
    struct Notification {
        #[serde(rename = "type")]
        kind: String,
        payload: Option<serde_json::Value>,
    }
    let notification: Notification =
        serde_json::from_slice(body).map_err(|e| UnreadablePayment::Shape(e.to_string()))?;
    if notification.kind != "PAYMENT" {
        return Err(UnreadablePayment::NotAPayment(notification.kind));
    }
    let payload = notification.payload.ok_or_else(|| UnreadablePayment::Shape("no payload".into()))?;
    let wire: Wire = serde_json::from_value(payload).map_err(|e| UnreadablePayment::Shape(e.to_string()))?;
    from_wire(wire)
}

fn from_wire(wire: Wire) -> Result<HyperPayPayment, UnreadablePayment> {
    let amount = match wire.amount {
        Some(text) => Some(Halalas::parse_sar(&text).map_err(|_| UnreadablePayment::Amount(text))?),
        None => None,
    };
    let (card_bin, card_last4) = match wire.card {
        Some(card) => (card.bin.filter(|b| is_digits(b, 6..=8)), card.last4_digits.filter(|l| is_digits(l, 4..=4))),
        None => (None, None),
    };
    Ok(HyperPayPayment {
        payment_id: wire.id,
        merchant_transaction_id: wire.merchant_transaction_id,
        outcome: classify(&wire.result.code),
        result_code: wire.result.code,
        result_description: wire.result.description.chars().take(255).collect(),
        amount,
        currency: wire.currency,
        brand: wire.payment_brand,
        card_bin,
        card_last4,
    })
}

/// A BIN or last four that is what it claims: a few digits, never more of the number.
fn is_digits(text: &str, lengths: std::ops::RangeInclusive<usize>) -> bool {
    lengths.contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAID: &str = r#"{
        "id": "8ac7a4a18e5b4c9a018e5c1b2c3d4e5f",
        "paymentType": "DB",
        "paymentBrand": "MADA",
        "amount": "230.00",
        "currency": "SAR",
        "merchantTransactionId": "01a23c22-e4fe-72b7-b691-4959764ddb22",
        "result": {"code": "000.100.110", "description": "Request successfully processed in 'Merchant in Integrator Test Mode'"},
        "card": {"bin": "446404", "last4Digits": "0007", "holder": "Noura", "expiryMonth": "12", "expiryYear": "2030",
                 "number": "4464040000000007", "cvv": "123"},
        "timestamp": "2026-12-03 14:25:09+0000"
    }"#;

    #[test]
    fn a_paid_status_is_read_without_the_card_number() {
        let payment = parse_status(PAID.as_bytes()).unwrap();
        assert_eq!(payment.outcome, Outcome::Succeeded);
        assert_eq!(payment.amount, Some(Halalas::new(23000)));
        assert_eq!(payment.brand.as_deref(), Some("MADA"));
        assert_eq!((payment.card_bin.as_deref(), payment.card_last4.as_deref()), (Some("446404"), Some("0007")));
        let everything = format!("{payment:?}");
        assert!(!everything.contains("4464040000000007"), "{everything}");
    }

    #[test]
    fn a_card_field_carrying_more_than_it_should_is_dropped() {
        let leaky = PAID.replace(r#""last4Digits": "0007""#, r#""last4Digits": "4464040000000007""#);
        let payment = parse_status(leaky.as_bytes()).unwrap();
        assert_eq!(payment.card_last4, None);
        assert!(!format!("{payment:?}").contains("4464040000000007"));
    }

    #[test]
    fn notifications_are_payments_or_refused() {
        let notification = format!(r#"{{"type": "PAYMENT", "payload": {PAID}}}"#);
        assert_eq!(parse_notification(notification.as_bytes()).unwrap(), parse_status(PAID.as_bytes()).unwrap());
        assert_eq!(
            parse_notification(br#"{"type": "RISK", "payload": {}}"#),
            Err(UnreadablePayment::NotAPayment("RISK".into()))
        );
        assert!(parse_notification(br#"{"type": "PAYMENT"}"#).is_err());
    }

    #[test]
    fn unknown_checkouts_and_odd_amounts_are_told_apart() {
        let unknown = br#"{"result": {"code": "200.300.404", "description": "invalid or missing parameter"}}"#;
        let payment = parse_status(unknown).unwrap();
        assert_eq!((payment.outcome, payment.payment_id), (Outcome::Rejected, None));
        let odd = PAID.replace(r#""amount": "230.00""#, r#""amount": "230.001""#);
        assert!(matches!(parse_status(odd.as_bytes()), Err(UnreadablePayment::Amount(_))));
        assert!(parse_status(b"<html>").is_err());
    }
}
