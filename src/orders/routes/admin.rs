//! Administrators' order endpoints.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::principal::AdminUser;
use crate::http::error::{AppError, ErrorEnvelope};
use crate::http::extract::{AppJson, AppPath};
use crate::orders::lifecycle::{self, Actor};
use crate::orders::model::OrderView;
use crate::orders::{OrdersState, view};
use crate::platform::audit::{self, Entry, Event};
use crate::platform::client::RequestContext;

/// `POST /admin/orders/{id}/mark-paid`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkPaid {
    /// What proves the payment: a bank transfer's reference, a receipt number.
    #[validate(length(min = 3, max = 200, message = "must be 3 to 200 characters"))]
    pub reference: String,
}

/// Records a payment received outside the payment providers (a bank transfer): the
/// order becomes `paid` and its invoices are issued, exactly as when a provider
/// confirms a payment. The administrator and the reference go to the audit log.
#[utoipa::path(
    post,
    path = "/admin/orders/{id}/mark-paid",
    tag = "admin",
    security(("bearer_jwt" = [])),
    params(("id" = Uuid, Path, description = "The order's id")),
    request_body = MarkPaid,
    responses(
        (status = 200, description = "The order, paid", body = OrderView),
        (status = 400, description = "A field is invalid; it is named", body = ErrorEnvelope),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an administrator", body = ErrorEnvelope),
        (status = 404, description = "No such order", body = ErrorEnvelope),
        (status = 409, description = "`INVALID_STATE`: the order is not awaiting payment", body = ErrorEnvelope)
    )
)]
pub async fn mark_paid(
    State(state): State<OrdersState>,
    admin: AdminUser,
    context: RequestContext,
    AppPath(id): AppPath<Uuid>,
    AppJson(body): AppJson<MarkPaid>,
) -> Result<Json<OrderView>, AppError> {
    let reference = body.reference.trim();
    let order = lifecycle::mark_paid(&state, id, reference, Actor::Admin(admin.0.user_id)).await?;
    let entry = Entry {
        event: Event::AdminMarkedOrderPaid,
        actor: Some(admin.0.user_id),
        subject: Some(id),
        details: serde_json::json!({ "reference": reference }),
    };
    audit::record(&state.db, entry, &context, state.now()).await?;
    Ok(Json(view::order(&order, state.open_phone(&order)?.as_ref())))
}
