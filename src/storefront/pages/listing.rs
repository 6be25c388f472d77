//! A listing's page: its photos in their sizes, price with VAT, stock, seller, part
//! numbers, the cars it fits, and the seller's description.

use axum::extract::{OriginalUri, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use maud::{Markup, PreEscaped, html};
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::catalog::CatalogError;
use crate::catalog::listings::{self, FitmentView, ListingCache, ListingImage};
use crate::platform::db::PrimaryDb;
use crate::storefront::cards::{self, CardSeller};
use crate::storefront::layout::{self, Frame, page};
use crate::storefront::locale::Lang;
use crate::storefront::names;

/// A listing as the public API shows it.
#[derive(Debug, Deserialize)]
struct Listing {
    sku: String,
    seller: CardSeller,
    title: String,
    title_ar: Option<String>,
    /// Sanitized when it was written (see `catalog::sanitize`).
    description: String,
    category: String,
    brand: Option<String>,
    condition: String,
    price_sar: Decimal,
    quantity: i32,
    city: String,
    photos: Vec<String>,
    images: Vec<ListingImage>,
    oem_numbers: Vec<String>,
    fitment: Vec<FitmentView>,
    updated_at: DateTime<Utc>,
}

/// `GET /listings/{id}`, `GET /en/listings/{id}`.
pub async fn show(
    lang: Lang,
    State(PrimaryDb(db)): State<PrimaryDb>,
    State(cache): State<ListingCache>,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
) -> Response {
    let here = uri.path_and_query().map_or("/", |p| p.as_str());
    let t = lang.texts();
    let listing = match listings::shown_listing(&cache, &db, &id).await {
        Ok((body, _)) => serde_json::from_slice::<Listing>(&body).map_err(|e| CatalogError::Internal(e.into())),
        Err(error) => Err(error),
    };
    let listing = match listing {
        Ok(listing) => listing,
        Err(CatalogError::NotFound(_) | CatalogError::Invalid(_)) => {
            return layout::problem(lang, StatusCode::NOT_FOUND, t.not_found_title, t.not_found, here);
        }
        Err(error) => {
            tracing::error!(%error, "a listing page could not be read");
            return layout::problem(lang, StatusCode::INTERNAL_SERVER_ERROR, t.error_title, t.error, here);
        }
    };
    let title = cards::title(&listing.title, listing.title_ar.as_deref(), lang).to_string();
    let description = format!("{title} · {}", lang.price(listing.price_sar));
    let frame = Frame { lang, title: title.clone(), here, query: "", description: Some(description) };
    page(StatusCode::OK, frame.render(content(&listing, &title, lang)))
}

fn content(listing: &Listing, title: &str, lang: Lang) -> Markup {
    let t = lang.texts();
    html! {
        article.listing {
            (photos(listing, title, lang))
            div {
                h1 dir="auto" { (title) }
                @if lang == Lang::Ar && listing.title_ar.is_some() && listing.title != title {
                    p.meta lang="en" dir="ltr" { (listing.title) }
                }
                p { (cards::price(listing.price_sar, lang)) }
                p {
                    (cards::stock(listing.quantity, lang))
                    @if listing.quantity > 0 { " · " (t.quantity_available) ": " (lang.count(listing.quantity.max(0) as u64)) }
                }
                dl.panel.facts {
                    dt { (t.category) } dd { (names::category(&listing.category, lang)) }
                    @if let Some(brand) = &listing.brand { dt { (t.brand) } dd { (brand) } }
                    dt { (t.condition) } dd { (names::condition(&listing.condition, lang)) }
                    dt { (t.city) } dd { (names::city(&listing.city, lang)) }
                    dt { (t.sold_by) }
                    dd {
                        a href=(lang.path(&format!("/sellers/{}", listing.seller.id))) { (listing.seller.name) }
                        @if listing.seller.verified { " " (cards::verified_badge(lang)) }
                    }
                    dt { (t.sku) } dd.numbers { (listing.sku) }
                }
                @if !listing.oem_numbers.is_empty() {
                    h2 { (t.part_numbers) }
                    ul.numbers { @for number in &listing.oem_numbers { li { (number) } } }
                }
            }
        }
        @if !listing.fitment.is_empty() {
            section.panel {
                h2 { (t.fits) }
                table {
                    thead { tr { th scope="col" { (t.make) } th scope="col" { (t.model) } th scope="col" { (t.years) } } }
                    tbody {
                        @for car in &listing.fitment {
                            tr {
                                td { (names::make(&car.make, lang)) }
                                td { (names::car(&car.make, Some(&car.model), lang)) }
                                td { (lang.digits(&format!("{}–{}", car.year_from, car.year_to))) }
                            }
                        }
                    }
                }
            }
        }
        @if !listing.description.trim().is_empty() {
            section.panel {
                h2 { (t.description) }
                // Sanitized to a small set of formatting tags when the listing was written.
                div.description { (PreEscaped(&listing.description)) }
            }
        }
        p.meta { (lang.date(listing.updated_at)) }
    }
}

/// Uploaded photos in their three sizes (the browser picks by screen), else the
/// feed's photo links.
fn photos(listing: &Listing, title: &str, lang: Lang) -> Markup {
    html! {
        div.listing-photos {
            @if listing.images.is_empty() && listing.photos.is_empty() {
                div.nophoto.panel { (lang.texts().no_photo) }
            }
            @for (i, image) in listing.images.iter().enumerate() {
                img src=(image.full) alt=(if i == 0 { title } else { "" })
                    srcset=(format!("{} 160w, {} 480w, {} 1280w", image.thumbnail, image.card, image.full))
                    sizes="(min-width: 60rem) 36rem, 100vw" width="1280" height="960"
                    loading=(if i == 0 { "eager" } else { "lazy" }) decoding="async";
            }
            @if listing.images.is_empty() {
                @for (i, photo) in listing.photos.iter().enumerate() {
                    img src=(photo) alt=(if i == 0 { title } else { "" }) width="800" height="600"
                        loading=(if i == 0 { "eager" } else { "lazy" }) decoding="async";
                }
            }
        }
    }
}
