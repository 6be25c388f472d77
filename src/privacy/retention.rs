//! Retention: what is kept only as long as it is needed is purged on schedule, each
//! period in the settings (`[retention]`) and listed in docs/privacy.md.
//!
//! The policy is one table of rules on purpose: which rows, past which moment, go. It
//! spans the tables of several modules because a retention schedule is read, audited
//! and changed as one document, and each rule is a single `DELETE` on a timestamp.
//! Expired idempotency keys, relayed events and finished jobs are purged by their own
//! modules (see `orders::expiry`, `platform::events`, `platform::jobs`).
//!
//! Every process runs the schedule; a transaction-level advisory lock lets one replica
//! at a time do a round, and `cargoparts retention run` does one on demand.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;

use crate::platform::config::RetentionSettings;

/// One rule: rows of `table` whose `column` is older than `days` before now go,
/// when `only` holds of them too.
struct Rule {
    name: &'static str,
    table: &'static str,
    column: &'static str,
    only: &'static str,
    days: fn(&RetentionSettings) -> u32,
}

const RULES: &[Rule] = &[
    Rule {
        name: "expired refresh tokens",
        table: "refresh_tokens",
        column: "expires_at",
        only: "true",
        days: |s| s.refresh_tokens_days,
    },
    Rule {
        name: "ended sessions",
        table: "auth_sessions",
        column: "revoked_at",
        only: "revoked_at IS NOT NULL",
        days: |s| s.ended_sessions_days,
    },
    Rule {
        name: "sign-in codes",
        table: "phone_otps",
        column: "expires_at",
        only: "true",
        days: |s| s.one_time_codes_days,
    },
    Rule {
        name: "password resets",
        table: "password_resets",
        column: "expires_at",
        only: "true",
        days: |s| s.one_time_codes_days,
    },
    Rule {
        name: "contact verifications",
        table: "contact_verifications",
        column: "expires_at",
        only: "true",
        days: |s| s.one_time_codes_days,
    },
    Rule {
        name: "second-factor challenges",
        table: "mfa_challenges",
        column: "expires_at",
        only: "true",
        days: |s| s.one_time_codes_days,
    },
    Rule {
        name: "text messages logged",
        table: "sms_log",
        column: "created_at",
        only: "status <> 'sending'",
        days: |s| s.message_log_days,
    },
    Rule {
        name: "emails logged",
        table: "email_log",
        column: "created_at",
        only: "status <> 'sending'",
        days: |s| s.message_log_days,
    },
    Rule { name: "audit entries", table: "audit_log", column: "occurred_at", only: "true", days: |s| s.audit_days },
    Rule { name: "expired data exports", table: "data_exports", column: "expires_at", only: "true", days: |_| 0 },
];

/// What one round purged, per rule.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Purged {
    /// `(rule, rows)` for every rule, in the policy's order.
    pub rules: Vec<(&'static str, u64)>,
    /// False when another replica held the round.
    pub ran: bool,
}

impl Purged {
    pub fn total(&self) -> u64 {
        self.rules.iter().map(|(_, rows)| rows).sum()
    }
}

/// Runs every rule once at `now`, in one transaction; a round another replica is
/// running is skipped.
pub async fn purge(db: &PgPool, settings: &RetentionSettings, now: DateTime<Utc>) -> sqlx::Result<Purged> {
    let mut tx = db.begin().await?;
    let ours: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock(hashtext('privacy_retention'))")
        .fetch_one(&mut *tx)
        .await?;
    if !ours {
        return Ok(Purged::default());
    }
    let mut purged = Purged { rules: Vec::with_capacity(RULES.len()), ran: true };
    for rule in RULES {
        let before = now - chrono::Duration::days(i64::from((rule.days)(settings)));
        let sql = format!("DELETE FROM {} WHERE {} < $1 AND ({})", rule.table, rule.column, rule.only);
        let done = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(before).execute(&mut *tx).await?;
        purged.rules.push((rule.name, done.rows_affected()));
    }
    tx.commit().await?;
    Ok(purged)
}

/// Purges every `retention.interval_secs` for as long as the process runs.
pub async fn run(db: PgPool, settings: RetentionSettings) {
    let mut ticks = tokio::time::interval(Duration::from_secs(settings.interval_secs.max(1)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match purge(&db, &settings, Utc::now()).await {
            Ok(purged) if purged.total() > 0 => {
                tracing::info!(purged = purged.total(), rules = ?purged.rules, "purged data past its retention")
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "the retention round failed; retrying on the next tick"),
        }
    }
}
