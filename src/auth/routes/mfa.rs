//! The second factor: finishing a sign-in, and managing the authenticator and
//! recovery codes of one's own account.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::account::current_account;
use crate::auth::AuthState;
use crate::auth::mfa::{self, Enrolment, Factor};
use crate::auth::principal::AuthUser;
use crate::auth::sessions::{self, EndReason, TokenResponse};
use crate::auth::users;
use crate::http::error::{AppError, ErrorEnvelope};
use crate::http::extract::AppJson;
use crate::platform::audit::{self, Entry, Event};
use crate::platform::client::RequestContext;
use crate::platform::db::PrimaryDb;

/// The answer to a second-factor challenge.
#[derive(Deserialize, Validate, ToSchema)]
pub struct MfaVerifyRequest {
    /// The `mfa_token` of the sign-in's challenge.
    #[schema(value_type = String)]
    pub mfa_token: SecretString,
    /// The authenticator's 6-digit code, or an unused recovery code.
    #[schema(value_type = String)]
    pub code: SecretString,
}

/// Finishes a sign-in with the authenticator's code or a recovery code.
#[utoipa::path(
    post,
    path = "/auth/mfa/verify",
    tag = "auth",
    request_body = MfaVerifyRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 401, description = "Wrong or replayed code, or the challenge is spent, expired or out of attempts", body = ErrorEnvelope),
        (status = 429, description = "Too many attempts from this address", body = ErrorEnvelope)
    )
)]
#[tracing::instrument(skip_all)]
pub async fn verify_login(
    State(auth): State<AuthState>,
    State(PrimaryDb(db)): State<PrimaryDb>,
    context: RequestContext,
    AppJson(body): AppJson<MfaVerifyRequest>,
) -> Result<Json<TokenResponse>, AppError> {
    let now = auth.clock.now();
    let mut tx = db.begin().await?;
    let challenge = mfa::find_challenge(&mut tx, &auth, body.mfa_token.expose_secret().trim())
        .await?
        .ok_or(AppError::Unauthorized("sign-in challenge is invalid or expired; sign in again"))?;
    let factor = mfa::check_second_factor(&mut tx, &auth, challenge.user_id, body.code.expose_secret()).await?;
    mfa::settle_challenge(&mut tx, &auth, challenge.id, factor.is_some()).await?;
    let Some(factor) = factor else {
        audit::record(&mut *tx, Entry::about(Event::MfaChallengeFailed, Some(challenge.user_id)), &context, now)
            .await?;
        tx.commit().await?;
        return Err(AppError::Unauthorized("wrong or already used code"));
    };
    let user = users::by_id(&mut *tx, challenge.user_id)
        .await?
        .ok_or(AppError::Unauthorized("the account no longer exists"))?;
    let tokens = sessions::start(&mut tx, &auth, user.subject(), &context).await?;
    if factor == Factor::RecoveryCode {
        audit::record(&mut *tx, Entry::own(Event::RecoveryCodeUsed, user.id), &context, now).await?;
    }
    audit::record(
        &mut *tx,
        Entry::own(Event::LoginSucceeded, user.id).with(serde_json::json!({
            "method": challenge.first_factor,
            "second_factor": factor.as_str(),
        })),
        &context,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Json(tokens))
}

/// Starts enrolling an authenticator app.
///
/// Show the QR code (or the secret) to the user, then confirm with a code from the
/// app. Until confirmed, sign-in does not ask for codes, and starting again replaces
/// the secret.
#[utoipa::path(
    post,
    path = "/me/mfa/totp",
    tag = "account",
    security(("bearer_jwt" = [])),
    responses(
        (status = 201, description = "Secret, otpauth URL and QR code for the app", body = Enrolment),
        (status = 401, description = "Missing, invalid or revoked access token", body = ErrorEnvelope),
        (status = 409, description = "Two-factor authentication is already on", body = ErrorEnvelope)
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %user.user_id))]
pub async fn start_enrolment(
    State(auth): State<AuthState>,
    State(PrimaryDb(db)): State<PrimaryDb>,
    user: AuthUser,
    context: RequestContext,
) -> Result<(StatusCode, Json<Enrolment>), AppError> {
    let account = current_account(&db, &user).await?;
    let mut tx = db.begin().await?;
    let enrolment = mfa::start_enrolment(&mut tx, &auth, &account).await?;
    audit::record(&mut *tx, Entry::own(Event::MfaEnrolmentStarted, user.user_id), &context, auth.clock.now()).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(enrolment)))
}

/// A code proving the caller holds the second factor.
#[derive(Deserialize, Validate, ToSchema)]
pub struct CodeRequest {
    /// The authenticator's 6-digit code (or, where accepted, a recovery code).
    #[schema(value_type = String)]
    pub code: SecretString,
}

/// Recovery codes, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryCodes {
    /// Each works once in place of an authenticator code. Store them somewhere safe.
    pub recovery_codes: Vec<String>,
}

/// Confirms the enrolment with a code from the app and turns two-factor on.
///
/// Answers the recovery codes, which are not shown again. Other sessions end.
#[utoipa::path(
    post,
    path = "/me/mfa/totp/confirm",
    tag = "account",
    security(("bearer_jwt" = [])),
    request_body = CodeRequest,
    responses(
        (status = 200, description = "Two-factor is on; the recovery codes", body = RecoveryCodes),
        (status = 400, description = "The code is not the app's current one", body = ErrorEnvelope),
        (status = 401, description = "Missing, invalid or revoked access token", body = ErrorEnvelope),
        (status = 409, description = "No enrolment in progress, or already on", body = ErrorEnvelope)
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %user.user_id))]
pub async fn confirm_enrolment(
    State(auth): State<AuthState>,
    State(PrimaryDb(db)): State<PrimaryDb>,
    user: AuthUser,
    context: RequestContext,
    AppJson(body): AppJson<CodeRequest>,
) -> Result<Json<RecoveryCodes>, AppError> {
    let now = auth.clock.now();
    let mut tx = db.begin().await?;
    let recovery_codes = mfa::confirm_enrolment(&mut tx, &auth, user.user_id, body.code.expose_secret()).await?;
    sessions::end_all(&mut tx, user.user_id, Some(user.session_id), EndReason::MfaChange, now).await?;
    audit::record(&mut *tx, Entry::own(Event::MfaEnabled, user.user_id), &context, now).await?;
    tx.commit().await?;
    Ok(Json(RecoveryCodes { recovery_codes }))
}

/// Turns two-factor authentication off; needs a current code or a recovery code.
#[utoipa::path(
    post,
    path = "/me/mfa/totp/disable",
    tag = "account",
    security(("bearer_jwt" = [])),
    request_body = CodeRequest,
    responses(
        (status = 204, description = "Two-factor is off; other sessions ended"),
        (status = 400, description = "Wrong or already used code", body = ErrorEnvelope),
        (status = 401, description = "Missing, invalid or revoked access token", body = ErrorEnvelope)
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %user.user_id))]
pub async fn disable(
    State(auth): State<AuthState>,
    State(PrimaryDb(db)): State<PrimaryDb>,
    user: AuthUser,
    context: RequestContext,
    AppJson(body): AppJson<CodeRequest>,
) -> Result<StatusCode, AppError> {
    let now = auth.clock.now();
    let mut tx = db.begin().await?;
    mfa::check_second_factor(&mut tx, &auth, user.user_id, body.code.expose_secret())
        .await?
        .ok_or_else(|| AppError::invalid("code", "is wrong or was already used"))?;
    mfa::disable(&mut tx, user.user_id).await?;
    sessions::end_all(&mut tx, user.user_id, Some(user.session_id), EndReason::MfaChange, now).await?;
    audit::record(&mut *tx, Entry::own(Event::MfaDisabled, user.user_id), &context, now).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replaces the recovery codes; needs a current code or a recovery code.
#[utoipa::path(
    post,
    path = "/me/mfa/recovery-codes",
    tag = "account",
    security(("bearer_jwt" = [])),
    request_body = CodeRequest,
    responses(
        (status = 200, description = "The new recovery codes; the old ones no longer work", body = RecoveryCodes),
        (status = 400, description = "Wrong or already used code", body = ErrorEnvelope),
        (status = 401, description = "Missing, invalid or revoked access token", body = ErrorEnvelope)
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %user.user_id))]
pub async fn regenerate_recovery_codes(
    State(auth): State<AuthState>,
    State(PrimaryDb(db)): State<PrimaryDb>,
    user: AuthUser,
    context: RequestContext,
    AppJson(body): AppJson<CodeRequest>,
) -> Result<Json<RecoveryCodes>, AppError> {
    let now = auth.clock.now();
    let mut tx = db.begin().await?;
    mfa::check_second_factor(&mut tx, &auth, user.user_id, body.code.expose_secret())
        .await?
        .ok_or_else(|| AppError::invalid("code", "is wrong or was already used"))?;
    let recovery_codes = mfa::replace_recovery_codes(&mut tx, &auth, user.user_id, now).await?;
    audit::record(&mut *tx, Entry::own(Event::RecoveryCodesRegenerated, user.user_id), &context, now).await?;
    tx.commit().await?;
    Ok(Json(RecoveryCodes { recovery_codes }))
}
