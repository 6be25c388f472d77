//! Light stemming: the article and attached prepositions, nothing more.
//!
//! A root-based or Snowball stemmer is wrong for this market: part names are
//! mostly loanwords, and tantivy's Arabic Snowball stemmer turns فلتر (filter)
//! into لتر (litre) and تويوتا into تويو. What does vary is the front of a
//! word: الفلتر، والفلتر، بالزيت، للكامري، لكامري. The article forms (ال، وال،
//! بال، كال، فال، لل) are stripped whenever a word of at least two letters
//! remains. A bare و/ب/ل is also a common first letter (بواجي، لانسر، وايبر), so
//! it is stripped only when what remains is a word the vocabulary knows
//! (لكامري → كامري, وفلتر → فلتر) or is written in Latin letters or digits
//! (لLX → lx). The filter keeps the word as written at the
//! same position, so exact phrases still match.

use std::sync::Arc;

use tantivy_tokenizer_api::{Token, TokenStream, Tokenizer};

use crate::known_words::KnownWords;

/// Article forms, longest first so that وال wins over ال.
const ARTICLES: [&str; 6] = ["وال", "بال", "كال", "فال", "لل", "ال"];
/// One-letter prepositions and conjunctions written attached to the next word.
const PARTICLES: [char; 3] = ['و', 'ل', 'ب'];
/// Letters an article must leave behind.
const MIN_AFTER_ARTICLE: usize = 2;
/// Letters a one-letter particle must leave behind.
const MIN_AFTER_PARTICLE: usize = 3;

/// Strips the prefixes of `word`, using `is_known` to decide whether a bare
/// one-letter particle is a prefix or the word's own first letter.
pub(crate) fn strip_prefixes(word: &str, is_known: impl Fn(&str) -> bool) -> &str {
    if !word.starts_with(is_arabic_letter) {
        return word;
    }
    // No Arabic word runs on in Latin letters or digits: لLX, لF150.
    if let Some(tail) = word.strip_prefix(PARTICLES)
        && tail.starts_with(|c: char| c.is_ascii_alphanumeric())
    {
        return tail;
    }
    if !is_known(word) {
        // Up to two particles (ول، وب) in front of a known word.
        let mut rest = word;
        for _ in 0..2 {
            let Some(tail) = rest.strip_prefix(PARTICLES) else {
                break;
            };
            if tail.chars().count() < MIN_AFTER_PARTICLE {
                break;
            }
            if is_known(tail) {
                return tail;
            }
            rest = tail;
        }
    }
    let mut fallback = None;
    for article in ARTICLES {
        let Some(tail) = word.strip_prefix(article) else {
            continue;
        };
        if tail.chars().count() < MIN_AFTER_ARTICLE {
            continue;
        }
        // ل + a word that itself starts with ال/ل reads as an article too
        // (للاندكروزر); a known remainder tells the readings apart.
        if is_known(tail) {
            return tail;
        }
        fallback.get_or_insert(tail);
    }
    fallback.unwrap_or(word)
}

fn is_arabic_letter(c: char) -> bool {
    ('\u{0621}'..='\u{064A}').contains(&c)
}

/// The light stemmer over a tokenizer: a word with an article or attached
/// preposition is followed, at its position, by its light stem.
pub struct ArabicLightStemmerFilter<K, T> {
    words: Arc<K>,
    inner: T,
    stem: String,
}

// Derived, `Clone` would ask it of the known words too, which are shared.
impl<K, T: Clone> Clone for ArabicLightStemmerFilter<K, T> {
    fn clone(&self) -> Self {
        ArabicLightStemmerFilter { words: Arc::clone(&self.words), inner: self.inner.clone(), stem: self.stem.clone() }
    }
}

impl<K, T> ArabicLightStemmerFilter<K, T> {
    /// Wraps `inner`, stripping one-letter particles in front of the words
    /// `words` knows.
    pub(crate) fn new(words: Arc<K>, inner: T) -> ArabicLightStemmerFilter<K, T> {
        ArabicLightStemmerFilter { words, inner, stem: String::new() }
    }
}

impl<K: KnownWords + Send + Sync + 'static, T: Tokenizer> Tokenizer for ArabicLightStemmerFilter<K, T> {
    type TokenStream<'a> = ArabicLightStemmerTokenStream<'a, K, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        self.stem.clear();
        ArabicLightStemmerTokenStream {
            words: &self.words,
            tail: self.inner.token_stream(text),
            stem: &mut self.stem,
            stem_pending: false,
        }
    }
}

pub struct ArabicLightStemmerTokenStream<'a, K, T> {
    words: &'a K,
    tail: T,
    stem: &'a mut String,
    stem_pending: bool,
}

impl<K: KnownWords, T: TokenStream> TokenStream for ArabicLightStemmerTokenStream<'_, K, T> {
    fn advance(&mut self) -> bool {
        if self.stem_pending {
            // Same position and offsets as the word just emitted.
            self.stem_pending = false;
            let token = self.tail.token_mut();
            std::mem::swap(&mut token.text, self.stem);
            return true;
        }
        if !self.tail.advance() {
            return false;
        }
        let text = &self.tail.token().text;
        let words = self.words;
        let stem = strip_prefixes(text, |w| words.is_known(w));
        if stem.len() < text.len() {
            self.stem.clear();
            self.stem.push_str(stem);
            self.stem_pending = true;
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ArabicLightStemmer, ArabicNormalizer, WordTokenizer, light_stem};
    use tantivy::tokenizer::TextAnalyzer;

    fn analyze(text: &str) -> Vec<(String, usize)> {
        let mut analyzer = TextAnalyzer::builder(WordTokenizer::default())
            .filter(ArabicNormalizer)
            .filter(ArabicLightStemmer::default())
            .build();
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while let Some(token) = stream.next() {
            out.push((token.text.clone(), token.position));
        }
        out
    }

    #[test]
    fn the_article_and_its_prepositional_forms_are_stripped() {
        assert_eq!(light_stem("الفلتر"), "فلتر");
        assert_eq!(light_stem("والفلتر"), "فلتر");
        assert_eq!(light_stem("بالزيت"), "زيت");
        assert_eq!(light_stem("كالجديد"), "جديد");
        assert_eq!(light_stem("فالمكينه"), "مكينه");
        assert_eq!(light_stem("للسياره"), "سياره");
    }

    #[test]
    fn the_article_is_stripped_from_words_the_vocabulary_does_not_know() {
        assert_eq!(light_stem("البيع"), "بيع");
    }

    #[test]
    fn an_article_leaves_at_least_two_letters() {
        assert_eq!(light_stem("الي"), "الي");
        assert_eq!(light_stem("الكل"), "كل");
        assert_eq!(light_stem("ال"), "ال");
    }

    #[test]
    fn a_one_letter_particle_is_stripped_before_a_known_word() {
        assert_eq!(light_stem("لكامري"), "كامري");
        assert_eq!(light_stem("وفلتر"), "فلتر");
        assert_eq!(light_stem("بزيت"), "زيت");
        assert_eq!(light_stem("ولكامري"), "كامري");
    }

    #[test]
    fn a_first_letter_that_only_looks_like_a_particle_is_kept() {
        // بواجي، لانسر، وايبر are vocabulary words starting with ب/ل/و.
        assert_eq!(light_stem("بواجي"), "بواجي");
        assert_eq!(light_stem("لانسر"), "لانسر");
        assert_eq!(light_stem("وايبر"), "وايبر");
        // Not followed by a known word.
        assert_eq!(light_stem("ولد"), "ولد");
        assert_eq!(light_stem("بيت"), "بيت");
    }

    #[test]
    fn snowball_damage_does_not_happen_to_loanwords() {
        assert_eq!(light_stem("فلتر"), "فلتر");
        assert_eq!(light_stem("تويوتا"), "تويوتا");
    }

    #[test]
    fn a_particle_in_front_of_a_model_starting_with_lam_is_read_as_a_particle() {
        assert_eq!(light_stem("للاندكروزر"), "لاندكروزر");
        assert_eq!(light_stem("لالتيما"), "التيما");
        assert_eq!(light_stem("والتيما"), "التيما");
    }

    #[test]
    fn a_particle_glued_to_a_latin_name_is_always_a_particle() {
        assert_eq!(light_stem("لlx"), "lx");
        assert_eq!(light_stem("لf150"), "f150");
        assert_eq!(light_stem("و2019"), "2019");
    }

    #[test]
    fn latin_words_and_digits_are_left_alone() {
        assert_eq!(light_stem("lancer"), "lancer");
        assert_eq!(light_stem("2019"), "2019");
        assert_eq!(light_stem(""), "");
    }

    #[test]
    fn the_filter_keeps_the_written_word_and_adds_the_stem_at_the_same_position() {
        assert_eq!(
            analyze("فلتر الزيت لكامري"),
            [
                ("فلتر".to_string(), 0),
                ("الزيت".to_string(), 1),
                ("زيت".to_string(), 1),
                ("لكامري".to_string(), 2),
                ("كامري".to_string(), 2),
            ]
        );
    }

    #[test]
    fn the_filter_works_on_normalized_tokens() {
        assert_eq!(analyze("الفَلـتر"), [("الفلتر".to_string(), 0), ("فلتر".to_string(), 0)]);
    }
}
