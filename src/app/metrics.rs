//! The `/metrics` endpoint: Prometheus' text format, with the index gauges read at
//! scrape time.

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;

use super::AppState;

/// The metrics in Prometheus' text format. The index gauges (lag, documents, reindex
/// progress) and the search queue's are read at scrape time, so they are never staler
/// than the scrape.
pub async fn render(State(state): State<AppState>) -> impl IntoResponse {
    super::health::search_readiness(&state).await.record_metrics();
    state.search.queue().record_metrics();
    let reindex = state.search.reindex.status();
    metrics::gauge!("search_reindex_listings_total").set(reindex.listings_total as f64);
    metrics::gauge!("search_reindex_listings_indexed").set(reindex.listings_indexed as f64);
    ([(CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render())
}
