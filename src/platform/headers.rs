//! Security headers on every response.
//!
//! The API speaks JSON, so its responses get the strictest content policy: nothing
//! may load, nothing may frame it. The HTML documentation page loads its renderer
//! from a CDN and keeps a policy of its own making (none). HSTS is sent on every
//! response; browsers ignore it over plain HTTP, and behind TLS it pins the domain
//! to HTTPS for two years.

use axum::http::header::{
    CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY, X_FRAME_OPTIONS,
};
use axum::http::{HeaderName, HeaderValue, Response};
use tower::ServiceBuilder;
use tower::layer::util::{Identity, Stack};
use tower_http::set_header::{MakeHeaderValue, SetResponseHeaderLayer};

const CROSS_ORIGIN_OPENER_POLICY: HeaderName = HeaderName::from_static("cross-origin-opener-policy");

const JSON_POLICY: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The content security policy for JSON bodies only.
#[derive(Debug, Clone, Copy)]
pub struct JsonOnlyCsp;

impl<B> MakeHeaderValue<Response<B>> for JsonOnlyCsp {
    fn make_header_value(&mut self, response: &Response<B>) -> Option<HeaderValue> {
        let content_type = response.headers().get(CONTENT_TYPE)?.to_str().ok()?;
        (content_type.starts_with("application/json") || content_type.contains("+json"))
            .then(|| HeaderValue::from_static(JSON_POLICY))
    }
}

type Set<M> = SetResponseHeaderLayer<M>;

/// The layers [`security_headers`] stacks, outermost first.
pub type SecurityHeaders = Stack<
    Set<JsonOnlyCsp>,
    Stack<Set<HeaderValue>, Stack<Set<HeaderValue>, Stack<Set<HeaderValue>, Stack<Set<HeaderValue>, Identity>>>>,
>;

/// Sets HSTS, `X-Frame-Options`, `Referrer-Policy`, `Cross-Origin-Opener-Policy` and,
/// on JSON responses, a `Content-Security-Policy` that allows nothing.
pub fn security_headers() -> ServiceBuilder<SecurityHeaders> {
    ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        ))
        .layer(SetResponseHeaderLayer::overriding(X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::overriding(CROSS_ORIGIN_OPENER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(SetResponseHeaderLayer::if_not_present(CONTENT_SECURITY_POLICY, JsonOnlyCsp))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_json_bodies_get_the_strict_policy() {
        let json = Response::builder().header(CONTENT_TYPE, "application/json").body(()).unwrap();
        assert_eq!(JsonOnlyCsp.make_header_value(&json).unwrap(), HeaderValue::from_static(JSON_POLICY));
        let problem = Response::builder().header(CONTENT_TYPE, "application/problem+json").body(()).unwrap();
        assert!(JsonOnlyCsp.make_header_value(&problem).is_some());
        let html = Response::builder().header(CONTENT_TYPE, "text/html; charset=utf-8").body(()).unwrap();
        assert!(JsonOnlyCsp.make_header_value(&html).is_none());
        let empty = Response::builder().body(()).unwrap();
        assert!(JsonOnlyCsp.make_header_value(&empty).is_none());
    }
}
