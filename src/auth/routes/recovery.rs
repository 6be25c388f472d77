//! Password reset for who forgot theirs: ask for a link by email or a code by SMS,
//! then set a new password with it.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::account::normalize_email;
use crate::auth::AuthState;
use crate::auth::recovery::{self, Channel, Proof, Target};
use crate::http::error::{AppError, ErrorEnvelope};
use crate::http::extract::AppJson;
use crate::platform::client::RequestContext;
use crate::platform::db::PrimaryDb;
use crate::platform::phone::Phone;

/// The account to reset, by its email address or its phone number.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForgotRequest {
    /// The account's email address: a link is emailed. Give this or `phone`.
    pub email: Option<String>,
    /// The account's phone number in any usual form: a code is texted.
    pub phone: Option<String>,
}

/// The reset is on its way, if there is such an account.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResetSent {
    /// `email` (a link) or `sms` (a six-digit code).
    pub channel: &'static str,
    /// Seconds the link or code stays valid.
    pub expires_in: u64,
}

/// Sends a password reset: a link by email, or a code by SMS.
///
/// The answer is the same whether or not the account exists, and an account gets a
/// few resets an hour (`auth.password_reset_max_per_hour`); asking again past that
/// sends nothing more.
#[utoipa::path(
    post,
    path = "/auth/password/forgot",
    tag = "auth",
    request_body = ForgotRequest,
    responses(
        (status = 202, description = "A link or code was sent if the account exists", body = ResetSent),
        (status = 400, description = "Neither or both of email and phone, or a malformed one", body = ErrorEnvelope),
        (status = 429, description = "Too many requests from this address", body = ErrorEnvelope),
        (status = 503, description = "The SMS provider could not take the code", body = ErrorEnvelope)
    )
)]
#[tracing::instrument(skip_all)]
pub async fn forgot_password(
    State(auth): State<AuthState>,
    State(PrimaryDb(db)): State<PrimaryDb>,
    context: RequestContext,
    AppJson(body): AppJson<ForgotRequest>,
) -> Result<(StatusCode, Json<ResetSent>), AppError> {
    let target = match (&body.email, &body.phone) {
        (Some(email), None) => Target::Email(normalize_email(email).map_err(|r| AppError::invalid("email", r))?),
        (None, Some(phone)) => Target::Phone(Phone::parse(phone).map_err(|r| AppError::invalid("phone", r))?),
        _ => return Err(AppError::invalid("email", "give either email or phone")),
    };
    recovery::request(&db, &auth, &target, &context).await?;
    let channel = target.channel();
    let expires_in = match channel {
        Channel::Email => auth.settings.password_reset_link_ttl_secs,
        Channel::Sms => auth.settings.password_reset_code_ttl_secs,
    };
    Ok((StatusCode::ACCEPTED, Json(ResetSent { channel: channel.as_str(), expires_in })))
}

/// A new password with the proof of a reset: the emailed link's `token`, or the
/// `phone` and the `code` texted to it.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    /// The `token` parameter of the emailed link.
    #[schema(value_type = Option<String>)]
    pub token: Option<SecretString>,
    /// The account's phone number, with `code`.
    pub phone: Option<String>,
    /// The six digits texted to `phone`.
    #[schema(value_type = Option<String>)]
    pub code: Option<SecretString>,
    /// At least 10 characters, not a common password, not containing the name or login.
    #[schema(value_type = String, format = Password)]
    pub new_password: SecretString,
}

impl ResetRequest {
    /// The proof and the new password, or the field that is wrong.
    pub fn into_parts(self) -> Result<(Proof, SecretString), AppError> {
        let proof = match (self.token, self.phone, self.code) {
            (Some(token), None, None) => Proof::Link(token),
            (None, Some(phone), Some(code)) => {
                Proof::Code { phone: Phone::parse(&phone).map_err(|reason| AppError::invalid("phone", reason))?, code }
            }
            (None, Some(_), None) => return Err(AppError::invalid("code", "is required with phone")),
            _ => return Err(AppError::invalid("token", "give either token, or phone and code")),
        };
        Ok((proof, self.new_password))
    }
}

/// Sets a new password with a reset link's token or an SMS code.
///
/// The token or code works once; every session of the account ends, so each device
/// signs in again with the new password (and its second factor, if it has one).
#[utoipa::path(
    post,
    path = "/auth/password/reset",
    tag = "auth",
    request_body = ResetRequest,
    responses(
        (status = 204, description = "Password set; every session of the account ended"),
        (status = 400, description = "Invalid, expired or used token or code, or a new password the policy refuses; the field is named", body = ErrorEnvelope),
        (status = 429, description = "Too many attempts from this address", body = ErrorEnvelope)
    )
)]
#[tracing::instrument(skip_all)]
pub async fn reset_password(
    State(auth): State<AuthState>,
    State(PrimaryDb(db)): State<PrimaryDb>,
    context: RequestContext,
    AppJson(body): AppJson<ResetRequest>,
) -> Result<StatusCode, AppError> {
    let (proof, new_password) = body.into_parts()?;
    recovery::reset(&db, &auth, proof, new_password, &context).await?;
    Ok(StatusCode::NO_CONTENT)
}
