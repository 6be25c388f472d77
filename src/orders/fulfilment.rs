//! Sellers' side of an order: their groups, and the moves they make with them
//! (accept, ship, deliver). A seller sees and moves only its own groups; someone
//! else's group is "not found", never "forbidden", so ids reveal nothing.

use uuid::Uuid;

use super::error::OrderError;
use super::model::SellerOrderView;
use super::state::{GroupMove, GroupStatus, OrderStatus, settle};
use super::store;
use super::{OrdersState, view};
use crate::platform::events::{self, Event};
use crate::platform::pagination::{PageMeta, PageParams, Paginated};

/// A page of the seller's groups, newest first.
pub async fn list(
    state: &OrdersState,
    seller_id: Uuid,
    status: Option<GroupStatus>,
    page: PageParams,
) -> Result<Paginated<SellerOrderView>, OrderError> {
    let mut conn = state.db.acquire().await?;
    let (rows, total) = store::orders::of_seller(&mut conn, seller_id, status, page).await?;
    let mut data = Vec::with_capacity(rows.len());
    for (group, order) in &rows {
        // The phone is opened only where the seller may see it.
        let phone = if group.status.was_paid() { state.open_phone(order)? } else { None };
        data.push(view::seller_group(group, order, phone.as_ref()));
    }
    Ok(Paginated { data, meta: PageMeta::new(page, total) })
}

/// Makes `change` on the seller's group `group_id`; `shipment` is the carrier and
/// tracking number of a shipment.
pub async fn advance(
    state: &OrdersState,
    seller_id: Uuid,
    group_id: Uuid,
    change: GroupMove,
    shipment: Option<(&str, &str)>,
) -> Result<SellerOrderView, OrderError> {
    let mut tx = state.db.begin().await?;
    // The order's lock first, as every change of an order takes it.
    let order =
        store::orders::lock_by_group(&mut tx, group_id, seller_id).await?.ok_or(OrderError::NotFound("order"))?;
    let order_id = order.id;
    let group = order.groups.iter().find(|g| g.id == group_id).ok_or(OrderError::NotFound("order"))?;
    let next = group.status.after(change)?;
    let now = state.now();
    store::orders::set_group_status(&mut tx, group_id, next, shipment, now).await?;
    let statuses: Vec<GroupStatus> =
        order.groups.iter().map(|g| if g.id == group_id { next } else { g.status }).collect();
    let settled = settle(order.status, &statuses);
    if settled != order.status {
        store::orders::set_status(&mut tx, order_id, settled, None, now).await?;
    }
    let topic = match change {
        GroupMove::Accept => "order.accepted",
        GroupMove::Ship => "order.shipped",
        GroupMove::Deliver => "order.delivered",
    };
    let (carrier, tracking_number) = shipment.unzip();
    let event = Event {
        topic,
        subject_id: order_id,
        payload: serde_json::json!({
            "order_id": order_id,
            "number": order.number,
            "buyer_id": order.buyer_id,
            "group_id": group_id,
            "seller_id": seller_id,
            "seller_name": group.seller_name,
            "carrier": carrier,
            "tracking_number": tracking_number,
            "order_completed": settled == OrderStatus::Completed && order.status != OrderStatus::Completed,
        }),
        occurred_at: now,
    };
    events::record(&mut tx, &event).await?;
    tx.commit().await?;
    let mut order = order.group_moved(group_id, next, shipment, now);
    if settled != order.status {
        order = order.moved(settled, None, now);
    }
    let group = order.groups.iter().find(|g| g.id == group_id).ok_or(OrderError::NotFound("order"))?;
    Ok(view::seller_group(group, &order, state.open_phone(&order)?.as_ref()))
}
