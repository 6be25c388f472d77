//! Consents to marketing messages: given or withdrawn at any time, each change kept
//! with its time, where it was made and from which address. Nothing is consented by
//! default; order and account messages need no consent (they are part of the service).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::platform::client::RequestContext;

/// What a consent allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Offers and news by text message.
    MarketingSms,
    /// Offers and news by email.
    MarketingEmail,
}

impl Purpose {
    pub const ALL: [Purpose; 2] = [Purpose::MarketingSms, Purpose::MarketingEmail];

    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::MarketingSms => "marketing_sms",
            Purpose::MarketingEmail => "marketing_email",
        }
    }

    pub fn parse(value: &str) -> Option<Purpose> {
        Purpose::ALL.into_iter().find(|p| p.as_str() == value)
    }
}

/// Where a choice was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    #[default]
    Api,
    Storefront,
    Registration,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Api => "api",
            Source::Storefront => "storefront",
            Source::Registration => "registration",
        }
    }
}

/// An account's standing choice for one purpose.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Consent {
    pub purpose: Purpose,
    pub granted: bool,
    /// When the choice was made; absent when it never was (no consent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorded_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// One change of a consent, as the history keeps it.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct ConsentRecord {
    pub purpose: String,
    pub granted: bool,
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

/// Every change of the account's consents, oldest first.
pub async fn history(db: &PgPool, user_id: Uuid) -> sqlx::Result<Vec<ConsentRecord>> {
    sqlx::query_as(
        "SELECT purpose, granted, source, host(ip) AS ip, recorded_at FROM consent_records
          WHERE user_id = $1 ORDER BY recorded_at, id",
    )
    .bind(user_id)
    .fetch_all(db)
    .await
}

/// The account's standing choice for every purpose.
pub async fn current(db: &PgPool, user_id: Uuid) -> sqlx::Result<Vec<Consent>> {
    let history = history(db, user_id).await?;
    Ok(Purpose::ALL
        .into_iter()
        .map(|purpose| match history.iter().rev().find(|r| r.purpose == purpose.as_str()) {
            Some(latest) => Consent {
                purpose,
                granted: latest.granted,
                recorded_at: Some(latest.recorded_at),
                source: Some(latest.source.clone()),
            },
            None => Consent { purpose, granted: false, recorded_at: None, source: None },
        })
        .collect())
}

/// Records a choice; the account's standing choices after it.
pub async fn record(
    db: &PgPool,
    user_id: Uuid,
    purpose: Purpose,
    granted: bool,
    source: Source,
    context: &RequestContext,
    now: DateTime<Utc>,
) -> sqlx::Result<Vec<Consent>> {
    sqlx::query(
        "INSERT INTO consent_records (user_id, purpose, granted, source, ip, recorded_at)
         VALUES ($1, $2, $3, $4, $5::inet, $6)",
    )
    .bind(user_id)
    .bind(purpose.as_str())
    .bind(granted)
    .bind(source.as_str())
    .bind(context.ip.map(|ip| ip.to_string()))
    .bind(now)
    .execute(db)
    .await?;
    current(db, user_id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purposes_read_back_as_written() {
        for purpose in Purpose::ALL {
            assert_eq!(Purpose::parse(purpose.as_str()), Some(purpose));
        }
        assert_eq!(Purpose::parse("marketing_fax"), None);
    }
}
