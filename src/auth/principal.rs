//! Who is calling: roles, and the check that turns an access token into a signed-in user.
//!
//! Handlers state what they need in their signature: [`AuthUser`] for any signed-in
//! user, [`SellerUser`] for sellers, [`AdminUser`] for administrators (the extractors
//! are in `routes/extract.rs`). A missing or bad token is a 401; a valid token of the
//! wrong role is a 403.
//!
//! The token's signature is checked in memory; then one indexed query asks PostgreSQL
//! whether its session is still open and what the account is allowed now. That makes
//! a logout, a revoked session, a suspended seller or a changed role take effect on
//! the next request, on every replica, whether Redis answers or not.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

use super::AuthState;
use super::error::AuthError;
use super::store;

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

/// A request bearing a valid, unrevoked access token of an open session.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user_id: Uuid,
    /// The account's role now, which may differ from the one the token was issued with.
    pub role: Role,
    pub seller_id: Option<Uuid>,
    /// The session (refresh-token family) the token belongs to.
    pub session_id: Uuid,
    pub jti: Uuid,
    pub expires_at: DateTime<Utc>,
    /// Whether the seller the account manages may trade (`None` for non-sellers).
    pub seller_active: Option<bool>,
}

/// Which revocation lists a check consults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revocation {
    /// The session in PostgreSQL and the shared list of revoked tokens; when the
    /// shared list cannot be read, the request is refused.
    Everything,
    /// The session only: signing out must work while Redis is down, and it only
    /// ends what is already open.
    SessionOnly,
}

/// The role a request needs; the token must carry it and the account must still have it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Required {
    AnyRole,
    Role(Role),
}

/// The signed-in user an access token stands for.
pub async fn authenticate(
    db: &PgPool,
    auth: &AuthState,
    token: &str,
    revocation: Revocation,
    required: Required,
) -> Result<AuthUser, AuthError> {
    let now = auth.clock.now();
    let claims =
        auth.keys.jwt.verify(token, now).map_err(|_| AuthError::Unauthenticated("invalid or expired access token"))?;
    // A token that never carried the role is refused before anything is looked up.
    if let Required::Role(role) = required
        && claims.role != role
    {
        return Err(role_refusal(role));
    }
    if revocation == Revocation::Everything && auth.revocations.is_revoked(claims.jti, now).await? {
        return Err(AuthError::Unauthenticated("access token has been revoked"));
    }
    let standing = store::standing(db, claims.sub, claims.sid)
        .await?
        .ok_or(AuthError::Unauthenticated("this session has ended; sign in again"))?;
    if !standing.session_open {
        return Err(AuthError::Unauthenticated("access token has been revoked"));
    }
    Ok(AuthUser {
        user_id: claims.sub,
        role: Role::from_db(&standing.role)?,
        seller_id: standing.seller_id,
        session_id: claims.sid,
        jti: claims.jti,
        expires_at: DateTime::from_timestamp(claims.exp, 0).unwrap_or_default(),
        seller_active: standing.seller_status.map(|status| status == "active"),
    })
}

fn role_refusal(role: Role) -> AuthError {
    match role {
        Role::Admin => AuthError::Forbidden("only administrators may do this"),
        Role::Seller => AuthError::Forbidden("only seller accounts may do this"),
        Role::Buyer => AuthError::Forbidden("only buyer accounts may do this"),
    }
}

/// A signed-in seller and the seller record the account manages.
#[derive(Debug, Clone)]
pub struct SellerUser {
    pub user: AuthUser,
    pub seller_id: Uuid,
}

impl SellerUser {
    /// The seller behind `user`, if the account is a seller's and the seller may trade.
    pub fn of(user: AuthUser) -> Result<SellerUser, AuthError> {
        match (user.role, user.seller_id, user.seller_active) {
            (Role::Seller, Some(seller_id), Some(true)) => Ok(SellerUser { user, seller_id }),
            (Role::Seller, Some(_), _) => Err(AuthError::Forbidden("this seller account is suspended")),
            _ => Err(role_refusal(Role::Seller)),
        }
    }
}

/// A signed-in administrator, by the account's role now, not the token's.
#[derive(Debug, Clone)]
pub struct AdminUser(pub AuthUser);

impl AdminUser {
    pub fn of(user: AuthUser) -> Result<AdminUser, AuthError> {
        match user.role {
            Role::Admin => Ok(AdminUser(user)),
            _ => Err(role_refusal(Role::Admin)),
        }
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
