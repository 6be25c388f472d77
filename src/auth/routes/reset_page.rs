//! The page a password-reset email links to: a form for the new password, Arabic first,
//! that works without JavaScript and posts to itself.
//!
//! The token rides in a hidden field, so the form cannot be forged from another site
//! without it (it is the form's CSRF proof), and the page is never cached or framed.
//! The policy allows only its inline styles and a form posting back to this origin.

use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use maud::{DOCTYPE, Markup, html};
use secrecy::SecretString;
use serde::Deserialize;

use crate::auth::AuthState;
use crate::auth::error::AuthError;
use crate::auth::passwords::MIN_LENGTH;
use crate::auth::recovery::{self, Proof};
use crate::http::rate_limit::{RateLimits, RouteClass, limited};
use crate::platform::client::{RequestContext, TrustedProxies};
use crate::platform::db::PrimaryDb;

pub const PATH: &str = "/reset-password";

const PAGE_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The page, limited like every endpoint that checks a credential.
pub fn routes<S>(limits: &RateLimits) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    AuthState: axum::extract::FromRef<S>,
    PrimaryDb: axum::extract::FromRef<S>,
    TrustedProxies: axum::extract::FromRef<S>,
{
    let page = utoipa_axum::router::OpenApiRouter::new().route(PATH, get(show).post(submit));
    limited(page, limits, RouteClass::Credentials).into()
}

#[derive(Deserialize)]
struct LinkQuery {
    #[serde(default)]
    token: String,
}

async fn show(
    State(auth): State<AuthState>,
    State(PrimaryDb(db)): State<PrimaryDb>,
    Query(query): Query<LinkQuery>,
) -> Response {
    match recovery::link_is_open(&db, &auth, &query.token).await {
        Ok(true) => page(StatusCode::OK, &form(&query.token, None)),
        Ok(false) => page(StatusCode::BAD_REQUEST, &broken_link()),
        Err(error) => {
            tracing::error!(error = %error, "checking a password reset link failed");
            page(StatusCode::SERVICE_UNAVAILABLE, &unavailable())
        }
    }
}

#[derive(Deserialize)]
struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    new_password: String,
}

async fn submit(
    State(auth): State<AuthState>,
    State(PrimaryDb(db)): State<PrimaryDb>,
    context: RequestContext,
    Form(form_data): Form<ResetForm>,
) -> Response {
    let proof = Proof::Link(SecretString::from(form_data.token.clone()));
    let password = SecretString::from(form_data.new_password);
    match recovery::reset(&db, &auth, proof, password, &context).await {
        Ok(_) => page(StatusCode::OK, &done()),
        Err(AuthError::Invalid { field: "new_password", reason }) => {
            page(StatusCode::BAD_REQUEST, &form(&form_data.token, Some(&reason)))
        }
        Err(AuthError::Invalid { .. }) => page(StatusCode::BAD_REQUEST, &broken_link()),
        Err(error) => {
            tracing::error!(error = %error, "a password reset from the page failed");
            page(StatusCode::SERVICE_UNAVAILABLE, &unavailable())
        }
    }
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

fn form(token: &str, refused: Option<&str>) -> Markup {
    frame(
        "إعادة تعيين كلمة المرور | Reset your password",
        html! {
            h1 { "إعادة تعيين كلمة المرور" }
            p lang="en" class="en" { "Reset your CargoParts password" }
            @if let Some(reason) = refused {
                p class="error" role="alert" { "لم تُقبل كلمة المرور الجديدة." }
                p lang="en" class="en error" { "The new password was refused: " (reason) "." }
            }
            form method="post" action=(PATH) {
                input type="hidden" name="token" value=(token);
                label for="new_password" {
                    "كلمة المرور الجديدة " span lang="en" { "(new password)" }
                }
                input type="password" id="new_password" name="new_password" required
                    minlength=(MIN_LENGTH) maxlength="128" autocomplete="new-password";
                p { "عشرة أحرف على الأقل. سيُطلب منك تسجيل الدخول من جديد على كل أجهزتك." }
                p lang="en" class="en" { "At least 10 characters. Every device will be signed out." }
                button type="submit" { "حفظ كلمة المرور · Save password" }
            }
        },
    )
}

fn done() -> Markup {
    notice(
        "تم تغيير كلمة المرور | Password changed",
        "تم تغيير كلمة المرور",
        "سجّل الدخول بكلمة المرور الجديدة. أُنهيت جميع الجلسات السابقة.",
        "Your password was changed. Sign in with the new one; every earlier session has ended.",
    )
}

fn broken_link() -> Markup {
    notice(
        "رابط غير صالح | Invalid link",
        "الرابط غير صالح أو منتهي",
        "استُخدم هذا الرابط من قبل أو انتهت صلاحيته. اطلب رابطاً جديداً من صفحة تسجيل الدخول.",
        "This link was already used or has expired. Ask for a new one from the sign-in page.",
    )
}

fn unavailable() -> Markup {
    notice(
        "تعذّر الحفظ | Try again",
        "تعذّر حفظ كلمة المرور الآن",
        "حاول مرة أخرى بعد قليل؛ الرابط ما زال صالحاً.",
        "The password could not be saved just now. Try again shortly; the link still works.",
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_is_arabic_first_and_escapes_the_token() {
        let html = form("abc\"><script>alert(1)</script>", None).into_string();
        assert!(html.contains(r#"<html lang="ar" dir="rtl">"#));
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains(r#"autocomplete="new-password""#));
    }

    #[test]
    fn a_refused_password_says_why() {
        let html = form("t", Some("must be at least 10 characters")).into_string();
        assert!(html.contains("must be at least 10 characters") && html.contains(r#"role="alert""#));
    }
}
