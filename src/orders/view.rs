//! Orders as the API shows them: amounts as SAR strings, dates with their Hijri form.

use super::model::{GroupView, LineView, OrderView, SellerOrderView, SellerRef, Shipment, ShippingAddress};
use super::store::{GroupRecord, NewLine, OrderRecord};
use crate::platform::hijri::hijri_date;
use crate::platform::phone::Phone;

/// The buyer's (and admins') view of an order; `phone` is the address's phone, opened
/// (none once the buyer was erased).
pub fn order(record: &OrderRecord, phone: Option<&Phone>) -> OrderView {
    OrderView {
        id: record.id,
        number: record.number.clone(),
        status: record.status,
        groups: record.groups.iter().map(group).collect(),
        subtotal_sar: record.subtotal.to_string(),
        vat_sar: record.vat.to_string(),
        total_sar: record.total.to_string(),
        currency: "SAR".to_string(),
        shipping_address: Some(address(&record.address, phone)),
        notes: record.notes.clone(),
        reserved_until: record.reserved_until,
        created_at: record.created_at,
        created_at_hijri: hijri_date(record.created_at),
        updated_at: record.updated_at,
        paid_at: record.paid_at,
    }
}

fn address(stored: &ShippingAddress, phone: Option<&Phone>) -> ShippingAddress {
    ShippingAddress { phone: phone.map(|p| p.as_str().to_string()).unwrap_or_default(), ..stored.clone() }
}

pub fn group(record: &GroupRecord) -> GroupView {
    GroupView {
        id: record.id,
        seller: SellerRef { id: record.seller_id, name: record.seller_name.clone() },
        status: record.status,
        lines: record.lines.iter().map(line).collect(),
        subtotal_sar: record.subtotal.to_string(),
        vat_sar: record.vat.to_string(),
        total_sar: record.total.to_string(),
        shipment: shipment(record),
        accepted_at: record.accepted_at,
        shipped_at: record.shipped_at,
        delivered_at: record.delivered_at,
    }
}

fn shipment(record: &GroupRecord) -> Option<Shipment> {
    match (&record.carrier, &record.tracking_number) {
        (Some(carrier), Some(tracking_number)) => {
            Some(Shipment { carrier: carrier.clone(), tracking_number: tracking_number.clone() })
        }
        _ => None,
    }
}

pub fn line(line: &NewLine) -> LineView {
    LineView {
        listing_id: line.listing_id,
        sku: line.sku.clone(),
        title: line.title.clone(),
        quantity: line.quantity,
        unit_price_sar: line.unit_price.to_string(),
        line_total_sar: line.line_total.to_string(),
        vat_sar: line.vat.to_string(),
    }
}

/// A seller's view of its group. The address (with the phone, when given) is shown
/// only once the group is paid: before that the seller has nothing to send.
pub fn seller_group(group: &GroupRecord, order: &OrderRecord, phone: Option<&Phone>) -> SellerOrderView {
    let paid = group.status.was_paid();
    SellerOrderView {
        id: group.id,
        order_id: order.id,
        order_number: order.number.clone(),
        status: group.status,
        lines: group.lines.iter().map(line).collect(),
        subtotal_sar: group.subtotal.to_string(),
        vat_sar: group.vat.to_string(),
        total_sar: group.total.to_string(),
        shipping_address: paid.then(|| address(&order.address, phone)),
        notes: if paid { order.notes.clone() } else { None },
        shipment: shipment(group),
        created_at: group.created_at,
        created_at_hijri: hijri_date(group.created_at),
        updated_at: group.updated_at,
    }
}

/// The order as one of its sellers sees it: its own group only, and the totals of that
/// group; the address once the group is paid.
pub fn order_for_seller(record: &OrderRecord, group: &GroupRecord, phone: Option<&Phone>) -> OrderView {
    let mut shown = order(record, phone);
    let paid = group.status.was_paid();
    shown.groups = vec![self::group(group)];
    shown.subtotal_sar = group.subtotal.to_string();
    shown.vat_sar = group.vat.to_string();
    shown.total_sar = group.total.to_string();
    if !paid {
        shown.shipping_address = None;
        shown.notes = None;
    }
    shown
}
