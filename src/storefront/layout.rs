//! The frame every page shares (language and direction, the search box, the language
//! switch, the footer) and the headers every page is sent with.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use super::assets;
use super::locale::Lang;

/// Only this origin's own stylesheet, script, fetches and forms; pictures from here
/// or any HTTPS host (sellers' feeds link their photos); no inline code of any kind.
const PAGE_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// What the frame needs to know about the page it holds.
pub struct Frame<'a> {
    pub lang: Lang,
    pub title: String,
    /// The page's own path and query, for the language switch.
    pub here: &'a str,
    /// The search box's text.
    pub query: &'a str,
    /// A description for search engines and link previews.
    pub description: Option<String>,
}

impl Frame<'_> {
    pub fn render(&self, content: Markup) -> Markup {
        let lang = self.lang;
        let t = lang.texts();
        let other = lang.other();
        let (path, query) = self.here.split_once('?').map_or((self.here, None), |(p, q)| (p, Some(q)));
        let switch = match query {
            Some(query) => format!("{}?{query}", lang.translate_path(path, other)),
            None => lang.translate_path(path, other),
        };
        html! {
            (DOCTYPE)
            html lang=(lang.code()) dir=(lang.dir()) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (self.title) " | " (t.site_name) }
                    @if let Some(description) = &self.description {
                        meta name="description" content=(description);
                    }
                    meta name="theme-color" content="#0b6e4f";
                    link rel="stylesheet" href=(assets::url("site.css"));
                    link rel="alternate" hreflang=(other.code()) href=(switch);
                    script src=(assets::url("site.js")) defer {}
                }
                body data-nophoto=(t.no_photo) {
                    a.skip href="#main" { (t.skip_to_content) }
                    header.top {
                        a.brand href=(lang.path("/")) { (t.site_name) }
                        a.lang href=(switch) lang=(other.code()) hreflang=(other.code()) { (t.other_language) }
                        form.search role="search" action=(lang.path("/search")) method="get" {
                            label.sr for="q" { (t.search_label) }
                            input #q type="search" name="q" value=(self.query) list="suggestions" autocomplete="off"
                                placeholder=(t.search_placeholder) enterkeyhint="search";
                            datalist #suggestions {}
                            button type="submit" { (t.search_button) }
                        }
                    }
                    main #main { (content) }
                    footer {
                        p { (t.footer) }
                        p { a href="/api/docs" { (t.api_docs) } }
                    }
                }
            }
        }
    }
}

/// A page as the response: HTML, the site's content policy, never stored by shared
/// caches (pages depend on the shopper's cookies).
pub fn page(status: StatusCode, markup: Markup) -> Response {
    let mut response = (status, markup.into_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_POLICY));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    headers.insert(header::VARY, HeaderValue::from_static("Cookie"));
    response
}

/// A page that only says something went wrong, with a way home.
pub fn problem(lang: Lang, status: StatusCode, title: &str, message: &str, here: &str) -> Response {
    let frame = Frame { lang, title: title.to_string(), here, query: "", description: None };
    let content = html! {
        section.panel.empty {
            h1 { (title) }
            p { (message) }
            p { a href=(lang.path("/")) { (lang.texts().back_home) } }
        }
    };
    page(status, frame.render(content))
}
