//! `GET /categories` and `GET /makes`.

use axum::extract::State;
use axum::response::IntoResponse;

use crate::catalog::taxonomy::{CategoryView, ListOf, MakeView, TaxonomyState};
use crate::http::json::cached_json;

/// The category taxonomy with Arabic and English names.
#[utoipa::path(get, path = "/categories", tag = "catalog",
    responses((status = 200, description = "All categories", body = ListOf<CategoryView>)))]
pub async fn categories(State(state): State<TaxonomyState>) -> impl IntoResponse {
    cached_json(&ListOf { data: state.categories() }, 3600)
}

/// Car makes and their models, in Arabic and English.
#[utoipa::path(get, path = "/makes", tag = "catalog",
    responses((status = 200, description = "All makes with their models", body = ListOf<MakeView>)))]
pub async fn makes(State(state): State<TaxonomyState>) -> impl IntoResponse {
    cached_json(&ListOf { data: state.makes() }, 3600)
}
