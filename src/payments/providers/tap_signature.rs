//! Tap's webhook signature: the `hashstring` header, a lowercase hex HMAC-SHA256 keyed
//! with the secret API key over the charge's fields in a fixed order. It is compared in
//! constant time; even a valid one only prompts a `GET /v2/charges/{id}`, the
//! authoritative answer.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The fields of a charge the signature covers, as the webhook carries them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCharge<'a> {
    pub id: &'a str,
    /// The amount with the currency's decimals (`65.00` for SAR).
    pub amount: &'a str,
    pub currency: &'a str,
    pub gateway_reference: &'a str,
    pub payment_reference: &'a str,
    pub status: &'a str,
    /// `transaction.created`, epoch milliseconds as a string.
    pub created: &'a str,
}

impl SignedCharge<'_> {
    /// The text Tap signs.
    fn message(&self) -> String {
        format!(
            "x_id{}x_amount{}x_currency{}x_gateway_reference{}x_payment_reference{}x_status{}x_created{}",
            self.id,
            self.amount,
            self.currency,
            self.gateway_reference,
            self.payment_reference,
            self.status,
            self.created
        )
    }

    /// The `hashstring` Tap would send for this charge.
    pub fn hashstring(&self, secret_key: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret_key.as_bytes()).expect("HMAC takes keys of any length");
        mac.update(self.message().as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Whether `received` is this charge's signature under `secret_key`.
    pub fn verify(&self, secret_key: &str, received: &str) -> bool {
        let expected = self.hashstring(secret_key);
        let received = received.trim().to_ascii_lowercase();
        expected.as_bytes().ct_eq(received.as_bytes()).into()
    }
}

/// The signed fields of a charge object as Tap posts it to the webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeFields {
    pub id: String,
    pub amount: String,
    pub currency: String,
    pub gateway_reference: String,
    pub payment_reference: String,
    pub status: String,
    pub created: String,
}

impl ChargeFields {
    /// Reads them from a charge object; `None` when the id, amount, currency or status
    /// is missing (references a charge has not reached yet sign as empty text).
    pub fn of(charge: &serde_json::Value) -> Option<ChargeFields> {
        let text = |value: &serde_json::Value| match value {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        Some(ChargeFields {
            id: text(&charge["id"])?,
            amount: two_decimals(&charge["amount"])?,
            currency: text(&charge["currency"])?,
            gateway_reference: text(&charge["reference"]["gateway"]).unwrap_or_default(),
            payment_reference: text(&charge["reference"]["payment"]).unwrap_or_default(),
            status: text(&charge["status"])?,
            created: text(&charge["transaction"]["created"]).unwrap_or_default(),
        })
    }

    pub fn signed(&self) -> SignedCharge<'_> {
        SignedCharge {
            id: &self.id,
            amount: &self.amount,
            currency: &self.currency,
            gateway_reference: &self.gateway_reference,
            payment_reference: &self.payment_reference,
            status: &self.status,
            created: &self.created,
        }
    }
}

/// An amount with two decimals, as Tap signs SAR amounts (`65` → `65.00`).
pub fn two_decimals(amount: &serde_json::Value) -> Option<String> {
    let text = match amount {
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::String(s) => s.clone(),
        _ => return None,
    };
    let halalas = crate::platform::money::Halalas::parse_sar(&text).ok()?;
    Some(halalas.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn charge() -> SignedCharge<'static> {
        SignedCharge {
            id: "chg_TS05A0220231456Xk3p0812345",
            amount: "65.00",
            currency: "SAR",
            gateway_reference: "123456789",
            payment_reference: "987654321",
            status: "CAPTURED",
            created: "1700000000000",
        }
    }

    #[test]
    fn the_signature_covers_the_documented_fields_in_order() {
        let expected = {
            let mut mac = Hmac::<Sha256>::new_from_slice(b"sk_test_secret").unwrap();
            mac.update(b"x_idchg_TS05A0220231456Xk3p0812345x_amount65.00x_currencySARx_gateway_reference123456789x_payment_reference987654321x_statusCAPTUREDx_created1700000000000");
            hex::encode(mac.finalize().into_bytes())
        };
        assert_eq!(charge().hashstring("sk_test_secret"), expected);
        assert!(charge().verify("sk_test_secret", &expected));
        assert!(charge().verify("sk_test_secret", &expected.to_uppercase()), "hex case does not matter");
    }

    #[test]
    fn any_change_breaks_the_signature() {
        let signature = charge().hashstring("sk_test_secret");
        assert!(!charge().verify("sk_test_other", &signature));
        let paid_less = SignedCharge { amount: "6.50", ..charge() };
        assert!(!paid_less.verify("sk_test_secret", &signature));
        let other_status = SignedCharge { status: "FAILED", ..charge() };
        assert!(!other_status.verify("sk_test_secret", &signature));
        assert!(!charge().verify("sk_test_secret", ""));
    }

    #[test]
    fn a_posted_charge_yields_its_signed_fields() {
        let posted = serde_json::json!({
            "id": "chg_TS05A0220231456Xk3p0812345", "object": "charge", "amount": 65, "currency": "SAR",
            "status": "CAPTURED", "reference": {"gateway": "123456789", "payment": "987654321", "order": "CP-2026-000001"},
            "transaction": {"created": "1700000000000", "url": "https://checkout.tap.company/x"}
        });
        let fields = ChargeFields::of(&posted).unwrap();
        assert_eq!(fields.signed(), charge());
        let signature = charge().hashstring("sk_test_secret");
        assert!(fields.signed().verify("sk_test_secret", &signature));
        let tampered = serde_json::json!({"id": "chg_1", "amount": "sixty", "currency": "SAR", "status": "CAPTURED"});
        assert_eq!(ChargeFields::of(&tampered), None);
        assert_eq!(ChargeFields::of(&serde_json::json!({"amount": 65})), None);
    }

    #[test]
    fn amounts_are_signed_with_two_decimals() {
        assert_eq!(two_decimals(&serde_json::json!(65)).as_deref(), Some("65.00"));
        assert_eq!(two_decimals(&serde_json::json!(65.5)).as_deref(), Some("65.50"));
        assert_eq!(two_decimals(&serde_json::json!("230.00")).as_deref(), Some("230.00"));
        assert_eq!(two_decimals(&serde_json::json!(null)), None);
    }
}
