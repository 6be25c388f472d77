//! Text analysis for the CargoParts search index.
//!
//! Pure functions and data, no I/O: the vocabulary of the Saudi auto-parts market
//! (categories, makes and models, conditions, cities, in both scripts) compiled in
//! from the files under `data/`.
#![warn(missing_docs)]

pub mod vocabulary;

pub use vocabulary::{Category, City, Condition, Make, Model, Vocabulary};
