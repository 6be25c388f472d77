//! `POST /car`: saves or forgets the shopper's car, then goes back where the form
//! said.

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::platform::config::Settings;
use crate::storefront::car::{COOKIE_NAME, Car, MAX_AGE_SECS};
use crate::storefront::csrf;
use crate::storefront::layout;
use crate::storefront::locale::Lang;

#[derive(Debug, Deserialize)]
pub struct CarForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    make: String,
    /// `Make|Model`, so the choice means the same without the script that narrows
    /// the models to the chosen make.
    #[serde(default)]
    model: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    forget: Option<String>,
    #[serde(default)]
    next: String,
}

pub async fn save(
    lang: Lang,
    State(settings): State<std::sync::Arc<Settings>>,
    headers: HeaderMap,
    Form(form): Form<CarForm>,
) -> Response {
    let t = lang.texts();
    let here = lang.path("/car");
    if !csrf::verify(&headers, &form.csrf) {
        return layout::problem(lang, StatusCode::FORBIDDEN, t.bad_request_title, t.form_expired, &here);
    }
    let secure = if settings.env.is_production() { "; Secure" } else { "" };
    let cookie = if form.forget.is_some() {
        format!("{COOKIE_NAME}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{secure}")
    } else {
        let (make, model) = match form.model.split_once('|') {
            Some((make, model)) => (make, Some(model)),
            None => (form.make.as_str(), None),
        };
        let Some(car) = Car::parse(make, model, Some(&form.year)) else {
            let message = format!("{}: {}", t.make, t.my_car_hint);
            return layout::problem(lang, StatusCode::BAD_REQUEST, t.bad_request_title, &message, &here);
        };
        format!("{COOKIE_NAME}={}; Path=/; Max-Age={MAX_AGE_SECS}; HttpOnly; SameSite=Lax{secure}", car.cookie_value())
    };
    let next = safe_next(&form.next).unwrap_or_else(|| lang.path("/"));
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, next)]).into_response();
    if let Ok(cookie) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// A path on this site to go back to: never another site (`//evil`, `/\evil`, a URL).
fn safe_next(next: &str) -> Option<String> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == '\\');
    ok.then(|| next.to_string())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_paths_of_this_site_are_followed() {
        assert_eq!(safe_next("/search?q=x").as_deref(), Some("/search?q=x"));
        assert_eq!(safe_next("//evil.example/"), None);
        assert_eq!(safe_next("/\\evil.example/"), None);
        assert_eq!(safe_next("https://evil.example/"), None);
        assert_eq!(safe_next("/x\r\nSet-Cookie: a=b"), None);
    }
}
