//! Who to tell about an order, and how: what a notification of it needs, read when
//! the message is sent (so the job queue holds no phone numbers or addresses).

use uuid::Uuid;

use super::{OrderError, OrdersState, phone_context, store};
use crate::platform::money::Halalas;
use crate::platform::phone::Phone;

/// The buyer of an order, as a message to them needs it.
#[derive(Debug, Clone)]
pub struct OrderContact {
    pub order_id: Uuid,
    pub number: String,
    pub buyer_id: Uuid,
    pub name: String,
    /// The account's email, when it has one.
    pub email: Option<String>,
    /// `ar` or `en`: the account's language for messages.
    pub locale: String,
    /// The phone given for this order's delivery.
    pub phone: Phone,
    pub total: Halalas,
}

/// The contact of `order_id`, or `None` when there is no such order or its buyer was erased.
pub async fn of_order(state: &OrdersState, order_id: Uuid) -> Result<Option<OrderContact>, OrderError> {
    let Some(row) = store::orders::contact(&state.db, order_id).await? else {
        return Ok(None);
    };
    // An erased buyer is told nothing more.
    let Some(sealed) = &row.phone_sealed else { return Ok(None) };
    let phone = state.keys.cipher.open(sealed, &phone_context(order_id))?;
    Ok(Some(OrderContact {
        order_id,
        number: row.number,
        buyer_id: row.buyer_id,
        name: row.name,
        email: row.email,
        locale: row.locale,
        phone: Phone::from_e164(String::from_utf8(phone).map_err(anyhow::Error::from)?),
        total: Halalas::new(row.total_halalas),
    }))
}
