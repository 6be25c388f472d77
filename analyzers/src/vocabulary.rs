//! The market vocabulary: the taxonomy of parts, the cars they fit, conditions and cities.
//!
//! The data lives in `data/*.toml` so that people who know the market (not only
//! programmers) can extend it; it is compiled into the binary and parsed once.
//! It is the single source of truth for the category slugs the feed accepts, the
//! canonical make and model names used in fitment and facets, and the words
//! shoppers use for each of them.

use serde::Deserialize;
use std::sync::OnceLock;

const CATEGORIES_TOML: &str = include_str!("../data/categories.toml");
const VEHICLES_TOML: &str = include_str!("../data/vehicles.toml");
const CONDITIONS_TOML: &str = include_str!("../data/conditions.toml");
const CITIES_TOML: &str = include_str!("../data/cities.toml");

/// A part category of the taxonomy.
#[derive(Debug, Clone, Deserialize)]
pub struct Category {
    /// Stable key used in the feed, filters and facets (`oil-filter`).
    pub slug: String,
    /// English display name.
    pub name_en: String,
    /// Arabic display name.
    pub name_ar: String,
    /// Every way the part is named, in any script or dialect.
    pub terms: Vec<String>,
}

/// A car make with its models.
#[derive(Debug, Clone, Deserialize)]
pub struct Make {
    /// Canonical English name (`Toyota`).
    pub name: String,
    /// Arabic display name.
    pub name_ar: String,
    /// Spellings and misspellings in both scripts.
    pub spellings: Vec<String>,
    /// The make's models.
    pub models: Vec<Model>,
}

/// A car model of a make.
#[derive(Debug, Clone, Deserialize)]
pub struct Model {
    /// Canonical English name (`Camry`).
    pub name: String,
    /// Arabic display name.
    pub name_ar: String,
    /// Spellings and misspellings in both scripts.
    pub spellings: Vec<String>,
}

/// An item condition (`new`, `used`, `refurbished`).
#[derive(Debug, Clone, Deserialize)]
pub struct Condition {
    /// Stable key used in the feed and filters.
    pub slug: String,
    /// English display name.
    pub name_en: String,
    /// Arabic display name.
    pub name_ar: String,
    /// Words shoppers use to ask for this condition.
    pub terms: Vec<String>,
}

/// A city listings are located in.
#[derive(Debug, Clone, Deserialize)]
pub struct City {
    /// Canonical English name, as sent in the feed.
    pub name: String,
    /// Arabic display name.
    pub name_ar: String,
    /// Spellings in both scripts.
    pub spellings: Vec<String>,
}

/// The whole market vocabulary.
#[derive(Debug, Clone)]
pub struct Vocabulary {
    categories: Vec<Category>,
    makes: Vec<Make>,
    conditions: Vec<Condition>,
    cities: Vec<City>,
}

#[derive(Deserialize)]
struct CategoriesFile {
    category: Vec<Category>,
}

#[derive(Deserialize)]
struct VehiclesFile {
    make: Vec<Make>,
}

#[derive(Deserialize)]
struct ConditionsFile {
    condition: Vec<Condition>,
}

#[derive(Deserialize)]
struct CitiesFile {
    city: Vec<City>,
}

impl Vocabulary {
    /// The vocabulary compiled into this build, parsed on first use.
    pub fn builtin() -> &'static Vocabulary {
        static BUILTIN: OnceLock<Vocabulary> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            Vocabulary::parse(CATEGORIES_TOML, VEHICLES_TOML, CONDITIONS_TOML, CITIES_TOML)
                .expect("the vocabulary files compiled into the binary are valid")
        })
    }

    /// Parses a vocabulary from the text of its four data files.
    pub fn parse(
        categories: &str,
        vehicles: &str,
        conditions: &str,
        cities: &str,
    ) -> Result<Vocabulary, toml::de::Error> {
        Ok(Vocabulary {
            categories: toml::from_str::<CategoriesFile>(categories)?.category,
            makes: toml::from_str::<VehiclesFile>(vehicles)?.make,
            conditions: toml::from_str::<ConditionsFile>(conditions)?.condition,
            cities: toml::from_str::<CitiesFile>(cities)?.city,
        })
    }

    /// All categories, in taxonomy order.
    pub fn categories(&self) -> &[Category] {
        &self.categories
    }

    /// The category with this slug.
    pub fn category(&self, slug: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.slug == slug)
    }

    /// All makes, in data-file order.
    pub fn makes(&self) -> &[Make] {
        &self.makes
    }

    /// The make whose canonical name equals `name`, ignoring ASCII case.
    pub fn make(&self, name: &str) -> Option<&Make> {
        let name = name.trim();
        self.makes.iter().find(|m| m.name.eq_ignore_ascii_case(name))
    }

    /// All conditions.
    pub fn conditions(&self) -> &[Condition] {
        &self.conditions
    }

    /// The condition with this slug.
    pub fn condition(&self, slug: &str) -> Option<&Condition> {
        self.conditions.iter().find(|c| c.slug == slug)
    }

    /// All cities.
    pub fn cities(&self) -> &[City] {
        &self.cities
    }

    /// The city whose canonical name equals `name`, ignoring ASCII case.
    pub fn city(&self, name: &str) -> Option<&City> {
        let name = name.trim();
        self.cities.iter().find(|c| c.name.eq_ignore_ascii_case(name))
    }
}

impl Make {
    /// The model of this make whose canonical name equals `name`, ignoring ASCII case
    /// and the separators people leave out (`CR-V`, `crv`, `cr v`).
    pub fn model(&self, name: &str) -> Option<&Model> {
        let wanted = compact_ascii(name);
        self.models.iter().find(|m| compact_ascii(&m.name) == wanted)
    }
}

/// Lowercases and drops spaces, dashes and dots, for comparing model designations.
fn compact_ascii(s: &str) -> String {
    s.chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '_')).flat_map(char::to_lowercase).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn builtin_vocabulary_has_the_thirty_feed_categories() {
        let vocab = Vocabulary::builtin();
        assert_eq!(vocab.categories().len(), 30);
        assert!(vocab.category("oil-filter").is_some());
        assert!(vocab.category("control-arm").is_some());
        assert!(vocab.category("oil filter").is_none());
    }

    #[test]
    fn slugs_and_names_are_unique() {
        let vocab = Vocabulary::builtin();
        let slugs: HashSet<_> = vocab.categories().iter().map(|c| &c.slug).collect();
        assert_eq!(slugs.len(), vocab.categories().len());
        let makes: HashSet<_> = vocab.makes().iter().map(|m| &m.name).collect();
        assert_eq!(makes.len(), vocab.makes().len());
        for make in vocab.makes() {
            let models: HashSet<_> = make.models.iter().map(|m| &m.name).collect();
            assert_eq!(models.len(), make.models.len(), "duplicate model in {}", make.name);
        }
    }

    #[test]
    fn every_entry_has_display_names_and_terms() {
        let vocab = Vocabulary::builtin();
        for c in vocab.categories() {
            assert!(!c.name_ar.is_empty() && !c.name_en.is_empty() && !c.terms.is_empty(), "{}", c.slug);
        }
        for m in vocab.makes() {
            assert!(!m.spellings.is_empty() && !m.models.is_empty(), "{}", m.name);
        }
    }

    #[test]
    fn makes_and_models_are_found_ignoring_case_and_separators() {
        let vocab = Vocabulary::builtin();
        let toyota = vocab.make("toyota").expect("toyota");
        assert_eq!(toyota.name, "Toyota");
        assert_eq!(toyota.model("land cruiser").unwrap().name, "Land Cruiser");
        let honda = vocab.make("HONDA").unwrap();
        assert_eq!(honda.model("crv").unwrap().name, "CR-V");
        assert!(vocab.make("Toyta").is_none());
    }

    #[test]
    fn conditions_and_cities_match_the_feed_values() {
        let vocab = Vocabulary::builtin();
        for slug in ["new", "used", "refurbished"] {
            assert!(vocab.condition(slug).is_some(), "{slug}");
        }
        assert_eq!(vocab.city("riyadh").unwrap().name, "Riyadh");
        assert_eq!(vocab.cities().len(), 15);
    }
}
