//! The pages account emails link to: choosing a new password, confirming an email
//! address. Arabic first, right to left with the English beside it, no JavaScript;
//! each posts to itself with the link's token in a hidden field.
//!
//! They are never cached or framed, and their policy allows only their inline style
//! and a form posting back to this origin.

pub mod reset;
pub mod verify_email;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;

use crate::auth::AuthState;
use crate::http::rate_limit::{RateLimits, RouteClass, limited};
use crate::platform::client::TrustedProxies;
use crate::platform::db::PrimaryDb;

const PAGE_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The pages, limited like every endpoint that checks a credential.
pub fn routes<S>(limits: &RateLimits) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    AuthState: axum::extract::FromRef<S>,
    PrimaryDb: axum::extract::FromRef<S>,
    TrustedProxies: axum::extract::FromRef<S>,
{
    let pages = utoipa_axum::router::OpenApiRouter::new()
        .route(reset::PATH, get(reset::show).post(reset::submit))
        .route(verify_email::PATH, get(verify_email::show).post(verify_email::submit));
    limited(pages, limits, RouteClass::Credentials).into()
}

/// The `?token=` of an emailed link.
#[derive(Deserialize)]
struct LinkQuery {
    #[serde(default)]
    token: String,
}

fn page(status: StatusCode, body: &Markup) -> Response {
    let mut response = (status, body.clone().into_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_POLICY));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

const STYLE: &str = "body{margin:0;background:#f4f4f4;font-family:Tahoma,Arial,sans-serif;color:#1a1a1a;line-height:1.6}\
main{max-width:28rem;margin:2rem auto;background:#fff;border-radius:8px;padding:1.5rem}\
h1{font-size:1.25rem;color:#0b6e4f;margin:0 0 1rem}\
p{margin:.5rem 0}.en{direction:ltr;text-align:left;color:#444}\
label{display:block;margin:1rem 0 .25rem;font-weight:bold}\
input[type=password]{width:100%;box-sizing:border-box;padding:.6rem;font-size:1rem;border:1px solid #888;border-radius:4px}\
button{margin-top:1rem;width:100%;padding:.7rem;font-size:1rem;background:#0b6e4f;color:#fff;border:0;border-radius:4px}\
.error{color:#a4001d;font-weight:bold}";

/// The page frame: Arabic, right to left, with the English beside it.
fn frame(title: &str, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="ar" dir="rtl" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex";
                title { (title) }
                style { (STYLE) }
            }
            body { main { (content) } }
        }
    }
}

/// A page that only says something: a heading, the Arabic sentence and its English.
fn notice(title: &str, heading: &str, arabic: &str, english: &str) -> Markup {
    frame(
        title,
        html! {
            h1 { (heading) }
            p { (arabic) }
            p lang="en" class="en" { (english) }
        },
    )
}

fn broken_link() -> Markup {
    notice(
        "رابط غير صالح | Invalid link",
        "الرابط غير صالح أو منتهي",
        "استُخدم هذا الرابط من قبل أو انتهت صلاحيته. اطلب رابطاً جديداً من حسابك.",
        "This link was already used or has expired. Ask for a new one from your account.",
    )
}

fn unavailable() -> Markup {
    notice(
        "حاول لاحقاً | Try again",
        "تعذّر إتمام الطلب الآن",
        "حاول مرة أخرى بعد قليل؛ الرابط ما زال صالحاً.",
        "That could not be done just now. Try again shortly; the link still works.",
    )
}
