//! A seller's page: who they are (city, verified badge, member since) and their
//! listings, searchable and paged like any results.

use axum::extract::{OriginalUri, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use maud::html;
use serde::Deserialize;
use uuid::Uuid;

use crate::catalog::CatalogError;
use crate::catalog::sellers::{self, SellerCache};
use crate::platform::db::PrimaryDb;
use crate::search::service::SearchService;
use crate::storefront::cards;
use crate::storefront::form::FormQuery;
use crate::storefront::layout::{self, Frame, page};
use crate::storefront::locale::Lang;
use crate::storefront::names;
use crate::storefront::searching;

#[derive(Debug, Deserialize)]
struct Seller {
    id: Uuid,
    name: String,
    city: String,
    verified: bool,
    active_listings: i64,
    member_since: DateTime<Utc>,
}

/// `GET /sellers/{id}`, `GET /en/sellers/{id}`.
pub async fn show(
    lang: Lang,
    State(PrimaryDb(db)): State<PrimaryDb>,
    State(cache): State<SellerCache>,
    State(search): State<SearchService>,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
) -> Response {
    let here = uri.path_and_query().map_or("/", |p| p.as_str());
    let t = lang.texts();
    let seller = match sellers::shown_profile(&cache, &db, &id).await {
        Ok((body, _)) => serde_json::from_slice::<Seller>(&body).map_err(|e| CatalogError::Internal(e.into())),
        Err(error) => Err(error),
    };
    let seller = match seller {
        Ok(seller) => seller,
        Err(CatalogError::NotFound(_) | CatalogError::Invalid(_)) => {
            return layout::problem(lang, StatusCode::NOT_FOUND, t.not_found_title, t.not_found, here);
        }
        Err(error) => {
            tracing::error!(%error, "a seller page could not be read");
            return layout::problem(lang, StatusCode::INTERNAL_SERVER_ERROR, t.error_title, t.error, here);
        }
    };
    let form = FormQuery::parse(uri.query().unwrap_or(""));
    let listed = form.with("seller", &seller.id.to_string()).with("sort", form.first("sort").unwrap_or("newest"));
    let found = match searching::params(&listed) {
        Ok(params) => searching::run(&search, params).await,
        Err(problem) => Err(problem),
    };
    let found = match found {
        Ok(found) => found,
        Err(problem) => return problem.page(lang, here),
    };
    let path = lang.path(&format!("/sellers/{}", seller.id));
    let page_link = |n: u64| form.with("page", &n.to_string()).href(&path);
    let frame = Frame { lang, title: seller.name.clone(), here, query: "", description: None };
    let content = html! {
        section.panel {
            h1 { (seller.name) @if seller.verified { " " (cards::verified_badge(lang)) } }
            p.meta { (names::city(&seller.city, lang)) }
            p.meta { (t.member_since) ": " (lang.date(seller.member_since)) }
            p.meta { (t.active_listings) ": " (lang.count(seller.active_listings.max(0) as u64)) }
        }
        h2 { (t.seller_listings) }
        @if found.cards.is_empty() {
            p.panel.empty { (t.no_results) }
        } @else {
            (cards::list(&found.cards, lang))
            nav aria-label=(t.pages) {
                ul.pager {
                    @if found.page > 1 { li { a href=(page_link(u64::from(found.page) - 1)) rel="prev" { (t.previous) } } }
                    li { span aria-current="page" { (lang.digits(&found.page.to_string())) } }
                    @if u64::from(found.page) < found.last_page {
                        li { a href=(page_link(u64::from(found.page) + 1)) rel="next" { (t.next) } }
                    }
                }
            }
        }
    };
    page(StatusCode::OK, frame.render(content))
}
