//! The index directory's layout: one subdirectory per index generation and a `CURRENT`
//! file naming the live one.
//!
//! A reindex builds a new generation beside the live one and publishes it by replacing
//! `CURRENT` (write, fsync, rename), so a crash at any moment leaves either the old or
//! the new generation current, never a half-built one. Generations that are not
//! current are leftovers of a reindex that did not finish, or of one whose predecessor
//! was still in use, and are removed when no reindex runs.

use std::fs::{self, File, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::analysis::TextAnalysis;
use super::index::SearchIndex;

const CURRENT: &str = "CURRENT";
const REINDEX_LOCK: &str = "reindex.lock";
const GENERATION_PREFIX: &str = "gen-";
/// The lock file tantivy holds (with `flock`, as `File::try_lock` does) while a
/// writer is open on an index directory.
const TANTIVY_WRITER_LOCK: &str = ".tantivy-writer.lock";

/// The root index directory (`search.index_dir`).
#[derive(Debug, Clone)]
pub struct IndexRoot {
    root: PathBuf,
    /// The analyzers every generation under this root is built and searched with.
    analysis: TextAnalysis,
}

/// Held while a reindex runs; released on drop, or by the kernel if the process dies.
#[derive(Debug)]
pub struct ReindexLock {
    _file: File,
}

/// Why a reindex could not start.
#[derive(Debug, thiserror::Error)]
pub enum ReindexRefused {
    #[error("a reindex of {0} is already running; wait for it to finish")]
    AlreadyRunning(PathBuf),
    #[error(transparent)]
    Io(#[from] anyhow::Error),
}

impl IndexRoot {
    /// A root whose generations use the default analysis (no Japanese dictionary).
    pub fn new(root: impl Into<PathBuf>) -> IndexRoot {
        IndexRoot::with_analysis(root, TextAnalysis::default())
    }

    pub fn with_analysis(root: impl Into<PathBuf>, analysis: TextAnalysis) -> IndexRoot {
        IndexRoot { root: root.into(), analysis }
    }

    /// The analyzers of this root's generations.
    pub fn analysis(&self) -> &TextAnalysis {
        &self.analysis
    }

    pub fn path(&self) -> &Path {
        &self.root
    }

    /// The live generation's directory, or `None` before the first index exists.
    pub fn current(&self) -> anyhow::Result<Option<PathBuf>> {
        let pointer = self.root.join(CURRENT);
        match fs::read_to_string(&pointer) {
            Ok(name) => {
                let name = name.trim();
                anyhow::ensure!(is_generation_name(name), "{} names no generation: {name:?}", pointer.display());
                Ok(Some(self.root.join(name)))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("reading {}", pointer.display())),
        }
    }

    /// The live generation, creating and publishing an empty one when there is none.
    pub fn current_or_create(&self) -> anyhow::Result<PathBuf> {
        if let Some(dir) = self.current()? {
            return Ok(dir);
        }
        let dir = self.new_generation()?;
        self.publish(&dir)?;
        Ok(dir)
    }

    /// Creates the directory of a new, not yet published generation. Names sort by
    /// creation time, which makes listings of the directory readable.
    pub fn new_generation(&self) -> anyhow::Result<PathBuf> {
        fs::create_dir_all(&self.root).with_context(|| format!("creating {}", self.root.display()))?;
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%3f");
        let dir =
            self.root.join(format!("{GENERATION_PREFIX}{stamp}-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]));
        fs::create_dir(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(dir)
    }

    /// Makes `dir` the live generation, atomically and durably.
    pub fn publish(&self, dir: &Path) -> anyhow::Result<()> {
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|n| is_generation_name(n) && dir.parent() == Some(self.root.as_path()))
            .with_context(|| format!("{} is not a generation of {}", dir.display(), self.root.display()))?;
        let staged = self.root.join(format!("{CURRENT}.next"));
        let mut file = File::create(&staged).with_context(|| format!("writing {}", staged.display()))?;
        file.write_all(format!("{name}\n").as_bytes())?;
        file.sync_all()?;
        fs::rename(&staged, self.root.join(CURRENT))?;
        // The rename is durable once the directory entry is.
        File::open(&self.root)?.sync_all()?;
        Ok(())
    }

    /// Takes the reindex lock, or says that another reindex (in this process or
    /// another) holds it.
    pub fn lock_reindex(&self) -> Result<ReindexLock, ReindexRefused> {
        fs::create_dir_all(&self.root).with_context(|| format!("creating {}", self.root.display()))?;
        let path = self.root.join(REINDEX_LOCK);
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => Ok(ReindexLock { _file: file }),
            Err(TryLockError::WouldBlock) => Err(ReindexRefused::AlreadyRunning(self.root.clone())),
            Err(TryLockError::Error(e)) => Err(anyhow::Error::from(e).context("locking the index directory").into()),
        }
    }

    /// Generations other than the live one and `keep`.
    pub fn stale_generations(&self, keep: &[&Path]) -> anyhow::Result<Vec<PathBuf>> {
        let current = self.current()?;
        let mut stale = Vec::new();
        let entries = match fs::read_dir(&self.root) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(stale),
            Err(e) => return Err(e.into()),
        };
        for entry in entries {
            let path = entry?.path();
            let is_generation =
                path.is_dir() && path.file_name().and_then(|n| n.to_str()).is_some_and(is_generation_name);
            if is_generation && current.as_deref() != Some(path.as_path()) && !keep.contains(&path.as_path()) {
                stale.push(path);
            }
        }
        Ok(stale)
    }

    /// Removes generations no one uses: only while holding the reindex lock, so a
    /// reindex building its generation (in another process, say) keeps it, and only
    /// those whose writer lock is free, so a server still serving the previous
    /// generation (it adopts the new one within a second) keeps it too; that server
    /// removes it itself once adopted. Returns how many generations were removed.
    pub fn remove_stale(&self, _lock: &ReindexLock, keep: &[&Path]) -> anyhow::Result<usize> {
        let mut removed = 0;
        for dir in self.stale_generations(keep)? {
            let writer_lock = dir.join(TANTIVY_WRITER_LOCK);
            let _held = match File::options().write(true).open(&writer_lock) {
                Ok(file) => match file.try_lock() {
                    Ok(()) => Some(file),
                    Err(TryLockError::WouldBlock) => continue,
                    Err(TryLockError::Error(e)) => return Err(e.into()),
                },
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(e.into()),
            };
            tracing::info!(dir = %dir.display(), "removing an index generation no longer in use");
            fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
            removed += 1;
        }
        Ok(removed)
    }

    /// Removes the files of an index written straight into the root directory, as
    /// versions before index generations did; the generation opened instead is rebuilt
    /// from PostgreSQL.
    pub fn remove_legacy_layout(&self) -> anyhow::Result<()> {
        if !self.root.join("meta.json").is_file() {
            return Ok(());
        }
        tracing::warn!(dir = %self.root.display(), "removing an index of the old single-directory layout");
        for entry in std::fs::read_dir(&self.root)? {
            let path = entry?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            let tantivy_file = name == "meta.json"
                || name.starts_with(".tantivy")
                || name == ".managed.json"
                || name.rsplit_once('.').is_some_and(|(_, ext)| {
                    matches!(ext, "idx" | "pos" | "term" | "store" | "fast" | "fieldnorm" | "del")
                });
            if tantivy_file && path.is_file() {
                std::fs::remove_file(&path)?;
            }
        }
        Ok(())
    }

    /// Opens the live generation for reading, without creating or changing anything.
    pub fn open_live(&self) -> anyhow::Result<SearchIndex> {
        let dir = self.current()?.with_context(|| format!("there is no index in {} yet", self.root.display()))?;
        SearchIndex::open_existing(&dir, &self.analysis)
    }
}

fn is_generation_name(name: &str) -> bool {
    name.strip_prefix(GENERATION_PREFIX)
        .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_root_gets_a_published_generation() {
        let dir = tempfile::tempdir().unwrap();
        let root = IndexRoot::new(dir.path());
        assert_eq!(root.current().unwrap(), None);
        let live = root.current_or_create().unwrap();
        assert!(live.is_dir());
        assert_eq!(root.current().unwrap(), Some(live.clone()));
        assert_eq!(root.current_or_create().unwrap(), live);
    }

    #[test]
    fn publishing_switches_the_live_generation_and_leaves_the_old_one_stale() {
        let dir = tempfile::tempdir().unwrap();
        let root = IndexRoot::new(dir.path());
        let old = root.current_or_create().unwrap();
        let new = root.new_generation().unwrap();
        assert_eq!(root.stale_generations(&[]).unwrap(), vec![new.clone()]);
        root.publish(&new).unwrap();
        assert_eq!(root.current().unwrap(), Some(new.clone()));
        assert_eq!(root.stale_generations(&[]).unwrap(), vec![old.clone()]);
        assert!(root.stale_generations(&[&old]).unwrap().is_empty());
        let lock = root.lock_reindex().unwrap();
        assert_eq!(root.remove_stale(&lock, &[]).unwrap(), 1);
        assert!(!old.exists() && new.exists());
    }

    #[test]
    fn a_generation_whose_writer_is_open_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let root = IndexRoot::new(dir.path());
        let old = root.current_or_create().unwrap();
        let index = SearchIndex::open_or_create(&old, root.analysis()).unwrap();
        let writer = index.writer().unwrap();
        let new = root.new_generation().unwrap();
        root.publish(&new).unwrap();
        let lock = root.lock_reindex().unwrap();
        assert_eq!(root.remove_stale(&lock, &[]).unwrap(), 0);
        assert!(old.exists());
        drop(writer);
        assert_eq!(root.remove_stale(&lock, &[]).unwrap(), 1);
        assert!(!old.exists());
    }

    #[test]
    fn a_second_reindex_is_refused_while_the_first_holds_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let root = IndexRoot::new(dir.path());
        let first = root.lock_reindex().unwrap();
        let refused = root.lock_reindex().unwrap_err();
        assert!(matches!(refused, ReindexRefused::AlreadyRunning(_)), "{refused}");
        assert!(refused.to_string().contains("already running"));
        drop(first);
        root.lock_reindex().unwrap();
    }

    #[test]
    fn only_generations_of_the_root_can_be_published() {
        let dir = tempfile::tempdir().unwrap();
        let root = IndexRoot::new(dir.path());
        assert!(root.publish(&dir.path().join("elsewhere")).is_err());
        assert!(root.publish(Path::new("/tmp/gen-1")).is_err());
        std::fs::write(dir.path().join(CURRENT), "../../etc\n").unwrap();
        assert!(root.current().is_err());
    }
}
