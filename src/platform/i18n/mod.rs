//! Arabic first: the language a person is answered in, and what the service says in it.
//!
//! The code writes its messages in English, as gettext's source strings are; the
//! [`catalog`] holds the Arabic of each, keyed by the English. A request's language is
//! chosen from its `Accept-Language` (Arabic unless English is preferred) and rides
//! with the request's task, so an error built anywhere below the handler is answered
//! in it without every function passing it along.

pub mod catalog;
#[cfg(test)]
mod coverage;

use std::future::Future;

pub use catalog::translate;

tokio::task_local! {
    static CURRENT: Locale;
}

/// The languages the service speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    /// Arabic, the default.
    #[default]
    Ar,
    En,
}

impl Locale {
    pub fn as_str(self) -> &'static str {
        match self {
            Locale::Ar => "ar",
            Locale::En => "en",
        }
    }

    /// A stored choice: Arabic unless it says English.
    pub fn from_db(value: &str) -> Locale {
        if value.eq_ignore_ascii_case("en") { Locale::En } else { Locale::Ar }
    }

    /// The language an `Accept-Language` header asks for: the first of its ranges, by
    /// quality, that is Arabic or English (`ar-SA`, `en-GB` and `EN` count). Arabic when
    /// there is no header, it names neither, or it is `*`.
    pub fn negotiate(accept_language: Option<&str>) -> Locale {
        let Some(header) = accept_language else {
            return Locale::Ar;
        };
        accept_language::parse_with_quality(header)
            .into_iter()
            .filter(|(_, quality)| *quality > 0.0)
            .find_map(|(tag, _)| {
                let primary = tag.split(['-', '_']).next().unwrap_or("");
                if primary.eq_ignore_ascii_case("ar") {
                    Some(Locale::Ar)
                } else if primary.eq_ignore_ascii_case("en") {
                    Some(Locale::En)
                } else {
                    None
                }
            })
            .unwrap_or(Locale::Ar)
    }

    /// The language of the request being served; Arabic outside of one.
    pub fn current() -> Locale {
        CURRENT.try_with(|locale| *locale).unwrap_or_default()
    }

    /// Runs `work` as serving a request in this language.
    pub async fn scope<F: Future>(self, work: F) -> F::Output {
        CURRENT.scope(self, work).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arabic_unless_english_is_preferred() {
        assert_eq!(Locale::negotiate(None), Locale::Ar);
        assert_eq!(Locale::negotiate(Some("")), Locale::Ar);
        assert_eq!(Locale::negotiate(Some("*")), Locale::Ar);
        assert_eq!(Locale::negotiate(Some("fr-FR, de;q=0.8")), Locale::Ar);
        assert_eq!(Locale::negotiate(Some("en")), Locale::En);
        assert_eq!(Locale::negotiate(Some("EN-gb")), Locale::En);
        assert_eq!(Locale::negotiate(Some("ar-SA,ar;q=0.9,en-US;q=0.8")), Locale::Ar);
        assert_eq!(Locale::negotiate(Some("fr;q=1.0, en;q=0.5, ar;q=0.4")), Locale::En);
        assert_eq!(Locale::negotiate(Some("ar;q=0.3, en-US;q=0.9")), Locale::En);
        assert_eq!(Locale::negotiate(Some("en;q=0, ar;q=0.1")), Locale::Ar);
        assert_eq!(Locale::negotiate(Some(";;;,,=q")), Locale::Ar);
    }

    #[tokio::test]
    async fn the_language_rides_with_the_request() {
        assert_eq!(Locale::current(), Locale::Ar);
        let inside = Locale::En.scope(async { Locale::current() }).await;
        assert_eq!(inside, Locale::En);
        assert_eq!(Locale::current(), Locale::Ar);
    }
}
