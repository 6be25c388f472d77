//! JSON responses with caching headers.

use axum::Json;
use axum::http::header::CACHE_CONTROL;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// A JSON response that shared caches and browsers may keep for `max_age` seconds.
pub fn cached_json<T: Serialize>(body: &T, max_age: u32) -> Response {
    ([(CACHE_CONTROL, format!("public, max-age={max_age}"))], Json(body)).into_response()
}
