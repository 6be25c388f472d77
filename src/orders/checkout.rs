//! Placing an order: the request checked, the stock reserved, the order priced and
//! written with its idempotency key and its `order.created` event, in one transaction.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::error::{FieldError, OrderError, Shortage};
use super::model::{CreateOrder, ShippingAddress};
use super::store::stock::Stocked;
use super::store::{self, NewGroup, NewLine, NewOrder, OrderRecord};
use super::{OrdersState, address, view};
use crate::platform::events::{self, Event};
use crate::platform::idempotency::{self, Answer, Claim, IdempotencyKey, KeyUse};
use crate::platform::money::Halalas;
use crate::platform::phone::Phone;

/// The scope of order-creating idempotency keys.
const SCOPE: &str = "orders.create";

/// A checked order request: lines merged per listing, address normalized.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedOrder {
    /// (listing, units, the line's place in the request), sorted by listing id.
    pub lines: Vec<(Uuid, u32, usize)>,
    pub address: ShippingAddress,
    pub phone: Phone,
    pub notes: Option<String>,
}

/// What placing an order answered: the order, or the answer of the first request
/// made with the same idempotency key.
#[derive(Debug)]
pub enum Placed {
    Created(Answer),
    Replayed(Answer),
}

/// Checks a request against the rules, naming every failing field.
pub fn check(request: &CreateOrder, max_lines: usize, max_quantity: u32) -> Result<CheckedOrder, OrderError> {
    let mut errors = Vec::new();
    if request.items.is_empty() {
        errors.push(FieldError::new("items", "must have at least one item"));
    }
    if request.items.len() > max_lines {
        errors.push(FieldError::new("items", format!("must have at most {max_lines} items")));
    }
    let mut seen = HashSet::new();
    let mut lines = Vec::with_capacity(request.items.len());
    for (i, item) in request.items.iter().enumerate() {
        if item.quantity == 0 || item.quantity > max_quantity {
            errors
                .push(FieldError::new(format!("items[{i}].quantity"), format!("must be between 1 and {max_quantity}")));
        }
        if !seen.insert(item.listing_id) {
            errors.push(FieldError::new(
                format!("items[{i}].listing_id"),
                "is already in the order: give each listing once, with its total quantity",
            ));
        }
        lines.push((item.listing_id, item.quantity, i));
    }
    // A fixed order of the rows locked: two orders for the same listings never wait
    // on each other in a cycle.
    lines.sort_by_key(|line| line.0);
    let (address, phone) = address::check(&request.shipping_address, &mut errors);
    let notes = request.notes.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_string);
    if let Some(notes) = &notes
        && (notes.chars().count() > 1000 || notes.contains('\0'))
    {
        errors.push(FieldError::new("notes", "must be at most 1000 characters of text"));
    }
    match phone {
        Some(phone) if errors.is_empty() => Ok(CheckedOrder { lines, address, phone, notes }),
        _ => Err(OrderError::Invalid(errors)),
    }
}

/// Prices the checked lines against the locked listings, one group per seller; the
/// lines that cannot be served as asked are the error.
pub fn price(order: &CheckedOrder, stocked: &[Stocked]) -> Result<Vec<NewGroup>, OrderError> {
    let mut shortages = Vec::new();
    let mut groups: BTreeMap<Uuid, NewGroup> = BTreeMap::new();
    for &(listing_id, quantity, position) in &order.lines {
        let field = format!("items[{position}]");
        let Some(listing) = stocked.iter().find(|s| s.id == listing_id) else {
            return Err(OrderError::invalid(format!("{field}.listing_id"), "no such listing"));
        };
        let available = if listing.orderable() { listing.quantity.max(0) as u32 } else { 0 };
        if available < quantity {
            shortages.push(Shortage { field, listing_id, requested: quantity, available });
            continue;
        }
        let unit_price = listing.price;
        let line_total = unit_price
            .checked_mul(i64::from(quantity))
            .filter(|total| *total <= Halalas::MAX_PRICE)
            .ok_or_else(|| OrderError::invalid(format!("{field}.quantity"), "makes the line total too large"))?;
        let group = groups.entry(listing.seller_id).or_insert_with(|| NewGroup {
            id: Uuid::now_v7(),
            seller_id: listing.seller_id,
            seller_name: listing.seller_name.clone(),
            lines: Vec::new(),
        });
        group.lines.push(NewLine {
            listing_id,
            sku: listing.sku.clone(),
            title: listing.title.clone(),
            quantity,
            unit_price,
            line_total,
            vat: line_total.vat_of_gross(),
        });
    }
    if !shortages.is_empty() {
        shortages.sort_by(|a, b| a.field.cmp(&b.field));
        return Err(OrderError::InsufficientStock(shortages));
    }
    let groups: Vec<NewGroup> = groups.into_values().collect();
    let total = groups.iter().try_fold(Halalas::ZERO, |sum, g| sum.checked_add(g.total()));
    if total.is_none_or(|total| total > Halalas::MAX_PRICE) {
        return Err(OrderError::invalid("items", "the order's total is over the limit of an order"));
    }
    Ok(groups)
}

/// Attempts of a checkout that PostgreSQL aborted to break a deadlock.
const ATTEMPTS: usize = 3;

/// Places `request` for `buyer`, or replays the answer to an earlier request with the
/// same key.
pub async fn place(
    state: &OrdersState,
    buyer: Uuid,
    key: &IdempotencyKey,
    request: &CreateOrder,
) -> Result<Placed, OrderError> {
    let settings = &state.settings;
    let checked = check(request, settings.orders.max_lines, settings.orders.max_quantity)?;
    let usage = KeyUse {
        user_id: buyer,
        scope: SCOPE,
        key,
        fingerprint: idempotency::fingerprint(&serde_json::to_value(request).map_err(anyhow::Error::from)?),
    };
    // Checkouts lock listings in id order and never deadlock with each other, but a
    // seller's sync updates its listings in the order of its feed; when the two cross,
    // PostgreSQL aborts one transaction, and a checkout that lost is simply run again.
    let mut attempt = 1;
    loop {
        match place_once(state, buyer, &usage, &checked).await {
            Err(OrderError::Database(error)) if is_deadlock(&error) && attempt < ATTEMPTS => {
                metrics::counter!("orders_checkout_retries_total").increment(1);
                attempt += 1;
            }
            outcome => return outcome,
        }
    }
}

fn is_deadlock(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if matches!(db.code().as_deref(), Some("40P01" | "40001")))
}

async fn place_once(
    state: &OrdersState,
    buyer: Uuid,
    usage: &KeyUse<'_>,
    checked: &CheckedOrder,
) -> Result<Placed, OrderError> {
    let mut tx = state.db.begin().await?;
    let now = state.now();
    if let Claim::Replay(answer) = idempotency::claim(&mut tx, usage, now).await? {
        return Ok(Placed::Replayed(answer));
    }
    let ids: Vec<Uuid> = checked.lines.iter().map(|line| line.0).collect();
    let stocked = store::stock::lock(&mut tx, &ids).await?;
    let groups = price(checked, &stocked)?;
    let taken: Vec<(Uuid, i32)> = checked.lines.iter().map(|&(id, units, _)| (id, units as i32)).collect();
    store::stock::take(&mut tx, &taken).await?;
    let id = Uuid::now_v7();
    let order = NewOrder {
        id,
        buyer_id: buyer,
        address: ShippingAddress { phone: String::new(), ..checked.address.clone() },
        phone_sealed: state.seal_phone(id, &checked.phone),
        notes: checked.notes.clone(),
        reserved_until: now + state.settings.reservation_ttl(),
        created_at: now,
        groups,
    };
    let number = store::orders::insert(&mut tx, &order, now).await?;
    let record = OrderRecord::placed(&order, number.clone());
    let shown = view::order(&record, state.open_phone(&record)?.as_ref());
    let body = serde_json::to_value(&shown).map_err(anyhow::Error::from)?;
    events::record(&mut tx, &created_event(&order, &number, &shown.total_sar, now)).await?;
    let answer = Answer { status: 201, body };
    idempotency::remember(&mut tx, usage, &answer, now).await?;
    tx.commit().await?;
    metrics::counter!("orders_created_total").increment(1);
    Ok(Placed::Created(answer))
}

fn created_event(order: &NewOrder, number: &str, total_sar: &str, now: DateTime<Utc>) -> Event {
    Event {
        topic: "order.created",
        subject_id: order.id,
        payload: serde_json::json!({
            "order_id": order.id,
            "number": number,
            "buyer_id": order.buyer_id,
            "total_sar": total_sar,
            "seller_ids": order.groups.iter().map(|g| g.seller_id).collect::<Vec<_>>(),
            "reserved_until": order.reserved_until,
        }),
        occurred_at: now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::model::OrderItem;

    fn address() -> ShippingAddress {
        ShippingAddress {
            name: "Nora".into(),
            phone: "0501234567".into(),
            city: "الرياض".into(),
            district: "Al Olaya".into(),
            street: "King Fahd Road".into(),
            building_number: Some("١٢٣٤".into()),
            postal_code: Some("12345".into()),
            additional_number: Some("5678".into()),
            short_address: None,
        }
    }

    fn request(items: &[(Uuid, u32)]) -> CreateOrder {
        CreateOrder {
            items: items.iter().map(|&(listing_id, quantity)| OrderItem { listing_id, quantity }).collect(),
            shipping_address: address(),
            notes: None,
        }
    }

    fn stocked(id: Uuid, seller: Uuid, price: i64, quantity: i32) -> Stocked {
        Stocked {
            id,
            seller_id: seller,
            seller_name: "Seller".into(),
            sku: format!("SKU-{}", &id.to_string()[..4]),
            title: "Part".into(),
            price: Halalas::new(price),
            quantity,
            listing_active: true,
            seller_active: true,
        }
    }

    #[test]
    fn the_address_is_normalized() {
        let checked = check(&request(&[(Uuid::now_v7(), 1)]), 50, 1000).unwrap();
        assert_eq!(checked.phone.as_str(), "+966501234567");
        assert_eq!(checked.address.phone, "+966501234567");
        assert_eq!(checked.address.city, "Riyadh");
        assert_eq!(checked.address.building_number.as_deref(), Some("1234"), "Arabic-Indic digits folded");
    }

    #[test]
    fn every_bad_field_is_named() {
        let listing = Uuid::now_v7();
        let mut bad = request(&[(listing, 0), (listing, 2)]);
        bad.shipping_address.phone = "12".into();
        bad.shipping_address.postal_code = Some("1234".into());
        bad.shipping_address.name = " ".into();
        let Err(OrderError::Invalid(fields)) = check(&bad, 50, 1000) else { panic!("accepted") };
        let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            names,
            [
                "items[0].quantity",
                "items[1].listing_id",
                "shipping_address.name",
                "shipping_address.postal_code",
                "shipping_address.phone"
            ]
        );
        assert!(check(&request(&[]), 50, 1000).is_err(), "no items");
        let many: Vec<(Uuid, u32)> = (0..3).map(|_| (Uuid::now_v7(), 1)).collect();
        assert!(check(&request(&many), 2, 1000).is_err(), "too many lines");
    }

    #[test]
    fn lines_are_grouped_per_seller_and_priced_with_vat_per_line() {
        let (a, b, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let (s1, s2) = (Uuid::now_v7(), Uuid::now_v7());
        let checked = check(&request(&[(a, 2), (b, 1), (c, 3)]), 50, 1000).unwrap();
        let stock = [stocked(a, s1, 11500, 5), stocked(b, s2, 1, 1), stocked(c, s1, 3333, 3)];
        let groups = price(&checked, &stock).unwrap();
        assert_eq!(groups.len(), 2);
        let first = groups.iter().find(|g| g.seller_id == s1).unwrap();
        assert_eq!(first.lines.len(), 2);
        let line_a = first.lines.iter().find(|l| l.listing_id == a).unwrap();
        assert_eq!((line_a.line_total.get(), line_a.vat.get()), (23000, 3000));
        let line_c = first.lines.iter().find(|l| l.listing_id == c).unwrap();
        assert_eq!((line_c.line_total.get(), line_c.vat.get()), (9999, 1304));
        let second = groups.iter().find(|g| g.seller_id == s2).unwrap();
        assert_eq!(second.lines[0].vat.get(), 0, "0.01 SAR carries no whole halala of VAT");
    }

    #[test]
    fn short_lines_are_all_named_with_what_is_available() {
        let (a, b, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let seller = Uuid::now_v7();
        let checked = check(&request(&[(a, 2), (b, 1), (c, 1)]), 50, 1000).unwrap();
        let mut paused = stocked(c, seller, 100, 9);
        paused.listing_active = false;
        let stock = [stocked(a, seller, 100, 1), stocked(b, seller, 100, 1), paused];
        let Err(OrderError::InsufficientStock(short)) = price(&checked, &stock) else { panic!("priced") };
        assert_eq!(short.len(), 2);
        assert_eq!((short[0].field.as_str(), short[0].requested, short[0].available), ("items[0]", 2, 1));
        assert_eq!((short[1].field.as_str(), short[1].available), ("items[2]", 0), "paused is not orderable");
    }

    #[test]
    fn an_unknown_listing_is_named() {
        let checked = check(&request(&[(Uuid::now_v7(), 1)]), 50, 1000).unwrap();
        let Err(OrderError::Invalid(fields)) = price(&checked, &[]) else { panic!("priced") };
        assert_eq!(fields[0].field, "items[0].listing_id");
    }
}
