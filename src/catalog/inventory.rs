//! The sellers' inventory sync: bulk upserts and deletions, price/stock/status edits,
//! and the seller's own listing pages.
//!
//! Everything here is scoped to one seller: a SKU is looked up only among that
//! seller's listings, so another seller's SKU is simply not found.

use bytes::Bytes;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;
use sqlx::PgPool;
use utoipa::ToSchema;
use validator::{Validate, ValidationError};

use super::api_keys::SellerAuth;
use super::error::CatalogError;
use super::feed::{FeedChange, LineRejection, RejectedLine, parse_line, parse_price, single_line};
use super::listings::ListingView;
use super::store::{self, BatchOutcome, SellerChange, apply_changes};
use crate::platform::money::Halalas;
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

/// How the records of a sync request are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    /// A JSON array of records (a single record is read as one line).
    Json,
    /// One record per line.
    Ndjson,
}

impl BodyFormat {
    /// The format a media type names, if the sync API reads it.
    pub fn from_media_type(media_type: &str) -> Option<BodyFormat> {
        let essence = media_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        match essence.as_str() {
            "application/json" => Some(BodyFormat::Json),
            "application/x-ndjson" | "application/ndjson" | "application/jsonl" | "application/x-jsonlines" => {
                Some(BodyFormat::Ndjson)
            }
            _ => None,
        }
    }
}

/// Applies a sync request of `seller`: the valid records in one transaction, the
/// others reported with their line (or array position), SKU, field and reason.
///
/// Fails with [`CatalogError::NothingApplied`] when no record is valid.
pub async fn sync(
    db: &PgPool,
    seller: &SellerAuth,
    format: BodyFormat,
    body: Bytes,
) -> Result<SyncReport, CatalogError> {
    let external_id = seller.external_id.clone();
    // Parsing and sanitizing thousands of records is CPU work: keep it off the runtime.
    let parsed = tokio::task::spawn_blocking(move || parse_body(format, &body, &external_id))
        .await
        .map_err(|e| CatalogError::Internal(e.into()))??;
    let received = parsed.received;
    if parsed.accepted.is_empty() {
        return Err(CatalogError::NothingApplied(parsed.rejected));
    }
    let changes = parsed
        .accepted
        .into_iter()
        .map(|change| match change {
            FeedChange::Upsert { listing, .. } => SellerChange::Upsert { seller_id: seller.seller_id, listing },
            FeedChange::Delete { sku, .. } => SellerChange::Delete { seller_id: seller.seller_id, sku },
        })
        .collect();
    let mut tx = db.begin().await?;
    let applied = apply_changes(&mut tx, changes).await?;
    tx.commit().await?;
    tracing::info!(seller = %seller.external_id, received, applied = applied.applied(), rejected = parsed.rejected.len(), "inventory synced");
    Ok(SyncReport { received, applied, rejected: parsed.rejected })
}

struct ParsedBody {
    received: u64,
    accepted: Vec<FeedChange>,
    rejected: Vec<RejectedLine>,
}

fn parse_body(format: BodyFormat, body: &[u8], seller: &str) -> Result<ParsedBody, CatalogError> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    let records: Vec<(u64, Result<FeedChange, LineRejection>)> = if format == BodyFormat::Json && first == Some(&b'[') {
        // Each item is kept as its text, so the feed's own rules (duplicate keys among
        // them) judge it exactly as they judge an NDJSON line.
        let items: Vec<Box<RawValue>> = serde_json::from_slice(body).map_err(|e| CatalogError::MalformedBody {
            message: e.to_string(),
            line: e.line(),
            column: e.column(),
        })?;
        check_count(items.len())?;
        items.iter().enumerate().map(|(i, item)| (i as u64 + 1, parse_line(item.get().as_bytes()))).collect()
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
        return Err(CatalogError::invalid("body", "contains no records"));
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

fn check_count(count: usize) -> Result<(), CatalogError> {
    if count > MAX_RECORDS_PER_REQUEST {
        return Err(CatalogError::TooManyRecords { count, limit: MAX_RECORDS_PER_REQUEST });
    }
    Ok(())
}

/// A page of the seller's listings, most recently changed first, optionally only
/// those with `status`.
pub async fn seller_listings(
    db: &PgPool,
    seller: &SellerAuth,
    status: Option<&str>,
    page: PageParams,
) -> Result<Paginated<ListingView>, CatalogError> {
    let (total, data) = store::seller_listing_page(db, seller.seller_id, status, page).await?;
    Ok(Paginated { data, meta: PageMeta::new(page, total) })
}

/// Refuses a SKU no listing can have, as the feed would (a NUL or another control
/// character, or nothing but spaces), so that it is never sent to PostgreSQL, whose
/// text cannot even hold a NUL.
fn check_sku(sku: &str) -> Result<(), CatalogError> {
    single_line(sku).map_err(|e| CatalogError::invalid("sku", e.message.unwrap_or_default()))
}

/// One of the seller's listings, whatever its status.
pub async fn own_listing(db: &PgPool, seller: &SellerAuth, sku: &str) -> Result<ListingView, CatalogError> {
    check_sku(sku)?;
    store::seller_listing(db, seller.seller_id, sku).await?.ok_or(CatalogError::NotFound("listing"))
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
    /// Units on hand. Buyers may order this less the units open orders hold and have
    /// not shipped yet, so re-sending a count while orders wait never sells a unit twice.
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

/// The statuses a seller may give a listing.
pub(crate) fn listing_status(status: &str) -> Result<(), ValidationError> {
    match status {
        "active" | "paused" => Ok(()),
        _ => Err(ValidationError::new("status").with_message("must be active or paused".into())),
    }
}

/// Changes a listing's price, stock or status and returns it as it now is.
pub async fn patch_listing(
    db: &PgPool,
    seller: &SellerAuth,
    sku: &str,
    patch: ListingPatch,
) -> Result<ListingView, CatalogError> {
    check_sku(sku)?;
    let price: Option<Decimal> = patch
        .price_sar
        .as_ref()
        .map(parse_price)
        .transpose()
        .map_err(|r| CatalogError::invalid("price_sar", r))?
        .map(Halalas::to_decimal);
    let quantity = patch.quantity.map(|q| i32::try_from(q).expect("range-checked"));
    let mut tx = db.begin().await?;
    let updated =
        store::update_listing(&mut tx, seller.seller_id, sku, price, quantity, patch.status.as_deref()).await?;
    let listing =
        store::seller_listing(&mut *tx, seller.seller_id, sku).await?.ok_or(CatalogError::NotFound("listing"))?;
    tx.commit().await?;
    if updated {
        tracing::info!(seller = %seller.external_id, %sku, "listing updated");
    }
    Ok(listing)
}

/// Removes one of the seller's listings.
pub async fn delete_listing(db: &PgPool, seller: &SellerAuth, sku: &str) -> Result<(), CatalogError> {
    check_sku(sku)?;
    let id = store::delete_listing(db, seller.seller_id, sku).await?.ok_or(CatalogError::NotFound("listing"))?;
    tracing::info!(seller = %seller.external_id, %sku, %id, "listing deleted");
    Ok(())
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
        assert!(matches!(parse_body(BodyFormat::Ndjson, b"\n \n", "S1"), Err(CatalogError::Invalid(_))));
    }

    #[test]
    fn a_malformed_array_says_where() {
        let Err(CatalogError::MalformedBody { line, column, .. }) =
            parse_body(BodyFormat::Json, b"[{\"sku\": 1},", "S1")
        else {
            panic!("not refused as malformed");
        };
        assert_eq!(line, 1);
        assert!(column > 0);
    }

    #[test]
    fn a_sku_with_a_nul_or_control_character_is_refused() {
        for bad in ["A-1\u{0000}", "\u{0000}", "A\u{0007}", "  "] {
            let Err(CatalogError::Invalid(fields)) = check_sku(bad) else { panic!("{bad:?} accepted") };
            assert_eq!(fields[0].field, "sku");
        }
        assert!(check_sku("x'; DROP TABLE listings;--").is_ok());
    }

    #[test]
    fn media_types_choose_the_format() {
        assert_eq!(BodyFormat::from_media_type("application/x-ndjson"), Some(BodyFormat::Ndjson));
        assert_eq!(BodyFormat::from_media_type("Application/JSON; charset=utf-8"), Some(BodyFormat::Json));
        assert_eq!(BodyFormat::from_media_type("text/csv"), None);
    }
}
