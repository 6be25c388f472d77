//! The configured providers and which one takes a payment: HyperPay for mada, cards
//! and Apple Pay, Tap for Tap's page, the sandbox for either when the real one is not
//! configured (development only). Creating a checkout falls back to the configured
//! fallback provider when the chosen one is unavailable, and each provider's circuit
//! breaker keeps requests away from one that keeps failing.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::breaker::Breaker;
use super::model::{Method, ProviderName};
use super::providers::{
    Checkout, CheckoutRequest, PaymentProvider, ProviderError, ProviderPayment, ProviderRefund, RefundRequest,
};

/// Failures in a row that open a provider's circuit, and how long it stays open.
const BREAKER_THRESHOLD: u32 = 5;
const BREAKER_PAUSE: Duration = Duration::from_secs(30);

struct Entry {
    provider: Arc<dyn PaymentProvider>,
    breaker: Breaker,
}

pub struct Gateway {
    providers: HashMap<ProviderName, Entry>,
    fallback: Option<ProviderName>,
}

impl Gateway {
    pub fn new(providers: Vec<Arc<dyn PaymentProvider>>, fallback: Option<ProviderName>) -> Gateway {
        let providers = providers
            .into_iter()
            .map(|provider| {
                (provider.name(), Entry { provider, breaker: Breaker::new(BREAKER_THRESHOLD, BREAKER_PAUSE) })
            })
            .collect();
        Gateway { providers, fallback }
    }

    pub fn has(&self, name: ProviderName) -> bool {
        self.providers.contains_key(&name)
    }

    /// The provider that takes `method`: the real one when configured, else the sandbox.
    pub fn primary(&self, method: Method) -> Option<ProviderName> {
        let real = match method {
            Method::Mada | Method::Card | Method::Applepay => ProviderName::Hyperpay,
            Method::Tap => ProviderName::Tap,
        };
        [real, ProviderName::Sandbox].into_iter().find(|name| self.has(*name))
    }

    /// Opens a checkout with `primary`, or with the fallback provider when `primary`
    /// is unavailable (down, failing, or its circuit open). Says which provider opened it.
    pub async fn create_checkout(
        &self,
        primary: ProviderName,
        request: &CheckoutRequest,
    ) -> Result<(ProviderName, Checkout), ProviderError> {
        let first = self.call(primary, "checkout", |p| async move { p.create_checkout(request).await }).await;
        let error = match first {
            Ok(checkout) => return Ok((primary, checkout)),
            Err(error) if error.is_unavailable() => error,
            Err(error) => return Err(error),
        };
        match self.fallback.filter(|fallback| *fallback != primary && self.has(*fallback)) {
            Some(fallback) => {
                tracing::warn!(%error, from = primary.as_str(), to = fallback.as_str(), "payment provider unavailable: falling back");
                metrics::counter!("payment_provider_fallbacks_total", "from" => primary.as_str(), "to" => fallback.as_str())
                    .increment(1);
                let checkout =
                    self.call(fallback, "checkout", |p| async move { p.create_checkout(request).await }).await?;
                Ok((fallback, checkout))
            }
            None => Err(error),
        }
    }

    pub async fn payment_status(
        &self,
        name: ProviderName,
        method: Method,
        checkout_id: &str,
    ) -> Result<ProviderPayment, ProviderError> {
        self.call(name, "status", |p| async move { p.payment_status(method, checkout_id).await }).await
    }

    pub async fn refund(&self, name: ProviderName, request: &RefundRequest) -> Result<ProviderRefund, ProviderError> {
        self.call(name, "refund", |p| async move { p.refund(request).await }).await
    }

    pub async fn refund_status(
        &self,
        name: ProviderName,
        method: Method,
        provider_refund_id: &str,
    ) -> Result<ProviderRefund, ProviderError> {
        self.call(name, "refund_status", |p| async move { p.refund_status(method, provider_refund_id).await }).await
    }

    /// One request to a provider: refused at once while its circuit is open, timed,
    /// and counted by its outcome.
    async fn call<'a, T, F, Fut>(
        &'a self,
        name: ProviderName,
        operation: &'static str,
        request: F,
    ) -> Result<T, ProviderError>
    where
        F: FnOnce(&'a dyn PaymentProvider) -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        let provider = name.as_str();
        let Some(entry) = self.providers.get(&name) else {
            return Err(ProviderError::Unavailable { provider, reason: "not configured".into() });
        };
        if entry.breaker.is_open(Instant::now()) {
            metrics::gauge!("payment_provider_circuit_open", "provider" => provider).set(1.0);
            return Err(ProviderError::Unavailable { provider, reason: "circuit open after repeated failures".into() });
        }
        let started = Instant::now();
        let result = request(entry.provider.as_ref()).await;
        let outcome = match &result {
            Ok(_) => "ok",
            Err(ProviderError::Unavailable { .. }) => "unavailable",
            Err(ProviderError::Throttled { .. }) => "throttled",
            Err(ProviderError::Refused { .. }) => "refused",
            Err(_) => "error",
        };
        metrics::histogram!("payment_provider_request_seconds", "provider" => provider, "operation" => operation, "outcome" => outcome)
            .record(started.elapsed().as_secs_f64());
        match &result {
            Err(error) if error.is_unavailable() => entry.breaker.failed(Instant::now()),
            _ => entry.breaker.succeeded(),
        }
        metrics::gauge!("payment_provider_circuit_open", "provider" => provider)
            .set(if entry.breaker.is_open(Instant::now()) { 1.0 } else { 0.0 });
        result
    }
}
