//! What the search understood of a query, as chips a shopper can read and drop:
//! «فلتر زيت · تويوتا كامري · ٢٠١٩». Dropping a chip searches again for the query
//! written back from the other parts, in canonical words the analyzer reads the same
//! way, so the rest of the understanding is kept exactly.

use cargoparts_analyzers::QueryAnalysis;

use super::locale::Lang;
use super::names;

/// One understood part of a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Category(usize),
    Car,
    Year,
    Condition,
    City,
    Number(usize),
}

/// A chip: what it shows, and the query without it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chip {
    pub label: String,
    pub query_without: String,
}

/// The chips of a query's understanding, in reading order; none when nothing beyond
/// free words was understood.
pub fn chips(analysis: &QueryAnalysis, lang: Lang) -> Vec<Chip> {
    parts(analysis)
        .into_iter()
        .map(|part| Chip {
            label: label(analysis, part, lang),
            query_without: text_without(analysis, Some(part), lang),
        })
        .collect()
}

fn parts(analysis: &QueryAnalysis) -> Vec<Part> {
    let mut parts: Vec<Part> = (0..analysis.categories.len()).map(Part::Category).collect();
    if analysis.make.is_some() {
        parts.push(Part::Car);
    }
    if analysis.year.is_some() {
        parts.push(Part::Year);
    }
    if analysis.condition.is_some() {
        parts.push(Part::Condition);
    }
    if analysis.city.is_some() {
        parts.push(Part::City);
    }
    parts.extend((0..analysis.part_numbers.len()).map(Part::Number));
    parts
}

fn label(analysis: &QueryAnalysis, part: Part, lang: Lang) -> String {
    match part {
        Part::Category(i) => names::category(&analysis.categories[i], lang),
        Part::Car => names::car(analysis.make.as_deref().unwrap_or_default(), analysis.model.as_deref(), lang),
        Part::Year => lang.digits(&analysis.year.unwrap_or_default().to_string()),
        Part::Condition => names::condition(analysis.condition.as_deref().unwrap_or_default(), lang),
        Part::City => names::city(analysis.city.as_deref().unwrap_or_default(), lang),
        Part::Number(i) => analysis.part_numbers[i].clone(),
    }
}

/// The query written back from its understood parts and free words, without `drop`.
fn text_without(analysis: &QueryAnalysis, drop: Option<Part>, lang: Lang) -> String {
    let mut words: Vec<String> = Vec::new();
    for part in parts(analysis).into_iter().filter(|p| Some(*p) != drop) {
        words.push(match part {
            // Years go in Latin digits: the analyzer reads both, and a free word of
            // Arabic-Indic digits next to a part number could be read as part of it.
            Part::Year => analysis.year.unwrap_or_default().to_string(),
            other => label(analysis, other, lang),
        });
    }
    words.extend(analysis.words.iter().cloned());
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use cargoparts_analyzers::analyze_query;

    use super::*;

    fn without(query: &str, label: &str, lang: Lang) -> QueryAnalysis {
        let analysis = analyze_query(query);
        let chip = chips(&analysis, lang).into_iter().find(|c| c.label == label).expect("a chip with that label");
        analyze_query(&chip.query_without)
    }

    #[test]
    fn a_query_reads_as_its_parts() {
        let analysis = analyze_query("فلتر زيت كامري ٢٠١٩");
        let labels: Vec<String> = chips(&analysis, Lang::Ar).into_iter().map(|c| c.label).collect();
        assert_eq!(labels, ["فلتر زيت", "تويوتا كامري", "٢٠١٩"]);
        let labels: Vec<String> = chips(&analysis, Lang::En).into_iter().map(|c| c.label).collect();
        assert_eq!(labels, ["Oil filter", "Toyota Camry", "2019"]);
    }

    #[test]
    fn dropping_a_chip_keeps_every_other_part() {
        for lang in [Lang::Ar, Lang::En] {
            let original = analyze_query("فلتر زيت كامري ٢٠١٩ مستعمل");
            let year = if lang == Lang::Ar { "٢٠١٩" } else { "2019" };
            let rest = without("فلتر زيت كامري ٢٠١٩ مستعمل", year, lang);
            assert_eq!(rest.year, None);
            assert_eq!(rest.categories, original.categories);
            assert_eq!((rest.make.as_deref(), rest.model.as_deref()), (Some("Toyota"), Some("Camry")));
            assert_eq!(rest.condition, original.condition);

            let car = if lang == Lang::Ar { "تويوتا كامري" } else { "Toyota Camry" };
            let rest = without("فلتر زيت كامري ٢٠١٩", car, lang);
            assert_eq!((rest.make, rest.model, rest.year), (None, None, Some(2019)));
            assert_eq!(rest.categories, original.categories);
        }
    }

    #[test]
    fn part_numbers_and_free_words_survive_a_drop() {
        let original = analyze_query("فلتر زيت 04152-YZZA1 اصلي");
        let rest = without("فلتر زيت 04152-YZZA1 اصلي", "فلتر زيت", Lang::Ar);
        assert!(rest.categories.is_empty());
        assert_eq!(rest.part_numbers, original.part_numbers);
        assert_eq!(rest.words, original.words);
    }
}
