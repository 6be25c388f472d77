//! The language of each answer: chosen from the request's `Accept-Language` (Arabic
//! unless English is preferred) and kept for the request's task, so every error below
//! is answered in it. Answers that carry messages (errors, and the 207 of a sync with
//! rejected lines) say which language they are in and that it depends on the header,
//! so no cache in front serves one language to another reader. Other answers are the
//! same in every language and stay cacheable as one.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::platform::i18n::Locale;

/// Serves the request in the language it asks for.
pub async fn negotiate(request: Request, next: Next) -> Response {
    let asked = request.headers().get(header::ACCEPT_LANGUAGE).and_then(|value| value.to_str().ok());
    let locale = Locale::negotiate(asked);
    let mut response = locale.scope(next.run(request)).await;
    let status = response.status();
    if status.is_client_error() || status.is_server_error() || status == StatusCode::MULTI_STATUS {
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(locale.as_str()));
        headers.append(header::VARY, HeaderValue::from_static("accept-language"));
    }
    response
}
