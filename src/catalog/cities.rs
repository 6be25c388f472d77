//! City names: the one spelling a city is stored under and filtered by.
//!
//! Sellers and shoppers write a city in either script, with or without the article,
//! with any alef or taa marbuta, in any case ("الرياض", "رياض", "RIYADH", "riyad").
//! The feed stores, and the search filter asks for, what [`canonical_city`] makes of
//! them, so the two always meet.

use std::collections::HashMap;
use std::sync::LazyLock;

use cargoparts_analyzers::{Vocabulary, normalize};

/// Every known way of writing a city, in its matching form, to the city's name.
static CITIES: LazyLock<HashMap<String, &'static str>> = LazyLock::new(|| {
    let mut cities = HashMap::new();
    for city in Vocabulary::builtin().cities() {
        for spelling in [&city.name, &city.name_ar].into_iter().chain(&city.spellings) {
            cities.entry(matching_form(spelling)).or_insert(city.name.as_str());
        }
    }
    cities
});

/// The form two spellings are compared in: normalized (script variants, digits,
/// case), with single spaces.
fn matching_form(text: &str) -> String {
    collapse_spaces(&normalize(text))
}

fn collapse_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The city's canonical (English) name when the vocabulary knows it; otherwise the
/// text as written, with single spaces.
pub fn canonical_city(city: &str) -> String {
    match CITIES.get(&matching_form(city)) {
        Some(name) => (*name).to_string(),
        None => collapse_spaces(city),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::feed::{FeedChange, parse_value};

    /// Ways sellers and shoppers write cities, with the name each stands for.
    const WRITTEN: &[(&str, &str)] = &[
        ("Riyadh", "Riyadh"),
        ("  RIYADH ", "Riyadh"),
        ("riyad", "Riyadh"),
        ("الرياض", "Riyadh"),
        ("رياض", "Riyadh"),
        ("جدة", "Jeddah"),
        ("جده", "Jeddah"),
        ("jedda", "Jeddah"),
        ("Jiddah", "Jeddah"),
        ("مكة  المكرمة", "Makkah"),
        ("Mecca", "Makkah"),
        ("المدينة", "Madinah"),
        ("المدينه", "Madinah"),
        ("al   khobar", "Khobar"),
        ("الطائف", "Taif"),
        ("الطايف", "Taif"),
        ("ابها", "Abha"),
        ("أبها", "Abha"),
        ("  Al  Qunfudhah ", "Al Qunfudhah"),
    ];

    #[test]
    fn every_spelling_of_a_city_has_one_name() {
        for (written, name) in WRITTEN {
            assert_eq!(canonical_city(written), *name, "{written:?}");
        }
    }

    #[test]
    fn the_feed_stores_what_the_search_filter_asks_for() {
        // The search filter reads `city` through `canonical_city`; a listing's city is
        // whatever the feed made of it. They must be the same text.
        for (written, name) in WRITTEN {
            let record = serde_json::json!({
                "seller": {"external_id": "S1", "city": written},
                "sku": "A-1", "title": "فلتر زيت", "category": "oil-filter", "condition": "new",
                "price_sar": "45.00", "quantity": 1, "city": written,
            });
            let FeedChange::Upsert { seller, listing } = parse_value(record).unwrap() else { panic!("not an upsert") };
            assert_eq!(listing.city, canonical_city(written), "{written:?}");
            assert_eq!(listing.city, *name, "{written:?}");
            assert_eq!(seller.unwrap().city, *name, "{written:?}");
        }
    }
}
