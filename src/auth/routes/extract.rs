//! The extractors handlers name to say who may call them.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;

use crate::auth::AuthState;
use crate::auth::principal::{AdminUser, AuthUser, Required, Revocation, Role, SellerUser, authenticate};
use crate::http::credentials::bearer_token;
use crate::http::error::AppError;
use crate::platform::db::PrimaryDb;

/// A signed-in user whose token passes every revocation list.
impl<S> FromRequestParts<S> for AuthUser
where
    S: Send + Sync,
    AuthState: FromRef<S>,
    PrimaryDb: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        signed_in(parts, state, Revocation::Everything, Required::AnyRole).await
    }
}

/// A signed-in user about to sign out: only the session is checked, so signing out
/// works while the shared revocation list is unreachable.
pub struct LeavingUser(pub AuthUser);

impl<S> FromRequestParts<S> for LeavingUser
where
    S: Send + Sync,
    AuthState: FromRef<S>,
    PrimaryDb: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(LeavingUser(signed_in(parts, state, Revocation::SessionOnly, Required::AnyRole).await?))
    }
}

impl<S> FromRequestParts<S> for SellerUser
where
    S: Send + Sync,
    AuthState: FromRef<S>,
    PrimaryDb: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let user = signed_in(parts, state, Revocation::Everything, Required::Role(Role::Seller)).await?;
        Ok(SellerUser::of(user)?)
    }
}

impl<S> FromRequestParts<S> for AdminUser
where
    S: Send + Sync,
    AuthState: FromRef<S>,
    PrimaryDb: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let user = signed_in(parts, state, Revocation::Everything, Required::Role(Role::Admin)).await?;
        Ok(AdminUser::of(user)?)
    }
}

async fn signed_in<S>(
    parts: &Parts,
    state: &S,
    revocation: Revocation,
    required: Required,
) -> Result<AuthUser, AppError>
where
    AuthState: FromRef<S>,
    PrimaryDb: FromRef<S>,
{
    let token =
        bearer_token(&parts.headers).ok_or(AppError::Unauthorized("missing Authorization: Bearer <access token>"))?;
    let PrimaryDb(db) = PrimaryDb::from_ref(state);
    Ok(authenticate(&db, &AuthState::from_ref(state), token, revocation, required).await?)
}
