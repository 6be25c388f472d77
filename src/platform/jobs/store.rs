//! The SQL of the job queue.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgConnection, PgPool};

use super::{Job, NewJob};

/// Every time of the queue is the database's: workers on other hosts compare leases
/// and due times against the one clock.
pub(super) async fn insert(tx: &mut PgConnection, job: &NewJob, max_attempts: i32) -> sqlx::Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO jobs (kind, payload, dedupe_key, max_attempts, run_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, now(), now(), now())
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(job.kind)
    .bind(&job.payload)
    .bind(job.dedupe_key.as_deref())
    .bind(max_attempts)
    .execute(tx)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// Claims up to `limit` due jobs of `kinds` for `worker` until `lease_secs` from now:
/// queued ones whose time has come, and running ones whose worker stopped renewing.
/// Each claim counts as an attempt.
pub(super) async fn claim(
    db: &PgPool,
    kinds: &[&'static str],
    worker: &str,
    lease_secs: f64,
    limit: i64,
) -> sqlx::Result<Vec<Job>> {
    let rows: Vec<(i64, String, serde_json::Value, i32, i32)> = sqlx::query_as(
        "WITH due AS (
             SELECT id FROM jobs
              WHERE kind = ANY($1)
                AND ((status = 'queued' AND run_at <= now()) OR (status = 'running' AND lease_until < now()))
              ORDER BY run_at, id
              LIMIT $4
              FOR UPDATE SKIP LOCKED
         )
         UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = $2,
                         lease_until = now() + make_interval(secs => $3), updated_at = now()
           FROM due WHERE jobs.id = due.id
         RETURNING jobs.id, jobs.kind, jobs.payload, jobs.attempts, jobs.max_attempts",
    )
    .bind(kinds)
    .bind(worker)
    .bind(lease_secs)
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, kind, payload, attempt, max_attempts)| Job { id, kind, payload, attempt, max_attempts })
        .collect())
}

/// Extends the leases `worker` holds on `ids`.
pub(super) async fn renew(db: &PgPool, ids: &[i64], worker: &str, lease_secs: f64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE jobs SET lease_until = now() + make_interval(secs => $3)
          WHERE id = ANY($1) AND status = 'running' AND locked_by = $2",
    )
    .bind(ids)
    .bind(worker)
    .bind(lease_secs)
    .execute(db)
    .await?;
    Ok(())
}

/// Marks the job succeeded, if `worker` still holds it.
pub(super) async fn succeed(db: &PgPool, id: i64, worker: &str) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE jobs SET status = 'succeeded', lease_until = NULL, locked_by = NULL, last_error = NULL,
                         finished_at = now(), updated_at = now()
          WHERE id = $1 AND status = 'running' AND locked_by = $2",
    )
    .bind(id)
    .bind(worker)
    .execute(db)
    .await?;
    Ok(())
}

/// Queues the job again after `delay_secs`, or, when `dead`, moves it to the dead
/// letters; `error` is kept either way.
pub(super) async fn fail(
    db: &PgPool,
    id: i64,
    worker: &str,
    error: &str,
    dead: bool,
    delay_secs: f64,
) -> sqlx::Result<()> {
    let error: String = error.chars().take(2000).collect();
    sqlx::query(
        "UPDATE jobs SET status = CASE WHEN $4 THEN 'dead' ELSE 'queued' END,
                         run_at = now() + make_interval(secs => $5),
                         lease_until = NULL, locked_by = NULL, last_error = $3, updated_at = now(),
                         finished_at = CASE WHEN $4 THEN now() END
          WHERE id = $1 AND status = 'running' AND locked_by = $2",
    )
    .bind(id)
    .bind(worker)
    .bind(error)
    .bind(dead)
    .bind(delay_secs)
    .execute(db)
    .await?;
    Ok(())
}

/// Gives back jobs `worker` claimed and did not finish (at shutdown): queued again at
/// once, the interrupted attempt not counted.
pub(super) async fn release(db: &PgPool, ids: &[i64], worker: &str) -> sqlx::Result<u64> {
    let released = sqlx::query(
        "UPDATE jobs SET status = 'queued', attempts = greatest(attempts - 1, 0), run_at = now(),
                         lease_until = NULL, locked_by = NULL, updated_at = now()
          WHERE id = ANY($1) AND status = 'running' AND locked_by = $2",
    )
    .bind(ids)
    .bind(worker)
    .execute(db)
    .await?;
    Ok(released.rows_affected())
}

/// Keeps the newest `keep_succeeded` succeeded jobs and `keep_dead` dead ones.
pub(super) async fn prune(db: &PgPool, keep_succeeded: i64, keep_dead: i64) -> sqlx::Result<u64> {
    let pruned = sqlx::query(
        "DELETE FROM jobs WHERE id IN (
             SELECT id FROM (
                 SELECT id, status, row_number() OVER (PARTITION BY status ORDER BY finished_at DESC, id DESC) AS n
                   FROM jobs WHERE status IN ('succeeded', 'dead')
             ) ranked
              WHERE (status = 'succeeded' AND n > $1) OR (status = 'dead' AND n > $2)
         )",
    )
    .bind(keep_succeeded)
    .bind(keep_dead)
    .execute(db)
    .await?;
    Ok(pruned.rows_affected())
}

/// A job as operators see it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct JobRow {
    pub id: i64,
    pub kind: String,
    pub status: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

pub(super) async fn list(db: &PgPool, status: Option<&str>, limit: i64) -> sqlx::Result<Vec<JobRow>> {
    sqlx::query_as(
        "SELECT id, kind, status, attempts, max_attempts, run_at, last_error, created_at, finished_at
           FROM jobs WHERE $1::text IS NULL OR status = $1
          ORDER BY id DESC LIMIT $2",
    )
    .bind(status)
    .bind(limit)
    .fetch_all(db)
    .await
}

pub(super) async fn retry(db: &PgPool, id: i64) -> sqlx::Result<bool> {
    let retried = sqlx::query(
        "UPDATE jobs SET status = 'queued', attempts = 0, run_at = now(), finished_at = NULL, updated_at = now()
          WHERE id = $1 AND status = 'dead'",
    )
    .bind(id)
    .execute(db)
    .await?;
    Ok(retried.rows_affected() == 1)
}

/// The queue at a glance.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, sqlx::FromRow)]
pub struct QueueStats {
    /// Jobs waiting, due or not.
    pub queued: i64,
    pub running: i64,
    pub dead: i64,
    /// Seconds the oldest due job has waited past its time; 0 when none is due.
    pub oldest_due_secs: f64,
}

pub(super) async fn stats(db: &PgPool) -> sqlx::Result<QueueStats> {
    sqlx::query_as(
        "SELECT count(*) FILTER (WHERE status = 'queued') AS queued,
                count(*) FILTER (WHERE status = 'running') AS running,
                count(*) FILTER (WHERE status = 'dead') AS dead,
                coalesce(extract(epoch FROM now() - min(run_at) FILTER (WHERE status = 'queued' AND run_at <= now())), 0)::float8
                    AS oldest_due_secs
           FROM jobs WHERE status IN ('queued', 'running', 'dead')",
    )
    .fetch_one(db)
    .await
}
