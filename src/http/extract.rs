//! Extractors whose rejections speak the API's error envelope and name the field.
//!
//! axum's own `Json` and `Query` answer bad input with plain-text bodies; these wrap the
//! same work so that every 4xx a client sees has the one shape and says which field.

use axum::extract::rejection::{BytesRejection, FailedToBufferBody};
use axum::extract::{FromRef, FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use bytes::Bytes;
use serde::de::DeserializeOwned;
use validator::Validate;

use super::error::{AppError, FieldError, field_errors};
use crate::platform::config::Settings;

/// A JSON body, deserialized and validated, with field-level errors.
pub struct AppJson<T>(pub T);

/// Query parameters, deserialized (repeated keys become lists) and validated.
pub struct AppQuery<T>(pub T);

/// The raw body, with the route's size limit answered as a 413 envelope.
pub struct LimitedBody(pub Bytes);

impl<S> FromRequest<S> for LimitedBody
where
    S: Send + Sync,
    std::sync::Arc<Settings>: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let settings = std::sync::Arc::<Settings>::from_ref(state);
        match Bytes::from_request(req, state).await {
            Ok(bytes) => Ok(LimitedBody(bytes)),
            Err(BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_))) => {
                Err(AppError::PayloadTooLarge { limit_bytes: settings.http.inventory_body_limit_bytes })
            }
            Err(other) => Err(AppError::BadRequest { message: other.body_text(), details: None }),
        }
    }
}

impl<S, T> FromRequest<S> for AppJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Validate,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json") || v.contains("+json"));
        if !is_json {
            return Err(AppError::UnsupportedMediaType("expected Content-Type: application/json".into()));
        }
        let bytes = match Bytes::from_request(req, state).await {
            Ok(bytes) => bytes,
            Err(BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(e))) => {
                return Err(AppError::BadRequest { message: format!("request body too large: {e}"), details: None });
            }
            Err(other) => {
                return Err(AppError::BadRequest { message: other.body_text(), details: None });
            }
        };
        let value = parse_json::<T>(&bytes)?;
        validate(&value)?;
        Ok(AppJson(value))
    }
}

impl<S, T> FromRequestParts<S> for AppQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Validate,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        let deserializer = serde_html_form::Deserializer::from_bytes(query.as_bytes());
        let value: T = serde_path_to_error::deserialize(deserializer).map_err(|e| {
            let field = error_field(e.path().to_string(), &e.inner().to_string());
            AppError::Validation(vec![FieldError::new(field, clean_reason(&e.inner().to_string()))])
        })?;
        validate(&value)?;
        Ok(AppQuery(value))
    }
}

/// Deserializes JSON, naming the offending field on failure.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let inner = e.inner();
        if inner.is_syntax() || inner.is_eof() || inner.is_io() {
            return AppError::BadRequest {
                message: format!("malformed JSON: {inner}"),
                details: Some(serde_json::json!({ "line": inner.line(), "column": inner.column() })),
            };
        }
        let field = error_field(e.path().to_string(), &inner.to_string());
        AppError::Validation(vec![FieldError::new(field, clean_reason(&inner.to_string()))])
    })
}

/// Runs `validator` rules, turning failures into field errors.
pub fn validate<T: Validate>(value: &T) -> Result<(), AppError> {
    value.validate().map_err(|errors| AppError::Validation(field_errors(&errors)))
}

/// The field a serde error is about: its path, or for a missing field the name serde quotes.
fn error_field(path: String, message: &str) -> String {
    if path != "." && !path.is_empty() {
        return path;
    }
    message
        .split('`')
        .nth(1)
        .filter(|_| message.starts_with("missing field") || message.starts_with("unknown field"))
        .map(str::to_string)
        .unwrap_or_else(|| "body".to_string())
}

/// Drops serde's "at line 1 column 5" suffix, which means nothing in a query string.
fn clean_reason(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, Validate)]
    struct Probe {
        #[validate(range(min = 1, max = 100))]
        limit: u32,
        #[allow(dead_code)]
        name: String,
    }

    #[test]
    fn wrong_types_name_the_field() {
        let err = parse_json::<Probe>(br#"{"limit": "ten", "name": "x"}"#).unwrap_err();
        match err {
            AppError::Validation(fields) => assert_eq!(fields[0].field, "limit"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn missing_fields_are_named() {
        let err = parse_json::<Probe>(br#"{"limit": 5}"#).unwrap_err();
        match err {
            AppError::Validation(fields) => assert_eq!(fields[0].field, "name"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn broken_json_is_a_bad_request_not_a_validation_error() {
        let err = parse_json::<Probe>(br#"{"limit": 5,"#).unwrap_err();
        assert!(matches!(err, AppError::BadRequest { .. }));
    }

    #[test]
    fn rule_violations_are_reported_by_field() {
        let probe = parse_json::<Probe>(br#"{"limit": 0, "name": "x"}"#).unwrap();
        let err = validate(&probe).unwrap_err();
        match err {
            AppError::Validation(fields) => assert_eq!(fields[0].field, "limit"),
            other => panic!("unexpected {other:?}"),
        }
    }
}
