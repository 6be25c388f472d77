//! The named analyzers, registered once for indexing and querying alike.
//!
//! The schema refers to analyzers by name and tantivy's query parser looks
//! them up by the same name, so one `register` call on the index's tokenizer
//! manager is all either side needs; registering them anywhere else would let
//! the two drift apart.

use tantivy::tokenizer::{RawTokenizer, RemoveLongFilter, TextAnalyzer, TokenizerManager};

use crate::{ArabicLightStemmer, ArabicNormalizer, PartNumberTokenizer, WordTokenizer};

/// Analyzer for titles and descriptions: words, normalized, with the light
/// stem of prefixed Arabic words added at the same position.
pub const TEXT_ANALYZER: &str = "cp_text";
/// Analyzer for the part-number field: compact numbers, their prefixes and
/// groups.
pub const PART_NUMBER_ANALYZER: &str = "cp_partnum";
/// Analyzer for exact values such as make and model facets: the whole value,
/// normalized.
pub const KEYWORD_ANALYZER: &str = "cp_keyword";

/// Longest term kept, in bytes: 30 Arabic letters, far beyond any real word,
/// and short of the runs of junk that bloat the term dictionary.
const MAX_TERM_BYTES: usize = 60;

/// Registers the CargoParts analyzers under [`TEXT_ANALYZER`],
/// [`PART_NUMBER_ANALYZER`] and [`KEYWORD_ANALYZER`].
pub fn register(manager: &TokenizerManager) {
    manager.register(
        TEXT_ANALYZER,
        TextAnalyzer::builder(WordTokenizer::default())
            .filter(ArabicNormalizer)
            .filter(RemoveLongFilter::limit(MAX_TERM_BYTES))
            .filter(ArabicLightStemmer::default())
            .build(),
    );
    manager.register(PART_NUMBER_ANALYZER, PartNumberTokenizer::default());
    manager.register(KEYWORD_ANALYZER, TextAnalyzer::builder(RawTokenizer::default()).filter(ArabicNormalizer).build());
}

/// Returns the terms `analyzer` produces for `text`, grouped by position.
///
/// Terms that share a position are alternatives (a word and its light stem,
/// a part number and its prefixes), so a query built from them takes one
/// term of each group; tantivy's `QueryParser` would instead require all of
/// them at once.
pub fn terms_by_position(analyzer: &mut TextAnalyzer, text: &str) -> Vec<Vec<String>> {
    let mut groups: Vec<(usize, Vec<String>)> = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while let Some(token) = stream.next() {
        match groups.last_mut() {
            Some((position, terms)) if *position == token.position => terms.push(token.text.clone()),
            _ => groups.push((token.position, vec![token.text.clone()])),
        }
    }
    groups.into_iter().map(|(_, terms)| terms).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyzer(name: &str) -> TextAnalyzer {
        let manager = TokenizerManager::new();
        register(&manager);
        manager.get(name).expect("registered")
    }

    #[test]
    fn the_three_analyzers_are_registered_under_their_names() {
        let manager = TokenizerManager::new();
        register(&manager);
        for name in [TEXT_ANALYZER, PART_NUMBER_ANALYZER, KEYWORD_ANALYZER] {
            assert!(manager.get(name).is_some(), "{name}");
        }
    }

    #[test]
    fn the_text_analyzer_groups_a_word_with_its_stem() {
        let mut text = analyzer(TEXT_ANALYZER);
        assert_eq!(
            terms_by_position(&mut text, "فلتر الزيت لكامرى ٢٠١٩"),
            [vec!["فلتر"], vec!["الزيت", "زيت"], vec!["لكامري", "كامري"], vec!["2019"]]
        );
    }

    #[test]
    fn the_text_analyzer_drops_overlong_terms() {
        let mut text = analyzer(TEXT_ANALYZER);
        let long = "ب".repeat(40);
        assert_eq!(terms_by_position(&mut text, &format!("{long} زيت")), [vec!["زيت"]]);
    }

    #[test]
    fn the_part_number_analyzer_puts_a_number_at_one_position() {
        let mut partnum = analyzer(PART_NUMBER_ANALYZER);
        let groups = terms_by_position(&mut partnum, "04152-YZZA1, 90919-01253");
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0][0], "04152yzza1");
        assert!(groups[0].contains(&"04152".to_string()) && groups[0].contains(&"yzza1".to_string()));
        assert_eq!(groups[1][0], "9091901253");
    }

    #[test]
    fn the_keyword_analyzer_keeps_the_value_whole() {
        let mut keyword = analyzer(KEYWORD_ANALYZER);
        assert_eq!(terms_by_position(&mut keyword, "Land Cruiser"), [vec!["land cruiser"]]);
        assert_eq!(terms_by_position(&mut keyword, "مرسيدس"), [vec!["مرسيدس"]]);
    }
}
