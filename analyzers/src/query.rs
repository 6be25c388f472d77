//! Query understanding: what the shopper asked for, read off the words typed.
//!
//! A shopper types «فلتر زيت كامري ٢٠١٩» and means a part (oil filter) for a
//! car (Toyota Camry) of a model year (2019). Recognising those lets search
//! boost or filter on the structured fields (category, fitment, condition)
//! instead of hoping the title contains the same words, and leaves only the
//! words that named nothing in particular for the full-text query.

use serde::Serialize;

use crate::lexicon::{Lexicon, QueryWord, Target};
use crate::normalizer::normalize;
use crate::part_number::{Strictness, find_part_numbers};
use crate::vocabulary::Vocabulary;
use crate::word_tokenizer::words;

/// Model years a query may name.
const YEARS: std::ops::RangeInclusive<u16> = 1950..=2035;
/// Words that announce a model year (`موديل 2019`), dropped with it.
const YEAR_MARKERS: [&str; 5] = ["موديل", "مودل", "model", "year", "سنه"];
/// Particles that carry nothing for search once they stand alone, normalized.
const PARTICLES: [&str; 20] = [
    "و", "ل", "ب", "في", "من", "علي", "الي", "عن", "مع", "حق", "لل", "for", "the", "of", "and", "to", "with", "a",
    "用", "の",
];

/// What a shopper's query asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct QueryAnalysis {
    /// Slugs of the part categories named, in order of appearance.
    pub categories: Vec<String>,
    /// Canonical name of the make named, or the make of the model named.
    pub make: Option<String>,
    /// Canonical name of the model named; `make` then holds its make.
    pub model: Option<String>,
    /// The model year named.
    pub year: Option<u16>,
    /// Slug of the condition asked for.
    pub condition: Option<String>,
    /// Canonical name of the city named.
    pub city: Option<String>,
    /// Compact forms of the part numbers typed (see [`compact`](crate::compact)).
    pub part_numbers: Vec<String>,
    /// The normalized words that named none of the above.
    pub words: Vec<String>,
}

/// Reads a shopper's query against the built-in vocabulary.
///
/// Part numbers are taken out first, then vocabulary phrases (longest first,
/// fewest typos next, part names before car names on a tie), then a model year
/// in any digits; what is left are the free words.
///
/// Phrases are found through typos: a missing letter in a word of four
/// letters, one edit (a swap of neighbours included) from five, two from
/// eight, a swap or a doubtful correction when the rest of the phrase is typed
/// right; through phrase words glued together (`clutchset`) or with the space
/// between them moved (`sidem irror`); and through a clitic glued to a phrase
/// written with a space (`لاف150`). A word the vocabulary knows is never
/// corrected, and a typo as close to one thing as to another is not guessed.
pub fn analyze_query(query: &str) -> QueryAnalysis {
    let vocabulary = Vocabulary::builtin();
    let lexicon: &Lexicon = Lexicon::builtin();
    let mut analysis = QueryAnalysis::default();

    let numbers = find_part_numbers(query, Strictness::FreeText, lexicon);
    let mut rest = String::with_capacity(query.len());
    let mut cursor = 0;
    for number in &numbers {
        rest.push_str(&query[cursor..number.from]);
        rest.push(' ');
        cursor = number.to;
        if !analysis.part_numbers.contains(&number.compact) {
            analysis.part_numbers.push(number.compact.clone());
        }
    }
    rest.push_str(&query[cursor..]);

    let normalized = normalize(&rest);
    let normalized = lexicon.cut_japanese(&normalized);
    let query_words: Vec<&str> = words(&normalized).collect();
    let mut consumed = vec![false; query_words.len()];
    let matched = match_phrases(lexicon, &query_words, &mut consumed);
    apply_matches(vocabulary, &matched, &mut analysis);

    for i in 0..query_words.len() {
        if consumed[i] {
            continue;
        }
        if let Some(year) = model_year(query_words[i]) {
            analysis.year = Some(year);
            consumed[i] = true;
            if i > 0 && !consumed[i - 1] && YEAR_MARKERS.contains(&query_words[i - 1]) {
                consumed[i - 1] = true;
            }
            if query_words.get(i + 1) == Some(&"م") {
                consumed[i + 1] = true;
            }
            break;
        }
    }

    analysis.words = query_words
        .iter()
        .zip(&consumed)
        .filter(|&(word, &used)| !used && !PARTICLES.contains(word))
        .map(|(word, _)| (*word).to_owned())
        .collect();
    analysis
}

fn match_phrases(lexicon: &Lexicon, query_words: &[&str], consumed: &mut [bool]) -> Vec<Target> {
    let prepared: Vec<QueryWord> = query_words.iter().map(|w| lexicon.query_word(w)).collect();
    let mut targets = Vec::new();
    let mut i = 0;
    while i < prepared.len() {
        match lexicon.match_at(&prepared, consumed, i) {
            Some(found) => {
                consumed[i..i + found.len].fill(true);
                targets.push(found.target);
                i += found.len;
            }
            None => i += 1,
        }
    }
    targets
}

fn apply_matches(vocabulary: &Vocabulary, targets: &[Target], analysis: &mut QueryAnalysis) {
    let mut make = None;
    let mut models = Vec::new();
    for &target in targets {
        match target {
            Target::Category(i) => {
                let slug = &vocabulary.categories()[i].slug;
                if !analysis.categories.contains(slug) {
                    analysis.categories.push(slug.clone());
                }
            }
            Target::Make(i) => {
                make.get_or_insert(i);
            }
            Target::Model { make, model } => models.push((make, model)),
            Target::Condition(i) => {
                analysis.condition.get_or_insert_with(|| vocabulary.conditions()[i].slug.clone());
            }
            Target::City(i) => {
                analysis.city.get_or_insert_with(|| vocabulary.cities()[i].name.clone());
            }
        }
    }
    // A model of the make the shopper named is the one meant.
    let model = models.iter().find(|(m, _)| Some(*m) == make).or_else(|| models.first()).copied();
    if let Some((make_index, model_index)) = model {
        let make = &vocabulary.makes()[make_index];
        analysis.make = Some(make.name.clone());
        analysis.model = Some(make.models[model_index].name.clone());
    } else if let Some(i) = make {
        analysis.make = Some(vocabulary.makes()[i].name.clone());
    }
}

/// The model year a normalized word names: four digits in range, optionally
/// followed by م (the Gregorian-era mark).
fn model_year(word: &str) -> Option<u16> {
    let digits = word.strip_suffix('م').unwrap_or(word);
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|y| YEARS.contains(y))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_japanese_title_written_without_spaces_names_its_car_part_and_condition() {
        let analysis = analyze_query("トヨタカムリ用オイルフィルター中古品 04152-YZZA1");
        assert_eq!(analysis.make.as_deref(), Some("Toyota"));
        assert_eq!(analysis.model.as_deref(), Some("Camry"));
        assert_eq!(analysis.categories, ["oil-filter"]);
        assert_eq!(analysis.condition.as_deref(), Some("used"));
        assert_eq!(analysis.part_numbers, ["04152yzza1"]);
        assert!(analysis.words.is_empty(), "{:?}", analysis.words);
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn an_arabic_part_model_and_year_query_is_fully_understood() {
        let analysis = analyze_query("فلتر زيت كامري ٢٠١٩");
        assert_eq!(
            analysis,
            QueryAnalysis {
                categories: strings(&["oil-filter"]),
                make: Some("Toyota".into()),
                model: Some("Camry".into()),
                year: Some(2019),
                ..QueryAnalysis::default()
            }
        );
    }

    #[test]
    fn an_english_query_in_another_word_order_reads_the_same() {
        let analysis = analyze_query("camry oil filter 2019");
        assert_eq!(analysis, analyze_query("فلتر زيت كامري ٢٠١٩"));
    }

    #[test]
    fn a_dialect_part_name_and_a_make_are_recognised() {
        let analysis = analyze_query("بواجي لكزس");
        assert_eq!(analysis.categories, ["spark-plug"]);
        assert_eq!(analysis.make.as_deref(), Some("Lexus"));
        assert_eq!(analysis.model, None);
        assert!(analysis.words.is_empty());
    }

    #[test]
    fn a_part_number_alone_is_a_part_number_query() {
        let analysis = analyze_query("04152-YZZA1");
        assert_eq!(analysis.part_numbers, ["04152yzza1"]);
        assert!(analysis.words.is_empty() && analysis.categories.is_empty());
        assert_eq!(analyze_query("٠٤١٥٢ YZZA1").part_numbers, ["04152yzza1"]);
    }

    #[test]
    fn a_condition_between_part_and_model_is_recognised() {
        let analysis = analyze_query("فحمات مستعمل يارس");
        assert_eq!(analysis.categories, ["brake-pads"]);
        assert_eq!(analysis.condition.as_deref(), Some("used"));
        assert_eq!(analysis.make.as_deref(), Some("Toyota"));
        assert_eq!(analysis.model.as_deref(), Some("Yaris"));
    }

    #[test]
    fn noisy_spellings_from_the_catalog_generator_are_understood() {
        let analysis = analyze_query("فَلتــر الزيت لكامرى ٢٠١٨");
        assert_eq!(analysis.categories, ["oil-filter"]);
        assert_eq!(analysis.model.as_deref(), Some("Camry"));
        assert_eq!(analysis.year, Some(2018));
        assert!(analysis.words.is_empty(), "{:?}", analysis.words);
    }

    #[test]
    fn multi_word_models_and_makes_are_matched_whole() {
        let analysis = analyze_query("مساعدات لاند كروزر 2016");
        assert_eq!(analysis.categories, ["shock-absorber"]);
        assert_eq!(analysis.model.as_deref(), Some("Land Cruiser"));
        let analysis = analyze_query("بي ام دبليو اكس 5 رديتر");
        assert_eq!(analysis.make.as_deref(), Some("BMW"));
        assert_eq!(analysis.model.as_deref(), Some("X5"));
        assert_eq!(analysis.categories, ["radiator"]);
    }

    #[test]
    fn a_longer_condition_phrase_wins_over_the_word_inside_it() {
        // شبه جديد is "like new": used, although جديد alone is new.
        assert_eq!(analyze_query("كمبروسر شبه جديد").condition.as_deref(), Some("used"));
        assert_eq!(analyze_query("كمبروسر جديد").condition.as_deref(), Some("new"));
    }

    #[test]
    fn a_longer_category_term_wins_over_a_shorter_one() {
        let analysis = analyze_query("مراية جانبية سوناتا");
        assert_eq!(analysis.categories, ["side-mirror"]);
        assert_eq!(analysis.model.as_deref(), Some("Sonata"));
        assert!(analysis.words.is_empty(), "{:?}", analysis.words);
    }

    #[test]
    fn a_typo_in_a_long_word_still_finds_the_model() {
        assert_eq!(analyze_query("camery brake pads").model.as_deref(), Some("Camry"));
        assert_eq!(analyze_query("فلتر هواء كامرري").model.as_deref(), Some("Camry"));
        assert_eq!(analyze_query("corrolla radiator").model.as_deref(), Some("Corolla"));
    }

    #[test]
    fn words_close_to_vocabulary_but_correct_are_left_alone() {
        let analysis = analyze_query("فلتر زيت اصلي");
        assert_eq!(analysis.categories, ["oil-filter"]);
        assert_eq!(analysis.words, ["اصلي"]);
        // هونداي is a common spelling of Hyundai, one letter from هوندا (Honda).
        assert_eq!(analyze_query("هوندا").make.as_deref(), Some("Honda"));
        assert_eq!(analyze_query("هونداى").make.as_deref(), Some("Hyundai"));
    }

    #[test]
    fn the_make_named_picks_the_model_and_a_model_implies_its_make() {
        let analysis = analyze_query("nissan patrol");
        assert_eq!((analysis.make.as_deref(), analysis.model.as_deref()), (Some("Nissan"), Some("Patrol")));
        let analysis = analyze_query("اكسنت");
        assert_eq!((analysis.make.as_deref(), analysis.model.as_deref()), (Some("Hyundai"), Some("Accent")));
    }

    #[test]
    fn a_year_marker_goes_with_the_year_and_years_out_of_range_stay_words() {
        let analysis = analyze_query("جنوط موديل ٢٠٢٢");
        assert_eq!(analysis.year, Some(2022));
        assert!(analysis.words.is_empty());
        assert_eq!(analyze_query("كفرات 2019م").year, Some(2019));
        let analysis = analyze_query("كفرات 1800");
        assert_eq!(analysis.year, None);
        assert_eq!(analysis.words, ["1800"]);
    }

    #[test]
    fn car_names_with_digits_are_cars_not_part_numbers() {
        let analysis = analyze_query("F-150 2018 radiator");
        assert_eq!(analysis.model.as_deref(), Some("F-150"));
        assert!(analysis.part_numbers.is_empty());
        assert_eq!(analysis.year, Some(2018));
        let analysis = analyze_query("rav4 tires");
        assert_eq!(analysis.model.as_deref(), Some("RAV4"));
        assert_eq!(analysis.categories, ["tire"]);
        assert!(analysis.part_numbers.is_empty());
    }

    #[test]
    fn a_part_number_and_words_around_it_are_both_kept() {
        let analysis = analyze_query("NGK BKR6E بواجي كامري");
        assert_eq!(analysis.part_numbers, ["bkr6e"]);
        assert_eq!(analysis.categories, ["spark-plug"]);
        assert_eq!(analysis.words, ["ngk"]);
    }

    #[test]
    fn conditions_and_cities_are_recognised_in_either_script() {
        let analysis = analyze_query("used gearbox accord riyadh");
        assert_eq!(analysis.condition.as_deref(), Some("used"));
        assert_eq!(analysis.categories, ["gearbox"]);
        assert_eq!(analysis.city.as_deref(), Some("Riyadh"));
        assert_eq!(analyze_query("كمبروسر مكيف تشليح جدة").city.as_deref(), Some("Jeddah"));
    }

    #[test]
    fn unknown_words_remain_normalized_and_particles_are_dropped() {
        let analysis = analyze_query("غطاء للمكينة و Cover إلى");
        assert_eq!(analysis.categories, ["engine"]);
        assert_eq!(analysis.words, ["غطاء", "cover"]);
    }

    #[test]
    fn an_empty_or_blank_query_asks_for_nothing() {
        assert_eq!(analyze_query(""), QueryAnalysis::default());
        assert_eq!(analyze_query(" \u{200F} ـ "), QueryAnalysis::default());
    }

    fn understood(query: &str) -> (Vec<String>, Option<String>, Option<String>) {
        let analysis = analyze_query(query);
        (analysis.categories, analysis.make, analysis.model)
    }

    fn reading(category: &str, make: &str, model: &str) -> (Vec<String>, Option<String>, Option<String>) {
        (strings(&[category]), Some(make.into()), Some(model.into()))
    }

    #[test]
    fn english_queries_with_typos_are_understood() {
        assert_eq!(understood("yris frontt bumper 2024"), reading("front-bumper", "Toyota", "Yaris"));
        assert_eq!(understood("pajreo clutchset 2007"), reading("clutch-kit", "Mitsubishi", "Pajero"));
        assert_eq!(understood("accet tirs 2023"), reading("tire", "Hyundai", "Accent"));
        assert_eq!(understood("prdo barke disc 2016"), reading("brake-disc", "Toyota", "Prado"));
        assert_eq!(understood("tuccson fuel upmp 2018"), reading("fuel-pump", "Hyundai", "Tucson"));
        assert_eq!(understood("altia sidem irror 2018"), reading("side-mirror", "Nissan", "Altima"));
        assert_eq!(understood("cr-v air ilter 2022"), reading("air-filter", "Honda", "CR-V"));
        let analysis = analyze_query("yris frontt bumper 2024");
        assert_eq!(analysis.year, Some(2024));
        assert!(analysis.words.is_empty(), "{:?}", analysis.words);
    }

    #[test]
    fn a_preposition_glued_to_a_car_name_with_digits_is_read_off() {
        let analysis = analyze_query("مولد كهرباء لاف150 2019");
        assert_eq!(
            (analysis.categories.clone(), analysis.make.clone(), analysis.model.clone()),
            reading("alternator", "Ford", "F-150")
        );
        assert_eq!(analysis.year, Some(2019));
        assert!(analysis.words.is_empty(), "{:?}", analysis.words);
        assert_eq!(understood("مولد كهرباء لاف 150"), reading("alternator", "Ford", "F-150"));
        assert_eq!(understood("بطارية لكي5"), reading("battery", "Kia", "K5"));
    }

    #[test]
    fn words_glued_together_are_read_as_the_phrase() {
        assert_eq!(analyze_query("sparkplug").categories, ["spark-plug"]);
        assert_eq!(analyze_query("sparkplugs").categories, ["spark-plug"]);
        assert_eq!(analyze_query("camry engine oilfilter").categories, ["oil-filter"]);
        assert_eq!(analyze_query("fuelpmup").categories, ["fuel-pump"]);
    }

    #[test]
    fn a_phrase_with_digits_typed_glued_is_not_a_part_number() {
        let analysis = analyze_query("accent o2sensor");
        assert_eq!(analysis.categories, ["oxygen-sensor"]);
        assert!(analysis.part_numbers.is_empty());
    }

    #[test]
    fn a_four_letter_word_is_corrected_alone_only_when_a_letter_is_missing() {
        assert_eq!(analyze_query("tirs").categories, ["tire"]);
        // trie and tier: a swap or a real word, not guessed alone.
        assert!(analyze_query("trie").categories.is_empty());
        assert_eq!(analyze_query("tier").words, ["tier"]);
        // Shorter words are never corrected.
        assert!(analyze_query("fuel pmp").categories.is_empty());
    }

    #[test]
    fn correct_words_one_letter_from_a_phrase_word_are_left_alone() {
        // bolt and best are not belt, line is not like, فيوز (fuse) is not فيول.
        assert_eq!(analyze_query("timing bolt").words, ["timing", "bolt"]);
        assert_eq!(analyze_query("timing best").words, ["timing", "best"]);
        let analysis = analyze_query("brake line new");
        assert_eq!(analysis.condition.as_deref(), Some("new"));
        assert_eq!(analysis.words, ["brake", "line"]);
        assert!(analyze_query("فيوز بمب").categories.is_empty());
        // right is not light, trims are not rims.
        let analysis = analyze_query("rear right mirror");
        assert_eq!(analysis.categories, ["side-mirror"]);
        assert_eq!(analysis.words, ["rear", "right"]);
        assert!(analyze_query("wheel trims").categories.is_empty());
    }

    #[test]
    fn a_typo_that_two_things_are_equally_close_to_is_left_as_a_word() {
        let analysis = analyze_query("sonta brake pads");
        assert_eq!((analysis.make, analysis.model), (None, None));
        assert_eq!(analysis.words, ["sonta"]);
        // The rest of the phrase says which one: Santa Fe.
        assert_eq!(analyze_query("sonta fe").model.as_deref(), Some("Santa Fe"));
        assert_eq!(analyze_query("pado brake pads").model, None);
    }

    #[test]
    fn two_typos_are_corrected_only_in_long_words() {
        assert_eq!(understood("trnasmision camry"), reading("gearbox", "Toyota", "Camry"));
        assert_eq!(analyze_query("elnatar").model, None);
    }
}
