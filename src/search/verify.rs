//! Comparing the index with PostgreSQL, listing by listing: `cargoparts index verify`.
//!
//! Every active listing must be in the index exactly once, with the view the index
//! would build from the database now. Run it on a quiet system (or twice): a change
//! committed during the run is seen by one side only until the indexer applies it.

use std::collections::HashMap;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use sqlx::PgPool;
use tantivy::TantivyDocument;
use tantivy::schema::Value;
use uuid::Uuid;

use super::document::view_json;
use super::index::SearchIndex;
use super::store;

/// Listings read per query.
const PAGE: i64 = 10_000;

/// How the index differs from the database.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Differences {
    pub indexed: u64,
    pub in_database: u64,
    /// Active listings the index lacks.
    pub missing: Vec<Uuid>,
    /// Indexed listings that are not active listings.
    pub extra: Vec<Uuid>,
    /// Listings indexed with other content than the database holds.
    pub stale: Vec<Uuid>,
    /// Listings indexed more than once.
    pub duplicated: Vec<Uuid>,
}

impl Differences {
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.extra.is_empty() && self.stale.is_empty() && self.duplicated.is_empty()
    }
}

fn digest(view: &str) -> [u8; 32] {
    Sha256::digest(view.as_bytes()).into()
}

/// Compares every document of `index` with the listings of `db`.
pub async fn verify(db: &PgPool, index: Arc<SearchIndex>) -> anyhow::Result<Differences> {
    let indexed: Vec<(Uuid, [u8; 32])> = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let fields = index.fields;
        let searcher = index.searcher();
        let mut out = Vec::new();
        for segment in searcher.segment_readers() {
            let store = segment.get_store_reader(64)?;
            for doc_id in 0..segment.max_doc() {
                if segment.is_deleted(doc_id) {
                    continue;
                }
                let doc: TantivyDocument = store.get(doc_id)?;
                let id = doc.get_first(fields.id).and_then(|v| v.as_str()).unwrap_or_default();
                let view = doc.get_first(fields.view).and_then(|v| v.as_str()).unwrap_or_default();
                out.push((Uuid::parse_str(id)?, digest(view)));
            }
        }
        Ok(out)
    })
    .await??;
    let mut differences = Differences { indexed: indexed.len() as u64, ..Differences::default() };
    let mut by_id: HashMap<Uuid, [u8; 32]> = HashMap::with_capacity(indexed.len());
    for (id, hash) in indexed {
        if by_id.insert(id, hash).is_some() {
            differences.duplicated.push(id);
        }
    }

    let mut after = Uuid::nil();
    loop {
        let listings = store::listings::active_after(db, after, PAGE).await?;
        let Some(last) = listings.last() else { break };
        after = last.id;
        for listing in &listings {
            differences.in_database += 1;
            match by_id.remove(&listing.id) {
                None => differences.missing.push(listing.id),
                Some(hash) if hash != digest(&view_json(listing)) => differences.stale.push(listing.id),
                Some(_) => {}
            }
        }
    }
    differences.extra = by_id.into_keys().collect();
    differences.extra.sort();
    Ok(differences)
}
