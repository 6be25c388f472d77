//! Who is calling: roles and the extractors that authenticate and authorize requests.
//!
//! Handlers state what they need in their signature: [`AuthUser`] for any signed-in
//! user, [`SellerUser`] for sellers, [`AdminUser`] for administrators. A missing or
//! bad token is a 401; a valid token of the wrong role is a 403.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::AuthState;
use crate::http::credentials::bearer_token;
use crate::http::error::AppError;
use crate::platform::db::PrimaryDb;

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Buyer,
    Seller,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Buyer => "buyer",
            Role::Seller => "seller",
            Role::Admin => "admin",
        }
    }

    /// The role stored in `users.role`.
    pub fn from_db(text: &str) -> anyhow::Result<Role> {
        match text {
            "buyer" => Ok(Role::Buyer),
            "seller" => Ok(Role::Seller),
            "admin" => Ok(Role::Admin),
            other => anyhow::bail!("unknown role {other:?} in the database"),
        }
    }
}

/// A request bearing a valid, unrevoked access token.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user_id: Uuid,
    pub role: Role,
    pub seller_id: Option<Uuid>,
    /// The session (refresh-token family) the token belongs to.
    pub session_id: Uuid,
    pub jti: Uuid,
    pub expires_at: DateTime<Utc>,
}

impl<S> FromRequestParts<S> for AuthUser
where
    S: Send + Sync,
    AuthState: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let auth = AuthState::from_ref(state);
        let token = bearer_token(&parts.headers)
            .ok_or(AppError::Unauthorized("missing Authorization: Bearer <access token>"))?;
        let claims = auth
            .keys
            .jwt
            .verify(token, auth.clock.now())
            .map_err(|_| AppError::Unauthorized("invalid or expired access token"))?;
        if auth.revocations.is_revoked(claims.jti, auth.clock.now()).await? {
            return Err(AppError::Unauthorized("access token has been revoked"));
        }
        Ok(AuthUser {
            user_id: claims.sub,
            role: claims.role,
            seller_id: claims.seller_id,
            session_id: claims.sid,
            jti: claims.jti,
            expires_at: DateTime::from_timestamp(claims.exp, 0).unwrap_or_default(),
        })
    }
}

/// A signed-in seller and the seller record the account manages.
#[derive(Debug, Clone)]
pub struct SellerUser {
    pub user: AuthUser,
    pub seller_id: Uuid,
}

impl<S> FromRequestParts<S> for SellerUser
where
    S: Send + Sync,
    AuthState: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        match (user.role, user.seller_id) {
            (Role::Seller, Some(seller_id)) => Ok(SellerUser { user, seller_id }),
            _ => Err(AppError::Forbidden("only seller accounts may do this")),
        }
    }
}

/// A signed-in administrator.
///
/// The role is confirmed against the database as well as the token: admin requests
/// are rare, and a demotion must take effect at once rather than when the token expires.
#[derive(Debug, Clone)]
pub struct AdminUser(pub AuthUser);

impl<S> FromRequestParts<S> for AdminUser
where
    S: Send + Sync,
    AuthState: FromRef<S>,
    PrimaryDb: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        const ADMINS_ONLY: AppError = AppError::Forbidden("only administrators may do this");
        let user = AuthUser::from_request_parts(parts, state).await?;
        if user.role != Role::Admin {
            return Err(ADMINS_ONLY);
        }
        let PrimaryDb(db) = PrimaryDb::from_ref(state);
        let role: Option<String> =
            sqlx::query_scalar("SELECT role FROM users WHERE id = $1").bind(user.user_id).fetch_optional(&db).await?;
        if role.as_deref() != Some("admin") {
            return Err(ADMINS_ONLY);
        }
        Ok(AdminUser(user))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_the_database_text() {
        for role in [Role::Buyer, Role::Seller, Role::Admin] {
            assert_eq!(Role::from_db(role.as_str()).unwrap(), role);
        }
        assert!(Role::from_db("root").is_err());
    }
}
