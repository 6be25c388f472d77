//! Extractors whose rejections speak the API's error envelope and name the field.
//!
//! axum's own `Json`, `Query` and `Path` answer bad input with plain-text bodies; these
//! wrap the same work so that every 4xx a client sees has the one shape and says which
//! field. Every JSON body follows one rule: a key repeated in an object is refused
//! (serde would otherwise keep the last value silently wherever a map is parsed).

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use axum::extract::path::ErrorKind as PathErrorKind;
use axum::extract::rejection::{BytesRejection, FailedToBufferBody, PathRejection};
use axum::extract::{FromRef, FromRequest, FromRequestParts, Path, RawPathParams, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use bytes::Bytes;
use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use validator::Validate;

use super::error::{AppError, FieldError, field_errors};
use crate::platform::config::Settings;

/// A JSON body, deserialized and validated, with field-level errors.
pub struct AppJson<T>(pub T);

/// Query parameters, deserialized (repeated keys become lists) and validated.
pub struct AppQuery<T>(pub T);

/// The raw body, with the route's size limit answered as a 413 envelope.
pub struct LimitedBody(pub Bytes);

/// Path parameters, with malformed ones (invalid UTF-8 once decoded, the wrong type)
/// answered as a validation error naming the parameter.
pub struct AppPath<T>(pub T);

/// The body limit in force for a request, as the router set it beside axum's
/// `DefaultBodyLimit`, so that a 413 can say what the limit is.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

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
                Err(AppError::PayloadTooLarge { limit_bytes: Some(settings.http.inventory_body_limit_bytes) })
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
        let limit_bytes = req.extensions().get::<BodyLimit>().map(|limit| limit.0);
        let bytes = match Bytes::from_request(req, state).await {
            Ok(bytes) => bytes,
            Err(BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_))) => {
                return Err(AppError::PayloadTooLarge { limit_bytes });
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
        parse_query(parts.uri.query().unwrap_or("")).map(AppQuery)
    }
}

/// A query string deserialized (repeated keys become lists) and validated, with the
/// field named when it is not.
pub fn parse_query<T: DeserializeOwned + Validate>(query: &str) -> Result<T, AppError> {
    let deserializer = serde_html_form::Deserializer::from_bytes(query.as_bytes());
    let value: T = serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let field = error_field(e.path().to_string(), &e.inner().to_string());
        AppError::Validation(vec![FieldError::new(field, clean_reason(&e.inner().to_string()))])
    })?;
    validate(&value)?;
    Ok(value)
}

impl<S, T> FromRequestParts<S> for AppPath<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(AppPath(value)),
            Err(rejection) => {
                // The parameters' names, for the errors that give only a position.
                let names = match RawPathParams::from_request_parts(parts, state).await {
                    Ok(params) => params.iter().map(|(name, _)| name.to_string()).collect(),
                    Err(_) => Vec::new(),
                };
                Err(path_rejection(rejection, &names))
            }
        }
    }
}

/// A path rejection in the envelope: the client's mistakes name the parameter; a
/// route whose handler asks for parameters it does not have is ours.
fn path_rejection(rejection: PathRejection, names: &[String]) -> AppError {
    let name_at = |index: usize| names.get(index).map_or("path", String::as_str).to_string();
    let PathRejection::FailedToDeserializePathParams(failed) = rejection else {
        return AppError::Internal(anyhow::anyhow!("path rejection: {}", rejection.body_text()));
    };
    match failed.kind() {
        PathErrorKind::InvalidUtf8InPathParam { key } => AppError::invalid(key.as_str(), "is not valid UTF-8"),
        PathErrorKind::ParseErrorAtKey { key, expected_type, .. } => {
            AppError::invalid(key.as_str(), format!("must be {expected_type}"))
        }
        PathErrorKind::ParseErrorAtIndex { index, expected_type, .. } => {
            AppError::invalid(name_at(*index), format!("must be {expected_type}"))
        }
        PathErrorKind::ParseError { expected_type, .. } if names.len() == 1 => {
            AppError::invalid(name_at(0), format!("must be {expected_type}"))
        }
        PathErrorKind::DeserializeError { key, message, .. } => AppError::invalid(key.as_str(), message.as_str()),
        PathErrorKind::UnsupportedType { .. } | PathErrorKind::WrongNumberOfParameters { .. } => {
            AppError::Internal(anyhow::anyhow!("path rejection: {}", failed.body_text()))
        }
        _ => AppError::BadRequest { message: failed.body_text(), details: None },
    }
}

/// Deserializes JSON, naming the offending field on failure; a key repeated within
/// one object is refused, naming it.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    match duplicate_key(bytes) {
        Ok(None) => {}
        Ok(Some(path)) => return Err(AppError::invalid(path, "duplicate key")),
        Err(e) => return Err(json_error(&e, "body".to_string())),
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|e| json_error(e.inner(), e.path().to_string()))
}

fn json_error(inner: &serde_json::Error, path: String) -> AppError {
    if inner.is_syntax() || inner.is_eof() || inner.is_io() {
        return AppError::BadRequest {
            message: format!("malformed JSON: {inner}"),
            details: Some(serde_json::json!({ "line": inner.line(), "column": inner.column() })),
        };
    }
    let field = error_field(path, &inner.to_string());
    AppError::Validation(vec![FieldError::new(field, clean_reason(&inner.to_string()))])
}

/// The first key repeated within one object of a JSON document, as a field path
/// (`price_sar`, `fitment[0].make`, `[3].sku`), or `None` when every object's keys
/// are distinct. Malformed JSON is an error.
///
/// This is the one rule for duplicate keys: every parser of a request body (the
/// extractors here, the feed parser of the sync API) asks it before deserializing.
pub fn duplicate_key(bytes: &[u8]) -> Result<Option<String>, serde_json::Error> {
    let mut walk = KeyWalk::default();
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    match UniqueKeys(&mut walk).deserialize(&mut deserializer) {
        Ok(()) => {
            deserializer.end()?;
            Ok(None)
        }
        Err(_) if walk.duplicate.is_some() => Ok(walk.duplicate),
        Err(e) => Err(e),
    }
}

/// Where [`UniqueKeys`] is in the document, and the duplicate it found.
#[derive(Default)]
struct KeyWalk<'de> {
    path: Vec<Segment<'de>>,
    duplicate: Option<String>,
}

enum Segment<'de> {
    Key(Cow<'de, str>),
    Index(usize),
}

impl KeyWalk<'_> {
    fn render(&self, last: &str) -> String {
        let mut out = String::new();
        for segment in &self.path {
            match segment {
                Segment::Key(key) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(key);
                }
                Segment::Index(index) => out.push_str(&format!("[{index}]")),
            }
        }
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(last);
        out
    }
}

/// Walks any JSON value without building it, checking each object's keys.
struct UniqueKeys<'w, 'de>(&'w mut KeyWalk<'de>);

impl<'de> DeserializeSeed<'de> for UniqueKeys<'_, 'de> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for UniqueKeys<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_i128<E>(self, _: i128) -> Result<(), E> {
        Ok(())
    }
    fn visit_u128<E>(self, _: u128) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let walk = self.0;
        let mut index = 0;
        loop {
            walk.path.push(Segment::Index(index));
            let more = seq.next_element_seed(UniqueKeys(&mut *walk))?;
            walk.path.pop();
            if more.is_none() {
                return Ok(());
            }
            index += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let walk = self.0;
        let mut seen: HashSet<Cow<'de, str>> = HashSet::new();
        while let Some(key) = map.next_key_seed(Key)? {
            if seen.contains(&key) {
                walk.duplicate = Some(walk.render(&key));
                return Err(de::Error::custom("duplicate key"));
            }
            walk.path.push(Segment::Key(key.clone()));
            map.next_value_seed(UniqueKeys(&mut *walk))?;
            walk.path.pop();
            seen.insert(key);
        }
        Ok(())
    }
}

/// An object key, borrowed from the input unless it had escapes.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E>(self, key: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(key))
    }

    fn visit_str<E>(self, key: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(key.to_string()))
    }
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
    fn a_repeated_key_is_refused_wherever_it_is() {
        assert_eq!(duplicate_key(br#"{"a": 1, "b": {"c": [1, {"d": 2}]}}"#).unwrap(), None);
        assert_eq!(duplicate_key(br#"{"limit": 1, "limit": 2}"#).unwrap().as_deref(), Some("limit"));
        let nested = br#"{"fitment": [{"make": "Toyota"}, {"make": "Toyota", "make": "Lexus"}]}"#;
        assert_eq!(duplicate_key(nested).unwrap().as_deref(), Some("fitment[1].make"));
        assert_eq!(duplicate_key(br#"[{"sku": "A"}, {"sku": "B", "sku": "C"}]"#).unwrap().as_deref(), Some("[1].sku"));
        // The same key in sibling objects, and a key spelled with an escape, are distinct cases.
        assert_eq!(duplicate_key(br#"[{"sku": "A"}, {"sku": "B"}]"#).unwrap(), None);
        assert_eq!(duplicate_key(br#"{"sku": "A", "\u0073ku": "B"}"#).unwrap().as_deref(), Some("sku"));
        assert!(duplicate_key(br#"{"a": 1,"#).is_err());
        assert!(duplicate_key(br#"{"a": 1} trailing"#).is_err());
    }

    #[test]
    fn parse_json_names_the_repeated_key() {
        let err = parse_json::<Probe>(br#"{"limit": 5, "name": "x", "limit": 6}"#).unwrap_err();
        match err {
            AppError::Validation(fields) => {
                assert_eq!(fields, vec![FieldError::new("limit", "duplicate key")]);
            }
            other => panic!("unexpected {other:?}"),
        }
        let err = parse_json::<Probe>(br#"{"limit": 5,"#).unwrap_err();
        assert!(matches!(err, AppError::BadRequest { .. }), "syntax errors stay bad requests");
    }

    #[tokio::test]
    async fn path_parameters_that_are_not_utf8_name_the_parameter() {
        use axum::Router;
        use axum::body::Body;
        use axum::response::IntoResponse;
        use tower::ServiceExt;

        async fn show(AppPath(id): AppPath<String>) -> String {
            id
        }
        async fn page(AppPath(n): AppPath<u32>) -> String {
            n.to_string()
        }
        let app =
            Router::new().route("/items/{id}", axum::routing::get(show)).route("/pages/{n}", axum::routing::get(page));
        let call = |uri: &'static str| {
            let app = app.clone();
            async move {
                let response = app.oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
                let status = response.status();
                let body = axum::body::to_bytes(response.into_response().into_body(), 4096).await.unwrap();
                (status, serde_json::from_slice::<serde_json::Value>(&body).ok())
            }
        };
        let (status, envelope) = call("/items/%FF").await;
        assert_eq!(status, 400);
        let envelope = envelope.expect("the envelope");
        assert_eq!(envelope["error"]["code"], "VALIDATION_FAILED");
        assert_eq!(envelope["error"]["details"][0]["field"], "id");
        let (status, envelope) = call("/pages/x").await;
        assert_eq!(status, 400);
        assert_eq!(envelope.unwrap()["error"]["details"][0]["field"], "n");
        assert_eq!(call("/items/ok").await.0, 200);
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
