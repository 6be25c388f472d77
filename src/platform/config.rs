//! Layered settings: built-in defaults, then an optional TOML file, then the environment.
//!
//! The environment names are the ones operators already know (`DATABASE_URL`,
//! `REDIS_URL`) plus `CARGOPARTS_*`; any setting of the file can also be overridden as
//! `CARGOPARTS__SECTION__KEY`. Connection strings are secrets: they never reach a log.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// Everything the service can be told at start-up.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// `CARGOPARTS_ENV`: what the instance is for, which decides what it may start without.
    pub env: Environment,
    pub database: DatabaseSettings,
    #[serde(default)]
    pub redis: RedisSettings,
    pub http: HttpSettings,
    pub search: SearchSettings,
    pub log: LogSettings,
    pub auth: AuthSettings,
    pub rate_limit: RateLimitSettings,
    #[serde(default)]
    pub metrics: MetricsSettings,
    #[serde(default)]
    pub sentry: SentrySettings,
    #[serde(default)]
    pub security: SecuritySettings,
    pub orders: OrderSettings,
    pub marketplace: MarketplaceSettings,
    pub payments: PaymentSettings,
    pub jobs: JobSettings,
    pub events: EventSettings,
    pub retention: RetentionSettings,
    pub privacy: PrivacySettings,
    pub kyc: KycSettings,
    pub notify: NotifySettings,
    pub cache: CacheSettings,
    pub media: MediaSettings,
}

/// What an instance is for.
///
/// Development starts on a bare machine: published keys, messages written to the log.
/// Production refuses all of that and stops at start-up, naming what is missing.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    #[default]
    Development,
    Production,
}

impl Environment {
    pub fn is_production(self) -> bool {
        self == Environment::Production
    }
}

/// How orders are taken and held.
#[derive(Debug, Clone, Deserialize)]
pub struct OrderSettings {
    /// How long an unpaid order holds its stock before it expires.
    pub reservation_ttl_secs: u64,
    /// How often each instance looks for unpaid orders past their reservation.
    pub expiry_sweep_interval_secs: u64,
    /// Lines an order may have at most.
    pub max_lines: usize,
    /// Units of one listing an order line may ask for at most.
    pub max_quantity: u32,
}

/// The marketplace as a business: the issuer of invoices for sellers without their own
/// VAT registration.
#[derive(Debug, Clone, Deserialize)]
pub struct MarketplaceSettings {
    pub legal_name: String,
    /// The marketplace's Saudi VAT number (15 digits, first and last 3). Production
    /// refuses to start with the development one.
    pub vat_number: String,
}

/// The payment providers, and how the service talks to them.
#[derive(Debug, Clone, Deserialize)]
pub struct PaymentSettings {
    /// The address shoppers and providers reach this service at: return and webhook
    /// URLs are built on it. Production wants `https://`.
    pub public_url: String,
    /// The built-in sandbox provider: on by default in development, refused in production.
    pub sandbox: Option<bool>,
    /// The provider tried when the chosen one cannot be reached: `hyperpay` or `tap`.
    pub fallback: Option<String>,
    /// How long one request to a provider may take.
    pub provider_timeout_ms: u64,
    /// How often each instance asks providers about payments still pending.
    pub poll_interval_secs: u64,
    /// The first wait before a pending payment is asked about; it doubles up to `poll_max_delay_secs`.
    pub poll_initial_delay_secs: u64,
    pub poll_max_delay_secs: u64,
    #[serde(default)]
    pub hyperpay: Option<HyperPaySettings>,
    #[serde(default)]
    pub tap: Option<TapSettings>,
}

/// HyperPay (OPPWA COPYandPAY): one entity id per payment method.
#[derive(Debug, Clone, Deserialize)]
pub struct HyperPaySettings {
    pub base_url: String,
    pub access_token: SecretString,
    pub entity_id_card: String,
    pub entity_id_mada: String,
    #[serde(default)]
    pub entity_id_applepay: Option<String>,
    /// The webhook secret: 64 hex characters.
    pub webhook_key: SecretString,
    /// Sends `testMode=EXTERNAL`, as HyperPay's test host asks.
    #[serde(default)]
    pub test_mode: bool,
}

/// Tap Payments.
#[derive(Debug, Clone, Deserialize)]
pub struct TapSettings {
    pub base_url: String,
    /// `sk_test_…` or `sk_live_…`: authenticates requests and keys the webhooks' `hashstring`.
    pub secret_key: SecretString,
}

impl PaymentSettings {
    /// Whether the sandbox provider serves: as configured, else in development only.
    pub fn sandbox_enabled(&self, env: Environment) -> bool {
        self.sandbox.unwrap_or(!env.is_production())
    }
}

/// The background job queue and this process's worker.
#[derive(Debug, Clone, Deserialize)]
pub struct JobSettings {
    /// Jobs this process runs at once; 0 runs none (the API replicas of a deployment
    /// with separate `cargoparts worker` processes).
    pub concurrency: usize,
    /// How often an idle worker looks for due jobs.
    pub poll_interval_ms: u64,
    /// How long a claim holds without renewal: a job whose worker died runs again this
    /// long after its last renewal.
    pub lease_secs: u64,
    /// Attempts before a job goes to the dead letters.
    pub max_attempts: u32,
    /// The first retry's wait; each further one doubles it.
    pub backoff_base_ms: u64,
    pub backoff_max_secs: u64,
    /// Finished jobs kept for operators, newest first.
    pub keep_succeeded: u32,
    pub keep_dead: u32,
    /// How often the queue's gauges are read and finished jobs pruned.
    pub housekeeping_interval_secs: u64,
    /// How long shutdown waits for running jobs before giving them back.
    pub shutdown_grace_secs: u64,
}

/// Listing photos: where they are kept and served from, and what an upload may be.
#[derive(Debug, Clone, Deserialize)]
pub struct MediaSettings {
    /// The directory photos are stored in (shared by the replicas, or one node's own).
    pub dir: PathBuf,
    /// The URL the stored files are fetched at: this service's `/media` by default,
    /// or a CDN in front of the same directory.
    pub public_url: String,
    /// The largest photo upload.
    pub max_upload_bytes: usize,
    /// Photos one listing may have.
    pub max_photos_per_listing: u32,
    /// An S3-compatible bucket to keep the files in instead of `dir`.
    #[serde(default)]
    pub s3: Option<S3Settings>,
}

/// An S3-compatible bucket (Amazon S3, MinIO, Cloudflare R2, …).
#[derive(Debug, Clone, Deserialize)]
pub struct S3Settings {
    pub bucket: String,
    #[serde(default = "default_s3_region")]
    pub region: String,
    /// The service's URL for S3-compatible stores other than Amazon's; requests are
    /// then path-style (`{endpoint}/{bucket}/{key}`).
    #[serde(default)]
    pub endpoint: Option<String>,
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    /// Plain `http://` endpoints (a bucket on the local network); refused otherwise.
    #[serde(default)]
    pub allow_http: bool,
}

fn default_s3_region() -> String {
    "me-central-1".into()
}

/// The read cache of listing pages: in process over Redis.
#[derive(Debug, Clone, Deserialize)]
pub struct CacheSettings {
    /// Listing pages kept in each process at most.
    pub local_capacity: u64,
    /// How long a page is kept in process; changes evict it sooner.
    pub local_ttl_secs: u64,
    /// How long a page is kept in Redis; changes evict it sooner.
    pub shared_ttl_secs: u64,
}

impl CacheSettings {
    pub fn limits(&self) -> super::cache::CacheLimits {
        super::cache::CacheLimits {
            local_capacity: self.local_capacity,
            local_ttl: Duration::from_secs(self.local_ttl_secs),
            shared_ttl: Duration::from_secs(self.shared_ttl_secs),
        }
    }
}

/// Where sellers' verification documents are kept: a private store, never served
/// under `/media`.
#[derive(Debug, Clone, Deserialize)]
pub struct KycSettings {
    /// The directory of the documents (not inside `media.dir`).
    pub dir: std::path::PathBuf,
    /// An S3-compatible bucket to keep them in instead, private to the service.
    #[serde(default)]
    pub s3: Option<S3Settings>,
}

/// The owner's copy of its data.
#[derive(Debug, Clone, Deserialize)]
pub struct PrivacySettings {
    /// Accounts with more orders than this get their export built by a job and
    /// downloaded when ready, instead of while they wait.
    pub export_inline_max_orders: u64,
    /// Days a built export can be downloaded.
    pub export_days: u32,
}

/// How long data kept only while needed is kept (docs/privacy.md), in days past the
/// moment each rule names, and how often the purge runs.
#[derive(Debug, Clone, Deserialize)]
pub struct RetentionSettings {
    pub interval_secs: u64,
    /// Refresh tokens, past their expiry.
    pub refresh_tokens_days: u32,
    /// Sessions, past their end (sign-out, revocation).
    pub ended_sessions_days: u32,
    /// Sign-in codes, reset and verification codes and links, second-factor
    /// challenges, past their expiry.
    pub one_time_codes_days: u32,
    /// The text-message and email logs, past sending.
    pub message_log_days: u32,
    /// Security events, past their time.
    pub audit_days: u32,
}

/// The relay of domain events.
#[derive(Debug, Clone, Deserialize)]
pub struct EventSettings {
    /// How often the relay looks for new events.
    pub relay_interval_ms: u64,
    /// Events relayed per transaction at most.
    pub relay_batch: i64,
    /// How long relayed events are kept in the outbox for audit and replay.
    pub retention_days: u32,
}

/// Where text messages and emails go. Without a provider, development notes in the
/// log that a message was due; production refuses to start.
#[derive(Debug, Clone, Deserialize)]
pub struct NotifySettings {
    #[serde(default)]
    pub unifonic: Option<UnifonicSettings>,
    #[serde(default)]
    pub sendgrid: Option<SendGridSettings>,
    /// How long a provider may take to answer.
    pub timeout_ms: u64,
}

/// Unifonic's SMS API.
#[derive(Debug, Clone, Deserialize)]
pub struct UnifonicSettings {
    pub base_url: String,
    /// The application's credential, sent as `AppSid`.
    pub app_sid: SecretString,
    /// The registered sender name recipients see.
    pub sender_id: String,
}

/// SendGrid's v3 mail API.
#[derive(Debug, Clone, Deserialize)]
pub struct SendGridSettings {
    pub base_url: String,
    pub api_key: SecretString,
    /// The sender's address.
    pub from: String,
    #[serde(default = "default_from_name")]
    pub from_name: String,
}

fn default_from_name() -> String {
    "CargoParts كارقو بارتس".into()
}

/// The VAT number of the built-in settings: valid in form, registered to nobody.
pub const DEVELOPMENT_VAT_NUMBER: &str = "300000000000003";

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    /// Primary: every write and every read that must see the latest write.
    pub url: SecretString,
    /// Optional read replica for read-only public queries.
    pub read_url: Option<SecretString>,
    pub max_connections: u32,
    pub min_connections: u32,
    pub acquire_timeout_ms: u64,
    /// Per-statement limit for the API's connections; the import command sets its own.
    pub statement_timeout_ms: u64,
    pub idle_in_transaction_timeout_ms: u64,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct RedisSettings {
    /// Without it the service runs as a single node with in-process equivalents.
    pub url: Option<SecretString>,
    /// Prepended to every key, so deployments (and tests) sharing one Redis never collide.
    #[serde(default)]
    pub key_prefix: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct HttpSettings {
    pub bind: SocketAddr,
    pub request_timeout_ms: u64,
    /// Body limit of ordinary JSON endpoints.
    pub body_limit_bytes: usize,
    /// Body limit of the inventory sync endpoint, which takes thousands of records.
    pub inventory_body_limit_bytes: usize,
    /// Origins allowed by CORS; empty allows none, `*` allows any.
    pub cors_origins: Vec<String>,
    /// Networks (CIDR) of the reverse proxies whose `X-Forwarded-For` is believed; the
    /// client address of anyone else's request is the socket's peer.
    #[serde(default)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// How long a client may take to send a request's line and headers, counted from its
    /// first byte; a connection that has not finished by then is closed.
    pub header_read_timeout_ms: u64,
    /// How long a connection may sit with no request in flight and nothing sent before
    /// it is closed. Keep it above the load balancer's idle timeout.
    pub keep_alive_idle_secs: u64,
    /// Connections served at once; past it, new ones wait in the kernel's accept queue.
    /// Clipped at start-up to what the open-file limit leaves room for.
    pub max_connections: usize,
}

/// Where the Prometheus metrics are served, and to whom.
///
/// With `bind` set they are served only there (not on the public address); with `token`
/// set every scrape must bring it as a bearer token. With neither, development serves
/// them on the public address and production does not serve them at all.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MetricsSettings {
    /// A separate listen address for `/metrics`, e.g. `0.0.0.0:9100` inside a pod.
    pub bind: Option<SocketAddr>,
    /// A bearer token every scrape must present (at least 16 characters).
    pub token: Option<SecretString>,
}

/// Abuse control.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct SecuritySettings {
    /// Every replica reloads the blocked networks this often, besides on each change.
    pub blocklist_refresh_secs: u64,
}

impl Default for SecuritySettings {
    fn default() -> SecuritySettings {
        SecuritySettings { blocklist_refresh_secs: 10 }
    }
}

/// Error reports to Sentry: off unless a DSN is given (`SENTRY_DSN`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SentrySettings {
    /// The project's DSN, `https://<key>@<host>/<project>`.
    pub dsn: Option<SecretString>,
    /// The environment events are filed under (`SENTRY_ENVIRONMENT`); by default
    /// `production` or `development`, as `CARGOPARTS_ENV` says.
    pub environment: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SearchSettings {
    /// Root of the index generations (`CURRENT` names the live one).
    pub index_dir: PathBuf,
    /// A replica reports ready only while its oldest unapplied change is younger than this.
    pub ready_max_lag_secs: f64,
    /// Change-stream rows older than this are pruned; an index that had not read them
    /// rebuilds itself.
    pub outbox_retention_secs: u64,
    /// How often a server prunes the change stream.
    pub outbox_prune_interval_secs: u64,
    /// Searches that may wait for a turn while all running slots are taken; one more is
    /// refused (503 with `Retry-After`).
    pub queue_capacity: usize,
    /// Longest a search waits for a turn before it is refused (503 with `Retry-After`).
    pub queue_max_wait_ms: u64,
    /// The Lindera IPADIC dictionary `cargoparts setup-dictionaries` builds; without it
    /// Japanese text is searchable only by its part numbers, Latin words and the
    /// vocabulary's Japanese names.
    pub japanese_dictionary: PathBuf,
}

impl SearchSettings {
    pub fn outbox_retention(&self) -> Duration {
        Duration::from_secs(self.outbox_retention_secs)
    }

    pub fn outbox_prune_interval(&self) -> Duration {
        Duration::from_secs(self.outbox_prune_interval_secs.max(1))
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    /// `pretty` for people, `json` for log collectors.
    pub format: LogFormat,
    /// An `EnvFilter` directive, e.g. `info,cargoparts=debug`.
    pub filter: String,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Accounts, tokens and the keys protecting them.
///
/// Keys are given by id so they can rotate: `CARGOPARTS__AUTH__JWT_KEYS__<ID>=<secret>`
/// adds one (ids arrive lowercased), `CARGOPARTS__AUTH__JWT_SIGNING_KID=<id>` picks
/// the one new tokens are signed with. With no key configured the service falls back
/// to development keys and says so loudly, unless `allow_development_keys` is false.
#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    /// `iss` of access tokens.
    pub issuer: String,
    /// `aud` of access tokens.
    pub audience: String,
    pub access_token_ttl_secs: u64,
    /// Lifetime of a refresh token; every use replaces it with a fresh one.
    pub refresh_token_ttl_secs: u64,
    /// HS256 secrets (at least 32 bytes) by key id. Keep a retired id listed until
    /// the access tokens it signed have expired.
    #[serde(default)]
    pub jwt_keys: BTreeMap<String, SecretString>,
    /// The key id new access tokens are signed with; optional when only one key is listed.
    pub jwt_signing_kid: Option<String>,
    /// AES-256-GCM keys (base64 of 32 bytes) by key id, for personal data at rest.
    /// Keep a retired id listed until no stored value is sealed with it.
    #[serde(default)]
    pub encryption_keys: BTreeMap<String, SecretString>,
    /// The key id new values are sealed with; optional when only one key is listed.
    pub encryption_key_id: Option<String>,
    /// Key of the HMAC-SHA256 lookup hashes (phone numbers, one-time codes), at least
    /// 32 bytes. Changing it orphans every stored hash.
    pub hmac_key: Option<SecretString>,
    /// Whether to start with the built-in development keys when none are configured.
    /// Production sets this to false so that a missing key stops the service.
    pub allow_development_keys: bool,
    /// How long a login's second-factor challenge stays open.
    pub mfa_challenge_ttl_secs: u64,
    /// Issuer shown in authenticator apps.
    pub totp_issuer: String,
    /// How long an SMS login code is valid.
    pub otp_ttl_secs: u64,
    /// Codes sent to one phone number per hour.
    pub otp_max_per_hour: u32,
    /// Wrong guesses a code or a second-factor challenge survives.
    pub max_code_attempts: u32,
    /// The page a password-reset email links to; the link adds `?token=…`. The
    /// service serves one at `/reset-password`; a separate storefront may name its own.
    pub password_reset_url: String,
    /// How long an emailed reset link works.
    pub password_reset_link_ttl_secs: u64,
    /// How long an SMS reset code works.
    pub password_reset_code_ttl_secs: u64,
    /// Resets sent to one account per hour; more requests are answered alike but send nothing.
    pub password_reset_max_per_hour: u32,
    /// The page an email-verification message links to; the link adds `?token=…`.
    pub email_verification_url: String,
    /// How long an emailed verification link works.
    pub verification_link_ttl_secs: u64,
    /// How long an SMS verification code works.
    pub verification_code_ttl_secs: u64,
    /// Verification messages sent to one account per hour on each channel.
    pub verification_max_per_hour: u32,
}

/// Request budgets per route class; a `limit` of 0 turns a class off.
#[derive(Debug, Clone, Deserialize)]
pub struct RateLimitSettings {
    /// Credential endpoints (register, login, codes), per client address and per account.
    pub auth: RateLimitRule,
    /// Everything else under `/api/v1`, per client address.
    pub public: RateLimitRule,
    /// The sellers' sync API, per API key.
    pub seller_sync: RateLimitRule,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
pub struct RateLimitRule {
    pub limit: u32,
    pub window_secs: u64,
}

const DEFAULTS: &str = r#"
env = "development"

[database]
url = "postgres://postgres@127.0.0.1:5432/cargoparts"
max_connections = 16
min_connections = 1
acquire_timeout_ms = 5000
statement_timeout_ms = 30000
idle_in_transaction_timeout_ms = 60000

[http]
bind = "127.0.0.1:8080"
request_timeout_ms = 30000
body_limit_bytes = 1048576
inventory_body_limit_bytes = 33554432
cors_origins = []
trusted_proxies = []
header_read_timeout_ms = 10000
keep_alive_idle_secs = 75
max_connections = 10000

[redis]
key_prefix = "cargoparts:"

[search]
index_dir = "./index-data"
ready_max_lag_secs = 30.0
outbox_retention_secs = 604800
outbox_prune_interval_secs = 300
queue_capacity = 1000
queue_max_wait_ms = 2000
japanese_dictionary = "./dictionaries/ipadic"

[log]
format = "pretty"
filter = "info"

[auth]
issuer = "cargoparts"
audience = "cargoparts-api"
access_token_ttl_secs = 900
refresh_token_ttl_secs = 2592000
allow_development_keys = true
mfa_challenge_ttl_secs = 300
totp_issuer = "CargoParts"
otp_ttl_secs = 300
otp_max_per_hour = 5
max_code_attempts = 5
password_reset_url = "http://127.0.0.1:8080/reset-password"
password_reset_link_ttl_secs = 1800
password_reset_code_ttl_secs = 600
password_reset_max_per_hour = 3
email_verification_url = "http://127.0.0.1:8080/verify-email"
verification_link_ttl_secs = 86400
verification_code_ttl_secs = 600
verification_max_per_hour = 5

[orders]
reservation_ttl_secs = 900
expiry_sweep_interval_secs = 5
max_lines = 50
max_quantity = 1000

[marketplace]
legal_name = "CargoParts"
vat_number = "300000000000003"

[payments]
public_url = "http://127.0.0.1:8080"
provider_timeout_ms = 15000
poll_interval_secs = 5
poll_initial_delay_secs = 20
poll_max_delay_secs = 300

[jobs]
concurrency = 4
poll_interval_ms = 1000
lease_secs = 60
max_attempts = 8
backoff_base_ms = 2000
backoff_max_secs = 900
keep_succeeded = 100
keep_dead = 500
housekeeping_interval_secs = 30
shutdown_grace_secs = 20

[notify]
timeout_ms = 10000

[media]
dir = "./media-data"
public_url = "http://127.0.0.1:8080/media"
max_upload_bytes = 10485760
max_photos_per_listing = 10

[cache]
local_capacity = 50000
local_ttl_secs = 60
shared_ttl_secs = 600

[events]
relay_interval_ms = 250
relay_batch = 500
retention_days = 365

[kyc]
dir = "./documents-data"

[privacy]
export_inline_max_orders = 200
export_days = 7

[retention]
interval_secs = 3600
refresh_tokens_days = 7
ended_sessions_days = 90
one_time_codes_days = 1
message_log_days = 365
audit_days = 730

[rate_limit]
auth = { limit = 5, window_secs = 900 }
public = { limit = 1200, window_secs = 60 }
seller_sync = { limit = 600, window_secs = 60 }
"#;

impl Settings {
    /// Reads the settings from the defaults, `CARGOPARTS_CONFIG` (a TOML file) if set,
    /// and the environment.
    pub fn load() -> anyhow::Result<Settings> {
        let file = std::env::var("CARGOPARTS_CONFIG").ok();
        Settings::load_from(file.as_deref(), |name| std::env::var(name).ok())
    }

    /// Reads the settings with an explicit file and environment, for tests.
    pub fn load_from(file: Option<&str>, env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Settings> {
        use config::{Config, Environment, File, FileFormat};
        let mut builder = Config::builder().add_source(File::from_str(DEFAULTS, FileFormat::Toml));
        if let Some(path) = file {
            builder = builder.add_source(File::with_name(path).format(FileFormat::Toml));
        }
        builder = builder.add_source(
            Environment::with_prefix("CARGOPARTS")
                .prefix_separator("__")
                .separator("__")
                .list_separator(",")
                .with_list_parse_key("http.cors_origins")
                .with_list_parse_key("http.trusted_proxies")
                .try_parsing(true),
        );
        let overrides = [
            ("env", "CARGOPARTS_ENV"),
            ("database.url", "DATABASE_URL"),
            ("database.read_url", "DATABASE_READ_URL"),
            ("redis.url", "REDIS_URL"),
            ("http.bind", "CARGOPARTS_BIND"),
            ("search.index_dir", "CARGOPARTS_INDEX_DIR"),
            ("search.japanese_dictionary", "CARGOPARTS_JAPANESE_DICTIONARY"),
            ("log.format", "CARGOPARTS_LOG_FORMAT"),
            ("log.filter", "RUST_LOG"),
            ("sentry.dsn", "SENTRY_DSN"),
            ("sentry.environment", "SENTRY_ENVIRONMENT"),
        ];
        for (key, var) in overrides {
            if let Some(value) = env(var).filter(|v| !v.trim().is_empty()) {
                builder = builder.set_override(key, value)?;
            }
        }
        let settings: Settings =
            builder.build().context("reading settings")?.try_deserialize().context("invalid settings")?;
        settings.check()?;
        Ok(settings)
    }

    fn check(&self) -> anyhow::Result<()> {
        anyhow::ensure!(self.database.max_connections >= 2, "database.max_connections must be at least 2");
        anyhow::ensure!(
            self.database.min_connections <= self.database.max_connections,
            "database.min_connections must not exceed database.max_connections"
        );
        for (class, rule) in [
            ("auth", self.rate_limit.auth),
            ("public", self.rate_limit.public),
            ("seller_sync", self.rate_limit.seller_sync),
        ] {
            anyhow::ensure!(rule.window_secs > 0, "rate_limit.{class}.window_secs must be positive");
        }
        anyhow::ensure!(
            self.auth.access_token_ttl_secs > 0 && self.auth.refresh_token_ttl_secs > 0,
            "auth token lifetimes must be positive"
        );
        anyhow::ensure!(
            self.search.ready_max_lag_secs.is_finite() && self.search.ready_max_lag_secs > 0.0,
            "search.ready_max_lag_secs must be positive"
        );
        anyhow::ensure!(self.search.outbox_retention_secs >= 60, "search.outbox_retention_secs must be at least 60");
        anyhow::ensure!(self.http.header_read_timeout_ms > 0, "http.header_read_timeout_ms must be positive");
        anyhow::ensure!(self.http.keep_alive_idle_secs > 0, "http.keep_alive_idle_secs must be positive");
        anyhow::ensure!(self.http.max_connections > 0, "http.max_connections must be positive");
        anyhow::ensure!(self.orders.reservation_ttl_secs > 0, "orders.reservation_ttl_secs must be positive");
        anyhow::ensure!(
            self.orders.expiry_sweep_interval_secs > 0,
            "orders.expiry_sweep_interval_secs must be positive"
        );
        anyhow::ensure!(self.orders.max_lines > 0 && self.orders.max_quantity > 0, "orders limits must be positive");
        anyhow::ensure!(
            super::money::is_saudi_vat_number(&self.marketplace.vat_number),
            "marketplace.vat_number must be 15 digits, beginning and ending with 3"
        );
        self.check_payments()?;
        self.check_account_links()?;
        self.check_jobs_and_notify()?;
        if let Some(token) = &self.metrics.token {
            anyhow::ensure!(token.expose_secret().len() >= 16, "metrics.token must be at least 16 characters");
        }
        for url in [Some(&self.database.url), self.database.read_url.as_ref()].into_iter().flatten() {
            let parsed = url::Url::parse(url.expose_secret()).context("database url is not a URL")?;
            anyhow::ensure!(
                matches!(parsed.scheme(), "postgres" | "postgresql"),
                "database url must start with postgres://"
            );
        }
        Ok(())
    }

    /// Refuses, in production, settings only fit for development (the keys are checked
    /// by the auth module).
    pub fn check_production(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            !(self.env.is_production() && self.marketplace.vat_number == DEVELOPMENT_VAT_NUMBER),
            "production invoices need the marketplace's own VAT number: set CARGOPARTS__MARKETPLACE__VAT_NUMBER"
        );
        if self.env.is_production() {
            anyhow::ensure!(
                !self.payments.sandbox_enabled(self.env),
                "production takes no sandbox payments: unset CARGOPARTS__PAYMENTS__SANDBOX"
            );
            anyhow::ensure!(
                self.payments.hyperpay.is_some() || self.payments.tap.is_some(),
                "production needs a payment provider: configure CARGOPARTS__PAYMENTS__HYPERPAY__* or CARGOPARTS__PAYMENTS__TAP__*"
            );
            anyhow::ensure!(
                self.payments.public_url.starts_with("https://"),
                "production needs CARGOPARTS__PAYMENTS__PUBLIC_URL with https://"
            );
            anyhow::ensure!(
                self.auth.password_reset_url.starts_with("https://"),
                "production emails reset links to an https:// page: set CARGOPARTS__AUTH__PASSWORD_RESET_URL"
            );
            anyhow::ensure!(
                self.auth.email_verification_url.starts_with("https://"),
                "production emails verification links to an https:// page: set CARGOPARTS__AUTH__EMAIL_VERIFICATION_URL"
            );
            anyhow::ensure!(
                self.notify.unifonic.is_some(),
                "production sends text messages: configure CARGOPARTS__NOTIFY__UNIFONIC__{{BASE_URL,APP_SID,SENDER_ID}}"
            );
            anyhow::ensure!(
                self.notify.sendgrid.is_some(),
                "production sends email: configure CARGOPARTS__NOTIFY__SENDGRID__{{BASE_URL,API_KEY,FROM}}"
            );
        }
        Ok(())
    }

    fn check_account_links(&self) -> anyhow::Result<()> {
        let auth = &self.auth;
        for (name, url) in
            [("password_reset_url", &auth.password_reset_url), ("email_verification_url", &auth.email_verification_url)]
        {
            let page = url::Url::parse(url).with_context(|| format!("auth.{name} is not a URL"))?;
            anyhow::ensure!(
                matches!(page.scheme(), "http" | "https") && page.query().is_none() && page.fragment().is_none(),
                "auth.{name} must be an http:// or https:// page without a query: the link adds ?token=…"
            );
        }
        anyhow::ensure!(
            [
                auth.password_reset_link_ttl_secs,
                auth.password_reset_code_ttl_secs,
                auth.verification_link_ttl_secs,
                auth.verification_code_ttl_secs
            ]
            .iter()
            .all(|&secs| secs > 0),
            "the lifetimes of reset and verification links and codes must be positive"
        );
        Ok(())
    }

    fn check_payments(&self) -> anyhow::Result<()> {
        let payments = &self.payments;
        let public = url::Url::parse(&payments.public_url).context("payments.public_url is not a URL")?;
        anyhow::ensure!(
            matches!(public.scheme(), "http" | "https"),
            "payments.public_url must start with http:// or https://"
        );
        if let Some(fallback) = &payments.fallback {
            anyhow::ensure!(
                matches!(fallback.as_str(), "hyperpay" | "tap"),
                "payments.fallback must be hyperpay or tap"
            );
        }
        anyhow::ensure!(payments.provider_timeout_ms > 0, "payments.provider_timeout_ms must be positive");
        anyhow::ensure!(
            payments.poll_interval_secs > 0 && payments.poll_initial_delay_secs > 0,
            "payments polling intervals must be positive"
        );
        if let Some(hyperpay) = &payments.hyperpay {
            url::Url::parse(&hyperpay.base_url).context("payments.hyperpay.base_url is not a URL")?;
            let key = hyperpay.webhook_key.expose_secret();
            anyhow::ensure!(
                key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit()),
                "payments.hyperpay.webhook_key must be 64 hex characters"
            );
        }
        if let Some(tap) = &payments.tap {
            url::Url::parse(&tap.base_url).context("payments.tap.base_url is not a URL")?;
        }
        Ok(())
    }

    fn check_jobs_and_notify(&self) -> anyhow::Result<()> {
        let jobs = &self.jobs;
        anyhow::ensure!(jobs.poll_interval_ms > 0, "jobs.poll_interval_ms must be positive");
        anyhow::ensure!(jobs.lease_secs > 0, "jobs.lease_secs must be positive");
        anyhow::ensure!(jobs.max_attempts > 0, "jobs.max_attempts must be positive");
        anyhow::ensure!(jobs.housekeeping_interval_secs > 0, "jobs.housekeeping_interval_secs must be positive");
        anyhow::ensure!(self.events.relay_interval_ms > 0, "events.relay_interval_ms must be positive");
        anyhow::ensure!(self.events.relay_batch > 0, "events.relay_batch must be positive");
        anyhow::ensure!(self.notify.timeout_ms > 0, "notify.timeout_ms must be positive");
        url::Url::parse(&self.media.public_url).context("media.public_url is not a URL")?;
        anyhow::ensure!(self.media.max_upload_bytes > 0, "media.max_upload_bytes must be positive");
        if let Some(s3) = &self.media.s3 {
            anyhow::ensure!(!s3.bucket.trim().is_empty(), "media.s3.bucket must not be empty");
            if let Some(endpoint) = &s3.endpoint {
                url::Url::parse(endpoint).context("media.s3.endpoint is not a URL")?;
            }
        }
        anyhow::ensure!(
            self.cache.local_ttl_secs > 0 && self.cache.shared_ttl_secs > 0,
            "cache time-to-live settings must be positive"
        );
        if let Some(unifonic) = &self.notify.unifonic {
            url::Url::parse(&unifonic.base_url).context("notify.unifonic.base_url is not a URL")?;
            anyhow::ensure!(!unifonic.sender_id.trim().is_empty(), "notify.unifonic.sender_id must not be empty");
        }
        if let Some(sendgrid) = &self.notify.sendgrid {
            url::Url::parse(&sendgrid.base_url).context("notify.sendgrid.base_url is not a URL")?;
            anyhow::ensure!(
                validator::ValidateEmail::validate_email(&sendgrid.from),
                "notify.sendgrid.from must be an email address"
            );
        }
        Ok(())
    }

    pub fn reservation_ttl(&self) -> chrono::Duration {
        chrono::Duration::seconds(self.orders.reservation_ttl_secs.min(i64::MAX as u64) as i64)
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.http.request_timeout_ms)
    }

    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_millis(self.http.header_read_timeout_ms)
    }

    pub fn keep_alive_idle(&self) -> Duration {
        Duration::from_secs(self.http.keep_alive_idle_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }

    #[test]
    fn defaults_describe_a_local_single_node() {
        let settings = Settings::load_from(None, env_of(&[])).unwrap();
        assert_eq!(settings.http.bind.to_string(), "127.0.0.1:8080");
        assert!(settings.redis.url.is_none());
        assert_eq!(settings.search.index_dir, PathBuf::from("./index-data"));
        assert!(settings.database.url.expose_secret().ends_with("/cargoparts"));
    }

    /// Settings from a TOML file with `text`, and `env` for the operator's names.
    fn from_file(text: &str, env: &'static [(&'static str, &'static str)]) -> anyhow::Result<Settings> {
        let file = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
        std::fs::write(file.path(), text).unwrap();
        Settings::load_from(Some(file.path().to_str().unwrap()), env_of(env))
    }

    const PROVIDERS: &str = r#"
        [marketplace]
        legal_name = "CargoParts"
        vat_number = "310122393500003"
        [auth]
        password_reset_url = "https://cargoparts.example/reset-password"
        email_verification_url = "https://cargoparts.example/verify-email"
        [payments]
        public_url = "https://cargoparts.example"
        fallback = "tap"
        [payments.hyperpay]
        base_url = "https://eu-prod.oppwa.com"
        access_token = "OGE4Mjk0MTc0"
        entity_id_card = "8ac7a4c9-card"
        entity_id_mada = "8ac7a4c9-mada"
        webhook_key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
        [payments.tap]
        base_url = "https://api.tap.company/v2/"
        secret_key = "sk_live_0123456789"
        [notify.unifonic]
        base_url = "https://el.cloud.unifonic.com/"
        app_sid = "app-sid-0123456789"
        sender_id = "CargoParts"
        [notify.sendgrid]
        base_url = "https://api.sendgrid.com/"
        api_key = "SG.0123456789"
        from = "orders@cargoparts.example"
    "#;

    #[test]
    fn payment_providers_are_configured_and_production_takes_no_sandbox() {
        let development = Settings::load_from(None, env_of(&[])).unwrap();
        assert!(development.payments.sandbox_enabled(development.env), "development pays with the sandbox");
        assert!(development.payments.hyperpay.is_none() && development.payments.tap.is_none());

        let configured = from_file(PROVIDERS, &[("CARGOPARTS_ENV", "production")]).unwrap();
        let hyperpay = configured.payments.hyperpay.as_ref().unwrap();
        assert_eq!(hyperpay.entity_id_mada, "8ac7a4c9-mada");
        assert_eq!(configured.payments.fallback.as_deref(), Some("tap"));
        assert!(!configured.payments.sandbox_enabled(configured.env), "production has no sandbox by default");
        assert!(!format!("{configured:?}").contains("sk_live_0123456789"), "secrets stay out of debug output");
        configured.check_production().unwrap();

        let mut with_sandbox = configured.clone();
        with_sandbox.payments.sandbox = Some(true);
        let refused = with_sandbox.check_production().unwrap_err().to_string();
        assert!(refused.contains("sandbox"), "{refused}");
        let mut without_providers = configured.clone();
        (without_providers.payments.hyperpay, without_providers.payments.tap) = (None, None);
        assert!(without_providers.check_production().is_err());
        let mut plain_http = configured.clone();
        plain_http.payments.public_url = "http://cargoparts.example".into();
        assert!(plain_http.check_production().is_err());
        let mut plain_reset_link = configured.clone();
        plain_reset_link.auth.password_reset_url = "http://cargoparts.example/reset-password".into();
        let refused = plain_reset_link.check_production().unwrap_err().to_string();
        assert!(refused.contains("CARGOPARTS__AUTH__PASSWORD_RESET_URL"), "{refused}");

        assert!(!format!("{configured:?}").contains("app-sid-0123456789"), "the SMS credential stays out too");
        let mut without_sms = configured.clone();
        without_sms.notify.unifonic = None;
        let refused = without_sms.check_production().unwrap_err().to_string();
        assert!(refused.contains("CARGOPARTS__NOTIFY__UNIFONIC__"), "{refused}");
        let mut without_email = configured.clone();
        without_email.notify.sendgrid = None;
        assert!(without_email.check_production().unwrap_err().to_string().contains("SENDGRID"));
        assert!(from_file(&PROVIDERS.replace("orders@cargoparts.example", "not an address"), &[]).is_err());

        let short_key = PROVIDERS.replace("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", "abc");
        assert!(from_file(&short_key, &[]).is_err(), "a webhook key must be 64 hex characters");
        assert!(from_file(&PROVIDERS.replace(r#"fallback = "tap""#, r#"fallback = "paypal""#), &[]).is_err());
    }

    #[test]
    fn the_operator_environment_names_override_the_defaults() {
        let settings = Settings::load_from(
            None,
            env_of(&[
                ("DATABASE_URL", "postgres://app@db:5432/shop"),
                ("REDIS_URL", "redis://cache:6379"),
                ("CARGOPARTS_BIND", "0.0.0.0:9000"),
                ("CARGOPARTS_INDEX_DIR", "/var/lib/cargoparts/index"),
            ]),
        )
        .unwrap();
        assert_eq!(settings.database.url.expose_secret(), "postgres://app@db:5432/shop");
        assert_eq!(settings.redis.url.unwrap().expose_secret(), "redis://cache:6379");
        assert_eq!(settings.http.bind.port(), 9000);
        assert_eq!(settings.search.index_dir, PathBuf::from("/var/lib/cargoparts/index"));
    }

    #[test]
    fn a_non_postgres_url_is_refused() {
        let err = Settings::load_from(None, env_of(&[("DATABASE_URL", "mysql://x@y/z")])).unwrap_err();
        assert!(err.to_string().contains("postgres://"), "{err}");
    }

    #[test]
    fn auth_and_rate_limit_defaults_start_a_fresh_machine() {
        let settings = Settings::load_from(None, env_of(&[])).unwrap();
        assert_eq!(settings.auth.access_token_ttl_secs, 900);
        assert!(settings.auth.jwt_keys.is_empty() && settings.auth.allow_development_keys);
        assert_eq!(settings.rate_limit.auth, RateLimitRule { limit: 5, window_secs: 900 });
        assert_eq!(settings.redis.key_prefix, "cargoparts:");
        assert!(settings.http.trusted_proxies.is_empty());
    }

    #[test]
    fn trusted_proxies_and_budgets_come_from_the_settings_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cargoparts.toml");
        std::fs::write(
            &path,
            "[http]\ntrusted_proxies = [\"10.0.0.0/8\", \"fd00::/8\"]\n\
             [rate_limit.public]\nlimit = 0\nwindow_secs = 60\n",
        )
        .unwrap();
        let settings = Settings::load_from(path.to_str(), env_of(&[])).unwrap();
        assert_eq!(settings.http.trusted_proxies.len(), 2);
        assert_eq!(settings.rate_limit.public.limit, 0);
        std::fs::write(&path, "[rate_limit.auth]\nlimit = 5\nwindow_secs = 0\n").unwrap();
        let err = Settings::load_from(path.to_str(), env_of(&[])).unwrap_err();
        assert!(err.to_string().contains("window_secs"), "{err}");
    }

    #[test]
    fn connection_limits_and_the_metrics_listener_come_from_the_settings_file() {
        let settings = Settings::load_from(None, env_of(&[])).unwrap();
        assert_eq!(settings.http.header_read_timeout_ms, 10_000);
        assert_eq!(settings.http.max_connections, 10_000);
        assert!(settings.metrics.bind.is_none() && settings.metrics.token.is_none());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cargoparts.toml");
        std::fs::write(
            &path,
            "[http]\nmax_connections = 2048\n[metrics]\nbind = \"0.0.0.0:9100\"\ntoken = \"a-scrape-token-of-some-length\"\n",
        )
        .unwrap();
        let settings = Settings::load_from(path.to_str(), env_of(&[])).unwrap();
        assert_eq!(settings.metrics.bind.unwrap().port(), 9100);
        assert_eq!(settings.metrics.token.unwrap().expose_secret(), "a-scrape-token-of-some-length");
        assert_eq!(settings.http.max_connections, 2048);
        std::fs::write(&path, "[metrics]\ntoken = \"short\"\n").unwrap();
        let err = Settings::load_from(path.to_str(), env_of(&[])).unwrap_err();
        assert!(err.to_string().contains("metrics.token"), "{err}");
    }

    #[test]
    fn secrets_do_not_appear_in_debug_output() {
        let settings = Settings::load_from(None, env_of(&[("DATABASE_URL", "postgres://app:s3cret@db/shop")])).unwrap();
        assert!(!format!("{settings:?}").contains("s3cret"));
    }
}
