//! The vocabulary compiled for matching: every term and spelling as a sequence
//! of normalized words, indexed by its first word.
//!
//! Shoppers type part and car names as phrases (`فلتر زيت`, `land cruiser`,
//! `بي ام دبليو`), with the article or a preposition glued on (`الزيت`,
//! `لكامري`), with typos (`كامرري`, `barke`, `yris`), and with the spaces of a
//! phrase dropped or moved (`clutchset`, `sidem irror`, `لاف150`). Matching
//! those phrases against the data files word by word, after the same
//! normalization and light stemming the index uses, is what turns a query into
//! a category, a car and a condition.
//!
//! Typos are corrected only where the correction is safe to guess: a word the
//! vocabulary knows is never changed, short words are not guessed at, and a typo
//! that could stand for two different things is left alone unless the rest of a
//! phrase, typed correctly, says which one is meant.

use std::cmp::Reverse;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use crate::japanese::JapaneseWords;
use crate::known_words::KnownWords;
use crate::light_stemmer::strip_prefixes;
use crate::normalizer::normalize;
use crate::part_number::compact;
use crate::typo::{DeletionIndex, InitialIndex, edit_distance};
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
/// light stem), and its runs of words written without the spaces.
#[derive(Debug)]
struct Entry {
    words: Vec<Vec<String>>,
    runs: Vec<Run>,
    target: Target,
}

/// Two or more consecutive words of a phrase, glued: `clutchset` for
/// `clutch set`; `engineoil`, `oilfilter` and `engineoilfilter` for
/// `engine oil filter`; `اف150` for `اف 150`.
#[derive(Debug)]
struct Run {
    /// Index of the first word in the phrase.
    from: usize,
    /// Number of words glued.
    len: usize,
    text: String,
}

/// A query word with the vocabulary forms it may stand for.
#[derive(Debug, Clone)]
pub(crate) struct QueryWord {
    /// Forms matched wherever they appear: the word as typed (normalized)
    /// first, its light stem, what follows a glued clitic; or else the
    /// corrections of a typo.
    forms: Vec<String>,
    /// Whether `forms` are corrections of a typo.
    typo: bool,
    /// The word as typed when `forms` are corrections (else empty, not to
    /// allocate it twice).
    typed: String,
    /// Forms too uncertain to match alone (a short word's typo, a typo that
    /// could be two things, a clitic on a two-letter word), trusted only in a
    /// phrase whose other words were typed right.
    weak: Vec<String>,
    /// Whether the word or its light stem is a vocabulary word.
    known: bool,
}

/// A phrase of the vocabulary found in a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PhraseMatch {
    /// Number of query words the phrase covers.
    pub(crate) len: usize,
    pub(crate) target: Target,
}

/// A word (or glued phrase) typos are corrected to, with what it names.
#[derive(Debug)]
struct Spelling {
    chars: Vec<char>,
    text: String,
    /// Sorted, to compare what two spellings name.
    targets: Vec<Target>,
}

/// The compiled vocabulary.
// `pub` in a private module: the light stemmer's public filter names it in
// the type of its tokenizer.
#[derive(Debug)]
pub struct Lexicon {
    entries: Vec<Entry>,
    by_first_word: HashMap<String, Vec<usize>>,
    /// Runs that start a phrase, with the phrases they start.
    by_first_run: HashMap<String, Vec<usize>>,
    /// The keys of `by_first_run`, sorted: whether a word can be the head of
    /// a split run is a binary search, not an allocation.
    first_runs: Vec<String>,
    /// Every word form, with the things the phrases using it name.
    known: HashMap<String, Vec<Target>>,
    spellings: Vec<Spelling>,
    /// `spellings` by deletion neighbourhood, for one typo.
    deletions: DeletionIndex,
    /// The longer `spellings` by first letters, for two typos.
    long_spellings: InitialIndex,
    codes: HashSet<String>,
    /// The Japanese words, cut out of unspaced Japanese runs before lookup.
    japanese: JapaneseWords,
}

/// Shortest query word checked for typos; shorter words have too many
/// neighbours one edit away. At this length only a dropped letter (a word
/// one letter longer) is corrected alone: any other edit of a four-letter word
/// reaches too many real words, so those are only trusted inside a phrase.
const MIN_TYPO_WORD_CHARS: usize = 4;
/// Shortest query word allowed two typos: long words have few neighbours.
const MIN_TWO_TYPOS_WORD_CHARS: usize = 8;
/// Shortest vocabulary word typos are corrected to.
const MIN_SPELLING_CHARS: usize = 4;
/// Shortest vocabulary word searched for two typos: an eight-letter word with
/// two typos cannot be any shorter.
const MIN_TWO_TYPOS_SPELLING_CHARS: usize = MIN_TWO_TYPOS_WORD_CHARS - 2;
/// One-letter prepositions and conjunctions written attached to the next word.
const CLITICS: [char; 3] = ['و', 'ل', 'ب'];
/// Letters each part of a word split in two must have.
const MIN_SPLIT_PART_CHARS: usize = 2;
/// Letters a glued clitic must leave for the rest to be looked up: the two of
/// the اف in اف 150, shorter than the light stemmer strips to.
const MIN_AFTER_CLITIC_CHARS: usize = 2;

impl Lexicon {
    /// The lexicon of the built-in vocabulary, compiled on first use and
    /// shared by every analyzer after that.
    pub(crate) fn builtin() -> &'static Arc<Lexicon> {
        static BUILTIN: OnceLock<Arc<Lexicon>> = OnceLock::new();
        BUILTIN.get_or_init(|| Arc::new(Lexicon::build(Vocabulary::builtin())))
    }

    /// `text` (normalized) with the vocabulary's Japanese words set apart by
    /// spaces inside the runs Japanese writes without them.
    pub(crate) fn cut_japanese<'a>(&self, text: &'a str) -> std::borrow::Cow<'a, str> {
        self.japanese.cut(text)
    }

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
            .map(|(phrase, target)| Entry {
                words: phrase.iter().map(|w| forms_of(w)).collect(),
                runs: runs_of(phrase),
                target: *target,
            })
            .collect();

        let mut by_first_word: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_first_run: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, entry) in entries.iter().enumerate() {
            for form in &entry.words[0] {
                by_first_word.entry(form.clone()).or_default().push(i);
            }
            for run in entry.runs.iter().filter(|r| r.from == 0) {
                by_first_run.entry(run.text.clone()).or_default().push(i);
            }
        }
        let mut first_runs: Vec<String> = by_first_run.keys().cloned().collect();
        first_runs.sort_unstable();
        let mut known: HashMap<String, Vec<Target>> = HashMap::new();
        for entry in &entries {
            for form in entry.words.iter().flatten() {
                let targets = known.entry(form.clone()).or_default();
                if !targets.contains(&entry.target) {
                    targets.push(entry.target);
                }
            }
        }

        // Typos are corrected to the words of the phrases and to whole phrases
        // glued (`clutchst` → `clutchset`), never to digits: a digit typed
        // wrong is another model or part number, not a typo.
        let mut spelled: HashMap<String, Vec<Target>> = known
            .iter()
            .filter(|(word, _)| {
                word.chars().count() >= MIN_SPELLING_CHARS && !word.contains(|c: char| c.is_ascii_digit())
            })
            .map(|(word, targets)| (word.clone(), targets.clone()))
            .collect();
        for entry in &entries {
            let Some(whole) = entry.runs.iter().find(|r| r.from == 0 && r.len == entry.words.len()) else {
                continue;
            };
            if whole.text.contains(|c: char| c.is_ascii_digit()) {
                continue;
            }
            let targets = spelled.entry(whole.text.clone()).or_default();
            if !targets.contains(&entry.target) {
                targets.push(entry.target);
            }
        }
        let mut spellings: Vec<Spelling> = spelled
            .into_iter()
            .map(|(text, mut targets)| {
                targets.sort_unstable();
                Spelling { chars: text.chars().collect(), text, targets }
            })
            .collect();
        spellings.sort_by(|a, b| a.text.cmp(&b.text));
        let mut deletions = DeletionIndex::default();
        let mut long_spellings = InitialIndex::default();
        for (id, spelling) in spellings.iter().enumerate() {
            deletions.insert(id as u32, &spelling.text, 1);
            if spelling.chars.len() >= MIN_TWO_TYPOS_SPELLING_CHARS {
                long_spellings.insert(id as u32, &spelling.chars);
            }
        }

        let mut codes = HashSet::new();
        for make in vocabulary.makes() {
            let names = make.models.iter().flat_map(|m| m.spellings.iter().chain([&m.name]));
            for name in make.spellings.iter().chain([&make.name]).chain(names) {
                if name.is_ascii() {
                    codes.insert(compact(name));
                }
            }
        }
        // A phrase with a digit typed without its spaces (o2sensor) reads as
        // a part number otherwise.
        for (phrase, _) in &phrases {
            let glued: String = phrase.concat();
            if phrase.len() > 1 && glued.is_ascii() && glued.contains(|c: char| c.is_ascii_digit()) {
                codes.insert(compact(&glued));
            }
        }

        let japanese = JapaneseWords::new(known.keys().map(String::as_str));
        Lexicon {
            entries,
            by_first_word,
            by_first_run,
            first_runs,
            known,
            spellings,
            deletions,
            long_spellings,
            codes,
            japanese,
        }
    }

    /// Prepares a normalized query word for matching: the word and its light
    /// stem; what follows a clitic glued to a phrase typed without its spaces
    /// (`لاف150`); or, for an unknown word, its typo corrections.
    pub(crate) fn query_word(&self, word: &str) -> QueryWord {
        let stem = strip_prefixes(word, |w| self.is_known(w));
        let known = self.is_known(word) || self.is_known(stem);
        let mut forms = vec![word.to_owned()];
        if stem != word {
            forms.push(stem.to_owned());
        }
        let mut query_word = QueryWord { forms, typo: false, typed: String::new(), weak: Vec::new(), known };
        // A phrase typed without its spaces is no typo.
        if known || self.by_first_run.contains_key(word) {
            return query_word;
        }
        // The stemmer leaves a clitic on a glued phrase (اف150 is no word)
        // and on a word too short to tell from a first letter (اف).
        if let Some(rest) = word.strip_prefix(CLITICS)
            && rest.chars().count() >= MIN_AFTER_CLITIC_CHARS
        {
            if self.by_first_run.contains_key(rest) {
                query_word.forms.push(rest.to_owned());
                return query_word;
            }
            if self.is_known(rest) {
                query_word.weak.push(rest.to_owned());
            }
        }
        let (strong, weak) = self.corrections(word);
        if !strong.is_empty() {
            query_word.typed = std::mem::replace(&mut query_word.forms, strong).swap_remove(0);
            query_word.typo = true;
        }
        query_word.weak.extend(weak);
        query_word
    }

    /// Returns the corrections of an unknown `word`: those safe to use
    /// anywhere, and those to trust only inside a phrase.
    ///
    /// A word of four letters may be missing one (`yris` → `yaris`); from
    /// five letters on, one edit of any kind is corrected, from eight two.
    /// The closest spellings win; when they name different things
    /// (`كمبرس` is one edit from كمبرسر, the compressor, and from كابرس, the
    /// Caprice) none is safe, and when they name the same thing (`camrry`:
    /// `camry` and `camery`) all are.
    fn corrections(&self, word: &str) -> (Vec<String>, Vec<String>) {
        let chars: Vec<char> = word.chars().collect();
        if chars.len() < MIN_TYPO_WORD_CHARS || chars.iter().any(char::is_ascii_digit) {
            return (Vec::new(), Vec::new());
        }
        let mut ids = Vec::new();
        self.deletions.candidates(word, 1, &mut ids);
        let mut closest = self.closest(&chars, &ids, 1);
        // Two typos only where one finds nothing.
        if closest.is_empty() && chars.len() >= MIN_TWO_TYPOS_WORD_CHARS {
            ids.clear();
            self.long_spellings.candidates(&chars, 2, &mut ids);
            closest = self.closest(&chars, &ids, 2);
        }
        let Some(first) = closest.first() else {
            return (Vec::new(), Vec::new());
        };
        let unambiguous = closest.iter().all(|s| s.targets == first.targets);
        let short = chars.len() == MIN_TYPO_WORD_CHARS;
        // A four-letter word with a letter replaced is as often another real
        // word (bolt for belt, line for like, فيوز for فيول) as a typo: only a
        // dropped letter is corrected, and a swap trusted inside a phrase.
        let (strong, weak): (Vec<&Spelling>, Vec<&Spelling>) = if unambiguous {
            closest.iter().partition(|s| !short || s.chars.len() > chars.len())
        } else {
            (Vec::new(), closest)
        };
        let weak =
            weak.into_iter().filter(|s| !short || s.chars.len() > chars.len() || is_swap(&chars, &s.chars)).collect();
        let texts = |list: Vec<&Spelling>| list.into_iter().map(|s| s.text.clone()).collect();
        (texts(strong), texts(weak))
    }

    /// Returns the spellings among `ids` at the smallest distance from `word`,
    /// up to `max`, that a typo could have made from it.
    fn closest(&self, word: &[char], ids: &[u32], max: usize) -> Vec<&Spelling> {
        let mut best = max;
        let mut closest: Vec<&Spelling> = Vec::new();
        for &id in ids {
            let spelling = &self.spellings[id as usize];
            if !plausible_first_letter(word, &spelling.chars) {
                continue;
            }
            let Some(distance) = edit_distance(word, &spelling.chars, best) else {
                continue;
            };
            if distance < best {
                best = distance;
                closest.clear();
            }
            closest.push(spelling);
        }
        closest
    }

    /// Returns the longest vocabulary phrase starting at `words[start]`, among
    /// words not yet `consumed`.
    pub(crate) fn match_at(&self, words: &[QueryWord], consumed: &[bool], start: usize) -> Option<PhraseMatch> {
        if consumed[start] {
            return None;
        }
        let first = &words[start];
        let mut candidates: Vec<usize> = first
            .forms
            .iter()
            .chain(&first.weak)
            .filter_map(|f| self.by_first_word.get(f))
            .flatten()
            .copied()
            .collect();
        // A known word is read as the word it is, not as phrase words glued.
        if !first.known {
            let glued = first.forms.iter().chain(first.typo.then_some(&first.typed));
            candidates.extend(glued.filter_map(|f| self.by_first_run.get(f)).flatten());
        }
        if let Some(next) = words.get(start + 1)
            && !consumed[start + 1]
            && may_split(first, next)
            && self.starts_first_run(first.text())
        {
            let joined = format!("{}{}", first.text(), next.text());
            candidates.extend(self.by_first_run.get(&joined).into_iter().flatten());
        }
        candidates.sort_unstable();
        candidates.dedup();

        let mut scored: Vec<(Reverse<usize>, usize, u8, usize)> = Vec::new();
        for index in candidates {
            let entry = &self.entries[index];
            let mut best = None;
            align(entry, words, consumed, 0, start, Alignment::default(), &mut best);
            if let Some(found) = best {
                // Longest phrase first, then fewest slips, then the kind of thing named.
                scored.push((Reverse(found.words), found.slips, entry.target.rank(), index));
            }
        }
        scored.sort_unstable();
        // Phrases read through slips that name different things are not
        // guessed between; a shorter reading may still be sure.
        let mut rest = scored.as_slice();
        while let Some(&(Reverse(len), slips, _, index)) = rest.first() {
            let level = rest.iter().take_while(|k| (k.0.0, k.1) == (len, slips)).count();
            let target = self.entries[index].target;
            if slips == 0 || rest[..level].iter().all(|k| self.entries[k.3].target == target) {
                return Some(PhraseMatch { len, target });
            }
            rest = &rest[level..];
        }
        None
    }

    /// Whether some phrase, typed without its spaces, starts with `head`.
    fn starts_first_run(&self, head: &str) -> bool {
        let at = self.first_runs.partition_point(|run| run.as_str() < head);
        self.first_runs.get(at).is_some_and(|run| run.starts_with(head))
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

    /// Every phrase that, typed without its spaces, is a word or another
    /// phrase naming something else, for the data checks.
    #[cfg(test)]
    pub(crate) fn ambiguous_glued_phrases(&self) -> Vec<(String, Vec<Target>)> {
        let mut by_text: HashMap<&str, Vec<Target>> = HashMap::new();
        for entry in &self.entries {
            for run in entry.runs.iter().filter(|r| r.from == 0 && r.len == entry.words.len()) {
                let targets = by_text.entry(run.text.as_str()).or_default();
                for target in self.known.get(&run.text).into_iter().flatten().chain([&entry.target]) {
                    if !targets.contains(target) {
                        targets.push(*target);
                    }
                }
            }
        }
        let mut out: Vec<_> =
            by_text.into_iter().filter(|(_, t)| t.len() > 1).map(|(text, t)| (text.to_owned(), t)).collect();
        out.sort();
        out
    }
}

impl KnownWords for Lexicon {
    fn is_known(&self, word: &str) -> bool {
        self.known.contains_key(word)
    }

    fn is_vocabulary_code(&self, code: &str) -> bool {
        self.codes.contains(code)
    }
}

/// The runs of two or more consecutive words of `phrase`, glued.
fn runs_of(phrase: &[String]) -> Vec<Run> {
    let mut runs = Vec::new();
    for from in 0..phrase.len() {
        for len in 2..=phrase.len() - from {
            runs.push(Run { from, len, text: phrase[from..from + len].concat() });
        }
    }
    runs
}

/// Whether a typo could turn `target` into `word` as far as the first letter
/// goes: people rarely mistype the first letter of a word, and correcting it
/// would pair unrelated words (`right` and `light`). What does happen is the
/// first letter dropped (`ilter`) or swapped with the second (`upmp`).
fn plausible_first_letter(word: &[char], target: &[char]) -> bool {
    word.first() == target.first() || (target.len() > 1 && word.first() == target.get(1))
}

/// Whether `a` is `b` with two neighbouring letters swapped.
fn is_swap(a: &[char], b: &[char]) -> bool {
    let mut differ = a.iter().zip(b).enumerate().filter(|(_, (x, y))| x != y).map(|(i, _)| i);
    match (differ.next(), differ.next(), differ.next()) {
        (Some(i), Some(j), None) => a.len() == b.len() && j == i + 1 && a[i] == b[j] && a[j] == b[i],
        _ => false,
    }
}

/// How a phrase lines up with query words.
#[derive(Debug, Clone, Copy, Default)]
struct Alignment {
    /// Query words covered.
    words: usize,
    /// Typos, glued words and moved spaces read through.
    slips: usize,
    /// Whether some word was typed exactly as in the phrase.
    anchored: bool,
    /// Whether some word matched only through a weak form.
    weak: bool,
}

/// Lines `entry` up, from its word `phrase_at`, with the query words from
/// `query_at`, and keeps in `best` the alignment that covers the whole phrase
/// with the most query words and the fewest slips.
fn align(
    entry: &Entry,
    words: &[QueryWord],
    consumed: &[bool],
    phrase_at: usize,
    query_at: usize,
    so_far: Alignment,
    best: &mut Option<Alignment>,
) {
    if phrase_at == entry.words.len() {
        // A weak form needs a word typed right beside it to say it is meant.
        let better = best.is_none_or(|b| (Reverse(so_far.words), so_far.slips) < (Reverse(b.words), b.slips));
        if (!so_far.weak || so_far.anchored) && better {
            *best = Some(so_far);
        }
        return;
    }
    let Some(word) = words.get(query_at).filter(|_| !consumed[query_at]) else {
        return;
    };
    let forms = &entry.words[phrase_at];
    let step =
        |words: usize, slips: usize| Alignment { words: so_far.words + words, slips: so_far.slips + slips, ..so_far };
    if word.forms.iter().any(|f| forms.contains(f)) {
        let next = Alignment { anchored: so_far.anchored || !word.typo, ..step(1, usize::from(word.typo)) };
        align(entry, words, consumed, phrase_at + 1, query_at + 1, next, best);
    } else if word.weak.iter().any(|f| forms.contains(f)) {
        let next = Alignment { weak: true, ..step(1, 1) };
        align(entry, words, consumed, phrase_at + 1, query_at + 1, next, best);
    }
    for run in entry.runs.iter().filter(|r| r.from == phrase_at) {
        // One query word for several phrase words: clutchset, or a typo of
        // it. A word corrected to something else may still be glued as typed
        // (ccompressor, the "c compressor" of "a/c compressor").
        let glued = if word.text() == run.text || (!word.typo && word.forms.contains(&run.text)) {
            Some(1)
        } else {
            word.forms.contains(&run.text).then_some(2)
        };
        if let Some(slips) = glued {
            align(entry, words, consumed, phrase_at + run.len, query_at + 1, step(1, slips), best);
        }
        // Two query words for several phrase words, the space between them
        // moved: sidem irror.
        if let Some(after) = words.get(query_at + 1)
            && !consumed[query_at + 1]
            && may_split(word, after)
            && is_split(&run.text, word.text(), after.text())
        {
            align(entry, words, consumed, phrase_at + run.len, query_at + 2, step(2, 1), best);
        }
    }
}

/// Whether two neighbouring query words may be the two halves of phrase
/// words with the space between them moved. Two known words are taken as
/// typed, and a number is not half of a word.
fn may_split(head: &QueryWord, tail: &QueryWord) -> bool {
    let number = |w: &QueryWord| w.text().bytes().all(|b| b.is_ascii_digit());
    let both_known = head.known && tail.known;
    !(both_known || number(head) || number(tail))
}

/// Whether `glued` is `head` followed by `tail`, each long enough to be a
/// piece of a word rather than a stray letter.
fn is_split(glued: &str, head: &str, tail: &str) -> bool {
    glued.len() == head.len() + tail.len()
        && glued.starts_with(head)
        && glued.ends_with(tail)
        && head.chars().count() >= MIN_SPLIT_PART_CHARS
        && tail.chars().count() >= MIN_SPLIT_PART_CHARS
}

impl QueryWord {
    /// The word as typed, normalized.
    fn text(&self) -> &str {
        if self.typo { &self.typed } else { &self.forms[0] }
    }

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

    /// The forms the word is matched under inside a phrase only.
    #[cfg(test)]
    pub(crate) fn weak_forms(&self) -> &[String] {
        &self.weak
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lexicon() -> &'static Lexicon {
        Lexicon::builtin()
    }

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    fn within_one_edit(a: &[char], b: &[char]) -> bool {
        edit_distance(a, b, 1).is_some()
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
            assert!(lexicon.is_vocabulary_code(code), "{code}");
        }
        assert!(!lexicon.is_vocabulary_code("04152yzza1"));
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
        // Four letters with one replaced: too many real words are that close.
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

    fn corrected(word: &str) -> Option<Vec<String>> {
        let word = lexicon().query_word(word);
        word.is_typo().then(|| word.forms().to_vec())
    }

    fn matched(words: &[&str]) -> Option<PhraseMatch> {
        let lexicon = lexicon();
        let words: Vec<QueryWord> = words.iter().map(|w| lexicon.query_word(&normalize(w))).collect();
        lexicon.match_at(&words, &vec![false; words.len()], 0)
    }

    fn category(slug: &str) -> Target {
        Target::Category(Vocabulary::builtin().categories().iter().position(|c| c.slug == slug).expect(slug))
    }

    fn model(make: &str, model: &str) -> Target {
        let makes = Vocabulary::builtin().makes();
        let i = makes.iter().position(|m| m.name == make).expect(make);
        Target::Model { make: i, model: makes[i].models.iter().position(|m| m.name == model).expect(model) }
    }

    #[test]
    fn a_swap_of_neighbouring_letters_is_corrected_as_one_typo() {
        assert_eq!(corrected("barke"), Some(vec!["brake".to_owned()]));
        assert_eq!(corrected("pajreo"), Some(vec!["pajero".to_owned()]));
    }

    #[test]
    fn a_four_letter_word_missing_a_letter_is_corrected() {
        assert_eq!(corrected("yris"), Some(vec!["yaris".to_owned()]));
        assert_eq!(corrected("prdo"), Some(vec!["prado".to_owned()]));
        assert_eq!(corrected("tirs"), Some(vec!["tires".to_owned()]));
    }

    #[test]
    fn a_four_letter_word_with_a_letter_replaced_or_swapped_is_not_corrected_alone() {
        // bolt is a real word one letter from belt.
        assert_eq!(corrected("bolt"), None);
        assert!(lexicon().query_word("bolt").weak_forms().is_empty());
        // A swap is kept for a phrase to confirm.
        assert_eq!(corrected("upmp"), None);
        assert_eq!(lexicon().query_word("upmp").weak_forms(), ["pump"]);
    }

    #[test]
    fn a_dropped_or_swapped_first_letter_is_corrected_but_a_replaced_one_is_not() {
        assert_eq!(corrected("ilter"), Some(vec!["filter".to_owned()]));
        assert_eq!(corrected("ortor"), Some(vec!["rotor".to_owned()]));
        assert_eq!(corrected("hermostat"), Some(vec!["thermostat".to_owned()]));
        assert_eq!(corrected("right"), None, "not light");
        assert_eq!(corrected("trims"), None, "not rims");
    }

    #[test]
    fn a_word_of_eight_letters_or_more_may_have_two_typos() {
        assert_eq!(corrected("trnasmision"), Some(vec!["transmission".to_owned()]));
        let alternator = corrected("alternatrp").expect("a correction");
        assert!(alternator.contains(&"alternator".to_owned()), "{alternator:?}");
        // Seven letters: one typo only (elantra with two swaps).
        assert_eq!(corrected("elnatar"), None);
    }

    #[test]
    fn a_typo_equally_close_to_two_different_things_is_not_guessed() {
        // pado: Prado with a letter dropped, or pads with one replaced.
        assert_eq!(corrected("pado"), None);
        // sonta: Sonata or the santa of Santa Fe.
        assert_eq!(corrected("sonta"), None);
        assert_eq!(matched(&["sonta"]), None);
    }

    #[test]
    fn a_weak_reading_is_trusted_only_beside_a_word_typed_right() {
        assert_eq!(matched(&["fuel", "upmp"]).map(|m| (m.len, m.target)), Some((2, category("fuel-pump"))));
        assert_eq!(matched(&["كمبرس", "مكيف"]).map(|m| m.target), Some(category("ac-compressor")));
        assert_eq!(matched(&["كمبرس"]), None);
        // Both words weak: nothing typed right to go by.
        assert_eq!(matched(&["fule", "upmp"]), None);
    }

    #[test]
    fn a_phrase_typed_without_its_spaces_is_matched_whole_and_is_no_typo() {
        let word = lexicon().query_word("clutchset");
        assert!(!word.is_typo());
        assert_eq!(matched(&["clutchset"]).map(|m| (m.len, m.target)), Some((1, category("clutch-kit"))));
        // Only part of a longer phrase glued.
        assert_eq!(matched(&["engine", "oilfilter"]).map(|m| (m.len, m.target)), Some((2, category("oil-filter"))));
        assert_eq!(matched(&["brake", "padset"]).map(|m| (m.len, m.target)), Some((2, category("brake-pads"))));
        // A typo in a glued phrase.
        assert_eq!(matched(&["clutchsett"]).map(|m| m.target), Some(category("clutch-kit")));
    }

    #[test]
    fn a_phrase_with_the_space_moved_is_matched_whole() {
        assert_eq!(matched(&["sidem", "irror"]).map(|m| (m.len, m.target)), Some((2, category("side-mirror"))));
        assert_eq!(matched(&["engine", "oi", "lfilter"]).map(|m| (m.len, m.target)), Some((3, category("oil-filter"))));
        // Two words of the vocabulary are taken as typed.
        assert_eq!(matched(&["brake", "pads"]).map(|m| m.len), Some(2));
    }

    #[test]
    fn a_clitic_glued_to_a_phrase_written_with_a_space_is_read_off() {
        let word = lexicon().query_word("لاف150");
        assert!(word.forms().contains(&"اف150".to_owned()), "{word:?}");
        let f150 = model("Ford", "F-150");
        assert_eq!(matched(&["لاف150"]).map(|m| m.target), Some(f150));
        // Too short to strip alone, the clitic goes when the phrase goes on.
        assert_eq!(lexicon().query_word("لاف").weak_forms(), ["اف"]);
        assert_eq!(matched(&["لاف", "150"]).map(|m| (m.len, m.target)), Some((2, f150)));
        assert_eq!(matched(&["لاف"]), None);
    }

    #[test]
    fn latin_phrases_with_digits_typed_without_spaces_are_vocabulary_codes() {
        assert!(lexicon().is_vocabulary_code("o2sensor"));
        assert!(lexicon().is_vocabulary_code("5series"));
        assert!(!lexicon().is_vocabulary_code("o2"));
    }

    #[test]
    fn no_phrase_typed_without_its_spaces_names_two_things() {
        let ambiguous = lexicon().ambiguous_glued_phrases();
        assert!(ambiguous.is_empty(), "{ambiguous:?}");
    }
}
