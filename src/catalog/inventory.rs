//! The sellers' inventory sync API: bulk upserts, price/stock/status edits, deletions.
//!
//! Every handler is scoped to the seller of the API key: a SKU is looked up only
//! among that seller's listings, so another seller's SKU is simply not found.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header::CONTENT_TYPE};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::Row;
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use super::api_keys::SellerAuth;
use super::feed::{FeedChange, RejectedLine, parse_line, parse_price, parse_value};
use super::listings::{ListingView, listing_select, seller_listing};
use super::store::{BatchOutcome, SellerChange, apply_changes};
use crate::http::error::{AppError, ErrorEnvelope};
use crate::http::extract::{AppJson, AppQuery, LimitedBody};
use crate::platform::db::PrimaryDb;
use crate::platform::pagination::{PageMeta, PageParams, Paginated};

/// Most records one sync request may carry.
pub const MAX_RECORDS_PER_REQUEST: usize = 20_000;

/// What a sync request did.
#[derive(Debug, Serialize, ToSchema)]
pub struct SyncReport {
    /// Records received.
    pub received: u64,
    /// What the accepted records changed.
    pub applied: BatchOutcome,
    /// Records not applied, with the failing field.
    pub rejected: Vec<RejectedLine>,
}

/// Upserts and deletes a batch of the seller's listings.
///
/// The body is NDJSON (`application/x-ndjson`, one feed record per line) or a JSON
/// array of records (`application/json`). Each record is validated on its own: the
/// valid ones are applied in one transaction, the others reported with their line
/// (or array position), SKU, field and reason. Answers 200 when every record was
/// applied, 207 when some were rejected, 400 when none could be applied.
#[utoipa::path(
    post,
    path = "/seller/inventory",
    tag = "seller",
    security(("seller_api_key" = [])),
    request_body(content = String, description = "Feed records (see the inventory feed spec)",
                 content_type = "application/x-ndjson"),
    responses(
        (status = 200, description = "Every record applied", body = SyncReport),
        (status = 207, description = "Some records rejected, the rest applied", body = SyncReport),
        (status = 400, description = "No record could be applied", body = ErrorEnvelope),
        (status = 401, description = "Missing or invalid API key", body = ErrorEnvelope),
        (status = 413, description = "Body or record count over the limit", body = ErrorEnvelope),
        (status = 415, description = "Unsupported content type", body = ErrorEnvelope)
    )
)]
pub async fn sync_inventory(
    State(PrimaryDb(db)): State<PrimaryDb>,
    auth: SellerAuth,
    headers: HeaderMap,
    LimitedBody(body): LimitedBody,
) -> Result<(StatusCode, Json<SyncReport>), AppError> {
    let format = BodyFormat::from_headers(&headers)?;
    let seller = auth.external_id.clone();
    // Parsing and sanitizing thousands of records is CPU work: keep it off the runtime.
    let parsed = tokio::task::spawn_blocking(move || parse_body(format, &body, &seller))
        .await
        .map_err(|e| AppError::Internal(e.into()))??;
    let received = parsed.received;
    if parsed.accepted.is_empty() {
        return Err(AppError::RejectedRecords(serde_json::json!(parsed.rejected)));
    }
    let changes = parsed
        .accepted
        .into_iter()
        .map(|change| match change {
            FeedChange::Upsert { listing, .. } => SellerChange::Upsert { seller_id: auth.seller_id, listing },
            FeedChange::Delete { sku, .. } => SellerChange::Delete { seller_id: auth.seller_id, sku },
        })
        .collect();
    let mut tx = db.begin().await?;
    let applied = apply_changes(&mut tx, changes).await?;
    tx.commit().await?;
    let status = if parsed.rejected.is_empty() { StatusCode::OK } else { StatusCode::MULTI_STATUS };
    tracing::info!(seller = %auth.external_id, received, applied = applied.applied(), rejected = parsed.rejected.len(), "inventory synced");
    Ok((status, Json(SyncReport { received, applied, rejected: parsed.rejected })))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyFormat {
    Json,
    Ndjson,
}

impl BodyFormat {
    fn from_headers(headers: &HeaderMap) -> Result<BodyFormat, AppError> {
        let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        match essence.as_str() {
            "application/json" => Ok(BodyFormat::Json),
            "application/x-ndjson" | "application/ndjson" | "application/jsonl" | "application/x-jsonlines" => {
                Ok(BodyFormat::Ndjson)
            }
            _ => Err(AppError::UnsupportedMediaType(
                "send application/x-ndjson (one record per line) or application/json (an array of records)".into(),
            )),
        }
    }
}

struct ParsedBody {
    received: u64,
    accepted: Vec<FeedChange>,
    rejected: Vec<RejectedLine>,
}

fn parse_body(format: BodyFormat, body: &[u8], seller: &str) -> Result<ParsedBody, AppError> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    let records: Vec<(u64, Result<FeedChange, super::feed::LineRejection>)> =
        if format == BodyFormat::Json && first == Some(&b'[') {
            let items: Vec<Value> = serde_json::from_slice(body).map_err(|e| AppError::BadRequest {
                message: format!("malformed JSON array: {e}"),
                details: Some(serde_json::json!({ "line": e.line(), "column": e.column() })),
            })?;
            check_count(items.len())?;
            items.into_iter().enumerate().map(|(i, item)| (i as u64 + 1, parse_value(item))).collect()
        } else {
            let lines: Vec<(u64, &[u8])> = body
                .split(|&b| b == b'\n')
                .enumerate()
                .map(|(i, line)| (i as u64 + 1, line.strip_suffix(b"\r").unwrap_or(line)))
                .filter(|(_, line)| !line.iter().all(u8::is_ascii_whitespace))
                .collect();
            check_count(lines.len())?;
            lines.into_iter().map(|(n, line)| (n, parse_line(line))).collect()
        };
    if records.is_empty() {
        return Err(AppError::invalid("body", "contains no records"));
    }
    let mut parsed = ParsedBody { received: records.len() as u64, accepted: Vec::new(), rejected: Vec::new() };
    for (line, record) in records {
        match record {
            Ok(change) => match change.seller() {
                Some(named) if named.external_id != seller => parsed.rejected.push(RejectedLine::new(
                    line,
                    Some(change.sku().to_string()),
                    "seller.external_id",
                    "does not match the seller of the API key",
                )),
                _ => parsed.accepted.push(change),
            },
            Err(rejection) => parsed.rejected.extend(rejection.into_lines(line)),
        }
    }
    Ok(parsed)
}

fn check_count(count: usize) -> Result<(), AppError> {
    if count > MAX_RECORDS_PER_REQUEST {
        return Err(AppError::BadRequest {
            message: format!("at most {MAX_RECORDS_PER_REQUEST} records per request, got {count}"),
            details: Some(serde_json::json!({ "field": "body", "limit": MAX_RECORDS_PER_REQUEST })),
        });
    }
    Ok(())
}

/// Query parameters of the seller's listing list.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SellerListingsQuery {
    /// 1-based page number.
    #[serde(default = "crate::platform::pagination::first_page")]
    #[validate(range(min = 1, max = 10000, message = "must be between 1 and 10000"))]
    pub page: u32,
    /// Results per page, 1–100.
    #[serde(default = "crate::platform::pagination::default_limit")]
    #[validate(range(min = 1, max = 100, message = "must be between 1 and 100"))]
    pub limit: u32,
    /// Only listings with this status.
    #[validate(custom(function = listing_status))]
    pub status: Option<String>,
}

/// The seller's own listings, most recently changed first.
#[utoipa::path(
    get,
    path = "/seller/listings",
    tag = "seller",
    security(("seller_api_key" = [])),
    params(SellerListingsQuery),
    responses(
        (status = 200, description = "A page of the seller's listings", body = Paginated<ListingView>),
        (status = 400, description = "Bad parameter", body = ErrorEnvelope),
        (status = 401, description = "Missing or invalid API key", body = ErrorEnvelope)
    )
)]
pub async fn list_seller_listings(
    State(PrimaryDb(db)): State<PrimaryDb>,
    auth: SellerAuth,
    AppQuery(query): AppQuery<SellerListingsQuery>,
) -> Result<Json<Paginated<ListingView>>, AppError> {
    let page = PageParams { page: query.page, limit: query.limit };
    let total: i64 =
        sqlx::query_scalar("SELECT count(*) FROM listings WHERE seller_id = $1 AND ($2::text IS NULL OR status = $2)")
            .bind(auth.seller_id)
            .bind(&query.status)
            .fetch_one(&db)
            .await?;
    let rows = sqlx::query(listing_select!(
        "WHERE l.seller_id = $1 AND ($2::text IS NULL OR l.status = $2)
         ORDER BY l.updated_at DESC, l.id LIMIT $3 OFFSET $4"
    ))
    .bind(auth.seller_id)
    .bind(&query.status)
    .bind(i64::from(page.limit))
    .bind(page.offset())
    .fetch_all(&db)
    .await?;
    let data = rows.iter().map(ListingView::from_row).collect::<Result<_, _>>()?;
    Ok(Json(Paginated { data, meta: PageMeta::new(page, total.max(0) as u64) }))
}

/// One of the seller's listings.
#[utoipa::path(
    get,
    path = "/seller/listings/{sku}",
    tag = "seller",
    security(("seller_api_key" = [])),
    params(("sku" = String, Path, description = "The seller's SKU")),
    responses(
        (status = 200, description = "The listing", body = ListingView),
        (status = 404, description = "The seller has no such SKU", body = ErrorEnvelope)
    )
)]
pub async fn get_seller_listing(
    State(PrimaryDb(db)): State<PrimaryDb>,
    auth: SellerAuth,
    Path(sku): Path<String>,
) -> Result<Json<ListingView>, AppError> {
    let listing = seller_listing(&db, auth.seller_id, &sku).await?.ok_or(AppError::NotFound("listing"))?;
    Ok(Json(listing))
}

/// A partial update of price, stock or status.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[validate(schema(function = patch_not_empty))]
pub struct ListingPatch {
    /// New price in SAR, as a decimal string.
    #[schema(value_type = Option<String>, example = "45.00")]
    #[validate(custom(function = patch_price))]
    pub price_sar: Option<Value>,
    /// New stock.
    #[validate(range(min = 0, max = 1_000_000, message = "must be between 0 and 1000000"))]
    pub quantity: Option<i64>,
    /// `active` shows the listing, `paused` hides it from shoppers.
    #[validate(custom(function = listing_status))]
    pub status: Option<String>,
}

fn patch_not_empty(patch: &ListingPatch) -> Result<(), ValidationError> {
    if patch.price_sar.is_none() && patch.quantity.is_none() && patch.status.is_none() {
        return Err(
            ValidationError::new("empty").with_message("give at least one of price_sar, quantity, status".into())
        );
    }
    Ok(())
}

fn patch_price(value: &Value) -> Result<(), ValidationError> {
    parse_price(value).map(|_| ()).map_err(|reason| ValidationError::new("price").with_message(reason.into()))
}

fn listing_status(status: &str) -> Result<(), ValidationError> {
    match status {
        "active" | "paused" => Ok(()),
        _ => Err(ValidationError::new("status").with_message("must be active or paused".into())),
    }
}

/// Changes a listing's price, stock or status.
#[utoipa::path(
    patch,
    path = "/seller/listings/{sku}",
    tag = "seller",
    security(("seller_api_key" = [])),
    params(("sku" = String, Path, description = "The seller's SKU")),
    request_body = ListingPatch,
    responses(
        (status = 200, description = "The updated listing", body = ListingView),
        (status = 400, description = "Invalid field", body = ErrorEnvelope),
        (status = 404, description = "The seller has no such SKU", body = ErrorEnvelope)
    )
)]
pub async fn patch_listing(
    State(PrimaryDb(db)): State<PrimaryDb>,
    auth: SellerAuth,
    Path(sku): Path<String>,
    AppJson(patch): AppJson<ListingPatch>,
) -> Result<Json<ListingView>, AppError> {
    let price: Option<Decimal> =
        patch.price_sar.as_ref().map(parse_price).transpose().map_err(|r| AppError::invalid("price_sar", r))?;
    let quantity = patch.quantity.map(|q| i32::try_from(q).expect("range-checked"));
    let mut tx = db.begin().await?;
    let updated = sqlx::query(
        "UPDATE listings SET price_sar = COALESCE($3, price_sar), quantity = COALESCE($4, quantity),
                status = COALESCE($5, status), updated_at = now()
          WHERE seller_id = $1 AND sku = $2
            AND (price_sar, quantity, status) IS DISTINCT FROM
                (COALESCE($3, price_sar), COALESCE($4, quantity), COALESCE($5, status))
          RETURNING id",
    )
    .bind(auth.seller_id)
    .bind(&sku)
    .bind(price)
    .bind(quantity)
    .bind(&patch.status)
    .fetch_optional(&mut *tx)
    .await?;
    let listing = seller_listing(&mut *tx, auth.seller_id, &sku).await?.ok_or(AppError::NotFound("listing"))?;
    tx.commit().await?;
    if updated.is_some() {
        tracing::info!(seller = %auth.external_id, %sku, "listing updated");
    }
    Ok(Json(listing))
}

/// Removes a listing.
#[utoipa::path(
    delete,
    path = "/seller/listings/{sku}",
    tag = "seller",
    security(("seller_api_key" = [])),
    params(("sku" = String, Path, description = "The seller's SKU")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "The seller has no such SKU", body = ErrorEnvelope)
    )
)]
pub async fn delete_listing(
    State(PrimaryDb(db)): State<PrimaryDb>,
    auth: SellerAuth,
    Path(sku): Path<String>,
) -> Result<StatusCode, AppError> {
    let deleted = sqlx::query("DELETE FROM listings WHERE seller_id = $1 AND sku = $2 RETURNING id")
        .bind(auth.seller_id)
        .bind(&sku)
        .fetch_optional(&db)
        .await?;
    match deleted {
        Some(row) => {
            tracing::info!(seller = %auth.external_id, %sku, id = %row.get::<uuid::Uuid, _>("id"), "listing deleted");
            Ok(StatusCode::NO_CONTENT)
        }
        None => Err(AppError::NotFound("listing")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ndjson_lines_are_numbered_as_sent() {
        let body = b"{\"sku\":\"A\",\"deleted\":true}\n\n{bad json\n{\"sku\":\"B\",\"deleted\":true}\r\n";
        let parsed = parse_body(BodyFormat::Ndjson, body, "S1").unwrap();
        assert_eq!(parsed.received, 3);
        assert_eq!(parsed.accepted.len(), 2);
        assert_eq!(parsed.rejected[0].line, 3);
        assert_eq!(parsed.rejected[0].field, "line");
    }

    #[test]
    fn a_json_array_reports_positions() {
        let body = br#"[{"sku":"A","deleted":true}, {"sku":"B"}]"#;
        let parsed = parse_body(BodyFormat::Json, body, "S1").unwrap();
        assert_eq!(parsed.accepted.len(), 1);
        assert!(parsed.rejected.iter().all(|r| r.line == 2 && r.sku.as_deref() == Some("B")));
        assert!(parsed.rejected.iter().any(|r| r.field == "title"));
    }

    #[test]
    fn a_record_naming_another_seller_is_rejected() {
        let body = br#"{"seller":{"external_id":"S2"},"sku":"A","deleted":true}"#;
        let parsed = parse_body(BodyFormat::Ndjson, body, "S1").unwrap();
        assert!(parsed.accepted.is_empty());
        assert_eq!(parsed.rejected[0].field, "seller.external_id");
    }

    #[test]
    fn an_empty_body_is_refused() {
        assert!(matches!(parse_body(BodyFormat::Ndjson, b"\n \n", "S1"), Err(AppError::Validation(_))));
    }
}
