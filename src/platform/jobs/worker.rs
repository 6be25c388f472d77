//! The worker: claims due jobs, runs them on their handlers, renews their leases while
//! they run, and records how each ended. Every `serve` process runs one; `cargoparts
//! worker` runs one alone.
//!
//! Shutdown stops claiming, lets running jobs finish for a grace period, then gives
//! back the ones still running so another worker takes them at once rather than when
//! their lease runs out.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

use super::{Handlers, Job, JobFailure, backoff, store};
use crate::platform::config::JobSettings;

/// Wakes the local worker when a job is queued in this process, so a notification
/// leaves at once instead of at the next poll.
#[derive(Debug, Clone, Default)]
pub struct Wakeup(Arc<Notify>);

impl Wakeup {
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

/// A worker of this process.
pub struct Worker {
    db: PgPool,
    handlers: Handlers,
    settings: JobSettings,
    wakeup: Wakeup,
    /// Names this worker's leases: host, process and a random part.
    name: String,
}

impl Worker {
    pub fn new(db: PgPool, handlers: Handlers, settings: JobSettings, wakeup: Wakeup) -> Worker {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "local".into());
        let name = format!("{host}:{}:{}", std::process::id(), &uuid::Uuid::new_v4().simple().to_string()[..8]);
        Worker { db, handlers, settings, wakeup, name }
    }

    /// Runs jobs until `stop` turns true, then shuts down as the module says.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let kinds = self.handlers.kinds();
        if kinds.is_empty() {
            return;
        }
        let handlers = Arc::new(self.handlers.clone());
        let running: Arc<Mutex<HashSet<i64>>> = Arc::default();
        let mut tasks = JoinSet::new();
        let lease = self.settings.lease_secs as f64;
        let poll = Duration::from_millis(self.settings.poll_interval_ms);
        let renew_every = Duration::from_secs_f64((lease / 3.0).max(0.2));
        let mut renew = tokio::time::interval(renew_every);
        let mut housekeeping = tokio::time::interval(Duration::from_secs(self.settings.housekeeping_interval_secs));
        tracing::info!(worker = %self.name, kinds = ?kinds, "job worker started");
        loop {
            while tasks.try_join_next().is_some() {}
            let free = self.settings.concurrency.saturating_sub(tasks.len());
            let mut claimed = 0;
            if free > 0 {
                match store::claim(&self.db, &kinds, &self.name, lease, free as i64).await {
                    Ok(jobs) => {
                        claimed = jobs.len();
                        for job in jobs {
                            running.lock().unwrap_or_else(|e| e.into_inner()).insert(job.id);
                            let run = run_one(
                                self.db.clone(),
                                handlers.clone(),
                                self.settings.clone(),
                                self.name.clone(),
                                job,
                            );
                            let running = running.clone();
                            tasks.spawn(async move {
                                let id = run.await;
                                running.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
                            });
                        }
                    }
                    Err(error) => tracing::warn!(%error, "claiming jobs failed; trying again"),
                }
            }
            // A full batch means more may be due: claim again without waiting.
            if claimed > 0 && claimed == free {
                continue;
            }
            tokio::select! {
                _ = stop.changed() => break,
                () = self.wakeup.0.notified() => {}
                () = tokio::time::sleep(poll) => {}
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
                _ = renew.tick() => {
                    let ids: Vec<i64> = running.lock().unwrap_or_else(|e| e.into_inner()).iter().copied().collect();
                    if !ids.is_empty() && let Err(error) = store::renew(&self.db, &ids, &self.name, lease).await {
                        tracing::warn!(%error, "renewing job leases failed");
                    }
                }
                _ = housekeeping.tick() => self.housekeep().await,
            }
        }
        self.shut_down(tasks, running).await;
    }

    /// Gauges for the queue, and keep-last-N of finished jobs.
    async fn housekeep(&self) {
        match store::stats(&self.db).await {
            Ok(stats) => {
                metrics::gauge!("jobs_queued").set(stats.queued as f64);
                metrics::gauge!("jobs_running").set(stats.running as f64);
                metrics::gauge!("jobs_dead").set(stats.dead as f64);
                metrics::gauge!("jobs_oldest_due_seconds").set(stats.oldest_due_secs);
            }
            Err(error) => tracing::warn!(%error, "reading the queue's figures failed"),
        }
        let (succeeded, dead) = (self.settings.keep_succeeded, self.settings.keep_dead);
        match store::prune(&self.db, i64::from(succeeded), i64::from(dead)).await {
            Ok(0) => {}
            Ok(pruned) => tracing::debug!(pruned, "pruned finished jobs"),
            Err(error) => tracing::warn!(%error, "pruning finished jobs failed"),
        }
    }

    async fn shut_down(&self, mut tasks: JoinSet<()>, running: Arc<Mutex<HashSet<i64>>>) {
        let grace = Duration::from_secs(self.settings.shutdown_grace_secs);
        let finished = tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
        if finished.is_err() {
            tasks.abort_all();
            while tasks.join_next().await.is_some() {}
        }
        let left: Vec<i64> = running.lock().unwrap_or_else(|e| e.into_inner()).iter().copied().collect();
        if !left.is_empty() {
            match store::release(&self.db, &left, &self.name).await {
                Ok(released) => tracing::info!(released, "gave back unfinished jobs"),
                Err(error) => tracing::warn!(%error, "giving back unfinished jobs failed; their leases will run out"),
            }
        }
        tracing::info!(worker = %self.name, "job worker stopped");
    }
}

/// Runs one claimed job and records its end; returns its id.
async fn run_one(db: PgPool, handlers: Arc<Handlers>, settings: JobSettings, worker: String, job: Job) -> i64 {
    let started = std::time::Instant::now();
    let kind = job.kind.clone();
    let outcome = if job.attempt > job.max_attempts {
        // Claimed again after its worker died on every attempt: it does not run again.
        Err(JobFailure::Permanent(format!("gave up after {} attempts whose worker stopped", job.max_attempts)))
    } else {
        match handlers.get(&job.kind) {
            Some(handler) => handler.run(&job).await,
            None => Err(JobFailure::Retry(format!("no handler for {}", job.kind))),
        }
    };
    metrics::histogram!("job_duration_seconds", "kind" => kind.clone()).record(started.elapsed().as_secs_f64());
    let recorded = match &outcome {
        Ok(()) => {
            metrics::counter!("jobs_finished_total", "kind" => kind.clone(), "outcome" => "succeeded").increment(1);
            store::succeed(&db, job.id, &worker).await
        }
        Err(failure) => {
            let (dead, reason) = match failure {
                JobFailure::Permanent(reason) => (true, reason),
                JobFailure::Retry(reason) => (job.attempt >= job.max_attempts, reason),
            };
            let outcome = if dead { "dead" } else { "retry" };
            metrics::counter!("jobs_finished_total", "kind" => kind.clone(), "outcome" => outcome).increment(1);
            let delay = if dead {
                Duration::ZERO
            } else {
                backoff(
                    job.attempt,
                    Duration::from_millis(settings.backoff_base_ms),
                    Duration::from_secs(settings.backoff_max_secs),
                )
            };
            tracing::warn!(job = job.id, kind = %kind, attempt = job.attempt, dead, reason = %reason, "job failed");
            if dead {
                // A job given up on needs a person: retried ones are not yet news.
                crate::platform::error_reports::report_message(&format!("job {} ({kind}) is dead: {reason}", job.id));
            }
            store::fail(&db, job.id, &worker, reason, dead, delay.as_secs_f64()).await
        }
    };
    if let Err(error) = recorded {
        tracing::warn!(job = job.id, %error, "recording a job's end failed; its lease will run out and it runs again");
    }
    job.id
}
