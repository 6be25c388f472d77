//! The right to erasure: the account's personal data erased or detached in one
//! transaction, at the owner's request confirmed with the password or a second-factor
//! code.
//!
//! Orders and invoices are kept (tax law), detached from the person; sessions, codes,
//! second factor, contacts, consents and a seller's API keys are removed; the messages'
//! log and the audit trail forget the recipient and the addresses. An audit entry says
//! the erasure happened, with counts only. Refused, with the order numbers, while orders
//! still need the person: a buyer's on their way, a seller's to fulfil.

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use super::PrivacyError;
use crate::auth::AuthState;
use crate::auth::erasure::{self, Confirmation};
use crate::auth::error::AuthError;
use crate::auth::{store as auth_store, users};
use crate::notify;
use crate::orders;
use crate::platform::audit::{self, Entry, Event};
use crate::platform::client::RequestContext;
use crate::platform::events;

/// The event of an erased account.
pub const ERASED: &str = "account.erased";

/// Erases account `user_id`; how many orders were detached from it.
pub async fn erase(
    db: &PgPool,
    auth: &AuthState,
    user_id: Uuid,
    confirmation: Confirmation,
    context: &RequestContext,
) -> Result<u64, PrivacyError> {
    let now = auth.clock.now();
    let mut tx = db.begin().await?;
    // Holds off a concurrent sign-in, reset or second erasure of the account.
    auth_store::users::lock(&mut *tx, user_id).await?;
    let user =
        users::by_id(&mut *tx, user_id).await?.ok_or(AuthError::Unauthenticated("the account no longer exists"))?;
    erasure::confirm_owner(&mut tx, auth, &user, confirmation).await?;
    if let Some(seller_id) = user.seller_id {
        let open = orders::privacy::open_of_seller(&mut tx, seller_id).await?;
        if !open.is_empty() {
            let reason = "the seller still has orders to fulfil; ship or cancel them first";
            return Err(PrivacyError::OpenOrders { reason, numbers: open });
        }
    }
    let open = orders::privacy::open_of_buyer(&mut tx, user.id).await?;
    if !open.is_empty() {
        let reason = "orders are still on their way; erase the account once they are delivered or cancelled";
        return Err(PrivacyError::OpenOrders { reason, numbers: open });
    }
    let detached = orders::privacy::detach_buyer(&mut tx, user.id).await?;
    notify::store::detach_user(&mut tx, user.id).await?;
    sqlx::query("DELETE FROM consent_records WHERE user_id = $1").bind(user.id).execute(&mut *tx).await?;
    erasure::erase_credentials(&mut tx, &user, now).await?;
    audit::store::scrub_user(&mut *tx, user.id).await?;
    // Nothing of the request's origin either: the entry says that it happened.
    let anonymous = RequestContext { request_id: context.request_id.clone(), ..RequestContext::default() };
    let entry = Entry::own(Event::AccountErased, user.id).with(json!({ "orders_detached": detached }));
    audit::record(&mut *tx, entry, &anonymous, now).await?;
    let event = events::Event {
        topic: ERASED,
        subject_id: user.id,
        payload: json!({ "orders_detached": detached }),
        occurred_at: now,
    };
    events::record(&mut tx, &event).await?;
    tx.commit().await?;
    Ok(detached)
}
