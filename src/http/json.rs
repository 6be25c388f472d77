//! JSON responses with caching headers.

use axum::Json;
use axum::http::HeaderName;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// A JSON response that shared caches and browsers may keep for `max_age` seconds.
pub fn cached_json<T: Serialize>(body: &T, max_age: u32) -> Response {
    ([(CACHE_CONTROL, format!("public, max-age={max_age}"))], Json(body)).into_response()
}

/// An answer already serialized (from a cache), with the same headers as
/// [`cached_json`], and `X-Cache` saying which layer served it (`memory`, `redis`,
/// `miss`).
pub fn cached_json_bytes(body: bytes::Bytes, max_age: u32, served_from: &'static str) -> Response {
    (
        [
            (CACHE_CONTROL, format!("public, max-age={max_age}")),
            (CONTENT_TYPE, "application/json".to_string()),
            (HeaderName::from_static("x-cache"), served_from.to_string()),
        ],
        body,
    )
        .into_response()
}
