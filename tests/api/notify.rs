//! Events, jobs and notifications: an order paid, shipped and delivered is texted
//! through Unifonic and emailed through SendGrid (local fake servers speaking their
//! APIs) once each, whatever the relay repeats; a provider's 503 is retried with
//! backoff and its 400 dead-lettered; a worker killed mid-job leaves the job to the
//! next; an event relayed on one replica reaches another over Redis; sign-in codes go
//! through Unifonic and are logged without the code.
//!
//! Every account registered here is also sent the proofs of its contacts (a link by
//! email, a code by text); the assertions about order messages leave those aside.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Match, Mock, MockServer, Request, ResponseTemplate};

use crate::auth_support::{PASSWORD, Session, with_redis};
use crate::helpers::{server_url, spawn_app_with};
use crate::orders_support::{ShopApp, spawn_shop_with};
use crate::payments_support::form_field;

const UNIFONIC_PATH: &str = "/rest/SMS/messages";
const SENDGRID_PATH: &str = "/v3/mail/send";

fn unifonic_accepts() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "success": "true", "message": "", "errorCode": "ER-00",
        "data": {"MessageID": 3200017889310u64, "Status": "Queued", "NumberOfUnits": 2, "Cost": 0.1, "Recipient": "966501234567"}
    }))
}

fn sendgrid_accepts() -> ResponseTemplate {
    ResponseTemplate::new(202).insert_header("X-Message-Id", "sg-msg-0001")
}

/// Settings for a shop whose messages go to `unifonic` and `sendgrid`, with quick
/// relay rounds and short backoff.
fn notifying(settings: &mut cargoparts::platform::config::Settings, unifonic: &MockServer, sendgrid: &MockServer) {
    settings.notify.unifonic = Some(cargoparts::platform::config::UnifonicSettings {
        base_url: unifonic.uri(),
        app_sid: "test-app-sid".into(),
        sender_id: "CargoParts".into(),
    });
    settings.notify.sendgrid = Some(cargoparts::platform::config::SendGridSettings {
        base_url: sendgrid.uri(),
        api_key: "SG.test-key".into(),
        from: "orders@cargoparts.example".into(),
        from_name: "CargoParts".into(),
    });
    settings.events.relay_interval_ms = 50;
    settings.jobs.poll_interval_ms = 100;
    settings.jobs.backoff_base_ms = 100;
    settings.jobs.backoff_max_secs = 1;
}

async fn wait_for<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Whether `request` carries an account's own message (an email-verification link, a
/// one-time code) rather than one about an order.
fn about_the_account(request: &Request) -> bool {
    let body = String::from_utf8_lossy(&request.body);
    let form: String = url::form_urlencoded::parse(&request.body).map(|(k, v)| format!("{k}={v}\n")).collect();
    body.contains("verify-email") || form.contains("verification code")
}

/// Matches the messages about orders only.
struct AboutOrders;

impl Match for AboutOrders {
    fn matches(&self, request: &Request) -> bool {
        !about_the_account(request)
    }
}

/// The order messages `server` received at `to`.
async fn requests_to(server: &MockServer, to: &str) -> Vec<Request> {
    let received = server.received_requests().await.unwrap_or_default();
    received.into_iter().filter(|r| r.url.path() == to && !about_the_account(r)).collect()
}

async fn log_status(app: &ShopApp, table: &str, purpose: &str) -> Option<String> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT status FROM {table} WHERE purpose = $1")))
        .bind(purpose)
        .fetch_optional(&app.db)
        .await
        .unwrap()
}

/// A paid order of one unit: its id, its group's id, the seller's key and the buyer.
async fn paid_order(app: &ShopApp, external_id: &str) -> (String, String, String, Session) {
    let (shop, ids) = app.shop(external_id, &[("N-1", "115.00", 5)]).await;
    let buyer = app.register_buyer(&format!("{external_id}@example.com")).await;
    let admin = app.admin(&format!("admin-{external_id}@example.com")).await;
    let order = app.order_ok(&buyer, &[(ids[0], 1)]).await;
    let id = order["id"].as_str().unwrap().to_string();
    assert_eq!(app.pay(&admin, &id).await.status(), 200);
    (id, order["groups"][0]["id"].as_str().unwrap().to_string(), shop.key, buyer)
}

#[tokio::test]
async fn an_order_paid_shipped_and_delivered_is_texted_and_emailed_once_each() {
    let (unifonic, sendgrid) = (MockServer::start().await, MockServer::start().await);
    Mock::given(method("POST"))
        .and(path(UNIFONIC_PATH))
        .and(form_field("AppSid", "test-app-sid"))
        .and(form_field("Recipient", "966501234567"))
        .respond_with(unifonic_accepts())
        .mount(&unifonic)
        .await;
    Mock::given(method("POST"))
        .and(path(SENDGRID_PATH))
        .and(header("authorization", "Bearer SG.test-key"))
        .respond_with(sendgrid_accepts())
        .mount(&sendgrid)
        .await;
    let app = spawn_shop_with(|s| notifying(s, &unifonic, &sendgrid)).await;
    let (order_id, group, key, buyer) = paid_order(&app, "notify-once").await;

    wait_for("the confirmation", || async {
        log_status(&app, "sms_log", "order_confirmed").await.as_deref() == Some("sent")
            && log_status(&app, "email_log", "order_confirmed").await.as_deref() == Some("sent")
    })
    .await;
    let number: String = sqlx::query_scalar("SELECT number FROM orders WHERE id = $1::uuid")
        .bind(&order_id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    let texts = requests_to(&unifonic, UNIFONIC_PATH).await;
    assert_eq!(texts.len(), 1);
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&texts[0].body).into_owned().collect();
    let body = &form.iter().find(|(k, _)| k == "Body").unwrap().1;
    assert!(body.contains(&number) && body.contains("تم تأكيد طلبك") && body.contains("115.00"), "{body}");
    let sender = &form.iter().find(|(k, _)| k == "SenderID").unwrap().1;
    assert_eq!(sender, "CargoParts");

    let emails = requests_to(&sendgrid, SENDGRID_PATH).await;
    assert_eq!(emails.len(), 1);
    let email: Value = serde_json::from_slice(&emails[0].body).unwrap();
    assert_eq!(email["personalizations"][0]["to"][0]["email"], "notify-once@example.com");
    assert!(email["subject"].as_str().unwrap().contains(&number));
    let html = email["content"][1]["value"].as_str().unwrap();
    assert!(html.contains(r#"dir="rtl""#), "Arabic first, right to left");
    let invoice = &email["attachments"][0];
    assert!(invoice["filename"].as_str().unwrap().starts_with("INV-"), "{invoice}");
    assert_eq!(invoice["type"], "text/html");

    let (units, cost, message_id, excerpt): (Option<i32>, Option<rust_decimal::Decimal>, Option<String>, String) =
        sqlx::query_as(
            "SELECT units, cost, provider_message_id, body_excerpt FROM sms_log WHERE purpose = 'order_confirmed'",
        )
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!((units, message_id.as_deref()), (Some(2), Some("3200017889310")));
    assert_eq!(cost, Some("0.1".parse().unwrap()));
    assert!(excerpt.chars().count() <= 50, "{excerpt}");
    let email_id: Option<String> =
        sqlx::query_scalar("SELECT provider_message_id FROM email_log WHERE purpose = 'order_confirmed'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(email_id.as_deref(), Some("sg-msg-0001"), "SendGrid's X-Message-Id is kept");

    // The buyer prefers English from now on; a language we do not write is refused.
    let me = app.url("/api/v1/me");
    let refused = app.client.patch(&me).bearer_auth(&buyer.access).json(&json!({"locale": "fr"})).send().await.unwrap();
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.unwrap().contains("locale"), "the field is named");
    let changed = app.client.patch(&me).bearer_auth(&buyer.access).json(&json!({"locale": "en"})).send().await.unwrap();
    assert_eq!(changed.status(), 200);
    assert_eq!(changed.json::<Value>().await.unwrap()["locale"], "en");

    // Shipped: the text carries the carrier and the tracking number, in English now.
    let accept = format!("/api/v1/seller/orders/{group}/accept");
    assert_eq!(app.seller_post(&key, &accept, &json!({})).await.status(), 200);
    let ship = json!({"carrier": "SMSA", "tracking_number": "290012345678"});
    assert_eq!(app.seller_post(&key, &format!("/api/v1/seller/orders/{group}/ship"), &ship).await.status(), 200);
    wait_for("the shipping text", || async {
        log_status(&app, "sms_log", "order_shipped").await.as_deref() == Some("sent")
    })
    .await;
    let texts = requests_to(&unifonic, UNIFONIC_PATH).await;
    let shipped: Vec<(String, String)> = url::form_urlencoded::parse(&texts[1].body).into_owned().collect();
    let body = &shipped.iter().find(|(k, _)| k == "Body").unwrap().1;
    // Names sellers and carriers wrote are isolated in the text (U+2068 … U+2069).
    let plain: String = body.chars().filter(|c| !matches!(c, '\u{2068}' | '\u{2069}')).collect();
    assert!(plain.contains("has shipped with SMSA, tracking number 290012345678"), "{body}");
    assert!(body.contains("\u{2068}SMSA\u{2069}"), "{body:?}");

    // The relay hands every event over again (as after a crash before its commit):
    // the jobs exist once, and nothing is sent twice.
    let order_jobs = "SELECT count(*) FROM jobs WHERE kind LIKE 'notify.order_%'";
    assert_eq!(app.count(order_jobs).await, 4, "a text and an email for each of two events");
    sqlx::query("UPDATE event_cursors SET txid = '1'::xid8, seq = 0").execute(&app.db).await.unwrap();
    wait_for("the relay to pass every event again", || async {
        let behind: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM event_outbox e, event_cursors c WHERE (e.txid, e.seq) > (c.txid, c.seq))",
        )
        .fetch_one(&app.db)
        .await
        .unwrap();
        !behind
    })
    .await;
    wait_for("the shipping email", || async {
        log_status(&app, "email_log", "order_shipped").await.as_deref() == Some("sent")
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(app.count(order_jobs).await, 4);
    assert_eq!(requests_to(&unifonic, UNIFONIC_PATH).await.len(), 2, "confirmed and shipped, once each");
    assert_eq!(requests_to(&sendgrid, SENDGRID_PATH).await.len(), 2);
    assert_eq!(app.count("SELECT count(*) FROM sms_log").await, 2);
}

#[tokio::test]
async fn a_provider_503_twice_then_202_sends_once_after_backoff() {
    let (unifonic, sendgrid) = (MockServer::start().await, MockServer::start().await);
    Mock::given(method("POST")).and(path(UNIFONIC_PATH)).respond_with(unifonic_accepts()).mount(&unifonic).await;
    Mock::given(method("POST"))
        .and(path(SENDGRID_PATH))
        .and(AboutOrders)
        .respond_with(ResponseTemplate::new(503).set_body_json(json!({"errors": [{"message": "busy"}]})))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&sendgrid)
        .await;
    Mock::given(method("POST")).and(path(SENDGRID_PATH)).respond_with(sendgrid_accepts()).mount(&sendgrid).await;
    let app = spawn_shop_with(|s| notifying(s, &unifonic, &sendgrid)).await;
    paid_order(&app, "notify-retry").await;

    wait_for("the email", || async {
        log_status(&app, "email_log", "order_confirmed").await.as_deref() == Some("sent")
    })
    .await;
    // The log says sent as the handler returns; the worker records the job's end after.
    wait_for("the job's end", || async {
        let status: String = sqlx::query_scalar("SELECT status FROM jobs WHERE kind = 'notify.order_email'")
            .fetch_one(&app.db)
            .await
            .unwrap();
        status != "running"
    })
    .await;
    assert_eq!(requests_to(&sendgrid, SENDGRID_PATH).await.len(), 3);
    let (status, attempts): (String, i32) =
        sqlx::query_as("SELECT status, attempts FROM jobs WHERE kind = 'notify.order_email'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!((status.as_str(), attempts), ("succeeded", 3));
    let order_mail = "SELECT count(*) FROM email_log WHERE purpose LIKE 'order_%'";
    assert_eq!(app.count(order_mail).await, 1, "one message, logged once");
}

#[tokio::test]
async fn a_provider_400_is_dead_lettered_with_its_reason_and_the_order_goes_on() {
    let (unifonic, sendgrid) = (MockServer::start().await, MockServer::start().await);
    Mock::given(method("POST")).and(path(UNIFONIC_PATH)).respond_with(unifonic_accepts()).mount(&unifonic).await;
    Mock::given(method("POST"))
        .and(path(SENDGRID_PATH))
        .and(AboutOrders)
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"errors": [
            {"message": "The from address does not match a verified Sender Identity.", "field": "from", "help": null}
        ]})))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&sendgrid)
        .await;
    Mock::given(method("POST")).and(path(SENDGRID_PATH)).respond_with(sendgrid_accepts()).mount(&sendgrid).await;
    let app = spawn_shop_with(|s| notifying(s, &unifonic, &sendgrid)).await;
    let (order_id, ..) = paid_order(&app, "notify-dead").await;

    wait_for("the dead letter", || async {
        let status: Option<String> = sqlx::query_scalar("SELECT status FROM jobs WHERE kind = 'notify.order_email'")
            .fetch_optional(&app.db)
            .await
            .unwrap();
        status.as_deref() == Some("dead")
    })
    .await;
    let (id, attempts, error): (i64, i32, String) =
        sqlx::query_as("SELECT id, attempts, last_error FROM jobs WHERE kind = 'notify.order_email'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(attempts, 1, "a refusal is not retried");
    assert!(error.contains("400") && error.contains("from: The from address"), "{error}");
    assert_eq!(log_status(&app, "email_log", "order_confirmed").await.as_deref(), Some("failed"));
    assert_eq!(app.status_of(&order_id).await, "paid", "the order is unaffected");
    wait_for("the text", || async { log_status(&app, "sms_log", "order_confirmed").await.as_deref() == Some("sent") })
        .await;

    // The operator fixes the sender and retries the dead job from the command line.
    let listed = cargoparts(&app.db_name).args(["jobs", "list", "--status", "dead"]).output().unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout).to_string();
    assert!(listed.contains(&id.to_string()) && listed.contains("notify.order_email"), "{listed}");
    let retried = cargoparts(&app.db_name).args(["jobs", "retry", &id.to_string()]).output().unwrap();
    assert!(retried.status.success(), "{}", String::from_utf8_lossy(&retried.stderr));
    wait_for("the email", || async {
        log_status(&app, "email_log", "order_confirmed").await.as_deref() == Some("sent")
    })
    .await;
    let again = cargoparts(&app.db_name).args(["jobs", "retry", &id.to_string()]).output().unwrap();
    assert!(!again.status.success(), "only a dead job is retried");
}

/// The `cargoparts` binary on a test database.
fn cargoparts(db_name: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cargoparts"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DATABASE_URL", format!("{}/{db_name}", server_url()))
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    command
}

/// A `cargoparts worker` process whose texts go to `unifonic`, with a short lease.
fn worker(db_name: &str, unifonic: &MockServer) -> Child {
    cargoparts(db_name)
        .env("CARGOPARTS__NOTIFY__UNIFONIC__BASE_URL", unifonic.uri())
        .env("CARGOPARTS__NOTIFY__UNIFONIC__APP_SID", "test-app-sid")
        .env("CARGOPARTS__NOTIFY__UNIFONIC__SENDER_ID", "CargoParts")
        .env("CARGOPARTS__JOBS__LEASE_SECS", "2")
        .env("CARGOPARTS__JOBS__POLL_INTERVAL_MS", "100")
        .env("CARGOPARTS__EVENTS__RELAY_INTERVAL_MS", "50")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .arg("worker")
        .spawn()
        .unwrap()
}

#[tokio::test]
async fn a_worker_killed_mid_job_leaves_it_to_the_next_and_the_message_is_logged_once() {
    let (unifonic, sendgrid) = (MockServer::start().await, MockServer::start().await);
    // The first text hangs, as a provider that takes a minute to answer.
    Mock::given(method("POST"))
        .and(path(UNIFONIC_PATH))
        .respond_with(unifonic_accepts().set_delay(Duration::from_secs(120)))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&unifonic)
        .await;
    Mock::given(method("POST")).and(path(UNIFONIC_PATH)).respond_with(unifonic_accepts()).mount(&unifonic).await;
    // The API runs no jobs: a worker process of its own does.
    let app = spawn_shop_with(|s| {
        notifying(s, &unifonic, &sendgrid);
        s.jobs.concurrency = 0;
    })
    .await;
    let mut first = worker(&app.db_name, &unifonic);
    paid_order(&app, "notify-kill").await;
    wait_for("the worker to call Unifonic", || async { !requests_to(&unifonic, UNIFONIC_PATH).await.is_empty() }).await;
    first.kill().unwrap();
    first.wait().unwrap();
    assert_eq!(log_status(&app, "sms_log", "order_confirmed").await.as_deref(), Some("sending"));

    let mut second = worker(&app.db_name, &unifonic);
    wait_for("the text", || async { log_status(&app, "sms_log", "order_confirmed").await.as_deref() == Some("sent") })
        .await;
    // The log says sent as the handler returns; the worker records the job's end after.
    wait_for("the job's end", || async {
        let status: String = sqlx::query_scalar("SELECT status FROM jobs WHERE kind = 'notify.order_sms'")
            .fetch_one(&app.db)
            .await
            .unwrap();
        status != "running"
    })
    .await;
    second.kill().unwrap();
    second.wait().unwrap();
    let (status, attempts): (String, i32) =
        sqlx::query_as("SELECT status, attempts FROM jobs WHERE kind = 'notify.order_sms'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!((status.as_str(), attempts), ("succeeded", 2), "claimed again once the lease ran out");
    assert_eq!(log_status(&app, "sms_log", "order_confirmed").await.as_deref(), Some("sent"));
    assert_eq!(app.count("SELECT count(*) FROM sms_log WHERE purpose = 'order_confirmed'").await, 1);
    assert_eq!(app.count("SELECT count(*) FROM jobs WHERE kind = 'notify.order_sms'").await, 1);
}

#[tokio::test]
async fn an_event_relayed_on_one_replica_reaches_another_over_redis() {
    let (unifonic, sendgrid) = (MockServer::start().await, MockServer::start().await);
    let app = spawn_shop_with(|s| {
        notifying(s, &unifonic, &sendgrid);
        with_redis(s);
    })
    .await;
    let replica = app.spawn_replica_with(with_redis).await;
    let mut received = replica.events.subscribe();
    let (order_id, ..) = paid_order(&app, "notify-bus").await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut topics = Vec::new();
    while !topics.contains(&"order.paid".to_string()) {
        let left = deadline.saturating_duration_since(Instant::now());
        let event = tokio::time::timeout(left, received.recv()).await.expect("the replica hears the event").unwrap();
        if event.subject_id.to_string() == order_id {
            topics.push(event.topic.clone());
        }
    }
    assert_eq!(topics, ["order.created", "order.paid"], "in commit order, each once");
}

#[tokio::test]
async fn sign_in_codes_go_through_unifonic_and_the_log_never_holds_them() {
    let (unifonic, sendgrid) = (MockServer::start().await, MockServer::start().await);
    Mock::given(method("POST")).and(path(UNIFONIC_PATH)).respond_with(unifonic_accepts()).mount(&unifonic).await;
    let app = spawn_app_with(|s| notifying(s, &unifonic, &sendgrid)).await;
    let register = json!({"phone": "0551234567", "password": PASSWORD, "name": "Reem"});
    assert_eq!(app.client.post(app.url("/api/v1/auth/register")).json(&register).send().await.unwrap().status(), 201);
    let requested = app
        .client
        .post(app.url("/api/v1/auth/otp/request"))
        .json(&json!({"phone": "0551234567"}))
        .send()
        .await
        .unwrap();
    assert_eq!(requested.status(), 202);

    let texts = requests_to(&unifonic, UNIFONIC_PATH).await;
    assert_eq!(texts.len(), 1);
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&texts[0].body).into_owned().collect();
    assert!(form.contains(&("Recipient".into(), "966551234567".into())));
    let body = &form.iter().find(|(k, _)| k == "Body").unwrap().1;
    let code: String = body.chars().filter(char::is_ascii_digit).take(6).collect();
    assert_eq!(code.len(), 6, "{body}");
    let (excerpt, status, masked): (String, String, String) =
        sqlx::query_as("SELECT body_excerpt, status, recipient_masked FROM sms_log WHERE purpose = 'otp'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(status, "sent");
    assert!(!excerpt.contains(&code) && !masked.contains("1234567"), "{excerpt} {masked}");
    let verified = app
        .client
        .post(app.url("/api/v1/auth/otp/verify"))
        .json(&json!({"phone": "0551234567", "code": code}))
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status(), 200);
}
