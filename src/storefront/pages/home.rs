//! The home page: the search box, "my car", and the categories with the most
//! listings.

use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use cargoparts_analyzers::Vocabulary;
use maud::{Markup, html};

use crate::catalog::fitment::{MODEL_YEAR_MAX, MODEL_YEAR_MIN};
use crate::platform::config::Settings;
use crate::search::service::SearchService;
use crate::storefront::car::Car;
use crate::storefront::csrf::{self, FormToken};
use crate::storefront::form::FormQuery;
use crate::storefront::layout::{Frame, page};
use crate::storefront::locale::Lang;
use crate::storefront::names;
use crate::storefront::pages::results::car_name;
use crate::storefront::searching;

/// Categories shown on the home page.
const POPULAR: usize = 12;
/// Model years offered in "my car", newest first: cars on the road today.
const YEARS_OFFERED: u16 = 40;

/// `GET /`, `GET /en/`.
pub async fn show(
    lang: Lang,
    State(search): State<SearchService>,
    State(settings): State<std::sync::Arc<Settings>>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Response {
    let here = uri.path_and_query().map_or("/", |p| p.as_str());
    let t = lang.texts();
    // Browsing everything gives the category counts the popular tiles are ranked by.
    let browse = searching::params(&FormQuery::parse("limit=1"));
    let found = match browse {
        Ok(params) => searching::run(&search, params).await,
        Err(problem) => Err(problem),
    };
    let found = match found {
        Ok(found) => found,
        Err(problem) => return problem.page(lang, here),
    };
    let mut popular: Vec<(&String, &u64)> =
        found.facets.get("category").map(|c| c.iter().collect()).unwrap_or_default();
    popular.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    popular.truncate(POPULAR);

    let token = FormToken::of(&headers, settings.env.is_production());
    let car = Car::from_headers(&headers);
    let frame = Frame { lang, title: t.tagline.to_string(), here, query: "", description: Some(t.tagline.to_string()) };
    let content = html! {
        section.hero {
            h1 { (t.site_name) }
            p { (t.tagline) }
        }
        (car_form(lang, car.as_ref(), &token.value, &lang.path("/search")))
        section {
            h2 { (t.popular_categories) }
            ul.tiles {
                @for (slug, count) in &popular {
                    li {
                        a href=(FormQuery::default().with("category", slug).href(&lang.path("/search"))) {
                            (names::category(slug, lang))
                            small { (lang.count(**count)) " " (t.listings_count) }
                        }
                    }
                }
            }
        }
    };
    let mut response = page(StatusCode::OK, frame.render(content));
    if let Some(cookie) = token.set_cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// "My car": make, then model (every make's models in groups; the script narrows them
/// to the chosen make), then year. Posted with the form token.
pub fn car_form(lang: Lang, car: Option<&Car>, token: &str, next: &str) -> Markup {
    let t = lang.texts();
    let vocabulary = Vocabulary::builtin();
    let newest = MODEL_YEAR_MAX.min(chrono::Datelike::year(&chrono::Utc::now()) as i16 + 1);
    let oldest = MODEL_YEAR_MIN.max(newest - YEARS_OFFERED as i16);
    let chosen_make = car.map(|c| c.make.as_str());
    let chosen_model = car.and_then(|c| c.model.as_deref());
    html! {
        section.panel aria-labelledby="my-car" {
            h2 #my-car { (t.my_car) }
            @if let Some(car) = car {
                p { strong { (t.car_saved_for) " " (car_name(car, lang)) } }
            } @else {
                p { (t.my_car_hint) }
            }
            form.car-form method="post" action=(lang.path("/car")) {
                input type="hidden" name=(csrf::FIELD) value=(token);
                input type="hidden" name="next" value=(next);
                div {
                    label for="car-make" { (t.make) }
                    select #car-make name="make" {
                        option value="" { (t.any_make) }
                        @for make in vocabulary.makes() {
                            option value=(make.name) selected[chosen_make == Some(make.name.as_str())] { (names::make(&make.name, lang)) }
                        }
                    }
                }
                div {
                    label for="car-model" { (t.model) }
                    select #car-model name="model" {
                        option value="" { (t.any_model) }
                        @for make in vocabulary.makes() {
                            optgroup label=(names::make(&make.name, lang)) data-make=(make.name) {
                                @for model in &make.models {
                                    option value=(format!("{}|{}", make.name, model.name))
                                        selected[chosen_make == Some(make.name.as_str()) && chosen_model == Some(model.name.as_str())] {
                                        (names::car(&make.name, Some(&model.name), lang))
                                    }
                                }
                            }
                        }
                    }
                }
                div {
                    label for="car-year" { (t.year) }
                    select #car-year name="year" {
                        option value="" { (t.any_year) }
                        @for year in (oldest..=newest).rev() {
                            option value=(year) selected[car.and_then(|c| c.year) == Some(year as u16)] { (lang.digits(&year.to_string())) }
                        }
                    }
                }
                div.car-actions {
                    button type="submit" { (t.save_car) }
                    @if car.is_some() {
                        button.secondary type="submit" name="forget" value="1" { (t.forget_car) }
                    }
                }
            }
        }
    }
}
