//! The whole HTTP surface: every module's routes mounted under `/api/v1`, each under
//! its rate-limit class, then the layers every request passes (request id, language,
//! tracing, security headers, CORS, compression, the error envelope, timeout).

use std::time::Duration;

use axum::error_handling::HandleErrorLayer;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method, Request, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{BoxError, Extension, Json, Router};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_scalar::{Scalar, Servable};

use super::{AppState, health, metrics, openapi};
use crate::http::error::AppError;
use crate::http::extract::BodyLimit;
use crate::http::rate_limit::{self as rate_limit, RouteClass, limited};
use crate::platform::config::Settings;
use crate::platform::error_reports;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const API_VERSION: HeaderName = HeaderName::from_static("x-api-version");

/// The whole HTTP surface of the service.
pub fn router(state: AppState) -> Router {
    let settings = state.settings.clone();
    let reporting = settings.sentry.dsn.is_some();
    let limits = &state.rate_limits;
    let (api, openapi) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .nest(
            "/api/v1",
            limited(
                crate::catalog::routes(settings.http.inventory_body_limit_bytes, settings.media.max_upload_bytes)
                    .merge(crate::search::routes()),
                limits,
                RouteClass::Api,
            ),
        )
        // Merged before nesting: both serve `/me` (GET and PATCH, DELETE), and nesting
        // would keep one module's operations of a path, merging keeps both.
        .nest("/api/v1", crate::auth::routes(limits).merge(crate::privacy::routes(limits)))
        .nest("/api/v1", limited(crate::search::admin_routes(), limits, RouteClass::Api))
        .nest("/api/v1", limited(crate::orders::routes(), limits, RouteClass::Api))
        .nest("/api/v1", limited(crate::payments::routes(), limits, RouteClass::Api))
        .nest("/api/v1", limited(crate::compliance::routes(), limits, RouteClass::Api))
        .nest("/api/v1", limited(crate::blocklist::routes(), limits, RouteClass::Api))
        .nest("/api/v1", limited(crate::kyc::routes(settings.media.max_upload_bytes), limits, RouteClass::Api))
        .routes(routes!(health::health))
        .routes(routes!(health::ready))
        .split_for_parts();
    let openapi = with_error_default(openapi);
    let document = openapi.clone();
    // Photo files: not rate limited (a page of results fetches dozens), and cached
    // for good by browsers and any CDN in front.
    let mut app = Router::new()
        .merge(api)
        .merge(crate::catalog::media_routes())
        .merge(crate::auth::page_routes(limits))
        .merge(crate::storefront::routes(limits));
    if state.payments.sandbox.is_some() {
        // A development provider's page: not part of the API's contract.
        app = app.nest("/api/v1", crate::payments::sandbox_routes());
    }
    let mut app = app
        .route("/api/v1/openapi.json", get(move || async move { Json(document) }))
        .merge(Scalar::with_url("/api/docs", openapi).title("CargoParts API"));
    if metrics::on_public_address(&settings) {
        app = app.merge(metrics::routes(&settings));
    }
    app.fallback(|| async { AppError::NotFound("route") })
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
        .layer(axum::middleware::from_fn(crate::platform::telemetry::track))
        .layer(DefaultBodyLimit::max(settings.http.body_limit_bytes))
        .layer(Extension(BodyLimit(settings.http.body_limit_bytes)))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                // Outside every layer that can answer an error (panics, timeouts, plain
                // text put in the envelope), so all of them answer in the asked language.
                .layer(axum::middleware::from_fn(crate::http::locale::negotiate))
                // Error reports, when on: a hub per request, the request's method, URL and
                // safe headers on its events, and its id as a tag. Off, they cost nothing.
                .option_layer(reporting.then(|| {
                    sentry::integrations::tower::SentryLayer::new(
                        error_reports::request_hub::<Request<axum::body::Body>> as fn(&Request<axum::body::Body>) -> _,
                    )
                }))
                .option_layer(reporting.then(sentry::integrations::tower::SentryHttpLayer::new))
                .option_layer(reporting.then(|| axum::middleware::from_fn(tag_request)))
                // Blocked clients are refused before they cost anything more.
                .layer(axum::middleware::from_fn_with_state(state.clone(), crate::blocklist::enforce))
                .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                    let request_id = request.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("");
                    tracing::info_span!("request", method = %request.method(), uri = %request.uri().path(), request_id)
                }))
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(CatchPanicLayer::custom(|_| panic_response()))
                .layer(SetResponseHeaderLayer::overriding(API_VERSION, HeaderValue::from_static("v1")))
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ))
                .layer(crate::platform::headers::security_headers())
                .layer(cors(&settings))
                .layer(CompressionLayer::new())
                .layer(axum::middleware::map_response(envelope_plain_errors))
                .layer(HandleErrorLayer::new(timeout_response))
                .layer(RequestDecompressionLayer::new())
                .timeout(settings.request_timeout()),
        )
        .with_state(state)
}

/// Files any error report of the request under its id.
async fn tag_request(request: Request<axum::body::Body>, next: axum::middleware::Next) -> Response {
    if let Some(id) = request.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()) {
        error_reports::tag_request(id);
    }
    next.run(request).await
}

fn cors(settings: &Settings) -> CorsLayer {
    let origins = &settings.http.cors_origins;
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT_LANGUAGE])
        .expose_headers([
            REQUEST_ID,
            API_VERSION,
            rate_limit::LIMIT,
            rate_limit::REMAINING,
            rate_limit::RESET,
            header::RETRY_AFTER,
        ])
        .max_age(Duration::from_secs(3600))
}

/// Puts every error answer that is not JSON into the envelope: rejections of axum's
/// own extractors (a path parameter that is not UTF-8), of tower-http's layers (an
/// unsupported `Content-Encoding`), anything a handler answered in plain text. JSON
/// answers are left alone: they are the envelope already, or a documented body
/// (readiness' 503); so are HTML pages, which a person reads (the reset page's
/// "this link has expired").
async fn envelope_plain_errors(response: Response) -> Response {
    let status = response.status();
    let documented = is_json(response.headers()) || is_html(response.headers());
    if !(status.is_client_error() || status.is_server_error()) || documented {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let text = text.trim();
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("request failed").to_lowercase()
    } else {
        text.chars().take(300).collect()
    };
    let mut enveloped = AppError::Protocol { status, message }.into_response();
    for (name, value) in &parts.headers {
        if !matches!(*name, header::CONTENT_TYPE | header::CONTENT_LENGTH | header::CONTENT_ENCODING) {
            enveloped.headers_mut().append(name, value.clone());
        }
    }
    enveloped
}

fn is_html(headers: &axum::http::HeaderMap) -> bool {
    headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"))
}

fn is_json(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.contains("+json"))
}

/// Documents that every operation may also answer with the envelope, under any status
/// its own responses do not list (413, 414, 431, 503 …), so generated clients can read
/// every error.
fn with_error_default(mut openapi: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let default = ResponseBuilder::new()
        .description("An error, in the envelope")
        .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorEnvelope"))).build())
        .build();
    for item in openapi.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
            &mut item.head,
            &mut item.options,
        ];
        for operation in operations.into_iter().flatten() {
            operation.responses.responses.entry("default".to_string()).or_insert_with(|| default.clone().into());
        }
    }
    openapi
}

async fn timeout_response(err: BoxError) -> AppError {
    if err.is::<tower::timeout::error::Elapsed>() {
        AppError::Timeout
    } else {
        AppError::Internal(anyhow::anyhow!("middleware error: {err}"))
    }
}

fn panic_response() -> Response {
    tracing::error!("handler panicked");
    // The panic hook has reported the panic itself, with its message and backtrace;
    // the answer is built from the envelope alone, not reported a second time.
    let envelope = AppError::Internal(anyhow::anyhow!("handler panicked")).envelope();
    (axum::http::StatusCode::INTERNAL_SERVER_ERROR, Json(envelope)).into_response()
}
