//! Edit distance and the indexes that find the vocabulary words near a typo.
//!
//! Shoppers type fast on phones: a letter dropped (`yris`), doubled
//! (`frontt`), replaced, or two neighbours swapped (`barke`). The distance used
//! is Damerau's in its optimal-string-alignment form, where swapping two
//! adjacent letters costs one edit, as it costs one slip of the fingers.
//!
//! Scanning the whole vocabulary for every unknown query word would cost a
//! distance computation per entry. For one edit, every vocabulary word is
//! indexed under each string left after deleting one of its letters (its
//! deletion neighbourhood, as in SymSpell): two words one edit apart always
//! share such a string (or are it), so a query word looks up its own
//! deletions and gets a short list of candidates, which the true distance then
//! confirms. Two edits would need every pair of deletions, some fifty lookups
//! for a ten-letter word into a table ten times larger; the few long words
//! that may be two edits away are instead listed by their first letters and
//! screened by length and by the set of letters they use.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Damerau-Levenshtein distance (optimal string alignment: insertions,
/// deletions, substitutions and swaps of adjacent characters, each counting
/// one) between `a` and `b`, or `None` when it exceeds `max`.
pub(crate) fn edit_distance(a: &[char], b: &[char], max: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    // Three rows (the one being filled and the two above it: swaps look two
    // back), on the stack for words of ordinary length.
    let width = b.len() + 1;
    let mut on_stack = [0; 3 * (STACK_WORD_CHARS + 1)];
    let mut on_heap = Vec::new();
    let rows = if width <= STACK_WORD_CHARS + 1 {
        &mut on_stack[..3 * width]
    } else {
        on_heap.resize(3 * width, 0);
        &mut on_heap[..]
    };
    let (mut before, mut above, mut row) = (0, width, 2 * width);
    for (j, cell) in rows[above..above + width].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        rows[row] = i;
        let mut row_min = i;
        for j in 1..width {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[above + j] + 1).min(rows[row + j - 1] + 1).min(rows[above + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[before + j - 2] + 1);
            }
            rows[row + j] = d;
            row_min = row_min.min(d);
        }
        // Every later cell is at least the smallest of this row.
        if row_min > max {
            return None;
        }
        (before, above, row) = (above, row, before);
    }
    let distance = rows[above + b.len()];
    (distance <= max).then_some(distance)
}

/// Longest word whose distance rows fit on the stack.
const STACK_WORD_CHARS: usize = 32;

/// Words indexed by their deletion neighbourhoods.
#[derive(Debug, Default)]
pub(crate) struct DeletionIndex {
    buckets: HashMap<String, Vec<u32>, BuildHasherDefault<WordHasher>>,
}

/// A fast, non-cryptographic hasher for the indexes (the multiply-rotate hash
/// of Firefox and rustc). Every unknown query word looks up one deletion
/// string per letter, and SipHash, the default, would cost more than the
/// rest of the correction. The tables hold only vocabulary keys, fixed at
/// build time, so a query crafted to collide cannot grow them: it only ever
/// probes chains the vocabulary made.
#[derive(Debug, Default, Clone, Copy)]
struct WordHasher {
    hash: u64,
}

impl WordHasher {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

impl DeletionIndex {
    /// Indexes word number `id` under every string made by deleting up to
    /// `depth` of its characters (the word itself included).
    pub(crate) fn insert(&mut self, id: u32, word: &str, depth: usize) {
        for_each_deletion(word, depth, &mut |key| {
            let ids = self.buckets.entry(key.to_owned()).or_default();
            // A word with a doubled letter yields the same key twice.
            if ids.last() != Some(&id) {
                ids.push(id);
            }
        });
    }

    /// Appends to `out` the ids of the words sharing a deletion string with
    /// `word` deleted up to `depth` times: a superset of the words within
    /// `depth` edits that were indexed at least as deep; sorted, without
    /// repeats.
    pub(crate) fn candidates(&self, word: &str, depth: usize, out: &mut Vec<u32>) {
        for_each_deletion(word, depth, &mut |key| {
            if let Some(ids) = self.buckets.get(key) {
                out.extend_from_slice(ids);
            }
        });
        out.sort_unstable();
        out.dedup();
    }
}

/// A 64-bit set of the letters of `word` (each letter's code point modulo
/// 64). One edit changes at most two members (a substitution removes one
/// letter and adds another), so words `d` edits apart differ in at most `2d`.
pub(crate) fn letter_set(word: &[char]) -> u64 {
    word.iter().fold(0, |set, &c| set | 1 << (u32::from(c) % 64))
}

/// Words listed under their first and their second letter, with their length
/// and letter set, for a two-edit search that keeps the first letter or
/// drops or swaps it.
#[derive(Debug, Default)]
pub(crate) struct InitialIndex {
    lists: HashMap<char, Vec<Listed>, BuildHasherDefault<WordHasher>>,
}

/// A word of an [`InitialIndex`], with what the screen compares.
#[derive(Debug, Clone, Copy)]
struct Listed {
    id: u32,
    len: usize,
    letters: u64,
}

impl InitialIndex {
    /// Lists word number `id`.
    pub(crate) fn insert(&mut self, id: u32, word: &[char]) {
        let listed = Listed { id, len: word.len(), letters: letter_set(word) };
        for &initial in word.iter().take(2) {
            let list = self.lists.entry(initial).or_default();
            if list.last().is_none_or(|l| l.id != id) {
                list.push(listed);
            }
        }
    }

    /// Appends to `out` the ids of the words whose first or second letter is
    /// the first letter of `word` and whose length and letters allow them to
    /// be within `max` edits of it.
    pub(crate) fn candidates(&self, word: &[char], max: usize, out: &mut Vec<u32>) {
        let Some(list) = word.first().and_then(|initial| self.lists.get(initial)) else {
            return;
        };
        let letters = letter_set(word);
        out.extend(
            list.iter()
                .filter(|l| l.len.abs_diff(word.len()) <= max)
                .filter(|l| (l.letters ^ letters).count_ones() as usize <= 2 * max)
                .map(|l| l.id),
        );
    }
}

/// Longest word whose deletions are generated; no vocabulary word, even
/// glued into a phrase, comes near.
const MAX_DELETION_WORD_CHARS: usize = 32;

/// Calls `f` with `word` and every string made by deleting one to `depth` of
/// its characters (up to two). Words longer than
/// [`MAX_DELETION_WORD_CHARS`] only yield themselves.
fn for_each_deletion(word: &str, depth: usize, f: &mut impl FnMut(&str)) {
    f(word);
    // Byte offsets of the characters, and of the end.
    let mut bounds = [0; MAX_DELETION_WORD_CHARS + 1];
    let mut count = 0;
    for (i, (at, _)) in word.char_indices().enumerate() {
        if i == MAX_DELETION_WORD_CHARS {
            return;
        }
        bounds[i] = at;
        count = i + 1;
    }
    bounds[count] = word.len();
    if depth == 0 {
        return;
    }
    let letter = |i: usize| &word[bounds[i]..bounds[i + 1]];
    let mut buffer = String::with_capacity(word.len());
    for i in 0..count {
        // Deleting either letter of a doubled pair gives the same string.
        if i > 0 && letter(i) == letter(i - 1) {
            continue;
        }
        buffer.clear();
        buffer.push_str(&word[..bounds[i]]);
        buffer.push_str(&word[bounds[i + 1]..]);
        f(&buffer);
        if depth < 2 {
            continue;
        }
        for j in i + 1..count {
            if j > i + 1 && letter(j) == letter(j - 1) {
                continue;
            }
            buffer.clear();
            buffer.push_str(&word[..bounds[i]]);
            buffer.push_str(&word[bounds[i + 1]..bounds[j]]);
            buffer.push_str(&word[bounds[j + 1]..]);
            f(&buffer);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    fn distance(a: &str, b: &str) -> Option<usize> {
        edit_distance(&chars(a), &chars(b), 3)
    }

    #[test]
    fn a_swap_of_neighbours_costs_one_edit() {
        assert_eq!(distance("barke", "brake"), Some(1));
        assert_eq!(distance("pajreo", "pajero"), Some(1));
        assert_eq!(distance("upmp", "pump"), Some(1));
        assert_eq!(distance("abcd", "badc"), Some(2));
    }

    #[test]
    fn insertions_deletions_and_substitutions_cost_one_edit_each() {
        assert_eq!(distance("yris", "yaris"), Some(1));
        assert_eq!(distance("frontt", "front"), Some(1));
        assert_eq!(distance("camry", "carry"), Some(1));
        assert_eq!(distance("ilter", "filter"), Some(1));
        assert_eq!(distance("camry", "camry"), Some(0));
        assert_eq!(distance("alternatrp", "alternator"), Some(2));
        assert_eq!(distance("", "abc"), Some(3));
    }

    #[test]
    fn a_distance_beyond_the_limit_is_none() {
        assert_eq!(edit_distance(&chars("corolla"), &chars("coral"), 1), None);
        assert_eq!(edit_distance(&chars("camry"), &chars("cmaery"), 1), None);
        assert_eq!(edit_distance(&chars("kia"), &chars("kiaaaa"), 2), None);
    }

    #[test]
    fn the_distance_is_symmetric_and_counts_arabic_letters_as_characters() {
        assert_eq!(distance("كامرري", "كامري"), Some(1));
        assert_eq!(distance("كامري", "كامرري"), Some(1));
        assert_eq!(distance("brake", "barke"), distance("barke", "brake"));
    }

    #[test]
    fn the_index_finds_every_word_within_the_depth() {
        let words = ["pump", "pajero", "alternator", "brake", "filter"];
        let mut index = DeletionIndex::default();
        for (id, word) in words.iter().enumerate() {
            index.insert(id as u32, word, 2);
        }
        let find = |query: &str, depth: usize| {
            let mut out = Vec::new();
            index.candidates(query, depth, &mut out);
            out.iter().map(|&id| words[id as usize]).collect::<Vec<_>>()
        };
        assert!(find("upmp", 1).contains(&"pump"));
        assert!(find("pajreo", 1).contains(&"pajero"));
        assert!(find("ilter", 1).contains(&"filter"));
        assert!(find("zzzz", 2).is_empty());
    }

    #[test]
    fn the_initial_index_finds_long_words_two_edits_away_by_their_first_letters() {
        let words = ["alternator", "transmission", "thermostat", "compressor"];
        let mut index = InitialIndex::default();
        for (id, word) in words.iter().enumerate() {
            index.insert(id as u32, &chars(word));
        }
        let find = |query: &str| {
            let mut out = Vec::new();
            index.candidates(&chars(query), 2, &mut out);
            out.iter().map(|&id| words[id as usize]).collect::<Vec<_>>()
        };
        // A screen, not the distance: what passes is then measured.
        assert!(find("alternatrp").contains(&"alternator"));
        assert!(find("trnasmision").contains(&"transmission"));
        // The first letter dropped: listed under its second letter too.
        assert!(find("hermostta").contains(&"thermostat"));
        // Lengths too far apart, letters too different.
        assert!(find("thermo").is_empty());
        assert!(find("abcdefghij").is_empty());
    }

    #[test]
    fn words_a_few_edits_apart_share_most_of_their_letters() {
        let differing = |a: &str, b: &str| (letter_set(&chars(a)) ^ letter_set(&chars(b))).count_ones();
        assert_eq!(differing("brake", "barke"), 0);
        assert!(differing("alternatrp", "alternator") <= 4);
        assert!(differing("camry", "camery") <= 2);
    }
}
