//! The on-disk listing index: opening or creating it, its watermark, its reader.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use tantivy::directory::MmapDirectory;
use tantivy::schema::Value;
use tantivy::{Index, IndexReader, IndexSettings, IndexWriter, ReloadPolicy, Searcher, TantivyDocument};

use super::analysis::TextAnalysis;
use super::schema::{self, Fields, INDEX_FORMAT};

/// Indexing memory budget: tantivy splits it between its indexing threads.
const WRITER_HEAP_BYTES: usize = 256 * 1024 * 1024;

/// Bytes of stored views compressed together. Reading one result decompresses its
/// whole block, and a page of results touches as many blocks as it has hits: with
/// tantivy's 16 KiB blocks, decompression was a sixth of a search's CPU under load
/// (perf, BENCHMARKS.md "Search throughput"). Smaller blocks compress a little worse.
const DOCSTORE_BLOCK_BYTES: usize = 4096;

fn settings() -> IndexSettings {
    IndexSettings { docstore_blocksize: DOCSTORE_BLOCK_BYTES, ..IndexSettings::default() }
}

/// How far the index has read the change stream; stored in every commit.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct Watermark {
    /// Index format the commit was written with (see [`INDEX_FORMAT`]).
    pub format: u32,
    /// Whether Japanese text was segmented (a dictionary was loaded): an index built
    /// the other way is rebuilt, not searched with terms it does not hold.
    #[serde(default)]
    pub japanese: bool,
    /// Every outbox row of a transaction below this id is in the index.
    pub xmin: u64,
    /// Highest outbox `seq` applied, for lag reporting.
    pub seq: i64,
}

/// An open index with its reader.
pub struct SearchIndex {
    pub index: Index,
    pub reader: IndexReader,
    pub fields: Fields,
    pub dir: PathBuf,
    /// Whether this index segments Japanese text (see [`TextAnalysis`]).
    pub japanese: bool,
    /// Set once a newer generation replaced this one: its directory goes with the
    /// last handle, when the searches that still hold it have finished.
    retired: AtomicBool,
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it when missing. An index of another format
    /// or schema is discarded: it is always rebuildable from PostgreSQL.
    /// The sellers of those of `ids` this index holds, read from their stored views.
    pub fn sellers_of(&self, ids: &[uuid::Uuid]) -> anyhow::Result<Vec<uuid::Uuid>> {
        #[derive(Deserialize)]
        struct View {
            seller: Seller,
        }
        #[derive(Deserialize)]
        struct Seller {
            id: uuid::Uuid,
        }
        let searcher = self.searcher();
        let mut sellers = Vec::new();
        for id in ids {
            let term = tantivy::Term::from_field_text(self.fields.id, &id.to_string());
            let query = tantivy::query::TermQuery::new(term, tantivy::schema::IndexRecordOption::Basic);
            for address in searcher.search(&query, &tantivy::collector::DocSetCollector)? {
                let doc: TantivyDocument = searcher.doc(address)?;
                if let Some(view) = doc.get_first(self.fields.view).and_then(|v| v.as_str()) {
                    sellers.push(serde_json::from_str::<View>(view)?.seller.id);
                }
            }
        }
        Ok(sellers)
    }

    pub fn open_or_create(dir: &Path, analysis: &TextAnalysis) -> anyhow::Result<SearchIndex> {
        let (schema, fields) = schema::build();
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let directory = MmapDirectory::open(dir).with_context(|| format!("opening {}", dir.display()))?;
        let index = match Index::exists(&directory)? {
            true => {
                let existing = Index::open(directory.clone())?;
                let watermark = read_watermark(&existing)?;
                let same_format =
                    watermark.is_none_or(|w| w.format == INDEX_FORMAT && w.japanese == analysis.japanese());
                if existing.schema() == schema && same_format {
                    existing
                } else {
                    tracing::warn!(dir = %dir.display(), "index has another format: rebuilding it");
                    drop(existing);
                    clear_dir(dir)?;
                    Index::create(MmapDirectory::open(dir)?, schema, settings())?
                }
            }
            false => Index::create(directory, schema, settings())?,
        };
        SearchIndex::with_reader(index, fields, dir, analysis)
    }

    /// Opens the index in `dir` for reading only; never creates nor discards one.
    pub fn open_existing(dir: &Path, analysis: &TextAnalysis) -> anyhow::Result<SearchIndex> {
        let (schema, fields) = schema::build();
        let directory = MmapDirectory::open(dir).with_context(|| format!("opening {}", dir.display()))?;
        anyhow::ensure!(Index::exists(&directory)?, "there is no index in {}", dir.display());
        let index = Index::open(directory)?;
        anyhow::ensure!(
            index.schema() == schema,
            "the index in {} has another format; a server started on it rebuilds it",
            dir.display()
        );
        SearchIndex::with_reader(index, fields, dir, analysis)
    }

    fn with_reader(index: Index, fields: Fields, dir: &Path, analysis: &TextAnalysis) -> anyhow::Result<SearchIndex> {
        analysis.register(index.tokenizers());
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(SearchIndex {
            index,
            reader,
            fields,
            dir: dir.to_path_buf(),
            japanese: analysis.japanese(),
            retired: AtomicBool::new(false),
        })
    }

    /// Marks this generation as replaced: its directory is removed when the last
    /// handle is dropped.
    pub fn retire(&self) {
        self.retired.store(true, Ordering::Release);
    }

    /// The watermark of the last commit, or `None` for an index never committed.
    pub fn watermark(&self) -> anyhow::Result<Option<Watermark>> {
        read_watermark(&self.index)
    }

    /// A writer for this index; only one may exist at a time (tantivy holds a lock file).
    pub fn writer(&self) -> anyhow::Result<IndexWriter<TantivyDocument>> {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 4);
        self.index
            .writer_with_num_threads(threads, WRITER_HEAP_BYTES)
            .context("another process holds this index directory's writer lock")
    }

    pub fn searcher(&self) -> Searcher {
        self.reader.searcher()
    }

    /// Number of listings searchable now.
    pub fn num_docs(&self) -> u64 {
        self.searcher().num_docs()
    }
}

impl Drop for SearchIndex {
    fn drop(&mut self) {
        if !self.retired.load(Ordering::Acquire) {
            return;
        }
        // Unlinking files that are still mapped is safe: the mappings are gone with
        // the fields of this value, and the space is freed then.
        let dir = self.dir.clone();
        std::thread::spawn(move || match std::fs::remove_dir_all(&dir) {
            Ok(()) => tracing::info!(dir = %dir.display(), "removed a replaced index generation"),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => tracing::warn!(dir = %dir.display(), %error, "cannot remove a replaced index generation"),
        });
    }
}

fn read_watermark(index: &Index) -> anyhow::Result<Option<Watermark>> {
    let metas = index.load_metas()?;
    match metas.payload {
        Some(payload) => Ok(Some(serde_json::from_str(&payload).context("unreadable index watermark")?)),
        None => Ok(None),
    }
}

fn clear_dir(dir: &Path) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            std::fs::remove_dir_all(&path)?;
        } else {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}

/// Commits what the writer holds, recording the watermark.
pub fn commit(writer: &mut IndexWriter<TantivyDocument>, watermark: Watermark) -> anyhow::Result<()> {
    let mut prepared = writer.prepare_commit()?;
    prepared.set_payload(&serde_json::to_string(&watermark)?);
    prepared.commit()?;
    Ok(())
}
