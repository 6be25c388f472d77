//! Running searches: plan selection, sorting, paging, facets and rendering.
//!
//! A search is CPU work measured in milliseconds; it runs on the blocking pool once the
//! search queue admits it (see [`super::queue`]), so a burst of heavy queries neither
//! stalls the async workers nor piles up without bound.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

use arc_swap::ArcSwap;
use cargoparts_analyzers::{QueryAnalysis, analyze_query, compact};
use serde_json::value::RawValue;
use tantivy::collector::sort_key::{SortBySimilarityScore, SortByStaticFastValue};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::Query;
use tantivy::schema::Value;
use tantivy::{DocAddress, Order, Searcher, TantivyDocument};

use super::error::SearchError;
use super::facets::{FacetCollector, FacetCounts};
use super::generations::IndexRoot;
use super::index::SearchIndex;
use super::query::{Filters, interchange_query, plans};
use super::queue::{QueueLimits, SearchQueue};
use super::reindex::ReindexProgress;
use super::schema::TIEBREAK;
use super::status::IndexerStatus;
use crate::platform::pagination::PageParams;

/// Listings whose part numbers are read to find interchangeable numbers.
const INTERCHANGE_SAMPLE: usize = 50;

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Relevance,
    PriceAsc,
    PriceDesc,
    Newest,
}

/// A search as the API received it, validated.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub q: String,
    pub filters: Filters,
    pub sort: Sort,
    pub page: PageParams,
}

/// The page of results with its totals.
#[derive(Debug)]
pub struct SearchOutcome {
    pub hits: Vec<Box<RawValue>>,
    pub total: u64,
    pub facets: FacetCounts,
    pub understood: QueryAnalysis,
    pub took_ms: f64,
}

/// The live index and the machinery to search it.
#[derive(Clone)]
pub struct SearchService {
    /// Swapped whole when a new index replaces the live one.
    pub index: Arc<ArcSwap<SearchIndex>>,
    /// The directory holding the index's generations.
    pub root: IndexRoot,
    pub status: Arc<IndexerStatus>,
    /// The reindex running in this process, if any, and how the last one ended.
    pub reindex: Arc<ReindexProgress>,
    /// What the live index applied, for whoever keeps copies of listings (caches).
    pub changes: tokio::sync::broadcast::Sender<IndexChange>,
    queue: SearchQueue,
}

/// A change the live index applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexChange {
    /// These listings changed (or went).
    Listings(Arc<Changed>),
    /// The index was rebuilt from the tables: anything may have changed.
    Rebuilt,
}

/// What one catch-up of the index applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changed {
    /// The listings re-read (replaced, or removed).
    pub listings: Vec<uuid::Uuid>,
    /// Their sellers, as the listings are now or, for those removed, as they were.
    pub sellers: Vec<uuid::Uuid>,
}

impl Changed {
    pub fn is_empty(&self) -> bool {
        self.listings.is_empty()
    }
}

/// Changes a slow listener may fall behind before it misses some (and is told so).
const CHANGES_BACKLOG: usize = 256;

impl SearchService {
    pub fn new(root: IndexRoot, index: Arc<SearchIndex>, limits: QueueLimits) -> SearchService {
        SearchService {
            index: Arc::new(ArcSwap::new(index)),
            root,
            status: Arc::new(IndexerStatus::default()),
            reindex: Arc::new(ReindexProgress::default()),
            changes: tokio::sync::broadcast::channel(CHANGES_BACKLOG).0,
            queue: SearchQueue::new(limits),
        }
    }

    /// This service, sharing its index and status, behind a new queue with `limits`.
    pub fn with_queue(self, limits: QueueLimits) -> SearchService {
        SearchService { queue: SearchQueue::new(limits), ..self }
    }

    /// The queue searches wait in.
    pub fn queue(&self) -> &SearchQueue {
        &self.queue
    }

    /// Opens the live generation under `root` (creating the first one), after
    /// removing generations left behind by a reindex that did not finish.
    pub fn open(root: IndexRoot, limits: impl Into<QueueLimits>) -> anyhow::Result<SearchService> {
        let live = root.current_or_create()?;
        root.remove_legacy_layout()?;
        match root.lock_reindex() {
            Ok(lock) => {
                root.remove_stale(&lock, &[])?;
            }
            // A reindex running in another process owns its half-built generation.
            Err(super::generations::ReindexRefused::AlreadyRunning(_)) => {}
            Err(super::generations::ReindexRefused::Io(error)) => return Err(error),
        }
        let index = Arc::new(SearchIndex::open_or_create(&live, root.analysis())?);
        Ok(SearchService::new(root, index, limits.into()))
    }

    /// Runs a search off the async workers, once the queue admits it.
    pub async fn search(&self, request: SearchRequest) -> Result<SearchOutcome, SearchError> {
        // The live generation is taken once admitted, not while waiting.
        let live = self.index.clone();
        Ok(self.queue.run(move || execute(&live.load_full(), &request)).await??)
    }

    /// Up to `limit` indexed part numbers starting with `prefix` (compact form).
    pub async fn part_numbers_with_prefix(&self, prefix: String, limit: usize) -> Result<Vec<String>, SearchError> {
        let index = self.index.load_full();
        let numbers =
            tokio::task::spawn_blocking(move || super::suggest::part_numbers_with_prefix(&index, &prefix, limit))
                .await??;
        Ok(numbers)
    }
}

/// Runs a search on the calling thread.
pub fn execute(index: &SearchIndex, request: &SearchRequest) -> tantivy::Result<SearchOutcome> {
    let started = Instant::now();
    let searcher = index.searcher();
    let fields = index.fields;
    let understood = analyze_query(&request.q);
    let sort = match request.sort {
        Sort::Relevance if request.q.trim().is_empty() => Sort::Newest,
        other => other,
    };

    let page = Page { limit: request.page.limit as usize, offset: request.page.offset() as usize, sort };
    // Each plan runs once with every collector; a plan that finds nothing hands over
    // to the next, more relaxed one.
    let mut found = None;
    let candidates = plans(&index.index, &fields, &request.q, &understood, &request.filters);
    let last = candidates.len().saturating_sub(1);
    for (i, plan) in candidates.into_iter().enumerate() {
        let collected = collect(&searcher, &*plan, page)?;
        if collected.1 > 0 || i == last {
            found = Some((plan, collected));
            break;
        }
    }
    let Some((query, mut collected)) = found else {
        return Ok(SearchOutcome {
            hits: Vec::new(),
            total: 0,
            facets: empty_facets(),
            understood,
            took_ms: elapsed_ms(started),
        });
    };
    if !understood.part_numbers.is_empty() && collected.1 > 0 {
        let companions = companion_numbers(&searcher, &*query, &understood.part_numbers)?;
        if !companions.is_empty() {
            let interchange = interchange_query(&fields, &understood.part_numbers, &companions, &request.filters);
            collected = collect(&searcher, &*interchange, page)?;
        }
    }
    let (addresses, total, facets) = collected;
    let hits = render(&searcher, index, &addresses)?;
    Ok(SearchOutcome { hits, total: total as u64, facets, understood, took_ms: elapsed_ms(started) })
}

/// Which slice of the results, in which order.
#[derive(Debug, Clone, Copy)]
struct Page {
    limit: usize,
    offset: usize,
    sort: Sort,
}

/// The page of `query`'s results, its total and its facets, in one pass. Equal keys
/// are ordered by the listing's tiebreak key, so pages are the same on every replica.
fn collect(
    searcher: &Searcher,
    query: &dyn Query,
    page: Page,
) -> tantivy::Result<(Vec<DocAddress>, usize, FacetCounts)> {
    let top = TopDocs::with_limit(page.limit).and_offset(page.offset);
    let tiebreak = (SortByStaticFastValue::<u64>::for_field(TIEBREAK), Order::Asc);
    Ok(match page.sort {
        Sort::Relevance => {
            let collector = top.order_by(((SortBySimilarityScore, Order::Desc), tiebreak));
            let (docs, total, facets) = searcher.search(query, &(collector, Count, FacetCollector))?;
            (docs.into_iter().map(|(_, a)| a).collect(), total, facets)
        }
        Sort::PriceAsc | Sort::PriceDesc => {
            let order = if page.sort == Sort::PriceAsc { Order::Asc } else { Order::Desc };
            let collector = top.order_by(((SortByStaticFastValue::<u64>::for_field("price"), order), tiebreak));
            let (docs, total, facets) = searcher.search(query, &(collector, Count, FacetCollector))?;
            (docs.into_iter().map(|(_, a)| a).collect(), total, facets)
        }
        Sort::Newest => {
            let collector =
                top.order_by(((SortByStaticFastValue::<i64>::for_field("created_at"), Order::Desc), tiebreak));
            let (docs, total, facets) = searcher.search(query, &(collector, Count, FacetCollector))?;
            (docs.into_iter().map(|(_, a)| a).collect(), total, facets)
        }
    })
}

/// The part numbers carried by the listings that carry one of `asked`, other than
/// `asked` itself: the numbers interchangeable with it.
fn companion_numbers(searcher: &Searcher, query: &dyn Query, asked: &[String]) -> tantivy::Result<Vec<String>> {
    let carriers = searcher.search(query, &TopDocs::with_limit(INTERCHANGE_SAMPLE).order_by_score())?;
    let mut found = BTreeSet::new();
    for (_, address) in carriers {
        let doc: TantivyDocument = searcher.doc(address)?;
        let Some(view) = stored_view(&doc, searcher) else { continue };
        let Ok(parsed) = serde_json::from_str::<serde_json::Value>(view) else { continue };
        for number in parsed["oem_numbers"].as_array().into_iter().flatten().filter_map(|n| n.as_str()) {
            let number = compact(number);
            if !number.is_empty() && !asked.iter().any(|a| number.starts_with(a.as_str())) {
                found.insert(number);
            }
        }
    }
    Ok(found.into_iter().collect())
}

fn stored_view<'a>(doc: &'a TantivyDocument, searcher: &Searcher) -> Option<&'a str> {
    let field = searcher.schema().get_field("view").ok()?;
    doc.get_first(field).and_then(|v| v.as_str())
}

fn render(searcher: &Searcher, index: &SearchIndex, addresses: &[DocAddress]) -> tantivy::Result<Vec<Box<RawValue>>> {
    let mut hits = Vec::with_capacity(addresses.len());
    for address in addresses {
        let doc: TantivyDocument = searcher.doc(*address)?;
        if let Some(view) = doc.get_first(index.fields.view).and_then(|v| v.as_str())
            && let Ok(raw) = RawValue::from_string(view.to_string())
        {
            hits.push(raw);
        }
    }
    Ok(hits)
}

fn empty_facets() -> FacetCounts {
    super::facets::FACET_FIELDS.iter().map(|f| (*f, Default::default())).collect()
}

fn elapsed_ms(started: Instant) -> f64 {
    (started.elapsed().as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0
}
