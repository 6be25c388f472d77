//! The vocabulary compiled for matching: every term and spelling as a sequence
//! of normalized words, indexed by its first word.
//!
//! Shoppers type part and car names as phrases (`فلتر زيت`, `land cruiser`,
//! `بي ام دبليو`), with the article or a preposition glued on (`الزيت`,
//! `لكامري`) and the odd typo (`كامرري`). Matching those phrases against the
//! data files word by word, after the same normalization and light stemming the
//! index uses, is what turns a query into a category, a car and a condition.

use std::cmp::Reverse;
use std::collections::{HashMap, HashSet};

use crate::light_stemmer::strip_prefixes;
use crate::normalizer::normalize;
use crate::part_number::compact;
use crate::vocabulary::Vocabulary;
use crate::word_tokenizer::words;

/// What a vocabulary phrase names, by index into the [`Vocabulary`] lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Target {
    Category(usize),
    Model { make: usize, model: usize },
    Make(usize),
    Condition(usize),
    City(usize),
}

impl Target {
    /// Rank among phrases of equal length: a part name beats a car name (a
    /// shopper always names the part), a model beats its make, and so on.
    fn rank(self) -> u8 {
        match self {
            Target::Category(_) => 0,
            Target::Model { .. } => 1,
            Target::Make(_) => 2,
            Target::Condition(_) => 3,
            Target::City(_) => 4,
        }
    }
}

/// A vocabulary phrase: for each word, the forms it may take (the word and its
/// light stem).
#[derive(Debug)]
struct Entry {
    words: Vec<Vec<String>>,
    target: Target,
}

/// A query word with the vocabulary forms it may stand for.
#[derive(Debug, Clone)]
pub(crate) struct QueryWord {
    forms: Vec<String>,
    typo: bool,
}

/// A phrase of the vocabulary found in a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PhraseMatch {
    pub(crate) len: usize,
    pub(crate) target: Target,
}

/// The compiled vocabulary.
#[derive(Debug)]
pub(crate) struct Lexicon {
    entries: Vec<Entry>,
    by_first_word: HashMap<String, Vec<usize>>,
    /// Every word form, with the things the phrases using it name.
    known: HashMap<String, Vec<Target>>,
    typo_targets: Vec<Vec<char>>,
    car_codes: HashSet<String>,
}

/// Shortest query word checked for typos; shorter words have too many
/// neighbours one edit away.
const MIN_TYPO_WORD_CHARS: usize = 5;

impl Lexicon {
    /// Compiles `vocabulary`: every term, spelling and display name.
    pub(crate) fn build(vocabulary: &Vocabulary) -> Lexicon {
        let mut phrases: Vec<(Vec<String>, Target)> = Vec::new();
        let mut seen = HashSet::new();
        let mut add = |text: &str, target: Target| {
            let normalized = normalize(text);
            let phrase: Vec<String> = words(&normalized).map(str::to_owned).collect();
            if !phrase.is_empty() && seen.insert((phrase.clone(), target)) {
                phrases.push((phrase, target));
            }
        };
        for (i, c) in vocabulary.categories().iter().enumerate() {
            for text in c.terms.iter().chain([&c.name_en, &c.name_ar]) {
                add(text, Target::Category(i));
            }
        }
        for (i, make) in vocabulary.makes().iter().enumerate() {
            for text in make.spellings.iter().chain([&make.name, &make.name_ar]) {
                add(text, Target::Make(i));
            }
            for (j, model) in make.models.iter().enumerate() {
                for text in model.spellings.iter().chain([&model.name, &model.name_ar]) {
                    add(text, Target::Model { make: i, model: j });
                }
            }
        }
        for (i, c) in vocabulary.conditions().iter().enumerate() {
            for text in c.terms.iter().chain([&c.name_en, &c.name_ar]) {
                add(text, Target::Condition(i));
            }
        }
        for (i, city) in vocabulary.cities().iter().enumerate() {
            for text in city.spellings.iter().chain([&city.name, &city.name_ar]) {
                add(text, Target::City(i));
            }
        }

        let plain: HashSet<String> = phrases.iter().flat_map(|(p, _)| p.iter().cloned()).collect();
        let forms_of = |word: &str| -> Vec<String> {
            let stem = strip_prefixes(word, |w| plain.contains(w));
            if stem == word { vec![word.to_owned()] } else { vec![word.to_owned(), stem.to_owned()] }
        };
        let entries: Vec<Entry> = phrases
            .iter()
            .map(|(phrase, target)| Entry { words: phrase.iter().map(|w| forms_of(w)).collect(), target: *target })
            .collect();

        let mut by_first_word: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, entry) in entries.iter().enumerate() {
            for form in &entry.words[0] {
                by_first_word.entry(form.clone()).or_default().push(i);
            }
        }
        let mut known: HashMap<String, Vec<Target>> = HashMap::new();
        for entry in &entries {
            for form in entry.words.iter().flatten() {
                let targets = known.entry(form.clone()).or_default();
                if !targets.contains(&entry.target) {
                    targets.push(entry.target);
                }
            }
        }
        // A five-letter query word may be a four-letter word with one letter
        // doubled (فلترر), so targets start one letter shorter.
        let mut typo_targets: Vec<Vec<char>> = known
            .keys()
            .filter(|w| w.chars().count() >= MIN_TYPO_WORD_CHARS - 1)
            .filter(|w| !w.chars().any(|c| c.is_ascii_digit()))
            .map(|w| w.chars().collect())
            .collect();
        typo_targets.sort();

        let mut car_codes = HashSet::new();
        for make in vocabulary.makes() {
            let names = make.models.iter().flat_map(|m| m.spellings.iter().chain([&m.name]));
            for name in make.spellings.iter().chain([&make.name]).chain(names) {
                if name.is_ascii() {
                    car_codes.insert(compact(name));
                }
            }
        }

        Lexicon { entries, by_first_word, known, typo_targets, car_codes }
    }

    /// Whether `word` (normalized) is a word of some vocabulary phrase, or the
    /// light stem of one.
    pub(crate) fn is_known(&self, word: &str) -> bool {
        self.known.contains_key(word)
    }

    /// Whether `code` (compacted) is a make or model written in Latin letters
    /// and digits, such as `f150`, `cx9` or `rav4`.
    pub(crate) fn is_car_code(&self, code: &str) -> bool {
        self.car_codes.contains(code)
    }

    /// Prepares a normalized query word for matching: the word and its light
    /// stem, or, for a longer unknown word, the vocabulary words a single edit
    /// away.
    pub(crate) fn query_word(&self, word: &str) -> QueryWord {
        let stem = strip_prefixes(word, |w| self.is_known(w));
        if !self.is_known(word)
            && !self.is_known(stem)
            && let Some(fixed) = self.correct_typo(word)
        {
            return QueryWord { forms: fixed, typo: true };
        }
        let mut forms = vec![word.to_owned()];
        if stem != word {
            forms.push(stem.to_owned());
        }
        QueryWord { forms, typo: false }
    }

    /// Returns the vocabulary words one edit away from `word`, provided they
    /// all name the same things (`camrry` is one edit from both `camry` and
    /// `camery`, two spellings of one model).
    fn correct_typo(&self, word: &str) -> Option<Vec<String>> {
        let chars: Vec<char> = word.chars().collect();
        if chars.len() < MIN_TYPO_WORD_CHARS || chars.iter().any(char::is_ascii_digit) {
            return None;
        }
        // Typos in the first letter are rare and matching them would pair
        // unrelated words; the sorted list lets the scan skip other letters.
        let first = chars[0];
        let start = self.typo_targets.partition_point(|t| t[0] < first);
        let found: Vec<String> = self.typo_targets[start..]
            .iter()
            .take_while(|t| t[0] == first)
            .filter(|t| within_one_edit(&chars, t))
            .map(|t| t.iter().collect())
            .collect();
        let mut targets = found.iter().map(|w| {
            let mut t = self.known[w].clone();
            t.sort_unstable();
            t
        });
        let first_targets = targets.next()?;
        targets.all(|t| t == first_targets).then_some(found)
    }

    /// Returns the longest vocabulary phrase starting at `words[start]`, among
    /// words not yet `consumed`.
    pub(crate) fn match_at(&self, words: &[QueryWord], consumed: &[bool], start: usize) -> Option<PhraseMatch> {
        let first = &words[start];
        let mut candidates: Vec<usize> =
            first.forms.iter().filter_map(|f| self.by_first_word.get(f)).flatten().copied().collect();
        candidates.sort_unstable();
        candidates.dedup();

        let mut best: Option<(Reverse<usize>, usize, u8, usize)> = None;
        for index in candidates {
            let entry = &self.entries[index];
            let len = entry.words.len();
            if start + len > words.len() || consumed[start..start + len].iter().any(|&c| c) {
                continue;
            }
            let fits = entry
                .words
                .iter()
                .zip(&words[start..])
                .all(|(forms, word)| word.forms.iter().any(|f| forms.contains(f)));
            if !fits {
                continue;
            }
            let typos = words[start..start + len].iter().filter(|w| w.typo).count();
            // Longest phrase first, then fewest typos, then the kind of thing named.
            let key = (Reverse(len), typos, entry.target.rank(), index);
            if best.is_none_or(|b| key < b) {
                best = Some(key);
            }
        }
        best.map(|(Reverse(len), _, _, index)| PhraseMatch { len, target: self.entries[index].target })
    }

    /// Every normalized phrase that names more than one thing, for the data
    /// checks.
    #[cfg(test)]
    pub(crate) fn ambiguous_phrases(&self) -> Vec<(String, Vec<Target>)> {
        let mut by_phrase: HashMap<String, Vec<Target>> = HashMap::new();
        for entry in &self.entries {
            let phrase: Vec<&str> = entry.words.iter().map(|forms| forms[0].as_str()).collect();
            let targets = by_phrase.entry(phrase.join(" ")).or_default();
            if !targets.contains(&entry.target) {
                targets.push(entry.target);
            }
        }
        let mut out: Vec<_> = by_phrase.into_iter().filter(|(_, t)| t.len() > 1).collect();
        out.sort();
        out
    }
}

impl QueryWord {
    /// Whether the word was matched through a typo correction.
    #[cfg(test)]
    pub(crate) fn is_typo(&self) -> bool {
        self.typo
    }

    /// The forms the word is matched under.
    #[cfg(test)]
    pub(crate) fn forms(&self) -> &[String] {
        &self.forms
    }
}

/// Whether `a` becomes `b` by at most one insertion, deletion, substitution or
/// swap of adjacent characters.
fn within_one_edit(a: &[char], b: &[char]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if long.len() - short.len() > 1 {
        return false;
    }
    let prefix = short.iter().zip(long).take_while(|(x, y)| x == y).count();
    if prefix == short.len() {
        return true;
    }
    if short.len() == long.len() {
        let swapped = prefix + 1 < short.len()
            && short[prefix] == long[prefix + 1]
            && short[prefix + 1] == long[prefix]
            && short[prefix + 2..] == long[prefix + 2..];
        swapped || short[prefix + 1..] == long[prefix + 1..]
    } else {
        short[prefix..] == long[prefix + 1..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lexicon() -> &'static Lexicon {
        Vocabulary::builtin().lexicon()
    }

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn one_edit_covers_insertion_deletion_substitution_and_swap() {
        assert!(within_one_edit(&chars("camry"), &chars("camery")));
        assert!(within_one_edit(&chars("camery"), &chars("camry")));
        assert!(within_one_edit(&chars("camry"), &chars("carry")));
        assert!(within_one_edit(&chars("hyundai"), &chars("hyunadi")));
        assert!(within_one_edit(&chars("كامري"), &chars("كامرري")));
        assert!(!within_one_edit(&chars("camry"), &chars("cmaery")));
        assert!(!within_one_edit(&chars("corolla"), &chars("coral")));
        assert!(!within_one_edit(&chars("abcd"), &chars("badc")));
    }

    #[test]
    fn vocabulary_words_and_their_stems_are_known() {
        let lexicon = lexicon();
        assert!(lexicon.is_known("فلتر"));
        assert!(lexicon.is_known("كامري"));
        assert!(lexicon.is_known("camry"));
        // "حساس الاكسجين" makes both the word and its stem known.
        assert!(lexicon.is_known("الاكسجين") && lexicon.is_known("اكسجين"));
        assert!(!lexicon.is_known("لتر"));
    }

    #[test]
    fn latin_car_names_with_digits_are_car_codes() {
        let lexicon = lexicon();
        for code in ["f150", "cx9", "x5", "rav4", "lx570", "es350", "mazda6", "k5"] {
            assert!(lexicon.is_car_code(code), "{code}");
        }
        assert!(!lexicon.is_car_code("04152yzza1"));
    }

    #[test]
    fn a_longer_word_one_edit_from_a_single_vocabulary_word_is_corrected() {
        let lexicon = lexicon();
        let word = lexicon.query_word("كامرري");
        assert!(word.is_typo());
        assert_eq!(word.forms(), ["كامري"]);
        let word = lexicon.query_word("camrry");
        assert!(word.is_typo());
        assert!(word.forms().iter().all(|f| ["camry", "camery", "camary"].contains(&f.as_str())));
    }

    #[test]
    fn a_typo_that_could_be_two_different_things_is_not_guessed() {
        // One edit from كمبرسر (A/C compressor) and from كابرس (Caprice).
        let lexicon = lexicon();
        assert!(lexicon.query_word("كمبرسر").forms().len() == 1);
        assert!(!lexicon.query_word("كمبرس").is_typo());
    }

    #[test]
    fn known_and_short_words_are_never_corrected() {
        let lexicon = lexicon();
        assert!(!lexicon.query_word("camry").is_typo());
        assert!(!lexicon.query_word("كامري").is_typo());
        // Four letters: too short to guess at.
        assert!(!lexicon.query_word("فلتت").is_typo());
        // A typo in the first letter is not guessed.
        assert!(!lexicon.query_word("xamry").is_typo());
    }

    #[test]
    fn the_longest_phrase_wins() {
        let lexicon = lexicon();
        let words: Vec<QueryWord> =
            ["فلتر", "زيت", "مكينة"].iter().map(|w| lexicon.query_word(&normalize(w))).collect();
        let found = lexicon.match_at(&words, &[false; 3], 0).expect("a phrase");
        assert_eq!(found.len, 3);
        let oil_filter = Vocabulary::builtin().categories().iter().position(|c| c.slug == "oil-filter");
        assert_eq!(found.target, Target::Category(oil_filter.unwrap()));
    }

    #[test]
    fn consumed_words_are_not_matched_again() {
        let lexicon = lexicon();
        let words: Vec<QueryWord> = ["land", "cruiser"].iter().map(|w| lexicon.query_word(w)).collect();
        assert_eq!(lexicon.match_at(&words, &[false, false], 0).map(|m| m.len), Some(2));
        assert_eq!(lexicon.match_at(&words, &[false, true], 0), None);
    }

    #[test]
    fn no_phrase_of_the_data_files_names_two_things() {
        let ambiguous = lexicon().ambiguous_phrases();
        assert!(ambiguous.is_empty(), "{ambiguous:?}");
    }
}
