//! Sign-in with a code sent by SMS.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::AuthState;
use crate::auth::login::{self, LoginResponse};
use crate::auth::otp;
use crate::http::error::{AppError, ErrorEnvelope};
use crate::http::extract::AppJson;
use crate::platform::client::RequestContext;
use crate::platform::db::PrimaryDb;
use crate::platform::phone::Phone;

/// A phone number to send a sign-in code to.
#[derive(Deserialize, Validate, ToSchema)]
pub struct OtpRequest {
    /// Saudi mobile number in any usual form.
    #[validate(length(max = 32, message = "must be a Saudi mobile number"))]
    pub phone: String,
}

/// The code is on its way, if the number has an account.
#[derive(Debug, Serialize, ToSchema)]
pub struct OtpSent {
    /// Seconds the code stays valid.
    pub expires_in: u64,
}

/// Sends a sign-in code by SMS.
///
/// The answer is the same whether or not the number has an account.
#[utoipa::path(
    post,
    path = "/auth/otp/request",
    tag = "auth",
    request_body = OtpRequest,
    responses(
        (status = 202, description = "A code was sent if the number has an account", body = OtpSent),
        (status = 400, description = "Not a Saudi mobile number", body = ErrorEnvelope),
        (status = 429, description = "Too many codes for this number, or requests from this address", body = ErrorEnvelope)
    )
)]
#[tracing::instrument(skip_all)]
pub async fn request_code(
    State(auth): State<AuthState>,
    State(PrimaryDb(db)): State<PrimaryDb>,
    context: RequestContext,
    AppJson(body): AppJson<OtpRequest>,
) -> Result<(StatusCode, Json<OtpSent>), AppError> {
    let phone = Phone::parse(&body.phone).map_err(|reason| AppError::invalid("phone", reason))?;
    otp::request(&db, &auth, &phone, &context).await?;
    Ok((StatusCode::ACCEPTED, Json(OtpSent { expires_in: auth.settings.otp_ttl_secs })))
}

/// A code received by SMS.
#[derive(Deserialize, Validate, ToSchema)]
pub struct OtpVerifyRequest {
    #[validate(length(max = 32, message = "must be a Saudi mobile number"))]
    pub phone: String,
    /// The six digits from the message.
    #[validate(length(max = 16, message = "must be the six digits from the message"))]
    pub code: String,
}

/// Signs in with the code sent by SMS.
#[utoipa::path(
    post,
    path = "/auth/otp/verify",
    tag = "auth",
    request_body = OtpVerifyRequest,
    responses(
        (status = 200, description = "Tokens, or a second-factor challenge", body = LoginResponse),
        (status = 400, description = "Not a Saudi mobile number", body = ErrorEnvelope),
        (status = 401, description = "Wrong, expired or used code", body = ErrorEnvelope),
        (status = 429, description = "Too many attempts from this address", body = ErrorEnvelope)
    )
)]
#[tracing::instrument(skip_all)]
pub async fn verify_code(
    State(auth): State<AuthState>,
    State(PrimaryDb(db)): State<PrimaryDb>,
    context: RequestContext,
    AppJson(body): AppJson<OtpVerifyRequest>,
) -> Result<Json<LoginResponse>, AppError> {
    let phone = Phone::parse(&body.phone).map_err(|reason| AppError::invalid("phone", reason))?;
    let user = otp::verify(&db, &auth, &phone, &body.code, &context).await?;
    Ok(Json(login::finish(&db, &auth, &user, "otp", &context).await?))
}
