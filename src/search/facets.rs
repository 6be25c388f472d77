//! Facet counts over every match of a query, read from the string fast fields.
//!
//! Counting by term ordinal per segment and naming the ordinals once at the end
//! keeps the per-document cost to an array increment.

use std::collections::BTreeMap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

/// Facet fields reported with every search.
pub const FACET_FIELDS: [&str; 4] = ["category", "make", "condition", "city"];

/// Value counts per facet field.
pub type FacetCounts = BTreeMap<&'static str, BTreeMap<String, u64>>;

/// Counts the values of [`FACET_FIELDS`] over the matching documents.
pub struct FacetCollector;

pub struct FacetSegmentCollector {
    columns: Vec<Option<StrColumn>>,
    counts: Vec<Vec<u64>>,
}

impl Collector for FacetCollector {
    type Fruit = FacetCounts;
    type Child = FacetSegmentCollector;

    fn for_segment(&self, _: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<FacetSegmentCollector> {
        let mut columns = Vec::with_capacity(FACET_FIELDS.len());
        let mut counts = Vec::with_capacity(FACET_FIELDS.len());
        for field in FACET_FIELDS {
            let column = reader.fast_fields().str(field)?;
            counts.push(vec![0; column.as_ref().map_or(0, |c| c.num_terms())]);
            columns.push(column);
        }
        Ok(FacetSegmentCollector { columns, counts })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<FacetCounts>) -> tantivy::Result<FacetCounts> {
        let mut merged = FacetCounts::new();
        for field in FACET_FIELDS {
            merged.insert(field, BTreeMap::new());
        }
        for segment in segments {
            for (field, values) in segment {
                let target = merged.entry(field).or_default();
                for (value, count) in values {
                    *target.entry(value).or_default() += count;
                }
            }
        }
        Ok(merged)
    }
}

impl SegmentCollector for FacetSegmentCollector {
    type Fruit = FacetCounts;

    fn collect(&mut self, doc: DocId, _score: Score) {
        for (column, counts) in self.columns.iter().zip(self.counts.iter_mut()) {
            if let Some(column) = column {
                for ord in column.term_ords(doc) {
                    counts[ord as usize] += 1;
                }
            }
        }
    }

    fn harvest(self) -> FacetCounts {
        let mut out = FacetCounts::new();
        let mut text = String::new();
        for ((field, column), counts) in FACET_FIELDS.iter().zip(self.columns).zip(self.counts) {
            let values = out.entry(*field).or_default();
            let Some(column) = column else { continue };
            for (ord, count) in counts.into_iter().enumerate().filter(|(_, c)| *c > 0) {
                text.clear();
                if column.ord_to_str(ord as u64, &mut text).unwrap_or(false) {
                    values.insert(text.clone(), count);
                }
            }
        }
        out
    }
}
