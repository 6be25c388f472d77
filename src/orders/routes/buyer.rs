//! The buyer's endpoints: place an order, read and cancel it.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;
use validator::Validate;

use super::extract::{Reader, RequiredIdempotencyKey};
use crate::auth::principal::{AuthUser, Role};
use crate::http::error::{AppError, ErrorEnvelope};
use crate::http::extract::{AppJson, AppPath, AppQuery};
use crate::orders::checkout::{self, Placed};
use crate::orders::lifecycle::{self, Actor};
use crate::orders::model::{CreateOrder, OrderView};
use crate::orders::state::OrderStatus;
use crate::orders::{OrdersState, reading, view};
use crate::platform::pagination::{MAX_LIMIT, MAX_PAGE, PageParams, Paginated};

const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// Places an order.
///
/// Stock is reserved at once, for `orders.reservation_ttl_secs` (15 minutes by
/// default); an order still unpaid then expires and its stock returns. Prices are the
/// listings' prices now, VAT included; each line's VAT is line_total × 15 / 115,
/// rounded half up to the halala.
///
/// `Idempotency-Key` is required. The first answer for a key is kept 24 hours and
/// given again, with `Idempotent-Replayed: true`, to a retry with the same key and the
/// same body; the same key with another body is `422 IDEMPOTENCY_KEY_REUSED`, and a
/// retry while the first request still runs is `409 IDEMPOTENCY_KEY_IN_USE`. A request
/// that failed (no stock, an invalid field) keeps no answer: it may be retried with its key.
#[utoipa::path(
    post,
    path = "/orders",
    tag = "orders",
    security(("bearer_jwt" = [])),
    params(("Idempotency-Key" = String, Header, description = "1 to 255 visible ASCII characters; a new UUID per order")),
    request_body = CreateOrder,
    responses(
        (status = 201, description = "The order, awaiting payment (or the first answer, replayed)", body = OrderView,
            headers(("Idempotent-Replayed" = bool, description = "`true` when this is the stored first answer"))),
        (status = 400, description = "A field or the `Idempotency-Key` header is invalid or missing; each is named", body = ErrorEnvelope),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 409, description = "`INSUFFICIENT_STOCK` (`details.short` lists each short line with what is available) or `IDEMPOTENCY_KEY_IN_USE`", body = ErrorEnvelope),
        (status = 422, description = "`IDEMPOTENCY_KEY_REUSED`: the key was used for another request", body = ErrorEnvelope)
    )
)]
pub async fn create_order(
    State(state): State<OrdersState>,
    user: AuthUser,
    RequiredIdempotencyKey(key): RequiredIdempotencyKey,
    AppJson(body): AppJson<CreateOrder>,
) -> Result<Response, AppError> {
    let (answer, replayed) = match checkout::place(&state, user.user_id, &key, &body).await? {
        Placed::Created(answer) => (answer, false),
        Placed::Replayed(answer) => (answer, true),
    };
    let status = StatusCode::from_u16(answer.status).map_err(anyhow::Error::from)?;
    let mut response = (status, Json(answer.body)).into_response();
    if replayed {
        response.headers_mut().insert(REPLAYED, HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// Query of the buyer's order list.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrdersQuery {
    /// 1-based page number.
    #[serde(default = "crate::platform::pagination::first_page")]
    #[validate(range(min = 1, max = MAX_PAGE, message = "must be between 1 and 10000"))]
    pub page: u32,
    /// Results per page, 1–100.
    #[serde(default = "crate::platform::pagination::default_limit")]
    #[validate(range(min = 1, max = MAX_LIMIT, message = "must be between 1 and 100"))]
    pub limit: u32,
    /// Only orders in this state.
    #[param(value_type = Option<OrderStatus>)]
    pub status: Option<OrderStatus>,
}

/// The signed-in buyer's own orders, newest first.
#[utoipa::path(
    get,
    path = "/orders",
    tag = "orders",
    security(("bearer_jwt" = [])),
    params(OrdersQuery),
    responses(
        (status = 200, description = "A page of the buyer's orders", body = Paginated<OrderView>),
        (status = 400, description = "Bad parameter", body = ErrorEnvelope),
        (status = 401, description = "Not signed in", body = ErrorEnvelope)
    )
)]
pub async fn list_orders(
    State(state): State<OrdersState>,
    user: AuthUser,
    AppQuery(query): AppQuery<OrdersQuery>,
) -> Result<Json<Paginated<OrderView>>, AppError> {
    let page = PageParams { page: query.page, limit: query.limit };
    Ok(Json(reading::of_buyer(&state, user.user_id, query.status, page).await?))
}

/// One order: whole for its buyer and administrators; a seller of one of its groups
/// sees its own group only (with that group's totals, and the address once paid).
/// Anyone else gets 404.
#[utoipa::path(
    get,
    path = "/orders/{id}",
    tag = "orders",
    security(("bearer_jwt" = []), ("seller_api_key" = [])),
    params(("id" = Uuid, Path, description = "The order's id")),
    responses(
        (status = 200, description = "The order", body = OrderView),
        (status = 400, description = "`id` is not a UUID", body = ErrorEnvelope),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 404, description = "No such order, or not the caller's", body = ErrorEnvelope)
    )
)]
pub async fn get_order(
    State(state): State<OrdersState>,
    Reader(viewer): Reader,
    AppPath(id): AppPath<Uuid>,
) -> Result<Json<OrderView>, AppError> {
    Ok(Json(reading::order(&state, id, viewer).await?))
}

/// Cancels the buyer's order: before payment, or after it while no group has
/// shipped. The stock returns; for a paid order a refund is due (`order.cancelled`
/// event with `refund_due`). Administrators may cancel any order.
#[utoipa::path(
    post,
    path = "/orders/{id}/cancel",
    tag = "orders",
    security(("bearer_jwt" = [])),
    params(("id" = Uuid, Path, description = "The order's id")),
    responses(
        (status = 200, description = "The cancelled order", body = OrderView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 404, description = "No such order, or not the caller's", body = ErrorEnvelope),
        (status = 409, description = "`INVALID_STATE`: the order cannot be cancelled now; `details.current_state` says why", body = ErrorEnvelope)
    )
)]
pub async fn cancel_order(
    State(state): State<OrdersState>,
    user: AuthUser,
    AppPath(id): AppPath<Uuid>,
) -> Result<Json<OrderView>, AppError> {
    let actor = if user.role == Role::Admin { Actor::Admin(user.user_id) } else { Actor::Buyer(user.user_id) };
    let order = lifecycle::cancel(&state, id, actor).await?;
    Ok(Json(view::order(&order, state.open_phone(&order)?.as_ref())))
}
