//! Part numbers that start with what the shopper typed, from the index's term dictionary.

use std::collections::BTreeSet;

use tantivy::termdict::TermStreamer;

use super::index::SearchIndex;

/// Up to `limit` indexed part numbers (compact form) starting with `prefix`.
pub fn part_numbers_with_prefix(index: &SearchIndex, prefix: &str, limit: usize) -> tantivy::Result<Vec<String>> {
    let searcher = index.searcher();
    let mut found = BTreeSet::new();
    for segment in searcher.segment_readers() {
        let inverted = segment.inverted_index(index.fields.part_number_exact)?;
        let mut upper = prefix.as_bytes().to_vec();
        // The first byte string after every string starting with `prefix`.
        if let Some(last) = upper.last_mut() {
            *last += 1;
        }
        let mut stream: TermStreamer<'_> = inverted.terms().range().ge(prefix.as_bytes()).lt(&upper).into_stream()?;
        while stream.advance() {
            if let Ok(text) = std::str::from_utf8(stream.key()) {
                found.insert(text.to_string());
            }
            if found.len() >= limit * 4 {
                break;
            }
        }
    }
    Ok(found.into_iter().take(limit).collect())
}
