//! Simplified tax invoices (ZATCA phase 1): one per seller group, issued in the
//! transaction that records the payment, numbered per issuer with no gaps, with the
//! QR code the ZATCA app reads and a printable bilingual page.
//!
//! The issuer is the seller when it has a VAT registration; otherwise the marketplace
//! invoices in its own name and VAT number (`marketplace.*` settings), as the contract
//! says. Each issuer's numbers run on their own counter: `INV-S0012-000045` is the 45th
//! invoice of seller 12, `INV-CP-000007` the marketplace's 7th.

pub mod html;
pub mod qr;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use super::OrdersState;
use super::error::OrderError;
use super::model::LineView;
use super::store::invoices::{self as invoice_store, InvoiceRecord, NewInvoice};
use super::store::{GroupRecord, OrderRecord};
use super::view;
use crate::platform::hijri::hijri_date;

/// The marketplace's issuer code in invoice numbers.
const MARKETPLACE_ISSUER: &str = "CP";

/// An invoice as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct InvoiceView {
    pub id: Uuid,
    /// Sequential per issuer, without gaps: `INV-S0012-000045`.
    pub number: String,
    pub order_id: Uuid,
    pub order_number: String,
    pub issued_at: DateTime<Utc>,
    /// `issued_at` as a date of the Umm al-Qura calendar, in Saudi Arabia.
    #[schema(example = "1448-06-12")]
    pub issued_at_hijri: String,
    /// Who issues the invoice: the seller, or the marketplace for a seller without a
    /// VAT registration.
    pub seller: InvoiceIssuer,
    /// The seller whose goods the invoice is for.
    pub sold_by: super::model::SellerRef,
    pub lines: Vec<LineView>,
    pub subtotal_sar: String,
    pub vat_sar: String,
    pub total_sar: String,
    /// The ZATCA phase-1 QR payload: Base64 of the TLV fields 1 seller name, 2 VAT
    /// number, 3 time, 4 total with VAT, 5 VAT.
    pub qr: String,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct InvoiceIssuer {
    pub name: String,
    #[schema(example = "300000000000003")]
    pub vat_number: String,
}

/// Issues the invoice of every group of the just-paid `order`; returns their ids.
/// Groups are taken in issuer order, so two payments never wait for each other's
/// counters in a cycle.
pub async fn issue(
    tx: &mut PgConnection,
    state: &OrdersState,
    order: &OrderRecord,
    now: DateTime<Utc>,
) -> Result<Vec<Uuid>, OrderError> {
    let seller_ids: Vec<Uuid> = order.groups.iter().map(|g| g.seller_id).collect();
    let taxes = invoice_store::seller_tax(tx, &seller_ids).await?;
    let marketplace = &state.settings.marketplace;
    let mut planned: Vec<(String, String, String, &GroupRecord)> = Vec::new();
    for group in &order.groups {
        let tax = taxes.iter().find(|t| t.seller_id == group.seller_id);
        let (issuer, name, vat_number) = match tax.and_then(|t| t.vat_number.as_ref().map(|v| (t.serial, v))) {
            Some((serial, vat_number)) => (format!("S{serial:04}"), group.seller_name.clone(), vat_number.clone()),
            None => (MARKETPLACE_ISSUER.to_string(), marketplace.legal_name.clone(), marketplace.vat_number.clone()),
        };
        planned.push((issuer, name, vat_number, group));
    }
    planned.sort_by(|a, b| a.0.cmp(&b.0));
    let mut ids = Vec::with_capacity(planned.len());
    for (issuer, issuer_name, issuer_vat_number, group) in planned {
        let sequence = invoice_store::next_number(tx, &issuer).await?;
        let lines: Vec<LineView> = group.lines.iter().map(view::line).collect();
        let qr = qr::InvoiceQr {
            seller_name: &issuer_name,
            vat_number: &issuer_vat_number,
            issued_at: now,
            total_with_vat: &group.total.to_string(),
            vat_total: &group.vat.to_string(),
        }
        .to_base64();
        let invoice = NewInvoice {
            id: Uuid::now_v7(),
            number: format!("INV-{issuer}-{sequence:06}"),
            issuer,
            sequence,
            group_id: group.id,
            order_id: order.id,
            seller_id: group.seller_id,
            issuer_name,
            issuer_vat_number,
            issued_at: now,
            lines: serde_json::to_value(&lines).map_err(anyhow::Error::from)?,
            subtotal: group.subtotal,
            vat: group.vat,
            total: group.total,
            qr,
        };
        invoice_store::insert(tx, &invoice).await?;
        ids.push(invoice.id);
    }
    metrics::counter!("invoices_issued_total").increment(ids.len() as u64);
    Ok(ids)
}

/// The API's view of a stored invoice.
pub fn view(record: &InvoiceRecord) -> Result<InvoiceView, OrderError> {
    Ok(InvoiceView {
        id: record.id,
        number: record.number.clone(),
        order_id: record.order_id,
        order_number: record.order_number.clone(),
        issued_at: record.issued_at,
        issued_at_hijri: hijri_date(record.issued_at),
        seller: InvoiceIssuer { name: record.issuer_name.clone(), vat_number: record.issuer_vat_number.clone() },
        sold_by: super::model::SellerRef { id: record.seller_id, name: record.seller_name.clone() },
        lines: serde_json::from_value(record.lines.clone()).map_err(anyhow::Error::from)?,
        subtotal_sar: record.subtotal.to_string(),
        vat_sar: record.vat.to_string(),
        total_sar: record.total.to_string(),
        qr: record.qr.clone(),
    })
}

/// The printable page of an invoice.
pub fn page(invoice: &InvoiceView) -> String {
    let lines: Vec<html::InvoicePageLine> = invoice
        .lines
        .iter()
        .map(|l| html::InvoicePageLine {
            title: &l.title,
            sku: &l.sku,
            quantity: l.quantity,
            unit_price: &l.unit_price_sar,
            line_total: &l.line_total_sar,
            vat: &l.vat_sar,
        })
        .collect();
    html::render(&html::InvoicePage {
        number: &invoice.number,
        issued_at: invoice.issued_at,
        seller_name: &invoice.seller.name,
        vat_number: &invoice.seller.vat_number,
        order_number: &invoice.order_number,
        lines: &lines,
        subtotal: &invoice.subtotal_sar,
        vat: &invoice.vat_sar,
        total: &invoice.total_sar,
        qr_base64: &invoice.qr,
    })
}

/// Who may read an invoice: the order's buyer, the seller it is for, and admins.
pub fn readable_by(record: &InvoiceRecord, user_id: Option<Uuid>, seller_id: Option<Uuid>, admin: bool) -> bool {
    admin || user_id == Some(record.buyer_id) || seller_id == Some(record.seller_id)
}

pub async fn of_order(state: &OrdersState, order_id: Uuid) -> Result<Vec<InvoiceRecord>, OrderError> {
    let mut conn = state.db.acquire().await?;
    Ok(invoice_store::of_order(&mut conn, order_id).await?)
}

pub async fn find(state: &OrdersState, id: Uuid) -> Result<Option<InvoiceRecord>, OrderError> {
    let mut conn = state.db.acquire().await?;
    Ok(invoice_store::find(&mut conn, id).await?)
}
