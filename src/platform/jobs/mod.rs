//! Background jobs: a durable queue in PostgreSQL, and the workers that run it.
//!
//! Why a table of our own rather than apalis: a job must be enqueued in the
//! transaction of the change that calls for it (the event relay advances its cursor
//! and creates the notifications' jobs in one commit, deduplicated by a key), and
//! operators list, retry and count jobs with plain SQL. The queue is one table and
//! three statements: claim due jobs with `FOR UPDATE SKIP LOCKED` under a lease, renew
//! the lease while the job runs, finish it. A worker that dies holds nothing: its jobs
//! are claimed again when their lease runs out, and each attempt counts, so a job that
//! kills its worker every time ends in the dead letters instead of looping.
//!
//! A job runs at least once. Handlers make their effect happen once (a notification
//! checks its log before it sends, and records what it sent).

mod store;
pub mod worker;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use serde::Serialize;
use serde_json::Value;
use sqlx::{PgConnection, PgPool};

pub use store::{JobRow, QueueStats};

/// A job about to be queued.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    /// Which handler runs it, dotted and lowercase: `notify.sms`.
    pub kind: &'static str,
    /// What the handler needs; never a secret or a card number.
    pub payload: Value,
    /// Makes queueing idempotent: a second job with the same key is not created.
    pub dedupe_key: Option<String>,
}

/// A claimed job, as its handler sees it.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: Value,
    /// 1 on the first run.
    pub attempt: i32,
    pub max_attempts: i32,
}

/// Why a run did not succeed.
#[derive(Debug)]
pub enum JobFailure {
    /// Worth another try later (a provider's 429 or 5xx, a timeout, the database).
    Retry(String),
    /// Will never succeed as it is (a provider's 4xx, a payload that does not parse):
    /// straight to the dead letters, with the reason.
    Permanent(String),
}

impl fmt::Display for JobFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JobFailure::Retry(reason) => write!(f, "will retry: {reason}"),
            JobFailure::Permanent(reason) => write!(f, "permanent: {reason}"),
        }
    }
}

impl From<sqlx::Error> for JobFailure {
    fn from(error: sqlx::Error) -> JobFailure {
        JobFailure::Retry(format!("database: {error}"))
    }
}

/// Runs the jobs of one kind.
#[async_trait]
pub trait JobHandler: Send + Sync + 'static {
    async fn run(&self, job: &Job) -> Result<(), JobFailure>;
}

/// The handlers by kind; a job of a kind nobody handles waits (another deployment's
/// worker may know it) and shows in the queue depth.
#[derive(Clone, Default)]
pub struct Handlers(HashMap<&'static str, Arc<dyn JobHandler>>);

impl Handlers {
    pub fn register(&mut self, kind: &'static str, handler: Arc<dyn JobHandler>) {
        self.0.insert(kind, handler);
    }

    fn get(&self, kind: &str) -> Option<&Arc<dyn JobHandler>> {
        self.0.get(kind)
    }

    fn kinds(&self) -> Vec<&'static str> {
        self.0.keys().copied().collect()
    }
}

/// Queues `job`, due now, in the caller's transaction; false when a job with its key
/// exists.
pub async fn enqueue(tx: &mut PgConnection, job: &NewJob, max_attempts: u32) -> sqlx::Result<bool> {
    store::insert(tx, job, i32::try_from(max_attempts).unwrap_or(i32::MAX)).await
}

/// The jobs in `status` (all when `None`), newest first.
pub async fn list(db: &PgPool, status: Option<JobStatus>, limit: i64) -> sqlx::Result<Vec<JobRow>> {
    store::list(db, status.map(JobStatus::as_str), limit).await
}

/// Puts a dead job back in the queue with its attempts reset; false when the job is
/// not dead.
pub async fn retry(db: &PgPool, id: i64) -> sqlx::Result<bool> {
    store::retry(db, id).await
}

/// Queue depth, dead letters and the age of the oldest waiting job.
pub async fn stats(db: &PgPool) -> sqlx::Result<QueueStats> {
    store::stats(db).await
}

/// A job's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    Queued,
    Running,
    Succeeded,
    Dead,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Dead => "dead",
        }
    }
}

/// The wait before attempt `attempt + 1` after a failed attempt `attempt`: doubling
/// from `base`, capped at `max`, with up to a quarter of jitter so a provider that
/// comes back is not hit by every waiting job at the same instant.
pub fn backoff(attempt: i32, base: std::time::Duration, max: std::time::Duration) -> std::time::Duration {
    let exponent = u32::try_from(attempt.saturating_sub(1)).unwrap_or(0).min(20);
    let plain = base.saturating_mul(1 << exponent).min(max);
    let jitter = plain.mul_f64(rand::random::<f64>() * 0.25);
    (plain + jitter).min(max)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let base = Duration::from_secs(2);
        let max = Duration::from_secs(60);
        for (attempt, plain) in [(1, 2), (2, 4), (3, 8), (4, 16), (5, 32)] {
            let wait = backoff(attempt, base, max);
            let plain = Duration::from_secs(plain);
            assert!(wait >= plain && wait <= plain.mul_f64(1.25), "attempt {attempt}: {wait:?}");
        }
        assert_eq!(backoff(9, base, max), max);
        assert_eq!(backoff(1000, base, max), max);
    }
}
