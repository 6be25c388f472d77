//! Administrators' review of sellers' documents: the queue, and a decision on each
//! (approve, or reject with a reason the seller reads), audited.

use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::documents::{self, DocumentView};
use super::store;
use super::{KycError, KycState};
use crate::platform::audit::{self, Entry, Event};
use crate::platform::client::RequestContext;

/// A document waiting for review, with what the reviewer compares: the number in full.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueuedDocument {
    pub seller_id: Uuid,
    #[serde(flatten)]
    pub document: DocumentView,
    /// The number as the seller gave it (folded), to compare with the file.
    pub number: String,
}

/// Documents awaiting review, oldest first.
pub async fn queue(state: &KycState, limit: i64) -> Result<Vec<QueuedDocument>, KycError> {
    let rows = store::pending(&state.db, limit).await?;
    rows.iter()
        .map(|row| {
            Ok(QueuedDocument {
                seller_id: row.seller_id,
                document: DocumentView::of(row),
                number: documents::open_number(state, row)?,
            })
        })
        .collect()
}

/// An administrator's decision on a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Reject,
}

/// Approves or rejects pending document `id` (a rejection needs a reason); the
/// seller's verification is decided again in the same transaction.
pub async fn decide(
    state: &KycState,
    reviewer: Uuid,
    id: Uuid,
    decision: Decision,
    reason: Option<&str>,
    context: &RequestContext,
) -> Result<DocumentView, KycError> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if let Some(reason) = reason
        && (reason.chars().count() > 500 || reason.chars().any(char::is_control))
    {
        return Err(KycError::invalid("reason", "must be at most 500 characters of text"));
    }
    let status = match (decision, reason) {
        (Decision::Approve, _) => "approved",
        (Decision::Reject, Some(_)) => "rejected",
        (Decision::Reject, None) => {
            return Err(KycError::invalid("reason", "is required to reject: the seller reads it"));
        }
    };
    let now = state.now();
    let document = store::by_id(&state.db, id).await?.ok_or(KycError::NotFound("document"))?;
    let mut tx = state.db.begin().await?;
    store::lock_seller(&mut tx, document.seller_id).await?.ok_or(KycError::NotFound("seller"))?;
    if !store::decide(&mut tx, id, status, reason, reviewer, now).await? {
        let current = store::by_id(&mut *tx, id).await?.map(|d| d.status).unwrap_or_default();
        return Err(KycError::Decided(current));
    }
    let verified = documents::decide_verification(&mut tx, document.seller_id, now).await?;
    let entry = Entry::by(Event::KycDocumentReviewed, reviewer).with(json!({
        "document_id": id,
        "seller_id": document.seller_id,
        "type": document.r#type,
        "decision": status,
        "seller_verified": verified,
    }));
    audit::record(&mut *tx, entry, context, now).await?;
    tx.commit().await?;
    let reviewed = store::by_id(&state.db, id).await?.ok_or(KycError::NotFound("document"))?;
    Ok(DocumentView::of(&reviewed))
}
