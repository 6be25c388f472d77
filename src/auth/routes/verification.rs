//! Proving an account's email address and phone number: ask for a code or a link,
//! then present it.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::AuthState;
use crate::auth::principal::AuthUser;
use crate::auth::recovery::Channel;
use crate::auth::verification;
use crate::http::error::{AppError, ErrorEnvelope};
use crate::http::extract::AppJson;
use crate::platform::client::RequestContext;
use crate::platform::db::PrimaryDb;

/// A verification on its way.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationSent {
    /// `email` (a link) or `sms` (a six-digit code).
    pub channel: &'static str,
    /// Seconds the link or code stays valid.
    pub expires_in: u64,
}

/// Texts a new code to the signed-in account's phone.
///
/// A few codes an hour (`auth.verification_max_per_hour`); each new one replaces none
/// of the earlier ones, but only the latest is accepted.
#[utoipa::path(
    post,
    path = "/me/verification/phone",
    tag = "account",
    security(("bearer_jwt" = [])),
    responses(
        (status = 202, description = "A code was texted", body = VerificationSent),
        (status = 400, description = "The account has no phone number (`channel`)", body = ErrorEnvelope),
        (status = 401, description = "Missing, invalid or revoked access token", body = ErrorEnvelope),
        (status = 409, description = "The phone number is already verified", body = ErrorEnvelope),
        (status = 429, description = "Too many codes this hour", body = ErrorEnvelope),
        (status = 503, description = "The SMS provider could not take the code", body = ErrorEnvelope)
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %user.user_id))]
pub async fn send_phone_code(
    State(auth): State<AuthState>,
    State(PrimaryDb(db)): State<PrimaryDb>,
    user: AuthUser,
    context: RequestContext,
) -> Result<(StatusCode, Json<VerificationSent>), AppError> {
    sent(Channel::Sms, verification::send(&db, &auth, user.user_id, Channel::Sms, &context).await?)
}

/// Mails a new verification link to the signed-in account's email address.
#[utoipa::path(
    post,
    path = "/me/verification/email",
    tag = "account",
    security(("bearer_jwt" = [])),
    responses(
        (status = 202, description = "A link is being mailed", body = VerificationSent),
        (status = 400, description = "The account has no email address (`channel`)", body = ErrorEnvelope),
        (status = 401, description = "Missing, invalid or revoked access token", body = ErrorEnvelope),
        (status = 409, description = "The email address is already verified", body = ErrorEnvelope),
        (status = 429, description = "Too many links this hour", body = ErrorEnvelope)
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %user.user_id))]
pub async fn send_email_link(
    State(auth): State<AuthState>,
    State(PrimaryDb(db)): State<PrimaryDb>,
    user: AuthUser,
    context: RequestContext,
) -> Result<(StatusCode, Json<VerificationSent>), AppError> {
    sent(Channel::Email, verification::send(&db, &auth, user.user_id, Channel::Email, &context).await?)
}

fn sent(channel: Channel, expires_in: u64) -> Result<(StatusCode, Json<VerificationSent>), AppError> {
    Ok((StatusCode::ACCEPTED, Json(VerificationSent { channel: channel.as_str(), expires_in })))
}

/// The code texted to the account's phone.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhoneCode {
    #[schema(value_type = String, example = "042917")]
    pub code: SecretString,
}

/// Proves the signed-in account's phone number with the latest code texted to it.
#[utoipa::path(
    post,
    path = "/me/verification/phone/confirm",
    tag = "account",
    security(("bearer_jwt" = [])),
    request_body = PhoneCode,
    responses(
        (status = 204, description = "The phone number is verified"),
        (status = 400, description = "Wrong, expired or used code (`code`)", body = ErrorEnvelope),
        (status = 401, description = "Missing, invalid or revoked access token", body = ErrorEnvelope),
        (status = 429, description = "Too many attempts", body = ErrorEnvelope)
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %user.user_id))]
pub async fn confirm_phone(
    State(auth): State<AuthState>,
    State(PrimaryDb(db)): State<PrimaryDb>,
    user: AuthUser,
    context: RequestContext,
    AppJson(body): AppJson<PhoneCode>,
) -> Result<StatusCode, AppError> {
    verification::confirm_phone(&db, &auth, user.user_id, &body.code, &context).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The token of a verification link.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailToken {
    /// The `token` parameter of the mailed link.
    #[schema(value_type = String)]
    pub token: SecretString,
}

/// Proves an email address with the token of the link mailed to it; no sign-in needed,
/// the token is the proof.
#[utoipa::path(
    post,
    path = "/auth/verify-email",
    tag = "auth",
    request_body = EmailToken,
    responses(
        (status = 204, description = "The email address is verified"),
        (status = 400, description = "Invalid, expired or used token (`token`)", body = ErrorEnvelope),
        (status = 429, description = "Too many attempts from this address", body = ErrorEnvelope)
    )
)]
#[tracing::instrument(skip_all)]
pub async fn confirm_email(
    State(auth): State<AuthState>,
    State(PrimaryDb(db)): State<PrimaryDb>,
    context: RequestContext,
    AppJson(body): AppJson<EmailToken>,
) -> Result<StatusCode, AppError> {
    verification::confirm_email(&db, &auth, body.token.expose_secret(), &context).await?;
    Ok(StatusCode::NO_CONTENT)
}
