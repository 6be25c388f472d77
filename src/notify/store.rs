//! The SQL of the message logs, `sms_log` and `email_log`.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::PgPool;
use uuid::Uuid;

use super::providers::SmsReceipt;

/// Which log a message goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Sms,
    Email,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Email => "email",
        }
    }
}

/// What the log says of the message with `key`: `sending`, `sent`, `failed`,
/// `logged`, or `None` before a first try.
pub async fn status_of(db: &PgPool, channel: Channel, key: &str) -> sqlx::Result<Option<String>> {
    let sql = match channel {
        Channel::Sms => "SELECT status FROM sms_log WHERE notification_key = $1",
        Channel::Email => "SELECT status FROM email_log WHERE notification_key = $1",
    };
    sqlx::query_scalar(sql).bind(key).fetch_optional(db).await
}

/// A message about to be handed to a provider.
#[derive(Debug, Clone)]
pub struct Attempt<'a> {
    pub purpose: &'a str,
    /// The notification it delivers; `None` for a sign-in code.
    pub key: Option<&'a str>,
    pub user_id: Option<Uuid>,
    pub recipient_masked: String,
    /// The SMS body's excerpt, or the email's subject.
    pub summary: String,
    pub now: DateTime<Utc>,
}

/// Notes the attempt as `sending` (again, for a notification tried before); its row id.
///
/// A message already on its way when its recipient's account was erased is logged
/// without naming the account, as the erasure left the rest of the log: the account's
/// row is read under a share lock, so an erasure in progress is waited for.
pub async fn begin(db: &PgPool, channel: Channel, attempt: &Attempt<'_>) -> sqlx::Result<i64> {
    let sql = match channel {
        Channel::Sms => {
            "WITH account AS (SELECT id, erased_at IS NOT NULL AS erased FROM users WHERE id = $3 FOR SHARE)
             INSERT INTO sms_log (purpose, notification_key, user_id, recipient_masked, body_excerpt, status, created_at, updated_at)
             SELECT $1, $2, CASE WHEN a.erased THEN NULL ELSE a.id END,
                    CASE WHEN a.erased THEN 'erased' ELSE $4 END, $5, 'sending', $6, $6
               FROM (SELECT 1) AS one LEFT JOIN account a ON true
             ON CONFLICT (notification_key) DO UPDATE
                SET status = 'sending', error = NULL, recipient_masked = EXCLUDED.recipient_masked, updated_at = $6
             RETURNING id"
        }
        Channel::Email => {
            "WITH account AS (SELECT id, erased_at IS NOT NULL AS erased FROM users WHERE id = $3 FOR SHARE)
             INSERT INTO email_log (purpose, notification_key, user_id, recipient_masked, subject, status, created_at, updated_at)
             SELECT $1, $2, CASE WHEN a.erased THEN NULL ELSE a.id END,
                    CASE WHEN a.erased THEN 'erased' ELSE $4 END, $5, 'sending', $6, $6
               FROM (SELECT 1) AS one LEFT JOIN account a ON true
             ON CONFLICT (notification_key) DO UPDATE
                SET status = 'sending', error = NULL, recipient_masked = EXCLUDED.recipient_masked, updated_at = $6
             RETURNING id"
        }
    };
    sqlx::query_scalar(sql)
        .bind(attempt.purpose)
        .bind(attempt.key)
        .bind(attempt.user_id)
        .bind(&attempt.recipient_masked)
        .bind(&attempt.summary)
        .bind(attempt.now)
        .fetch_one(db)
        .await
}

/// The provider took the text message (`delivered` false: the development sender
/// noted it).
pub async fn sms_sent(
    db: &PgPool,
    id: i64,
    receipt: &SmsReceipt,
    delivered: bool,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE sms_log SET status = $2, units = $3, cost = $4, provider_message_id = $5, updated_at = $6 WHERE id = $1",
    )
    .bind(id)
    .bind(if delivered { "sent" } else { "logged" })
    .bind(receipt.units)
    .bind(receipt.cost.map(|c: Decimal| c.round_dp(5)))
    .bind(receipt.message_id.as_deref())
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn email_sent(
    db: &PgPool,
    id: i64,
    message_id: Option<&str>,
    delivered: bool,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE email_log SET status = $2, provider_message_id = $3, updated_at = $4 WHERE id = $1")
        .bind(id)
        .bind(if delivered { "sent" } else { "logged" })
        .bind(message_id)
        .bind(now)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn failed(db: &PgPool, channel: Channel, id: i64, error: &str, now: DateTime<Utc>) -> sqlx::Result<()> {
    let sql = match channel {
        Channel::Sms => "UPDATE sms_log SET status = 'failed', error = $2, updated_at = $3 WHERE id = $1",
        Channel::Email => "UPDATE email_log SET status = 'failed', error = $2, updated_at = $3 WHERE id = $1",
    };
    let error: String = error.chars().take(500).collect();
    sqlx::query(sql).bind(id).bind(error).bind(now).execute(db).await?;
    Ok(())
}

/// Detaches an erased account from the messages sent to it: the log keeps what was
/// sent and when (the provider's bill names it), not to whom.
pub async fn detach_user(db: &mut sqlx::PgConnection, user_id: Uuid) -> sqlx::Result<()> {
    for table in ["sms_log", "email_log"] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE {table} SET user_id = NULL, recipient_masked = 'erased' WHERE user_id = $1"
        )))
        .bind(user_id)
        .execute(&mut *db)
        .await?;
    }
    Ok(())
}

/// A message sent to an account, as its owner's data export shows it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SentMessage {
    /// `sms` or `email`.
    pub channel: String,
    pub purpose: String,
    pub recipient_masked: String,
    /// The first characters of a text message, or an email's subject.
    pub summary: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

/// Every message sent to `user_id`, oldest first.
pub async fn sent_to(db: &PgPool, user_id: Uuid) -> sqlx::Result<Vec<SentMessage>> {
    sqlx::query_as::<_, (String, String, String, String, String, DateTime<Utc>)>(
        "SELECT 'sms', purpose, recipient_masked, body_excerpt, status, created_at FROM sms_log WHERE user_id = $1
         UNION ALL
         SELECT 'email', purpose, recipient_masked, subject, status, created_at FROM email_log WHERE user_id = $1
         ORDER BY 6",
    )
    .bind(user_id)
    .fetch_all(db)
    .await
    .map(|rows| {
        rows.into_iter()
            .map(|(channel, purpose, recipient_masked, summary, status, created_at)| SentMessage {
                channel,
                purpose,
                recipient_masked,
                summary,
                status,
                created_at,
            })
            .collect()
    })
}
