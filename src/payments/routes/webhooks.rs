//! The providers' notifications.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::error::{AppError, ErrorEnvelope};
use crate::payments::webhooks::{self, Handled};
use crate::payments::{PaymentError, PaymentsState};
use crate::platform::client::RequestContext;

/// The answer to an authentic notification.
#[derive(Debug, Serialize, ToSchema)]
pub struct Received {
    pub received: bool,
    /// `confirmed` when it named a payment of ours (confirmed with the provider),
    /// `ignored` otherwise.
    pub outcome: &'static str,
}

impl From<Handled> for Received {
    fn from(handled: Handled) -> Received {
        let outcome = match handled {
            Handled::Confirmed(_) => "confirmed",
            Handled::Ignored(_) => "ignored",
        };
        Received { received: true, outcome }
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

/// HyperPay's notifications: the body is AES-256-GCM ciphertext in hex (or
/// `{"encryptedBody": "<hex>"}`), with the `X-Initialization-Vector` and
/// `X-Authentication-Tag` headers. One that does not decrypt with the webhook key is
/// refused with 401 and changes nothing; an authentic one leads to a status query.
#[utoipa::path(
    post,
    path = "/webhooks/hyperpay",
    tag = "webhooks",
    params(
        ("X-Initialization-Vector" = String, Header, description = "12 bytes, hex"),
        ("X-Authentication-Tag" = String, Header, description = "16 bytes, hex")
    ),
    request_body(content = String, content_type = "text/plain", description = "The encrypted notification, hex"),
    responses(
        (status = 200, description = "Received", body = Received),
        (status = 401, description = "The notification does not authenticate", body = ErrorEnvelope)
    )
)]
pub async fn hyperpay(
    State(state): State<PaymentsState>,
    context: RequestContext,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Received>, AppError> {
    let iv = header(&headers, "x-initialization-vector");
    let tag = header(&headers, "x-authentication-tag");
    let handled = webhooks::hyperpay(&state, iv, tag, &body, context.request_id.as_deref()).await;
    Ok(Json(acknowledged(handled)?.into()))
}

/// Tap's notifications: the charge object with its `hashstring` header, the HMAC-SHA256
/// of its fields under the secret key. A wrong `hashstring` is refused with 401 and
/// changes nothing; an authentic one leads to `GET /v2/charges/{id}`.
#[utoipa::path(
    post,
    path = "/webhooks/tap",
    tag = "webhooks",
    params(("hashstring" = String, Header, description = "Lowercase hex HMAC-SHA256 of the charge's fields")),
    request_body(content = Object, content_type = "application/json", description = "Tap's charge object"),
    responses(
        (status = 200, description = "Received", body = Received),
        (status = 401, description = "The notification does not authenticate", body = ErrorEnvelope)
    )
)]
pub async fn tap(
    State(state): State<PaymentsState>,
    context: RequestContext,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Received>, AppError> {
    let hashstring = header(&headers, "hashstring");
    let handled = webhooks::tap(&state, hashstring, &body, context.request_id.as_deref()).await;
    Ok(Json(acknowledged(handled)?.into()))
}

/// An authentic notification whose payment the provider could not confirm right now is
/// still acknowledged: the poller asks again, and the provider need not retry.
fn acknowledged(handled: Result<Handled, PaymentError>) -> Result<Handled, PaymentError> {
    match handled {
        Err(PaymentError::ProviderUnavailable(error)) => {
            tracing::warn!(%error, "a notification's payment could not be confirmed yet");
            Ok(Handled::Ignored("provider unavailable"))
        }
        other => other,
    }
}
