//! The sandbox provider's page: where a shopper "pays" in development, by choosing to
//! approve or decline. Mounted only when the sandbox serves; never in production.

use axum::Router;
use axum::extract::{FromRef, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use maud::{DOCTYPE, html};
use serde::Deserialize;

use crate::http::error::AppError;
use crate::http::extract::AppPath;
use crate::payments::PaymentsState;
use crate::payments::providers::sandbox::{Decision, Sandbox};
use crate::platform::money::Halalas;

/// `GET` and `POST /sandbox/checkouts/{id}`, relative to `/api/v1`.
pub fn sandbox_routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    PaymentsState: FromRef<S>,
{
    Router::new().route("/sandbox/checkouts/{id}", get(page).post(decide))
}

fn sandbox_of(state: &PaymentsState) -> Result<&Sandbox, AppError> {
    state.sandbox.as_deref().ok_or(AppError::NotFound("route"))
}

async fn page(State(state): State<PaymentsState>, AppPath(id): AppPath<String>) -> Result<Response, AppError> {
    let sandbox = sandbox_of(&state)?;
    let checkout = sandbox.checkout(&id).await.map_err(anyhow::Error::from)?.ok_or(AppError::NotFound("checkout"))?;
    let amount = Halalas::new(checkout.amount_halalas);
    let open = checkout.status == "initiated";
    let markup = html! {
        (DOCTYPE)
        html lang="ar" dir="rtl" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "بيئة الدفع التجريبية · Payment sandbox" }
            }
            body {
                h1 { "بيئة الدفع التجريبية" }
                p lang="en" dir="ltr" { "Payment sandbox: no money moves and no card is asked for." }
                p { "المبلغ: " (amount) " ر.س · " (checkout.brand) }
                @if open {
                    form method="post" {
                        button type="submit" name="decision" value="approve" { "ادفع · Approve" }
                        " "
                        button type="submit" name="decision" value="decline" { "ارفض · Decline" }
                    }
                } @else {
                    p { "تمت معالجة هذه العملية · This checkout was " (checkout.status) "." }
                }
            }
        }
    };
    Ok(Html(markup.into_string()).into_response())
}

#[derive(Deserialize)]
struct DecisionForm {
    decision: String,
}

async fn decide(
    State(state): State<PaymentsState>,
    AppPath(id): AppPath<String>,
    axum::Form(form): axum::Form<DecisionForm>,
) -> Result<Response, AppError> {
    let sandbox = sandbox_of(&state)?;
    let decision = match form.decision.as_str() {
        "approve" => Decision::Approve,
        "decline" => Decision::Decline,
        _ => {
            return Err(AppError::BadRequest { message: "decision must be approve or decline".into(), details: None });
        }
    };
    let return_url =
        sandbox.decide(&id, decision).await.map_err(anyhow::Error::from)?.ok_or(AppError::NotFound("open checkout"))?;
    let location = HeaderValue::from_str(&return_url).map_err(anyhow::Error::from)?;
    Ok((StatusCode::SEE_OTHER, [(LOCATION, location)]).into_response())
}
