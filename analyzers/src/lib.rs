//! Text analysis for the CargoParts search index.
//!
//! Pure functions and data, no I/O: the vocabulary of the Saudi auto-parts market
//! (categories, makes and models, conditions, cities, in both scripts) compiled in
//! from the files under `data/`, and the analysis built on it:
//!
//! - [`normalize`] folds the spelling habits of Arabic writers (diacritics,
//!   tatweel, letter variants, Arabic-Indic digits, direction marks) into one form;
//! - [`light_stem`] strips the article and attached prepositions, never more;
//! - [`compact`] and [`extract_part_numbers`] recognise part numbers however
//!   they are typed;
//! - [`analyze_query`] reads a query as category, car, year, condition, part
//!   numbers and free words;
//! - [`register`] installs the named analyzers ([`TEXT_ANALYZER`],
//!   [`PART_NUMBER_ANALYZER`], [`KEYWORD_ANALYZER`]) into tantivy, for the
//!   schema and the query side alike;
//! - [`register_japanese`] adds [`JAPANESE_ANALYZER`], Lindera over a
//!   dictionary the caller loaded, for Japanese titles and descriptions.
#![warn(missing_docs)]

mod arabic_normalizer;
mod japanese;
mod known_words;
mod lexicon;
mod light_stemmer;
mod normalizer;
mod part_number;
mod query;
mod registry;
mod typo;
pub mod vocabulary;
mod word_tokenizer;

pub use arabic_normalizer::ArabicNormalizer;
pub use japanese::{JAPANESE_ANALYZER, JapaneseTokenizer, has_japanese, register_japanese};
pub use normalizer::normalize;
pub use part_number::compact;
pub use query::{QueryAnalysis, analyze_query};
pub use registry::{
    ArabicLightStemmer, KEYWORD_ANALYZER, PART_NUMBER_ANALYZER, PartNumberTokenizer, TEXT_ANALYZER,
    extract_part_numbers, light_stem, register, terms_by_position,
};
pub use vocabulary::{Category, City, Condition, Make, Model, Vocabulary};
pub use word_tokenizer::WordTokenizer;
