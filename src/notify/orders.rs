//! Messages about orders: which events call for which, queued as jobs by the relay,
//! and sent by the jobs' handlers.
//!
//! The job holds the order's id and what the event said (seller, carrier, tracking
//! number), never the buyer's phone or address: those are read, and opened, when the
//! message leaves, so the queue holds no personal data.

use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use uuid::Uuid;

use super::Notifier;
use super::providers::{Attachment, Email};
use super::store::{Attempt, Channel};
use super::templates::{self, OrderMessage};
use crate::orders::contact::{self, OrderContact};
use crate::orders::invoices;
use crate::platform::events::{StoredEvent, Subscriber};
use crate::platform::i18n::Locale;
use crate::platform::jobs::{self, Job, JobFailure, JobHandler, NewJob};

pub const SMS_JOB: &str = "notify.order_sms";
pub const EMAIL_JOB: &str = "notify.order_email";

/// Characters of a text message kept in the log.
const EXCERPT_CHARS: usize = 50;

/// Which message an order event calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Notice {
    Confirmed,
    Shipped,
    Delivered,
}

impl Notice {
    fn of_topic(topic: &str) -> Option<Notice> {
        match topic {
            "order.paid" => Some(Notice::Confirmed),
            "order.shipped" => Some(Notice::Shipped),
            "order.delivered" => Some(Notice::Delivered),
            _ => None,
        }
    }
}

/// A message job's payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderNotice {
    /// Names the message in the log, so it is sent once: `{event id}:{channel}`.
    pub key: String,
    pub order_id: Uuid,
    pub notice: Notice,
    #[serde(default)]
    pub seller: Option<String>,
    #[serde(default)]
    pub carrier: Option<String>,
    #[serde(default)]
    pub tracking_number: Option<String>,
}

impl OrderNotice {
    fn of_event(event: &StoredEvent, channel: Channel) -> Option<OrderNotice> {
        let notice = Notice::of_topic(&event.topic)?;
        let field = |name: &str| event.payload[name].as_str().map(str::to_string);
        Some(OrderNotice {
            key: format!("{}:{}", event.id, channel.as_str()),
            order_id: event.subject_id,
            notice,
            seller: field("seller_name"),
            carrier: field("carrier"),
            tracking_number: field("tracking_number"),
        })
    }

    fn message(&self, contact: &OrderContact) -> OrderMessage {
        let number = contact.number.clone();
        let seller = self.seller.clone().unwrap_or_default();
        match self.notice {
            Notice::Confirmed => OrderMessage::Confirmed { number, total_sar: contact.total.to_string() },
            Notice::Shipped => OrderMessage::Shipped {
                number,
                seller,
                carrier: self.carrier.clone().unwrap_or_default(),
                tracking_number: self.tracking_number.clone().unwrap_or_default(),
            },
            Notice::Delivered => OrderMessage::Delivered { number, seller },
        }
    }
}

/// Queues the messages an order event calls for, in the relay's transaction.
pub struct OrderEvents(pub Notifier);

#[async_trait]
impl Subscriber for OrderEvents {
    async fn on_event(&self, tx: &mut PgConnection, event: &StoredEvent) -> anyhow::Result<()> {
        for (channel, kind) in [(Channel::Sms, SMS_JOB), (Channel::Email, EMAIL_JOB)] {
            let Some(notice) = OrderNotice::of_event(event, channel) else { return Ok(()) };
            let job = NewJob {
                kind,
                dedupe_key: Some(format!("notify:{}", notice.key)),
                payload: serde_json::to_value(&notice)?,
            };
            jobs::enqueue(tx, &job, self.0.max_attempts).await?;
        }
        Ok(())
    }
}

fn payload(job: &Job) -> Result<OrderNotice, JobFailure> {
    serde_json::from_value(job.payload.clone()).map_err(|e| JobFailure::Permanent(format!("unreadable payload: {e}")))
}

/// The order's contact, or a permanent failure when the order is gone.
async fn contact_of(notifier: &Notifier, order_id: Uuid) -> Result<OrderContact, JobFailure> {
    contact::of_order(&notifier.orders, order_id)
        .await
        .map_err(|e| JobFailure::Retry(format!("reading the order: {e}")))?
        .ok_or_else(|| JobFailure::Permanent(format!("order {order_id} no longer exists")))
}

/// Sends an order's text message.
pub struct OrderSms(pub Arc<Notifier>);

#[async_trait]
impl JobHandler for OrderSms {
    async fn run(&self, job: &Job) -> Result<(), JobFailure> {
        let notifier = &self.0;
        let notice = payload(job)?;
        if notifier.already_sent(Channel::Sms, &notice.key).await? {
            return Ok(());
        }
        let contact = contact_of(notifier, notice.order_id).await?;
        let message = notice.message(&contact);
        let text = message.sms(Locale::from_db(&contact.locale));
        let attempt = Attempt {
            purpose: message.purpose(),
            key: Some(&notice.key),
            user_id: Some(contact.buyer_id),
            recipient_masked: contact.phone.masked(),
            summary: templates::excerpt(&text, EXCERPT_CHARS),
            now: notifier.orders.now(),
        };
        Ok(notifier.send_sms(&attempt, &contact.phone, &text).await?)
    }
}

/// Sends an order's email, with the invoices attached to the confirmation.
pub struct OrderEmail(pub Arc<Notifier>);

#[async_trait]
impl JobHandler for OrderEmail {
    async fn run(&self, job: &Job) -> Result<(), JobFailure> {
        let notifier = &self.0;
        let notice = payload(job)?;
        if notifier.already_sent(Channel::Email, &notice.key).await? {
            return Ok(());
        }
        let contact = contact_of(notifier, notice.order_id).await?;
        let Some(address) = contact.email.clone() else {
            // An account that signed up with its phone only: the text message is all.
            return Ok(());
        };
        let attachments =
            if notice.notice == Notice::Confirmed { invoice_pages(notifier, &contact).await? } else { Vec::new() };
        let message = notice.message(&contact);
        let locale = Locale::from_db(&contact.locale);
        let has_invoices = !attachments.is_empty();
        let email = Email {
            to: address.clone(),
            to_name: contact.name.clone(),
            subject: message.subject(locale),
            text: message.email_text(locale, &contact.name, has_invoices),
            html: message.email_html(locale, &contact.name, has_invoices),
            attachments,
        };
        let attempt = Attempt {
            purpose: message.purpose(),
            key: Some(&notice.key),
            user_id: Some(contact.buyer_id),
            recipient_masked: super::providers::mask_email(&address),
            summary: email.subject.clone(),
            now: notifier.orders.now(),
        };
        Ok(notifier.send_email(&attempt, &email).await?)
    }
}

/// The order's invoices as printable pages, one file each.
async fn invoice_pages(notifier: &Notifier, contact: &OrderContact) -> Result<Vec<Attachment>, JobFailure> {
    let records = invoices::of_order(&notifier.orders, contact.order_id)
        .await
        .map_err(|e| JobFailure::Retry(format!("reading the invoices: {e}")))?;
    records
        .iter()
        .map(|record| {
            let view = invoices::view(record).map_err(|e| JobFailure::Permanent(format!("an invoice: {e}")))?;
            Ok(Attachment {
                filename: format!("{}.html", view.number),
                content_type: "text/html".into(),
                content: invoices::page(&view).into_bytes(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(topic: &str, payload: serde_json::Value) -> StoredEvent {
        StoredEvent { id: 42, topic: topic.into(), subject_id: Uuid::nil(), payload, occurred_at: chrono::Utc::now() }
    }

    #[test]
    fn paid_shipped_and_delivered_call_for_messages_and_nothing_else_does() {
        for (topic, notice) in [
            ("order.paid", Notice::Confirmed),
            ("order.shipped", Notice::Shipped),
            ("order.delivered", Notice::Delivered),
        ] {
            let found = OrderNotice::of_event(&event(topic, serde_json::json!({})), Channel::Sms).unwrap();
            assert_eq!(found.notice, notice);
        }
        for topic in ["order.created", "order.accepted", "order.cancelled", "order.expired", "order.refunded"] {
            assert!(OrderNotice::of_event(&event(topic, serde_json::json!({})), Channel::Email).is_none(), "{topic}");
        }
    }

    #[test]
    fn a_notice_is_keyed_by_its_event_and_channel_and_carries_the_shipment() {
        let shipped = event(
            "order.shipped",
            serde_json::json!({"seller_name": "قطع الراشد", "carrier": "SMSA", "tracking_number": "290012345678"}),
        );
        let sms = OrderNotice::of_event(&shipped, Channel::Sms).unwrap();
        let email = OrderNotice::of_event(&shipped, Channel::Email).unwrap();
        assert_eq!((sms.key.as_str(), email.key.as_str()), ("42:sms", "42:email"));
        assert_eq!(sms.tracking_number.as_deref(), Some("290012345678"));
        let round_trip: OrderNotice = serde_json::from_value(serde_json::to_value(&sms).unwrap()).unwrap();
        assert_eq!(round_trip, sms);
    }
}
