//! Error reports to Sentry: server failures and panics, each with the request id of
//! the request it broke, and nothing personal. On only when a DSN is configured.
//!
//! Everything leaving is scrubbed first (`before_send`): request bodies, cookies and
//! every header but a few harmless ones are dropped, query values are kept only for
//! the search's own parameters, the user is removed, and phone numbers, email
//! addresses, IBANs and long digit runs (a card number, were one ever to appear) are
//! masked in every message, exception and breadcrumb. The client speaks through the
//! service's own HTTP client (rustls on ring), so no second TLS stack comes along.

use std::borrow::Cow;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use anyhow::Context;
use regex::Regex;
use secrecy::ExposeSecret;
use sentry::protocol::{Event, Request};
use sentry::transports::ReqwestHttpTransportOptions;
use sentry::{ClientOptions, Envelope, Hub, Transport, TransportOptions};

use super::config::{Environment, SentrySettings};
use super::outbound;

/// The request headers a report keeps; any other may carry a credential.
const KEPT_HEADERS: &[&str] =
    &["accept", "accept-language", "content-length", "content-type", "host", "user-agent", "x-request-id"];

/// The query parameters whose values a report keeps: the search's own, which say what
/// was asked without saying who asked.
const KEPT_QUERY: &[&str] = &[
    "q",
    "page",
    "limit",
    "sort",
    "category",
    "make",
    "model",
    "year",
    "condition",
    "city",
    "verified",
    "price_min",
    "price_max",
    "seller",
    "facets",
];

/// The reporting client while it is on; dropping it flushes what is queued and turns
/// reporting off.
pub struct Reporting {
    client: Arc<sentry::Client>,
}

impl Drop for Reporting {
    fn drop(&mut self) {
        self.client.close(Some(Duration::from_secs(2)));
        Hub::main().bind_client(None);
    }
}

/// Starts reporting when `settings` has a DSN.
pub fn start(settings: &SentrySettings, env: Environment) -> anyhow::Result<Option<Reporting>> {
    let Some(dsn) = &settings.dsn else {
        return Ok(None);
    };
    let dsn = dsn.expose_secret().parse().context("sentry.dsn (SENTRY_DSN) is not a Sentry DSN")?;
    let http = outbound::http_client(Duration::from_secs(10))?;
    let environment = settings
        .environment
        .clone()
        .unwrap_or_else(|| if env.is_production() { "production".to_string() } else { "development".to_string() });
    let mut options = ClientOptions::default();
    options.dsn = Some(dsn);
    options.release = sentry::release_name!();
    options.environment = Some(environment.into());
    options.send_default_pii = false;
    options.before_send = Some(Arc::new(|event| Some(scrub(event))));
    options.transport = Some(Arc::new(move |options: &ClientOptions| -> Arc<dyn Transport> {
        match TransportOptions::try_from_client_options(options) {
            Some(general) => Arc::new(ReqwestHttpTransportOptions::from(general).with_client(http.clone()).build()),
            // Only a client without a DSN has no transport options; this one has one.
            None => Arc::new(NoTransport),
        }
    }));
    // The default integrations: panics, the process's contexts, backtraces.
    let client = Arc::new(sentry::Client::from(sentry::apply_defaults(options)));
    // The main hub: every request's hub is made from it, on whatever thread it runs.
    Hub::main().bind_client(Some(client.clone()));
    tracing::info!("error reports go to Sentry");
    Ok(Some(Reporting { client }))
}

/// Sends nothing: for a client that has nowhere to send.
struct NoTransport;

impl Transport for NoTransport {
    fn send_envelope(&self, _envelope: Envelope) {}
}

/// A hub for a request: a fresh scope over the main hub's client.
pub fn request_hub<R>(_request: &R) -> Arc<Hub> {
    Arc::new(Hub::new_from_top(Hub::main()))
}

/// Files the request being served under `request_id`.
pub fn tag_request(request_id: &str) {
    sentry::configure_scope(|scope| scope.set_tag("request_id", request_id));
}

/// Reports a failure the service answered with a 5xx.
pub fn report_failure(cause: &anyhow::Error) {
    use sentry::integrations::anyhow::AnyhowHubExt;
    hub().capture_anyhow(cause);
}

/// Reports a failure known only by its description.
pub fn report_message(message: &str) {
    hub().capture_message(message, sentry::Level::Error);
}

/// The request's hub while serving one, else the main hub.
fn hub() -> Arc<Hub> {
    let current = Hub::current();
    if current.client().is_some() { current } else { Hub::main() }
}

/// The event as it may leave the service.
fn scrub(mut event: Event<'static>) -> Event<'static> {
    if let Some(request) = event.request.as_mut() {
        scrub_request(request);
    }
    event.user = None;
    event.message = event.message.map(|m| mask(&m).into_owned());
    if let Some(entry) = event.logentry.as_mut() {
        entry.message = mask(&entry.message).into_owned();
        entry.params.clear();
    }
    for exception in event.exception.values.iter_mut() {
        exception.value = exception.value.take().map(|v| mask(&v).into_owned());
    }
    for crumb in event.breadcrumbs.values.iter_mut() {
        crumb.message = crumb.message.take().map(|m| mask(&m).into_owned());
        crumb.data.clear();
    }
    event.extra.clear();
    event
}

fn scrub_request(request: &mut Request) {
    request.data = None;
    request.cookies = None;
    request.env.clear();
    request.headers.retain(|name, _| KEPT_HEADERS.contains(&name.to_ascii_lowercase().as_str()));
    if let Some(query) = request.query_string.take() {
        request.query_string = Some(scrub_query(&query));
    }
    if let Some(url) = request.url.as_mut()
        && let Some(query) = url.query().map(scrub_query)
    {
        url.set_query(Some(&query));
    }
}

/// The query with the value of every parameter but the search's own masked.
fn scrub_query(query: &str) -> String {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .map(|(key, value)| {
            let value = if KEPT_QUERY.contains(&key.as_ref()) { mask(&value).into_owned() } else { "[removed]".into() };
            (key.into_owned(), value)
        })
        .collect();
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

/// `text` with what identifies a person masked.
fn mask(text: &str) -> Cow<'_, str> {
    static PATTERNS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
        [
            (r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}", "[email]"),
            (r"(?i)\bSA\d{2}(?:[ ]?\d){20}\b", "[iban]"),
            // Saudi mobiles in any usual form and either digit set.
            (r"(?:(?:\+|00)?9[6٦][6٦][ \-]?|[0٠])[5٥](?:[ \-]?[0-9٠-٩]){8}", "[phone]"),
            (r"\+[0-9]{8,15}", "[phone]"),
            (r"\b(?:[0-9][ \-]?){12,18}[0-9]\b", "[number]"),
        ]
        .into_iter()
        .map(|(pattern, mask)| (Regex::new(pattern).expect("a valid pattern"), mask))
        .collect()
    });
    let mut text = Cow::Borrowed(text);
    for (pattern, replacement) in PATTERNS.iter() {
        if pattern.is_match(&text) {
            text = Cow::Owned(pattern.replace_all(&text, *replacement).into_owned());
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use sentry::protocol::{Breadcrumb, Exception, Map, User};

    #[test]
    fn people_are_masked_in_text() {
        let text = "order for noura.a+shop@example.com at 0551234567, +966 55 123 4567 and ٠٥٥١٢٣٤٥٦٧; \
                    IBAN SA0380000000608010167519, card 4111 1111 1111 1111, order CP-2026-000042";
        let masked = mask(text);
        for gone in ["noura", "0551234567", "+966 55", "٠٥٥١٢٣٤٥٦٧", "SA0380", "4111"] {
            assert!(!masked.contains(gone), "{gone} in {masked}");
        }
        assert!(masked.contains("[email]") && masked.contains("[phone]") && masked.contains("[iban]"), "{masked}");
        assert!(masked.contains("CP-2026-000042"), "an order number is not a person: {masked}");
        assert!(matches!(mask("nothing personal"), Cow::Borrowed(_)));
    }

    #[test]
    fn a_report_keeps_nothing_that_identifies_or_opens_an_account() {
        let mut headers = Map::new();
        for (name, value) in [
            ("Authorization", "Bearer eyJ.secret"),
            ("Cookie", "session=abc"),
            ("X-Api-Key", "cpk_live"),
            ("User-Agent", "CargoParts-iOS/3.1"),
            ("x-request-id", "req-1"),
        ] {
            headers.insert(name.to_string(), value.to_string());
        }
        let request = Request {
            url: "https://api.example.com/reset-password?token=abc.def&q=oil%20filter".parse().ok(),
            method: Some("POST".into()),
            data: Some(r#"{"phone": "0551234567"}"#.into()),
            query_string: Some("token=abc.def&q=oil+filter".into()),
            cookies: Some("session=abc".into()),
            headers,
            ..Default::default()
        };
        let event = Event {
            request: Some(request),
            user: Some(User { email: Some("noura@example.com".into()), ..Default::default() }),
            message: Some("failed for noura@example.com".into()),
            exception: vec![Exception {
                ty: "Error".into(),
                value: Some("phone 0551234567".into()),
                ..Default::default()
            }]
            .into(),
            breadcrumbs: vec![Breadcrumb { message: Some("sms to +966551234567".into()), ..Default::default() }].into(),
            ..Default::default()
        };
        let scrubbed = scrub(event);
        let text = serde_json::to_string(&scrubbed).unwrap();
        for gone in ["eyJ.secret", "session=abc", "cpk_live", "0551234567", "noura@", "abc.def", "966551234567"] {
            assert!(!text.contains(gone), "{gone} in {text}");
        }
        let request = scrubbed.request.unwrap();
        assert_eq!(request.headers.get("x-request-id").map(String::as_str), Some("req-1"));
        assert_eq!(request.headers.get("User-Agent").map(String::as_str), Some("CargoParts-iOS/3.1"));
        assert_eq!(request.query_string.as_deref(), Some("token=%5Bremoved%5D&q=oil+filter"));
        assert!(scrubbed.user.is_none() && request.data.is_none() && request.cookies.is_none());
    }
}
