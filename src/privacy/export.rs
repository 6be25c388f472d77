//! The right of access: everything held about an account, in one JSON document.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

use super::PrivacyError;
use super::consents::{self, Consent, ConsentRecord};
use crate::auth::error::AuthError;
use crate::auth::store::sessions::{self, SessionRecord};
use crate::auth::users::{self, UserView};
use crate::notify::store::{self as messages, SentMessage};
use crate::orders::model::OrderView;
use crate::orders::{self, OrdersState};
use crate::payments::store::payments::{self, ExportedPayment};
use crate::platform::audit::store::{self as audit, Filter};
use crate::platform::pagination::{MAX_LIMIT, PageParams};

/// Everything held about an account.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountExport {
    pub generated_at: DateTime<Utc>,
    /// The profile: name, contacts (and whether each is proven), language, role.
    pub account: UserView,
    /// The standing choices, and every change of them.
    pub consents: Vec<Consent>,
    pub consent_history: Vec<ConsentRecord>,
    /// Every order, with its shipping address and phone as given.
    pub orders: Vec<OrderView>,
    /// Every payment: method, amounts, the provider's answer, and no more of a card
    /// than its first and last digits.
    pub payments: Vec<ExportedPayment>,
    /// Every sign-in session, with the address and browser it came from.
    pub sessions: Vec<SessionRecord>,
    /// The security events about the account: sign-ins, failures, changes.
    pub security_events: Vec<SecurityEvent>,
    /// Every text message and email sent to the account.
    pub messages: Vec<SentMessage>,
}

/// A security event, as the audit trail keeps it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SecurityEvent {
    pub occurred_at: DateTime<Utc>,
    /// E.g. `login.succeeded`, `password.changed`.
    pub event: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    pub details: serde_json::Value,
}

/// Security events read per round, to keep each read small.
const AUDIT_PAGE: i64 = 500;

/// Everything held about account `user_id`, at `now`.
pub async fn export(
    db: &PgPool,
    orders: &OrdersState,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<AccountExport, PrivacyError> {
    let user = users::by_id(db, user_id).await?.ok_or(AuthError::Unauthenticated("the account no longer exists"))?;
    Ok(AccountExport {
        generated_at: now,
        account: user.view_with(&orders.keys.cipher)?,
        consents: consents::current(db, user_id).await?,
        consent_history: consents::history(db, user_id).await?,
        orders: all_orders(orders, user_id).await?,
        payments: payments::of_buyer(db, user_id).await?,
        sessions: sessions::of_user(db, user_id).await?,
        security_events: security_events(db, user_id).await?,
        messages: messages::sent_to(db, user_id).await?,
    })
}

/// How many orders the account has: what decides whether its export is built while
/// the owner waits or by a job.
pub async fn order_count(orders: &OrdersState, buyer_id: Uuid) -> Result<u64, PrivacyError> {
    Ok(orders::privacy::count_of_buyer(&orders.db, buyer_id).await?)
}

async fn all_orders(orders: &OrdersState, buyer_id: Uuid) -> Result<Vec<OrderView>, PrivacyError> {
    let mut all = Vec::new();
    for page in 1.. {
        let params = PageParams { page, limit: MAX_LIMIT };
        let found = orders::reading::of_buyer(orders, buyer_id, None, params).await?;
        all.extend(found.data);
        if !found.meta.has_next {
            break;
        }
    }
    Ok(all)
}

async fn security_events(db: &PgPool, user_id: Uuid) -> Result<Vec<SecurityEvent>, PrivacyError> {
    let filter = Filter { event: None, user_id: Some(user_id) };
    let mut all = Vec::new();
    loop {
        let page = audit::page(db, filter, AUDIT_PAGE, all.len() as i64).await?;
        let done = (page.len() as i64) < AUDIT_PAGE;
        all.extend(page.into_iter().map(|r| SecurityEvent {
            occurred_at: r.occurred_at,
            event: r.event,
            ip: r.ip,
            user_agent: r.user_agent,
            details: r.details,
        }));
        if done {
            break;
        }
    }
    Ok(all)
}
