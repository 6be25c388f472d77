//! SendGrid's v3 mail send: `POST {base}/v3/mail/send` with a bearer key and JSON;
//! success is 202 with an empty body and the message's id in `X-Message-Id`.

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use super::{Email, EmailProvider, SendFailure, failure_of_status, failure_of_transport};
use crate::platform::config::SendGridSettings;
use crate::platform::outbound::endpoint;

pub struct SendGrid {
    settings: SendGridSettings,
    http: reqwest::Client,
}

impl SendGrid {
    pub fn new(settings: SendGridSettings, http: reqwest::Client) -> SendGrid {
        SendGrid { settings, http }
    }

    /// The request body for `email`.
    fn body(&self, email: &Email) -> Value {
        let mut body = json!({
            "personalizations": [{ "to": [{ "email": email.to, "name": email.to_name }] }],
            "from": { "email": self.settings.from, "name": self.settings.from_name },
            "subject": email.subject,
            "content": [
                { "type": "text/plain", "value": email.text },
                { "type": "text/html", "value": email.html }
            ],
        });
        if !email.attachments.is_empty() {
            body["attachments"] = email
                .attachments
                .iter()
                .map(|a| {
                    json!({
                        "content": STANDARD.encode(&a.content),
                        "filename": a.filename,
                        "type": a.content_type,
                        "disposition": "attachment"
                    })
                })
                .collect();
        }
        body
    }
}

/// SendGrid's error messages, joined: `{"errors": [{"message", "field", "help"}]}`.
fn errors_of(body: &str) -> String {
    let Ok(parsed) = serde_json::from_str::<Value>(body) else {
        return String::new();
    };
    parsed["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| match e["field"].as_str() {
                    Some(field) => format!("{field}: {}", e["message"].as_str().unwrap_or_default()),
                    None => e["message"].as_str().unwrap_or_default().to_string(),
                })
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default()
}

#[async_trait]
impl EmailProvider for SendGrid {
    async fn send(&self, email: &Email) -> Result<Option<String>, SendFailure> {
        let response = self
            .http
            .post(endpoint(&self.settings.base_url, "v3/mail/send"))
            .bearer_auth(self.settings.api_key.expose_secret())
            .json(&self.body(email))
            .send()
            .await
            .map_err(|e| failure_of_transport("sendgrid", &e))?;
        let status = response.status();
        let message_id = response.headers().get("x-message-id").and_then(|v| v.to_str().ok()).map(str::to_string);
        if status.is_success() {
            return Ok(message_id);
        }
        let body = response.text().await.unwrap_or_default();
        Err(failure_of_status("sendgrid", status, &errors_of(&body)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::providers::Attachment;

    fn sendgrid() -> SendGrid {
        let settings = SendGridSettings {
            base_url: "https://api.sendgrid.com".into(),
            api_key: "SG.key".into(),
            from: "orders@cargoparts.example".into(),
            from_name: "CargoParts".into(),
        };
        SendGrid::new(settings, crate::platform::outbound::http_client(std::time::Duration::from_secs(1)).unwrap())
    }

    #[test]
    fn the_body_has_both_parts_and_base64_attachments() {
        let email = Email {
            to: "noura@example.com".into(),
            to_name: "Noura".into(),
            subject: "Order".into(),
            text: "plain".into(),
            html: "<p>html</p>".into(),
            attachments: vec![Attachment {
                filename: "invoice.html".into(),
                content_type: "text/html".into(),
                content: b"<html></html>".to_vec(),
            }],
        };
        let body = sendgrid().body(&email);
        assert_eq!(body["personalizations"][0]["to"][0]["email"], "noura@example.com");
        assert_eq!(body["from"]["email"], "orders@cargoparts.example");
        assert_eq!(body["content"][0]["type"], "text/plain");
        assert_eq!(body["content"][1]["value"], "<p>html</p>");
        assert_eq!(body["attachments"][0]["content"], STANDARD.encode("<html></html>"));
        assert_eq!(body["attachments"][0]["disposition"], "attachment");
    }

    #[test]
    fn errors_name_their_field() {
        let body = r#"{"errors": [{"message": "Does not contain a valid address.", "field": "personalizations.0.to.0.email", "help": null}]}"#;
        assert_eq!(errors_of(body), "personalizations.0.to.0.email: Does not contain a valid address.");
        assert_eq!(errors_of("not json"), "");
    }
}
