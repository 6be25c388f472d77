//! The `/metrics` endpoint: Prometheus' text format, with the index gauges read at
//! scrape time.
//!
//! Metrics tell an outsider a lot (routes, traffic, index size), so they are not for the
//! public: `metrics.bind` serves them on their own listener and nowhere else,
//! `metrics.token` makes every scrape present a bearer token, and with neither only a
//! development instance serves them on its public address.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::http::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::AppState;
use crate::http::credentials::bearer_token;
use crate::http::error::AppError;
use crate::platform::config::Settings;

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

/// Whether the public address serves `/metrics`: only when no listener of their own
/// is configured, and then with a token, or without one in development.
pub fn on_public_address(settings: &Settings) -> bool {
    settings.metrics.bind.is_none() && (settings.metrics.token.is_some() || !settings.env.is_production())
}

/// The `/metrics` route, behind the scrape token when one is configured.
pub fn routes(settings: &Settings) -> Router<AppState> {
    guarded(Router::new().route("/metrics", get(render)), settings)
}

/// The router of the metrics listener (`metrics.bind`): `/metrics` and nothing else.
pub fn router(state: AppState) -> Router {
    routes(&state.settings).fallback(|| async { AppError::NotFound("route") }).with_state(state)
}

/// The metrics listener of `cargoparts worker`: the job queue's depth, age and dead
/// letters, the jobs' outcomes and the messages sent, which only a process that runs
/// jobs records. It has no index to report on.
pub fn worker_router(settings: &Settings) -> Router {
    let recorder = crate::platform::telemetry::recorder();
    let render = get(move || {
        let text = recorder.render();
        async move { ([(CONTENT_TYPE, "text/plain; version=0.0.4")], text) }
    });
    guarded(Router::new().route("/metrics", render), settings).fallback(|| async { AppError::NotFound("route") })
}

/// `route` behind the scrape token when one is configured.
fn guarded<S: Clone + Send + Sync + 'static>(route: Router<S>, settings: &Settings) -> Router<S> {
    match &settings.metrics.token {
        Some(token) => route.route_layer(from_fn_with_state(ScrapeToken::of(token.expose_secret()), require_token)),
        None => route,
    }
}

/// The SHA-256 of the scrape token: comparing digests takes the same time whatever the
/// length or the content of what a client presents.
#[derive(Clone)]
struct ScrapeToken(Arc<[u8; 32]>);

impl ScrapeToken {
    fn of(token: &str) -> ScrapeToken {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        ScrapeToken(Arc::new(digest))
    }

    fn admits(&self, presented: &str) -> bool {
        let presented: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        presented.ct_eq(&self.0[..]).into()
    }
}

async fn require_token(State(token): State<ScrapeToken>, request: Request, next: Next) -> Response {
    if bearer_token(request.headers()).is_some_and(|presented| token.admits(presented)) {
        return next.run(request).await;
    }
    let mut response = AppError::Unauthorized("metrics need Authorization: Bearer <metrics.token>").into_response();
    response.headers_mut().insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_token_is_admitted() {
        let token = ScrapeToken::of("a-scrape-token-of-some-length");
        assert!(token.admits("a-scrape-token-of-some-length"));
        assert!(!token.admits("a-scrape-token-of-some-lengt"));
        assert!(!token.admits(""));
    }

    #[test]
    fn production_serves_metrics_publicly_only_behind_a_token() {
        let mut settings = Settings::load_from(None, |_| None).unwrap();
        assert!(on_public_address(&settings), "development keeps them where they were");
        settings.env = crate::platform::config::Environment::Production;
        assert!(!on_public_address(&settings));
        settings.metrics.token = Some("a-scrape-token-of-some-length".into());
        assert!(on_public_address(&settings));
        settings.metrics.bind = Some("127.0.0.1:9100".parse().unwrap());
        assert!(!on_public_address(&settings), "a listener of their own takes them off the public address");
    }
}
