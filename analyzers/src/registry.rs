//! The named analyzers, registered once for indexing and querying alike, and
//! the filters among them that depend on the vocabulary.
//!
//! The schema refers to analyzers by name and tantivy's query parser looks
//! them up by the same name, so one `register` call on the index's tokenizer
//! manager is all either side needs; registering them anywhere else would let
//! the two drift apart.
//!
//! The light stemmer and part-number recognition need to know the words of the
//! vocabulary, but the compiled vocabulary is itself built with the stemmer and
//! with `compact`. So they do not look it up: they are handed it here, where
//! the analyzers are put together.

use std::sync::Arc;

use tantivy::tokenizer::{RawTokenizer, RemoveLongFilter, TextAnalyzer, TokenizerManager};
use tantivy_tokenizer_api::{TokenFilter, Tokenizer};

use crate::arabic_normalizer::ArabicNormalizer;
use crate::known_words::KnownWords;
use crate::lexicon::Lexicon;
use crate::light_stemmer::{ArabicLightStemmerFilter, strip_prefixes};
use crate::part_number::{PartNumberTokenStream, PartNumberTokens, part_numbers_in};
use crate::vocabulary::Vocabulary;
use crate::word_tokenizer::WordTokenizer;

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

/// Returns `word` without its article or attached preposition, or `word`
/// itself when there is nothing to strip.
///
/// `word` is expected in normalized form (see [`normalize`](crate::normalize));
/// the result is always a suffix of it. The known words are those of the
/// built-in vocabulary.
pub fn light_stem(word: &str) -> &str {
    let lexicon: &Lexicon = Lexicon::builtin();
    strip_prefixes(word, |w| lexicon.is_known(w))
}

/// Returns the compact forms of the part numbers found in `text`, in order of
/// appearance and without repeats.
///
/// A candidate is a run of ASCII letters and digits (any digit script), or
/// groups of them joined by single dashes, dots or underscores. It is taken
/// as a part number when it has at least four characters and a digit, does
/// not touch Arabic letters, and is none of: a model year or year range
/// (`2019`, `2012-2017`), a lone run of fewer than six digits (unless a
/// trailing dash marks it as a prefix, `04152-`), a decimal, a measurement
/// (`2000cc`, `5w30`), a Saudi mobile number, a car name from the vocabulary
/// (`F-150`, `CX-9`, `RAV4`), or a vocabulary word glued to a short number
/// (`camry2019`). Numbers of capitals only count when hyphenated in long
/// groups (`KHRPL-ZXMNW`).
///
/// Short groups separated by single spaces are one number (`A271 180 01 09`,
/// `04152 YZZA1`); letters may sit inside (`15400 PLM A02`), and capitals may
/// end it after a group of five digits or more (`8LBT 61808 DA`). Letters in
/// front are a brand or a label and stay out (`NGK BKR6E`).
pub fn extract_part_numbers(text: &str) -> Vec<String> {
    let lexicon: &Lexicon = Lexicon::builtin();
    part_numbers_in(text, lexicon)
}

/// Token filter that adds, at the same position, the light stem of every
/// Arabic word that has an article or attached preposition.
#[derive(Clone)]
pub struct ArabicLightStemmer {
    lexicon: Arc<Lexicon>,
}

impl ArabicLightStemmer {
    /// Creates a stemmer that strips one-letter particles in front of the
    /// words of `vocabulary`.
    ///
    /// Each call compiles `vocabulary` anew; clones of the stemmer share it.
    pub fn new(vocabulary: &Vocabulary) -> ArabicLightStemmer {
        ArabicLightStemmer { lexicon: Arc::new(Lexicon::build(vocabulary)) }
    }
}

impl Default for ArabicLightStemmer {
    /// Creates a stemmer over the built-in vocabulary.
    fn default() -> ArabicLightStemmer {
        ArabicLightStemmer { lexicon: Arc::clone(Lexicon::builtin()) }
    }
}

impl TokenFilter for ArabicLightStemmer {
    type Tokenizer<T: Tokenizer> = ArabicLightStemmerFilter<Lexicon, T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> ArabicLightStemmerFilter<Lexicon, T> {
        ArabicLightStemmerFilter::new(self.lexicon, tokenizer)
    }
}

/// Tokenizer for a part-number field: every number becomes one position
/// holding its compact form, its prefixes of four characters or more, and its
/// groups of three characters or more.
///
/// Text that is not a part number (a model year, a word) yields no token, so a
/// listing's free text may be indexed into the same field. Car names with
/// digits (`F-150`, `RAV4`) are those of the built-in vocabulary.
#[derive(Clone)]
pub struct PartNumberTokenizer {
    lexicon: &'static Lexicon,
    tokens: PartNumberTokens,
}

impl Default for PartNumberTokenizer {
    fn default() -> PartNumberTokenizer {
        PartNumberTokenizer { lexicon: Lexicon::builtin(), tokens: PartNumberTokens::default() }
    }
}

impl Tokenizer for PartNumberTokenizer {
    type TokenStream<'a> = PartNumberTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> PartNumberTokenStream<'a> {
        self.tokens.token_stream(text, self.lexicon)
    }
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

    #[test]
    fn a_stemmer_over_another_vocabulary_knows_only_its_words() {
        let vocabulary = Vocabulary::parse(
            "[[category]]\nslug = \"x\"\nname_en = \"X\"\nname_ar = \"س\"\nterms = [\"صحن\"]\n",
            "make = []\n",
            "condition = []\n",
            "city = []\n",
        )
        .expect("a valid vocabulary");
        let mut analyzer =
            TextAnalyzer::builder(WordTokenizer::default()).filter(ArabicLightStemmer::new(&vocabulary)).build();
        let mut stream = analyzer.token_stream("لصحن لكامري");
        let mut texts = Vec::new();
        while let Some(token) = stream.next() {
            texts.push(token.text.clone());
        }
        assert_eq!(texts, ["لصحن", "صحن", "لكامري"]);
    }
}
