//! Orthographic normalization of Arabic, Persian and Latin text.
//!
//! Sellers and shoppers write the same word in many ways: with or without
//! diacritics and tatweel, with any of the alef, yaa and taa-marbuta variants,
//! with Arabic-Indic or Persian digits, with Persian letters from a Farsi
//! keyboard, and with invisible direction marks pasted from other apps. Search
//! only works if all of them meet on one form, so the same function runs on
//! listings, on queries and on the vocabulary. The rules follow Lucene's
//! `ArabicNormalizer` and `PersianNormalizer`, with NFKC in front so that
//! presentation forms and full-width characters reach them as plain letters.

use unicode_normalization::{IsNormalized, UnicodeNormalization};

/// Returns the normalized form of `text`: NFKC, without tashkeel, tatweel and
/// format controls, with one form per Arabic letter family, ASCII digits, and
/// lowercase letters.
///
/// The function is idempotent: normalizing its output changes nothing.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    normalize_into(text, &mut out);
    out
}

/// Writes the normalized form of `text` into `out`, replacing its contents.
pub(crate) fn normalize_into(text: &str, out: &mut String) {
    out.clear();
    if text.is_ascii() {
        // ASCII is already NFKC and has nothing to fold but case.
        out.push_str(text);
        out.make_ascii_lowercase();
        return;
    }
    if text.chars().all(is_plain_arabic) {
        // Every composition among these characters joins a letter and a mark
        // that folding removes, leaving the letter that composition would
        // have folded to; NFKC cannot change the result and is skipped.
        for c in text.chars() {
            fold_char(c, out);
        }
        return;
    }
    normalize_through_nfkc(text, out);
}

fn normalize_through_nfkc(text: &str, out: &mut String) {
    let mut unsettled = fold_pass(text, out);
    // Dropping a character can unblock a canonical composition, and
    // lowercasing can yield a decomposed sequence, so the result may not be
    // NFKC yet. Another pass settles it; the bound only guards against a
    // Unicode surprise.
    let mut passes = 1;
    while unsettled && passes < 4 && !unicode_normalization::is_nfkc(out) {
        let previous = std::mem::take(out);
        unsettled = fold_pass(&previous, out);
        passes += 1;
    }
}

/// Whether `c` is ASCII, an Arabic letter, mark or digit, or a character
/// folding removes: text made only of these needs no NFKC.
fn is_plain_arabic(c: char) -> bool {
    c.is_ascii()
        || matches!(c, '\u{0621}'..='\u{065F}' | '\u{0660}'..='\u{0669}' | '\u{0670}' | '\u{06F0}'..='\u{06F9}')
        || matches!(c, 'ی' | 'ک' | 'ۀ' | 'ہ' | 'ۂ' | 'ە' | 'ے' | 'ۓ')
        || is_removed(c)
}

/// Folds the NFKC form of `text` into `out`; returns whether the output may
/// have left NFKC.
fn fold_pass(text: &str, out: &mut String) -> bool {
    // The quick check is far cheaper than running the normalizer.
    if unicode_normalization::is_nfkc_quick(text.chars()) == IsNormalized::Yes {
        text.chars().fold(false, |unsettled, c| fold_char(c, out) | unsettled)
    } else {
        text.nfkc().fold(false, |unsettled, c| fold_char(c, out) | unsettled)
    }
}

/// Folds one character into `out`; returns whether that may have broken
/// NFKC (a character dropped, or lowercased into something else).
fn fold_char(c: char, out: &mut String) -> bool {
    match c {
        // A capital before a combining mark (`J` + caron) has no composed form, its
        // lowercase may (`ǰ`): a letter that changed case may leave NFKC too.
        c if c.is_ascii() => {
            let lower = c.to_ascii_lowercase();
            out.push(lower);
            return lower != c;
        }
        c if is_removed(c) => return true,
        'أ' | 'إ' | 'آ' | 'ٱ' => out.push('ا'),
        'ى' | 'ئ' | 'ی' | 'ے' | 'ۓ' => out.push('ي'),
        'ة' | 'ۀ' | 'ە' | 'ہ' | 'ۂ' => out.push('ه'),
        'ؤ' => out.push('و'),
        'ک' => out.push('ك'),
        '٠'..='٩' => out.push(ascii_digit(c, '٠')),
        '۰'..='۹' => out.push(ascii_digit(c, '۰')),
        // Arabic has no case.
        '\u{0600}'..='\u{06FF}' => out.push(c),
        c => {
            let mut lower = c.to_lowercase();
            if let (Some(l), None) = (lower.next(), lower.next())
                && l == c
            {
                out.push(c);
            } else {
                out.extend(c.to_lowercase());
                return true;
            }
        }
    }
    false
}

/// Whether `c` is a character that carries no meaning for search: a
/// diacritic, the tatweel, or an invisible format or direction control.
pub(crate) fn is_removed(c: char) -> bool {
    matches!(
        c,
        '\u{064B}'..='\u{065F}'
            | '\u{0670}'
            | '\u{0640}'
            | '\u{00AD}'
            | '\u{061C}'
            | '\u{200C}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

fn ascii_digit(c: char, zero: char) -> char {
    let value = c as u32 - zero as u32;
    debug_assert!(value < 10);
    char::from(b'0' + value as u8)
}

/// Returns the ASCII digit a decimal digit in ASCII, Arabic-Indic or Persian
/// stands for.
pub(crate) fn fold_digit(c: char) -> Option<char> {
    match c {
        '0'..='9' => Some(c),
        '٠'..='٩' => Some(ascii_digit(c, '٠')),
        '۰'..='۹' => Some(ascii_digit(c, '۰')),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // The expectations of Lucene's TestArabicNormalizationFilter.
    #[test]
    fn alif_madda_becomes_bare_alif() {
        assert_eq!(normalize("آجن"), "اجن");
    }

    #[test]
    fn alif_hamza_above_becomes_bare_alif() {
        assert_eq!(normalize("أحمد"), "احمد");
    }

    #[test]
    fn alif_hamza_below_becomes_bare_alif() {
        assert_eq!(normalize("إعاذ"), "اعاذ");
    }

    #[test]
    fn alif_maksura_becomes_yaa() {
        assert_eq!(normalize("بنى"), "بني");
    }

    #[test]
    fn teh_marbuta_becomes_heh() {
        assert_eq!(normalize("فاطمة"), "فاطمه");
    }

    #[test]
    fn tatweel_is_removed() {
        assert_eq!(normalize("روبرـــــت"), "روبرت");
    }

    #[test]
    fn every_short_vowel_and_tanween_is_removed() {
        assert_eq!(normalize("مَبنا"), "مبنا"); // fatha
        assert_eq!(normalize("علِي"), "علي"); // kasra
        assert_eq!(normalize("بُوات"), "بوات"); // damma
        assert_eq!(normalize("ولداً"), "ولدا"); // fathatan
        assert_eq!(normalize("ولدٍ"), "ولد"); // kasratan
        assert_eq!(normalize("ولدٌ"), "ولد"); // dammatan
        assert_eq!(normalize("نلْسون"), "نلسون"); // sukun
        assert_eq!(normalize("هتميّ"), "هتمي"); // shaddah
    }

    #[test]
    fn superscript_alef_and_wasla_are_folded() {
        assert_eq!(normalize("هٰذا"), "هذا");
        assert_eq!(normalize("ٱلزيت"), "الزيت");
    }

    #[test]
    fn hamza_carriers_become_their_letters() {
        assert_eq!(normalize("مؤسسة"), "موسسه");
        assert_eq!(normalize("الطائف"), "الطايف");
    }

    // The expectations of Lucene's TestPersianNormalizationFilter.
    #[test]
    fn persian_letters_become_their_arabic_forms() {
        assert_eq!(normalize("های"), "هاي"); // farsi yeh
        assert_eq!(normalize("هاے"), "هاي"); // yeh barree
        assert_eq!(normalize("کشاندن"), "كشاندن"); // keheh
        assert_eq!(normalize("كتابۀ"), "كتابه"); // heh with yeh above
        assert_eq!(normalize("كتابهٔ"), "كتابه"); // heh with hamza above
        assert_eq!(normalize("زادہ"), "زاده"); // heh goal
    }

    #[test]
    fn arabic_indic_and_persian_digits_become_ascii() {
        assert_eq!(normalize("٢٠١٩"), "2019");
        assert_eq!(normalize("۲۰۱۹"), "2019");
        assert_eq!(normalize("٠٤١٥٢-YZZA1"), "04152-yzza1");
    }

    #[test]
    fn presentation_forms_and_full_width_letters_are_unfolded() {
        // Lam-alef ligature and isolated/final presentation forms.
        assert_eq!(normalize("ﻻﻧﺪ"), "لاند");
        assert_eq!(normalize("ＢＫＲ６Ｅ"), "bkr6e");
    }

    #[test]
    fn direction_and_joiner_controls_are_removed() {
        assert_eq!(normalize("\u{200F}كامري\u{200E}"), "كامري");
        assert_eq!(normalize("\u{202B}فلتر\u{202C} \u{2067}زيت\u{2069}"), "فلتر زيت");
        assert_eq!(normalize("كا\u{200D}مري\u{200C}\u{FEFF}"), "كامري");
    }

    #[test]
    fn latin_letters_are_lowercased_and_accents_survive() {
        assert_eq!(normalize("Toyota CAMRY"), "toyota camry");
        assert_eq!(normalize("Citroën"), "citroën");
    }

    #[test]
    fn a_listing_title_with_every_habit_normalizes_to_plain_words() {
        let title = "فَلْتــر زيــت تويوتا كامرى موديل ٢٠١٩ جديدة";
        assert_eq!(normalize(title), "فلتر زيت تويوتا كامري موديل 2019 جديده");
    }

    #[test]
    fn a_dropped_mark_that_unblocks_a_composition_still_gives_a_fixed_point() {
        // U+0654 blocks a + U+0301 from composing; removing it unblocks them.
        let once = normalize("a\u{0654}\u{0301}");
        assert_eq!(once, "á");
        assert_eq!(normalize(&once), once);
    }

    #[test]
    fn a_capital_before_a_combining_mark_settles_in_one_call() {
        // `J` + caron has no composed form; `j` + caron composes to `ǰ`.
        assert_eq!(normalize("J\u{30c}"), "\u{1f0}");
        assert_eq!(normalize(&normalize("J\u{30c}é")), normalize("J\u{30c}é"));
    }

    #[test]
    fn lone_marks_and_controls_normalize_to_nothing() {
        assert_eq!(normalize("\u{064E}\u{0651}\u{0640}\u{200F}"), "");
        assert_eq!(normalize(""), "");
    }

    #[test]
    fn digits_fold_from_every_script_we_accept() {
        assert_eq!(fold_digit('٧'), Some('7'));
        assert_eq!(fold_digit('۷'), Some('7'));
        assert_eq!(fold_digit('7'), Some('7'));
        assert_eq!(fold_digit('x'), None);
    }

    proptest! {
        #[test]
        fn skipping_nfkc_for_plain_arabic_changes_nothing(
            text in "[\u{0621}-\u{0670}\u{06F0}-\u{06F9}یکۀہۂەےۓ\u{200C}-\u{200F}a-zA-Z0-9 ]{0,30}"
        ) {
            prop_assume!(text.chars().all(is_plain_arabic));
            let mut slow = String::new();
            normalize_through_nfkc(&text, &mut slow);
            prop_assert_eq!(normalize(&text), slow);
        }

        #[test]
        fn normalization_is_idempotent(text in any::<String>()) {
            let once = normalize(&text);
            prop_assert_eq!(normalize(&once), once);
        }

        #[test]
        fn normalization_of_arabic_heavy_text_is_idempotent(
            text in "[\u{0600}-\u{06FF}\u{0750}-\u{077F}\u{FB50}-\u{FDFF}\u{FE70}-\u{FEFF}\u{200C}-\u{200F}a-zA-Z0-9\u{0300}-\u{036F} -]{0,40}"
        ) {
            let once = normalize(&text);
            prop_assert_eq!(normalize(&once), once);
        }

        #[test]
        fn normalized_text_has_no_tashkeel_tatweel_or_controls(text in any::<String>()) {
            let out = normalize(&text);
            prop_assert!(!out.chars().any(is_removed), "{:?}", out);
            prop_assert!(!out.chars().any(|c| c.is_ascii_uppercase()));
        }
    }
}
