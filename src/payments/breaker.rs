//! A circuit breaker per provider: after a run of failures the provider is left alone
//! for a while, so a gateway that is down costs shoppers no timeouts and is not
//! hammered while it recovers. After the pause, requests go through again; the first
//! success closes the circuit, a failure opens it for another pause.
//!
//! Written here rather than taken from a crate: it is a counter and a deadline, and
//! the crates that offer one bring their own futures and error wrappers with them.

use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct Breaker {
    threshold: u32,
    pause: Duration,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    failures: u32,
    open_until: Option<Instant>,
}

impl Breaker {
    /// Opens after `threshold` failures in a row, for `pause`.
    pub fn new(threshold: u32, pause: Duration) -> Breaker {
        Breaker { threshold: threshold.max(1), pause, state: Mutex::new(State::default()) }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether a request may go to the provider at `now`.
    pub fn allows(&self, now: Instant) -> bool {
        self.state().open_until.is_none_or(|until| now >= until)
    }

    pub fn is_open(&self, now: Instant) -> bool {
        !self.allows(now)
    }

    pub fn succeeded(&self) {
        *self.state() = State::default();
    }

    pub fn failed(&self, now: Instant) {
        let mut state = self.state();
        state.failures = state.failures.saturating_add(1);
        if state.failures >= self.threshold {
            state.open_until = Some(now + self.pause);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_the_threshold_and_closes_on_success() {
        let breaker = Breaker::new(3, Duration::from_secs(30));
        let start = Instant::now();
        breaker.failed(start);
        breaker.failed(start);
        assert!(breaker.allows(start), "two failures leave it closed");
        breaker.failed(start);
        assert!(breaker.is_open(start + Duration::from_secs(29)));
        assert!(breaker.allows(start + Duration::from_secs(30)), "after the pause a request may try");
        breaker.failed(start + Duration::from_secs(30));
        assert!(breaker.is_open(start + Duration::from_secs(31)), "a failed trial opens it again");
        breaker.succeeded();
        assert!(breaker.allows(start + Duration::from_secs(31)));
    }

    #[test]
    fn a_success_resets_the_count() {
        let breaker = Breaker::new(2, Duration::from_secs(30));
        let now = Instant::now();
        breaker.failed(now);
        breaker.succeeded();
        breaker.failed(now);
        assert!(breaker.allows(now));
    }
}
