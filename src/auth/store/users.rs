//! Accounts: the `users` table, and the seller record an account is linked to.

use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{PgExecutor, Row};
use uuid::Uuid;

use crate::auth::principal::Role;
use crate::auth::users::UserRecord;
use crate::platform::i18n::Locale;

macro_rules! select_user {
    ($filter:literal) => {
        concat!(
            "SELECT u.id, u.email, u.phone_encrypted, u.name, u.password_hash, u.role, u.seller_id,
                    u.created_at, u.locale, u.email_verified_at, u.phone_verified_at,
                    EXISTS (SELECT 1 FROM user_totp t WHERE t.user_id = u.id AND t.confirmed_at IS NOT NULL)
                        AS mfa_enabled
               FROM users u WHERE ",
            $filter
        )
    };
}

fn user_record(row: &PgRow) -> sqlx::Result<UserRecord> {
    Ok(UserRecord {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        phone_encrypted: row.try_get("phone_encrypted")?,
        name: row.try_get("name")?,
        password_hash: row.try_get("password_hash")?,
        role: role(row)?,
        seller_id: row.try_get("seller_id")?,
        created_at: row.try_get("created_at")?,
        locale: Locale::from_db(row.try_get("locale")?),
        mfa_enabled: row.try_get("mfa_enabled")?,
        email_verified_at: row.try_get("email_verified_at")?,
        phone_verified_at: row.try_get("phone_verified_at")?,
    })
}

/// `users.role`, read without copying the text.
fn role(row: &PgRow) -> sqlx::Result<Role> {
    Role::from_db(row.try_get("role")?)
        .map_err(|error| sqlx::Error::ColumnDecode { index: "role".into(), source: error.into() })
}

pub async fn by_id(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<UserRecord>> {
    let row = sqlx::query(select_user!("u.id = $1")).bind(id).fetch_optional(db).await?;
    row.as_ref().map(user_record).transpose()
}

pub async fn by_email(db: impl PgExecutor<'_>, email: &str) -> sqlx::Result<Option<UserRecord>> {
    let row = sqlx::query(select_user!("u.email = $1")).bind(email).fetch_optional(db).await?;
    row.as_ref().map(user_record).transpose()
}

pub async fn by_phone_hash(db: impl PgExecutor<'_>, hash: &[u8]) -> sqlx::Result<Option<UserRecord>> {
    let row = sqlx::query(select_user!("u.phone_hash = $1")).bind(hash).fetch_optional(db).await?;
    row.as_ref().map(user_record).transpose()
}

/// Locks the account's row until the transaction ends, so that requests of one account
/// that count or decide something (reset and verification budgets, an erasure) go one
/// at a time.
pub async fn lock(db: impl PgExecutor<'_>, user_id: Uuid) -> sqlx::Result<()> {
    sqlx::query("SELECT 1 FROM users WHERE id = $1 FOR UPDATE").bind(user_id).execute(db).await?;
    Ok(())
}

pub async fn exists(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)").bind(id).fetch_one(db).await
}

/// A new account, its personal data already hashed and sealed.
pub struct NewUser<'a> {
    pub id: Uuid,
    pub email: Option<&'a str>,
    pub phone_hash: Option<&'a [u8]>,
    pub phone_encrypted: Option<&'a str>,
    pub name: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub seller_id: Option<Uuid>,
    pub locale: Locale,
}

/// Inserts `user`; a taken email or phone number fails on `users_email_key` or
/// `users_phone_hash_key`.
pub async fn insert(db: impl PgExecutor<'_>, user: NewUser<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO users (id, email, phone_hash, phone_encrypted, name, password_hash, role, seller_id, locale)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(user.id)
    .bind(user.email)
    .bind(user.phone_hash)
    .bind(user.phone_encrypted)
    .bind(user.name)
    .bind(user.password_hash)
    .bind(user.role.as_str())
    .bind(user.seller_id)
    .bind(user.locale.as_str())
    .execute(db)
    .await?;
    Ok(())
}

pub async fn set_password(
    db: impl PgExecutor<'_>,
    id: Uuid,
    password_hash: &str,
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(password_hash)
        .bind(at)
        .execute(db)
        .await?;
    Ok(())
}

/// Gives the account with `email` the role, and the seller link when one is given;
/// the account's id, or `None` when no account has that email.
pub async fn set_role_by_email(
    db: impl PgExecutor<'_>,
    email: &str,
    role: Role,
    seller_id: Option<Uuid>,
    at: DateTime<Utc>,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar(
        "UPDATE users SET role = $2, seller_id = COALESCE($3, seller_id), updated_at = $4
          WHERE email = $1 RETURNING id",
    )
    .bind(email)
    .bind(role.as_str())
    .bind(seller_id)
    .bind(at)
    .fetch_optional(db)
    .await
}

/// The id of the seller record with `external_id`, for linking an account to it.
pub async fn seller_id_by_external_id(db: impl PgExecutor<'_>, external_id: &str) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar("SELECT id FROM sellers WHERE external_id = $1").bind(external_id).fetch_optional(db).await
}

/// Sets the language the account's messages are written in.
pub async fn set_locale(db: impl PgExecutor<'_>, id: Uuid, locale: Locale, now: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET locale = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(locale.as_str())
        .bind(now)
        .execute(db)
        .await?;
    Ok(())
}
