//! The site's stylesheet and script, compiled in and served under addresses that
//! carry a digest of their content: browsers and CDNs keep them for a year, and a
//! release that changes one changes its address.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

const ASSETS: [Asset; 2] = [
    Asset { name: "site.css", content_type: "text/css; charset=utf-8", body: include_str!("assets/site.css") },
    Asset { name: "site.js", content_type: "text/javascript; charset=utf-8", body: include_str!("assets/site.js") },
];

/// `site.css` → `site.3f2a9c1b.css`, once per process.
static FINGERPRINTED: LazyLock<Vec<(String, &'static Asset)>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|asset| {
            let digest = hex::encode(&Sha256::digest(asset.body.as_bytes())[..6]);
            let (stem, extension) = asset.name.rsplit_once('.').unwrap_or((asset.name, ""));
            (format!("{stem}.{digest}.{extension}"), asset)
        })
        .collect()
});

/// The address of an asset by its plain name.
pub fn url(name: &str) -> String {
    let found = FINGERPRINTED.iter().find(|(_, asset)| asset.name == name);
    let file = found.map_or(name, |(file, _)| file.as_str());
    format!("/assets/{file}")
}

/// `GET /assets/{file}`.
pub async fn serve(Path(file): Path<String>) -> Response {
    let Some((_, asset)) = FINGERPRINTED.iter().find(|(name, _)| *name == file) else {
        return (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "not found")
            .into_response();
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable")),
        ],
        asset.body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_carry_the_content_digest() {
        let css = url("site.css");
        assert!(css.starts_with("/assets/site.") && css.ends_with(".css"), "{css}");
        assert_eq!(css.len(), "/assets/site..css".len() + 12);
        assert_ne!(url("site.js"), url("site.css"));
    }
}
