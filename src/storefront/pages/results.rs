//! The results page: what the search understood (each part droppable), the shopper's
//! car, the filters with their counts, the cards, and the pages.

use std::collections::BTreeMap;

use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use cargoparts_analyzers::analyze_query;
use maud::{Markup, html};

use crate::search::SearchParams;
use crate::search::service::SearchService;
use crate::storefront::car::Car;
use crate::storefront::cards;
use crate::storefront::form::FormQuery;
use crate::storefront::layout::{Frame, page};
use crate::storefront::locale::Lang;
use crate::storefront::names;
use crate::storefront::searching::{self, Found};
use crate::storefront::understood;

/// Values of a many-valued facet shown before the rest are left out.
const FACET_VALUES_SHOWN: usize = 12;

/// `GET /search`, `GET /en/search`.
pub async fn show(
    lang: Lang,
    State(search): State<SearchService>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Response {
    let here = uri.path_and_query().map_or("/search", |p| p.as_str());
    let form = FormQuery::parse(uri.query().unwrap_or(""));
    let mut params: SearchParams = match searching::params(&form) {
        Ok(params) => params,
        Err(problem) => return problem.page(lang, here),
    };
    let understood = analyze_query(&params.q);
    let car = Car::from_headers(&headers);
    // The saved car narrows the search unless the shopper named a car or asked for all.
    let car_applied = car.filter(|_| params.make.is_none() && understood.make.is_none() && !form.has("all_cars"));
    if let Some(car) = &car_applied {
        params.make = Some(car.make.clone());
        params.model = car.model.clone();
        if params.year.is_none() && understood.year.is_none() {
            params.year = car.year;
        }
    }
    let found = match searching::run(&search, params).await {
        Ok(found) => found,
        Err(problem) => return problem.page(lang, here),
    };
    let q = form.first("q").unwrap_or("");
    let t = lang.texts();
    let title = if q.is_empty() { t.all_parts.to_string() } else { format!("{} «{q}»", t.results_for) };
    let frame = Frame { lang, title: title.clone(), here, query: q, description: None };
    let content = html! {
        h1 { (title) }
        p.meta { (lang.count(found.total)) " " (t.results_count) }
        (understanding(&found, &form, lang, car_applied.as_ref()))
        div.layout {
            (filters(&found, &form, lang, car_applied.is_some()))
            section aria-label=(t.results_count) {
                @if found.cards.is_empty() {
                    div.panel.empty {
                        p { strong { (t.no_results) } }
                        p { (t.no_results_hint) }
                    }
                } @else {
                    (cards::list(&found.cards, lang))
                    (pager(&found, &form, lang))
                }
            }
        }
    };
    page(StatusCode::OK, frame.render(content))
}

/// «فلتر زيت · تويوتا كامري · ٢٠١٩», each with a link that searches without it, and
/// the saved car with a link that searches for every car.
fn understanding(found: &Found, form: &FormQuery, lang: Lang, car: Option<&Car>) -> Markup {
    let t = lang.texts();
    let chips = understood::chips(&found.understood, lang);
    let search_path = lang.path("/search");
    html! {
        @if !chips.is_empty() || car.is_some() {
            ul.chips aria-label=(t.understood_as) {
                @if !chips.is_empty() { li.sep { (t.understood_as) ":" } }
                @for chip in &chips {
                    li {
                        span { (chip.label) }
                        a href=(form.with("q", &chip.query_without).without("page").href(&search_path))
                            aria-label=(format!("{} {}", t.remove, chip.label)) title=(t.remove) { "✕" }
                    }
                }
                @if let Some(car) = car {
                    @let name = car_name(car, lang);
                    li {
                        span { (t.car_saved_for) " " (name) }
                        a href=(form.with("all_cars", "1").without("page").href(&search_path))
                            aria-label=(t.all_cars) title=(t.all_cars) { "✕" }
                    }
                }
            }
        }
    }
}

pub fn car_name(car: &Car, lang: Lang) -> String {
    let name = names::car(&car.make, car.model.as_deref(), lang);
    match car.year {
        Some(year) => format!("{name} {}", lang.digits(&year.to_string())),
        None => name,
    }
}

/// The filter form: a GET form with the query kept, so it works without script; the
/// script submits it on every change.
fn filters(found: &Found, form: &FormQuery, lang: Lang, car_applied: bool) -> Markup {
    let t = lang.texts();
    let selected = |key: &str| form.values(key).map(str::to_string).collect::<Vec<_>>();
    let sort = form.first("sort").unwrap_or("relevance");
    let chosen = ["category", "make", "condition", "city", "price_min", "price_max", "in_stock", "verified"]
        .iter()
        .map(|key| form.values(key).count())
        .sum::<usize>();
    html! {
        // Closed on phones, so the results come first; always shown on wide screens.
        details.panel.filters {
            summary {
                strong { (t.filters) }
                @if chosen > 0 { " (" (lang.count(chosen as u64)) ")" }
            }
            form method="get" action=(lang.path("/search")) data-autosubmit {
                @if let Some(q) = form.first("q") { input type="hidden" name="q" value=(q); }
                @if form.has("all_cars") { input type="hidden" name="all_cars" value="1"; }
                label.field for="sort" { (t.sort) }
                select #sort name="sort" {
                    @for (value, label) in [("relevance", t.sort_relevance), ("price_asc", t.sort_price_asc),
                        ("price_desc", t.sort_price_desc), ("newest", t.sort_newest)] {
                        option value=(value) selected[sort == value] { (label) }
                    }
                }
                (checkboxes("category", t.category, found.facets.get("category"), &selected("category"), lang, names::category))
                @if !car_applied {
                    (make_choice(found.facets.get("make"), form.first("make"), lang))
                }
                (checkboxes("condition", t.condition, found.facets.get("condition"), &selected("condition"), lang, names::condition))
                (checkboxes("city", t.city, found.facets.get("city"), &selected("city"), lang, names::city))
                fieldset {
                    legend { (t.price) }
                    div.price-range {
                        label { (t.price_from)
                            input type="text" inputmode="decimal" name="price_min" value=[form.first("price_min")] size="6"; }
                        label { (t.price_to)
                            input type="text" inputmode="decimal" name="price_max" value=[form.first("price_max")] size="6"; }
                    }
                }
                fieldset {
                    div.option { input #in_stock type="checkbox" name="in_stock" value="true" checked[form.has("in_stock")];
                        label for="in_stock" { (t.in_stock_only) } }
                    div.option { input #verified type="checkbox" name="verified" value="true" checked[form.has("verified")];
                        label for="verified" { (t.verified_only) } }
                }
                button type="submit" { (t.apply) }
                " "
                a href=(form.first("q").map_or_else(|| lang.path("/search"), |q| FormQuery::default().with("q", q).href(&lang.path("/search")))) {
                    (t.clear_filters)
                }
            }
        }
    }
}

/// A facet's values, most frequent first, the chosen ones always shown.
fn ranked(counts: Option<&BTreeMap<String, u64>>, chosen: &[String]) -> Vec<(String, u64)> {
    let mut values: Vec<(String, u64)> =
        counts.map(|c| c.iter().map(|(k, v)| (k.clone(), *v)).collect()).unwrap_or_default();
    values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut shown: Vec<(String, u64)> =
        values.iter().filter(|(_, n)| *n > 0).take(FACET_VALUES_SHOWN).cloned().collect();
    for value in chosen {
        if !shown.iter().any(|(v, _)| v == value) {
            let count = values.iter().find(|(v, _)| v == value).map_or(0, |(_, n)| *n);
            shown.push((value.clone(), count));
        }
    }
    shown
}

fn checkboxes(
    key: &str,
    legend: &str,
    counts: Option<&BTreeMap<String, u64>>,
    chosen: &[String],
    lang: Lang,
    name: fn(&str, Lang) -> String,
) -> Markup {
    let values = ranked(counts, chosen);
    html! {
        @if !values.is_empty() {
            fieldset {
                legend { (legend) }
                @for (index, (value, count)) in values.iter().enumerate() {
                    @let id = format!("{key}-{index}");
                    div.option {
                        input id=(id) type="checkbox" name=(key) value=(value) checked[chosen.contains(value)];
                        label for=(id) { (name(value, lang)) " " span.count { "(" (lang.count(*count)) ")" } }
                    }
                }
            }
        }
    }
}

fn make_choice(counts: Option<&BTreeMap<String, u64>>, chosen: Option<&str>, lang: Lang) -> Markup {
    let t = lang.texts();
    let chosen_list: Vec<String> = chosen.map(str::to_string).into_iter().collect();
    let values = ranked(counts, &chosen_list);
    html! {
        @if !values.is_empty() {
            label.field for="make" { (t.make) }
            select #make name="make" {
                option value="" { (t.any_make) }
                @for (value, count) in &values {
                    option value=(value) selected[chosen == Some(value.as_str())] {
                        (names::make(value, lang)) " (" (lang.count(*count)) ")"
                    }
                }
            }
        }
    }
}

/// Previous and next, the first and last pages, and two either side of this one.
fn pager(found: &Found, form: &FormQuery, lang: Lang) -> Markup {
    let t = lang.texts();
    let (page, last) = (u64::from(found.page), found.last_page);
    if last <= 1 {
        return html! {};
    }
    let path = lang.path("/search");
    let link = |n: u64| form.with("page", &n.to_string()).href(&path);
    let mut shown: Vec<u64> = vec![1, last];
    shown.extend(page.saturating_sub(2).max(1)..=(page + 2).min(last));
    shown.sort_unstable();
    shown.dedup();
    html! {
        nav aria-label=(t.pages) {
            ul.pager {
                @if page > 1 { li { a href=(link(page - 1)) rel="prev" { (t.previous) } } }
                @for (i, n) in shown.iter().enumerate() {
                    @if i > 0 && shown[i - 1] + 1 < *n { li { span aria-hidden="true" { "…" } } }
                    li {
                        @if *n == page {
                            span aria-current="page" { (lang.digits(&n.to_string())) }
                        } @else {
                            a href=(link(*n)) aria-label=(format!("{} {n}", t.page_n)) { (lang.digits(&n.to_string())) }
                        }
                    }
                }
                @if page < last { li { a href=(link(page + 1)) rel="next" { (t.next) } } }
            }
        }
    }
}
