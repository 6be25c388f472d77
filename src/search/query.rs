//! From a shopper's request to tantivy queries.
//!
//! The query is first read for what it asks (see `cargoparts_analyzers::analyze_query`).
//! When it names a part and a car, the first plan requires both and ranks by model
//! year, condition and the remaining words: that set is exactly what the shopper asked
//! for, and small, so it is also fast. When a plan finds nothing, the next one relaxes
//! it: the car becomes a preference, then the part, then only the words are matched,
//! with typo tolerance for longer ones. A part-number query finds the listings carrying
//! the number first, then listings carrying numbers interchangeable with it.

use std::ops::Bound;

use cargoparts_analyzers::{JAPANESE_ANALYZER, QueryAnalysis, TEXT_ANALYZER, has_japanese, terms_by_position};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, FuzzyTermQuery, Occur, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Index, Term};

use super::schema::{Fields, VERIFIED, vehicle_term, year_term};

/// Weights of the structured signals. They are constant scores, large enough that a
/// listing matching what the shopper asked outranks one that only shares words.
const CATEGORY_WEIGHT: f32 = 20.0;
const MODEL_WEIGHT: f32 = 15.0;
const MAKE_WEIGHT: f32 = 6.0;
const YEAR_WEIGHT: f32 = 10.0;
const NEIGHBOUR_YEAR_WEIGHT: f32 = 1.0;
const CONDITION_WEIGHT: f32 = 6.0;
const CITY_WEIGHT: f32 = 1.0;
/// A verified seller's listing ranks above an otherwise equal one, and below any that
/// matches one more thing the shopper asked for.
const VERIFIED_WEIGHT: f32 = 0.5;
const PART_NUMBER_WEIGHT: f32 = 100.0;
const INTERCHANGE_WEIGHT: f32 = 30.0;
/// Words shorter than this are matched exactly: one edit would make them other words.
const FUZZY_MIN_CHARS: usize = 5;

/// Filters the shopper set explicitly (as parameters): they restrict, never rank.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub make: Option<String>,
    pub model: Option<String>,
    pub year: Option<u16>,
    pub categories: Vec<String>,
    pub conditions: Vec<String>,
    pub cities: Vec<String>,
    pub sellers: Vec<String>,
    /// Price bounds in halalas, inclusive.
    pub price_min: Option<u64>,
    pub price_max: Option<u64>,
    pub in_stock: bool,
    /// Only listings of verified sellers.
    pub verified: bool,
}

type Clause = (Occur, Box<dyn Query>);

fn term(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(Term::from_field_text(field, text), IndexRecordOption::Basic))
}

fn constant(query: Box<dyn Query>, weight: f32) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(query, weight))
}

fn any_of(field: Field, values: &[String]) -> Box<dyn Query> {
    if values.len() == 1 {
        return term(field, &values[0]);
    }
    Box::new(BooleanQuery::new(values.iter().map(|v| (Occur::Should, term(field, v))).collect()))
}

/// The restricting clauses of the explicit filters.
pub fn filter_clauses(fields: &Fields, filters: &Filters) -> Vec<Clause> {
    let mut clauses: Vec<Clause> = Vec::new();
    for (field, values) in [
        (fields.category, &filters.categories),
        (fields.condition, &filters.conditions),
        (fields.city, &filters.cities),
        (fields.seller, &filters.sellers),
    ] {
        if !values.is_empty() {
            clauses.push((Occur::Must, any_of(field, values)));
        }
    }
    let make = filters.make.as_deref();
    let model = filters.model.as_deref();
    match (make, filters.year) {
        (Some(make), Some(year)) => {
            clauses.push((Occur::Must, term(fields.vehicle_year, &year_term(Some(make), model, year))))
        }
        (Some(make), None) => clauses.push((Occur::Must, term(fields.vehicle, &vehicle_term(make, model)))),
        (None, Some(year)) => clauses.push((Occur::Must, term(fields.vehicle_year, &year_term(None, None, year)))),
        (None, None) => {}
    }
    if filters.price_min.is_some() || filters.price_max.is_some() {
        let lower =
            filters.price_min.map_or(Bound::Unbounded, |p| Bound::Included(Term::from_field_u64(fields.price, p)));
        let upper =
            filters.price_max.map_or(Bound::Unbounded, |p| Bound::Included(Term::from_field_u64(fields.price, p)));
        clauses.push((Occur::Must, Box::new(RangeQuery::new(lower, upper))));
    }
    if filters.verified {
        clauses.push((Occur::Must, term(fields.verified, VERIFIED)));
    }
    if filters.in_stock {
        let lower = Bound::Included(Term::from_field_u64(fields.quantity, 1));
        clauses.push((Occur::Must, Box::new(RangeQuery::new(lower, Bound::Unbounded))));
    }
    clauses
}

/// The slight preference for verified sellers; only ever beside a required clause, so
/// it ranks what matches and never matches by itself.
fn verified_preference(fields: &Fields) -> Clause {
    (Occur::Should, constant(term(fields.verified, VERIFIED), VERIFIED_WEIGHT))
}

/// Scored text matching of `words`: at each position one of its terms, in any text field.
pub fn text_query(index: &Index, fields: &Fields, words: &str, fuzzy: bool) -> Option<Box<dyn Query>> {
    let mut analyzer = index.tokenizers().get(TEXT_ANALYZER)?;
    let positions = terms_by_position(&mut analyzer, words);
    let japanese = japanese_words(index, words);
    if positions.is_empty() && japanese.is_empty() {
        return None;
    }
    let mut per_position: Vec<Clause> = Vec::new();
    for word in &japanese {
        let mut options: Vec<Clause> = Vec::new();
        for (field, weight) in [(fields.japanese_title, 1.0), (fields.japanese_description, 0.3)] {
            let query = TermQuery::new(Term::from_field_text(field, word), IndexRecordOption::WithFreqs);
            options.push((Occur::Should, Box::new(BoostQuery::new(Box::new(query), weight))));
        }
        per_position.push((Occur::Should, Box::new(BooleanQuery::new(options))));
    }
    for alternatives in positions {
        let mut options: Vec<Clause> = Vec::new();
        for text in &alternatives {
            for (field, weight) in [(fields.title, 1.0), (fields.title_ar, 0.8), (fields.description, 0.3)] {
                let query = TermQuery::new(Term::from_field_text(field, text), IndexRecordOption::WithFreqs);
                options.push((Occur::Should, Box::new(BoostQuery::new(Box::new(query), weight))));
            }
            if fuzzy && text.chars().count() >= FUZZY_MIN_CHARS && !text.chars().all(|c| c.is_ascii_digit()) {
                let fuzzy = FuzzyTermQuery::new(Term::from_field_text(fields.title, text), 1, true);
                options.push((Occur::Should, Box::new(BoostQuery::new(Box::new(fuzzy), 0.3))));
            }
        }
        per_position.push((Occur::Should, Box::new(BooleanQuery::new(options))));
    }
    Some(Box::new(BooleanQuery::new(per_position)))
}

/// The Japanese words of `text`, segmented as the index segments them; none without
/// Japanese in `text` or without a dictionary.
fn japanese_words(index: &Index, text: &str) -> Vec<String> {
    if !has_japanese(text) {
        return Vec::new();
    }
    let Some(mut analyzer) = index.tokenizers().get(JAPANESE_ANALYZER) else {
        return Vec::new();
    };
    terms_by_position(&mut analyzer, text).into_iter().flatten().collect()
}

/// The plans for a query, most precise first.
pub fn plans(
    index: &Index,
    fields: &Fields,
    raw: &str,
    analysis: &QueryAnalysis,
    filters: &Filters,
) -> Vec<Box<dyn Query>> {
    let filter = filter_clauses(fields, filters);
    let with_filters = |mut clauses: Vec<Clause>| -> Box<dyn Query> {
        clauses.extend(filter.iter().map(|(occur, q)| (*occur, q.box_clone())));
        if clauses.iter().all(|(occur, _)| *occur != Occur::Must && *occur != Occur::Should) || clauses.is_empty() {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        Box::new(BooleanQuery::new(clauses))
    };
    if raw.trim().is_empty() {
        return vec![with_filters(Vec::new())];
    }

    // The leftover words rank every plan alike: analyzed once, cloned into each.
    let word_query = text_query(index, fields, &analysis.words.join(" "), true);
    let preferences = |clauses: &mut Vec<Clause>| {
        if let Some(year) = analysis.year {
            let make = analysis.make.as_deref();
            let model = analysis.model.as_deref();
            let year_query = term(fields.vehicle_year, &year_term(make, model, year));
            clauses.push((Occur::Should, constant(year_query, YEAR_WEIGHT)));
            // A neighbouring model year is usually the same generation of the car: a
            // weaker hint than the year itself, above a part for a distant year.
            let neighbours: Vec<Box<dyn Query>> = [year.checked_sub(1), year.checked_add(1)]
                .into_iter()
                .flatten()
                .map(|y| term(fields.vehicle_year, &year_term(make, model, y)))
                .collect();
            clauses.push((Occur::Should, constant(Box::new(BooleanQuery::union(neighbours)), NEIGHBOUR_YEAR_WEIGHT)));
        }
        if let Some(condition) = &analysis.condition {
            clauses.push((Occur::Should, constant(term(fields.condition, condition), CONDITION_WEIGHT)));
        }
        if let Some(city) = &analysis.city {
            clauses.push((Occur::Should, constant(term(fields.city, city), CITY_WEIGHT)));
        }
        clauses.push(verified_preference(fields));
        if let Some(text) = &word_query {
            clauses.push((Occur::Should, text.box_clone()));
        }
    };
    let category = (!analysis.categories.is_empty()).then(|| any_of(fields.category, &analysis.categories));
    let vehicle = analysis.make.as_deref().map(|make| {
        let weight = if analysis.model.is_some() { MODEL_WEIGHT } else { MAKE_WEIGHT };
        (term(fields.vehicle, &vehicle_term(make, analysis.model.as_deref())), weight)
    });

    let mut out = Vec::new();
    if !analysis.part_numbers.is_empty() {
        let numbers: Vec<Clause> = analysis
            .part_numbers
            .iter()
            .map(|n| (Occur::Should, constant(term(fields.part_numbers, n), PART_NUMBER_WEIGHT)))
            .collect();
        let mut clauses: Vec<Clause> = vec![(Occur::Must, Box::new(BooleanQuery::new(numbers)))];
        if let Some(category) = &category {
            clauses.push((Occur::Should, constant(category.box_clone(), CATEGORY_WEIGHT)));
        }
        if let Some((vehicle, weight)) = &vehicle {
            clauses.push((Occur::Should, constant(vehicle.box_clone(), *weight)));
        }
        preferences(&mut clauses);
        out.push(with_filters(clauses));
    }
    if category.is_some() || vehicle.is_some() {
        // Everything understood is required.
        let mut strict: Vec<Clause> = Vec::new();
        if let Some(category) = &category {
            strict.push((Occur::Must, constant(category.box_clone(), CATEGORY_WEIGHT)));
        }
        if let Some((vehicle, weight)) = &vehicle {
            strict.push((Occur::Must, constant(vehicle.box_clone(), *weight)));
        }
        preferences(&mut strict);
        out.push(with_filters(strict));
        // The part is required, the car preferred.
        if let (Some(category), Some((vehicle, weight))) = (&category, &vehicle) {
            let mut clauses: Vec<Clause> = vec![
                (Occur::Must, constant(category.box_clone(), CATEGORY_WEIGHT)),
                (Occur::Should, constant(vehicle.box_clone(), *weight)),
            ];
            preferences(&mut clauses);
            out.push(with_filters(clauses));
        }
    }
    // Only the words: whatever the understanding made of them.
    if let Some(text) = text_query(index, fields, raw, true) {
        let mut clauses: Vec<Clause> = vec![(Occur::Must, text), verified_preference(fields)];
        if let Some(category) = &category {
            clauses.push((Occur::Should, constant(category.box_clone(), CATEGORY_WEIGHT)));
        }
        if let Some((vehicle, weight)) = &vehicle {
            clauses.push((Occur::Should, constant(vehicle.box_clone(), *weight)));
        }
        out.push(with_filters(clauses));
    }
    out
}

/// The query for listings interchangeable with those carrying `asked`: they carry
/// `asked` (first) or one of the `companions` numbers found on those listings.
pub fn interchange_query(
    fields: &Fields,
    asked: &[String],
    companions: &[String],
    filters: &Filters,
) -> Box<dyn Query> {
    let mut numbers: Vec<Clause> =
        asked.iter().map(|n| (Occur::Should, constant(term(fields.part_numbers, n), PART_NUMBER_WEIGHT))).collect();
    numbers.extend(
        companions.iter().map(|n| (Occur::Should, constant(term(fields.part_number_exact, n), INTERCHANGE_WEIGHT))),
    );
    let mut clauses: Vec<Clause> = vec![(Occur::Must, Box::new(BooleanQuery::new(numbers)))];
    clauses.extend(filter_clauses(fields, filters));
    Box::new(BooleanQuery::new(clauses))
}
