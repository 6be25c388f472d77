//! Japanese text: morphological analysis with Lindera for the words, and the
//! vocabulary's Japanese names cut out of the runs Japanese writes without spaces.
//!
//! Japanese puts no space between words (「トヨタカムリ用オイルフィルター純正品」), so
//! the word tokenizer sees one opaque run. Lindera segments such runs with a
//! MeCab dictionary (IPADIC), which the service builds at setup and hands in
//! here; this module does no I/O. Without a dictionary the Japanese field is
//! registered with an analyzer that yields nothing, so an index and its queries
//! keep working on every other field.
//!
//! The dictionary does not know car names: IPADIC reads 「トヨタカムリ」 as one
//! unknown word. So before Lindera sees a run, the Japanese words of the
//! vocabulary (makes, models, parts, conditions) are cut out of it with spaces,
//! longest first; query understanding does the same, which is how a Japanese
//! title gets its car and category even when no dictionary is loaded.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::Arc;

use lindera::dictionary::Dictionary;
use lindera::mode::Mode;
use lindera::segmenter::Segmenter;
use tantivy::tokenizer::TokenizerManager;
use tantivy_tokenizer_api::{Token, TokenStream, Tokenizer};

use crate::lexicon::Lexicon;
use crate::normalizer::normalize;

/// Analyzer for the Japanese words of titles and descriptions.
pub const JAPANESE_ANALYZER: &str = "cp_japanese";

/// Parts of speech (IPADIC's first detail) that carry nothing for search:
/// particles, auxiliary verbs and symbols.
const STOP_PARTS_OF_SPEECH: [&str; 3] = ["助詞", "助動詞", "記号"];

/// Whether `c` belongs to Japanese writing: kana (full and half width), the
/// prolonged sound mark, the iteration mark and CJK ideographs.
pub fn is_japanese_char(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{309F}' // hiragana
        | '\u{30A0}'..='\u{30FF}' // katakana, with ー
        | '\u{31F0}'..='\u{31FF}' // katakana phonetic extensions
        | '\u{FF66}'..='\u{FF9F}' // half-width katakana
        | '\u{3005}' // 々
        | '\u{3400}'..='\u{4DBF}' // CJK extension A
        | '\u{4E00}'..='\u{9FFF}' // CJK unified ideographs
        | '\u{F900}'..='\u{FAFF}' // CJK compatibility ideographs
    )
}

/// Whether `text` holds any Japanese writing (see [`is_japanese_char`]).
pub fn has_japanese(text: &str) -> bool {
    text.chars().any(is_japanese_char)
}

/// The Japanese words of a vocabulary, for cutting them out of unspaced runs.
#[derive(Debug, Default)]
pub(crate) struct JapaneseWords {
    words: HashSet<String>,
    /// Longest word, in characters: no longer slice is looked up.
    longest: usize,
}

/// Shortest vocabulary word cut out of a run: a single kanji is part of too
/// many other words.
const MIN_CUT_CHARS: usize = 2;

impl JapaneseWords {
    /// Collects the Japanese words among `words` (normalized vocabulary words).
    pub(crate) fn new<'a>(words: impl IntoIterator<Item = &'a str>) -> JapaneseWords {
        let words: HashSet<String> = words
            .into_iter()
            .filter(|w| w.chars().count() >= MIN_CUT_CHARS && w.chars().all(is_japanese_char))
            .map(str::to_owned)
            .collect();
        let longest = words.iter().map(|w| w.chars().count()).max().unwrap_or(0);
        JapaneseWords { words, longest }
    }

    /// `text` (normalized) with every vocabulary word found inside a Japanese
    /// run set apart by spaces, longest match first; `text` itself when there
    /// is nothing to cut.
    pub(crate) fn cut<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if self.words.is_empty() || !has_japanese(text) {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len() + 16);
        let mut changed = false;
        let mut rest = text;
        while let Some(start) = rest.find(is_japanese_char) {
            out.push_str(&rest[..start]);
            let run_len = rest[start..].find(|c| !is_japanese_char(c)).unwrap_or(rest.len() - start);
            let run = &rest[start..start + run_len];
            changed |= self.cut_run(run, &mut out);
            rest = &rest[start + run_len..];
        }
        out.push_str(rest);
        if changed { Cow::Owned(out) } else { Cow::Borrowed(text) }
    }

    /// Writes `run` into `out` with its vocabulary words spaced; returns whether
    /// any word was cut out of a longer run.
    fn cut_run(&self, run: &str, out: &mut String) -> bool {
        let bounds: Vec<usize> = run.char_indices().map(|(i, _)| i).chain([run.len()]).collect();
        let chars = bounds.len() - 1;
        let mut changed = false;
        let mut i = 0;
        let mut plain_from = 0;
        while i < chars {
            let longest = self.longest.min(chars - i);
            let found =
                (MIN_CUT_CHARS..=longest).rev().find(|&len| self.words.contains(&run[bounds[i]..bounds[i + len]]));
            match found {
                Some(len) => {
                    if len < chars {
                        changed = true;
                    }
                    push_spaced(out, &run[bounds[plain_from]..bounds[i]]);
                    push_spaced(out, &run[bounds[i]..bounds[i + len]]);
                    i += len;
                    plain_from = i;
                }
                None => i += 1,
            }
        }
        push_spaced(out, &run[bounds[plain_from]..]);
        changed
    }
}

/// Appends `piece` to `out`, a space before it unless `out` already ends in
/// one or is empty.
fn push_spaced(out: &mut String, piece: &str) {
    if piece.is_empty() {
        return;
    }
    if !out.is_empty() && !out.ends_with(' ') {
        out.push(' ');
    }
    out.push_str(piece);
}

/// Tokenizer for Japanese text: normalized, the vocabulary's Japanese words cut
/// out, then segmented by Lindera; particles, auxiliary verbs and symbols are
/// dropped. Clones share the loaded dictionary.
#[derive(Clone)]
pub struct JapaneseTokenizer {
    segmenter: Arc<Segmenter>,
}

impl JapaneseTokenizer {
    /// A tokenizer over a loaded IPADIC `dictionary`.
    pub fn new(dictionary: Dictionary) -> JapaneseTokenizer {
        JapaneseTokenizer { segmenter: Arc::new(Segmenter::new(Mode::Normal, dictionary, None)) }
    }

    /// The words of `text`, in order.
    pub fn words(&self, text: &str) -> Vec<String> {
        let normalized = normalize(text);
        let cut = Lexicon::builtin().cut_japanese(&normalized);
        let Ok(mut tokens) = self.segmenter.segment(Cow::Borrowed(cut.as_ref())) else {
            return Vec::new();
        };
        tokens
            .iter_mut()
            .filter(|t| t.surface.chars().any(char::is_alphanumeric))
            .filter_map(|t| {
                let stop = t.get_detail(0).is_some_and(|pos| STOP_PARTS_OF_SPEECH.contains(&pos));
                (!stop).then(|| t.surface.to_string())
            })
            .collect()
    }
}

impl Tokenizer for JapaneseTokenizer {
    type TokenStream<'a> = WordList;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordList {
        WordList::new(self.words(text))
    }
}

/// Tokenizer that yields nothing: the Japanese field's analyzer when no
/// dictionary is loaded.
#[derive(Clone, Default)]
pub struct NoWords;

impl Tokenizer for NoWords {
    type TokenStream<'a> = WordList;

    fn token_stream<'a>(&'a mut self, _text: &'a str) -> WordList {
        WordList::new(Vec::new())
    }
}

/// A token stream over words already found, one position each.
pub struct WordList {
    words: std::vec::IntoIter<String>,
    token: Token,
}

impl WordList {
    fn new(words: Vec<String>) -> WordList {
        WordList { words: words.into_iter(), token: Token::default() }
    }
}

impl TokenStream for WordList {
    fn advance(&mut self) -> bool {
        let Some(word) = self.words.next() else {
            return false;
        };
        // Offsets point into the normalized text, not the original: only
        // positions are indexed for this field.
        self.token.position = self.token.position.wrapping_add(1);
        self.token.offset_from = self.token.offset_to;
        self.token.offset_to += word.len();
        self.token.text = word;
        true
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

/// Registers [`JAPANESE_ANALYZER`]: Lindera over `tokenizer`'s dictionary, or,
/// with none, an analyzer that yields nothing (the field stays empty and
/// queries on it find nothing, while the rest of the index works).
pub fn register_japanese(manager: &TokenizerManager, tokenizer: Option<JapaneseTokenizer>) {
    match tokenizer {
        Some(tokenizer) => manager.register(JAPANESE_ANALYZER, tokenizer),
        None => manager.register(JAPANESE_ANALYZER, NoWords),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(list: &[&str]) -> JapaneseWords {
        JapaneseWords::new(list.iter().copied())
    }

    #[test]
    fn japanese_writing_is_recognised_in_every_script_it_uses() {
        for text in ["トヨタ", "ｶﾑﾘ", "純正品", "ひらがな", "ランドクルーザー", "佐々木"] {
            assert!(has_japanese(text), "{text}");
        }
        for text in ["camry 2019", "فلتر زيت", "04152-YZZA1", ""] {
            assert!(!has_japanese(text), "{text}");
        }
    }

    #[test]
    fn vocabulary_words_are_cut_out_of_an_unspaced_run_longest_first() {
        let known = words(&["トヨタ", "カムリ", "オイル", "オイルフィルター"]);
        assert_eq!(
            known.cut("トヨタカムリ用オイルフィルター純正品 04152-yzza1"),
            "トヨタ カムリ 用 オイルフィルター 純正品 04152-yzza1"
        );
    }

    #[test]
    fn text_without_a_vocabulary_word_inside_a_longer_run_is_borrowed_unchanged() {
        let known = words(&["カムリ"]);
        assert!(matches!(known.cut("camry oil filter"), Cow::Borrowed(_)));
        assert!(matches!(known.cut("純正品 カムリ"), Cow::Borrowed(_)));
        assert!(matches!(known.cut("純正品"), Cow::Borrowed(_)));
    }

    #[test]
    fn single_characters_and_non_japanese_words_are_never_cut() {
        let known = words(&["用", "camry", "カムリ"]);
        assert_eq!(known.cut("カムリ用"), "カムリ 用");
        assert_eq!(known.cut("用品"), "用品");
    }

    #[test]
    fn without_a_dictionary_the_japanese_analyzer_yields_nothing() {
        let manager = TokenizerManager::new();
        register_japanese(&manager, None);
        let mut analyzer = manager.get(JAPANESE_ANALYZER).expect("registered");
        assert!(crate::terms_by_position(&mut analyzer, "トヨタカムリ用オイルフィルター").is_empty());
    }
}
