//! The SQL of orders, their seller groups and their lines.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Utc};
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::orders::model::ShippingAddress;
use crate::orders::state::{GroupStatus, OrderStatus};
use crate::platform::money::Halalas;
use crate::platform::pagination::PageParams;

/// An order about to be written.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub id: Uuid,
    pub buyer_id: Uuid,
    /// The address with its phone left empty: the phone is kept sealed, apart.
    pub address: ShippingAddress,
    pub phone_sealed: String,
    pub notes: Option<String>,
    pub reserved_until: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub groups: Vec<NewGroup>,
}

#[derive(Debug, Clone)]
pub struct NewGroup {
    pub id: Uuid,
    pub seller_id: Uuid,
    pub seller_name: String,
    pub lines: Vec<NewLine>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLine {
    pub listing_id: Uuid,
    pub sku: String,
    pub title: String,
    pub quantity: u32,
    pub unit_price: Halalas,
    pub line_total: Halalas,
    pub vat: Halalas,
}

impl NewGroup {
    /// What the group costs, VAT included.
    pub fn total(&self) -> Halalas {
        Halalas::new(self.lines.iter().map(|l| l.line_total.get()).sum())
    }

    /// The sum of the lines' VAT.
    pub fn vat(&self) -> Halalas {
        Halalas::new(self.lines.iter().map(|l| l.vat.get()).sum())
    }
}

/// An order as stored, with its groups and lines.
#[derive(Debug, Clone)]
pub struct OrderRecord {
    pub id: Uuid,
    pub number: String,
    pub buyer_id: Uuid,
    pub status: OrderStatus,
    pub subtotal: Halalas,
    pub vat: Halalas,
    pub total: Halalas,
    pub address: ShippingAddress,
    /// The sealed phone; `None` once the buyer's account was erased.
    pub phone_sealed: Option<String>,
    pub notes: Option<String>,
    pub reserved_until: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub groups: Vec<GroupRecord>,
}

impl OrderRecord {
    /// The order just written from `order`, as reading it back would give it.
    pub fn placed(order: &NewOrder, number: String) -> OrderRecord {
        let mut groups: Vec<GroupRecord> = order
            .groups
            .iter()
            .map(|g| {
                let (total, vat) = (g.total(), g.vat());
                GroupRecord {
                    id: g.id,
                    order_id: order.id,
                    seller_id: g.seller_id,
                    seller_name: g.seller_name.clone(),
                    status: GroupStatus::PendingPayment,
                    subtotal: Halalas::new(total.get() - vat.get()),
                    vat,
                    total,
                    carrier: None,
                    tracking_number: None,
                    created_at: order.created_at,
                    updated_at: order.created_at,
                    accepted_at: None,
                    shipped_at: None,
                    delivered_at: None,
                    lines: g.lines.clone(),
                }
            })
            .collect();
        // In the order reading them back gives.
        groups.sort_by_key(|g| g.id);
        let total = Halalas::new(groups.iter().map(|g| g.total.get()).sum());
        let vat = Halalas::new(groups.iter().map(|g| g.vat.get()).sum());
        OrderRecord {
            id: order.id,
            number,
            buyer_id: order.buyer_id,
            status: OrderStatus::PendingPayment,
            subtotal: Halalas::new(total.get() - vat.get()),
            vat,
            total,
            address: order.address.clone(),
            phone_sealed: Some(order.phone_sealed.clone()),
            notes: order.notes.clone(),
            reserved_until: order.reserved_until,
            created_at: order.created_at,
            updated_at: order.created_at,
            paid_at: None,
            groups,
        }
    }

    /// This order after [`set_status`] wrote the same move.
    pub fn moved(mut self, status: OrderStatus, groups: Option<GroupStatus>, now: DateTime<Utc>) -> OrderRecord {
        self.status = status;
        self.updated_at = now;
        if status == OrderStatus::Paid {
            self.paid_at = Some(now);
        }
        if let Some(group_status) = groups {
            for group in &mut self.groups {
                group.status = group_status;
                group.updated_at = now;
            }
        }
        self
    }

    /// This order after [`set_group_status`] wrote the same move of `group_id`.
    pub fn group_moved(
        mut self,
        group_id: Uuid,
        status: GroupStatus,
        shipment: Option<(&str, &str)>,
        now: DateTime<Utc>,
    ) -> OrderRecord {
        if let Some(group) = self.groups.iter_mut().find(|g| g.id == group_id) {
            group.status = status;
            group.updated_at = now;
            match status {
                GroupStatus::Accepted => group.accepted_at = Some(now),
                GroupStatus::Shipped => group.shipped_at = Some(now),
                GroupStatus::Delivered => group.delivered_at = Some(now),
                _ => {}
            }
            if let Some((carrier, tracking_number)) = shipment {
                group.carrier = Some(carrier.to_string());
                group.tracking_number = Some(tracking_number.to_string());
            }
        }
        self
    }

    pub fn group_statuses(&self) -> Vec<GroupStatus> {
        self.groups.iter().map(|g| g.status).collect()
    }

    /// Every line's listing and units, to give back.
    pub fn units(&self) -> Vec<(Uuid, i32)> {
        self.groups.iter().flat_map(|g| &g.lines).map(|l| (l.listing_id, l.quantity as i32)).collect()
    }
}

#[derive(Debug, Clone)]
pub struct GroupRecord {
    pub id: Uuid,
    pub order_id: Uuid,
    pub seller_id: Uuid,
    pub seller_name: String,
    pub status: GroupStatus,
    pub subtotal: Halalas,
    pub vat: Halalas,
    pub total: Halalas,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub shipped_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub lines: Vec<NewLine>,
}

/// Writes the order with its groups and lines; returns its number (`CP-2026-000123`).
pub async fn insert(tx: &mut PgConnection, order: &NewOrder, now: DateTime<Utc>) -> sqlx::Result<String> {
    let total: i64 = order.groups.iter().map(|g| g.total().get()).sum();
    let vat: i64 = order.groups.iter().map(|g| g.vat().get()).sum();
    let address = serde_json::to_value(&order.address).map_err(|e| sqlx::Error::Encode(e.into()))?;
    // `CP-2026-000123`: the year, and the order's place in the sequence.
    let number: String = sqlx::query_scalar(
        "INSERT INTO orders (id, number, buyer_id, status, subtotal_halalas, vat_halalas, total_halalas,
                             shipping_address, shipping_phone, notes, reserved_until, created_at, updated_at)
         VALUES ($1, 'CP-' || $2::text || '-' || lpad(nextval('order_number_seq')::text, 6, '0'), $3,
                 'pending_payment', $4, $5, $6, $7, $8, $9, $10, $11, $11)
         RETURNING number",
    )
    .bind(order.id)
    .bind(now.year().to_string())
    .bind(order.buyer_id)
    .bind(total - vat)
    .bind(vat)
    .bind(total)
    .bind(address)
    .bind(&order.phone_sealed)
    .bind(&order.notes)
    .bind(order.reserved_until)
    .bind(order.created_at)
    .fetch_one(&mut *tx)
    .await?;
    for group in &order.groups {
        let (total, vat) = (group.total().get(), group.vat().get());
        sqlx::query(
            "INSERT INTO order_groups (id, order_id, seller_id, seller_name, status, subtotal_halalas, vat_halalas,
                                       total_halalas, created_at, updated_at)
             VALUES ($1, $2, $3, $4, 'pending_payment', $5, $6, $7, $8, $8)",
        )
        .bind(group.id)
        .bind(order.id)
        .bind(group.seller_id)
        .bind(&group.seller_name)
        .bind(total - vat)
        .bind(vat)
        .bind(total)
        .bind(order.created_at)
        .execute(&mut *tx)
        .await?;
        let positions: Vec<i16> = (0..group.lines.len() as i16).collect();
        let listing_ids: Vec<Uuid> = group.lines.iter().map(|l| l.listing_id).collect();
        let skus: Vec<&str> = group.lines.iter().map(|l| l.sku.as_str()).collect();
        let titles: Vec<&str> = group.lines.iter().map(|l| l.title.as_str()).collect();
        let quantities: Vec<i32> = group.lines.iter().map(|l| l.quantity as i32).collect();
        let prices: Vec<i64> = group.lines.iter().map(|l| l.unit_price.get()).collect();
        let totals: Vec<i64> = group.lines.iter().map(|l| l.line_total.get()).collect();
        let vats: Vec<i64> = group.lines.iter().map(|l| l.vat.get()).collect();
        sqlx::query(
            "INSERT INTO order_lines (group_id, position, listing_id, sku, title, quantity, unit_price_halalas,
                                      line_total_halalas, vat_halalas)
             SELECT $1, * FROM unnest($2::smallint[], $3::uuid[], $4::text[], $5::text[], $6::int[], $7::bigint[],
                                      $8::bigint[], $9::bigint[])",
        )
        .bind(group.id)
        .bind(&positions)
        .bind(&listing_ids)
        .bind(&skus)
        .bind(&titles)
        .bind(&quantities)
        .bind(&prices)
        .bind(&totals)
        .bind(&vats)
        .execute(&mut *tx)
        .await?;
    }
    Ok(number)
}

/// `SELECT` of an order's columns, then the rest of the statement.
macro_rules! select_orders {
    ($rest:literal) => {
        concat!(
            "SELECT id, number, buyer_id, status, subtotal_halalas, vat_halalas, total_halalas, shipping_address,
                    shipping_phone, notes, reserved_until, created_at, updated_at, paid_at FROM orders ",
            $rest
        )
    };
}

type OrderRow = (
    Uuid,
    String,
    Uuid,
    String,
    i64,
    i64,
    i64,
    Value,
    Option<String>,
    Option<String>,
    DateTime<Utc>,
    DateTime<Utc>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);

fn order_of(row: OrderRow) -> sqlx::Result<OrderRecord> {
    let (
        id,
        number,
        buyer_id,
        status,
        subtotal,
        vat,
        total,
        address,
        phone_sealed,
        notes,
        reserved_until,
        created_at,
        updated_at,
        paid_at,
    ) = row;
    Ok(OrderRecord {
        id,
        number,
        buyer_id,
        status: OrderStatus::parse(&status).ok_or_else(|| decode_error(format!("order status {status:?}")))?,
        subtotal: Halalas::new(subtotal),
        vat: Halalas::new(vat),
        total: Halalas::new(total),
        address: serde_json::from_value(address).map_err(|e| sqlx::Error::Decode(e.into()))?,
        phone_sealed,
        notes,
        reserved_until,
        created_at,
        updated_at,
        paid_at,
        groups: Vec::new(),
    })
}

fn decode_error(what: String) -> sqlx::Error {
    sqlx::Error::Decode(format!("unknown {what} in the database").into())
}

/// The order `id` with its groups and lines.
pub async fn load(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<OrderRecord>> {
    let row: Option<OrderRow> =
        sqlx::query_as(select_orders!("WHERE id = $1")).bind(id).fetch_optional(&mut *conn).await?;
    with_groups(conn, row).await
}

/// Locks the order `id` for the rest of the transaction and reads it. Every change of
/// an order or of one of its groups takes this lock first, so changes of one order
/// never interleave, and no two transactions take an order's locks in another order.
pub async fn lock(tx: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<OrderRecord>> {
    let row: Option<OrderRow> =
        sqlx::query_as(select_orders!("WHERE id = $1 FOR UPDATE")).bind(id).fetch_optional(&mut *tx).await?;
    with_groups(tx, row).await
}

async fn with_groups(conn: &mut PgConnection, row: Option<OrderRow>) -> sqlx::Result<Option<OrderRecord>> {
    let Some(row) = row else {
        return Ok(None);
    };
    let mut order = order_of(row)?;
    order.groups = groups_of(conn, &[order.id]).await?.remove(&order.id).unwrap_or_default();
    Ok(Some(order))
}

/// A page of the buyer's orders, newest first, and how many there are in all.
pub async fn of_buyer(
    conn: &mut PgConnection,
    buyer_id: Uuid,
    status: Option<OrderStatus>,
    page: PageParams,
) -> sqlx::Result<(Vec<OrderRecord>, u64)> {
    let status = status.map(OrderStatus::as_str);
    let total: i64 =
        sqlx::query_scalar("SELECT count(*) FROM orders WHERE buyer_id = $1 AND ($2::text IS NULL OR status = $2)")
            .bind(buyer_id)
            .bind(status)
            .fetch_one(&mut *conn)
            .await?;
    let rows: Vec<OrderRow> = sqlx::query_as(select_orders!(
        "WHERE buyer_id = $1 AND ($2::text IS NULL OR status = $2)
          ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4"
    ))
    .bind(buyer_id)
    .bind(status)
    .bind(i64::from(page.limit))
    .bind(page.offset())
    .fetch_all(&mut *conn)
    .await?;
    let mut orders = rows.into_iter().map(order_of).collect::<sqlx::Result<Vec<_>>>()?;
    let ids: Vec<Uuid> = orders.iter().map(|o| o.id).collect();
    let mut groups = groups_of(conn, &ids).await?;
    for order in &mut orders {
        order.groups = groups.remove(&order.id).unwrap_or_default();
    }
    Ok((orders, total as u64))
}

/// `SELECT` of a group's columns and its lines (as one JSON array, so a group and its
/// lines are one round trip), then the rest of the statement.
macro_rules! select_groups {
    ($rest:literal) => {
        concat!(
            "SELECT g.id, g.order_id, g.seller_id, g.seller_name, g.status, g.subtotal_halalas, g.vat_halalas,
                    g.total_halalas, g.carrier, g.tracking_number, g.created_at, g.updated_at, g.accepted_at,
                    g.shipped_at, g.delivered_at,
                    (SELECT coalesce(json_agg(json_build_array(l.listing_id, l.sku, l.title, l.quantity,
                                                               l.unit_price_halalas, l.line_total_halalas,
                                                               l.vat_halalas) ORDER BY l.position), '[]')
                       FROM order_lines l WHERE l.group_id = g.id) AS lines
               FROM order_groups g ",
            $rest
        )
    };
}

type GroupRow = (
    Uuid,
    Uuid,
    Uuid,
    String,
    String,
    i64,
    i64,
    i64,
    Option<String>,
    Option<String>,
    DateTime<Utc>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Value,
);

/// A line as `select_groups!` aggregates it.
type LineJson = (Uuid, String, String, u32, i64, i64, i64);

fn group_of(row: GroupRow) -> sqlx::Result<GroupRecord> {
    let (
        id,
        order_id,
        seller_id,
        seller_name,
        status,
        subtotal,
        vat,
        total,
        carrier,
        tracking_number,
        created_at,
        updated_at,
        accepted_at,
        shipped_at,
        delivered_at,
        lines,
    ) = row;
    let lines: Vec<LineJson> = serde_json::from_value(lines).map_err(|e| sqlx::Error::Decode(e.into()))?;
    Ok(GroupRecord {
        id,
        order_id,
        seller_id,
        seller_name,
        status: GroupStatus::parse(&status).ok_or_else(|| decode_error(format!("group status {status:?}")))?,
        subtotal: Halalas::new(subtotal),
        vat: Halalas::new(vat),
        total: Halalas::new(total),
        carrier,
        tracking_number,
        created_at,
        updated_at,
        accepted_at,
        shipped_at,
        delivered_at,
        lines: lines
            .into_iter()
            .map(|(listing_id, sku, title, quantity, unit_price, line_total, vat)| NewLine {
                listing_id,
                sku,
                title,
                quantity,
                unit_price: Halalas::new(unit_price),
                line_total: Halalas::new(line_total),
                vat: Halalas::new(vat),
            })
            .collect(),
    })
}

/// The groups (with lines) of each of `order_ids`, by order, each order's in the order they were made.
async fn groups_of(conn: &mut PgConnection, order_ids: &[Uuid]) -> sqlx::Result<HashMap<Uuid, Vec<GroupRecord>>> {
    let rows: Vec<GroupRow> = sqlx::query_as(select_groups!("WHERE g.order_id = ANY($1) ORDER BY g.order_id, g.id"))
        .bind(order_ids)
        .fetch_all(&mut *conn)
        .await?;
    let groups = rows.into_iter().map(group_of).collect::<sqlx::Result<Vec<_>>>()?;
    let mut by_order: HashMap<Uuid, Vec<GroupRecord>> = HashMap::new();
    for group in groups {
        by_order.entry(group.order_id).or_default().push(group);
    }
    Ok(by_order)
}

/// Moves the order, and every group still following it, to `status`.
pub async fn set_status(
    tx: &mut PgConnection,
    order_id: Uuid,
    status: OrderStatus,
    groups: Option<GroupStatus>,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    // One statement for both tables: a payment or an expiry is one round trip here.
    sqlx::query(
        "WITH moved AS (
             UPDATE orders SET status = $2, updated_at = $3,
                    paid_at = CASE WHEN $2 = 'paid' THEN $3 ELSE paid_at END,
                    closed_at = CASE WHEN $2 IN ('paid', 'pending_payment') THEN closed_at
                                     ELSE coalesce(closed_at, $3) END
              WHERE id = $1)
         UPDATE order_groups SET status = $4, updated_at = $3 WHERE order_id = $1 AND $4::text IS NOT NULL",
    )
    .bind(order_id)
    .bind(status.as_str())
    .bind(now)
    .bind(groups.map(GroupStatus::as_str))
    .execute(tx)
    .await?;
    Ok(())
}

/// Moves one group to `status`, stamping when, and the shipment when it ships.
pub async fn set_group_status(
    tx: &mut PgConnection,
    group_id: Uuid,
    status: GroupStatus,
    shipment: Option<(&str, &str)>,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    let (carrier, tracking_number) = shipment.unzip();
    sqlx::query(
        "UPDATE order_groups SET status = $2, updated_at = $3,
                accepted_at = CASE WHEN $2 = 'accepted' THEN $3 ELSE accepted_at END,
                shipped_at = CASE WHEN $2 = 'shipped' THEN $3 ELSE shipped_at END,
                delivered_at = CASE WHEN $2 = 'delivered' THEN $3 ELSE delivered_at END,
                carrier = coalesce($4, carrier), tracking_number = coalesce($5, tracking_number)
          WHERE id = $1",
    )
    .bind(group_id)
    .bind(status.as_str())
    .bind(now)
    .bind(carrier)
    .bind(tracking_number)
    .execute(tx)
    .await?;
    Ok(())
}

/// Unpaid orders whose reservation ran out by `now`, oldest first, locked; orders
/// another instance is expiring right now are skipped, not waited for.
pub async fn lock_expired(tx: &mut PgConnection, now: DateTime<Utc>, limit: i64) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "SELECT id FROM orders WHERE status = 'pending_payment' AND reserved_until <= $1
          ORDER BY reserved_until LIMIT $2 FOR UPDATE SKIP LOCKED",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(tx)
    .await
}

/// Locks and reads the order of `seller_id`'s group `group_id`, as [`lock`] does.
pub async fn lock_by_group(
    tx: &mut PgConnection,
    group_id: Uuid,
    seller_id: Uuid,
) -> sqlx::Result<Option<OrderRecord>> {
    let row: Option<OrderRow> = sqlx::query_as(select_orders!(
        "WHERE id = (SELECT order_id FROM order_groups WHERE id = $1 AND seller_id = $2) FOR UPDATE"
    ))
    .bind(group_id)
    .bind(seller_id)
    .fetch_optional(&mut *tx)
    .await?;
    with_groups(tx, row).await
}

/// A page of a seller's groups, newest first, with the order each belongs to.
pub async fn of_seller(
    conn: &mut PgConnection,
    seller_id: Uuid,
    status: Option<GroupStatus>,
    page: PageParams,
) -> sqlx::Result<(Vec<(GroupRecord, OrderRecord)>, u64)> {
    let status = status.map(GroupStatus::as_str);
    let total: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM order_groups WHERE seller_id = $1 AND ($2::text IS NULL OR status = $2)",
    )
    .bind(seller_id)
    .bind(status)
    .fetch_one(&mut *conn)
    .await?;
    let rows: Vec<GroupRow> = sqlx::query_as(select_groups!(
        "WHERE seller_id = $1 AND ($2::text IS NULL OR status = $2)
          ORDER BY g.created_at DESC, g.id DESC LIMIT $3 OFFSET $4"
    ))
    .bind(seller_id)
    .bind(status)
    .bind(i64::from(page.limit))
    .bind(page.offset())
    .fetch_all(&mut *conn)
    .await?;
    let groups = rows.into_iter().map(group_of).collect::<sqlx::Result<Vec<_>>>()?;
    let order_ids: Vec<Uuid> = groups.iter().map(|g| g.order_id).collect();
    let orders: Vec<OrderRow> =
        sqlx::query_as(select_orders!("WHERE id = ANY($1)")).bind(&order_ids).fetch_all(&mut *conn).await?;
    let mut orders: HashMap<Uuid, OrderRecord> =
        orders.into_iter().map(order_of).map(|o| o.map(|o| (o.id, o))).collect::<sqlx::Result<_>>()?;
    let mut page_rows = Vec::with_capacity(groups.len());
    for group in groups {
        let order = orders.get(&group.order_id).cloned().ok_or_else(|| decode_error("group without order".into()))?;
        page_rows.push((group, order));
    }
    orders.clear();
    Ok((page_rows, total as u64))
}

/// What a message about an order needs of it and its buyer.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContactRow {
    pub number: String,
    pub buyer_id: Uuid,
    pub total_halalas: i64,
    pub phone_sealed: Option<String>,
    pub name: String,
    pub email: Option<String>,
    pub locale: String,
}

pub async fn contact(db: &sqlx::PgPool, order_id: Uuid) -> sqlx::Result<Option<ContactRow>> {
    sqlx::query_as(
        "SELECT o.number, o.buyer_id, o.total_halalas, o.shipping_phone AS phone_sealed, u.name, u.email, u.locale
           FROM orders o JOIN users u ON u.id = o.buyer_id
          WHERE o.id = $1",
    )
    .bind(order_id)
    .fetch_optional(db)
    .await
}
