//! Reading orders: who may see which order, and how much of it.

use uuid::Uuid;

use super::error::OrderError;
use super::model::OrderView;
use super::state::OrderStatus;
use super::store::{self, GroupRecord, OrderRecord};
use super::{OrdersState, view};
use crate::platform::pagination::{PageMeta, PageParams, Paginated};

/// Who is asking: a signed-in user (perhaps managing a seller, perhaps an admin), or a
/// seller's system with an API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewer {
    pub user_id: Option<Uuid>,
    pub seller_id: Option<Uuid>,
    pub admin: bool,
}

/// How much of an order a viewer may see.
enum Access<'a> {
    Whole,
    Group(&'a GroupRecord),
}

/// Whole for its buyer and admins, one group for a seller of it, nothing for anyone else.
fn access<'a>(record: &'a OrderRecord, viewer: Viewer) -> Option<Access<'a>> {
    if viewer.admin || viewer.user_id == Some(record.buyer_id) {
        return Some(Access::Whole);
    }
    let seller = viewer.seller_id?;
    record.groups.iter().find(|g| g.seller_id == seller).map(Access::Group)
}

/// The order `id` as `viewer` may see it: whole for its buyer and admins, one group
/// for a seller of it, "not found" for everyone else.
pub async fn order(state: &OrdersState, id: Uuid, viewer: Viewer) -> Result<OrderView, OrderError> {
    let mut conn = state.db.acquire().await?;
    let record = store::orders::load(&mut conn, id).await?.ok_or(OrderError::NotFound("order"))?;
    let access = access(&record, viewer).ok_or(OrderError::NotFound("order"))?;
    let phone = state.open_phone(&record)?;
    Ok(match access {
        Access::Whole => view::order(&record, phone.as_ref()),
        Access::Group(group) => view::order_for_seller(&record, group, phone.as_ref()),
    })
}

/// Whether `viewer` may see the order `id` at all (its invoices, for one).
pub async fn visible(state: &OrdersState, id: Uuid, viewer: Viewer) -> Result<bool, OrderError> {
    let mut conn = state.db.acquire().await?;
    let record = store::orders::load(&mut conn, id).await?;
    Ok(record.is_some_and(|record| access(&record, viewer).is_some()))
}

/// A page of the buyer's own orders, newest first.
pub async fn of_buyer(
    state: &OrdersState,
    buyer_id: Uuid,
    status: Option<OrderStatus>,
    page: PageParams,
) -> Result<Paginated<OrderView>, OrderError> {
    let mut conn = state.db.acquire().await?;
    let (records, total) = store::orders::of_buyer(&mut conn, buyer_id, status, page).await?;
    let mut data = Vec::with_capacity(records.len());
    for record in &records {
        data.push(view::order(record, state.open_phone(record)?.as_ref()));
    }
    Ok(Paginated { data, meta: PageMeta::new(page, total) })
}
