//! Protection of the site's forms against cross-site requests: a random token in a
//! `SameSite=Strict` cookie that every form repeats in a hidden field (the double
//! submit), and an `Origin`, when the browser names one, that must be this site.
//!
//! Another site can make a browser post a form here but can neither read the cookie
//! nor set it, so it cannot know the value to repeat.

use axum::http::header::{HOST, ORIGIN};
use axum::http::{HeaderMap, HeaderValue};
use rand::RngCore;
use subtle::ConstantTimeEq;

use super::car::cookie;

pub const COOKIE_NAME: &str = "csrf";
pub const FIELD: &str = "csrf";

/// The form token of a page: the request's own, or a new one with the cookie that
/// sets it.
pub struct FormToken {
    pub value: String,
    pub set_cookie: Option<HeaderValue>,
}

impl FormToken {
    pub fn of(headers: &HeaderMap, secure: bool) -> FormToken {
        if let Some(value) = cookie(headers, COOKIE_NAME).filter(|v| is_token(v)) {
            return FormToken { value: value.to_string(), set_cookie: None };
        }
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let value = hex::encode(bytes);
        let secure = if secure { "; Secure" } else { "" };
        let set_cookie =
            HeaderValue::from_str(&format!("{COOKIE_NAME}={value}; Path=/; HttpOnly; SameSite=Strict{secure}"))
                .expect("a hex token is a valid header value");
        FormToken { value, set_cookie: Some(set_cookie) }
    }
}

fn is_token(value: &str) -> bool {
    value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether a form post carries the token of its cookie and, when the browser says
/// where it comes from, comes from this site.
pub fn verify(headers: &HeaderMap, submitted: &str) -> bool {
    let Some(expected) = cookie(headers, COOKIE_NAME).filter(|v| is_token(v)) else { return false };
    let same_token: bool = expected.as_bytes().ct_eq(submitted.as_bytes()).into();
    same_token && same_origin(headers)
}

fn same_origin(headers: &HeaderMap) -> bool {
    // Pages are sent with `Referrer-Policy: no-referrer`, under which browsers send
    // `Origin: null` even from this site: only an origin naming another site is refused.
    let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()).filter(|o| *o != "null") else {
        return true;
    };
    let Some(host) = headers.get(HOST).and_then(|v| v.to_str().ok()) else { return false };
    url::Url::parse(origin).ok().is_some_and(|url| {
        let authority = match url.port() {
            Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_string(),
        };
        authority.eq_ignore_ascii_case(host)
    })
}

#[cfg(test)]
mod tests {
    use axum::http::header::COOKIE;

    use super::*;

    fn headers(cookie: &str, origin: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_str(cookie).unwrap());
        headers.insert(HOST, HeaderValue::from_static("shop.example:8080"));
        if let Some(origin) = origin {
            headers.insert(ORIGIN, HeaderValue::from_str(origin).unwrap());
        }
        headers
    }

    #[test]
    fn a_new_visitor_gets_a_token_and_a_returning_one_keeps_it() {
        let first = FormToken::of(&HeaderMap::new(), false);
        assert!(is_token(&first.value));
        let set = first.set_cookie.unwrap();
        assert!(set.to_str().unwrap().contains("SameSite=Strict"));
        let again = FormToken::of(&headers(&format!("csrf={}", first.value), None), false);
        assert_eq!(again.value, first.value);
        assert!(again.set_cookie.is_none());
    }

    #[test]
    fn a_post_must_repeat_its_cookie_and_come_from_here() {
        let token = "a".repeat(64);
        let cookie = format!("csrf={token}");
        assert!(verify(&headers(&cookie, None), &token));
        assert!(verify(&headers(&cookie, Some("http://shop.example:8080")), &token));
        assert!(verify(&headers(&cookie, Some("null")), &token));
        assert!(!verify(&headers(&cookie, Some("https://evil.example")), &token));
        assert!(!verify(&headers(&cookie, None), &"b".repeat(64)));
        assert!(!verify(&headers("other=1", None), &token));
    }
}
