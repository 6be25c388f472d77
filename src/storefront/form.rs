//! A page's query string as the ordered pairs a GET form sends, for reading the
//! shopper's choices and writing the links that change one of them (a page, a
//! dropped filter) while keeping the rest.

use crate::platform::phone::fold_digit;

/// Fields typed as numbers: read in any digits (٥٠ is 50).
const NUMERIC: [&str; 4] = ["price_min", "price_max", "year", "page"];

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormQuery {
    pairs: Vec<(String, String)>,
}

impl FormQuery {
    /// The pairs of `raw`, without those a form sends empty (a price left blank).
    pub fn parse(raw: &str) -> FormQuery {
        let pairs = url::form_urlencoded::parse(raw.as_bytes())
            .map(|(key, value)| {
                let value = value.trim();
                let value = if NUMERIC.contains(&key.as_ref()) {
                    value.chars().map(|c| if c == '\u{066B}' { '.' } else { fold_digit(c) }).collect()
                } else {
                    value.to_string()
                };
                (key.into_owned(), value)
            })
            .filter(|(_, value)| !value.is_empty())
            .collect();
        FormQuery { pairs }
    }

    pub fn encoded(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&self.pairs).finish()
    }

    pub fn first(&self, key: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    pub fn values<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs.iter().filter(move |(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    pub fn has(&self, key: &str) -> bool {
        self.first(key).is_some()
    }

    /// These pairs with `key` set to `value` alone.
    pub fn with(&self, key: &str, value: &str) -> FormQuery {
        let mut next = self.without(key);
        next.pairs.push((key.to_string(), value.to_string()));
        next
    }

    /// These pairs without `key`.
    pub fn without(&self, key: &str) -> FormQuery {
        FormQuery { pairs: self.pairs.iter().filter(|(k, _)| k != key).cloned().collect() }
    }

    /// A link to `path` with these pairs.
    pub fn href(&self, path: &str) -> String {
        if self.pairs.is_empty() { path.to_string() } else { format!("{path}?{}", self.encoded()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_fields_are_dropped_and_numbers_read_in_any_digits() {
        let form =
            FormQuery::parse("q=%D9%81%D9%84%D8%AA%D8%B1&price_min=&price_max=%D9%A5%D9%A0&category=a&category=b");
        assert_eq!(form.first("q"), Some("فلتر"));
        assert!(!form.has("price_min"));
        assert_eq!(form.first("price_max"), Some("50"));
        assert_eq!(form.values("category").collect::<Vec<_>>(), ["a", "b"]);
    }

    #[test]
    fn links_change_one_choice_and_keep_the_rest() {
        let form = FormQuery::parse("q=oil&category=a&category=b&page=3");
        assert_eq!(form.with("page", "4").href("/search"), "/search?q=oil&category=a&category=b&page=4");
        assert_eq!(form.without("category").without("page").href("/search"), "/search?q=oil");
        assert_eq!(FormQuery::default().href("/search"), "/search");
    }
}
