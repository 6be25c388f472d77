//! The inventory feed record: parsing and validation of one line.
//!
//! The same record comes through the import command and the sellers' sync API
//! (`shared/specs/inventory-feed.md`). A line is either accepted whole, as a
//! [`FeedChange`], or rejected whole with every failing field named: a listing is
//! never half written.

use std::str::FromStr;

use cargoparts_analyzers::Vocabulary;
use serde::Deserialize;
use serde_json::Value;
use validator::{Validate, ValidationError};

use super::cities::canonical_city;
use super::error::{FieldError, field_errors};
use super::fitment::model_year;
use super::sanitize::sanitize_html;
use crate::http::extract::duplicate_key;
use crate::platform::money::{Halalas, MoneyError};

/// A feed line as sent. Every field is optional here so that a missing one is
/// reported by name rather than as a parse error of the whole line.
#[derive(Debug, Deserialize, Validate)]
pub struct FeedRecord {
    #[validate(nested)]
    pub seller: Option<FeedSeller>,
    #[validate(required(message = "is required"), length(min = 1, max = 64), custom(function = single_line))]
    pub sku: Option<String>,
    #[validate(required(message = "is required"), length(min = 1, max = 300), custom(function = single_line))]
    pub title: Option<String>,
    #[validate(length(max = 300), custom(function = single_line))]
    pub title_ar: Option<String>,
    #[validate(length(max = 5000), custom(function = multi_line))]
    pub description: Option<String>,
    #[validate(required(message = "is required"), custom(function = known_category))]
    pub category: Option<String>,
    #[validate(length(max = 50, message = "at most 50 vehicles"), nested)]
    pub fitment: Option<Vec<FeedFitment>>,
    #[validate(length(max = 30, message = "at most 30 part numbers"), custom(function = part_numbers))]
    pub oem_numbers: Option<Vec<String>>,
    #[validate(length(min = 1, max = 100), custom(function = single_line))]
    pub brand: Option<String>,
    #[validate(required(message = "is required"), custom(function = known_condition))]
    pub condition: Option<String>,
    #[validate(required(message = "is required"), custom(function = price))]
    pub price_sar: Option<Value>,
    #[validate(
        required(message = "is required"),
        range(min = 0, max = 1_000_000, message = "must be between 0 and 1000000")
    )]
    pub quantity: Option<i64>,
    #[validate(required(message = "is required"), length(min = 1, max = 64), custom(function = single_line))]
    pub city: Option<String>,
    #[validate(length(max = 20, message = "at most 20 photos"), custom(function = photo_urls))]
    pub photos: Option<Vec<String>>,
    #[serde(default)]
    pub deleted: bool,
}

/// The seller a feed line belongs to (import only).
#[derive(Debug, Clone, Deserialize, serde::Serialize, Validate)]
pub struct FeedSeller {
    #[validate(length(min = 1, max = 64), custom(function = single_line))]
    pub external_id: String,
    #[validate(length(min = 1, max = 200), custom(function = single_line))]
    pub name: Option<String>,
    #[validate(length(min = 1, max = 64), custom(function = single_line))]
    pub city: Option<String>,
}

/// One vehicle a part fits, as sent.
#[derive(Debug, Clone, Deserialize, serde::Serialize, Validate)]
#[validate(schema(function = year_order))]
pub struct FeedFitment {
    #[validate(length(min = 1, max = 64), custom(function = single_line))]
    pub make: String,
    #[validate(length(min = 1, max = 64), custom(function = single_line))]
    pub model: String,
    #[validate(custom(function = model_year))]
    pub year_from: i64,
    #[validate(custom(function = model_year))]
    pub year_to: i64,
}

/// The seller named in a feed line, normalized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SellerInput {
    pub external_id: String,
    pub name: String,
    pub city: String,
}

/// A vehicle fitment, with make and model in their canonical spelling when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fitment {
    pub make: String,
    pub model: String,
    pub year_from: i16,
    pub year_to: i16,
}

/// A listing as it will be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ListingInput {
    pub sku: String,
    pub title: String,
    pub title_ar: Option<String>,
    pub description: String,
    pub category: String,
    pub fitment: Vec<Fitment>,
    pub oem_numbers: Vec<String>,
    pub brand: Option<String>,
    pub condition: String,
    pub price_sar: Halalas,
    pub quantity: i32,
    pub city: String,
    pub photos: Vec<String>,
}

/// What an accepted feed line asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedChange {
    Upsert { seller: Option<SellerInput>, listing: Box<ListingInput> },
    Delete { seller: Option<SellerInput>, sku: String },
}

impl FeedChange {
    pub fn sku(&self) -> &str {
        match self {
            FeedChange::Upsert { listing, .. } => &listing.sku,
            FeedChange::Delete { sku, .. } => sku,
        }
    }

    pub fn seller(&self) -> Option<&SellerInput> {
        match self {
            FeedChange::Upsert { seller, .. } | FeedChange::Delete { seller, .. } => seller.as_ref(),
        }
    }
}

/// Why a feed line was not applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineRejection {
    /// The SKU, when the line got far enough to have one.
    pub sku: Option<String>,
    pub errors: Vec<FieldError>,
}

impl LineRejection {
    /// A rejection of the whole line, before any field could be read.
    pub fn whole_line(reason: impl Into<String>) -> LineRejection {
        LineRejection { sku: None, errors: vec![FieldError::new("line", reason)] }
    }

    /// One report entry per failing field of line `line`.
    pub fn into_lines(self, line: u64) -> Vec<RejectedLine> {
        let sku = self.sku;
        self.errors
            .into_iter()
            .map(|e| RejectedLine { line, sku: sku.clone(), field: e.field, reason: e.reason })
            .collect()
    }
}

/// A rejected feed line as reported to the sender.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct RejectedLine {
    /// 1-based line number (or array position) in what was sent.
    pub line: u64,
    /// The line's SKU, when it could be read.
    pub sku: Option<String>,
    /// The failing field, e.g. `price_sar`, or `line` when the line as a whole is unreadable.
    pub field: String,
    /// Why it failed.
    pub reason: String,
}

impl RejectedLine {
    pub fn new(line: u64, sku: Option<String>, field: impl Into<String>, reason: impl Into<String>) -> RejectedLine {
        RejectedLine { line, sku, field: field.into(), reason: reason.into() }
    }
}

/// Parses and validates one feed line.
pub fn parse_line(bytes: &[u8]) -> Result<FeedChange, LineRejection> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| LineRejection::whole_line(format!("is not valid UTF-8 (byte {})", e.valid_up_to())))?;
    let value: Value =
        serde_json::from_str(text).map_err(|e| LineRejection::whole_line(format!("is not valid JSON: {e}")))?;
    // The one rule for every JSON body: a key given twice is refused, not last-wins.
    if let Ok(Some(field)) = duplicate_key(bytes) {
        let sku = value.get("sku").and_then(Value::as_str).map(str::to_string);
        return Err(LineRejection { sku, errors: vec![FieldError::new(field, "duplicate key")] });
    }
    parse_value(value)
}

/// Validates one feed record already parsed as JSON.
pub fn parse_value(value: Value) -> Result<FeedChange, LineRejection> {
    let sku_hint = value.get("sku").and_then(Value::as_str).map(str::to_string);
    if !value.is_object() {
        return Err(LineRejection::whole_line("must be a JSON object"));
    }
    let with_nul = nul_fields(&value);
    let checked = serde_path_to_error::deserialize(value)
        .map_err(|e| vec![FieldError::new(e.path().to_string(), e.inner().to_string())])
        .and_then(FeedRecord::into_change);
    match checked {
        Ok(change) if with_nul.is_empty() => Ok(change),
        Ok(_) => Err(LineRejection { sku: sku_hint, errors: with_nul }),
        Err(errors) => {
            // A field holding a NUL is named once, for its NUL.
            let others = errors.into_iter().filter(|e| !with_nul.iter().any(|n| n.field == e.field));
            Err(LineRejection { sku: sku_hint, errors: with_nul.iter().cloned().chain(others).collect() })
        }
    }
}

/// The fields of a record holding a NUL character, by path (`sku`, `photos[1]`,
/// `fitment[0].model`).
///
/// PostgreSQL text cannot store NUL, and no field has a use for one, so this one rule
/// covers every text field of the feed, the stored and the looked-up (a deletion's
/// SKU) alike, for the import and the sync API: such a record is refused on its own
/// instead of failing the write of its whole batch.
fn nul_fields(value: &Value) -> Vec<FieldError> {
    fn walk(value: &Value, path: &mut String, out: &mut Vec<FieldError>) {
        let len = path.len();
        match value {
            Value::String(text) if text.contains('\0') => {
                out.push(FieldError::new(path.clone(), "must not contain NUL characters"));
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    path.push_str(&format!("[{i}]"));
                    walk(item, path, out);
                    path.truncate(len);
                }
            }
            Value::Object(fields) => {
                for (name, item) in fields {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(name);
                    walk(item, path, out);
                    path.truncate(len);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(value, &mut String::new(), &mut out);
    out.sort_by(|a, b| a.field.cmp(&b.field));
    out
}

impl FeedRecord {
    /// Checks every rule and normalizes the record into a change.
    pub fn into_change(self) -> Result<FeedChange, Vec<FieldError>> {
        if self.deleted {
            return self.into_delete();
        }
        self.validate().map_err(|e| field_errors(&e))?;
        let vocab = Vocabulary::builtin();
        let seller = self.seller.map(normalize_seller).transpose()?;
        let price_sar = parse_price(self.price_sar.as_ref().expect("validated"))
            .map_err(|reason| vec![FieldError::new("price_sar", reason)])?;
        let listing = ListingInput {
            sku: self.sku.expect("validated").trim().to_string(),
            title: collapse_spaces(&self.title.expect("validated")),
            title_ar: self.title_ar.map(|t| collapse_spaces(&t)).filter(|t| !t.is_empty()),
            description: sanitize_html(self.description.as_deref().unwrap_or("").trim()),
            category: self.category.expect("validated").trim().to_ascii_lowercase(),
            fitment: self.fitment.unwrap_or_default().iter().map(|f| canonical_fitment(vocab, f)).collect(),
            oem_numbers: dedup_trimmed(self.oem_numbers.unwrap_or_default()),
            brand: self.brand.map(|b| collapse_spaces(&b)).filter(|b| !b.is_empty()),
            condition: self.condition.expect("validated").trim().to_ascii_lowercase(),
            price_sar,
            quantity: i32::try_from(self.quantity.expect("validated")).expect("range-checked"),
            city: canonical_city(self.city.as_deref().expect("validated")),
            photos: dedup_trimmed(self.photos.unwrap_or_default()),
        };
        Ok(FeedChange::Upsert { seller, listing: Box::new(listing) })
    }

    fn into_delete(self) -> Result<FeedChange, Vec<FieldError>> {
        let mut errors = Vec::new();
        let sku = match self.sku.as_deref().map(str::trim) {
            Some(sku) if !sku.is_empty() && sku.chars().count() <= 64 => sku.to_string(),
            Some(_) => {
                errors.push(FieldError::new("sku", "must be 1 to 64 characters"));
                String::new()
            }
            None => {
                errors.push(FieldError::new("sku", "is required"));
                String::new()
            }
        };
        let seller = match self.seller {
            Some(seller) => match seller.validate() {
                Ok(()) => Some(normalize_seller(seller)?),
                Err(e) => {
                    errors.extend(prefix_fields("seller", field_errors(&e)));
                    None
                }
            },
            None => None,
        };
        if errors.is_empty() { Ok(FeedChange::Delete { seller, sku }) } else { Err(errors) }
    }
}

fn normalize_seller(seller: FeedSeller) -> Result<SellerInput, Vec<FieldError>> {
    let external_id = seller.external_id.trim().to_string();
    if external_id.is_empty() {
        return Err(vec![FieldError::new("seller.external_id", "must not be blank")]);
    }
    Ok(SellerInput {
        name: seller.name.map(|n| collapse_spaces(&n)).filter(|n| !n.is_empty()).unwrap_or_else(|| external_id.clone()),
        city: seller.city.map(|c| canonical_city(&c)).unwrap_or_default(),
        external_id,
    })
}

fn prefix_fields(prefix: &str, errors: Vec<FieldError>) -> Vec<FieldError> {
    errors.into_iter().map(|e| FieldError::new(format!("{prefix}.{}", e.field), e.reason)).collect()
}

/// Parses a listing price: an amount in SAR as a decimal string (or, leniently, a
/// JSON number), more than zero and at most [`crate::platform::money::MAX_PRICE_SAR`].
pub fn parse_price(value: &Value) -> Result<Halalas, String> {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return Err("must be a decimal string such as \"45.00\"".into()),
    };
    match Halalas::parse_sar(&text) {
        Ok(price) if price > Halalas::ZERO => Ok(price),
        Ok(_) | Err(MoneyError::Negative) => Err("must be greater than 0".into()),
        Err(other) => Err(other.to_string()),
    }
}

/// Maps known spellings of a make and model to their canonical names; keeps others as sent.
fn canonical_fitment(vocab: &Vocabulary, fitment: &FeedFitment) -> Fitment {
    let make_text = collapse_spaces(&fitment.make);
    let model_text = collapse_spaces(&fitment.model);
    let make = vocab.makes().iter().find(|m| {
        m.name.eq_ignore_ascii_case(&make_text) || m.spellings.iter().any(|s| s.eq_ignore_ascii_case(&make_text))
    });
    let (make, model) = match make {
        Some(make) => {
            let model = make
                .model(&model_text)
                .or_else(|| {
                    make.models.iter().find(|m| m.spellings.iter().any(|s| s.eq_ignore_ascii_case(&model_text)))
                })
                .map(|m| m.name.clone())
                .unwrap_or(model_text);
            (make.name.clone(), model)
        }
        None => (make_text, model_text),
    };
    // Range-checked by validation, so the narrowing cannot fail.
    Fitment { make, model, year_from: fitment.year_from as i16, year_to: fitment.year_to as i16 }
}

fn collapse_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn dedup_trimmed(items: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        let item = item.trim().to_string();
        if !item.is_empty() && !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

fn has_forbidden_control(text: &str, allow_newlines: bool) -> bool {
    text.chars().any(|c| c.is_control() && !(allow_newlines && matches!(c, '\n' | '\t' | '\r')))
}

pub(crate) fn single_line(text: &str) -> Result<(), ValidationError> {
    if text.trim().is_empty() {
        return Err(ValidationError::new("blank").with_message("must not be blank".into()));
    }
    if has_forbidden_control(text, false) {
        return Err(ValidationError::new("control").with_message("must not contain control characters".into()));
    }
    Ok(())
}

fn multi_line(text: &str) -> Result<(), ValidationError> {
    if has_forbidden_control(text, true) {
        return Err(ValidationError::new("control").with_message("must not contain control characters".into()));
    }
    Ok(())
}

fn known_category(slug: &str) -> Result<(), ValidationError> {
    match Vocabulary::builtin().category(&slug.trim().to_ascii_lowercase()) {
        Some(_) => Ok(()),
        None => Err(ValidationError::new("unknown")
            .with_message(format!("unknown category \"{slug}\"; see GET /api/v1/categories").into())),
    }
}

fn known_condition(condition: &str) -> Result<(), ValidationError> {
    match Vocabulary::builtin().condition(&condition.trim().to_ascii_lowercase()) {
        Some(_) => Ok(()),
        None => Err(ValidationError::new("unknown").with_message("must be one of new, used, refurbished".into())),
    }
}

fn price(value: &Value) -> Result<(), ValidationError> {
    parse_price(value).map(|_| ()).map_err(|reason| ValidationError::new("price").with_message(reason.into()))
}

fn part_numbers(numbers: &[String]) -> Result<(), ValidationError> {
    for number in numbers {
        let length = number.trim().chars().count();
        if length == 0 || length > 64 || has_forbidden_control(number, false) {
            return Err(ValidationError::new("part_number")
                .with_message(format!("\"{number}\" must be 1 to 64 printable characters").into()));
        }
        if !number.chars().any(char::is_alphanumeric) {
            return Err(ValidationError::new("part_number")
                .with_message(format!("\"{number}\" has no letters or digits").into()));
        }
    }
    Ok(())
}

fn photo_urls(urls: &[String]) -> Result<(), ValidationError> {
    for raw in urls {
        let ok = raw.len() <= 2048
            && url::Url::parse(raw.trim()).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
        if !ok {
            return Err(ValidationError::new("url").with_message(format!("\"{raw}\" is not an http(s) URL").into()));
        }
    }
    Ok(())
}

fn year_order(fitment: &FeedFitment) -> Result<(), ValidationError> {
    if fitment.year_from > fitment.year_to {
        return Err(ValidationError::new("year_order").with_message("year_from must not be after year_to".into()));
    }
    Ok(())
}

impl FromStr for FeedChange {
    type Err = LineRejection;

    fn from_str(line: &str) -> Result<FeedChange, LineRejection> {
        parse_line(line.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn valid() -> Value {
        json!({
            "seller": {"external_id": "S0001", "name": "قطع غيار الراشد", "city": "Riyadh"},
            "sku": "S0001-000001",
            "title": "فلتر زيت تويوتا كامري 2018-2024",
            "description": "قطعة أصلية <script>alert(1)</script>",
            "category": "oil-filter",
            "fitment": [{"make": "toyota", "model": "camry", "year_from": 2018, "year_to": 2024}],
            "oem_numbers": ["04152-YZZA1", " 04152-YZZA1 "],
            "brand": "Toyota Genuine",
            "condition": "new",
            "price_sar": "45.50",
            "quantity": 12,
            "city": "riyadh",
            "photos": ["https://img.example.com/a.jpg"]
        })
    }

    fn rejected_fields(value: Value) -> Vec<String> {
        parse_value(value).unwrap_err().errors.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_valid_record_is_normalized() {
        let FeedChange::Upsert { seller, listing } = parse_value(valid()).unwrap() else { panic!("not an upsert") };
        assert_eq!(seller.unwrap().external_id, "S0001");
        assert_eq!(listing.fitment[0].make, "Toyota");
        assert_eq!(listing.fitment[0].model, "Camry");
        assert_eq!(listing.city, "Riyadh");
        assert_eq!(listing.oem_numbers, vec!["04152-YZZA1"]);
        assert_eq!(listing.price_sar, Halalas::new(4550));
        assert!(!listing.description.contains("script"));
    }

    #[test]
    fn a_missing_title_is_named() {
        let mut v = valid();
        v.as_object_mut().unwrap().remove("title");
        assert_eq!(rejected_fields(v), vec!["title"]);
    }

    #[test]
    fn negative_and_zero_prices_are_refused() {
        for bad in ["-3.00", "0", "0.00", "12.345", "abc", ""] {
            let mut v = valid();
            v["price_sar"] = json!(bad);
            assert_eq!(rejected_fields(v), vec!["price_sar"], "{bad}");
        }
    }

    #[test]
    fn prices_over_the_cap_or_finer_than_a_halala_are_refused_with_the_reason() {
        assert_eq!(parse_price(&json!("10000000.00")).unwrap(), Halalas::MAX_PRICE);
        assert_eq!(parse_price(&json!("10000000.01")).unwrap_err(), "must not exceed 10000000");
        assert_eq!(parse_price(&json!("12.345")).unwrap_err(), "must have at most 2 decimal places");
        assert_eq!(parse_price(&json!("-0.01")).unwrap_err(), "must be greater than 0");
        assert_eq!(parse_price(&json!(" 45 ")).unwrap().to_string(), "45.00");
    }

    #[test]
    fn fitment_years_outside_the_model_years_are_refused() {
        for (from, to) in [(1949, 2000), (2000, 2036)] {
            let mut v = valid();
            v["fitment"][0]["year_from"] = json!(from);
            v["fitment"][0]["year_to"] = json!(to);
            let err = parse_value(v).unwrap_err();
            assert_eq!(err.errors[0].reason, "must be between 1950 and 2035", "{from}-{to}");
        }
    }

    #[test]
    fn prices_may_be_numbers_or_strings_with_trailing_zeros() {
        assert_eq!(parse_price(&json!(45.5)).unwrap().to_string(), "45.50");
        assert_eq!(parse_price(&json!("45.500")).unwrap().to_string(), "45.50");
        assert!(parse_price(&json!(true)).is_err());
    }

    #[test]
    fn an_unknown_category_is_named_with_where_to_look() {
        let mut v = valid();
        v["category"] = json!("flux-capacitor");
        let err = parse_value(v).unwrap_err();
        assert_eq!(err.errors[0].field, "category");
        assert!(err.errors[0].reason.contains("/api/v1/categories"));
        assert_eq!(err.sku.as_deref(), Some("S0001-000001"));
    }

    #[test]
    fn a_wrong_type_names_the_nested_field() {
        let mut v = valid();
        v["fitment"][0]["year_from"] = json!("2018");
        assert_eq!(rejected_fields(v), vec!["fitment[0].year_from"]);
    }

    #[test]
    fn reversed_fitment_years_are_refused() {
        let mut v = valid();
        v["fitment"][0]["year_from"] = json!(2024);
        v["fitment"][0]["year_to"] = json!(2018);
        assert_eq!(rejected_fields(v), vec!["fitment[0].__all__"]);
    }

    #[test]
    fn several_bad_fields_are_all_reported() {
        let mut v = valid();
        v["quantity"] = json!(-1);
        v["condition"] = json!("broken");
        v["photos"] = json!(["javascript:alert(1)"]);
        assert_eq!(rejected_fields(v), vec!["condition", "photos", "quantity"]);
    }

    #[test]
    fn control_characters_in_titles_are_refused() {
        let mut v = valid();
        v["title"] = json!("filter\u{0000}x");
        assert_eq!(rejected_fields(v), vec!["title"]);
    }

    #[test]
    fn a_nul_anywhere_names_its_field() {
        let mut v = valid();
        v["photos"] = json!(["https://img.example.com/a.jpg", "https://img.example.com/\u{0000}.jpg"]);
        v["fitment"][0]["model"] = json!("Cam\u{0000}ry");
        v["title"] = json!("filter\u{0000}");
        v["price_sar"] = json!("-1");
        let err = parse_value(v).unwrap_err();
        let fields: Vec<&str> = err.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["fitment[0].model", "photos[1]", "title", "price_sar"]);
        assert_eq!(err.errors[0].reason, "must not contain NUL characters");
        assert_eq!(err.sku.as_deref(), Some("S0001-000001"));
    }

    #[test]
    fn a_deletion_with_a_nul_in_its_sku_is_refused() {
        let err = parse_line(br#"{"sku": "A-1\u0000", "deleted": true}"#).unwrap_err();
        assert_eq!(err.errors, vec![FieldError::new("sku", "must not contain NUL characters")]);
        let seller = parse_line(br#"{"seller": {"external_id": "S\u0000"}, "sku": "A-1", "deleted": true}"#);
        assert_eq!(seller.unwrap_err().errors[0].field, "seller.external_id");
    }

    #[test]
    fn a_delete_needs_only_the_sku() {
        let change = parse_line(br#"{"sku": "A-1", "deleted": true}"#).unwrap();
        assert_eq!(change, FeedChange::Delete { seller: None, sku: "A-1".into() });
        assert_eq!(parse_line(br#"{"deleted": true}"#).unwrap_err().errors[0].field, "sku");
    }

    #[test]
    fn malformed_lines_are_rejected_as_a_whole() {
        assert_eq!(parse_line(b"{\"sku\": ").unwrap_err().errors[0].field, "line");
        assert_eq!(parse_line(b"[1,2]").unwrap_err().errors[0].field, "line");
        assert_eq!(parse_line(b"{\"sku\": \"\xff\xfe\"}").unwrap_err().errors[0].field, "line");
    }

    #[test]
    fn unknown_makes_are_kept_as_sent() {
        let mut v = valid();
        v["fitment"][0]["make"] = json!("  Geely ");
        v["fitment"][0]["model"] = json!("Coolray");
        let FeedChange::Upsert { listing, .. } = parse_value(v).unwrap() else { panic!() };
        assert_eq!(listing.fitment[0].make, "Geely");
        assert_eq!(listing.fitment[0].model, "Coolray");
    }
}
