//! What the filters need to know of the vocabulary, and nothing more.
//!
//! The light stemmer strips a bare one-letter particle only in front of a word
//! the vocabulary knows, and part-number recognition keeps known words and car
//! names (`F-150`, `RAV4`) out of numbers. The compiled vocabulary is itself
//! built with the stemmer and with [`compact`](crate::compact), so the filters
//! cannot reach up to it: whoever builds a filter passes in what it knows.

/// The two questions the filters ask of a vocabulary.
pub trait KnownWords {
    /// Whether `word` (normalized) is a word of some vocabulary phrase, or the
    /// light stem of one.
    fn is_known(&self, word: &str) -> bool;

    /// Whether `code` (compacted) is a vocabulary name written in Latin
    /// letters and digits: a make or model such as `f150`, `cx9` or `rav4`,
    /// or a phrase with a digit typed without its spaces, such as `o2sensor`.
    fn is_vocabulary_code(&self, code: &str) -> bool;
}
