//! Integration tests: the registered analyzers inside a real tantivy index, and
//! properties that must hold for any input.

mod properties;
mod search;
