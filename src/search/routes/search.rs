//! `GET /api/v1/search` and `GET /api/v1/search/suggest`.

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use cargoparts_analyzers::{QueryAnalysis, Vocabulary, analyze_query, compact, normalize};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use crate::catalog::canonical_city;
use crate::catalog::fitment::{MODEL_YEAR_MAX, MODEL_YEAR_MIN};
use crate::http::error::{AppError, ErrorEnvelope, FieldError};
use crate::http::extract::AppQuery;
use crate::platform::money::Halalas;
use crate::platform::pagination::{PageMeta, PageParams};
use crate::search::error::SearchError;
use crate::search::query::Filters;
use crate::search::service::{SearchRequest, SearchService, Sort};

/// The catalog's model-year bounds, in the type of the `year` parameter.
const YEAR_MIN: u16 = MODEL_YEAR_MIN as u16;
const YEAR_MAX: u16 = MODEL_YEAR_MAX as u16;

/// Longest query searched; longer input (a pasted description) is cut, not refused.
const MAX_QUERY_CHARS: usize = 256;
/// Deepest result reachable by paging.
pub const MAX_RESULT_WINDOW: u64 = 10_000;

/// Search parameters (see the search API spec).
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[validate(schema(function = coherent_params))]
pub struct SearchParams {
    /// Free text: Arabic, English or mixed, any spelling, part numbers in any format.
    #[serde(default)]
    pub q: String,
    /// The shopper's car: make (any spelling).
    pub make: Option<String>,
    /// The shopper's car: model.
    pub model: Option<String>,
    /// The shopper's car: model year.
    #[validate(range(min = YEAR_MIN, max = YEAR_MAX, message = "must be a model year between 1950 and 2035"))]
    pub year: Option<u16>,
    /// Category slugs; repeatable.
    #[serde(default)]
    #[validate(custom(function = known_categories))]
    pub category: Vec<String>,
    /// `new`, `used`, `refurbished`; repeatable.
    #[serde(default)]
    #[validate(custom(function = known_conditions))]
    pub condition: Vec<String>,
    /// Cities; repeatable.
    #[serde(default)]
    pub city: Vec<String>,
    /// Seller ids; repeatable.
    #[serde(default)]
    #[validate(custom(function = seller_ids))]
    pub seller: Vec<String>,
    /// Lowest price in SAR.
    #[validate(custom(function = price_bound))]
    pub price_min: Option<String>,
    /// Highest price in SAR.
    #[validate(custom(function = price_bound))]
    pub price_max: Option<String>,
    /// `true` hides listings out of stock.
    #[serde(default)]
    pub in_stock: bool,
    /// `true` shows only listings of verified sellers.
    #[serde(default)]
    pub verified: bool,
    /// `relevance` (default), `price_asc`, `price_desc`, `newest`.
    #[validate(custom(function = sort_name))]
    pub sort: Option<String>,
    /// 1-based page.
    #[serde(default = "crate::platform::pagination::first_page")]
    #[validate(range(min = 1, max = crate::platform::pagination::MAX_PAGE, message = "must be between 1 and 10000"))]
    pub page: u32,
    /// Results per page, 1–100.
    #[serde(default = "crate::platform::pagination::default_limit")]
    #[validate(range(min = 1, max = crate::platform::pagination::MAX_LIMIT, message = "must be between 1 and 100"))]
    pub limit: u32,
}

fn known_categories(values: &[String]) -> Result<(), ValidationError> {
    match values.iter().find(|v| Vocabulary::builtin().category(v).is_none()) {
        Some(bad) => Err(ValidationError::new("unknown")
            .with_message(format!("unknown category \"{bad}\"; see GET /api/v1/categories").into())),
        None => Ok(()),
    }
}

fn known_conditions(values: &[String]) -> Result<(), ValidationError> {
    match values.iter().find(|v| Vocabulary::builtin().condition(v).is_none()) {
        Some(_) => Err(ValidationError::new("unknown").with_message("must be new, used or refurbished".into())),
        None => Ok(()),
    }
}

fn seller_ids(values: &[String]) -> Result<(), ValidationError> {
    match values.iter().find(|v| uuid::Uuid::parse_str(v).is_err()) {
        Some(_) => Err(ValidationError::new("uuid").with_message("must be seller ids (UUIDs)".into())),
        None => Ok(()),
    }
}

/// A price bound: an amount in SAR, as listing prices are written, 0 or more.
fn parse_sar(text: &str) -> Option<Halalas> {
    Halalas::parse_sar(text).ok()
}

fn price_bound(text: &str) -> Result<(), ValidationError> {
    match Halalas::parse_sar(text) {
        Ok(_) => Ok(()),
        Err(e) => Err(ValidationError::new("price").with_message(e.to_string().into())),
    }
}

fn sort_name(sort: &str) -> Result<(), ValidationError> {
    match sort {
        "relevance" | "price_asc" | "price_desc" | "newest" => Ok(()),
        _ => {
            Err(ValidationError::new("sort").with_message("must be relevance, price_asc, price_desc or newest".into()))
        }
    }
}

fn coherent_params(params: &SearchParams) -> Result<(), ValidationError> {
    if let (Some(min), Some(max)) =
        (params.price_min.as_deref().and_then(parse_sar), params.price_max.as_deref().and_then(parse_sar))
        && min > max
    {
        return Err(ValidationError::new("price_range").with_message("price_min must not exceed price_max".into()));
    }
    Ok(())
}

fn halalas(text: Option<&str>) -> Option<u64> {
    text.and_then(parse_sar).and_then(|price| u64::try_from(price.get()).ok())
}

/// Reads a "my garage" car in any spelling into canonical names.
fn canonical_car(make: Option<&str>, model: Option<&str>) -> (Option<String>, Option<String>) {
    let text = [make, model].into_iter().flatten().collect::<Vec<_>>().join(" ");
    if text.trim().is_empty() {
        return (None, None);
    }
    let understood = analyze_query(&text);
    let make = understood.make.or_else(|| make.map(|m| m.trim().to_string()));
    let model = if model.is_some() { understood.model.or_else(|| model.map(|m| m.trim().to_string())) } else { None };
    (make, model)
}

impl SearchParams {
    pub fn into_request(self) -> Result<SearchRequest, AppError> {
        let page = PageParams { page: self.page, limit: self.limit };
        if u64::from(self.page) * u64::from(self.limit) > MAX_RESULT_WINDOW {
            return Err(AppError::Validation(vec![FieldError::new(
                "page",
                format!("results beyond the first {MAX_RESULT_WINDOW} cannot be paged to; narrow the search"),
            )]));
        }
        let (make, model) = canonical_car(self.make.as_deref(), self.model.as_deref());
        let filters = Filters {
            make,
            model,
            year: self.year,
            categories: self.category,
            conditions: self.condition,
            cities: self.city.iter().map(|c| canonical_city(c)).collect(),
            sellers: self.seller.iter().map(|s| s.to_lowercase()).collect(),
            price_min: halalas(self.price_min.as_deref()),
            price_max: halalas(self.price_max.as_deref()),
            in_stock: self.in_stock,
            verified: self.verified,
        };
        let sort = match self.sort.as_deref() {
            Some("price_asc") => Sort::PriceAsc,
            Some("price_desc") => Sort::PriceDesc,
            Some("newest") => Sort::Newest,
            _ => Sort::Relevance,
        };
        let q: String = self.q.chars().take(MAX_QUERY_CHARS).collect();
        Ok(SearchRequest { q, filters, sort, page })
    }
}

/// Pagination metadata plus the time the search took inside the service.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchMeta {
    #[serde(flatten)]
    pub page: PageMeta,
    /// Milliseconds spent searching, measured in the service.
    pub took_ms: f64,
}

/// What the service understood of the query, returned so clients can show it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Understood {
    pub categories: Vec<String>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub year: Option<u16>,
    pub condition: Option<String>,
    pub part_numbers: Vec<String>,
}

impl From<QueryAnalysis> for Understood {
    fn from(a: QueryAnalysis) -> Understood {
        Understood {
            categories: a.categories,
            make: a.make,
            model: a.model,
            year: a.year,
            condition: a.condition,
            part_numbers: a.part_numbers,
        }
    }
}

/// A page of search results with facet counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResponse {
    /// Matching listings: id, sku, seller, title, category, condition, price_sar, quantity, city, fitment, oem_numbers, photo.
    #[schema(value_type = Vec<Object>)]
    pub data: Vec<Box<RawValue>>,
    pub meta: SearchMeta,
    /// Counts per value of category, make, condition and city over every match.
    #[schema(value_type = Object)]
    pub facets: BTreeMap<&'static str, BTreeMap<String, u64>>,
    /// What the query was read as.
    pub query: Understood,
}

/// Searches and browses listings.
#[utoipa::path(
    get,
    path = "/search",
    tag = "search",
    params(SearchParams),
    responses(
        (status = 200, description = "A page of results", body = SearchResponse),
        (status = 400, description = "A parameter is invalid; the field is named", body = ErrorEnvelope),
        (status = 503, description = "Too many searches are waiting (`SERVICE_UNAVAILABLE`); retry after `Retry-After` seconds",
            body = ErrorEnvelope,
            headers(("Retry-After" = u64, description = "Seconds to wait before retrying")))
    )
)]
pub async fn search(
    State(service): State<SearchService>,
    AppQuery(params): AppQuery<SearchParams>,
) -> Result<Json<SearchResponse>, SearchFailure> {
    let request = params.into_request()?;
    let page = request.page;
    let outcome = service.search(request).await?;
    metrics::histogram!("search_took_seconds").record(outcome.took_ms / 1000.0);
    Ok(Json(SearchResponse {
        data: outcome.hits,
        meta: SearchMeta { page: PageMeta::new(page, outcome.total), took_ms: outcome.took_ms },
        facets: outcome.facets,
        query: outcome.understood.into(),
    }))
}

/// A failed search as the API answers it: the envelope, and `Retry-After` when the
/// search was refused for load and may be tried again.
pub struct SearchFailure {
    error: AppError,
    retry_after: Option<Duration>,
}

impl From<AppError> for SearchFailure {
    fn from(error: AppError) -> SearchFailure {
        SearchFailure { error, retry_after: None }
    }
}

impl From<SearchError> for SearchFailure {
    fn from(error: SearchError) -> SearchFailure {
        let retry_after = error.retry_after();
        SearchFailure { error: error.into(), retry_after }
    }
}

impl IntoResponse for SearchFailure {
    fn into_response(self) -> Response {
        let mut response = self.error.into_response();
        if let Some(after) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, after.as_secs().max(1).into());
        }
        response
    }
}

/// Completion parameters.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SuggestParams {
    /// What the shopper has typed so far.
    #[serde(default)]
    #[validate(length(max = 100, message = "at most 100 characters"))]
    pub q: String,
    /// Suggestions wanted, 1–20.
    #[serde(default = "default_suggestions")]
    #[validate(range(min = 1, max = 20, message = "must be between 1 and 20"))]
    pub limit: usize,
}

fn default_suggestions() -> usize {
    8
}

/// One completion.
#[derive(Debug, Serialize, ToSchema, PartialEq, Eq)]
pub struct Suggestion {
    /// Text to show and search for.
    pub text: String,
    /// `category`, `make`, `model` or `part_number`.
    pub kind: &'static str,
    /// The category slug or canonical car name it stands for.
    pub value: String,
}

/// Completions for a query being typed.
#[derive(Debug, Serialize, ToSchema)]
pub struct Suggestions {
    pub data: Vec<Suggestion>,
}

/// An entry of the completion dictionary.
struct Completion {
    normalized: String,
    text: String,
    kind: &'static str,
    value: String,
    arabic: bool,
}

/// Every part and car name of the vocabulary, normalized once.
static COMPLETIONS: LazyLock<Vec<Completion>> = LazyLock::new(|| {
    let vocabulary = Vocabulary::builtin();
    let mut out = Vec::new();
    let mut push = |text: &str, kind: &'static str, value: &str| {
        out.push(Completion {
            normalized: normalize(text),
            text: text.to_string(),
            kind,
            value: value.to_string(),
            arabic: text.chars().any(is_arabic),
        })
    };
    for category in vocabulary.categories() {
        push(&category.name_ar, "category", &category.slug);
        push(&category.name_en.to_lowercase(), "category", &category.slug);
        for term in &category.terms {
            push(term, "category", &category.slug);
        }
    }
    for make in vocabulary.makes() {
        push(&make.name, "make", &make.name);
        push(&make.name_ar, "make", &make.name);
        for model in &make.models {
            let value = format!("{} {}", make.name, model.name);
            push(&model.name, "model", &value);
            push(&model.name_ar, "model", &value);
            for spelling in model.spellings.iter().filter(|s| s.chars().count() > 2) {
                push(spelling, "model", &value);
            }
        }
    }
    out.sort_by(|a, b| a.normalized.len().cmp(&b.normalized.len()).then(a.normalized.cmp(&b.normalized)));
    out
});

fn is_arabic(c: char) -> bool {
    matches!(c, '\u{0600}'..='\u{06FF}' | '\u{0750}'..='\u{077F}' | '\u{FB50}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFF}')
}

/// Completions as the shopper types: part and car names in the script typed, and
/// part numbers starting with what was typed.
#[utoipa::path(
    get,
    path = "/search/suggest",
    tag = "search",
    params(SuggestParams),
    responses(
        (status = 200, description = "Completions", body = Suggestions),
        (status = 400, description = "A parameter is invalid", body = ErrorEnvelope)
    )
)]
pub async fn suggest(
    State(service): State<SearchService>,
    AppQuery(params): AppQuery<SuggestParams>,
) -> Result<Json<Suggestions>, AppError> {
    let typed = normalize(&params.q);
    if typed.trim().is_empty() {
        return Ok(Json(Suggestions { data: Vec::new() }));
    }
    let arabic = params.q.chars().any(is_arabic);
    let mut data: Vec<Suggestion> = Vec::new();
    for entry in COMPLETIONS.iter().filter(|c| c.arabic == arabic && c.normalized.starts_with(typed.as_str())) {
        if data.len() == params.limit {
            break;
        }
        if !data.iter().any(|s| s.value == entry.value && s.kind == entry.kind) {
            data.push(Suggestion { text: entry.text.clone(), kind: entry.kind, value: entry.value.clone() });
        }
    }
    let prefix = compact(&params.q);
    if data.len() < params.limit && prefix.len() >= 3 && prefix.bytes().any(|b| b.is_ascii_digit()) {
        let numbers = service.part_numbers_with_prefix(prefix, params.limit - data.len()).await?;
        data.extend(numbers.into_iter().map(|n| Suggestion { text: n.to_uppercase(), kind: "part_number", value: n }));
    }
    Ok(Json(Suggestions { data }))
}
