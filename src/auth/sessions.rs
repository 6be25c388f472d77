//! Sessions: refresh-token families and their rotation.
//!
//! Signing in starts a session with one refresh token. Each refresh spends the token
//! and issues its successor in the same session; a spent token presented again means
//! two parties hold the family (one of them a thief), and since the server cannot
//! tell which, the whole session ends. Rows are locked while a token is spent, so two
//! concurrent refreshes with the same token cannot both succeed.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use super::AuthState;
use super::error::AuthError;
use super::store;
use super::tokens::{self, REFRESH_PREFIX, Subject};
use super::users;
use crate::platform::audit::{self, Entry, Event};
use crate::platform::client::RequestContext;

/// Tokens handed to a client that signed in.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// JWT to send as `Authorization: Bearer …`.
    pub access_token: String,
    /// Opaque, single use: exchange it at `/auth/refresh` for a new pair.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
}

/// Why a session ended, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    Logout,
    RefreshReuse,
    PasswordChange,
    PasswordReset,
    Admin,
    MfaChange,
}

impl EndReason {
    fn as_str(self) -> &'static str {
        match self {
            EndReason::Logout => "logout",
            EndReason::RefreshReuse => "refresh_reuse",
            EndReason::PasswordChange => "password_change",
            EndReason::PasswordReset => "password_reset",
            EndReason::Admin => "admin",
            EndReason::MfaChange => "mfa_change",
        }
    }
}

/// Starts a session for `subject` and returns its first tokens.
pub async fn start(
    conn: &mut PgConnection,
    auth: &AuthState,
    subject: Subject,
    context: &RequestContext,
) -> Result<TokenResponse, AuthError> {
    let now = auth.clock.now();
    let session_id = Uuid::new_v4();
    store::sessions::insert_session(
        &mut *conn,
        session_id,
        subject.user_id,
        now,
        context.ip_text().as_deref(),
        context.user_agent.as_deref(),
    )
    .await?;
    let refresh_token = insert_refresh_token(conn, auth, session_id, now).await?;
    Ok(token_response(auth, subject, session_id, refresh_token, now))
}

async fn insert_refresh_token(
    conn: &mut PgConnection,
    auth: &AuthState,
    session_id: Uuid,
    now: DateTime<Utc>,
) -> Result<String, AuthError> {
    let (token, digest) = tokens::new_opaque_token(REFRESH_PREFIX);
    let lifetime = Duration::seconds(i64::try_from(auth.settings.refresh_token_ttl_secs).map_err(anyhow::Error::from)?);
    store::sessions::insert_refresh_token(conn, session_id, &digest, now, now + lifetime).await?;
    Ok(token)
}

fn token_response(
    auth: &AuthState,
    subject: Subject,
    session_id: Uuid,
    refresh_token: String,
    now: DateTime<Utc>,
) -> TokenResponse {
    let (access_token, _) = auth.keys.jwt.issue(subject, session_id, now);
    TokenResponse { access_token, refresh_token, token_type: "Bearer", expires_in: auth.keys.jwt.ttl_secs() }
}

/// Spends `presented` and returns the session's next tokens.
pub async fn rotate(
    db: &PgPool,
    auth: &AuthState,
    presented: &str,
    context: &RequestContext,
) -> Result<TokenResponse, AuthError> {
    const INVALID: AuthError = AuthError::Unauthenticated("invalid or expired refresh token");
    if !presented.starts_with(REFRESH_PREFIX) || presented.len() > 128 {
        return Err(INVALID);
    }
    let now = auth.clock.now();
    let mut tx = db.begin().await?;
    let Some(store::sessions::RefreshTokenRow { id: token_id, session_id, user_id, expires_at, used_at, revoked_at }) =
        store::sessions::lock_refresh_token(&mut *tx, &tokens::digest(presented)).await?
    else {
        return Err(INVALID);
    };

    if revoked_at.is_some() {
        return Err(AuthError::Unauthenticated("this session has ended; sign in again"));
    }
    if used_at.is_some() {
        end_in(&mut tx, session_id, EndReason::RefreshReuse, now).await?;
        audit::record(
            &mut *tx,
            Entry::about(Event::RefreshTokenReused, Some(user_id))
                .with(serde_json::json!({ "session_id": session_id })),
            context,
            now,
        )
        .await?;
        tx.commit().await?;
        tracing::warn!(%user_id, %session_id, "refresh token reused: session revoked");
        return Err(AuthError::Unauthenticated(
            "refresh token already used; the session has been ended, sign in again",
        ));
    }
    if expires_at <= now {
        return Err(INVALID);
    }
    store::sessions::spend_refresh_token(&mut *tx, token_id, now).await?;
    // The role or seller link may have changed since the session began.
    let user =
        users::by_id(&mut *tx, user_id).await?.ok_or(AuthError::Unauthenticated("the account no longer exists"))?;
    let refresh_token = insert_refresh_token(&mut tx, auth, session_id, now).await?;
    tx.commit().await?;
    Ok(token_response(auth, user.subject(), session_id, refresh_token, now))
}

/// Ends one session, e.g. on logout.
pub async fn end(db: &PgPool, session_id: Uuid, reason: EndReason, now: DateTime<Utc>) -> Result<(), AuthError> {
    let mut conn = db.acquire().await?;
    end_in(&mut conn, session_id, reason, now).await
}

async fn end_in(
    conn: &mut PgConnection,
    session_id: Uuid,
    reason: EndReason,
    now: DateTime<Utc>,
) -> Result<(), AuthError> {
    Ok(store::sessions::end_session(conn, session_id, now, reason.as_str()).await?)
}

/// Ends every session of a user but `keep`; returns how many ended.
pub async fn end_all(
    conn: &mut PgConnection,
    user_id: Uuid,
    keep: Option<Uuid>,
    reason: EndReason,
    now: DateTime<Utc>,
) -> Result<u64, AuthError> {
    Ok(store::sessions::end_user_sessions(conn, user_id, keep, now, reason.as_str()).await?)
}
