//! Searches as the pages run them: the same parameters, validation and search
//! service as the API, with failures turned into pages a person can read.

use axum::http::StatusCode;
use axum::response::Response;
use cargoparts_analyzers::QueryAnalysis;

use super::cards::{self, Card};
use super::form::FormQuery;
use super::layout;
use super::locale::Lang;
use crate::http::error::{AppError, FieldError};
use crate::http::extract::parse_query;
use crate::platform::i18n::{Locale, translate};
use crate::search::facets::FacetCounts;
use crate::search::service::SearchService;
use crate::search::{MAX_RESULT_WINDOW, SearchParams};

/// A page of results, read for display.
pub struct Found {
    pub cards: Vec<Card>,
    pub total: u64,
    pub facets: FacetCounts,
    pub understood: QueryAnalysis,
    pub page: u32,
    /// The last page that can be reached.
    pub last_page: u64,
}

/// Why a page of results cannot be shown.
pub enum Problem {
    /// A choice the shopper (or a hand-edited address) sent is not valid.
    Invalid(Vec<FieldError>),
    /// Too many searches are waiting.
    Busy,
    Failed,
}

impl Problem {
    pub fn page(&self, lang: Lang, here: &str) -> Response {
        let t = lang.texts();
        match self {
            Problem::Invalid(fields) => {
                let locale = if lang == Lang::Ar { Locale::Ar } else { Locale::En };
                let message = fields
                    .iter()
                    .map(|f| format!("{}: {}", f.field, translate(&f.reason, locale)))
                    .collect::<Vec<_>>()
                    .join("؛ ");
                layout::problem(lang, StatusCode::BAD_REQUEST, t.bad_request_title, &message, here)
            }
            Problem::Busy => layout::problem(lang, StatusCode::SERVICE_UNAVAILABLE, t.busy_title, t.busy, here),
            Problem::Failed => layout::problem(lang, StatusCode::INTERNAL_SERVER_ERROR, t.error_title, t.error, here),
        }
    }
}

impl From<AppError> for Problem {
    fn from(error: AppError) -> Problem {
        match error {
            AppError::Validation(fields) => Problem::Invalid(fields),
            other => {
                tracing::error!(error = %other, "a page's search could not be prepared");
                Problem::Failed
            }
        }
    }
}

/// The search parameters of a page's query string.
pub fn params(form: &FormQuery) -> Result<SearchParams, Problem> {
    Ok(parse_query::<SearchParams>(&form.encoded())?)
}

/// Runs the search and reads its hits.
pub async fn run(search: &SearchService, params: SearchParams) -> Result<Found, Problem> {
    let request = params.into_request()?;
    let page = request.page;
    let outcome = search.search(request).await.map_err(|error| match error {
        error if error.retry_after().is_some() => Problem::Busy,
        error => {
            tracing::error!(%error, "a page's search failed");
            Problem::Failed
        }
    })?;
    metrics::histogram!("search_took_seconds").record(outcome.took_ms / 1000.0);
    let limit = u64::from(page.limit.max(1));
    Ok(Found {
        cards: cards::read(&outcome.hits),
        total: outcome.total,
        facets: outcome.facets,
        understood: outcome.understood,
        page: page.page,
        last_page: outcome.total.div_ceil(limit).min(MAX_RESULT_WINDOW / limit),
    })
}
