//! Word splitting that keeps Arabic words whole.
//!
//! tantivy's `SimpleTokenizer` cuts at every character that is not
//! alphanumeric. In real listings that splits words at zero-width joiners,
//! direction marks pasted from chat apps, and combining marks outside the
//! Arabic block, none of which a reader sees. Here a word starts at an
//! alphanumeric character and runs on through letters, digits, combining marks
//! and invisible format controls; everything else separates words. The same
//! rule splits queries and vocabulary terms, so all three agree on what a word is.

use std::str::CharIndices;

use tantivy_tokenizer_api::{Token, TokenStream, Tokenizer};
use unicode_normalization::char::is_combining_mark;

use crate::normalizer::is_removed;

/// Tokenizer that emits the words of a text, keeping marks and invisible
/// controls inside the word they belong to.
#[derive(Clone, Default)]
pub struct WordTokenizer {
    token: Token,
}

/// Token stream produced by [`WordTokenizer`].
pub struct WordTokenStream<'a> {
    text: &'a str,
    spans: WordSpans<'a>,
    token: &'a mut Token,
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = WordTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordTokenStream<'a> {
        self.token.reset();
        WordTokenStream { text, spans: word_spans(text), token: &mut self.token }
    }
}

impl TokenStream for WordTokenStream<'_> {
    fn advance(&mut self) -> bool {
        let Some((from, to)) = self.spans.next() else {
            return false;
        };
        self.token.position = self.token.position.wrapping_add(1);
        self.token.offset_from = from;
        self.token.offset_to = to;
        self.token.text.clear();
        self.token.text.push_str(&self.text[from..to]);
        true
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

/// Iterator over the byte spans of the words of a text.
pub(crate) struct WordSpans<'a> {
    len: usize,
    chars: CharIndices<'a>,
}

/// Returns the byte spans `(from, to)` of the words of `text`, in order.
pub(crate) fn word_spans(text: &str) -> WordSpans<'_> {
    WordSpans { len: text.len(), chars: text.char_indices() }
}

impl Iterator for WordSpans<'_> {
    type Item = (usize, usize);

    fn next(&mut self) -> Option<(usize, usize)> {
        let from = loop {
            let (offset, c) = self.chars.next()?;
            if starts_word(c) {
                break offset;
            }
        };
        // The character that ends a word cannot start the next one, so it
        // may be consumed here.
        let to = self.chars.by_ref().find(|&(_, c)| !continues_word(c)).map_or(self.len, |(offset, _)| offset);
        Some((from, to))
    }
}

// Harakat and tatweel count as alphabetic in Unicode, but a word made only of
// them is nothing once normalized. ASCII and the Arabic letters are checked
// first: the general Unicode tables are slow.
fn starts_word(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    if matches!(c, '\u{0621}'..='\u{063A}' | '\u{0641}'..='\u{064A}' | '\u{0660}'..='\u{0669}') {
        return true;
    }
    c.is_alphanumeric() && !is_combining_mark(c) && !is_removed(c)
}

fn continues_word(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    if matches!(c, '\u{0621}'..='\u{065F}' | '\u{0660}'..='\u{0669}' | '\u{066E}'..='\u{0670}') {
        return true;
    }
    c.is_alphanumeric() || is_combining_mark(c) || is_removed(c)
}

/// Returns the words of `text`.
pub(crate) fn words(text: &str) -> impl Iterator<Item = &str> {
    word_spans(text).map(move |(from, to)| &text[from..to])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tokens(text: &str) -> Vec<(String, usize, usize, usize)> {
        let mut tokenizer = WordTokenizer::default();
        let mut stream = tokenizer.token_stream(text);
        let mut out = Vec::new();
        while let Some(t) = stream.next() {
            out.push((t.text.clone(), t.position, t.offset_from, t.offset_to));
        }
        out
    }

    #[test]
    fn words_are_split_on_spaces_and_punctuation() {
        let got: Vec<_> = words("فلتر زيت، Camry/2019 (04152-YZZA1)").collect();
        assert_eq!(got, ["فلتر", "زيت", "Camry", "2019", "04152", "YZZA1"]);
    }

    #[test]
    fn joiners_direction_marks_and_diacritics_stay_inside_the_word() {
        let got: Vec<_> = words("كا\u{200D}مري \u{200F}فَلْتر\u{200F} cafe\u{0301}").collect();
        assert_eq!(got, ["كا\u{200D}مري", "فَلْتر\u{200F}", "cafe\u{0301}"]);
    }

    #[test]
    fn lone_marks_and_controls_make_no_word() {
        assert_eq!(words("\u{064E} \u{200F} \u{0301}- ").count(), 0);
    }

    #[test]
    fn tokens_carry_positions_and_byte_offsets() {
        assert_eq!(tokens("زيت oil"), [("زيت".to_string(), 0, 0, 6), ("oil".to_string(), 1, 7, 10)]);
    }

    #[test]
    fn a_new_stream_restarts_positions() {
        let mut tokenizer = WordTokenizer::default();
        {
            let mut stream = tokenizer.token_stream("a b c");
            while stream.advance() {}
        }
        let mut stream = tokenizer.token_stream("d");
        assert_eq!(stream.next().map(|t| t.position), Some(0));
    }

    proptest! {
        #[test]
        fn spans_are_ordered_non_empty_and_on_char_boundaries(text in any::<String>()) {
            let mut last_end = 0;
            for (from, to) in word_spans(&text) {
                prop_assert!(from >= last_end && from < to && to <= text.len());
                prop_assert!(text.is_char_boundary(from) && text.is_char_boundary(to));
                last_end = to;
            }
        }
    }
}
