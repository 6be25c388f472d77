//! The monitoring rules, in one table: a new rule is a name and a function of the
//! attempt that says why it fires.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::PgConnection;
use uuid::Uuid;

use super::store;
use crate::platform::money::Halalas;

/// Above this amount a payment is a large transaction (SAR 10,000.00).
pub const LARGE_TRANSACTION: Halalas = Halalas::new(1_000_000);
/// More attempts than this within an hour are rapid transactions.
pub const RAPID_ATTEMPTS: i64 = 5;

/// A payment attempt, with what the rules need to know about its past.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub payment_id: Uuid,
    pub order_id: Uuid,
    pub buyer_id: Uuid,
    pub amount: Halalas,
    /// Attempts of the buyer within the last hour, this one included.
    pub buyer_attempts_last_hour: i64,
    /// Attempts on the order within the last hour, this one included.
    pub order_attempts_last_hour: i64,
}

/// A rule: its code, and why it fires for an attempt (`None` when it does not).
pub struct Rule {
    pub code: &'static str,
    pub fires: fn(&Attempt) -> Option<Value>,
}

pub const RULES: &[Rule] = &[
    Rule {
        code: "LARGE_TRANSACTION",
        fires: |attempt| {
            (attempt.amount > LARGE_TRANSACTION).then(
                || json!({ "amount_sar": attempt.amount.to_string(), "threshold_sar": LARGE_TRANSACTION.to_string() }),
            )
        },
    },
    Rule {
        code: "RAPID_TRANSACTIONS",
        fires: |attempt| {
            (attempt.buyer_attempts_last_hour > RAPID_ATTEMPTS || attempt.order_attempts_last_hour > RAPID_ATTEMPTS)
                .then(|| {
                    json!({
                        "buyer_attempts_last_hour": attempt.buyer_attempts_last_hour,
                        "order_attempts_last_hour": attempt.order_attempts_last_hour,
                        "threshold": RAPID_ATTEMPTS,
                    })
                })
        },
    },
];

/// The rules `attempt` breaks, with why.
pub fn evaluate(attempt: &Attempt) -> Vec<(&'static str, Value)> {
    RULES.iter().filter_map(|rule| (rule.fires)(attempt).map(|why| (rule.code, why))).collect()
}

/// Screens an attempt in the caller's transaction and queues a flag for each rule it
/// breaks; returns the rules' codes.
pub async fn screen(tx: &mut PgConnection, attempt: &Attempt, now: DateTime<Utc>) -> sqlx::Result<Vec<&'static str>> {
    let mut fired = Vec::new();
    for (code, why) in evaluate(attempt) {
        raise(tx, code, attempt.payment_id, attempt.order_id, attempt.buyer_id, why, now).await?;
        fired.push(code);
    }
    Ok(fired)
}

/// Queues a flag outside the screening rules (a confirmation that does not match its
/// order, a provider asking for a manual review). One flag per rule and payment.
pub async fn raise(
    tx: &mut PgConnection,
    rule: &'static str,
    payment_id: Uuid,
    order_id: Uuid,
    buyer_id: Uuid,
    details: Value,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    store::insert(tx, &store::NewFlag { rule, payment_id, order_id, buyer_id, details }, now).await?;
    metrics::counter!("compliance_flags_raised_total", "rule" => rule).increment(1);
    tracing::info!(rule, %payment_id, %order_id, "transaction flagged for review");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(amount: i64, buyer: i64, order: i64) -> Attempt {
        Attempt {
            payment_id: Uuid::nil(),
            order_id: Uuid::nil(),
            buyer_id: Uuid::nil(),
            amount: Halalas::new(amount),
            buyer_attempts_last_hour: buyer,
            order_attempts_last_hour: order,
        }
    }

    fn codes(attempt: &Attempt) -> Vec<&'static str> {
        evaluate(attempt).into_iter().map(|(code, _)| code).collect()
    }

    #[test]
    fn large_means_over_ten_thousand_riyals() {
        assert!(codes(&attempt(1_000_000, 1, 1)).is_empty(), "exactly 10,000.00 is not over");
        assert_eq!(codes(&attempt(1_000_001, 1, 1)), ["LARGE_TRANSACTION"]);
        assert_eq!(evaluate(&attempt(1_000_001, 1, 1))[0].1["amount_sar"], "10000.01");
    }

    #[test]
    fn rapid_means_more_than_five_attempts_in_the_hour_by_buyer_or_on_order() {
        assert!(codes(&attempt(100, 5, 5)).is_empty());
        assert_eq!(codes(&attempt(100, 6, 1)), ["RAPID_TRANSACTIONS"]);
        assert_eq!(codes(&attempt(100, 6, 6)), ["RAPID_TRANSACTIONS"]);
        assert_eq!(codes(&attempt(2_000_000, 7, 1)), ["LARGE_TRANSACTION", "RAPID_TRANSACTIONS"]);
    }
}
