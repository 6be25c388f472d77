//! What the erasure of an account asks of orders: which orders still need the person,
//! and detaching the person from the rest.
//!
//! Orders and their invoices are kept (tax law wants them for years); what named the
//! buyer in them goes: the name, the street address, the phone and the buyer's notes. The city stays, as
//! the invoices' and the statistics' only trace of where a parcel went.

use sqlx::PgConnection;
use uuid::Uuid;

use super::OrderError;

/// How many orders the buyer has, read without opening any of them.
pub async fn count_of_buyer(db: &sqlx::PgPool, buyer_id: Uuid) -> Result<u64, OrderError> {
    let total: i64 =
        sqlx::query_scalar("SELECT count(*) FROM orders WHERE buyer_id = $1").bind(buyer_id).fetch_one(db).await?;
    Ok(total.max(0) as u64)
}

/// Numbers of the buyer's orders still on their way: awaiting payment, or with a seller
/// group paid, accepted or shipped. Erasing the address now would strand the parcel.
pub async fn open_of_buyer(conn: &mut PgConnection, buyer_id: Uuid) -> Result<Vec<String>, OrderError> {
    Ok(sqlx::query_scalar(
        "SELECT o.number FROM orders o
          WHERE o.buyer_id = $1
            AND (o.status = 'pending_payment'
                 OR EXISTS (SELECT 1 FROM order_groups g
                             WHERE g.order_id = o.id AND g.status IN ('paid', 'accepted', 'shipped')))
          ORDER BY o.created_at",
    )
    .bind(buyer_id)
    .fetch_all(conn)
    .await?)
}

/// Numbers of the orders a seller still has to fulfil.
pub async fn open_of_seller(conn: &mut PgConnection, seller_id: Uuid) -> Result<Vec<String>, OrderError> {
    Ok(sqlx::query_scalar(
        "SELECT o.number FROM order_groups g JOIN orders o ON o.id = g.order_id
          WHERE g.seller_id = $1 AND g.status IN ('paid', 'accepted', 'shipped')
          ORDER BY o.created_at",
    )
    .bind(seller_id)
    .fetch_all(conn)
    .await?)
}

/// Replaces the buyer's name, street address and phone in every order of `buyer_id`;
/// how many orders were detached.
pub async fn detach_buyer(conn: &mut PgConnection, buyer_id: Uuid) -> Result<u64, OrderError> {
    let ids: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM orders WHERE buyer_id = $1 FOR UPDATE")
        .bind(buyer_id)
        .fetch_all(&mut *conn)
        .await?;
    for &id in &ids {
        sqlx::query(
            "UPDATE orders
                SET shipping_address = jsonb_build_object(
                        'name', '—', 'phone', '', 'city', shipping_address->>'city', 'district', '',
                        'street', ''),
                    shipping_phone = NULL, notes = NULL
              WHERE id = $1",
        )
        .bind(id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(ids.len() as u64)
}
