//! Invoices: the ones of an order, and one invoice as JSON or as a printable page.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use super::extract::Reader;
use crate::http::error::{AppError, ErrorEnvelope};
use crate::http::extract::AppPath;
use crate::orders::invoices::{self, InvoiceView};
use crate::orders::{OrderError, OrdersState, reading};

/// The invoices of an order, one per seller group, issued when the order was paid
/// (none before). The buyer and administrators see all; a seller sees its own.
#[utoipa::path(
    get,
    path = "/orders/{id}/invoices",
    tag = "invoices",
    security(("bearer_jwt" = []), ("seller_api_key" = [])),
    params(("id" = Uuid, Path, description = "The order's id")),
    responses(
        (status = 200, description = "The order's invoices", body = Vec<InvoiceView>),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 404, description = "No such order, or not the caller's", body = ErrorEnvelope)
    )
)]
pub async fn order_invoices(
    State(state): State<OrdersState>,
    Reader(viewer): Reader,
    AppPath(id): AppPath<Uuid>,
) -> Result<Json<Vec<InvoiceView>>, AppError> {
    if !reading::visible(&state, id, viewer).await? {
        return Err(OrderError::NotFound("order").into());
    }
    let records = invoices::of_order(&state, id).await?;
    let shown = records
        .iter()
        .filter(|r| invoices::readable_by(r, viewer.user_id, viewer.seller_id, viewer.admin))
        .map(invoices::view)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(shown))
}

/// One invoice. With `Accept: text/html` it is the printable simplified tax invoice,
/// Arabic first, with its ZATCA QR code drawn; otherwise JSON.
#[utoipa::path(
    get,
    path = "/invoices/{id}",
    tag = "invoices",
    security(("bearer_jwt" = []), ("seller_api_key" = [])),
    params(("id" = Uuid, Path, description = "The invoice's id")),
    responses(
        (status = 200, description = "The invoice", content(
            (InvoiceView = "application/json"),
            (String = "text/html")
        )),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 404, description = "No such invoice, or not the caller's", body = ErrorEnvelope)
    )
)]
pub async fn get_invoice(
    State(state): State<OrdersState>,
    Reader(viewer): Reader,
    AppPath(id): AppPath<Uuid>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let record = invoices::find(&state, id).await?.ok_or(OrderError::NotFound("invoice"))?;
    if !invoices::readable_by(&record, viewer.user_id, viewer.seller_id, viewer.admin) {
        return Err(OrderError::NotFound("invoice").into());
    }
    let invoice = invoices::view(&record)?;
    if !wants_html(&headers) {
        return Ok(Json(invoice).into_response());
    }
    let mut response = invoices::page(&invoice).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    // The page is self-contained: inline styles and an inline SVG, nothing to fetch.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'",
        ),
    );
    Ok(response)
}

/// Whether the client asks for HTML before JSON.
fn wants_html(headers: &HeaderMap) -> bool {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let html = accept.find("text/html");
    let json = accept.find("application/json");
    match (html, json) {
        (Some(h), Some(j)) => h < j,
        (Some(_), None) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_served_when_asked_for_first() {
        let with = |accept: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::ACCEPT, HeaderValue::from_str(accept).unwrap());
            wants_html(&headers)
        };
        assert!(with("text/html,application/xhtml+xml,*/*;q=0.8"));
        assert!(!with("application/json"));
        assert!(!with("application/json, text/html"));
        assert!(!with("*/*"));
        assert!(!wants_html(&HeaderMap::new()));
    }
}
