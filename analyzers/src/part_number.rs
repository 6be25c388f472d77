//! Part numbers: recognising them in text and indexing them so that any way of
//! typing one finds it.
//!
//! OEM and aftermarket numbers are typed with dashes, spaces, dots or nothing
//! between their groups, in any case and in either digit script: `04152-YZZA1`,
//! `04152 YZZA1`, `04152yzza1`, `٠٤١٥٢-YZZA1`, `A271 180 01 09`. They all meet
//! on one compact form (`04152yzza1`). The part-number field indexes that form,
//! its groups, and its prefixes of at least four characters, all at one
//! position; a query looks up `compact(number)` as a single term and finds
//! the number whole, by its leading groups (`04152-`), or by a group.
//!
//! Free text (a title, a query) also holds model years, engine sizes, prices,
//! phone numbers and car names such as `F-150` or `RAV4`. Recognition is
//! therefore a set of conservative rules, written down in
//! [`extract_part_numbers`](crate::extract_part_numbers).

use tantivy_tokenizer_api::{Token, TokenStream};

use crate::known_words::KnownWords;
use crate::normalizer::{fold_digit, is_removed};

/// Shortest prefix of a compact number that is indexed.
const MIN_PREFIX: usize = 4;
/// Shortest group of a multi-group number indexed on its own.
const MIN_GROUP: usize = 3;
/// Longest compact number considered; longer runs are not part numbers.
const MAX_COMPACT: usize = 40;
/// Longest group that may be joined to its neighbours across a space.
const MAX_SPACED_GROUP: usize = 6;
/// Longest group of letters only that may be part of a spaced number.
const MAX_SPACED_LETTERS: usize = 5;
/// Longest group of letters only that may sit between groups of digits.
const MAX_INNER_LETTERS: usize = 3;
/// Words that label a number or sit next to one, never part of one.
const NOT_A_GROUP: [&str; 24] = [
    "and", "or", "for", "the", "new", "oem", "set", "kit", "fit", "pcs", "pc", "to", "of", "vs", "ref", "no", "nr",
    "pn", "qty", "x", "sar", "usd", "lh", "rh",
];
/// Units that turn a number into a measurement (`2000cc`, `70ah`, `12.5mm`).
const UNITS: [&str; 15] = ["cc", "ah", "mah", "v", "w", "kw", "hp", "l", "mm", "cm", "km", "kg", "nm", "psi", "rpm"];

/// Returns the compact form of a part number: ASCII letters (lowercased) and
/// digits only, with Arabic-Indic, Persian and full-width digits converted.
///
/// `compact("٠٤١٥٢-YZZA1") == "04152yzza1"`.
pub fn compact(text: &str) -> String {
    text.chars().filter_map(fold_part_char).collect()
}

/// Returns the compact forms of the part numbers found in free `text`, in
/// order of appearance and without repeats; `words` are the known words and
/// car names that are not numbers.
pub(crate) fn part_numbers_in<K: KnownWords + ?Sized>(text: &str, words: &K) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for number in find_part_numbers(text, Strictness::FreeText, words) {
        if !out.contains(&number.compact) {
            out.push(number.compact);
        }
    }
    out
}

/// How sure the caller is that the text holds part numbers.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Strictness {
    /// Titles and queries: only what cannot be anything else.
    FreeText,
    /// A field meant for part numbers: anything with a digit that is not a
    /// model year.
    PartNumberField,
}

/// A part number found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FoundNumber {
    /// Byte span of the number in the text.
    pub(crate) from: usize,
    pub(crate) to: usize,
    pub(crate) compact: String,
    /// Byte spans and compact text of its groups.
    groups: Vec<(usize, usize, String)>,
}

fn fold_part_char(c: char) -> Option<char> {
    match c {
        'a'..='z' | '0'..='9' => Some(c),
        'A'..='Z' => Some(c.to_ascii_lowercase()),
        '\u{FF10}'..='\u{FF19}' => char::from_u32(c as u32 - 0xFF10 + u32::from(b'0')),
        '\u{FF21}'..='\u{FF3A}' => char::from_u32(c as u32 - 0xFF21 + u32::from(b'a')),
        '\u{FF41}'..='\u{FF5A}' => char::from_u32(c as u32 - 0xFF41 + u32::from(b'a')),
        _ => fold_digit(c),
    }
}

fn is_hard_joiner(c: char) -> bool {
    matches!(c, '-' | '.' | '_' | '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE63}' | '\u{FF0D}')
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\u{00A0}' | '\u{202F}' | '\u{3000}')
}

/// A run of letters and digits.
#[derive(Debug)]
struct Group {
    from: usize,
    to: usize,
    text: String,
    digits: usize,
    /// Every letter was typed upper case.
    upper: bool,
    /// Touches a letter of another script (`راف4`, `2019م`).
    glued: bool,
}

impl Group {
    fn is_year(&self) -> bool {
        self.digits == 4 && self.text.len() == 4 && self.text.parse::<u16>().is_ok_and(|y| (1950..=2035).contains(&y))
    }

    fn is_letters(&self) -> bool {
        self.digits == 0
    }
}

/// What separates a group from the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gap {
    /// One dash, dot or underscore (invisible controls aside).
    Joiner(char),
    /// One space.
    Space,
    /// Anything else.
    Break,
}

/// Groups joined by dashes, dots or underscores.
#[derive(Debug)]
struct Chain {
    /// Index range into the groups.
    first: usize,
    last: usize,
    /// Ends with a dash and nothing after it (`04152-`).
    dangling: bool,
    /// Joined to the next chain by one space.
    space_after: bool,
}

fn scan_groups(text: &str) -> (Vec<Group>, Vec<Gap>, Vec<bool>) {
    let mut groups: Vec<Group> = Vec::new();
    let mut current: Option<Group> = None;
    let mut previous: Option<char> = None;
    for (offset, c) in text.char_indices() {
        if let Some(folded) = fold_part_char(c) {
            let group = current.get_or_insert_with(|| Group {
                from: offset,
                to: offset,
                text: String::new(),
                digits: 0,
                upper: true,
                glued: previous.is_some_and(char::is_alphanumeric),
            });
            group.text.push(folded);
            group.to = offset + c.len_utf8();
            if folded.is_ascii_digit() {
                group.digits += 1;
            } else if !c.is_uppercase() {
                group.upper = false;
            }
        } else if !is_removed(c) {
            if let Some(mut group) = current.take() {
                group.glued |= c.is_alphanumeric();
                groups.push(group);
            }
            previous = Some(c);
        }
    }
    groups.extend(current);

    let mut gaps = Vec::with_capacity(groups.len());
    let mut trailing_joiner = Vec::with_capacity(groups.len());
    for (i, group) in groups.iter().enumerate() {
        let end = groups.get(i + 1).map_or(text.len(), |next| next.from);
        let mut between = text[group.to..end].chars().filter(|&c| !is_removed(c));
        let first = between.next();
        let second = between.next();
        gaps.push(match (first, second) {
            (Some(c), None) if i + 1 < groups.len() && is_hard_joiner(c) => Gap::Joiner(c),
            (Some(c), None) if i + 1 < groups.len() && is_space(c) => Gap::Space,
            _ => Gap::Break,
        });
        // A dot after a number ends a sentence more often than it opens a group.
        let dash = first.is_some_and(|c| is_hard_joiner(c) && c != '.');
        trailing_joiner.push(dash && second.is_none_or(|c| !c.is_alphanumeric()));
    }
    (groups, gaps, trailing_joiner)
}

fn build_chains(groups: &[Group], gaps: &[Gap], trailing_joiner: &[bool]) -> Vec<Chain> {
    let mut chains = Vec::new();
    let mut first = 0;
    for i in 0..groups.len() {
        let label = groups[i].is_letters() && NOT_A_GROUP.contains(&groups[i].text.as_str());
        let joined = matches!(gaps[i], Gap::Joiner(_)) && !label;
        if !joined {
            chains.push(Chain { first, last: i, dangling: trailing_joiner[i], space_after: gaps[i] == Gap::Space });
            first = i + 1;
        }
    }
    chains
}

/// How a chain may take part in a number written with spaces between groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spaced {
    /// A short group with a digit.
    Digits,
    /// A short group of letters that is no known word (the `PLM` of
    /// `15400 PLM A02`, the `DA` of `8LBT 61808 DA`).
    Letters,
    No,
}

struct Recognizer<'a, K: ?Sized> {
    groups: &'a [Group],
    gaps: &'a [Gap],
    words: &'a K,
    strictness: Strictness,
}

impl<K: KnownWords + ?Sized> Recognizer<'_, K> {
    fn compact(&self, first: usize, last: usize) -> String {
        self.groups[first..=last].iter().map(|g| g.text.as_str()).collect()
    }

    fn spaced(&self, chain: &Chain) -> Spaced {
        if chain.first != chain.last {
            return Spaced::No;
        }
        let group = &self.groups[chain.first];
        if group.glued || group.text.len() > MAX_SPACED_GROUP {
            return Spaced::No;
        }
        if group.is_letters() {
            let word = group.text.as_str();
            // Single letters are Ford suffixes far more often than words.
            let known = word.len() > 1 && self.words.is_known(word);
            if word.len() <= MAX_SPACED_LETTERS && !NOT_A_GROUP.contains(&word) && !known {
                return Spaced::Letters;
            }
            return Spaced::No;
        }
        // Two-digit "measurements" (84CM) are as often random groups.
        let measurement = group.digits >= 3 && is_measurement(&group.text);
        if group.is_year() || self.words.is_vocabulary_code(&group.text) || measurement {
            return Spaced::No;
        }
        Spaced::Digits
    }

    fn accepts_chain(&self, chain: &Chain) -> bool {
        let groups = &self.groups[chain.first..=chain.last];
        if groups.iter().any(|g| g.glued) {
            return false;
        }
        let compact = self.compact(chain.first, chain.last);
        let len = compact.len();
        if !(MIN_PREFIX..=MAX_COMPACT).contains(&len) {
            return false;
        }
        let digits: usize = groups.iter().map(|g| g.digits).sum();
        let all_digits = digits == len;
        if all_digits && groups.iter().any(Group::is_year) {
            return false;
        }
        if self.strictness == Strictness::PartNumberField {
            return digits > 0 || (groups.len() > 1 && groups.iter().all(|g| g.text.len() >= 4));
        }
        if self.words.is_vocabulary_code(&compact) || is_measurement(&compact) {
            return false;
        }
        if digits == 0 {
            // All-letter numbers exist (Nissan); only typed in capitals and in
            // long groups are they told apart from hyphenated words.
            return groups.len() > 1 && groups.iter().all(|g| g.upper && g.text.len() >= 4);
        }
        if all_digits {
            if groups.len() == 2 && self.joiner_after(chain.first) == Some('.') {
                return false;
            }
            let enough = if groups.len() == 1 { 6 } else { 5 };
            return (len >= enough || (chain.dangling && len >= MIN_PREFIX)) && !is_mobile_number(&compact);
        }
        if groups.len() == 1 {
            let letters_end = compact.find(|c: char| c.is_ascii_digit()).unwrap_or(len);
            let (letters, number) = compact.split_at(letters_end);
            let number_only = number.bytes().all(|b| b.is_ascii_digit());
            if number_only && number.len() <= 4 && self.words.is_known(letters) {
                return false;
            }
        }
        true
    }

    fn joiner_after(&self, group: usize) -> Option<char> {
        match self.gaps[group] {
            Gap::Joiner(c) => Some(c),
            Gap::Space | Gap::Break => None,
        }
    }

    fn accepts_spaced(&self, chains: &[Chain]) -> bool {
        let groups: Vec<&Group> = chains.iter().map(|c| &self.groups[c.first]).collect();
        let compact: String = groups.iter().map(|g| g.text.as_str()).collect();
        let len = compact.len();
        if !(6..=MAX_COMPACT).contains(&len) || self.words.is_vocabulary_code(&compact) {
            return false;
        }
        if groups.iter().all(|g| g.digits == g.text.len()) {
            let enough = match groups.len() {
                2 => len >= 8 && groups.iter().all(|g| g.text.len() >= 3),
                _ => len >= 7,
            };
            return enough && !is_mobile_number(&compact);
        }
        true
    }

    fn found(&self, first: usize, last: usize) -> FoundNumber {
        let groups = &self.groups[first..=last];
        FoundNumber {
            from: groups[0].from,
            to: groups[groups.len() - 1].to,
            compact: self.compact(first, last),
            groups: groups.iter().map(|g| (g.from, g.to, g.text.clone())).collect(),
        }
    }
}

/// Finds the part numbers of `text`, with their spans; `words` are the known
/// words and car names that are not numbers.
pub(crate) fn find_part_numbers<K: KnownWords + ?Sized>(
    text: &str,
    strictness: Strictness,
    words: &K,
) -> Vec<FoundNumber> {
    let (groups, gaps, trailing_joiner) = scan_groups(text);
    let chains = build_chains(&groups, &gaps, &trailing_joiner);
    let recognizer = Recognizer { groups: &groups, gaps: &gaps, words, strictness };
    let mut found = Vec::new();
    let mut i = 0;
    while i < chains.len() {
        // The longest run of short groups joined by single spaces.
        let mut end = i;
        while recognizer.spaced(&chains[end]) != Spaced::No
            && chains[end].space_after
            && end + 1 < chains.len()
            && recognizer.spaced(&chains[end + 1]) != Spaced::No
        {
            end += 1;
        }
        let letters = |k: usize| recognizer.spaced(&chains[k]) == Spaced::Letters;
        // Letters in front of a number are a brand or a label (NGK BKR6E).
        let mut first = i;
        while first < end && letters(first) {
            first += 1;
        }
        let mut last = end;
        while last > first && letters(last) {
            last -= 1;
        }
        let inner_ok =
            (first..last).all(|k| !letters(k) || recognizer.groups[chains[k].first].text.len() <= MAX_INNER_LETTERS);
        // Letters after a number are its last group (8LBT 61808 DA, 49899 VZA
        // YUF) only when typed in capitals after a long group of digits; such
        // a tail also vouches for capitals in front (CGJA 66614 B).
        let long_digits = (first..=last).any(|k| {
            let group = &recognizer.groups[chains[k].first];
            group.digits == group.text.len() && group.digits >= 5
        });
        let upper = |k: usize| recognizer.groups[chains[k].first].upper;
        if long_digits && last < end && (last + 1..=end).all(upper) {
            last = end;
            while first > i && upper(first - 1) {
                first -= 1;
            }
        }
        let run = &chains[first..=last];
        if run.len() > 1 && inner_ok && recognizer.accepts_spaced(run) {
            for chain in &chains[i..first] {
                if recognizer.accepts_chain(chain) {
                    found.push(recognizer.found(chain.first, chain.last));
                }
            }
            found.push(recognizer.found(run[0].first, run[run.len() - 1].last));
            for chain in &chains[last + 1..=end] {
                if recognizer.accepts_chain(chain) {
                    found.push(recognizer.found(chain.first, chain.last));
                }
            }
        } else {
            for chain in &chains[i..=end] {
                if recognizer.accepts_chain(chain) {
                    found.push(recognizer.found(chain.first, chain.last));
                }
            }
        }
        i = end + 1;
    }
    found
}

/// Whether a compact number is a measurement: digits and a unit (`2000cc`,
/// `125mm`), or an oil grade (`5w30`).
fn is_measurement(compact: &str) -> bool {
    let digits_end = compact.find(|c: char| !c.is_ascii_digit()).unwrap_or(compact.len());
    if digits_end == 0 {
        return false;
    }
    let (number, rest) = compact.split_at(digits_end);
    if number.len() <= 6 && UNITS.contains(&rest) {
        return true;
    }
    let grade = rest.strip_prefix('w');
    number.len() <= 2 && grade.is_some_and(|g| g.len() == 2 && g.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether a compact all-digit string is a Saudi mobile number, which sellers
/// put in titles and which has the shape of a long part number.
fn is_mobile_number(compact: &str) -> bool {
    let local = compact.strip_prefix("00966").or_else(|| compact.strip_prefix("966")).map(|rest| format!("0{rest}"));
    let local = local.as_deref().unwrap_or(compact);
    local.len() == 10 && local.starts_with("05") && local.bytes().all(|b| b.is_ascii_digit())
}

/// The tokens of a part-number field: every number becomes one position
/// holding its compact form, its prefixes of four characters or more, and its
/// groups of three characters or more. Kept from one text to the next, so the
/// buffer is allocated once.
#[derive(Clone, Default)]
pub(crate) struct PartNumberTokens {
    tokens: Vec<Token>,
    empty: Token,
}

/// Token stream produced by [`PartNumberTokenizer`](crate::PartNumberTokenizer).
pub struct PartNumberTokenStream<'a> {
    tokens: &'a mut [Token],
    empty: &'a mut Token,
    next: usize,
}

impl PartNumberTokens {
    /// Streams the tokens of the part numbers of `text`; `words` are the known
    /// words and car names that are not numbers.
    pub(crate) fn token_stream<'a, K: KnownWords + ?Sized>(
        &'a mut self,
        text: &str,
        words: &K,
    ) -> PartNumberTokenStream<'a> {
        self.tokens.clear();
        let numbers = find_part_numbers(text, Strictness::PartNumberField, words);
        for (position, number) in numbers.into_iter().enumerate() {
            push_number_tokens(&mut self.tokens, position, number);
        }
        PartNumberTokenStream { tokens: &mut self.tokens, empty: &mut self.empty, next: 0 }
    }
}

fn push_number_tokens(tokens: &mut Vec<Token>, position: usize, number: FoundNumber) {
    let start = tokens.len();
    let push = |tokens: &mut Vec<Token>, text: &str, from: usize, to: usize| {
        if tokens[start..].iter().all(|t| t.text != text) {
            tokens.push(Token {
                offset_from: from,
                offset_to: to,
                position,
                text: text.to_owned(),
                position_length: 1,
            });
        }
    };
    push(tokens, &number.compact, number.from, number.to);
    for len in MIN_PREFIX..number.compact.len() {
        push(tokens, &number.compact[..len], number.from, number.to);
    }
    if number.groups.len() > 1 {
        for (from, to, group) in &number.groups {
            if group.len() >= MIN_GROUP {
                push(tokens, group, *from, *to);
            }
        }
    }
}

impl TokenStream for PartNumberTokenStream<'_> {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        self.next.checked_sub(1).map_or(&*self.empty, |i| &self.tokens[i])
    }

    fn token_mut(&mut self) -> &mut Token {
        match self.next.checked_sub(1) {
            Some(i) => &mut self.tokens[i],
            None => self.empty,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PartNumberTokenizer, extract_part_numbers};
    use proptest::prelude::*;
    use tantivy_tokenizer_api::Tokenizer;

    fn field_tokens(text: &str) -> Vec<(String, usize)> {
        let mut tokenizer = PartNumberTokenizer::default();
        let mut stream = tokenizer.token_stream(text);
        let mut out = Vec::new();
        while let Some(token) = stream.next() {
            out.push((token.text.clone(), token.position));
        }
        out
    }

    fn field_terms(text: &str) -> Vec<String> {
        field_tokens(text).into_iter().map(|(t, _)| t).collect()
    }

    #[test]
    fn compact_keeps_lowercase_ascii_letters_and_digits_from_any_script() {
        assert_eq!(compact("04152-YZZA1"), "04152yzza1");
        assert_eq!(compact("٠٤١٥٢-YZZA1"), "04152yzza1");
        assert_eq!(compact("۰۴۱۵۲ yzza1"), "04152yzza1");
        assert_eq!(compact("A271 180 01 09"), "a2711800109");
        assert_eq!(compact("ＢＫＲ６Ｅ"), "bkr6e");
        assert_eq!(compact("رقم: 90919.01253"), "9091901253");
        assert_eq!(compact(""), "");
    }

    #[test]
    fn every_typing_of_a_number_is_found_with_the_same_compact_form() {
        for typed in ["04152-YZZA1", "04152 YZZA1", "04152yzza1", "٠٤١٥٢-YZZA1", "04152_yzza1", "04152–YZZA1"] {
            assert_eq!(extract_part_numbers(typed), ["04152yzza1"], "{typed}");
        }
    }

    #[test]
    fn numbers_written_in_spaced_groups_are_found_whole() {
        assert_eq!(extract_part_numbers("فحمات A271 180 01 09 مرسيدس"), ["a2711800109"]);
        assert_eq!(extract_part_numbers("Bosch 0 986 452 041 oil filter"), ["0986452041"]);
        assert_eq!(extract_part_numbers("BMW 11 42 7 953 129"), ["11427953129"]);
        assert_eq!(extract_part_numbers("Varta 574 012 068 battery"), ["574012068"]);
        assert_eq!(extract_part_numbers("Brembo P83 024"), ["p83024"]);
        assert_eq!(extract_part_numbers("Honda 15400 PLM A02"), ["15400plma02"]);
    }

    #[test]
    fn aftermarket_and_oem_formats_from_the_catalog_are_found() {
        for (typed, expected) in [
            ("BKR6E", "bkr6e"),
            ("ILZKR7EIX", "ilzkr7eix"),
            ("K16R-U", "k16ru"),
            ("SK20HR-A8", "sk20hra8"),
            ("W712", "w712"),
            ("OC123", "oc123"),
            ("GDB1234", "gdb1234"),
            ("MD123456", "md123456"),
            ("1234A567", "1234a567"),
            ("12345678", "12345678"),
            ("334001", "334001"),
            ("FL3Z-12345-AB", "fl3z12345ab"),
            ("PE01-14-302A", "pe0114302a"),
            ("15208-65F0A", "1520865f0a"),
            ("26300-35505", "2630035505"),
            ("12-345", "12345"),
        ] {
            assert_eq!(extract_part_numbers(typed), [expected], "{typed}");
        }
    }

    #[test]
    fn model_years_and_year_ranges_are_not_part_numbers() {
        assert!(extract_part_numbers("فلتر زيت كامري 2019").is_empty());
        assert!(extract_part_numbers("Oil Filter Toyota Camry 2012-2017").is_empty());
        assert!(extract_part_numbers("من ٢٠١٢ إلى ٢٠١٧").is_empty());
        assert!(extract_part_numbers("2012 - 2017 2019م").is_empty());
    }

    #[test]
    fn a_year_next_to_a_spaced_number_stays_out_of_it() {
        assert_eq!(extract_part_numbers("كامري 2019 04152 YZZA1"), ["04152yzza1"]);
        assert_eq!(extract_part_numbers("04152 YZZA1 2019"), ["04152yzza1"]);
    }

    #[test]
    fn car_names_with_digits_are_not_part_numbers() {
        for text in ["F-150", "f150", "CX-9", "X5", "RAV4", "rav 4", "LX570", "ES350", "Mazda6", "راف4", "مازدا٦"]
        {
            assert!(extract_part_numbers(text).is_empty(), "{text}");
        }
        assert!(extract_part_numbers("camry2019").is_empty());
        assert!(extract_part_numbers("E350").is_empty());
    }

    #[test]
    fn plain_numbers_measurements_and_phones_are_not_part_numbers() {
        for text in [
            "150",
            "1500 ريال",
            "12345",
            "2.5",
            "2.5L",
            "12.5mm",
            "2000cc",
            "70Ah",
            "5W30",
            "10w-40",
            "0555123456",
            "+966555123456",
            "+966 55 512 3456",
            "00966555123456",
            "1.500",
        ] {
            assert!(extract_part_numbers(text).is_empty(), "{text}");
        }
    }

    #[test]
    fn capital_letter_groups_after_a_long_digit_group_end_the_number() {
        assert_eq!(extract_part_numbers("radiator F-150 8LBT 61808 DA"), ["8lbt61808da"]);
        assert_eq!(extract_part_numbers("starter CGJA 66614 B"), ["cgja66614b"]);
        assert_eq!(extract_part_numbers("دعامية 49899 VZA YUF"), ["49899vzayuf"]);
        // Lowercase words or vocabulary words after a number stay words.
        assert_eq!(extract_part_numbers("90919 01253 lh"), ["9091901253"]);
        assert_eq!(extract_part_numbers("04152 YZZA1 LX"), ["04152yzza1"]);
        assert_eq!(extract_part_numbers("BOSCH 0 986 452 041"), ["0986452041"]);
    }

    #[test]
    fn words_and_labels_around_a_number_are_not_part_of_it() {
        assert_eq!(extract_part_numbers("NGK BKR6E"), ["bkr6e"]);
        assert_eq!(extract_part_numbers("New 04152 YZZA1 for Camry"), ["04152yzza1"]);
        assert_eq!(extract_part_numbers("No.90919-01253"), ["9091901253"]);
        assert_eq!(extract_part_numbers("oil filter a/c filter x-trail pre-owned"), Vec::<String>::new());
    }

    #[test]
    fn several_numbers_in_one_text_are_found_in_order_without_repeats() {
        let text = "رقم القطعة: 04152-YZZA1 / 04152-31090، بديل 04152YZZA1";
        assert_eq!(extract_part_numbers(text), ["04152yzza1", "0415231090"]);
        assert_eq!(extract_part_numbers("04152-YZZA1 90915-YZZD4"), ["04152yzza1", "90915yzzd4"]);
    }

    #[test]
    fn a_trailing_dash_marks_a_number_prefix() {
        assert_eq!(extract_part_numbers("04152-"), ["04152"]);
        assert!(extract_part_numbers("04152").is_empty());
    }

    #[test]
    fn all_letter_numbers_are_taken_only_in_capitals() {
        assert_eq!(extract_part_numbers("KHRPL-ZXMNW"), ["khrplzxmnw"]);
        assert!(extract_part_numbers("wheel-drive").is_empty());
    }

    #[test]
    fn numbers_glued_to_arabic_letters_are_left_to_the_text() {
        assert!(extract_part_numbers("قطعة04152YZZA1").is_empty());
    }

    #[test]
    fn the_field_tokenizer_indexes_compact_form_prefixes_and_groups_at_one_position() {
        let tokens = field_tokens("04152-YZZA1");
        assert!(tokens.iter().all(|(_, position)| *position == 0));
        let terms: Vec<String> = tokens.into_iter().map(|(t, _)| t).collect();
        assert_eq!(terms, ["04152yzza1", "0415", "04152", "04152y", "04152yz", "04152yzz", "04152yzza", "yzza1"]);
    }

    #[test]
    fn every_typing_of_a_number_gives_the_field_its_compact_form() {
        for typed in ["04152-YZZA1", "04152 YZZA1", "04152yzza1", "٠٤١٥٢-YZZA1"] {
            assert_eq!(field_terms(typed)[0], "04152yzza1", "{typed}");
        }
    }

    #[test]
    fn the_field_accepts_short_and_plain_numbers_but_not_years() {
        assert_eq!(field_terms("04152"), ["04152", "0415"]);
        assert_eq!(field_terms("04152-"), ["04152", "0415"]);
        assert_eq!(field_terms("1234"), ["1234"]);
        assert!(field_terms("2019").is_empty());
        assert!(field_terms("2012-2017").is_empty());
        assert!(field_terms("فلتر زيت").is_empty());
    }

    #[test]
    fn each_number_of_a_list_gets_its_own_position() {
        let tokens = field_tokens("04152-YZZA1, 90919-01253; MD123456");
        let positions: Vec<usize> = tokens.iter().map(|(_, p)| *p).collect();
        assert_eq!(positions.first(), Some(&0));
        assert_eq!(positions.last(), Some(&2));
        assert!(positions.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn an_empty_stream_has_a_token_to_show_before_advancing() {
        let mut tokenizer = PartNumberTokenizer::default();
        let mut stream = tokenizer.token_stream("");
        assert_eq!(stream.token().text, "");
        assert!(!stream.advance());
    }

    #[test]
    fn overlong_digit_runs_are_not_numbers() {
        assert!(field_terms(&"1".repeat(MAX_COMPACT + 1)).is_empty());
    }

    proptest! {
        #[test]
        fn extraction_never_panics_and_yields_compact_numbers(text in any::<String>()) {
            for number in extract_part_numbers(&text) {
                prop_assert!(number.len() >= MIN_PREFIX && number.len() <= MAX_COMPACT);
                prop_assert!(number.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase()));
            }
        }

        #[test]
        fn field_tokens_lie_within_the_text_in_order(
            text in "([0-9A-Za-z٠-٩]{1,6}[- ._/،,]?){0,12}"
        ) {
            let mut tokenizer = PartNumberTokenizer::default();
            let mut stream = tokenizer.token_stream(&text);
            let mut last = (0, 0);
            while let Some(token) = stream.next() {
                prop_assert!(!token.text.is_empty());
                prop_assert!(token.offset_from < token.offset_to && token.offset_to <= text.len());
                prop_assert!(text.is_char_boundary(token.offset_from) && text.is_char_boundary(token.offset_to));
                prop_assert!((token.position, token.offset_from) >= last);
                last = (token.position, token.offset_from);
            }
        }

        #[test]
        fn a_number_is_found_the_same_whatever_its_separators(
            groups in proptest::collection::vec("[0-9]{2,3}[A-Z]{1,2}[0-9]", 2..4),
            separator in "[- .]",
        ) {
            let dashed = groups.join("-");
            let typed = groups.join(separator.as_str());
            prop_assert_eq!(extract_part_numbers(&typed), extract_part_numbers(&dashed));
            prop_assert_eq!(extract_part_numbers(&dashed), vec![compact(&dashed)]);
        }
    }
}
