//! Bulk import of a multi-seller feed: streaming, batched, with per-line rejections.
//!
//! A parser thread reads and validates lines while writers apply earlier batches on
//! several connections at once, so JSON and HTML work overlaps PostgreSQL's and
//! PostgreSQL works on more than one core. Memory stays bounded whatever
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

/// How an import writes.
#[derive(Debug, Clone, Copy)]
pub struct ImportOptions {
    /// Lines written per transaction.
    pub batch_size: usize,
    /// Transactions written at once, each on its own connection. One writer leaves
    /// PostgreSQL idle while the importer prepares the next batch and the importer
    /// idle while PostgreSQL writes; two or more keep both busy.
    pub writers: usize,
}

impl Default for ImportOptions {
    fn default() -> ImportOptions {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        ImportOptions { batch_size: 2000, writers: cores.clamp(2, 4) }
    }
}

/// Imports every line of `lines`; `on_reject` hears about each rejected line, in
/// line order.
///
/// The lines are parsed on a thread of their own. Sellers are written first, each
/// once, in a transaction of their own. Listing changes are then spread over
/// `options.writers` connections by seller and SKU, so the changes of one listing
/// always go through the same writer, in feed order, and the later line of a listing
/// named twice wins, as it would in a single stream. Each writer's batch is one
/// transaction: an interrupted import leaves whole batches applied, and importing the
/// same file again completes it.
///
/// Returns an error only when the feed cannot be read or the database fails;
/// bad lines are reported, not fatal.
pub async fn import<I>(
    db: &PgPool,
    lines: I,
    options: ImportOptions,
    mut on_reject: impl FnMut(&RejectedLine),
) -> anyhow::Result<ImportReport>
where
    I: Iterator<Item = io::Result<RawLine>> + Send + 'static,
{
    let started = Instant::now();
    let (tx, mut rx) = mpsc::channel::<io::Result<ParsedBatch>>(4);
    let batch_size = options.batch_size.max(1);
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

    let writers = Writers::start(db, options.writers.max(1), batch_size);
    let mut report = ImportReport::default();
    let mut sellers = SellerCache::default();
    let dispatched: anyhow::Result<()> = async {
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
            // Committed before any listing naming them is written, by whichever writer.
            let mut tx = db.begin().await.context("starting a batch")?;
            let ids = sellers.resolve(&mut tx, &accepted).await.context("writing sellers")?;
            tx.commit().await.context("committing sellers")?;
            sellers.commit();
            let changes = accepted.into_iter().map(|change| {
                let seller_id = ids[&change.seller().expect("checked above").external_id];
                match change {
                    FeedChange::Upsert { listing, .. } => SellerChange::Upsert { seller_id, listing },
                    FeedChange::Delete { sku, .. } => SellerChange::Delete { seller_id, sku },
                }
            });
            if !writers.dispatch(changes).await {
                // A writer stopped: its error is what the import reports.
                break;
            }
        }
        Ok(())
    }
    .await;
    drop(rx);
    let written = writers.finish().await;
    parser.join().map_err(|_| anyhow::anyhow!("the feed parser panicked"))?;
    dispatched?;
    report.outcome = written?;
    if report.outcome.inserted + report.outcome.updated + report.outcome.deleted > 0 {
        // After a bulk load the planner's statistics describe the tables as they were;
        // refreshing them now spares every following query a plan made for another size.
        store::analyze(db).await.context("analyzing")?;
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

/// The listing writers of an import, each a task with its own connection and queue.
struct Writers {
    queues: Vec<mpsc::Sender<Vec<SellerChange>>>,
    tasks: Vec<tokio::task::JoinHandle<anyhow::Result<BatchOutcome>>>,
}

impl Writers {
    fn start(db: &PgPool, count: usize, batch_size: usize) -> Writers {
        let mut queues = Vec::with_capacity(count);
        let mut tasks = Vec::with_capacity(count);
        for _ in 0..count {
            let (queue, mut changes) = mpsc::channel::<Vec<SellerChange>>(2);
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                let mut outcome = BatchOutcome::default();
                while let Some(mut batch) = changes.recv().await {
                    // What queued up meanwhile joins this transaction, up to a batch.
                    while batch.len() < batch_size {
                        match changes.try_recv() {
                            Ok(more) => batch.extend(more),
                            Err(_) => break,
                        }
                    }
                    let mut tx = db.begin().await.context("starting a batch")?;
                    outcome.add(apply_changes(&mut tx, batch).await.context("writing listings")?);
                    tx.commit().await.context("committing a batch")?;
                }
                Ok(outcome)
            }));
            queues.push(queue);
        }
        Writers { queues, tasks }
    }

    /// Hands each change to the writer of its listing; false once a writer has stopped.
    async fn dispatch(&self, changes: impl Iterator<Item = SellerChange>) -> bool {
        let mut parts: Vec<Vec<SellerChange>> = (0..self.queues.len()).map(|_| Vec::new()).collect();
        for change in changes {
            parts[writer_of(&change, self.queues.len())].push(change);
        }
        for (queue, part) in self.queues.iter().zip(parts) {
            if !part.is_empty() && queue.send(part).await.is_err() {
                return false;
            }
        }
        true
    }

    /// Waits for every writer to finish what it was given; the first error wins.
    async fn finish(self) -> anyhow::Result<BatchOutcome> {
        drop(self.queues);
        let mut total = BatchOutcome::default();
        let mut first_error = None;
        for task in self.tasks {
            match task.await.context("a writer panicked").and_then(|r| r) {
                Ok(outcome) => total.add(outcome),
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
        first_error.map_or(Ok(total), Err)
    }
}

/// The writer a change goes through: always the same for one listing.
fn writer_of(change: &SellerChange, writers: usize) -> usize {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut hasher = DefaultHasher::new();
    change.key().hash(&mut hasher);
    (hasher.finish() % writers as u64) as usize
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
