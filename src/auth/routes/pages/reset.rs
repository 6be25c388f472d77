//! The page a password-reset email links to: a form for the new password that posts
//! to itself.
//!
//! The token rides in a hidden field, so the form cannot be forged from another site
//! without it (it is the form's CSRF proof).

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use secrecy::SecretString;
use serde::Deserialize;

use super::{LinkQuery, broken_link, frame, notice, page, unavailable};

use crate::auth::AuthState;
use crate::auth::error::AuthError;
use crate::auth::passwords::MIN_LENGTH;
use crate::auth::recovery::{self, Proof};
use crate::platform::client::RequestContext;
use crate::platform::db::PrimaryDb;

pub const PATH: &str = "/reset-password";

pub(super) async fn show(
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
pub(super) struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    new_password: String,
}

pub(super) async fn submit(
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
