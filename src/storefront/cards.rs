//! Result cards: what a search hit shows (photo, title, price with VAT, condition,
//! city, seller with the verified badge, stock).

use maud::{Markup, html};
use rust_decimal::Decimal;
use serde::Deserialize;
use uuid::Uuid;

use super::locale::Lang;
use super::names;

/// A search hit as the index stores it (see the search API's `data[]`).
#[derive(Debug, Deserialize)]
pub struct Card {
    pub id: Uuid,
    pub title: String,
    #[serde(default)]
    pub title_ar: Option<String>,
    pub category: String,
    #[serde(default)]
    pub brand: Option<String>,
    pub condition: String,
    pub price_sar: Decimal,
    pub quantity: i32,
    pub city: String,
    pub seller: CardSeller,
    #[serde(default)]
    pub photo: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct CardSeller {
    pub id: Uuid,
    pub name: String,
    #[serde(default)]
    pub verified: bool,
}

/// The title in the page's language: the Arabic title on Arabic pages when the seller
/// gave one.
pub fn title<'a>(title: &'a str, title_ar: Option<&'a str>, lang: Lang) -> &'a str {
    match (lang, title_ar) {
        (Lang::Ar, Some(arabic)) if !arabic.trim().is_empty() => arabic,
        _ => title,
    }
}

/// Reads the hits of a search; a hit that cannot be read is left out and logged, not
/// allowed to take the page down.
pub fn read(hits: &[Box<serde_json::value::RawValue>]) -> Vec<Card> {
    hits.iter()
        .filter_map(|hit| match serde_json::from_str::<Card>(hit.get()) {
            Ok(card) => Some(card),
            Err(error) => {
                tracing::error!(%error, "a stored search hit could not be read");
                None
            }
        })
        .collect()
}

pub fn price(price: Decimal, lang: Lang) -> Markup {
    html! {
        span.price { (lang.price(price)) }
        " "
        span.vat { (lang.texts().vat_included) }
    }
}

pub fn stock(quantity: i32, lang: Lang) -> Markup {
    let t = lang.texts();
    html! {
        @if quantity > 0 { span.stock { (t.in_stock) } } @else { span.stock.out { (t.out_of_stock) } }
    }
}

pub fn verified_badge(lang: Lang) -> Markup {
    html! { span.badge { "✓ " (lang.texts().verified_seller) } }
}

/// The list of cards; the first few pictures load at once, the rest as they scroll in.
pub fn list(cards: &[Card], lang: Lang) -> Markup {
    html! {
        ol.cards {
            @for (position, card) in cards.iter().enumerate() {
                li { (one(card, lang, position < 2)) }
            }
        }
    }
}

fn one(card: &Card, lang: Lang, eager: bool) -> Markup {
    let t = lang.texts();
    let href = lang.path(&format!("/listings/{}", card.id));
    let title = title(&card.title, card.title_ar.as_deref(), lang);
    html! {
        article.card {
            @match &card.photo {
                Some(photo) => img src=(photo) alt="" width="144" height="144"
                    loading=(if eager { "eager" } else { "lazy" }) decoding="async";
                None => div.nophoto { (t.no_photo) }
            }
            div {
                h2 dir="auto" { a href=(href) { (title) } }
                p { (price(card.price_sar, lang)) }
                p.meta {
                    (names::category(&card.category, lang))
                    @if let Some(brand) = &card.brand { " · " (brand) }
                    " · " (names::condition(&card.condition, lang))
                    " · " (names::city(&card.city, lang))
                }
                p.meta {
                    (t.sold_by) ": "
                    a href=(lang.path(&format!("/sellers/{}", card.seller.id))) { (card.seller.name) }
                    @if card.seller.verified { " " (verified_badge(lang)) }
                    " · " (stock(card.quantity, lang))
                }
            }
        }
    }
}
