//! The last step every sign-in shares, whatever proved the first factor.

use serde::Serialize;
use sqlx::PgPool;
use utoipa::ToSchema;

use super::AuthState;
use super::error::AuthError;
use super::mfa::{self, MfaChallenge};
use super::sessions::{self, TokenResponse};
use super::users::UserRecord;
use crate::platform::audit::{self, Entry, Event};
use crate::platform::client::RequestContext;

/// Either the tokens, or a challenge for the second factor.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum LoginResponse {
    Tokens(TokenResponse),
    MfaRequired(MfaChallenge),
}

/// Signs `user` in after `first_factor` (`password` or `otp`) succeeded: tokens, or a
/// second-factor challenge when the account has an authenticator.
pub async fn finish(
    db: &PgPool,
    auth: &AuthState,
    user: &UserRecord,
    first_factor: &'static str,
    context: &RequestContext,
) -> Result<LoginResponse, AuthError> {
    let mut tx = db.begin().await?;
    let response = if user.mfa_enabled {
        LoginResponse::MfaRequired(mfa::open_challenge(&mut tx, auth, user.id, first_factor).await?)
    } else {
        let tokens = sessions::start(&mut tx, auth, user.subject(), context).await?;
        audit::record(
            &mut *tx,
            Entry::own(Event::LoginSucceeded, user.id).with(serde_json::json!({ "method": first_factor })),
            context,
            auth.clock.now(),
        )
        .await?;
        LoginResponse::Tokens(tokens)
    };
    tx.commit().await?;
    Ok(response)
}
