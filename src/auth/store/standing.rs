//! The query the request path runs on every signed-in call.

use sqlx::{PgPool, Row};
use uuid::Uuid;

/// What an account may do now, and whether one of its sessions is still open.
#[derive(Debug, Clone)]
pub struct Standing {
    pub role: String,
    pub seller_id: Option<Uuid>,
    /// `active` or `suspended`, for accounts that manage a seller.
    pub seller_status: Option<String>,
    pub session_open: bool,
}

/// The standing of `user_id` in session `session_id`; `None` when either is gone.
///
/// One primary-key lookup per table: cheap enough to run on every signed-in request.
pub async fn standing(db: &PgPool, user_id: Uuid, session_id: Uuid) -> sqlx::Result<Option<Standing>> {
    let row = sqlx::query(
        "SELECT u.role, u.seller_id, s.status AS seller_status, a.revoked_at IS NULL AS session_open
           FROM users u
           JOIN auth_sessions a ON a.id = $2 AND a.user_id = u.id
           LEFT JOIN sellers s ON s.id = u.seller_id
          WHERE u.id = $1",
    )
    .bind(user_id)
    .bind(session_id)
    .fetch_optional(db)
    .await?;
    row.map(|row| {
        Ok(Standing {
            role: row.try_get("role")?,
            seller_id: row.try_get("seller_id")?,
            seller_status: row.try_get("seller_status")?,
            session_open: row.try_get("session_open")?,
        })
    })
    .transpose()
}
