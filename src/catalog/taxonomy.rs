//! The part taxonomy and the car makes and models, in both scripts.

use cargoparts_analyzers::Vocabulary;
use serde::Serialize;
use utoipa::ToSchema;

/// A part category.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryView {
    /// Key used in the feed, filters and facets.
    pub slug: &'static str,
    pub name_en: &'static str,
    pub name_ar: &'static str,
}

/// A car make with its models.
#[derive(Debug, Serialize, ToSchema)]
pub struct MakeView {
    /// Canonical name used in fitment and filters.
    pub name: &'static str,
    pub name_ar: &'static str,
    pub models: Vec<ModelView>,
}

/// A car model.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModelView {
    pub name: &'static str,
    pub name_ar: &'static str,
}

/// Wraps a list so the response can grow fields without breaking clients.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListOf<T> {
    pub data: Vec<T>,
}

/// The vocabulary is compiled in, so these answers never change while the process lives.
#[derive(Clone)]
pub struct TaxonomyState {
    vocabulary: &'static Vocabulary,
}

impl TaxonomyState {
    pub fn builtin() -> TaxonomyState {
        TaxonomyState { vocabulary: Vocabulary::builtin() }
    }

    /// The category taxonomy with Arabic and English names.
    pub fn categories(&self) -> Vec<CategoryView> {
        self.vocabulary
            .categories()
            .iter()
            .map(|c| CategoryView { slug: &c.slug, name_en: &c.name_en, name_ar: &c.name_ar })
            .collect()
    }

    /// Car makes and their models, in Arabic and English.
    pub fn makes(&self) -> Vec<MakeView> {
        self.vocabulary
            .makes()
            .iter()
            .map(|m| MakeView {
                name: &m.name,
                name_ar: &m.name_ar,
                models: m.models.iter().map(|model| ModelView { name: &model.name, name_ar: &model.name_ar }).collect(),
            })
            .collect()
    }
}
