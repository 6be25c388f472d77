//! Administrators' payment endpoints: refunds and the audit trail.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::principal::AdminUser;
use crate::http::error::{AppError, ErrorEnvelope, FieldError};
use crate::http::extract::{AppJson, AppPath};
use crate::payments::store::{audit, payments as store, refunds as refund_store};
use crate::payments::view::{PaymentAudit, PaymentView, RefundView};
use crate::payments::{PaymentError, PaymentsState, refunds};
use crate::platform::audit::{self as platform_audit, Entry, Event};
use crate::platform::client::RequestContext;
use crate::platform::money::Halalas;

/// `POST /admin/orders/{id}/refunds`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundRequestBody {
    /// What to give back, in SAR with up to two decimals; at most what is left of the payment.
    #[schema(example = "50.00")]
    pub amount_sar: String,
    #[validate(length(min = 3, max = 500, message = "must be 3 to 500 characters"))]
    pub reason: String,
}

/// Refunds part or all of the payment that paid the order. Never more than was
/// captured, in total (refunds pending or done count). The provider is asked at once;
/// a provider that cannot be reached leaves the refund `refund_pending`, and it is
/// tried again. The order becomes `partially_refunded` or `refunded` when the money is back.
#[utoipa::path(
    post,
    path = "/admin/orders/{id}/refunds",
    tag = "admin",
    security(("bearer_jwt" = [])),
    params(("id" = Uuid, Path, description = "The order's id")),
    request_body = RefundRequestBody,
    responses(
        (status = 201, description = "The refund: `refunded`, `refund_pending` or `failed`", body = RefundView),
        (status = 400, description = "A field is invalid; it is named", body = ErrorEnvelope),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an administrator", body = ErrorEnvelope),
        (status = 404, description = "No such order", body = ErrorEnvelope),
        (status = 409, description = "`INVALID_STATE`: the order has no captured payment", body = ErrorEnvelope),
        (status = 422, description = "`REFUND_EXCEEDS_CAPTURED`: more than can still be refunded (`details.refundable_sar`)", body = ErrorEnvelope)
    )
)]
pub async fn refund(
    State(state): State<PaymentsState>,
    admin: AdminUser,
    context: RequestContext,
    AppPath(order_id): AppPath<Uuid>,
    AppJson(body): AppJson<RefundRequestBody>,
) -> Result<(StatusCode, Json<RefundView>), AppError> {
    let amount = Halalas::parse_sar(&body.amount_sar).ok().filter(|a| *a > Halalas::ZERO).ok_or_else(|| {
        PaymentError::Invalid(vec![FieldError::new("amount_sar", "must be a positive SAR amount like 50.00")])
    })?;
    let reason = body.reason.trim();
    let admin_id = admin.0.user_id;
    let requester = serde_json::json!({ "kind": "admin", "id": admin_id });
    let actor = format!("admin:{admin_id}");
    let refund =
        refunds::request(&state, order_id, Some(amount), reason, requester, &actor, context.request_id.as_deref())
            .await?;
    let entry = Entry {
        event: Event::AdminRequestedRefund,
        actor: Some(admin_id),
        subject: Some(order_id),
        details: serde_json::json!({ "refund_id": refund.id, "amount_sar": amount.to_string(), "reason": reason }),
    };
    platform_audit::record(&state.db, entry, &context, state.now()).await?;
    Ok((StatusCode::CREATED, Json(RefundView::of(&refund))))
}

/// A payment with every state change it and its refunds went through: who moved it,
/// the provider's code, the request that did it.
#[utoipa::path(
    get,
    path = "/admin/payments/{id}",
    tag = "admin",
    security(("bearer_jwt" = [])),
    params(("id" = Uuid, Path, description = "The payment's id")),
    responses(
        (status = 200, description = "The payment and its audit trail", body = PaymentAudit),
        (status = 400, description = "`id` is not a UUID", body = ErrorEnvelope),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an administrator", body = ErrorEnvelope),
        (status = 404, description = "No such payment", body = ErrorEnvelope)
    )
)]
pub async fn payment_audit(
    State(state): State<PaymentsState>,
    _admin: AdminUser,
    AppPath(id): AppPath<Uuid>,
) -> Result<Json<PaymentAudit>, AppError> {
    let payment = store::get(&state.db, id).await?.ok_or(PaymentError::NotFound("payment"))?;
    let refunds = refund_store::of_payment(&state.db, id).await?;
    let history = audit::of_payment(&state.db, id).await?;
    Ok(Json(PaymentAudit { payment: PaymentView::of(&payment, &refunds), history }))
}
