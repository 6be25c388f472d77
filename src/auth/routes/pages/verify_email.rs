//! The page a verification email links to. Opening it proves nothing by itself (mail
//! scanners open links); its button posts the token back, and that proves the address.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;

use super::{LinkQuery, broken_link, frame, notice, page, unavailable};
use crate::auth::AuthState;
use crate::auth::error::AuthError;
use crate::auth::verification;
use crate::platform::client::RequestContext;
use crate::platform::db::PrimaryDb;

pub const PATH: &str = "/verify-email";

pub(super) async fn show(
    State(auth): State<AuthState>,
    State(PrimaryDb(db)): State<PrimaryDb>,
    Query(query): Query<LinkQuery>,
) -> Response {
    match verification::link_is_open(&db, &auth, &query.token).await {
        Ok(true) => page(StatusCode::OK, &confirm(&query.token)),
        Ok(false) => page(StatusCode::BAD_REQUEST, &broken_link()),
        Err(error) => {
            tracing::error!(error = %error, "checking an email verification link failed");
            page(StatusCode::SERVICE_UNAVAILABLE, &unavailable())
        }
    }
}

#[derive(Deserialize)]
pub(super) struct ConfirmForm {
    #[serde(default)]
    token: String,
}

pub(super) async fn submit(
    State(auth): State<AuthState>,
    State(PrimaryDb(db)): State<PrimaryDb>,
    context: RequestContext,
    Form(form_data): Form<ConfirmForm>,
) -> Response {
    match verification::confirm_email(&db, &auth, &form_data.token, &context).await {
        Ok(_) => page(StatusCode::OK, &done()),
        Err(AuthError::Invalid { .. }) => page(StatusCode::BAD_REQUEST, &broken_link()),
        Err(error) => {
            tracing::error!(error = %error, "an email verification from the page failed");
            page(StatusCode::SERVICE_UNAVAILABLE, &unavailable())
        }
    }
}

fn confirm(token: &str) -> Markup {
    frame(
        "تأكيد البريد الإلكتروني | Confirm your email",
        html! {
            h1 { "تأكيد البريد الإلكتروني" }
            p lang="en" class="en" { "Confirm your CargoParts email address" }
            form method="post" action=(PATH) {
                input type="hidden" name="token" value=(token);
                p { "اضغط الزر لتأكيد أن هذا البريد لك." }
                p lang="en" class="en" { "Press the button to confirm this address is yours." }
                button type="submit" { "تأكيد البريد · Confirm email" }
            }
        },
    )
}

fn done() -> Markup {
    notice(
        "تم تأكيد البريد | Email confirmed",
        "تم تأكيد بريدك الإلكتروني",
        "شكراً لك. سنرسل إلى هذا البريد فواتيرك وتحديثات طلباتك.",
        "Thank you. Your invoices and order updates will come to this address.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_confirmation_escapes_the_token_and_posts_back() {
        let html = confirm("abc\"><script>alert(1)</script>").into_string();
        assert!(html.contains(r#"<html lang="ar" dir="rtl">"#));
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains(r#"action="/verify-email""#));
    }
}
