//! HTML sanitizing of seller-written text, before it is stored.
//!
//! Descriptions may carry simple formatting; scripts, event handlers, styles and
//! non-http links never survive. ammonia parses like a browser does, so tricks that
//! defeat regex filters (broken tags, entities, nested contexts) are handled.

use std::sync::LazyLock;

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder.url_schemes(["http", "https"].into_iter().collect()).link_rel(Some("noopener noreferrer nofollow ugc"));
    builder
});

/// Returns `text` with only safe HTML left.
///
/// Text without markup characters is returned as is: most descriptions are plain and
/// this keeps a bulk import from spending its time in the HTML parser.
pub fn sanitize_html(text: &str) -> String {
    if !text.contains(['<', '>', '&', '\0', '\r']) {
        return text.to_string();
    }
    SANITIZER.clean(text).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_and_handlers_are_removed() {
        let dirty = r#"قطعة أصلية<script>alert(1)</script><img src=x onerror="alert(2)"><b>ضمان</b>"#;
        let clean = sanitize_html(dirty);
        assert!(!clean.contains("script"), "{clean}");
        assert!(!clean.contains("onerror"), "{clean}");
        assert!(clean.contains("<b>ضمان</b>"), "{clean}");
        assert!(clean.starts_with("قطعة أصلية"));
    }

    #[test]
    fn javascript_links_lose_their_target() {
        let clean = sanitize_html(r#"<a href="javascript:alert(1)">x</a><a href="https://ok.example">y</a>"#);
        assert!(!clean.contains("javascript"), "{clean}");
        assert!(clean.contains("https://ok.example"), "{clean}");
        assert!(clean.contains("nofollow"), "{clean}");
    }

    #[test]
    fn plain_text_is_unchanged() {
        let text = "فلتر زيت كامري 2019، ضمان سنة. Original part";
        assert_eq!(sanitize_html(text), text);
    }

    #[test]
    fn a_lone_angle_bracket_is_escaped_not_dropped() {
        assert_eq!(sanitize_html("size < 5"), "size &lt; 5");
    }
}
