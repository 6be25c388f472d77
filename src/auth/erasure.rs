//! What erasing an account asks of accounts and security: proof that the owner asks,
//! and removing every credential and contact the account holds.
//!
//! The row stays (orders and payments name it) with nothing personal in it, no way to
//! sign in, and `erased_at` set. The transaction is the caller's: the privacy module
//! erases everything at once or nothing.

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use sqlx::PgConnection;

use super::error::AuthError;
use super::users::UserRecord;
use super::{AuthState, mfa, passwords};

/// How the owner confirms the erasure.
pub enum Confirmation {
    Password(SecretString),
    /// An authenticator or recovery code, for an account with a second factor.
    SecondFactor(SecretString),
}

/// Refuses unless `confirmation` proves the signed-in person owns `user` (a fresh
/// proof: a stolen access token alone cannot erase an account). A code is spent.
pub async fn confirm_owner(
    conn: &mut PgConnection,
    auth: &AuthState,
    user: &UserRecord,
    confirmation: Confirmation,
) -> Result<(), AuthError> {
    match confirmation {
        Confirmation::Password(password) => {
            if !passwords::verify(password, user.password_hash.clone()).await? {
                return Err(AuthError::invalid("password", "is not the account's password"));
            }
        }
        Confirmation::SecondFactor(code) => {
            if !user.mfa_enabled {
                return Err(AuthError::invalid("code", "the account has no second factor; confirm with the password"));
            }
            if mfa::check_second_factor(conn, auth, user.id, code.expose_secret()).await?.is_none() {
                return Err(AuthError::invalid("code", "is wrong, used or expired"));
            }
        }
    }
    Ok(())
}

/// Removes what `user` signs in with and is reached by: sessions (every token stops
/// working at its next request), second factor, codes, links, contacts, password and
/// name; a seller's API keys when no other account manages the seller. The row is
/// marked erased.
pub async fn erase_credentials(
    conn: &mut PgConnection,
    user: &UserRecord,
    now: DateTime<Utc>,
) -> Result<(), AuthError> {
    let phone_hash: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT phone_hash FROM users WHERE id = $1").bind(user.id).fetch_one(&mut *conn).await?;
    if let Some(hash) = phone_hash {
        sqlx::query("DELETE FROM phone_otps WHERE phone_hash = $1").bind(hash).execute(&mut *conn).await?;
    }
    for table in
        ["auth_sessions", "user_totp", "recovery_codes", "mfa_challenges", "password_resets", "contact_verifications"]
    {
        sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table} WHERE user_id = $1")))
            .bind(user.id)
            .execute(&mut *conn)
            .await?;
    }
    if let Some(seller_id) = user.seller_id {
        // The keys are the business's: they go with its last account.
        sqlx::query(
            "DELETE FROM seller_api_keys WHERE seller_id = $1
                AND NOT EXISTS (SELECT 1 FROM users WHERE seller_id = $1 AND id <> $2 AND erased_at IS NULL)",
        )
        .bind(seller_id)
        .bind(user.id)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query(
        "UPDATE users
            SET email = NULL, phone_hash = NULL, phone_encrypted = NULL, name = '—', password_hash = NULL,
                email_verified_at = NULL, phone_verified_at = NULL, erased_at = $2, updated_at = $2
          WHERE id = $1",
    )
    .bind(user.id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
