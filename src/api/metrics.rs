//! Prometheus metrics: request counts and latency by route and status.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};

use crate::startup::AppState;
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

const LATENCY_BUCKETS: &[f64] = &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// The process-wide recorder: metrics macros report to one global recorder, so every
/// application built in this process shares it.
pub fn recorder() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
                .expect("bucket list is not empty")
                .build_recorder();
            let handle = recorder.handle();
            // A recorder installed by someone else (a test harness) keeps working; this
            // handle then simply renders nothing.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// Records every request under its route template, so `/listings/{id}` is one series.
pub async fn track(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let method = request.method().to_string();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(started.elapsed().as_secs_f64());
    response
}

/// The metrics in Prometheus' text format. The index gauges (lag, documents, reindex
/// progress) are read at scrape time, so they are never staler than the scrape.
pub async fn render(State(state): State<AppState>) -> impl IntoResponse {
    super::health::search_readiness(&state).await.record_metrics();
    let reindex = state.search.reindex.status();
    metrics::gauge!("search_reindex_listings_total").set(reindex.listings_total as f64);
    metrics::gauge!("search_reindex_listings_indexed").set(reindex.listings_indexed as f64);
    ([(CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render())
}
