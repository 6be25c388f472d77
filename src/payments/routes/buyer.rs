//! The buyer's payment endpoints, and the return from the provider.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::principal::{AuthUser, Role};
use crate::http::error::{AppError, ErrorEnvelope};
use crate::http::extract::{AppJson, AppPath};
use crate::payments::confirm::{self, Trigger};
use crate::payments::model::Method;
use crate::payments::store::{payments as store, refunds};
use crate::payments::view::{PaymentReturn, PaymentStarted, PaymentView};
use crate::payments::{PaymentError, PaymentsState, start};
use crate::platform::client::RequestContext;

/// `POST /orders/{id}/payments`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartPayment {
    /// `mada` and `card` (and `applepay`) pay through HyperPay's widget, `tap` on Tap's page.
    pub method: Method,
}

/// Opens a payment of the order.
///
/// The order must be the caller's, awaiting payment, its reservation running. The
/// answer says how the shopper pays: HyperPay's widget (`script_url`, `brands`, and the
/// form's action `shopper_result_url`) or a page to send them to (`redirect_url`). When
/// the chosen provider cannot be reached, the configured fallback provider opens it.
/// The payment is paid only once the provider confirms it: `GET /payments/{id}` says
/// where it stands. Every attempt is screened by transaction monitoring.
#[utoipa::path(
    post,
    path = "/orders/{id}/payments",
    tag = "payments",
    security(("bearer_jwt" = [])),
    params(("id" = Uuid, Path, description = "The order's id")),
    request_body = StartPayment,
    responses(
        (status = 201, description = "The payment, with its checkout", body = PaymentStarted),
        (status = 400, description = "A field is invalid; it is named", body = ErrorEnvelope),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 404, description = "No such order, or not the caller's", body = ErrorEnvelope),
        (status = 409, description = "`INVALID_STATE`: the order is not awaiting payment (paid, expired, cancelled)", body = ErrorEnvelope),
        (status = 422, description = "`PAYMENT_METHOD_UNAVAILABLE`: no provider takes this method here", body = ErrorEnvelope),
        (status = 502, description = "`PAYMENT_PROVIDER_ERROR`: the provider refused to open the checkout", body = ErrorEnvelope),
        (status = 503, description = "`PAYMENT_PROVIDER_UNAVAILABLE`: no provider could be reached; nothing was charged", body = ErrorEnvelope)
    )
)]
pub async fn start_payment(
    State(state): State<PaymentsState>,
    user: AuthUser,
    context: RequestContext,
    AppPath(order_id): AppPath<Uuid>,
    AppJson(body): AppJson<StartPayment>,
) -> Result<(StatusCode, Json<PaymentStarted>), AppError> {
    let started = start::start(&state, user.user_id, order_id, body.method, context.request_id.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(PaymentStarted::of(started))))
}

/// A payment: for its buyer and administrators; anyone else gets 404.
#[utoipa::path(
    get,
    path = "/payments/{id}",
    tag = "payments",
    security(("bearer_jwt" = [])),
    params(("id" = Uuid, Path, description = "The payment's id")),
    responses(
        (status = 200, description = "The payment and its refunds", body = PaymentView),
        (status = 400, description = "`id` is not a UUID", body = ErrorEnvelope),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 404, description = "No such payment, or not the caller's", body = ErrorEnvelope)
    )
)]
pub async fn get_payment(
    State(state): State<PaymentsState>,
    user: AuthUser,
    AppPath(id): AppPath<Uuid>,
) -> Result<Json<PaymentView>, AppError> {
    let payment = store::get(&state.db, id)
        .await?
        .filter(|p| p.buyer_id == user.user_id || user.role == Role::Admin)
        .ok_or(PaymentError::NotFound("payment"))?;
    let refunds = refunds::of_payment(&state.db, id).await?;
    Ok(Json(PaymentView::of(&payment, &refunds)))
}

/// Where the provider sends the shopper back (HyperPay adds `id` and `resourcePath`,
/// Tap adds `tap_id`). Those parameters are not believed: the provider is asked what
/// became of the payment, and the answer applied. Says where the payment stands.
#[utoipa::path(
    get,
    path = "/payments/{id}/return",
    tag = "payments",
    params(
        ("id" = Uuid, Path, description = "The payment's id"),
        ("id" = Option<String>, Query, description = "HyperPay's checkout id (ignored: the stored one is asked about)"),
        ("resourcePath" = Option<String>, Query, description = "HyperPay's status path (ignored)"),
        ("tap_id" = Option<String>, Query, description = "Tap's charge id (ignored)")
    ),
    responses(
        (status = 200, description = "Where the payment stands", body = PaymentReturn),
        (status = 400, description = "`id` is not a UUID", body = ErrorEnvelope),
        (status = 404, description = "No such payment", body = ErrorEnvelope)
    )
)]
pub async fn payment_return(
    State(state): State<PaymentsState>,
    context: RequestContext,
    AppPath(id): AppPath<Uuid>,
) -> Result<Json<PaymentReturn>, AppError> {
    let payment = confirm::confirm(&state, id, Trigger::Return, context.request_id.as_deref()).await?;
    Ok(Json(PaymentReturn { payment_id: payment.id, order_id: payment.order_id, status: payment.status }))
}
