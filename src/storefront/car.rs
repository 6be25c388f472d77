//! "My car": the make, model and year a shopper chose, remembered in a cookie, so
//! every search shows the parts that fit it until the shopper forgets it.
//!
//! The cookie holds only what the vocabulary knows (a canonical make and model, a
//! model year in the catalog's bounds): whatever a client sends back is read again
//! against it, so a tampered cookie is ignored, never searched.

use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use cargoparts_analyzers::Vocabulary;

use crate::catalog::fitment::{MODEL_YEAR_MAX, MODEL_YEAR_MIN};

pub const COOKIE_NAME: &str = "car";
/// A year: the choice outlives a session, not a car.
pub const MAX_AGE_SECS: u64 = 365 * 24 * 3600;

/// A shopper's car.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Car {
    pub make: String,
    pub model: Option<String>,
    pub year: Option<u16>,
}

impl Car {
    /// Reads a choice against the vocabulary: the canonical make and model, or nothing
    /// when the make is unknown, the model is not the make's or the year out of bounds.
    pub fn parse(make: &str, model: Option<&str>, year: Option<&str>) -> Option<Car> {
        let known = Vocabulary::builtin().make(make)?;
        let model = match model.map(str::trim).filter(|m| !m.is_empty()) {
            Some(name) => Some(known.model(name)?.name.clone()),
            None => None,
        };
        let year = match year.map(str::trim).filter(|y| !y.is_empty()) {
            Some(text) => {
                let year: u16 = text.parse().ok()?;
                if !(i32::from(MODEL_YEAR_MIN)..=i32::from(MODEL_YEAR_MAX)).contains(&i32::from(year)) {
                    return None;
                }
                Some(year)
            }
            None => None,
        };
        Some(Car { make: known.name.clone(), model, year })
    }

    /// The cookie's value: `Toyota|Camry|2019`, empty parts left empty.
    pub fn cookie_value(&self) -> String {
        let year = self.year.map(|y| y.to_string()).unwrap_or_default();
        let value = format!("{}|{}|{}", self.make, self.model.as_deref().unwrap_or(""), year);
        url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
    }

    /// The car the request's cookie names, if it names one the vocabulary knows.
    pub fn from_headers(headers: &HeaderMap) -> Option<Car> {
        let raw = cookie(headers, COOKIE_NAME)?;
        let decoded: String = url::form_urlencoded::parse(format!("v={raw}").as_bytes()).next()?.1.into_owned();
        let mut parts = decoded.splitn(3, '|');
        let make = parts.next()?;
        Car::parse(make, parts.next(), parts.next())
    }
}

/// The value of the request's cookie `name`.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn a_choice_is_read_into_canonical_names() {
        let car = Car::parse("toyota", Some("camry"), Some("2019")).unwrap();
        assert_eq!(car, Car { make: "Toyota".into(), model: Some("Camry".into()), year: Some(2019) });
        assert_eq!(Car::parse("Toyota", None, None).unwrap().model, None);
    }

    #[test]
    fn what_the_vocabulary_does_not_know_is_refused() {
        assert_eq!(Car::parse("Flintmobile", None, None), None);
        assert_eq!(Car::parse("Toyota", Some("Sonata"), None), None);
        assert_eq!(Car::parse("Toyota", Some("Camry"), Some("1800")), None);
        assert_eq!(Car::parse("Toyota", Some("Camry"), Some("twenty")), None);
    }

    #[test]
    fn the_cookie_reads_back_what_was_written() {
        let car = Car::parse("Hyundai", Some("Sonata"), Some("2015")).unwrap();
        let mut headers = HeaderMap::new();
        let cookie = format!("other=1; {COOKIE_NAME}={}", car.cookie_value());
        headers.insert(COOKIE, HeaderValue::from_str(&cookie).unwrap());
        assert_eq!(Car::from_headers(&headers), Some(car));
    }

    #[test]
    fn a_tampered_cookie_is_ignored() {
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_static("car=%3Cscript%3E%7C%7C"));
        assert_eq!(Car::from_headers(&headers), None);
    }
}
