//! Registration, sign-in with a password, token refresh, sign-out, and the account
//! itself.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::{Validate, ValidateEmail};

use super::extract::LeavingUser;
use crate::auth::AuthState;
use crate::auth::login::{self, LoginResponse};
use crate::auth::passwords;
use crate::auth::principal::{AuthUser, Role};
use crate::auth::sessions::{self, EndReason, TokenResponse};
use crate::auth::store::{self, users::NewUser};
use crate::auth::users::{self, UserRecord, UserView};
use crate::auth::verification;
use crate::catalog::canonical_city;
use crate::catalog::feed::single_line;
use crate::catalog::{api_keys, sellers};
use crate::http::error::{AppError, ErrorEnvelope, FieldError};
use crate::http::extract::AppJson;
use crate::http::rate_limit;
use crate::platform::audit::{self, Entry, Event};
use crate::platform::client::RequestContext;
use crate::platform::db::PrimaryDb;
use crate::platform::db::is_constraint_violation;
use crate::platform::events;
use crate::platform::i18n::Locale;
use crate::platform::phone::Phone;
use crate::platform::rate_limit::{Decision, LimitClass};

/// A new account.
///
/// Every field is checked in [`RegisterRequest::check`], so one answer names every
/// problem at once.
#[derive(Deserialize, Validate, ToSchema)]
pub struct RegisterRequest {
    /// Email address. At least one of `email` and `phone` is required.
    pub email: Option<String>,
    /// Saudi mobile number in any usual form (`05XXXXXXXX`, `+9665XXXXXXXX`, …).
    pub phone: Option<String>,
    /// At least 10 characters, not a common password, not containing the name or login.
    #[schema(value_type = String, format = Password)]
    pub password: SecretString,
    /// The name shown on orders and messages, 1 to 200 characters.
    pub name: String,
    /// `buyer` (default) or `seller`; administrators are appointed, not registered.
    #[serde(default = "buyer")]
    pub role: Role,
    /// Required for sellers: a new seller record, or an existing one to link.
    pub seller: Option<SellerSignup>,
    /// `ar` or `en`: the language of the account's text messages and emails, the
    /// verification code among them. By default the request's: Arabic unless its
    /// `Accept-Language` prefers English.
    pub locale: Option<Locale>,
}

fn buyer() -> Role {
    Role::Buyer
}

/// The seller record a seller account manages: either `name` and `city` for a new
/// one, or `api_key` of an existing seller to prove it is yours and link it.
#[derive(Deserialize, ToSchema)]
pub struct SellerSignup {
    /// Business name of a new seller, 1 to 200 characters.
    pub name: Option<String>,
    /// City of a new seller.
    pub city: Option<String>,
    /// An active API key of an existing seller (`cpk_…`).
    #[schema(value_type = Option<String>)]
    pub api_key: Option<SecretString>,
}

/// A new account and its first tokens.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegisterResponse {
    pub user: UserView,
    pub tokens: TokenResponse,
}

/// What the seller part of a registration asks for, once checked.
enum SellerLink {
    Create { name: String, city: String },
    Existing(SecretString),
}

/// A registration that passed every check.
struct Registration {
    email: Option<String>,
    phone: Option<Phone>,
    name: String,
    role: Role,
    seller: Option<SellerLink>,
    locale: Locale,
}

/// Lowercased and trimmed: addresses differing only in case are one account.
pub(super) fn normalize_email(raw: &str) -> Result<String, &'static str> {
    let email = raw.trim().to_lowercase();
    if email.validate_email() && !email.chars().any(char::is_control) {
        Ok(email)
    } else {
        Err("must be a valid email address")
    }
}

/// `value` trimmed, with a field error when it is blank, too long or holds control
/// characters.
fn single_line_field(errors: &mut Vec<FieldError>, field: &str, value: &str, max_chars: usize) -> String {
    let trimmed = value.trim();
    if let Err(error) = single_line(trimmed) {
        let reason = error.message.map_or_else(|| error.code.to_string(), |m| m.to_string());
        errors.push(FieldError::new(field, reason));
    } else if trimmed.chars().count() > max_chars {
        errors.push(FieldError::new(field, format!("must be at most {max_chars} characters")));
    }
    trimmed.to_string()
}

impl RegisterRequest {
    fn check(self) -> Result<(Registration, SecretString), AppError> {
        let mut errors = Vec::new();
        let email = match self.email.as_deref().map(normalize_email).transpose() {
            Ok(email) => email,
            Err(reason) => {
                errors.push(FieldError::new("email", reason));
                None
            }
        };
        let phone = match self.phone.as_deref().map(Phone::parse).transpose() {
            Ok(phone) => phone,
            Err(reason) => {
                errors.push(FieldError::new("phone", reason));
                None
            }
        };
        if self.email.is_none() && self.phone.is_none() {
            errors.push(FieldError::new("email", "an email address or a phone number is required"));
        }
        let name = single_line_field(&mut errors, "name", &self.name, 200);
        if let Some(reason) = passwords::policy_violation(
            self.password.expose_secret(),
            &passwords::personal(&name, email.as_deref(), phone.as_ref()),
        ) {
            errors.push(FieldError::new("password", reason));
        }
        let seller = match (self.role, self.seller) {
            (Role::Admin, _) => {
                errors.push(FieldError::new(
                    "role",
                    "must be buyer or seller; administrators are appointed, not registered",
                ));
                None
            }
            (Role::Buyer, None) => None,
            (Role::Buyer, Some(_)) => {
                errors.push(FieldError::new("seller", "is only for role seller"));
                None
            }
            (Role::Seller, None) => {
                errors.push(FieldError::new("seller", "is required for role seller: name and city, or api_key"));
                None
            }
            (Role::Seller, Some(signup)) => match signup {
                SellerSignup { api_key: Some(key), name: None, city: None } => Some(SellerLink::Existing(key)),
                SellerSignup { api_key: None, name: Some(name), city: Some(city) } => Some(SellerLink::Create {
                    name: single_line_field(&mut errors, "seller.name", &name, 200),
                    city: canonical_city(&single_line_field(&mut errors, "seller.city", &city, 64)),
                }),
                _ => {
                    errors.push(FieldError::new(
                        "seller",
                        "give either name and city for a new seller, or api_key of an existing one",
                    ));
                    None
                }
            },
        };
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let locale = self.locale.unwrap_or_else(Locale::current);
        Ok((Registration { email, phone, name, role: self.role, seller, locale }, self.password))
    }
}

/// Creates the seller record, or finds the one whose key was presented.
async fn seller_for(conn: &mut PgConnection, link: SellerLink) -> Result<Uuid, AppError> {
    match link {
        SellerLink::Create { name, city } => Ok(sellers::create_for_account(conn, &name, &city).await?),
        SellerLink::Existing(key) => api_keys::active_key(conn, key.expose_secret().trim())
            .await?
            .map(|key| key.seller_id)
            .ok_or_else(|| AppError::invalid("seller.api_key", "is not an active seller API key")),
    }
}

/// Creates an account and signs it in, and sends the proofs of its contacts: a code
/// texted to the phone (confirm it at `/me/verification/phone/confirm`) and a link
/// mailed to the email address.
///
/// Until a contact is proven, another registration naming it takes it from this
/// account; once proven, it is this account's alone.
#[utoipa::path(
    post,
    path = "/auth/register",
    tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Account created and signed in", body = RegisterResponse),
        (status = 400, description = "A field is invalid; each is named", body = ErrorEnvelope),
        (status = 409, description = "The email or phone number belongs to an account that verified it (an unverified account gives it up to this registration)", body = ErrorEnvelope),
        (status = 429, description = "Too many attempts from this address", body = ErrorEnvelope)
    )
)]
#[tracing::instrument(skip_all)]
pub async fn register(
    State(auth): State<AuthState>,
    State(PrimaryDb(db)): State<PrimaryDb>,
    context: RequestContext,
    AppJson(body): AppJson<RegisterRequest>,
) -> Result<Response, AppError> {
    let (registration, password) = body.check()?;
    let password_hash = passwords::hash(password).await?;
    let id = Uuid::new_v4();
    let (phone_hash, phone_sealed) = match &registration.phone {
        Some(phone) => (
            Some(users::phone_hash(&auth.keys.lookup, phone)),
            Some(auth.keys.cipher.seal(phone.as_str().as_bytes(), &users::phone_context(id))),
        ),
        None => (None, None),
    };
    let now = auth.clock.now();
    let mut tx = db.begin().await?;
    // Whatever an unverified account holds of these contacts is this registration's now.
    verification::release_unverified(&mut tx, registration.email.as_deref(), phone_hash.as_deref(), &context, now)
        .await?;
    let seller_id = match registration.seller {
        Some(link) => Some(seller_for(&mut tx, link).await?),
        None => None,
    };
    let new_user = NewUser {
        id,
        email: registration.email.as_deref(),
        phone_hash: phone_hash.as_deref(),
        phone_encrypted: phone_sealed.as_deref(),
        name: &registration.name,
        password_hash: &password_hash,
        role: registration.role,
        seller_id,
        locale: registration.locale,
    };
    match store::users::insert(&mut *tx, new_user).await {
        Ok(_) => {}
        Err(e) if is_constraint_violation(&e, "users_email_key") => {
            return Err(AppError::Conflict("an account with this email address already exists".into()));
        }
        Err(e) if is_constraint_violation(&e, "users_phone_hash_key") => {
            return Err(AppError::Conflict("an account with this phone number already exists".into()));
        }
        Err(e) => return Err(e.into()),
    }
    audit::record(
        &mut *tx,
        Entry::own(Event::Registered, id).with(serde_json::json!({
            "role": registration.role.as_str(),
            "seller_id": seller_id,
        })),
        &context,
        now,
    )
    .await?;
    let event = events::Event {
        topic: users::REGISTERED,
        subject_id: id,
        payload: serde_json::json!({ "role": registration.role.as_str(), "seller_id": seller_id }),
        occurred_at: now,
    };
    events::record(&mut tx, &event).await?;
    let user =
        users::by_id(&mut *tx, id).await?.ok_or_else(|| anyhow::anyhow!("the account just created is missing"))?;
    let code = verification::start(&mut tx, &auth, &user, registration.phone.as_ref(), now).await?;
    let tokens = sessions::start(&mut tx, &auth, user.subject(), &context).await?;
    tx.commit().await?;
    if let Some(code) = code {
        // The account exists either way; a code that did not leave is asked for again.
        let _ = code.send(&auth).await;
    }
    let body = RegisterResponse { user: user.view(&auth)?, tokens };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// Sign-in with a password.
#[derive(Deserialize, Validate, ToSchema)]
pub struct LoginRequest {
    /// The account's email address; give this or `phone`.
    pub email: Option<String>,
    /// The account's phone number, in any usual form.
    pub phone: Option<String>,
    #[schema(value_type = String, format = Password)]
    pub password: SecretString,
}

/// How a sign-in names its account.
enum Login {
    Email(String),
    Phone(Phone),
}

/// Signs in with email or phone and password.
///
/// Accounts with an authenticator get a challenge instead of tokens; finish it at
/// `/auth/mfa/verify`.
#[utoipa::path(
    post,
    path = "/auth/login",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Tokens, or a second-factor challenge", body = LoginResponse),
        (status = 400, description = "Neither or both of email and phone, or a malformed one", body = ErrorEnvelope),
        (status = 401, description = "Wrong login or password", body = ErrorEnvelope),
        (status = 429, description = "Too many attempts from this address or for this account", body = ErrorEnvelope),
        (status = 503, description = "The rate limiter cannot count, so sign-in is paused", body = ErrorEnvelope)
    )
)]
#[tracing::instrument(skip_all)]
pub async fn login(
    State(auth): State<AuthState>,
    State(PrimaryDb(db)): State<PrimaryDb>,
    context: RequestContext,
    AppJson(body): AppJson<LoginRequest>,
) -> Result<Response, AppError> {
    let login = match (&body.email, &body.phone) {
        (Some(email), None) => Login::Email(normalize_email(email).map_err(|r| AppError::invalid("email", r))?),
        (None, Some(phone)) => Login::Phone(Phone::parse(phone).map_err(|r| AppError::invalid("phone", r))?),
        _ => return Err(AppError::invalid("email", "give either email or phone")),
    };
    // Counted per account as well as per address, so guessing one account's password
    // from many addresses is as slow as from one.
    let login_text = match &login {
        Login::Email(email) => email.as_str(),
        Login::Phone(phone) => phone.as_str(),
    };
    let account_key = hex::encode(&auth.keys.lookup.hash("login", &[login_text.as_bytes()])[..16]);
    let decision = auth
        .limiter
        .hit(LimitClass::Auth, &format!("auth:login:account:{account_key}"))
        .await?
        .map(Decision::check)
        .transpose()?;
    let user = match &login {
        Login::Email(email) => users::by_email(&db, email).await?,
        Login::Phone(phone) => users::by_phone_hash(&db, &users::phone_hash(&auth.keys.lookup, phone)).await?,
    };
    // An account reached by email and by phone has one budget: counted by its id as
    // well, so alternating the two does not double the guesses.
    let decision = match &user {
        Some(user) => {
            let own = auth.limiter.hit(LimitClass::Auth, &format!("auth:login:user:{}", user.id)).await?;
            let own = own.map(Decision::check).transpose()?;
            match (decision, own) {
                (Some(a), Some(b)) => Some(a.tighter(b)),
                (a, b) => a.or(b),
            }
        }
        None => decision,
    };
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let matches = passwords::verify(body.password, stored).await?;
    let user = match user {
        Some(user) if matches => user,
        other => {
            let subject = other.map(|u| u.id);
            let reason = if subject.is_some() { "wrong_password" } else { "unknown_account" };
            audit::record(
                &db,
                Entry::about(Event::LoginFailed, subject)
                    .with(serde_json::json!({ "method": "password", "reason": reason })),
                &context,
                auth.clock.now(),
            )
            .await?;
            return Err(AppError::Unauthorized("wrong email, phone number or password"));
        }
    };
    let response = login::finish(&db, &auth, &user, "password", &context).await?;
    let response = Json(response).into_response();
    Ok(match decision {
        Some(decision) => rate_limit::attach(decision, response),
        None => response,
    })
}

/// A refresh token to exchange.
#[derive(Deserialize, Validate, ToSchema)]
pub struct RefreshRequest {
    #[schema(value_type = String)]
    pub refresh_token: SecretString,
}

/// Exchanges a refresh token for a new pair.
///
/// Each refresh token works once. Presenting one a second time ends its session:
/// it means someone else has a copy.
#[utoipa::path(
    post,
    path = "/auth/refresh",
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new access and refresh token", body = TokenResponse),
        (status = 401, description = "Unknown, expired, reused or revoked refresh token", body = ErrorEnvelope)
    )
)]
#[tracing::instrument(skip_all)]
pub async fn refresh(
    State(auth): State<AuthState>,
    State(PrimaryDb(db)): State<PrimaryDb>,
    context: RequestContext,
    AppJson(body): AppJson<RefreshRequest>,
) -> Result<Json<TokenResponse>, AppError> {
    let tokens = sessions::rotate(&db, &auth, body.refresh_token.expose_secret().trim(), &context).await?;
    Ok(Json(tokens))
}

/// Signs out: ends the session and revokes the access token at once.
#[utoipa::path(
    post,
    path = "/auth/logout",
    tag = "auth",
    security(("bearer_jwt" = [])),
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "Missing, invalid or revoked access token", body = ErrorEnvelope)
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %user.user_id))]
pub async fn logout(
    State(auth): State<AuthState>,
    State(PrimaryDb(db)): State<PrimaryDb>,
    LeavingUser(user): LeavingUser,
    context: RequestContext,
) -> Result<StatusCode, AppError> {
    let now = auth.clock.now();
    sessions::end(&db, user.session_id, EndReason::Logout, now).await?;
    auth.revocations.revoke(user.jti, user.expires_at, now).await;
    audit::record(
        &db,
        Entry::own(Event::LoggedOut, user.user_id).with(serde_json::json!({ "session_id": user.session_id })),
        &context,
        now,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Loads the signed-in user's account; a token can outlive its account.
pub(super) async fn current_account(db: &sqlx::PgPool, user: &AuthUser) -> Result<UserRecord, AppError> {
    users::by_id(db, user.user_id).await?.ok_or(AppError::Unauthorized("the account no longer exists"))
}

/// The signed-in user's own account.
#[utoipa::path(
    get,
    path = "/me",
    tag = "account",
    security(("bearer_jwt" = [])),
    responses(
        (status = 200, description = "The account", body = UserView),
        (status = 401, description = "Missing, invalid or revoked access token", body = ErrorEnvelope)
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %user.user_id))]
pub async fn me(
    State(auth): State<AuthState>,
    State(PrimaryDb(db)): State<PrimaryDb>,
    user: AuthUser,
) -> Result<Json<UserView>, AppError> {
    let account = current_account(&db, &user).await?;
    Ok(Json(account.view(&auth)?))
}

/// What an account may change of itself here.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMeRequest {
    /// `ar` or `en`: the language of the account's text messages and emails.
    pub locale: Locale,
}

/// Changes the signed-in user's preferences: the language of its messages.
#[utoipa::path(
    patch,
    path = "/me",
    tag = "account",
    security(("bearer_jwt" = [])),
    request_body = UpdateMeRequest,
    responses(
        (status = 200, description = "The account as changed", body = UserView),
        (status = 400, description = "Not JSON, an unknown field, or a language other than `ar` and `en`", body = ErrorEnvelope),
        (status = 401, description = "Missing, invalid or revoked access token", body = ErrorEnvelope)
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %user.user_id))]
pub async fn update_me(
    State(auth): State<AuthState>,
    State(PrimaryDb(db)): State<PrimaryDb>,
    user: AuthUser,
    AppJson(body): AppJson<UpdateMeRequest>,
) -> Result<Json<UserView>, AppError> {
    let mut account = current_account(&db, &user).await?;
    store::users::set_locale(&db, account.id, body.locale, auth.clock.now()).await?;
    account.locale = body.locale;
    Ok(Json(account.view(&auth)?))
}

/// A password change.
#[derive(Deserialize, Validate, ToSchema)]
pub struct ChangePasswordRequest {
    #[schema(value_type = String, format = Password)]
    pub current_password: SecretString,
    #[schema(value_type = String, format = Password)]
    pub new_password: SecretString,
}

/// Changes the password and ends every other session of the account.
#[utoipa::path(
    post,
    path = "/me/password",
    tag = "account",
    security(("bearer_jwt" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "Changed; other sessions ended"),
        (status = 400, description = "Wrong current password, or the new one breaks the policy", body = ErrorEnvelope),
        (status = 401, description = "Missing, invalid or revoked access token", body = ErrorEnvelope),
        (status = 429, description = "Too many attempts", body = ErrorEnvelope)
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %user.user_id))]
pub async fn change_password(
    State(auth): State<AuthState>,
    State(PrimaryDb(db)): State<PrimaryDb>,
    user: AuthUser,
    context: RequestContext,
    AppJson(body): AppJson<ChangePasswordRequest>,
) -> Result<StatusCode, AppError> {
    let account = current_account(&db, &user).await?;
    if !passwords::verify(body.current_password.clone(), account.password_hash.clone()).await? {
        return Err(AppError::invalid("current_password", "is not the account's current password"));
    }
    let new_password = body.new_password.expose_secret();
    let phone = account.phone(&auth.keys.cipher)?;
    let personal = passwords::personal(&account.name, account.email.as_deref(), phone.as_ref());
    if let Some(reason) = passwords::policy_violation(new_password, &personal) {
        return Err(AppError::invalid("new_password", reason));
    }
    if new_password == body.current_password.expose_secret() {
        return Err(AppError::invalid("new_password", "must differ from the current password"));
    }
    let hash = passwords::hash(body.new_password).await?;
    let now = auth.clock.now();
    let mut tx = db.begin().await?;
    store::users::set_password(&mut *tx, user.user_id, &hash, now).await?;
    let ended = sessions::end_all(&mut tx, user.user_id, Some(user.session_id), EndReason::PasswordChange, now).await?;
    audit::record(
        &mut *tx,
        Entry::own(Event::PasswordChanged, user.user_id).with(serde_json::json!({ "other_sessions_ended": ended })),
        &context,
        now,
    )
    .await?;
    let event = events::Event {
        topic: users::PASSWORD_CHANGED,
        subject_id: user.user_id,
        payload: serde_json::json!({ "other_sessions_ended": ended }),
        occurred_at: now,
    };
    events::record(&mut tx, &event).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
