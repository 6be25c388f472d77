//! From a listing in PostgreSQL to the document the index holds.

use crate::catalog::fitment::{MODEL_YEAR_MAX, MODEL_YEAR_MIN};
use std::collections::BTreeSet;

use cargoparts_analyzers::{analyze_query, compact, extract_part_numbers, has_japanese, normalize};
use rust_decimal::Decimal;
use serde::Serialize;
use tantivy::TantivyDocument;
use uuid::Uuid;

use super::schema::{Fields, VERIFIED, vehicle_term, year_term};
use crate::catalog::listings::{FitmentView, ListingView, SellerSummary};

/// What a search result shows of a listing; stored in the index as JSON.
#[derive(Debug, Serialize)]
pub struct SearchHit<'a> {
    pub id: Uuid,
    pub sku: &'a str,
    pub seller: &'a SellerSummary,
    pub title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title_ar: Option<&'a str>,
    pub category: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub brand: Option<&'a str>,
    pub condition: &'a str,
    pub price_sar: Decimal,
    pub quantity: i32,
    pub city: &'a str,
    pub fitment: &'a [FitmentView],
    pub oem_numbers: &'a [String],
    pub photo: Option<&'a str>,
}

/// Model years a title may name.
const YEARS: std::ops::RangeInclusive<u16> = MODEL_YEAR_MIN as u16..=MODEL_YEAR_MAX as u16;

/// The cars a listing fits: its structured fitment, or, when the seller left that
/// empty, what its title names (make, model and the years written there).
pub fn effective_fitment(listing: &ListingView) -> Vec<FitmentView> {
    if !listing.fitment.is_empty() {
        return listing.fitment.clone();
    }
    let text = match &listing.title_ar {
        Some(ar) => format!("{} {ar}", listing.title),
        None => listing.title.clone(),
    };
    let understood = analyze_query(&text);
    let (Some(make), model) = (understood.make, understood.model) else {
        return Vec::new();
    };
    let years = years_in(&text);
    let (year_from, year_to) = match (years.first(), years.last()) {
        (Some(&from), Some(&to)) => (from as i16, to as i16),
        // No year written: the part is offered for the model, whatever its year.
        _ => (0, 0),
    };
    vec![FitmentView { make, model: model.unwrap_or_default(), year_from, year_to }]
}

/// Every model year written in `text`, in any digits, sorted.
fn years_in(text: &str) -> Vec<u16> {
    let normalized = normalize(text);
    let mut years: Vec<u16> = normalized
        .split(|c: char| !c.is_ascii_digit())
        .filter(|run| run.len() == 4)
        .filter_map(|run| run.parse().ok())
        .filter(|y| YEARS.contains(y))
        .collect();
    years.sort_unstable();
    years.dedup();
    years
}

/// Price in halalas, for the fast field.
fn halalas(price: Decimal) -> u64 {
    crate::platform::money::Halalas::from_decimal(price).and_then(|h| u64::try_from(h.get()).ok()).unwrap_or(0)
}

/// Builds the index document of a listing.
pub fn to_document(fields: &Fields, listing: &ListingView) -> TantivyDocument {
    let mut doc = TantivyDocument::new();
    doc.add_text(fields.id, listing.id.to_string());
    doc.add_text(fields.title, &listing.title);
    if let Some(title_ar) = &listing.title_ar {
        doc.add_text(fields.title_ar, title_ar);
    }
    doc.add_text(fields.description, &listing.description);
    // Detected per field: a Japanese title over an English description, say.
    for title in [Some(&listing.title), listing.title_ar.as_ref()].into_iter().flatten().filter(|t| has_japanese(t)) {
        doc.add_text(fields.japanese_title, title);
    }
    if has_japanese(&listing.description) {
        doc.add_text(fields.japanese_description, &listing.description);
    }

    let mut numbers: BTreeSet<String> = BTreeSet::new();
    for typed in &listing.oem_numbers {
        doc.add_text(fields.part_numbers, typed);
        numbers.insert(compact(typed));
    }
    for found in extract_part_numbers(&listing.title).into_iter().chain(extract_part_numbers(&listing.description)) {
        if numbers.insert(found.clone()) {
            doc.add_text(fields.part_numbers, &found);
        }
    }
    for number in numbers.iter().filter(|n| !n.is_empty()) {
        doc.add_text(fields.part_number_exact, number);
    }

    doc.add_text(fields.category, &listing.category);
    doc.add_text(fields.condition, &listing.condition);
    doc.add_text(fields.city, &listing.city);
    doc.add_text(fields.seller, listing.seller.id.to_string());
    if listing.seller.verified {
        doc.add_text(fields.verified, VERIFIED);
    }

    let fitment = effective_fitment(listing);
    let mut vehicles = BTreeSet::new();
    let mut vehicle_years = BTreeSet::new();
    for f in &fitment {
        let model = Some(f.model.as_str()).filter(|m| !m.is_empty());
        doc.add_text(fields.make, &f.make);
        if let Some(model) = model {
            doc.add_text(fields.model, model);
        }
        vehicles.insert(vehicle_term(&f.make, None));
        if model.is_some() {
            vehicles.insert(vehicle_term(&f.make, model));
        }
        if f.year_from > 0 {
            doc.add_i64(fields.year_from, i64::from(f.year_from));
            doc.add_i64(fields.year_to, i64::from(f.year_to));
            for year in f.year_from.max(MODEL_YEAR_MIN) as u16..=f.year_to.min(MODEL_YEAR_MAX) as u16 {
                vehicle_years.insert(year_term(Some(&f.make), model, year));
                vehicle_years.insert(year_term(Some(&f.make), None, year));
                vehicle_years.insert(year_term(None, None, year));
            }
        }
    }
    for term in vehicles {
        doc.add_text(fields.vehicle, term);
    }
    for term in vehicle_years {
        doc.add_text(fields.vehicle_year, term);
    }

    doc.add_u64(fields.price, halalas(listing.price_sar));
    doc.add_u64(fields.quantity, listing.quantity.max(0) as u64);
    doc.add_i64(fields.created_at, listing.created_at.timestamp());
    doc.add_u64(fields.tiebreak, tiebreak(&listing.id));

    doc.add_text(fields.view, view_json(listing));
    doc
}

/// The stored result view of a listing, as JSON. `index verify` compares these.
pub fn view_json(listing: &ListingView) -> String {
    let hit = SearchHit {
        id: listing.id,
        sku: &listing.sku,
        seller: &listing.seller,
        title: &listing.title,
        title_ar: listing.title_ar.as_deref(),
        category: &listing.category,
        brand: listing.brand.as_deref(),
        condition: &listing.condition,
        price_sar: listing.price_sar,
        quantity: listing.quantity,
        city: &listing.city,
        fitment: &listing.fitment,
        oem_numbers: &listing.oem_numbers,
        photo: listing.card_photo(),
    };
    serde_json::to_string(&hit).expect("a hit serializes")
}

/// The tie-breaking key of a listing: the random low half of its UUIDv7 id.
pub fn tiebreak(id: &uuid::Uuid) -> u64 {
    id.as_u64_pair().1
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn listing(title: &str, fitment: Vec<FitmentView>) -> ListingView {
        ListingView {
            id: Uuid::nil(),
            sku: "S1-1".into(),
            seller: SellerSummary { id: Uuid::nil(), name: "x".into(), city: "Riyadh".into(), verified: false },
            title: title.into(),
            title_ar: None,
            description: String::new(),
            category: "oil-filter".into(),
            brand: None,
            condition: "new".into(),
            price_sar: Decimal::new(4550, 2),
            quantity: 3,
            city: "Riyadh".into(),
            photos: vec![],
            images: vec![],
            oem_numbers: vec!["04152-YZZA1".into()],
            fitment,
            status: "active".into(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn structured_fitment_is_taken_as_given() {
        let given = vec![FitmentView { make: "Toyota".into(), model: "Camry".into(), year_from: 2018, year_to: 2024 }];
        assert_eq!(effective_fitment(&listing("anything", given.clone())), given);
    }

    #[test]
    fn fitment_named_only_in_the_title_is_read_from_it() {
        let inferred = effective_fitment(&listing("فلتر زيت تويوتا كامرى من ٢٠١٨ إلى ٢٠٢٤", vec![]));
        assert_eq!(
            inferred,
            vec![FitmentView { make: "Toyota".into(), model: "Camry".into(), year_from: 2018, year_to: 2024 }]
        );
    }

    #[test]
    fn a_title_naming_no_car_gives_no_fitment() {
        assert!(effective_fitment(&listing("فلتر زيت اصلي", vec![])).is_empty());
    }

    #[test]
    fn prices_become_whole_halalas() {
        assert_eq!(halalas(Decimal::new(4550, 2)), 4550);
        assert_eq!(halalas(Decimal::new(999_999_999, 2)), 999_999_999);
    }
}
