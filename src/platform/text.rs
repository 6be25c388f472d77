//! Shortening text people read, Arabic and English alike: never inside a word when a
//! word boundary is near, never inside a grapheme (a letter with its diacritics, an
//! emoji), and never leaving a direction embedding or isolate open, which would flip the
//! order of whatever follows in the message.

use unicode_segmentation::UnicodeSegmentation;

const ELLIPSIS: char = '…';

/// Opening direction controls and their closers: the embeddings and overrides (LRE,
/// RLE, LRO, RLO) close with PDF, the isolates (LRI, RLI, FSI) with PDI.
const EMBEDDINGS: [char; 4] = ['\u{202A}', '\u{202B}', '\u{202D}', '\u{202E}'];
const PDF: char = '\u{202C}';
const ISOLATES: [char; 3] = ['\u{2066}', '\u{2067}', '\u{2068}'];
const PDI: char = '\u{2069}';
/// The marks that only steer direction: dangling at a cut they are noise.
const MARKS: [char; 3] = ['\u{200E}', '\u{200F}', '\u{061C}'];

/// `text` in at most `max` graphemes, an ellipsis marking a cut. The cut falls at the
/// last space that keeps at least half the budget, else between graphemes; direction
/// controls left open by the cut are closed.
pub fn shorten(text: &str, max: usize) -> String {
    let graphemes: Vec<&str> = text.graphemes(true).collect();
    if graphemes.len() <= max {
        return text.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let budget = max - 1;
    let mut end = budget;
    if let Some(space) = (budget / 2..=budget).rev().find(|&i| graphemes.get(i).is_some_and(|g| g.trim().is_empty())) {
        end = space;
    }
    let mut cut: String = graphemes[..end].concat();
    let trimmed = cut.trim_end_matches(|c: char| c.is_whitespace() || MARKS.contains(&c) || ",،؛;:".contains(c));
    cut.truncate(trimmed.len());
    close_direction(&mut cut);
    cut.push(ELLIPSIS);
    cut
}

/// Closes the embeddings and isolates `text` leaves open, innermost first.
fn close_direction(text: &mut String) {
    let mut open = Vec::new();
    for c in text.chars() {
        if EMBEDDINGS.contains(&c) {
            open.push(PDF);
        } else if ISOLATES.contains(&c) {
            open.push(PDI);
        } else if (c == PDF || c == PDI) && open.last() == Some(&c) {
            open.pop();
        }
    }
    while let Some(closer) = open.pop() {
        text.push(closer);
    }
}

/// `text` as a first-strong isolate: a Latin seller name inside an Arabic sentence (or
/// the reverse) keeps its own direction and leaves the sentence's alone.
pub fn isolate(text: &str) -> String {
    format!("\u{2068}{text}\u{2069}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_left_alone() {
        assert_eq!(shorten("فلتر زيت", 20), "فلتر زيت");
    }

    #[test]
    fn a_cut_falls_between_words() {
        assert_eq!(shorten("فلتر زيت تويوتا كامري أصلي", 16), "فلتر زيت تويوتا…");
        assert_eq!(shorten("Oil filter for Toyota Camry", 15), "Oil filter for…");
    }

    #[test]
    fn a_long_word_is_cut_between_graphemes_never_inside_one() {
        // Each letter carries a diacritic: a grapheme is two code points.
        let vowelled = "مُحَرِّكٌ";
        let cut = shorten(vowelled, 3);
        assert_eq!(cut.graphemes(true).count(), 3);
        assert!(vowelled.starts_with(cut.trim_end_matches(ELLIPSIS)), "{cut}");
        let emoji = "👨‍👩‍👧‍👦👨‍👩‍👧‍👦👨‍👩‍👧‍👦";
        assert_eq!(shorten(emoji, 2), "👨‍👩‍👧‍👦…");
    }

    #[test]
    fn direction_controls_left_open_are_closed_and_dangling_marks_dropped() {
        let isolated = format!("تم الشحن من {} اليوم", isolate("Al Madina Auto Spare Parts Trading"));
        let cut = shorten(&isolated, 25);
        assert_eq!(cut.matches('\u{2068}').count(), cut.matches('\u{2069}').count(), "{cut:?}");
        let embedded = "\u{202B}قطع غيار السيارات الأصلية";
        assert!(shorten(embedded, 10).ends_with("\u{202C}…"));
        assert_eq!(shorten("abc \u{200F}def ghi", 6), "abc…");
    }
}
