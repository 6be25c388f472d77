//! Harness of the accounts and security tests: a server whose clock and SMS messages
//! the test controls, and shortcuts for signing up and in.

use std::ops::Deref;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cargoparts::auth::principal::Role;
use cargoparts::auth::users;
use cargoparts::platform::clock::ManualClock;
use cargoparts::platform::config::Settings;
use cargoparts::platform::phone::Phone;
use cargoparts::platform::sms::SmsSender;
use futures::future::BoxFuture;
use serde_json::{Value, json};
use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use uuid::Uuid;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{TestApp, redis_url, spawn_prepared_app};

/// A password every test account uses; it satisfies the policy.
pub const PASSWORD: &str = "lemon tree by the harbour";

/// Keeps the messages instead of sending them.
#[derive(Default)]
pub struct RecordingSms {
    sent: Mutex<Vec<(String, String)>>,
}

impl SmsSender for RecordingSms {
    fn send<'a>(&'a self, to: &'a Phone, text: &'a str) -> BoxFuture<'a, anyhow::Result<()>> {
        self.sent.lock().unwrap().push((to.as_str().to_string(), text.to_string()));
        Box::pin(async { Ok(()) })
    }
}

impl RecordingSms {
    /// Messages sent to `e164` so far.
    pub fn count_to(&self, e164: &str) -> usize {
        self.sent.lock().unwrap().iter().filter(|(to, _)| to == e164).count()
    }

    /// The six-digit code of the last message sent to `e164`.
    pub fn last_code_to(&self, e164: &str) -> Option<String> {
        let sent = self.sent.lock().unwrap();
        let (_, text) = sent.iter().rev().find(|(to, _)| to == e164)?;
        let digits: Vec<char> = text.chars().collect();
        digits.windows(6).find(|w| w.iter().all(char::is_ascii_digit)).map(|w| w.iter().collect())
    }
}

/// A test server with a controllable clock and a recording SMS sender.
pub struct AuthApp {
    pub app: TestApp,
    pub clock: Arc<ManualClock>,
    pub sms: Arc<RecordingSms>,
}

impl Deref for AuthApp {
    type Target = TestApp;

    fn deref(&self) -> &TestApp {
        &self.app
    }
}

pub async fn spawn_auth_app() -> AuthApp {
    spawn_auth_app_with(|_| {}).await
}

/// Like `helpers::spawn_app_with`, with the clock and SMS sender swapped before the
/// server starts.
pub async fn spawn_auth_app_with(adjust: impl FnOnce(&mut Settings)) -> AuthApp {
    let clock = Arc::new(ManualClock::starting_now());
    let sms = Arc::new(RecordingSms::default());
    let (app_clock, app_sms) = (clock.clone(), sms.clone());
    let app = spawn_prepared_app(adjust, move |application| {
        application.state_mut().orders.clock = app_clock.clone();
        application.state_mut().payments.orders.clock = app_clock.clone();
        application.state_mut().auth.clock = app_clock;
        application.state_mut().auth.sms = app_sms;
    })
    .await;
    AuthApp { app, clock, sms }
}

/// A server whose emails go to `sendgrid`, with quick relay and job rounds and a
/// budget of credential attempts no test reaches.
pub async fn spawn_mailing_app(sendgrid: &MockServer, adjust: impl FnOnce(&mut Settings)) -> AuthApp {
    let uri = sendgrid.uri();
    spawn_auth_app_with(move |settings| {
        settings.rate_limit.auth.limit = 100;
        settings.notify.sendgrid = Some(cargoparts::platform::config::SendGridSettings {
            base_url: uri,
            api_key: "SG.test-key".into(),
            from: "accounts@cargoparts.example".into(),
            from_name: "CargoParts".into(),
        });
        settings.events.relay_interval_ms = 50;
        settings.jobs.poll_interval_ms = 100;
        adjust(settings);
    })
    .await
}

/// A fake SendGrid that takes every email.
pub async fn sendgrid() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/mail/send"))
        .respond_with(ResponseTemplate::new(202).insert_header("X-Message-Id", "sg-account-1"))
        .mount(&server)
        .await;
    server
}

/// The bodies of the emails SendGrid has received.
pub async fn emails(sendgrid: &MockServer) -> Vec<Value> {
    let received = sendgrid.received_requests().await.unwrap_or_default();
    received.iter().map(|request| serde_json::from_slice(&request.body).unwrap()).collect()
}

/// Waits for the `n`th email linking to `page` and answers the token of its link.
pub async fn link_token(sendgrid: &MockServer, page: &str, n: usize) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    let prefix = format!("{page}?token=");
    loop {
        let texts: Vec<String> = emails(sendgrid)
            .await
            .iter()
            .map(|email| email["content"][0]["value"].as_str().unwrap().to_string())
            .filter(|text| text.contains(&prefix))
            .collect();
        if let Some(text) = texts.get(n - 1) {
            let start = text.find(&prefix).unwrap();
            let link = text[start..].split_whitespace().next().unwrap();
            return link.split_once("?token=").unwrap().1.to_string();
        }
        assert!(Instant::now() < deadline, "no email linking to {page} arrived");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Settings adjustment: use the machine's Redis.
pub fn with_redis(settings: &mut Settings) {
    settings.redis.url = Some(redis_url().into());
}

/// A signed-in account.
#[derive(Debug, Clone)]
pub struct Session {
    pub user_id: Uuid,
    pub access: String,
    pub refresh: String,
}

impl Session {
    fn from_tokens(user_id: Uuid, tokens: &Value) -> Session {
        Session {
            user_id,
            access: tokens["access_token"].as_str().unwrap().to_string(),
            refresh: tokens["refresh_token"].as_str().unwrap().to_string(),
        }
    }
}

impl AuthApp {
    pub async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client.post(self.url(path)).json(body).send().await.unwrap()
    }

    pub async fn post_as(&self, token: &str, path: &str, body: &Value) -> reqwest::Response {
        self.client.post(self.url(path)).bearer_auth(token).json(body).send().await.unwrap()
    }

    pub async fn get_as(&self, token: &str, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).bearer_auth(token).send().await.unwrap()
    }

    /// Registers with `body` and expects success.
    pub async fn register(&self, body: Value) -> (Session, Value) {
        let response = self.post("/api/v1/auth/register", &body).await;
        assert_eq!(response.status(), 201, "{body}");
        let created: Value = response.json().await.unwrap();
        let user_id = created["user"]["id"].as_str().unwrap().parse().unwrap();
        (Session::from_tokens(user_id, &created["tokens"]), created)
    }

    pub async fn register_buyer(&self, email: &str) -> Session {
        self.register(json!({"email": email, "password": PASSWORD, "name": "Noura"})).await.0
    }

    /// A seller account with a new seller record; returns the record's id too.
    pub async fn register_seller(&self, email: &str, business: &str) -> (Session, Uuid) {
        let (session, created) = self
            .register(json!({
                "email": email,
                "password": PASSWORD,
                "name": "Khalid",
                "role": "seller",
                "seller": {"name": business, "city": "Riyadh"}
            }))
            .await;
        let seller_id = created["user"]["seller_id"].as_str().unwrap().parse().unwrap();
        (session, seller_id)
    }

    /// An administrator: appointed the way operators do it, then signed in afresh so
    /// the token carries the role.
    pub async fn admin(&self, email: &str) -> Session {
        let session = self.register_buyer(email).await;
        users::set_role(&self.db, email, Role::Admin, None).await.unwrap();
        let tokens = self.login_ok(&json!({"email": email, "password": PASSWORD})).await;
        Session::from_tokens(session.user_id, &tokens)
    }

    pub async fn login(&self, body: &Value) -> reqwest::Response {
        self.post("/api/v1/auth/login", body).await
    }

    /// Signs in and expects tokens.
    pub async fn login_ok(&self, body: &Value) -> Value {
        let response = self.login(body).await;
        assert_eq!(response.status(), 200);
        let tokens: Value = response.json().await.unwrap();
        assert!(tokens["access_token"].is_string(), "{tokens}");
        tokens
    }

    pub async fn audit_events(&self, user_id: Uuid) -> Vec<String> {
        sqlx::query_scalar("SELECT event FROM audit_log WHERE subject_id = $1 OR actor_id = $1 ORDER BY id")
            .bind(user_id)
            .fetch_all(&self.db)
            .await
            .unwrap()
    }
}

/// A TCP relay to the test Redis that can be cut, to see the service with Redis down.
pub struct RedisRelay {
    pub url: String,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
    acceptor: JoinHandle<()>,
}

impl RedisRelay {
    pub async fn start() -> RedisRelay {
        let upstream = url::Url::parse(&redis_url()).unwrap();
        let target = format!("{}:{}", upstream.host_str().unwrap(), upstream.port().unwrap_or(6379));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("redis://{}", listener.local_addr().unwrap());
        let tasks: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let registry = tasks.clone();
        let acceptor = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let target = target.clone();
                let relay = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(&target).await {
                        let _ = copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                registry.lock().unwrap().push(relay);
            }
        });
        RedisRelay { url, tasks, acceptor }
    }

    /// Closes the listening port and every relayed connection.
    pub fn cut(&self) {
        self.acceptor.abort();
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }
}

/// The current code of an authenticator with this base32 secret, at `at`.
pub fn totp_code(secret_base32: &str, at: chrono::DateTime<chrono::Utc>) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret_base32).unwrap();
    let totp = totp_rs::Builder::new().with_secret(secret.as_bytes().to_vec()).build().unwrap();
    totp.generate(at.timestamp() as u64).to_string()
}
