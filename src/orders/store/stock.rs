//! Stock: the listings an order takes units from, locked, and the units taken and given back.
//!
//! Reservation is a row lock, then a check, then a decrement, in one transaction: the
//! listings of an order are locked with `SELECT … ORDER BY id FOR UPDATE`, their
//! quantities read under the lock, and only then decremented. A conditional
//! `UPDATE … WHERE quantity >= n` per line would be atomic too, but it cannot tell the
//! buyer what *is* available on each short line without a second read, and a single
//! multi-row `UPDATE` locks its rows in whatever order the plan visits them. Locking in
//! id order gives every transaction that touches several listings the same order, so
//! two checkouts of the same listings in opposite orders wait for each other instead of
//! deadlocking. Every decrement and increment fires the listings' outbox trigger, so
//! search shows the new quantity and `in_stock` like any other change.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::platform::money::Halalas;

/// A listing locked for an order, as it stands now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stocked {
    pub id: Uuid,
    pub seller_id: Uuid,
    pub seller_name: String,
    pub sku: String,
    pub title: String,
    /// VAT included.
    pub price: Halalas,
    pub quantity: i32,
    pub listing_active: bool,
    pub seller_active: bool,
}

impl Stocked {
    /// Whether the listing may be ordered at all: listed and its seller trading.
    pub fn orderable(&self) -> bool {
        self.listing_active && self.seller_active
    }
}

/// id, seller, seller's name, sku, title, price, quantity, listing active, seller active.
type StockedRow = (Uuid, Uuid, String, String, String, rust_decimal::Decimal, i32, bool, bool);

/// Locks the listings `ids` (sorted by the caller) for the rest of the transaction
/// and reads them; ids that name no listing are left out.
pub async fn lock(tx: &mut PgConnection, ids: &[Uuid]) -> sqlx::Result<Vec<Stocked>> {
    let rows: Vec<StockedRow> = sqlx::query_as(
        "SELECT l.id, l.seller_id, s.name, l.sku, l.title, l.price_sar, l.quantity,
                l.status = 'active', s.status = 'active'
           FROM listings l JOIN sellers s ON s.id = l.seller_id
          WHERE l.id = ANY($1)
          ORDER BY l.id
            FOR UPDATE OF l",
    )
    .bind(ids)
    .fetch_all(tx)
    .await?;
    rows.into_iter()
        .map(|(id, seller_id, seller_name, sku, title, price, quantity, listing_active, seller_active)| {
            let price = Halalas::from_decimal(price).ok_or_else(|| {
                sqlx::Error::Decode(format!("listing {id} has a price that is not in halalas").into())
            })?;
            Ok(Stocked { id, seller_id, seller_name, sku, title, price, quantity, listing_active, seller_active })
        })
        .collect()
}

/// Takes `units` of each listing; the listings are locked and were checked by the caller.
pub async fn take(tx: &mut PgConnection, units: &[(Uuid, i32)]) -> sqlx::Result<()> {
    let (ids, counts): (Vec<Uuid>, Vec<i32>) = units.iter().copied().unzip();
    sqlx::query(
        "UPDATE listings l SET quantity = l.quantity - t.n, updated_at = now()
           FROM unnest($1::uuid[], $2::int[]) AS t(id, n)
          WHERE l.id = t.id",
    )
    .bind(&ids)
    .bind(&counts)
    .execute(tx)
    .await?;
    Ok(())
}

/// Gives `units` of each listing back (an order expired or was cancelled). Listings
/// deleted since are skipped. The rows are locked in id order first, as checkout does.
pub async fn give_back(tx: &mut PgConnection, units: &[(Uuid, i32)]) -> sqlx::Result<()> {
    let mut units = units.to_vec();
    units.sort_by_key(|u| u.0);
    let (ids, counts): (Vec<Uuid>, Vec<i32>) = units.into_iter().unzip();
    sqlx::query("SELECT id FROM listings WHERE id = ANY($1) ORDER BY id FOR UPDATE")
        .bind(&ids)
        .fetch_all(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE listings l SET quantity = l.quantity + t.n, updated_at = now()
           FROM (SELECT id, sum(n)::int AS n FROM unnest($1::uuid[], $2::int[]) AS u(id, n) GROUP BY id) AS t
          WHERE l.id = t.id",
    )
    .bind(&ids)
    .bind(&counts)
    .execute(tx)
    .await?;
    Ok(())
}
