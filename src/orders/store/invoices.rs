//! The SQL of invoices and their per-issuer numbering.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::platform::money::Halalas;

/// What an invoice is issued from: the seller's registration, if it has one.
#[derive(Debug, Clone)]
pub struct SellerTax {
    pub seller_id: Uuid,
    pub serial: i64,
    pub vat_number: Option<String>,
}

/// An invoice about to be written.
#[derive(Debug, Clone)]
pub struct NewInvoice {
    pub id: Uuid,
    pub number: String,
    pub issuer: String,
    pub sequence: i64,
    pub group_id: Uuid,
    pub order_id: Uuid,
    pub seller_id: Uuid,
    pub issuer_name: String,
    pub issuer_vat_number: String,
    pub issued_at: DateTime<Utc>,
    pub lines: Value,
    pub subtotal: Halalas,
    pub vat: Halalas,
    pub total: Halalas,
    pub qr: String,
}

/// An invoice as stored.
#[derive(Debug, Clone)]
pub struct InvoiceRecord {
    pub id: Uuid,
    pub number: String,
    pub group_id: Uuid,
    pub order_id: Uuid,
    pub seller_id: Uuid,
    pub seller_name: String,
    pub order_number: String,
    pub buyer_id: Uuid,
    pub issuer_name: String,
    pub issuer_vat_number: String,
    pub issued_at: DateTime<Utc>,
    pub lines: Value,
    pub subtotal: Halalas,
    pub vat: Halalas,
    pub total: Halalas,
    pub qr: String,
}

pub async fn seller_tax(conn: &mut PgConnection, seller_ids: &[Uuid]) -> sqlx::Result<Vec<SellerTax>> {
    let rows: Vec<(Uuid, i64, Option<String>)> =
        sqlx::query_as("SELECT id, serial, vat_number FROM sellers WHERE id = ANY($1)")
            .bind(seller_ids)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|(seller_id, serial, vat_number)| SellerTax { seller_id, serial, vat_number }).collect())
}

/// The issuer's next invoice number. The counter row stays locked until the
/// transaction ends, and a rollback gives the number back: no gaps.
pub async fn next_number(tx: &mut PgConnection, issuer: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO invoice_counters (issuer, last_number) VALUES ($1, 1)
         ON CONFLICT (issuer) DO UPDATE SET last_number = invoice_counters.last_number + 1
         RETURNING last_number",
    )
    .bind(issuer)
    .fetch_one(tx)
    .await
}

pub async fn insert(tx: &mut PgConnection, invoice: &NewInvoice) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO invoices (id, number, issuer, sequence, group_id, order_id, seller_id, issuer_name,
                               issuer_vat_number, issued_at, lines, subtotal_halalas, vat_halalas, total_halalas, qr)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(invoice.id)
    .bind(&invoice.number)
    .bind(&invoice.issuer)
    .bind(invoice.sequence)
    .bind(invoice.group_id)
    .bind(invoice.order_id)
    .bind(invoice.seller_id)
    .bind(&invoice.issuer_name)
    .bind(&invoice.issuer_vat_number)
    .bind(invoice.issued_at)
    .bind(&invoice.lines)
    .bind(invoice.subtotal.get())
    .bind(invoice.vat.get())
    .bind(invoice.total.get())
    .bind(&invoice.qr)
    .execute(tx)
    .await?;
    Ok(())
}

macro_rules! select_invoices {
    ($rest:literal) => {
        concat!(
            "SELECT i.id, i.number, i.group_id, i.order_id, i.seller_id, g.seller_name, o.number, o.buyer_id,
                    i.issuer_name, i.issuer_vat_number, i.issued_at, i.lines, i.subtotal_halalas, i.vat_halalas,
                    i.total_halalas, i.qr
               FROM invoices i JOIN order_groups g ON g.id = i.group_id JOIN orders o ON o.id = i.order_id ",
            $rest
        )
    };
}

type InvoiceRow =
    (Uuid, String, Uuid, Uuid, Uuid, String, String, Uuid, String, String, DateTime<Utc>, Value, i64, i64, i64, String);

fn invoice_of(row: InvoiceRow) -> InvoiceRecord {
    let (
        id,
        number,
        group_id,
        order_id,
        seller_id,
        seller_name,
        order_number,
        buyer_id,
        issuer_name,
        issuer_vat_number,
        issued_at,
        lines,
        subtotal,
        vat,
        total,
        qr,
    ) = row;
    InvoiceRecord {
        id,
        number,
        group_id,
        order_id,
        seller_id,
        seller_name,
        order_number,
        buyer_id,
        issuer_name,
        issuer_vat_number,
        issued_at,
        lines,
        subtotal: Halalas::new(subtotal),
        vat: Halalas::new(vat),
        total: Halalas::new(total),
        qr,
    }
}

pub async fn of_order(conn: &mut PgConnection, order_id: Uuid) -> sqlx::Result<Vec<InvoiceRecord>> {
    let rows: Vec<InvoiceRow> = sqlx::query_as(select_invoices!("WHERE i.order_id = $1 ORDER BY i.number"))
        .bind(order_id)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(invoice_of).collect())
}

pub async fn find(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<InvoiceRecord>> {
    let row: Option<InvoiceRow> =
        sqlx::query_as(select_invoices!("WHERE i.id = $1")).bind(id).fetch_optional(conn).await?;
    Ok(row.map(invoice_of))
}
