//! Messages to sellers about their store: the news that it was verified, queued from
//! the KYC module's event and sent by a job to every account that manages the seller.

use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use uuid::Uuid;

use super::Notifier;
use super::store::Channel;
use super::templates::SellerVerifiedMessage;
use crate::kyc::SELLER_VERIFIED;
use crate::platform::events::{StoredEvent, Subscriber};
use crate::platform::jobs::{self, Job, JobFailure, JobHandler, NewJob};

pub const VERIFIED_EMAIL_JOB: &str = "notify.seller_verified_email";

/// A verified-seller job's payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedNotice {
    /// `{event id}:email`; each account's message is logged under it and its id.
    pub key: String,
    pub seller_id: Uuid,
}

/// Queues the message of a seller's verification, in the relay's transaction.
pub struct SellerEvents(pub Notifier);

#[async_trait]
impl Subscriber for SellerEvents {
    async fn on_event(&self, tx: &mut PgConnection, event: &StoredEvent) -> anyhow::Result<()> {
        if event.topic != SELLER_VERIFIED {
            return Ok(());
        }
        let notice =
            VerifiedNotice { key: format!("{}:{}", event.id, Channel::Email.as_str()), seller_id: event.subject_id };
        let job = NewJob {
            kind: VERIFIED_EMAIL_JOB,
            dedupe_key: Some(format!("notify:{}", notice.key)),
            payload: serde_json::to_value(&notice)?,
        };
        jobs::enqueue(tx, &job, self.0.max_attempts).await?;
        Ok(())
    }
}

/// Tells every account of a seller that it is verified, each once.
pub struct SellerVerifiedEmail(pub Arc<Notifier>);

#[async_trait]
impl JobHandler for SellerVerifiedEmail {
    async fn run(&self, job: &Job) -> Result<(), JobFailure> {
        let notifier = &self.0;
        let notice: VerifiedNotice = serde_json::from_value(job.payload.clone())
            .map_err(|e| JobFailure::Permanent(format!("unreadable payload: {e}")))?;
        let addressees = notifier
            .accounts
            .seller_addressees(notice.seller_id)
            .await
            .map_err(|e| JobFailure::Retry(format!("reading the seller's accounts: {e}")))?;
        for addressee in addressees {
            let key = format!("{}:{}", notice.key, addressee.user_id);
            if notifier.already_sent(Channel::Email, &key).await? {
                continue;
            }
            let message = SellerVerifiedMessage { name: &addressee.name };
            notifier.email_account(&key, &addressee, &message).await?;
        }
        Ok(())
    }
}
