//! The sellers' fulfilment endpoints: their groups, and accept, ship, deliver.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;
use validator::Validate;

use super::extract::ActingSeller;
use crate::http::error::{AppError, ErrorEnvelope};
use crate::http::extract::{AppJson, AppPath, AppQuery};
use crate::orders::OrdersState;
use crate::orders::fulfilment;
use crate::orders::model::{SellerOrderView, ShipRequest};
use crate::orders::state::{GroupMove, GroupStatus};
use crate::platform::pagination::{MAX_LIMIT, MAX_PAGE, PageParams, Paginated};

/// Query of a seller's order list.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SellerOrdersQuery {
    /// 1-based page number.
    #[serde(default = "crate::platform::pagination::first_page")]
    #[validate(range(min = 1, max = MAX_PAGE, message = "must be between 1 and 10000"))]
    pub page: u32,
    /// Results per page, 1–100.
    #[serde(default = "crate::platform::pagination::default_limit")]
    #[validate(range(min = 1, max = MAX_LIMIT, message = "must be between 1 and 100"))]
    pub limit: u32,
    /// Only groups in this state, e.g. `paid` for what is waiting to be accepted.
    #[param(value_type = Option<GroupStatus>)]
    pub status: Option<GroupStatus>,
}

/// The seller's part of each order (its group), newest first.
#[utoipa::path(
    get,
    path = "/seller/orders",
    tag = "seller-orders",
    security(("seller_api_key" = []), ("bearer_jwt" = [])),
    params(SellerOrdersQuery),
    responses(
        (status = 200, description = "A page of the seller's groups", body = Paginated<SellerOrderView>),
        (status = 400, description = "Bad parameter", body = ErrorEnvelope),
        (status = 401, description = "No seller API key or seller access token", body = ErrorEnvelope),
        (status = 403, description = "Signed in, but not as a trading seller", body = ErrorEnvelope)
    )
)]
pub async fn list_seller_orders(
    State(state): State<OrdersState>,
    ActingSeller(seller): ActingSeller,
    AppQuery(query): AppQuery<SellerOrdersQuery>,
) -> Result<Json<Paginated<SellerOrderView>>, AppError> {
    let page = PageParams { page: query.page, limit: query.limit };
    Ok(Json(fulfilment::list(&state, seller, query.status, page).await?))
}

/// Accepts a paid group: the seller will send it.
#[utoipa::path(
    post,
    path = "/seller/orders/{id}/accept",
    tag = "seller-orders",
    security(("seller_api_key" = []), ("bearer_jwt" = [])),
    params(("id" = Uuid, Path, description = "The group's id (`id` in the seller's order list)")),
    responses(
        (status = 200, description = "The group, accepted", body = SellerOrderView),
        (status = 401, description = "No seller credentials", body = ErrorEnvelope),
        (status = 404, description = "No such group of this seller", body = ErrorEnvelope),
        (status = 409, description = "`INVALID_STATE`: only a paid group can be accepted", body = ErrorEnvelope)
    )
)]
pub async fn accept(
    State(state): State<OrdersState>,
    ActingSeller(seller): ActingSeller,
    AppPath(id): AppPath<Uuid>,
) -> Result<Json<SellerOrderView>, AppError> {
    Ok(Json(fulfilment::advance(&state, seller, id, GroupMove::Accept, None).await?))
}

/// Ships an accepted group with its carrier and tracking number.
#[utoipa::path(
    post,
    path = "/seller/orders/{id}/ship",
    tag = "seller-orders",
    security(("seller_api_key" = []), ("bearer_jwt" = [])),
    params(("id" = Uuid, Path, description = "The group's id")),
    request_body = ShipRequest,
    responses(
        (status = 200, description = "The group, shipped", body = SellerOrderView),
        (status = 400, description = "A field is invalid; it is named", body = ErrorEnvelope),
        (status = 401, description = "No seller credentials", body = ErrorEnvelope),
        (status = 404, description = "No such group of this seller", body = ErrorEnvelope),
        (status = 409, description = "`INVALID_STATE`: only an accepted group can ship", body = ErrorEnvelope)
    )
)]
pub async fn ship(
    State(state): State<OrdersState>,
    ActingSeller(seller): ActingSeller,
    AppPath(id): AppPath<Uuid>,
    AppJson(body): AppJson<ShipRequest>,
) -> Result<Json<SellerOrderView>, AppError> {
    let (carrier, tracking) = (body.carrier.trim(), body.tracking_number.trim());
    if carrier.is_empty() || carrier.chars().any(char::is_control) {
        return Err(AppError::invalid("carrier", "must be 1 to 100 characters of text"));
    }
    if tracking.is_empty() || tracking.chars().any(char::is_control) {
        return Err(AppError::invalid("tracking_number", "must be 1 to 100 characters of text"));
    }
    Ok(Json(fulfilment::advance(&state, seller, id, GroupMove::Ship, Some((carrier, tracking))).await?))
}

/// Records that a shipped group was delivered. The order is `completed` once every
/// group of it is delivered.
#[utoipa::path(
    post,
    path = "/seller/orders/{id}/deliver",
    tag = "seller-orders",
    security(("seller_api_key" = []), ("bearer_jwt" = [])),
    params(("id" = Uuid, Path, description = "The group's id")),
    responses(
        (status = 200, description = "The group, delivered", body = SellerOrderView),
        (status = 401, description = "No seller credentials", body = ErrorEnvelope),
        (status = 404, description = "No such group of this seller", body = ErrorEnvelope),
        (status = 409, description = "`INVALID_STATE`: only a shipped group can be delivered", body = ErrorEnvelope)
    )
)]
pub async fn deliver(
    State(state): State<OrdersState>,
    ActingSeller(seller): ActingSeller,
    AppPath(id): AppPath<Uuid>,
) -> Result<Json<SellerOrderView>, AppError> {
    Ok(Json(fulfilment::advance(&state, seller, id, GroupMove::Deliver, None).await?))
}
