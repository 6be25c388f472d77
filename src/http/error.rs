//! The one error type of the HTTP API and its JSON envelope.
//!
//! Every failure leaves the service as `{"error": {"code", "message", "details"}}` with a
//! stable `code` clients can branch on. Server-side failures are logged with their cause
//! inside the request's span and answered with a generic message, never the cause.
//!
//! Domain modules never build this type: their errors implement [`ErrorCode`], which
//! says what kind of failure each is, and convert here through one `From`.
//!
//! Messages are answered in the request's language (Arabic unless `Accept-Language`
//! prefers English, see [`crate::platform::i18n`]); the `code` and the field names in
//! `details` are the same in both.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::platform::error_reports;
use crate::platform::i18n::{Locale, translate};
use crate::platform::rate_limit::LimitError;

/// A field that failed validation and why.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// Path of the field, e.g. `price_sar` or `fitment[0].year_from`.
    pub field: String,
    /// What is wrong with it, in plain words, in the language of the answer.
    pub reason: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> FieldError {
        FieldError { field: field.into(), reason: reason.into() }
    }
}

/// Every way a request can fail, each with its HTTP status and stable code.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// Every record of a batch was rejected; `rejected` lists them with their fields.
    #[error("no record could be applied")]
    RejectedRecords(Value),
    #[error("{message}")]
    BadRequest { message: String, details: Option<Value> },
    #[error("authentication required")]
    Unauthorized(&'static str),
    #[error("forbidden")]
    Forbidden(&'static str),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The body is over the route's limit, when the extractor knows it.
    #[error("request body too large")]
    PayloadTooLarge { limit_bytes: Option<usize> },
    #[error("unsupported media type")]
    UnsupportedMediaType(String),
    #[error("request timed out")]
    Timeout,
    /// The client used up its request budget; it may retry after `retry_after_secs`.
    #[error("too many requests; retry in {retry_after_secs} seconds")]
    RateLimited { limit: u32, retry_after_secs: u64 },
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// A domain error, placed by its [`ErrorCode`] (boxed: it is the largest variant).
    #[error("{}", .0.message)]
    Coded(Box<Coded>),
    /// A failure answered by the HTTP machinery rather than a handler: hyper's request
    /// parser, or a framework rejection that answered in plain text. The status says
    /// what it was; the message is shown for client errors only.
    #[error("{message}")]
    Protocol { status: StatusCode, message: String },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// A domain error as the envelope shows it.
#[derive(Debug)]
pub struct Coded {
    pub kind: ErrorKind,
    pub code: &'static str,
    pub message: String,
    pub fields: Vec<FieldError>,
    pub details: Value,
    /// The cause of a server-side failure, for the log only.
    pub cause: Option<String>,
}

/// The kinds of failure the API tells apart; each has one status and one stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Input broke a rule; the failing fields are named.
    Validation,
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    /// The resource is not in a state that allows the operation.
    InvalidState,
    /// Well-formed, but refused as it stands (an idempotency key reused for another body).
    Unprocessable,
    /// A budget is used up; the client may retry after `retry_after_secs`.
    RateLimited {
        limit: u32,
        retry_after_secs: u64,
    },
    /// The work took longer than it may.
    Timeout,
    /// A dependency is down or saturated; the client may retry.
    Unavailable,
    /// An outside provider refused what we asked of it.
    BadGateway,
    Internal,
}

impl ErrorKind {
    /// The HTTP status of this kind.
    pub fn status(self) -> StatusCode {
        match self {
            ErrorKind::Validation | ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
            ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorKind::Forbidden => StatusCode::FORBIDDEN,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::Conflict | ErrorKind::InvalidState => StatusCode::CONFLICT,
            ErrorKind::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorKind::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::Timeout => StatusCode::GATEWAY_TIMEOUT,
            ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::BadGateway => StatusCode::BAD_GATEWAY,
            ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable code of this kind, when the error names no more precise one.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Validation => "VALIDATION_FAILED",
            ErrorKind::BadRequest => "BAD_REQUEST",
            ErrorKind::Unauthorized => "UNAUTHORIZED",
            ErrorKind::Forbidden => "FORBIDDEN",
            ErrorKind::NotFound => "NOT_FOUND",
            ErrorKind::Conflict => "CONFLICT",
            ErrorKind::InvalidState => "INVALID_STATE",
            ErrorKind::Unprocessable => "UNPROCESSABLE",
            ErrorKind::RateLimited { .. } => "RATE_LIMITED",
            ErrorKind::Timeout => "TIMEOUT",
            ErrorKind::Unavailable => "SERVICE_UNAVAILABLE",
            ErrorKind::BadGateway => "BAD_GATEWAY",
            ErrorKind::Internal => "INTERNAL_ERROR",
        }
    }

    /// The kind of a database failure: saturation and statement timeouts are the
    /// client's to retry, anything else is ours.
    pub fn of_database(error: &sqlx::Error) -> ErrorKind {
        match error {
            sqlx::Error::PoolTimedOut => ErrorKind::Unavailable,
            sqlx::Error::Database(db) if db.code().as_deref() == Some("57014") => ErrorKind::Timeout,
            _ => ErrorKind::Internal,
        }
    }
}

/// Places a domain error in the API, as Meilisearch's `ErrorCode` does: the error
/// says what kind of failure it is, the envelope says how that looks on the wire.
pub trait ErrorCode: std::error::Error {
    fn kind(&self) -> ErrorKind;

    /// The fields that failed, for [`ErrorKind::Validation`].
    fn fields(&self) -> Vec<FieldError> {
        Vec::new()
    }

    /// A code more precise than the kind's (`INSUFFICIENT_STOCK` for a conflict), for
    /// failures clients handle on their own.
    fn code(&self) -> Option<&'static str> {
        None
    }

    /// Structured details for the envelope (what is available of each short line).
    fn details(&self) -> Option<Value> {
        None
    }
}

impl<E: ErrorCode> From<E> for AppError {
    fn from(error: E) -> AppError {
        let kind = error.kind();
        let fields = error.fields();
        match kind {
            ErrorKind::Validation if !fields.is_empty() => return AppError::Validation(fields),
            ErrorKind::RateLimited { limit, retry_after_secs } => {
                return AppError::RateLimited { limit, retry_after_secs };
            }
            ErrorKind::Timeout => return AppError::Timeout,
            _ => {}
        }
        // The cause of a server-side failure is logged, never answered.
        let cause = matches!(kind, ErrorKind::Internal | ErrorKind::Unavailable | ErrorKind::BadGateway)
            .then(|| format!("{error:#}"));
        let code = error.code().unwrap_or_else(|| kind.code());
        let details = error.details().unwrap_or(Value::Null);
        AppError::Coded(Box::new(Coded { kind, code, message: error.to_string(), fields, details, cause }))
    }
}

impl From<LimitError> for AppError {
    fn from(error: LimitError) -> AppError {
        match error {
            LimitError::Exceeded { limit, retry_after_secs } => AppError::RateLimited { limit, retry_after_secs },
            LimitError::Unavailable(cause) => AppError::Unavailable(format!("rate limiter: {cause}")),
        }
    }
}

/// The body of an error response.
#[derive(Serialize, ToSchema)]
pub struct ErrorEnvelope {
    error: ErrorBody,
}

#[derive(Serialize, ToSchema)]
struct ErrorBody {
    /// Stable machine-readable code, e.g. `VALIDATION_FAILED`.
    code: &'static str,
    /// What went wrong, for a person: in Arabic unless `Accept-Language` prefers
    /// English (the answer's `Content-Language` says which).
    message: String,
    /// Structured details: the failing fields (an array) for validation errors, an
    /// object for some errors (`limit_bytes`, `retry_after_secs`, `line`/`column`,
    /// `rejected`), and `null` for the rest.
    #[schema(schema_with = details_schema)]
    details: Value,
}

/// `details` is one of three shapes, and always present.
fn details_schema() -> utoipa::openapi::Schema {
    use utoipa::PartialSchema;
    use utoipa::openapi::schema::{AnyOfBuilder, ArrayBuilder, ObjectBuilder, Schema, Type};
    let any_of = AnyOfBuilder::new()
        .item(ArrayBuilder::new().items(FieldError::schema()))
        .item(ObjectBuilder::new().schema_type(Type::Object))
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .build();
    Schema::AnyOf(any_of)
}

impl AppError {
    /// A validation failure of a single field.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> AppError {
        AppError::Validation(vec![FieldError::new(field, reason)])
    }

    /// The HTTP status and stable code of this error.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            AppError::Validation(_) => (StatusCode::BAD_REQUEST, "VALIDATION_FAILED"),
            AppError::RejectedRecords(_) => (StatusCode::BAD_REQUEST, "VALIDATION_FAILED"),
            AppError::BadRequest { .. } => (StatusCode::BAD_REQUEST, "BAD_REQUEST"),
            AppError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "UNAUTHORIZED"),
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "FORBIDDEN"),
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, "NOT_FOUND"),
            AppError::Conflict(_) => (StatusCode::CONFLICT, "CONFLICT"),
            AppError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED"),
            AppError::PayloadTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE"),
            AppError::UnsupportedMediaType(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE"),
            AppError::Timeout => (StatusCode::GATEWAY_TIMEOUT, "TIMEOUT"),
            AppError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED"),
            AppError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE"),
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL_ERROR"),
            AppError::Protocol { status, .. } => (*status, code_of_status(*status)),
            AppError::Coded(coded) => (coded.kind.status(), coded.code),
        }
    }

    /// The envelope this error leaves in, in the language of the request being served.
    pub fn envelope(&self) -> ErrorEnvelope {
        self.envelope_in(Locale::current())
    }

    /// The envelope in `locale`: the message and every field's reason translated, the
    /// code and the field names as they are.
    pub fn envelope_in(&self, locale: Locale) -> ErrorEnvelope {
        let (_, code) = self.status_and_code();
        let (message, mut details) = self.message_and_details();
        if locale != Locale::En {
            translate_reasons(&mut details, locale);
        }
        let message = translate(&message, locale).into_owned();
        ErrorEnvelope { error: ErrorBody { code, message, details } }
    }

    /// The message and details in English, as the code writes them.
    fn message_and_details(&self) -> (String, Value) {
        match self {
            AppError::Validation(fields) => {
                let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
                (format!("invalid {}", names.join(", ")), serde_json::json!(fields))
            }
            AppError::RejectedRecords(rejected) => {
                ("no record could be applied".to_string(), serde_json::json!({ "rejected": rejected }))
            }
            AppError::BadRequest { message, details } => (message.clone(), details.clone().unwrap_or(Value::Null)),
            AppError::Unauthorized(why) | AppError::Forbidden(why) => (why.to_string(), Value::Null),
            AppError::PayloadTooLarge { limit_bytes: Some(limit_bytes) } => (
                format!("request body exceeds the limit of {limit_bytes} bytes"),
                serde_json::json!({ "limit_bytes": limit_bytes }),
            ),
            AppError::UnsupportedMediaType(message) => (message.clone(), Value::Null),
            AppError::RateLimited { limit, retry_after_secs } => {
                (self.to_string(), serde_json::json!({ "limit": limit, "retry_after_secs": retry_after_secs }))
            }
            AppError::Internal(_) => ("internal error".to_string(), Value::Null),
            AppError::Protocol { status, .. } if *status == StatusCode::SERVICE_UNAVAILABLE => {
                ("service temporarily unavailable".to_string(), Value::Null)
            }
            AppError::Protocol { status, .. } if status.is_server_error() => {
                ("internal error".to_string(), Value::Null)
            }
            AppError::Unavailable(_) => ("service temporarily unavailable".to_string(), Value::Null),
            AppError::Coded(coded) => match coded.kind {
                ErrorKind::Internal => ("internal error".to_string(), Value::Null),
                ErrorKind::Unavailable => ("service temporarily unavailable".to_string(), Value::Null),
                _ if !coded.fields.is_empty() => (coded.message.clone(), serde_json::json!(coded.fields)),
                _ => (coded.message.clone(), coded.details.clone()),
            },
            other => (other.to_string(), Value::Null),
        }
    }
}

/// Translates every `reason` in `details`: a field error's, or a rejected line's.
fn translate_reasons(details: &mut Value, locale: Locale) {
    match details {
        Value::Array(items) => items.iter_mut().for_each(|item| translate_reasons(item, locale)),
        Value::Object(object) => {
            for (key, value) in object.iter_mut() {
                match value {
                    Value::String(reason) if key == "reason" => *reason = translate(reason, locale).into_owned(),
                    Value::Array(_) | Value::Object(_) => translate_reasons(value, locale),
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

/// The stable code of a status answered by the HTTP machinery.
fn code_of_status(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "UNAUTHORIZED",
        403 => "FORBIDDEN",
        404 => "NOT_FOUND",
        405 => "METHOD_NOT_ALLOWED",
        408 | 504 => "TIMEOUT",
        409 => "CONFLICT",
        413 => "PAYLOAD_TOO_LARGE",
        414 => "URI_TOO_LONG",
        415 => "UNSUPPORTED_MEDIA_TYPE",
        422 => "VALIDATION_FAILED",
        429 => "RATE_LIMITED",
        431 => "HEADERS_TOO_LARGE",
        503 => "SERVICE_UNAVAILABLE",
        500..=599 => "INTERNAL_ERROR",
        _ => "BAD_REQUEST",
    }
}

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> AppError {
        match ErrorKind::of_database(&err) {
            ErrorKind::Unavailable => AppError::Unavailable("database pool exhausted".into()),
            ErrorKind::Timeout => AppError::Timeout,
            _ => AppError::Internal(anyhow::Error::new(err)),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, _) = self.status_and_code();
        match &self {
            AppError::Internal(cause) => {
                tracing::error!(error = ?cause, "request failed");
                error_reports::report_failure(cause);
            }
            AppError::Unavailable(cause) => tracing::warn!(%cause, "service unavailable"),
            AppError::Coded(coded) => match (coded.kind, &coded.cause) {
                (ErrorKind::Internal, Some(cause)) => {
                    tracing::error!(error = %cause, "request failed");
                    error_reports::report_message(cause);
                }
                (ErrorKind::Unavailable, Some(cause)) => tracing::warn!(%cause, "service unavailable"),
                (ErrorKind::BadGateway, Some(cause)) => tracing::warn!(%cause, "a provider refused a request"),
                _ => {}
            },
            _ => {}
        }
        let mut response = (status, Json(self.envelope())).into_response();
        if let AppError::RateLimited { limit, retry_after_secs } = self {
            let headers = response.headers_mut();
            headers.insert(header::RETRY_AFTER, retry_after_secs.into());
            headers.insert("x-ratelimit-limit", limit.into());
            headers.insert("x-ratelimit-remaining", 0.into());
            headers.insert("x-ratelimit-reset", retry_after_secs.into());
        }
        response
    }
}

/// Why a value failed a validator: its message, or words made of its rule and bounds
/// (`length` with `max = 64` says "must be at most 64 characters").
fn reason_of(error: &validator::ValidationError) -> String {
    if let Some(message) = &error.message {
        return message.to_string();
    }
    let bound = |name: &str| error.params.get(name).map(|value| value.to_string());
    match (error.code.as_ref(), bound("min"), bound("max"), bound("equal")) {
        ("length", _, _, Some(count)) => format!("must be exactly {count} characters"),
        ("length", Some(min), Some(max), _) => format!("must be {min} to {max} characters"),
        ("length", Some(min), None, _) => format!("must be at least {min} characters"),
        ("length", None, Some(max), _) => format!("must be at most {max} characters"),
        ("range", Some(min), Some(max), _) => format!("must be between {min} and {max}"),
        ("range", Some(min), None, _) => format!("must be at least {min}"),
        ("range", None, Some(max), _) => format!("must be at most {max}"),
        ("required", ..) => "is required".to_string(),
        ("email", ..) => "must be a valid email address".to_string(),
        ("url", ..) => "must be a URL".to_string(),
        (code, ..) => code.to_string(),
    }
}

/// Converts `validator`'s nested errors into flat field paths (`fitment[0].make`).
pub fn field_errors(errors: &validator::ValidationErrors) -> Vec<FieldError> {
    let mut out = Vec::new();
    collect_field_errors(errors, "", &mut out);
    out
}

fn collect_field_errors(errors: &validator::ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    use validator::ValidationErrorsKind;
    let join = |name: &str| {
        if prefix.is_empty() { name.to_string() } else { format!("{prefix}.{name}") }
    };
    let mut entries: Vec<_> = errors.errors().iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    for (name, kind) in entries {
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    out.push(FieldError::new(join(name), reason_of(e)));
                }
            }
            ValidationErrorsKind::Struct(inner) => collect_field_errors(inner, &join(name), out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    collect_field_errors(inner, &format!("{}[{index}]", join(name)), out);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_never_reveal_their_cause() {
        let err = AppError::Internal(anyhow::anyhow!("password=hunter2 in connection string"));
        let (message, details) = err.message_and_details();
        assert_eq!(message, "internal error");
        assert_eq!(details, Value::Null);
    }

    #[test]
    fn rate_limited_answers_say_when_to_retry() {
        let response = AppError::RateLimited { limit: 5, retry_after_secs: 42 }.into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()["retry-after"], "42");
        assert_eq!(response.headers()["x-ratelimit-remaining"], "0");
        assert_eq!(response.headers()["x-ratelimit-limit"], "5");
    }

    #[test]
    fn answers_of_the_http_machinery_get_a_code_by_status_and_hide_server_causes() {
        let too_long = AppError::Protocol { status: StatusCode::URI_TOO_LONG, message: "the URL is too long".into() };
        assert_eq!(too_long.status_and_code(), (StatusCode::URI_TOO_LONG, "URI_TOO_LONG"));
        assert_eq!(too_long.message_and_details().0, "the URL is too long");
        let failed = AppError::Protocol { status: StatusCode::BAD_GATEWAY, message: "upstream said: secret".into() };
        assert_eq!(failed.status_and_code(), (StatusCode::BAD_GATEWAY, "INTERNAL_ERROR"));
        assert_eq!(failed.message_and_details().0, "internal error");
        let teapot = AppError::Protocol { status: StatusCode::IM_A_TEAPOT, message: "short and stout".into() };
        assert_eq!(teapot.status_and_code().1, "BAD_REQUEST");
    }

    #[test]
    fn the_schema_of_details_admits_an_array_an_object_and_null() {
        let schema = serde_json::to_value(<ErrorBody as utoipa::PartialSchema>::schema()).unwrap();
        let shapes: Vec<&str> = schema["properties"]["details"]["anyOf"]
            .as_array()
            .unwrap()
            .iter()
            .map(|shape| shape["type"].as_str().unwrap())
            .collect();
        assert_eq!(shapes, ["array", "object", "null"]);
        assert!(schema["required"].as_array().unwrap().contains(&serde_json::json!("details")));
    }

    #[test]
    fn validation_errors_name_every_field() {
        let err = AppError::Validation(vec![
            FieldError::new("title", "is required"),
            FieldError::new("price_sar", "must be greater than 0"),
        ]);
        let (message, details) = err.message_and_details();
        assert_eq!(message, "invalid title, price_sar");
        assert_eq!(details[1]["field"], "price_sar");
        assert_eq!(err.status_and_code(), (StatusCode::BAD_REQUEST, "VALIDATION_FAILED"));
    }

    fn body_in(error: &AppError, locale: Locale) -> Value {
        serde_json::to_value(error.envelope_in(locale)).unwrap()["error"].clone()
    }

    #[test]
    fn arabic_and_english_share_the_code_and_the_field_names() {
        let err = AppError::Validation(vec![
            FieldError::new("postal_code", "must be 4 digits"),
            FieldError::new("items[0].quantity", "must be between 1 and 50"),
        ]);
        let english = body_in(&err, Locale::En);
        let arabic = body_in(&err, Locale::Ar);
        assert_eq!(english["code"], arabic["code"]);
        assert_eq!(english["message"], "invalid postal_code, items[0].quantity");
        assert_eq!(arabic["message"], "قيم غير صالحة في: \u{2068}postal_code, items[0].quantity\u{2069}");
        assert_eq!(arabic["details"][0]["field"], "postal_code");
        assert_eq!(arabic["details"][0]["reason"], "يجب أن يتكون من 4 أرقام");
        assert_eq!(arabic["details"][1]["field"], "items[0].quantity");
        assert_eq!(arabic["details"][1]["reason"], "يجب أن يكون بين 1 و50");
        assert_eq!(english["details"][1]["reason"], "must be between 1 and 50");
    }

    #[test]
    fn every_kind_of_answer_speaks_arabic() {
        let cases = [
            (AppError::NotFound("order"), "لم يُعثر على الطلب"),
            (AppError::PayloadTooLarge { limit_bytes: Some(1024) }, "حجم جسم الطلب يتجاوز الحد المسموح (1024 بايت)"),
            (
                AppError::RateLimited { limit: 5, retry_after_secs: 42 },
                "طلبات كثيرة جدًا؛ أعد المحاولة بعد مهلة بالثواني قدرها 42",
            ),
            (AppError::Internal(anyhow::anyhow!("secret cause")), "حدث خطأ داخلي؛ حاول مرة أخرى لاحقًا"),
            (AppError::Unavailable("pool".into()), "الخدمة غير متاحة مؤقتًا؛ حاول مرة أخرى بعد قليل"),
            (AppError::MethodNotAllowed, "طريقة الطلب غير مسموحة لهذا المسار"),
            (
                AppError::BadRequest {
                    message: "malformed JSON: expected value at line 1 column 2".into(),
                    details: None,
                },
                "JSON غير سليم: المتوقع قيمة في السطر 1 العمود 2",
            ),
        ];
        for (error, arabic) in cases {
            assert_eq!(body_in(&error, Locale::Ar)["message"], arabic, "{error:?}");
        }
    }

    #[test]
    fn reasons_of_rejected_lines_are_translated_where_they_sit() {
        let err = AppError::RejectedRecords(serde_json::json!([
            {"line": 1, "sku": "A-1", "field": "price_sar", "reason": "must be greater than 0"},
        ]));
        let arabic = body_in(&err, Locale::Ar);
        assert_eq!(arabic["details"]["rejected"][0]["reason"], "يجب أن يكون أكبر من صفر");
        assert_eq!(arabic["details"]["rejected"][0]["field"], "price_sar");
        assert_eq!(arabic["message"], "تعذّر تطبيق أي سجل");
    }

    #[test]
    fn validators_without_a_message_say_their_rule() {
        #[derive(validator::Validate)]
        struct Probe {
            #[validate(length(min = 1, max = 64))]
            city: String,
            #[validate(range(min = 1, max = 20))]
            limit: u32,
        }
        use validator::Validate;
        let errors = Probe { city: String::new(), limit: 50 }.validate().unwrap_err();
        let fields = field_errors(&errors);
        assert_eq!(fields[0], FieldError::new("city", "must be 1 to 64 characters"));
        assert_eq!(fields[1], FieldError::new("limit", "must be between 1 and 20"));
    }
}
