//! Bulk import of a multi-seller feed: streaming, batched, with per-line rejections.
//!
//! A parser thread reads and validates lines while the writer applies the previous
//! batch, so JSON and HTML work overlaps PostgreSQL's. Memory stays bounded whatever
//! the file's size: at most a few batches are in flight. Each batch is one transaction,
//! so an interrupted import leaves whole batches applied and nothing half written.

use std::collections::HashMap;
use std::io::{self, BufRead};
use std::time::{Duration, Instant};

use anyhow::Context;
use sqlx::PgPool;
use tokio::sync::mpsc;
use uuid::Uuid;

use super::feed::{FeedChange, LineRejection, RejectedLine, SellerInput, parse_line};
use super::store::{self, BatchOutcome, SellerChange, apply_changes, upsert_sellers};

/// Longest line accepted; a longer one is rejected without being held in memory.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// One line of a feed, as read.
pub enum RawLine {
    Bytes(Vec<u8>),
    TooLong,
}

/// Reads lines from `reader`, refusing to buffer any longer than [`MAX_LINE_BYTES`].
///
/// `on_read` hears how many bytes each step consumed, for a progress display.
pub fn lines_of<R: BufRead + Send + 'static>(
    mut reader: R,
    mut on_read: impl FnMut(u64) + Send + 'static,
) -> impl Iterator<Item = io::Result<RawLine>> + Send + 'static {
    std::iter::from_fn(move || {
        let mut line = Vec::new();
        let mut too_long = false;
        loop {
            let available = match reader.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Some(Err(e)),
            };
            if available.is_empty() {
                return if line.is_empty() && !too_long {
                    None
                } else {
                    Some(Ok(if too_long { RawLine::TooLong } else { RawLine::Bytes(line) }))
                };
            }
            let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
                Some(i) => (&available[..=i], true),
                None => (available, false),
            };
            if !too_long {
                if line.len() + chunk.len() > MAX_LINE_BYTES {
                    too_long = true;
                    line = Vec::new();
                } else {
                    line.extend_from_slice(chunk);
                }
            }
            let consumed = chunk.len();
            reader.consume(consumed);
            on_read(consumed as u64);
            if done {
                if too_long {
                    return Some(Ok(RawLine::TooLong));
                }
                while matches!(line.last(), Some(b'\n' | b'\r')) {
                    line.pop();
                }
                return Some(Ok(RawLine::Bytes(line)));
            }
        }
    })
}

/// How an import went.
#[derive(Debug, Default)]
pub struct ImportReport {
    pub lines: u64,
    pub outcome: BatchOutcome,
    pub rejected_lines: u64,
    pub elapsed: Duration,
}

impl ImportReport {
    /// Lines applied per second.
    pub fn rate(&self) -> f64 {
        self.outcome.applied() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

type ParsedBatch = Vec<(u64, Result<FeedChange, LineRejection>)>;

/// Imports every line of `lines`; `on_reject` hears about each rejected line.
///
/// Returns an error only when the feed cannot be read or the database fails;
/// bad lines are reported, not fatal.
pub async fn import<I>(
    db: &PgPool,
    lines: I,
    batch_size: usize,
    mut on_reject: impl FnMut(&RejectedLine),
) -> anyhow::Result<ImportReport>
where
    I: Iterator<Item = io::Result<RawLine>> + Send + 'static,
{
    let started = Instant::now();
    let (tx, mut rx) = mpsc::channel::<io::Result<ParsedBatch>>(4);
    let batch_size = batch_size.max(1);
    let parser = std::thread::Builder::new().name("feed-parser".into()).spawn(move || {
        let mut batch = Vec::with_capacity(batch_size);
        for (index, line) in lines.enumerate() {
            let number = index as u64 + 1;
            let parsed = match line {
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
                Ok(RawLine::Bytes(bytes)) if bytes.iter().all(u8::is_ascii_whitespace) => {
                    continue;
                }
                Ok(RawLine::Bytes(bytes)) => parse_line(&bytes),
                Ok(RawLine::TooLong) => {
                    Err(LineRejection::whole_line(format!("is longer than {MAX_LINE_BYTES} bytes")))
                }
            };
            batch.push((number, parsed));
            if batch.len() == batch_size && tx.blocking_send(Ok(std::mem::take(&mut batch))).is_err() {
                return;
            }
        }
        if !batch.is_empty() {
            let _ = tx.blocking_send(Ok(batch));
        }
    })?;

    let mut report = ImportReport::default();
    let mut sellers = SellerCache::default();
    while let Some(batch) = rx.recv().await {
        let batch = batch.context("reading the feed")?;
        report.lines = batch.last().map_or(report.lines, |(n, _)| *n);
        let mut accepted = Vec::with_capacity(batch.len());
        for (line, parsed) in batch {
            match parsed {
                Ok(change) if change.seller().is_none() => {
                    report.rejected_lines += 1;
                    on_reject(&RejectedLine::new(
                        line,
                        Some(change.sku().to_string()),
                        "seller",
                        "is required in an import feed",
                    ));
                }
                Ok(change) => accepted.push(change),
                Err(rejection) => {
                    report.rejected_lines += 1;
                    for r in rejection.into_lines(line) {
                        on_reject(&r);
                    }
                }
            }
        }
        let mut tx = db.begin().await.context("starting a batch")?;
        let ids = sellers.resolve(&mut tx, &accepted).await.context("writing sellers")?;
        let changes = accepted
            .into_iter()
            .map(|change| {
                let seller_id = ids[&change.seller().expect("checked above").external_id];
                match change {
                    FeedChange::Upsert { listing, .. } => SellerChange::Upsert { seller_id, listing },
                    FeedChange::Delete { sku, .. } => SellerChange::Delete { seller_id, sku },
                }
            })
            .collect();
        let outcome = apply_changes(&mut tx, changes).await.context("writing listings")?;
        tx.commit().await.context("committing a batch")?;
        sellers.commit();
        report.outcome.add(outcome);
    }
    parser.join().map_err(|_| anyhow::anyhow!("the feed parser panicked"))?;
    if report.outcome.inserted + report.outcome.updated + report.outcome.deleted > 0 {
        // After a bulk load the planner's statistics describe the tables as they were;
        // refreshing them now spares every following query a plan made for another size.
        store::analyze(db).await.context("analyzing")?;
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Sellers already written by this import, so each is upserted once, not per batch.
#[derive(Default)]
struct SellerCache {
    known: HashMap<String, (Uuid, SellerInput)>,
    pending: Vec<(Uuid, SellerInput)>,
}

impl SellerCache {
    async fn resolve(
        &mut self,
        conn: &mut sqlx::PgConnection,
        changes: &[FeedChange],
    ) -> sqlx::Result<HashMap<String, Uuid>> {
        let mut wanted: HashMap<&str, &SellerInput> = HashMap::new();
        for seller in changes.iter().filter_map(FeedChange::seller) {
            wanted.insert(&seller.external_id, seller);
        }
        let to_write: Vec<SellerInput> = wanted
            .values()
            .filter(|s| self.known.get(&s.external_id).is_none_or(|(_, known)| known != **s))
            .map(|s| (*s).clone())
            .collect();
        let written = upsert_sellers(conn, &to_write).await?;
        self.pending = to_write.into_iter().map(|s| (written[&s.external_id], s)).collect();
        let mut ids: HashMap<String, Uuid> = written;
        for external_id in wanted.keys() {
            if let Some((id, _)) = self.known.get(*external_id) {
                ids.entry(external_id.to_string()).or_insert(*id);
            }
        }
        Ok(ids)
    }

    /// Remembers the sellers of a batch once its transaction committed.
    fn commit(&mut self) {
        for (id, seller) in self.pending.drain(..) {
            self.known.insert(seller.external_id.clone(), (id, seller));
        }
    }
}
