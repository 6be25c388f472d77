//! The words of payments: methods, providers, the states of a payment and of a refund.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How the shopper pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// The Saudi debit network, through HyperPay.
    Mada,
    /// Visa or Mastercard, through HyperPay.
    Card,
    /// Apple Pay, through HyperPay.
    Applepay,
    /// Tap's hosted page (cards, mada, Apple Pay).
    Tap,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Mada => "mada",
            Method::Card => "card",
            Method::Applepay => "applepay",
            Method::Tap => "tap",
        }
    }

    pub fn parse(text: &str) -> Option<Method> {
        [Method::Mada, Method::Card, Method::Applepay, Method::Tap].into_iter().find(|m| m.as_str() == text)
    }
}

/// Who moves the money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProviderName {
    Hyperpay,
    Tap,
    /// The development provider built into the service.
    Sandbox,
}

impl ProviderName {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderName::Hyperpay => "hyperpay",
            ProviderName::Tap => "tap",
            ProviderName::Sandbox => "sandbox",
        }
    }

    pub fn parse(text: &str) -> Option<ProviderName> {
        [ProviderName::Hyperpay, ProviderName::Tap, ProviderName::Sandbox].into_iter().find(|p| p.as_str() == text)
    }
}

/// The state of one payment attempt.
///
/// ```text
/// initiated ─→ pending ─→ paid ─→ partially_refunded ─→ refunded
///     │           │   └─→ failed
///     └───────────┴─────→ mismatched (the provider's amount, currency or reference
///                                     differ from the order: flagged, never paid)
/// ```
/// `paid` is final but for refunds: no later answer takes a payment back to pending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// The provider's checkout is open; the shopper has not paid yet.
    Initiated,
    /// The provider has not decided yet.
    Pending,
    /// The provider confirmed the money was taken.
    Paid,
    /// Declined, abandoned or failed: no money was taken.
    Failed,
    /// The provider's confirmation does not match the order; flagged for review.
    Mismatched,
    Refunded,
    PartiallyRefunded,
}

impl PaymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Initiated => "initiated",
            PaymentStatus::Pending => "pending",
            PaymentStatus::Paid => "paid",
            PaymentStatus::Failed => "failed",
            PaymentStatus::Mismatched => "mismatched",
            PaymentStatus::Refunded => "refunded",
            PaymentStatus::PartiallyRefunded => "partially_refunded",
        }
    }

    pub fn parse(text: &str) -> Option<PaymentStatus> {
        use PaymentStatus::*;
        [Initiated, Pending, Paid, Failed, Mismatched, Refunded, PartiallyRefunded]
            .into_iter()
            .find(|s| s.as_str() == text)
    }

    /// Whether the provider still has to say what became of the payment.
    pub fn is_open(self) -> bool {
        matches!(self, PaymentStatus::Initiated | PaymentStatus::Pending)
    }

    /// Whether money was taken (and some of it may have gone back).
    pub fn captured(self) -> bool {
        matches!(self, PaymentStatus::Paid | PaymentStatus::PartiallyRefunded | PaymentStatus::Refunded)
    }
}

/// The state of one refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    /// Asked of the provider (or about to be); the money has not gone back yet.
    RefundPending,
    Refunded,
    /// The provider refused it; the amount may be refunded again.
    Failed,
}

impl RefundStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RefundStatus::RefundPending => "refund_pending",
            RefundStatus::Refunded => "refunded",
            RefundStatus::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<RefundStatus> {
        [RefundStatus::RefundPending, RefundStatus::Refunded, RefundStatus::Failed]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_reads_back() {
        for method in [Method::Mada, Method::Card, Method::Applepay, Method::Tap] {
            assert_eq!(Method::parse(method.as_str()), Some(method));
        }
        for provider in [ProviderName::Hyperpay, ProviderName::Tap, ProviderName::Sandbox] {
            assert_eq!(ProviderName::parse(provider.as_str()), Some(provider));
        }
        for status in ["initiated", "pending", "paid", "failed", "mismatched", "refunded", "partially_refunded"] {
            assert_eq!(PaymentStatus::parse(status).map(PaymentStatus::as_str), Some(status));
        }
        for status in ["refund_pending", "refunded", "failed"] {
            assert_eq!(RefundStatus::parse(status).map(RefundStatus::as_str), Some(status));
        }
        assert_eq!(serde_json::to_value(Method::Applepay).unwrap(), "applepay");
    }

    #[test]
    fn only_open_payments_wait_for_the_provider() {
        assert!(PaymentStatus::Initiated.is_open() && PaymentStatus::Pending.is_open());
        assert!(!PaymentStatus::Paid.is_open() && !PaymentStatus::Mismatched.is_open());
        assert!(PaymentStatus::PartiallyRefunded.captured() && !PaymentStatus::Failed.captured());
    }
}
