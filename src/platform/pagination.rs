//! Page parameters and the pagination `meta` every list response carries.

use serde::Serialize;
use utoipa::ToSchema;

/// Largest page a client may ask for.
pub const MAX_LIMIT: u32 = 100;
/// Page size when the client does not say.
pub const DEFAULT_LIMIT: u32 = 20;
/// Deepest page served: beyond it offsets get expensive and nobody reads that far.
pub const MAX_PAGE: u32 = 10_000;

/// A validated page request. Query structs carry `page` and `limit` as fields of
/// their own (serde's `flatten` loses number parsing in query strings) and build this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageParams {
    /// 1-based page number.
    pub page: u32,
    /// Results per page.
    pub limit: u32,
}

/// Default of a query's `page`.
pub fn first_page() -> u32 {
    1
}

/// Default of a query's `limit`.
pub fn default_limit() -> u32 {
    DEFAULT_LIMIT
}

impl PageParams {
    /// Rows to skip before this page.
    pub fn offset(&self) -> i64 {
        i64::from(self.page.saturating_sub(1)) * i64::from(self.limit)
    }
}

/// Pagination metadata, as the search API spec gives it.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PageMeta {
    pub total: u64,
    pub page: u32,
    pub limit: u32,
    pub total_pages: u64,
    pub has_next: bool,
    pub has_prev: bool,
}

impl PageMeta {
    pub fn new(params: PageParams, total: u64) -> PageMeta {
        let limit = u64::from(params.limit.max(1));
        let total_pages = total.div_ceil(limit);
        PageMeta {
            total,
            page: params.page,
            limit: params.limit,
            total_pages,
            has_next: u64::from(params.page) < total_pages,
            has_prev: params.page > 1,
        }
    }
}

/// A page of results with its metadata.
#[derive(Debug, Serialize, ToSchema)]
pub struct Paginated<T> {
    pub data: Vec<T>,
    pub meta: PageMeta,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_counts_pages_and_neighbours() {
        let meta = PageMeta::new(PageParams { page: 1, limit: 20 }, 1234);
        assert_eq!(meta.total_pages, 62);
        assert!(meta.has_next && !meta.has_prev);
        let last = PageMeta::new(PageParams { page: 62, limit: 20 }, 1234);
        assert!(!last.has_next && last.has_prev);
    }

    #[test]
    fn empty_results_have_no_pages() {
        let meta = PageMeta::new(PageParams { page: 1, limit: 20 }, 0);
        assert_eq!(meta.total_pages, 0);
        assert!(!meta.has_next && !meta.has_prev);
    }

    #[test]
    fn meta_serializes_with_the_spec_names() {
        let json = serde_json::to_value(PageMeta::new(PageParams { page: 2, limit: 10 }, 25)).unwrap();
        for key in ["total", "page", "limit", "totalPages", "hasNext", "hasPrev"] {
            assert!(json.get(key).is_some(), "{key}");
        }
    }
}
