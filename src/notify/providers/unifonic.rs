//! Unifonic's SMS API: `POST {base}/rest/SMS/messages`, form-encoded, answered in JSON.
//!
//! The recipient goes as international digits without `+` (`966501234567`). A 200 may
//! still be a failure (`"success": false` with an `errorCode`), and `success` comes as
//! the string `"true"` or the boolean.

use async_trait::async_trait;
use rust_decimal::Decimal;
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::Value;

use super::{SendFailure, SmsProvider, SmsReceipt, failure_of_status, failure_of_transport};
use crate::platform::config::UnifonicSettings;
use crate::platform::outbound::endpoint;
use crate::platform::phone::Phone;

pub struct Unifonic {
    settings: UnifonicSettings,
    http: reqwest::Client,
}

impl Unifonic {
    pub fn new(settings: UnifonicSettings, http: reqwest::Client) -> Unifonic {
        Unifonic { settings, http }
    }
}

/// `+966501234567` → `966501234567`.
pub fn recipient(phone: &Phone) -> String {
    phone.as_str().trim_start_matches('+').to_string()
}

#[derive(Debug, Deserialize)]
struct Answer {
    #[serde(default)]
    success: Value,
    #[serde(default)]
    message: Option<String>,
    #[serde(rename = "errorCode", default)]
    error_code: Option<String>,
    #[serde(default)]
    data: Option<Data>,
}

#[derive(Debug, Deserialize)]
struct Data {
    #[serde(rename = "MessageID", default)]
    message_id: Option<Value>,
    #[serde(rename = "NumberOfUnits", default)]
    units: Option<Value>,
    #[serde(rename = "Cost", default)]
    cost: Option<Value>,
}

fn truthy(value: &Value) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::String(s) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// A JSON number or string as text, as Unifonic sends ids and amounts either way.
fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

fn receipt_of(answer: Answer) -> Result<SmsReceipt, SendFailure> {
    if !truthy(&answer.success) {
        return Err(SendFailure::Refused(format!(
            "unifonic refused the message: {} {}",
            answer.error_code.unwrap_or_default(),
            answer.message.unwrap_or_default()
        )));
    }
    let data = answer.data;
    Ok(SmsReceipt {
        message_id: data.as_ref().and_then(|d| d.message_id.as_ref()).and_then(text_of),
        units: data.as_ref().and_then(|d| d.units.as_ref()).and_then(text_of).and_then(|u| u.parse().ok()),
        cost: data.as_ref().and_then(|d| d.cost.as_ref()).and_then(text_of).and_then(|c| c.parse::<Decimal>().ok()),
    })
}

#[async_trait]
impl SmsProvider for Unifonic {
    async fn send(&self, to: &Phone, text: &str) -> Result<SmsReceipt, SendFailure> {
        let form = [
            ("AppSid", self.settings.app_sid.expose_secret()),
            ("SenderID", self.settings.sender_id.as_str()),
            ("Recipient", &recipient(to)),
            ("Body", text),
            ("responseType", "JSON"),
        ];
        let response = self
            .http
            .post(endpoint(&self.settings.base_url, "rest/SMS/messages"))
            .form(&form)
            .send()
            .await
            .map_err(|e| failure_of_transport("unifonic", &e))?;
        let status = response.status();
        let body = response.text().await.map_err(|e| failure_of_transport("unifonic", &e))?;
        if !status.is_success() {
            return Err(failure_of_status("unifonic", status, &body));
        }
        let answer: Answer = serde_json::from_str(&body)
            .map_err(|_| SendFailure::Unavailable("unifonic answered with something that is not its JSON".into()))?;
        receipt_of(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_are_international_digits() {
        assert_eq!(recipient(&Phone::parse("0501234567").unwrap()), "966501234567");
        assert_eq!(recipient(&Phone::parse("+966 50 123 4567").unwrap()), "966501234567");
    }

    #[test]
    fn success_as_a_string_or_a_boolean() {
        let answer = r#"{"success": "true", "message": "", "errorCode": "ER-00",
            "data": {"MessageID": 3200017889310, "Status": "Queued", "NumberOfUnits": 1, "Cost": 0.05, "Recipient": "966501234567"}}"#;
        let receipt = receipt_of(serde_json::from_str(answer).unwrap()).unwrap();
        assert_eq!(receipt.message_id.as_deref(), Some("3200017889310"));
        assert_eq!(receipt.units, Some(1));
        assert_eq!(receipt.cost, Some("0.05".parse().unwrap()));
        let boolean = r#"{"success": true, "data": {"MessageID": "abc"}}"#;
        assert_eq!(receipt_of(serde_json::from_str(boolean).unwrap()).unwrap().message_id.as_deref(), Some("abc"));
    }

    #[test]
    fn a_200_that_says_it_failed_is_a_refusal() {
        let answer = r#"{"success": false, "message": "Invalid recipient", "errorCode": "ER-482"}"#;
        let refused = receipt_of(serde_json::from_str(answer).unwrap()).unwrap_err();
        assert!(matches!(&refused, SendFailure::Refused(reason) if reason.contains("ER-482")), "{refused:?}");
    }
}
