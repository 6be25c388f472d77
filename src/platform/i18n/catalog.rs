//! The Arabic of what the service says, keyed by the English the code writes.
//!
//! `ar.toml` maps each English message to its Arabic. A message that carries values
//! is written with named holes (`must be between {min} and {max}`): the English side
//! matches the message as built, the Arabic side places what each hole caught. A
//! caught value that is itself in the catalog (`order` in `{what} not found`) is
//! translated too; one that is not (a field name, a number, what the client sent) is
//! kept as it is, isolated when it is Latin so it keeps its own direction inside
//! the Arabic sentence.
//!
//! Exact entries are found by hashing; templates are tried most specific first (the
//! most fixed text), so `the flag is {state} already` wins over `{what} not found`
//! where both could match. A message with no entry is answered in English and
//! counted, never lost.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

use super::Locale;
use crate::platform::text::isolate;

static ARABIC: LazyLock<Catalog> =
    LazyLock::new(|| Catalog::parse(include_str!("ar.toml")).expect("the Arabic catalog is well formed"));

/// `english` in `locale`: itself in English, its catalog entry in Arabic.
pub fn translate(english: &str, locale: Locale) -> Cow<'_, str> {
    match locale {
        Locale::En => Cow::Borrowed(english),
        Locale::Ar => match ARABIC.find(english) {
            Some(arabic) => Cow::Owned(arabic),
            None => {
                metrics::counter!("messages_untranslated_total", "locale" => "ar").increment(1);
                tracing::debug!(message = english, "no Arabic for a message");
                Cow::Borrowed(english)
            }
        },
    }
}

/// Whether the catalog has the Arabic of `english`, as written or through a template.
pub fn has_arabic(english: &str) -> bool {
    ARABIC.find(english).is_some()
}

/// A piece of a message: fixed text or a named hole.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Text(String),
    Hole(String),
}

#[derive(Debug)]
struct Template {
    english: Vec<Segment>,
    arabic: Vec<Segment>,
    /// How much fixed text the English has: the more, the more specific.
    fixed: usize,
}

#[derive(Debug)]
struct Catalog {
    exact: HashMap<String, String>,
    templates: Vec<Template>,
}

impl Catalog {
    fn parse(source: &str) -> Result<Catalog, String> {
        let table: toml::Table = source.parse().map_err(|e| format!("ar.toml: {e}"))?;
        let mut exact = HashMap::new();
        let mut templates = Vec::new();
        for (english, arabic) in table {
            let arabic = arabic.as_str().ok_or_else(|| format!("{english:?}: the Arabic must be a string"))?;
            if arabic.trim().is_empty() {
                return Err(format!("{english:?}: the Arabic is empty"));
            }
            let english_segments = segments(&english)?;
            let arabic_segments = segments(arabic)?;
            if !english_segments.iter().any(|s| matches!(s, Segment::Hole(_))) {
                if arabic_segments.iter().any(|s| matches!(s, Segment::Hole(_))) {
                    return Err(format!("{english:?}: the Arabic has a hole the English lacks"));
                }
                exact.insert(english, arabic.to_string());
                continue;
            }
            if english_segments.windows(2).any(|w| matches!(w, [Segment::Hole(_), Segment::Hole(_)])) {
                return Err(format!("{english:?}: two holes side by side cannot be told apart"));
            }
            let mut english_holes = holes(&english_segments);
            let mut arabic_holes = holes(&arabic_segments);
            english_holes.sort();
            arabic_holes.sort();
            if english_holes != arabic_holes {
                return Err(format!("{english:?}: the Arabic's holes {arabic_holes:?} are not the English's"));
            }
            let fixed = english_segments
                .iter()
                .map(|s| match s {
                    Segment::Text(text) => text.chars().count(),
                    Segment::Hole(_) => 0,
                })
                .sum();
            templates.push(Template { english: english_segments, arabic: arabic_segments, fixed });
        }
        templates.sort_by_key(|template| std::cmp::Reverse(template.fixed));
        Ok(Catalog { exact, templates })
    }

    fn find(&self, english: &str) -> Option<String> {
        if let Some(arabic) = self.exact.get(english) {
            return Some(arabic.clone());
        }
        self.templates.iter().find_map(|template| {
            let mut caught = Vec::new();
            if !catch(&template.english, english, &mut caught) {
                return None;
            }
            let mut out = String::new();
            for segment in &template.arabic {
                match segment {
                    Segment::Text(text) => out.push_str(text),
                    Segment::Hole(name) => {
                        let value = caught.iter().find(|(hole, _)| hole == name).map(|(_, value)| *value).unwrap_or("");
                        out.push_str(&self.value_in_arabic(value));
                    }
                }
            }
            Some(out)
        })
    }

    /// A value a hole caught: its own entry when it has one, else as sent.
    fn value_in_arabic(&self, value: &str) -> String {
        match self.exact.get(value) {
            Some(arabic) => arabic.clone(),
            None if value.chars().any(|c| c.is_ascii_alphabetic()) => isolate(value),
            None => value.to_string(),
        }
    }
}

fn holes(segments: &[Segment]) -> Vec<&str> {
    segments
        .iter()
        .filter_map(|s| match s {
            Segment::Hole(name) => Some(name.as_str()),
            Segment::Text(_) => None,
        })
        .collect()
}

/// Splits a message at its holes: `{name}`, the name letters, digits and `_`.
fn segments(text: &str) -> Result<Vec<Segment>, String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}').ok_or_else(|| format!("{text:?}: a hole is not closed"))? + open;
        let name = &rest[open + 1..close];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("{text:?}: {name:?} is not a hole's name"));
        }
        if open > 0 {
            out.push(Segment::Text(rest[..open].to_string()));
        }
        out.push(Segment::Hole(name.to_string()));
        rest = &rest[close + 1..];
    }
    if !rest.is_empty() {
        out.push(Segment::Text(rest.to_string()));
    }
    Ok(out)
}

/// Matches `text` against `pattern`, each hole catching at least one character; a
/// hole followed by text catches up to the first place the rest matches.
fn catch<'t>(pattern: &[Segment], text: &'t str, caught: &mut Vec<(String, &'t str)>) -> bool {
    match pattern {
        [] => text.is_empty(),
        [Segment::Text(fixed), rest @ ..] => {
            text.strip_prefix(fixed.as_str()).is_some_and(|tail| catch(rest, tail, caught))
        }
        [Segment::Hole(name)] => {
            if text.is_empty() {
                return false;
            }
            caught.push((name.clone(), text));
            true
        }
        [Segment::Hole(name), rest @ ..] => {
            let Some(Segment::Text(next)) = rest.first() else {
                return false;
            };
            let mut from = text.chars().next().map_or(text.len(), char::len_utf8);
            while let Some(found) = text.get(from..).and_then(|tail| tail.find(next.as_str())) {
                let at = from + found;
                let mark = caught.len();
                caught.push((name.clone(), &text[..at]));
                if catch(rest, &text[at..], caught) {
                    return true;
                }
                caught.truncate(mark);
                from = at + text[at..].chars().next().map_or(1, char::len_utf8);
            }
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog(source: &str) -> Catalog {
        Catalog::parse(source).unwrap()
    }

    #[test]
    fn the_arabic_catalog_is_well_formed() {
        let catalog = &*ARABIC;
        assert!(catalog.exact.len() + catalog.templates.len() > 100);
    }

    #[test]
    fn exact_messages_and_templates_are_translated() {
        let c = catalog(
            r#"
            "order" = "الطلب"
            "{what} not found" = "لم يُعثر على {what}"
            "must be between {min} and {max}" = "يجب أن يكون بين {min} و{max}"
            "the flag is {state} already" = "البلاغ {state} من قبل"
            "#,
        );
        assert_eq!(c.find("must be between 1 and 100").unwrap(), "يجب أن يكون بين 1 و100");
        assert_eq!(c.find("order not found").unwrap(), "لم يُعثر على الطلب");
        assert_eq!(c.find("widget not found").unwrap(), "لم يُعثر على \u{2068}widget\u{2069}");
        // The more specific template wins, whatever the file's order.
        assert_eq!(c.find("the flag is open already").unwrap(), "البلاغ \u{2068}open\u{2069} من قبل");
        assert_eq!(c.find("something else"), None);
        assert_eq!(c.find("must be between  and 3"), None, "a hole catches at least one character");
    }

    #[test]
    fn a_hole_catches_up_to_where_the_rest_matches() {
        let c = catalog(r#""cannot {action} an order that is {state}" = "لا يمكن {action} طلب حالته {state}""#);
        assert_eq!(
            c.find("cannot ship an order that is an order that is odd").unwrap(),
            "لا يمكن \u{2068}ship\u{2069} طلب حالته \u{2068}an order that is odd\u{2069}"
        );
    }

    #[test]
    fn malformed_catalogs_are_refused() {
        assert!(Catalog::parse(r#""a {x}" = "ب {y}""#).is_err(), "holes differ");
        assert!(Catalog::parse(r#""a {x}{y}" = "ب {x}{y}""#).is_err(), "holes side by side");
        assert!(Catalog::parse(r#""a" = "ب {x}""#).is_err(), "a hole from nowhere");
        assert!(Catalog::parse(r#""a {x" = "ب""#).is_err(), "an open hole");
        assert!(Catalog::parse(r#""a" = """#).is_err(), "empty Arabic");
        assert!(Catalog::parse(r#""a" = 1"#).is_err(), "not text");
    }

    #[test]
    fn english_is_answered_as_written() {
        assert_eq!(translate("must be a UUID", Locale::En), "must be a UUID");
        assert_eq!(translate("no such message in any catalog", Locale::Ar), "no such message in any catalog");
    }
}
