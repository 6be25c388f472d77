//! Properties of the registered analyzers that must hold for any input: no
//! panic, and tokens that are non-empty, in order, and inside the text.

use cargoparts_analyzers::{
    KEYWORD_ANALYZER, PART_NUMBER_ANALYZER, TEXT_ANALYZER, analyze_query, extract_part_numbers, light_stem, normalize,
    register,
};
use proptest::prelude::*;
use tantivy::tokenizer::{TextAnalyzer, TokenizerManager};

fn analyzers() -> Vec<(&'static str, TextAnalyzer)> {
    let manager = TokenizerManager::new();
    register(&manager);
    [TEXT_ANALYZER, PART_NUMBER_ANALYZER, KEYWORD_ANALYZER]
        .into_iter()
        .map(|name| (name, manager.get(name).expect("registered")))
        .collect()
}

/// Checks every token of every analyzer for `text`, returning the first
/// violation found.
fn check_tokens(text: &str) -> Result<(), String> {
    for (name, mut analyzer) in analyzers() {
        let mut stream = analyzer.token_stream(text);
        let mut last = (0, 0);
        while let Some(token) = stream.next() {
            let where_ = format!("{name}: {token:?}");
            if token.text.is_empty() {
                return Err(format!("empty token from {where_}"));
            }
            if token.offset_from >= token.offset_to || token.offset_to > text.len() {
                return Err(format!("offsets outside the text from {where_}"));
            }
            if !text.is_char_boundary(token.offset_from) || !text.is_char_boundary(token.offset_to) {
                return Err(format!("offsets inside a character from {where_}"));
            }
            if (token.position, token.offset_from) < last {
                return Err(format!("token out of order from {where_}"));
            }
            last = (token.position, token.offset_from);
        }
    }
    Ok(())
}

fn check_everything(text: &str) -> Result<(), String> {
    check_tokens(text)?;
    let once = normalize(text);
    if normalize(&once) != once {
        return Err(format!("normalization of {text:?} is not idempotent"));
    }
    for word in once.split_whitespace() {
        if !word.ends_with(light_stem(word)) {
            return Err(format!("the stem of {word:?} is not a suffix"));
        }
    }
    let _ = extract_part_numbers(text);
    let _ = analyze_query(text);
    Ok(())
}

/// Text that looks like listings: Arabic letters and marks, Latin, digits in
/// three scripts, separators and the invisible controls pasted from chat apps.
fn listing_like_text(chars: std::ops::Range<usize>) -> impl Strategy<Value = String> {
    let alphabet = prop_oneof![
        4 => proptest::char::range('\u{0621}', '\u{064A}'),
        2 => proptest::char::range('\u{064B}', '\u{065F}'),
        1 => Just('\u{0640}'),
        1 => Just('\u{0670}'),
        2 => proptest::char::range('a', 'z'),
        2 => proptest::char::range('A', 'Z'),
        2 => proptest::char::range('0', '9'),
        1 => proptest::char::range('\u{0660}', '\u{0669}'),
        1 => proptest::char::range('\u{06F0}', '\u{06F9}'),
        1 => proptest::sample::select(vec!['ی', 'ک', 'ۀ', 'ے', 'ہ', 'ٱ', 'ﻻ', 'ﷲ', 'Ａ', '１']),
        3 => proptest::sample::select(vec![' ', ' ', '-', '.', '/', ',', '،', '_', '\u{00A0}']),
        1 => proptest::sample::select(vec![
            '\u{200C}', '\u{200D}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}',
            '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}', '\u{FEFF}',
            '\u{061C}', '\u{00AD}',
        ]),
        1 => proptest::char::range('\u{0300}', '\u{036F}'),
    ];
    proptest::collection::vec(alphabet, chars).prop_map(|chars| chars.into_iter().collect())
}

proptest! {
    #[test]
    fn any_string_is_analyzed_without_panic_into_valid_tokens(text in any::<String>()) {
        check_everything(&text).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn listing_like_text_is_analyzed_into_valid_tokens(text in listing_like_text(0..200)) {
        check_everything(&text).map_err(TestCaseError::fail)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn ten_kilobyte_inputs_are_analyzed_into_valid_tokens(text in listing_like_text(7_000..8_000)) {
        prop_assert!(text.len() >= 10_000);
        check_everything(&text).map_err(TestCaseError::fail)?;
    }
}

#[test]
fn lone_combining_marks_and_direction_controls_are_harmless() {
    for text in [
        "\u{064E}",
        "\u{0651}\u{0651}\u{0651}",
        "\u{0301}abc",
        "\u{200F}",
        "\u{202E}04152-YZZA1\u{202C}",
        "\u{2067}فلتر\u{2069} \u{2066}oil\u{2069}",
        "ـــــ",
        "\u{FEFF}\u{FEFF}",
        "- . / ، _",
        "",
    ] {
        check_everything(text).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn a_ten_kilobyte_title_of_real_words_gives_every_word_a_token() {
    let title = "فلتر زيت تويوتا كامري ٢٠١٩ 04152-YZZA1 ";
    let text = title.repeat(10_240 / title.len() + 1);
    check_everything(&text).unwrap_or_else(|e| panic!("{e}"));
    let manager = TokenizerManager::new();
    register(&manager);
    let mut analyzer = manager.get(TEXT_ANALYZER).expect("registered");
    let mut stream = analyzer.token_stream(&text);
    let mut count = 0;
    while stream.advance() {
        count += 1;
    }
    assert_eq!(count, text.split_whitespace().count() / 6 * 7);
}
