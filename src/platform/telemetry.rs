//! Structured logging (readable on a terminal, JSON for log collectors), the
//! Prometheus recorder, the per-request metrics and the database statements' metrics.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::writer::MakeWriterExt;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use super::config::{LogFormat, LogSettings};

/// Installs the global subscriber; logs go to stderr so command output stays clean.
/// The log shows what `log.filter` lets through; the statements' metrics hear every
/// statement whatever the filter says.
pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_new(&settings.filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let writer = std::io::stderr.with_max_level(tracing::Level::TRACE);
    let log = match settings.format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_writer(writer)
            .boxed(),
        LogFormat::Pretty => tracing_subscriber::fmt::layer().with_writer(writer).boxed(),
    };
    let result =
        tracing_subscriber::registry().with(log.with_filter(filter)).with(StatementMetrics::layer()).try_init();
    // A second call (tests building several apps) keeps the first subscriber.
    drop(result);
}

/// Counts the database's statements and times them (`db_queries_total`,
/// `db_query_duration_seconds`, by the statement's verb), from the event sqlx emits at
/// the end of each statement (target `sqlx::query`, debug), which carries its time
/// from start to the last row read. Listening at debug for that one target alone keeps
/// every other debug event disabled.
struct StatementMetrics;

impl StatementMetrics {
    fn layer<S: Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>>() -> impl Layer<S> {
        StatementMetrics.with_filter(Targets::new().with_target("sqlx::query", Level::DEBUG))
    }
}

impl<S: Subscriber> Layer<S> for StatementMetrics {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut statement = Statement::default();
        event.record(&mut statement);
        if let Some(seconds) = statement.seconds {
            metrics::counter!("db_queries_total", "statement" => statement.verb).increment(1);
            metrics::histogram!("db_query_duration_seconds", "statement" => statement.verb).record(seconds);
        }
    }
}

/// What a statement's event says of it.
#[derive(Default)]
struct Statement {
    verb: &'static str,
    seconds: Option<f64>,
}

impl Statement {
    /// The statement's first word, as a label of a handful of values.
    fn verb_of(summary: &str) -> &'static str {
        let first = summary.split_whitespace().next().unwrap_or("");
        ["select", "insert", "update", "delete", "with", "begin", "commit", "rollback", "savepoint", "release"]
            .into_iter()
            .find(|verb| first.eq_ignore_ascii_case(verb))
            .unwrap_or("other")
    }
}

impl Visit for Statement {
    fn record_f64(&mut self, field: &Field, value: f64) {
        if field.name() == "elapsed_secs" {
            self.seconds = Some(value);
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "summary" {
            self.verb = Statement::verb_of(value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "summary" {
            self.verb = Statement::verb_of(&format!("{value:?}").replace('"', ""));
        }
    }
}

/// Request latency buckets; 0.2 s and 0.05 s are the plan's API and database targets,
/// so their percentiles are read off a bucket edge rather than interpolated.
const LATENCY_BUCKETS: &[f64] =
    &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

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
    let elapsed = started.elapsed().as_secs_f64();
    // The plan's KPIs by name: every API request and its latency, by status class
    // only, beside the detailed series by route.
    let class = status_class(response.status().as_u16());
    metrics::counter!("api_requests_total", "status" => class).increment(1);
    metrics::histogram!("api_latency_seconds", "status" => class).record(elapsed);
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(elapsed);
    response
}

/// `2xx` … `5xx`.
fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_are_counted_and_timed_by_their_verb() {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
            .unwrap()
            .build_recorder();
        let handle = recorder.handle();
        let subscriber = tracing_subscriber::registry().with(StatementMetrics::layer());
        metrics::with_local_recorder(&recorder, || {
            tracing::subscriber::with_default(subscriber, || {
                // What sqlx emits at the end of a statement.
                let summary = "SELECT id, title FROM …".to_string();
                tracing::debug!(target: "sqlx::query", summary, rows_returned = 3, elapsed_secs = 0.004);
                tracing::debug!(target: "sqlx::query", summary = "update listings set", elapsed_secs = 0.001);
                // Anything else, even at debug, is not a statement.
                tracing::debug!(target: "cargoparts::orders", elapsed_secs = 9.0);
                tracing::info!(target: "sqlx::query", "no time, no statement");
            });
        });
        let text = handle.render();
        assert!(text.contains(r#"db_queries_total{statement="select"} 1"#), "{text}");
        assert!(text.contains(r#"db_queries_total{statement="update"} 1"#), "{text}");
        assert!(text.contains(r#"db_query_duration_seconds_bucket{statement="select",le="0.005"} 1"#), "{text}");
        assert!(!text.contains("statement=\"other\""), "{text}");
    }

    #[test]
    fn statuses_fall_in_their_class() {
        assert_eq!((status_class(200), status_class(404), status_class(503)), ("2xx", "4xx", "5xx"));
    }
}
