//! Which analyzers an index is built and searched with, and the Japanese dictionary
//! they may load: built once at setup from MeCab's IPADIC sources (Debian's
//! `mecab-ipadic`), loaded at startup, optional.
//!
//! Lindera's embedded dictionaries are downloaded while compiling, which a build
//! without network cannot do; so `cargoparts setup-dictionaries` builds the dictionary
//! from the sources the system packages install, into `search.japanese_dictionary`.
//! A server without it works, says so once in its log and in readiness, and indexes
//! Japanese text only through the other fields. Whether an index was built with
//! Japanese analysis is recorded in its watermark, so turning it on or off rebuilds
//! the index rather than mixing the two.

use std::path::{Path, PathBuf};

use anyhow::Context;
use cargoparts_analyzers::JapaneseTokenizer;
use lindera_dictionary::builder::DictionaryBuilder;
use lindera_dictionary::dictionary::metadata::Metadata;
use tantivy::tokenizer::TokenizerManager;

use crate::platform::config::SearchSettings;

/// Where Debian's `mecab-ipadic` package installs the IPADIC sources.
pub const IPADIC_SOURCES: &str = "/usr/share/mecab/dic/ipadic";

/// The file every built dictionary has; its presence marks a finished build.
const BUILT_MARKER: &str = "metadata.json";

/// The analyzers of an index: always the Arabic/English/part-number chain, and
/// Japanese when its dictionary is loaded. Clones share the dictionary.
#[derive(Clone, Default)]
pub struct TextAnalysis {
    japanese: Option<JapaneseTokenizer>,
}

impl std::fmt::Debug for TextAnalysis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextAnalysis").field("japanese", &self.japanese.is_some()).finish()
    }
}

impl TextAnalysis {
    /// The analysis the settings ask for; without a usable Japanese dictionary it
    /// logs why, once, and goes on without Japanese analysis.
    pub fn load(settings: &SearchSettings) -> TextAnalysis {
        let dir = &settings.japanese_dictionary;
        match TextAnalysis::with_japanese(dir) {
            Ok(analysis) => {
                tracing::info!(dictionary = %dir.display(), "Japanese analysis is on");
                analysis
            }
            Err(error) => {
                tracing::warn!(
                    dictionary = %dir.display(),
                    error = format!("{error:#}"),
                    "Japanese analysis is off: Japanese titles are found by their part numbers, Latin \
                     words and known car and part names only; `cargoparts setup-dictionaries` builds \
                     the dictionary"
                );
                TextAnalysis::default()
            }
        }
    }

    /// Analysis with the Japanese dictionary built in `dir`.
    pub fn with_japanese(dir: &Path) -> anyhow::Result<TextAnalysis> {
        anyhow::ensure!(dir.join(BUILT_MARKER).is_file(), "no dictionary has been built in {}", dir.display());
        let dictionary = lindera::dictionary::load_fs_dictionary(dir)
            .map_err(|e| anyhow::anyhow!("{e}"))
            .with_context(|| format!("loading the dictionary in {}", dir.display()))?;
        Ok(TextAnalysis { japanese: Some(JapaneseTokenizer::new(dictionary)) })
    }

    /// Whether Japanese text is segmented into words.
    pub fn japanese(&self) -> bool {
        self.japanese.is_some()
    }

    /// Installs every analyzer the schema names into `manager`.
    pub fn register(&self, manager: &TokenizerManager) {
        cargoparts_analyzers::register(manager);
        cargoparts_analyzers::register_japanese(manager, self.japanese.clone());
    }
}

/// What [`build_dictionary`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum DictionarySetup {
    Built,
    AlreadyBuilt,
}

/// Builds the IPADIC dictionary from the MeCab sources in `source` into `target`,
/// unless a build is already there (or `force`). The build goes to a sibling
/// directory first and is renamed into place, so a crash never leaves half a
/// dictionary where the server looks.
pub fn build_dictionary(source: &Path, target: &Path, force: bool) -> anyhow::Result<DictionarySetup> {
    if !force && target.join(BUILT_MARKER).is_file() {
        return Ok(DictionarySetup::AlreadyBuilt);
    }
    anyhow::ensure!(
        source.join("matrix.def").is_file(),
        "no IPADIC sources in {} (on Debian: apt-get install mecab-ipadic)",
        source.display()
    );
    let metadata = ipadic_metadata(source)?;
    let parent = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let building = sibling(target, "building");
    remove_if_present(&building)?;
    DictionaryBuilder::new(metadata)
        .build_dictionary(source, &building)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("building the dictionary from {}", source.display()))?;
    let previous = sibling(target, "previous");
    remove_if_present(&previous)?;
    if target.exists() {
        std::fs::rename(target, &previous).with_context(|| format!("moving {} aside", target.display()))?;
    }
    std::fs::rename(&building, target).with_context(|| format!("putting the dictionary in {}", target.display()))?;
    remove_if_present(&previous)?;
    Ok(DictionarySetup::Built)
}

fn sibling(target: &Path, suffix: &str) -> PathBuf {
    let mut name = target.file_name().map(|n| n.to_os_string()).unwrap_or_else(|| "dictionary".into());
    name.push(format!(".{suffix}"));
    target.with_file_name(name)
}

fn remove_if_present(dir: &Path) -> anyhow::Result<()> {
    match std::fs::remove_dir_all(dir) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            Err(error).with_context(|| format!("removing {}", dir.display()))
        }
        _ => Ok(()),
    }
}

/// Lindera's description of IPADIC's CSV columns, in the encoding of the sources:
/// the upstream tarball and Debian's package are EUC-JP, some redistributions UTF-8.
fn ipadic_metadata(source: &Path) -> anyhow::Result<Metadata> {
    let sample = std::fs::read(source.join("Noun.csv"))
        .or_else(|_| std::fs::read(source.join("unk.def")))
        .with_context(|| format!("reading the IPADIC sources in {}", source.display()))?;
    let encoding = if std::str::from_utf8(&sample).is_ok() { "UTF-8" } else { "EUC-JP" };
    let json = serde_json::json!({
        "name": "ipadic",
        "encoding": encoding,
        "default_word_cost": -10000,
        "default_left_context_id": 0,
        "default_right_context_id": 0,
        "default_field_value": "*",
        "flexible_csv": true,
        "skip_invalid_cost_or_id": false,
        "normalize_details": true,
        "dictionary_schema": { "fields": [
            "surface", "left_context_id", "right_context_id", "cost", "part_of_speech",
            "part_of_speech_subcategory_1", "part_of_speech_subcategory_2", "part_of_speech_subcategory_3",
            "conjugation_form", "conjugation_type", "base_form", "reading", "pronunciation"
        ] },
        "user_dictionary_schema": { "fields": ["surface", "part_of_speech", "reading"] }
    });
    Metadata::load(json.to_string().as_bytes()).map_err(|e| anyhow::anyhow!("{e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_dictionary_is_an_error_naming_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let error = TextAnalysis::with_japanese(&dir.path().join("ipadic")).unwrap_err();
        assert!(format!("{error:#}").contains("ipadic"), "{error:#}");
    }

    #[test]
    fn without_sources_nothing_is_built_and_the_error_says_what_to_install() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("ipadic");
        let error = build_dictionary(&dir.path().join("nowhere"), &target, false).unwrap_err();
        assert!(format!("{error:#}").contains("mecab-ipadic"), "{error:#}");
        assert!(!target.exists());
    }

    #[test]
    fn a_finished_build_is_kept_unless_forced() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("ipadic");
        std::fs::create_dir_all(&target).unwrap();
        std::fs::write(target.join(BUILT_MARKER), "{}").unwrap();
        let outcome = build_dictionary(&dir.path().join("nowhere"), &target, false).unwrap();
        assert_eq!(outcome, DictionarySetup::AlreadyBuilt);
    }
}
