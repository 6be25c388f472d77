//! The normalization of [`normalize`](crate::normalize) as a tantivy token filter.
//!
//! Indexing and querying both run it, so a title written كامرى٢٠١٩ and a
//! query typed كامري 2019 produce the same terms. It also lowercases, which
//! is why the registered analyzers need no separate `LowerCaser`.

use std::mem;

use tantivy_tokenizer_api::{Token, TokenFilter, TokenStream, Tokenizer};

use crate::normalizer::normalize_into;

/// Token filter that normalizes each token and drops the tokens that
/// normalize to nothing (a lone diacritic or tatweel).
#[derive(Clone, Copy, Debug, Default)]
pub struct ArabicNormalizer;

impl TokenFilter for ArabicNormalizer {
    type Tokenizer<T: Tokenizer> = ArabicNormalizerFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> ArabicNormalizerFilter<T> {
        ArabicNormalizerFilter { inner: tokenizer, buffer: String::new() }
    }
}

#[derive(Clone)]
pub struct ArabicNormalizerFilter<T> {
    inner: T,
    buffer: String,
}

impl<T: Tokenizer> Tokenizer for ArabicNormalizerFilter<T> {
    type TokenStream<'a> = ArabicNormalizerTokenStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        self.buffer.clear();
        ArabicNormalizerTokenStream { tail: self.inner.token_stream(text), buffer: &mut self.buffer }
    }
}

pub struct ArabicNormalizerTokenStream<'a, T> {
    tail: T,
    buffer: &'a mut String,
}

impl<T: TokenStream> TokenStream for ArabicNormalizerTokenStream<'_, T> {
    fn advance(&mut self) -> bool {
        while self.tail.advance() {
            let token = self.tail.token_mut();
            if token.text.is_ascii() {
                token.text.make_ascii_lowercase();
            } else {
                normalize_into(&token.text, self.buffer);
                mem::swap(&mut token.text, self.buffer);
            }
            if !token.text.is_empty() {
                return true;
            }
        }
        false
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
    use crate::WordTokenizer;
    use tantivy::tokenizer::{RawTokenizer, TextAnalyzer};

    fn analyze(mut analyzer: TextAnalyzer, text: &str) -> Vec<(String, usize, usize, usize)> {
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while let Some(t) = stream.next() {
            out.push((t.text.clone(), t.position, t.offset_from, t.offset_to));
        }
        out
    }

    fn words(text: &str) -> Vec<String> {
        let analyzer = TextAnalyzer::builder(WordTokenizer::default()).filter(ArabicNormalizer).build();
        analyze(analyzer, text).into_iter().map(|t| t.0).collect()
    }

    #[test]
    fn tokens_are_normalized_and_keep_their_offsets() {
        let analyzer = TextAnalyzer::builder(WordTokenizer::default()).filter(ArabicNormalizer).build();
        assert_eq!(analyze(analyzer, "كامرى ٢٠١٩"), [("كامري".to_string(), 0, 0, 10), ("2019".to_string(), 1, 11, 19)]);
    }

    #[test]
    fn variant_spellings_of_a_title_meet_on_the_same_terms() {
        assert_eq!(words("فلتـــر زَيت تويوتا كامرى"), words("فلتر زيت تويوتا كامري"));
        assert_eq!(words("بطارية"), words("بطاريه"));
        assert_eq!(words("أكورد"), words("اكورد"));
        assert_eq!(words("Oil FILTER"), ["oil", "filter"]);
    }

    #[test]
    fn tokens_that_normalize_to_nothing_are_dropped() {
        assert_eq!(words("ـــ فلتر"), ["فلتر"]);
    }

    #[test]
    fn a_raw_value_is_normalized_whole_for_facets() {
        let analyzer = TextAnalyzer::builder(RawTokenizer::default()).filter(ArabicNormalizer).build();
        assert_eq!(analyze(analyzer, "Land Cruiser"), [("land cruiser".to_string(), 0, 0, 12)]);
    }
}
