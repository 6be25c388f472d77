//! The search queue: at most `concurrency` searches run at once on the blocking pool,
//! at most `capacity` wait for a turn, and none waits longer than `max_wait`.
//!
//! A search is milliseconds of CPU work. Without a bound, a burst of heavy queries
//! takes every core and queues without limit, and every answer comes late. So,
//! as in Meilisearch's `search_queue.rs`, a search that finds the waiting line full,
//! or that waits past the limit, is refused at once with a time to retry; the load
//! balancer or the client tries again, possibly on another replica. Unlike Meilisearch,
//! which evicts a random waiting search to make room, the newcomer is refused: turns
//! are handed out in arrival order (tokio's semaphore is fair).
//!
//! Cancellation is safe: a waiting search whose request is dropped leaves the line at
//! once; a running search keeps its slot until its blocking task ends, even when its
//! request is gone (the CPU is busy until then); a search that panics frees its slot
//! as it unwinds.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::error::SearchError;
use crate::platform::config::{SearchSettings, Settings};

/// How many searches run, how many may wait, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueLimits {
    /// Searches running at once.
    pub concurrency: usize,
    /// Searches waiting for a turn at most.
    pub capacity: usize,
    /// Longest wait for a turn.
    pub max_wait: Duration,
}

impl QueueLimits {
    /// The configured capacity and wait limit with `concurrency` running slots.
    pub fn from_settings(settings: &SearchSettings, concurrency: usize) -> QueueLimits {
        QueueLimits {
            concurrency: concurrency.max(1),
            capacity: settings.queue_capacity,
            max_wait: Duration::from_millis(settings.queue_max_wait_ms),
        }
    }

    /// When a refused search may try again: the wait limit, in whole seconds, at
    /// least one.
    fn retry_after(&self) -> Duration {
        Duration::from_secs(self.max_wait.as_secs_f64().ceil().max(1.0) as u64)
    }
}

/// `concurrency` running slots with the default capacity and wait limit.
impl From<usize> for QueueLimits {
    fn from(concurrency: usize) -> QueueLimits {
        let defaults = Settings::load_from(None, |_| None).expect("the built-in settings load");
        QueueLimits::from_settings(&defaults.search, concurrency)
    }
}

/// The gate every search passes; clones share it.
#[derive(Debug, Clone)]
pub struct SearchQueue {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    limits: QueueLimits,
    /// One permit per running slot; never closed.
    slots: Arc<Semaphore>,
    waiting: AtomicUsize,
    rejected: AtomicU64,
}

/// A running slot, held for as long as the search runs; dropping it lets the next
/// search in.
#[derive(Debug)]
pub struct SearchPermit {
    _slot: OwnedSemaphorePermit,
}

/// Leaves the waiting line when dropped: admitted, refused or cancelled alike.
struct InLine<'a>(&'a AtomicUsize);

impl Drop for InLine<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl SearchQueue {
    pub fn new(limits: QueueLimits) -> SearchQueue {
        let limits = QueueLimits { concurrency: limits.concurrency.max(1), ..limits };
        SearchQueue {
            inner: Arc::new(Inner {
                limits,
                slots: Arc::new(Semaphore::new(limits.concurrency)),
                waiting: AtomicUsize::new(0),
                rejected: AtomicU64::new(0),
            }),
        }
    }

    pub fn limits(&self) -> QueueLimits {
        self.inner.limits
    }

    /// Waits for a running slot, or refuses when the line is full or the wait too long.
    pub async fn admit(&self) -> Result<SearchPermit, SearchError> {
        let inner = &self.inner;
        // A free slot is taken at once; while searches wait, the fair semaphore hands
        // freed slots to them rather than to newcomers.
        if let Ok(slot) = inner.slots.clone().try_acquire_owned() {
            return Ok(SearchPermit { _slot: slot });
        }
        let capacity = inner.limits.capacity;
        if inner.waiting.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < capacity).then_some(n + 1)).is_err()
        {
            return Err(self.refuse("queue_full", SearchError::QueueFull { capacity, retry_after: self.retry_after() }));
        }
        let _in_line = InLine(&inner.waiting);
        let max_wait = inner.limits.max_wait;
        match tokio::time::timeout(max_wait, inner.slots.clone().acquire_owned()).await {
            Ok(slot) => Ok(SearchPermit { _slot: slot.expect("the search queue's semaphore is never closed") }),
            Err(_) => Err(self.refuse(
                "wait_limit",
                SearchError::WaitedTooLong { waited: max_wait, retry_after: self.retry_after() },
            )),
        }
    }

    /// Runs `work` on the blocking pool once admitted; its slot is freed when it ends,
    /// panics included.
    pub async fn run<T, F>(&self, work: F) -> Result<T, SearchError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let permit = self.admit().await?;
        let done = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await?;
        Ok(done)
    }

    /// Searches waiting for a turn.
    pub fn waiting(&self) -> usize {
        self.inner.waiting.load(Ordering::Acquire)
    }

    /// Searches running.
    pub fn running(&self) -> usize {
        self.inner.limits.concurrency.saturating_sub(self.inner.slots.available_permits())
    }

    /// Searches refused since the queue was made.
    pub fn rejected(&self) -> u64 {
        self.inner.rejected.load(Ordering::Acquire)
    }

    /// Sets the queue's gauges of `/metrics`; the refusals are counted as they happen.
    pub fn record_metrics(&self) {
        metrics::gauge!("search_queue_depth").set(self.waiting() as f64);
        metrics::gauge!("search_queue_running").set(self.running() as f64);
        // Registers the counters, so they read 0 before the first refusal.
        for reason in ["queue_full", "wait_limit"] {
            metrics::counter!("search_queue_rejected_total", "reason" => reason).increment(0);
        }
    }

    fn retry_after(&self) -> Duration {
        self.inner.limits.retry_after()
    }

    fn refuse(&self, reason: &'static str, error: SearchError) -> SearchError {
        self.inner.rejected.fetch_add(1, Ordering::AcqRel);
        metrics::counter!("search_queue_rejected_total", "reason" => reason).increment(1);
        error
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use super::*;

    fn queue(concurrency: usize, capacity: usize, max_wait: Duration) -> SearchQueue {
        SearchQueue::new(QueueLimits { concurrency, capacity, max_wait })
    }

    /// Yields until `done` holds; the tasks being waited on run on this runtime.
    async fn until(what: &str, done: impl Fn() -> bool) {
        for _ in 0..10_000 {
            if done() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        panic!("timed out waiting until {what}");
    }

    #[tokio::test]
    async fn a_search_is_refused_when_the_line_is_full() {
        let queue = queue(1, 1, Duration::from_secs(60));
        let running = queue.admit().await.unwrap();
        let waiter = tokio::spawn({
            let queue = queue.clone();
            async move { queue.admit().await.map(drop) }
        });
        until("the second search waits", || queue.waiting() == 1).await;

        let refused = queue.admit().await.unwrap_err();
        assert!(matches!(refused, SearchError::QueueFull { capacity: 1, .. }), "{refused}");
        assert_eq!(refused.retry_after(), Some(Duration::from_secs(60)));
        assert_eq!(queue.rejected(), 1);

        drop(running);
        waiter.await.unwrap().expect("the waiting search gets the freed slot");
        assert_eq!((queue.waiting(), queue.running()), (0, 0));
    }

    #[tokio::test]
    async fn a_queue_without_room_to_wait_refuses_whatever_cannot_run_at_once() {
        let queue = queue(2, 0, Duration::from_secs(60));
        let _first = queue.admit().await.unwrap();
        let _second = queue.admit().await.unwrap();
        assert!(matches!(queue.admit().await, Err(SearchError::QueueFull { .. })));
        assert_eq!(queue.running(), 2);
    }

    #[tokio::test]
    async fn a_search_is_refused_once_it_waited_longer_than_the_limit() {
        let queue = queue(1, 10, Duration::from_millis(20));
        let _running = queue.admit().await.unwrap();
        let refused = queue.admit().await.unwrap_err();
        assert!(matches!(refused, SearchError::WaitedTooLong { .. }), "{refused}");
        assert_eq!(refused.retry_after(), Some(Duration::from_secs(1)), "at least a second");
        assert_eq!(queue.waiting(), 0, "the refused search left the line");
        assert_eq!(queue.rejected(), 1);
    }

    #[tokio::test]
    async fn waiting_searches_are_let_in_in_the_order_they_came() {
        let queue = queue(1, 10, Duration::from_secs(60));
        let running = queue.admit().await.unwrap();
        let (order, mut admitted) = tokio::sync::mpsc::unbounded_channel();
        let mut waiters = Vec::new();
        for n in 0..5 {
            let (line, order) = (queue.clone(), order.clone());
            waiters.push(tokio::spawn(async move {
                let _permit = line.admit().await.unwrap();
                order.send(n).unwrap();
            }));
            until("the search joins the line", || queue.waiting() == n + 1).await;
        }
        drop((running, order));
        for waiter in waiters {
            waiter.await.unwrap();
        }
        let mut order = Vec::new();
        while let Some(n) = admitted.recv().await {
            order.push(n);
        }
        assert_eq!(order, vec![0, 1, 2, 3, 4]);
    }

    #[tokio::test]
    async fn a_search_that_panics_frees_its_slot() {
        let queue = queue(1, 0, Duration::from_secs(60));
        let failed = queue.run(|| -> usize { panic!("a bug in a search") }).await.unwrap_err();
        assert!(matches!(failed, SearchError::Task(_)), "{failed}");
        assert_eq!(queue.running(), 0);
        assert_eq!(queue.run(|| 7).await.unwrap(), 7, "the slot is free again");
    }

    #[tokio::test]
    async fn a_waiting_search_whose_request_is_dropped_leaves_the_line() {
        let queue = queue(1, 1, Duration::from_secs(60));
        let running = queue.admit().await.unwrap();
        let waiter = tokio::spawn({
            let queue = queue.clone();
            async move { queue.admit().await.map(drop) }
        });
        until("the search waits", || queue.waiting() == 1).await;
        waiter.abort();
        assert!(waiter.await.unwrap_err().is_cancelled());
        assert_eq!(queue.waiting(), 0);

        // Its place in line and its slot are not kept for it.
        let next = tokio::spawn({
            let queue = queue.clone();
            async move { queue.admit().await.map(drop) }
        });
        until("the next search waits", || queue.waiting() == 1).await;
        drop(running);
        next.await.unwrap().unwrap();
        assert_eq!((queue.waiting(), queue.running()), (0, 0));
    }

    #[tokio::test]
    async fn a_running_search_whose_request_is_dropped_keeps_its_slot_until_it_ends() {
        let queue = queue(1, 0, Duration::from_secs(60));
        let (release, released) = mpsc::channel::<()>();
        let request = tokio::spawn({
            let queue = queue.clone();
            async move { queue.run(move || released.recv().unwrap()).await }
        });
        until("the search runs", || queue.running() == 1).await;
        request.abort();
        assert!(request.await.unwrap_err().is_cancelled());
        assert_eq!(queue.running(), 1, "the blocking work goes on");
        assert!(matches!(queue.admit().await, Err(SearchError::QueueFull { .. })));

        release.send(()).unwrap();
        until("the slot is freed", || queue.running() == 0).await;
        queue.admit().await.unwrap();
    }

    #[test]
    fn limits_come_from_the_search_settings() {
        let settings = Settings::load_from(None, |_| None).unwrap();
        let limits = QueueLimits::from_settings(&settings.search, 0);
        assert_eq!(limits, QueueLimits { concurrency: 1, capacity: 1000, max_wait: Duration::from_secs(2) });
        assert_eq!(QueueLimits::from(8), QueueLimits { concurrency: 8, ..limits });
        assert_eq!(limits.retry_after(), Duration::from_secs(2));
    }
}
