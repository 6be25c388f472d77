//! The site's two languages: Arabic (the default, right to left, Arabic-Indic digits)
//! and English under `/en`. A page's language comes from its path, so every page has
//! one address per language that can be shared and cached.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::platform::hijri;

/// The language a page is shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ar,
    En,
}

impl Lang {
    /// The language of the site's path (`/en/...` is English, everything else Arabic).
    pub fn of_path(path: &str) -> Lang {
        if path == "/en" || path.starts_with("/en/") { Lang::En } else { Lang::Ar }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Ar => "ar",
            Lang::En => "en",
        }
    }

    pub fn dir(self) -> &'static str {
        match self {
            Lang::Ar => "rtl",
            Lang::En => "ltr",
        }
    }

    /// The other language, for the switch.
    pub fn other(self) -> Lang {
        match self {
            Lang::Ar => Lang::En,
            Lang::En => Lang::Ar,
        }
    }

    /// A site path in this language: `/search` → `/en/search` in English.
    pub fn path(self, path: &str) -> String {
        match self {
            Lang::Ar => path.to_string(),
            Lang::En if path == "/" => "/en/".to_string(),
            Lang::En => format!("/en{path}"),
        }
    }

    /// The same page in `target`'s language: the path without or with `/en`.
    pub fn translate_path(self, path: &str, target: Lang) -> String {
        let bare = match self {
            Lang::Ar => path,
            Lang::En => path.strip_prefix("/en").filter(|rest| !rest.is_empty()).unwrap_or("/"),
        };
        target.path(bare)
    }

    /// Digits as readers of this language write them.
    pub fn digits(self, text: &str) -> String {
        match self {
            Lang::Ar => text
                .chars()
                .map(|c| match c {
                    '0'..='9' => char::from_u32('\u{0660}' as u32 + (c as u32 - '0' as u32)).unwrap_or(c),
                    '.' => '\u{066B}',
                    ',' => '\u{066C}',
                    other => other,
                })
                .collect(),
            Lang::En => text.to_string(),
        }
    }

    /// A count, with thousands grouped.
    pub fn count(self, n: u64) -> String {
        self.digits(&group_thousands(&n.to_string()))
    }

    /// A price in SAR: `٤٥٫٠٠ ر.س` or `SAR 45.00`, thousands grouped.
    pub fn price(self, sar: Decimal) -> String {
        let text = format!("{:.2}", sar.round_dp(2));
        let (whole, cents) = text.split_once('.').unwrap_or((&text, "00"));
        let amount = format!("{}.{cents}", group_thousands(whole));
        match self {
            Lang::Ar => format!("{} ر.س", self.digits(&amount)),
            Lang::En => format!("SAR {amount}"),
        }
    }

    /// A day as people here read it: the Hijri (Umm al-Qura) date, then the Gregorian.
    pub fn date(self, at: DateTime<Utc>) -> String {
        let riyadh = at + chrono::Duration::hours(3);
        match self {
            Lang::Ar => {
                format!("{} ({} م)", hijri::hijri_long_ar(at), self.digits(&riyadh.format("%Y/%m/%d").to_string()))
            }
            Lang::En => format!("{} ({})", hijri::hijri_long_en(at), riyadh.format("%-d %B %Y")),
        }
    }

    /// The texts of the site in this language.
    pub fn texts(self) -> &'static super::texts::Texts {
        match self {
            Lang::Ar => &super::texts::AR,
            Lang::En => &super::texts::EN,
        }
    }
}

fn group_thousands(digits: &str) -> String {
    let (sign, digits) = digits.strip_prefix('-').map_or(("", digits), |rest| ("-", rest));
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}")
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Lang, Self::Rejection> {
        let path = parts
            .extensions
            .get::<axum::extract::OriginalUri>()
            .map_or_else(|| parts.uri.path().to_string(), |uri| uri.0.path().to_string());
        Ok(Lang::of_path(&path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_decides_the_language() {
        assert_eq!(Lang::of_path("/"), Lang::Ar);
        assert_eq!(Lang::of_path("/search"), Lang::Ar);
        assert_eq!(Lang::of_path("/en"), Lang::En);
        assert_eq!(Lang::of_path("/en/search"), Lang::En);
        assert_eq!(Lang::of_path("/engine"), Lang::Ar);
    }

    #[test]
    fn a_page_has_one_address_per_language() {
        assert_eq!(Lang::Ar.translate_path("/search", Lang::En), "/en/search");
        assert_eq!(Lang::En.translate_path("/en/search", Lang::Ar), "/search");
        assert_eq!(Lang::Ar.translate_path("/", Lang::En), "/en/");
        assert_eq!(Lang::En.translate_path("/en/", Lang::Ar), "/");
        assert_eq!(Lang::En.translate_path("/en", Lang::Ar), "/");
    }

    #[test]
    fn arabic_prices_use_arabic_digits_and_separators() {
        let price = Decimal::new(1_234_550, 2);
        assert_eq!(Lang::Ar.price(price), "١٢٬٣٤٥٫٥٠ ر.س");
        assert_eq!(Lang::En.price(price), "SAR 12,345.50");
        assert_eq!(Lang::En.price(Decimal::new(45, 0)), "SAR 45.00");
        assert_eq!(Lang::En.price(Decimal::new(999, 0)), "SAR 999.00");
    }

    #[test]
    fn counts_are_grouped() {
        assert_eq!(Lang::En.count(1_234_567), "1,234,567");
        assert_eq!(Lang::En.count(12), "12");
        assert_eq!(Lang::Ar.count(2019), "٢٬٠١٩");
    }
}
