//! Who is calling the orders API, and the `Idempotency-Key` header.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use uuid::Uuid;

use crate::auth::AuthState;
use crate::auth::principal::{AuthUser, Role};
use crate::catalog::api_keys;
use crate::http::credentials::bearer_token;
use crate::http::error::AppError;
use crate::orders::reading::Viewer;
use crate::platform::db::PrimaryDb;
use crate::platform::idempotency::IdempotencyKey;
use crate::platform::rate_limit::VerifiedKeys;

/// The seller a request acts for: by a seller API key (`cpk_…`) or by the access
/// token of a seller's account.
pub struct ActingSeller(pub Uuid);

/// Anyone who may read orders: a signed-in user, or a seller's system by API key.
pub struct Reader(pub Viewer);

fn uses_api_key(parts: &Parts) -> bool {
    bearer_token(&parts.headers).is_some_and(|token| token.starts_with(api_keys::KEY_PREFIX))
}

async fn by_api_key<S>(parts: &Parts, state: &S) -> Result<Uuid, AppError>
where
    PrimaryDb: FromRef<S>,
    VerifiedKeys: FromRef<S>,
{
    let PrimaryDb(db) = PrimaryDb::from_ref(state);
    let verified = VerifiedKeys::from_ref(state);
    Ok(api_keys::authenticate(&db, &verified, bearer_token(&parts.headers)).await?.seller_id)
}

impl<S> FromRequestParts<S> for ActingSeller
where
    S: Send + Sync,
    AuthState: FromRef<S>,
    PrimaryDb: FromRef<S>,
    VerifiedKeys: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if uses_api_key(parts) {
            return Ok(ActingSeller(by_api_key(parts, state).await?));
        }
        let seller = crate::auth::principal::SellerUser::from_request_parts(parts, state).await?;
        Ok(ActingSeller(seller.seller_id))
    }
}

impl<S> FromRequestParts<S> for Reader
where
    S: Send + Sync,
    AuthState: FromRef<S>,
    PrimaryDb: FromRef<S>,
    VerifiedKeys: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if uses_api_key(parts) {
            let seller_id = by_api_key(parts, state).await?;
            return Ok(Reader(Viewer { user_id: None, seller_id: Some(seller_id), admin: false }));
        }
        let user = AuthUser::from_request_parts(parts, state).await?;
        let trading_seller = match (user.role, user.seller_id, user.seller_active) {
            (Role::Seller, Some(seller), Some(true)) => Some(seller),
            _ => None,
        };
        Ok(Reader(Viewer { user_id: Some(user.user_id), seller_id: trading_seller, admin: user.role == Role::Admin }))
    }
}

/// The request's `Idempotency-Key`, required.
pub struct RequiredIdempotencyKey(pub IdempotencyKey);

impl<S: Send + Sync> FromRequestParts<S> for RequiredIdempotencyKey {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let mut values = parts.headers.get_all("idempotency-key").iter();
        let (Some(value), None) = (values.next(), values.next()) else {
            return Err(AppError::invalid(
                "Idempotency-Key",
                "this request needs exactly one Idempotency-Key header (a new UUID per order is a good key)",
            ));
        };
        let text = value.to_str().map_err(|_| AppError::invalid("Idempotency-Key", "must be visible ASCII"))?;
        IdempotencyKey::parse(text)
            .map(RequiredIdempotencyKey)
            .map_err(|reason| AppError::invalid("Idempotency-Key", reason))
    }
}
