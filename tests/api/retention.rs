//! Retention: one round purges exactly the rows past their period, rule by rule, and
//! leaves the rest; a second round finds nothing more.

use chrono::Utc;
use uuid::Uuid;

use crate::auth_support::spawn_auth_app_with;

/// `(table, the old row's age, the young row's age)` for rows keyed by a user; the
/// statements insert one row of `table` for `$1` at the age given in `$2`.
const AGED: &[(&str, &str)] = &[
    (
        "phone_otps",
        "INSERT INTO phone_otps (phone_hash, code_hash, created_at, expires_at)
         VALUES (decode(md5($1::text), 'hex'), '\\x00', now() - $2::interval, now() - $2::interval)",
    ),
    (
        "password_resets",
        "INSERT INTO password_resets (id, user_id, channel, created_at, expires_at)
         VALUES (gen_random_uuid(), $1, 'email', now() - $2::interval, now() - $2::interval)",
    ),
    (
        "contact_verifications",
        "INSERT INTO contact_verifications (id, user_id, channel, contact_hash, created_at, expires_at)
         VALUES (gen_random_uuid(), $1, 'email', '\\x00', now() - $2::interval, now() - $2::interval)",
    ),
    (
        "mfa_challenges",
        "INSERT INTO mfa_challenges (user_id, token_hash, method, created_at, expires_at)
         VALUES ($1, decode(md5(random()::text), 'hex'), 'password', now() - $2::interval, now() - $2::interval)",
    ),
    (
        "auth_sessions",
        "INSERT INTO auth_sessions (id, user_id, created_at, revoked_at, revoked_reason)
         VALUES (gen_random_uuid(), $1, now() - $2::interval, now() - $2::interval, 'logout')",
    ),
    (
        "sms_log",
        "INSERT INTO sms_log (purpose, user_id, recipient_masked, body_excerpt, status, created_at, updated_at)
         VALUES ('order_confirmed', $1, '+96650*****67', 'x', 'sent', now() - $2::interval, now() - $2::interval)",
    ),
    (
        "email_log",
        "INSERT INTO email_log (purpose, user_id, recipient_masked, subject, status, created_at, updated_at)
         VALUES ('order_confirmed', $1, 'n***@example.com', 'x', 'sent', now() - $2::interval, now() - $2::interval)",
    ),
    (
        "audit_log",
        "INSERT INTO audit_log (occurred_at, event, subject_id) VALUES (now() - $2::interval, 'login.succeeded', $1)",
    ),
];

/// The age just past each table's default period, and one just inside it.
fn ages(table: &str) -> (&'static str, &'static str) {
    match table {
        "auth_sessions" => ("91 days", "89 days"),
        "sms_log" | "email_log" => ("366 days", "364 days"),
        "audit_log" => ("731 days", "729 days"),
        _ => ("2 days", "12 hours"),
    }
}

async fn count(db: &sqlx::PgPool, table: &str, user: Uuid) -> i64 {
    let column = if table == "phone_otps" {
        "phone_hash = decode(md5($1::text), 'hex')"
    } else if table == "audit_log" {
        "subject_id = $1"
    } else if table == "sms_log" || table == "email_log" {
        // The registration's own verification messages are logged by a job that may finish
        // at any moment: only the rows this test inserts are counted.
        "user_id = $1 AND purpose = 'order_confirmed'"
    } else {
        "user_id = $1"
    };
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table} WHERE {column}")))
        .bind(user)
        .fetch_one(db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_round_purges_exactly_the_rows_past_their_period() {
    // The server's own rounds keep everything for a century: the test's round is the one
    // that counts.
    let app = spawn_auth_app_with(|settings| {
        let century = 36_500;
        let retention = &mut settings.retention;
        retention.refresh_tokens_days = century;
        retention.ended_sessions_days = century;
        retention.one_time_codes_days = century;
        retention.message_log_days = century;
        retention.audit_days = century;
    })
    .await;
    let user = app.register_buyer("retained@example.com").await.user_id;
    let mut before = Vec::new();
    for (table, insert) in AGED {
        let (old, young) = ages(table);
        for age in [old, young] {
            sqlx::query(sqlx::AssertSqlSafe(*insert)).bind(user).bind(age).execute(&app.db).await.unwrap();
        }
        let counted = count(&app.db, table, user).await;
        assert!(counted >= 2, "{table}: {counted}");
        before.push(counted);
    }
    // Refresh tokens of the live session: one expired past the period, one inside it.
    for age in ["8 days", "6 days"] {
        sqlx::query(
            "INSERT INTO refresh_tokens (session_id, token_hash, created_at, expires_at)
             SELECT id, decode(md5(random()::text), 'hex'), now() - $2::interval, now() - $2::interval
               FROM auth_sessions WHERE user_id = $1 AND revoked_at IS NULL",
        )
        .bind(user)
        .bind(age)
        .execute(&app.db)
        .await
        .unwrap();
    }
    let tokens = "SELECT count(*) FROM refresh_tokens";
    let tokens_before = app.count(tokens).await;

    let settings = cargoparts::platform::config::Settings::load_from(None, |_| None).unwrap().retention;
    // The server's own round at start may hold the lock a moment: then this one skips,
    // and is run again.
    let mut purged = cargoparts::privacy::retention::purge(&app.db, &settings, Utc::now()).await.unwrap();
    for _ in 0..100 {
        if purged.ran {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        purged = cargoparts::privacy::retention::purge(&app.db, &settings, Utc::now()).await.unwrap();
    }
    assert!(purged.ran, "the server's round never let go of the lock");

    for ((table, _), before) in AGED.iter().zip(before) {
        assert_eq!(count(&app.db, table, user).await, before - 1, "{table}: only the old row goes");
    }
    assert_eq!(app.count(tokens).await, tokens_before - 1, "only the long-expired refresh token goes");
    assert_eq!(purged.total(), AGED.len() as u64 + 1, "{:?}", purged.rules);
    // The live session still works.
    assert_eq!(
        app.login(&serde_json::json!({"email": "retained@example.com", "password": crate::auth_support::PASSWORD}))
            .await
            .status(),
        200
    );

    let again = cargoparts::privacy::retention::purge(&app.db, &settings, Utc::now()).await.unwrap();
    assert_eq!(again.total(), 0, "{:?}", again.rules);
}
