//! Test harness: each test gets its own database, cloned from a migrated template,
//! and its own server on a free port.

use std::sync::OnceLock;

use cargoparts::app::Application;
use cargoparts::catalog::api_keys;
use cargoparts::platform::config::Settings;
use secrecy::SecretString;
use sha2::{Digest, Sha256};
use sqlx::{Connection, Executor, PgConnection, PgPool};
use uuid::Uuid;

/// The PostgreSQL server tests use, without a database name.
pub fn server_url() -> String {
    std::env::var("CARGOPARTS_TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

pub fn redis_url() -> String {
    std::env::var("CARGOPARTS_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// The template's name changes with the migrations, so an edited migration never
/// meets a stale template.
fn template_name() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        let mut hasher = Sha256::new();
        for migration in cargoparts::platform::db::MIGRATOR.iter() {
            hasher.update(migration.version.to_le_bytes());
            hasher.update(&*migration.checksum);
        }
        format!("cargoparts_tpl_{}", &hex::encode(hasher.finalize())[..16])
    })
}

async fn maintenance() -> PgConnection {
    PgConnection::connect(&format!("{}/postgres", server_url())).await.expect("PostgreSQL is running")
}

/// Creates the migrated template once per server, whichever test process gets there first.
async fn ensure_template() {
    let name = template_name();
    let mut conn = maintenance().await;
    conn.execute("SELECT pg_advisory_lock(727274)").await.unwrap();
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(name)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    if !exists {
        // Built under a temporary name and renamed when complete, so a crash
        // mid-migration never leaves a half-built template behind.
        let wip = format!("{name}_wip");
        conn.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {wip} WITH (FORCE)"))).await.unwrap();
        conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {wip}"))).await.unwrap();
        let pool = PgPool::connect(&format!("{}/{wip}", server_url())).await.unwrap();
        cargoparts::platform::db::migrate(&pool).await.unwrap();
        pool.close().await;
        conn.execute(sqlx::AssertSqlSafe(format!("ALTER DATABASE {wip} RENAME TO {name}"))).await.unwrap();
    }
    conn.execute("SELECT pg_advisory_unlock(727274)").await.unwrap();
}

/// A fresh, migrated database for one test.
pub async fn fresh_database() -> String {
    ensure_template().await;
    let name = format!("cargoparts_test_{}", Uuid::new_v4().simple());
    let mut conn = maintenance().await;
    conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name} TEMPLATE {}", template_name()))).await.unwrap();
    name
}

pub fn drop_database(name: String) {
    // Drop runs outside any runtime; a short-lived one does the async work.
    let _ = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let mut conn = maintenance().await;
            let _ = conn.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).await;
        });
    })
    .join();
}

/// A running server on its own database.
pub struct TestApp {
    pub address: String,
    /// The search index directory, removed with the app.
    _index_dir: tempfile::TempDir,
    /// The stored photos, removed with the app.
    media_dir: tempfile::TempDir,
    documents_dir: tempfile::TempDir,
    pub db: PgPool,
    pub db_name: String,
    pub client: reqwest::Client,
    /// `http://127.0.0.1:port` of the metrics listener, when `metrics.bind` is set.
    pub metrics_address: Option<String>,
    /// The app's end of the event bus replicas share.
    pub events: cargoparts::platform::events::EventBus,
    /// False for a replica, which shares the database of the app it was started from.
    owns_database: bool,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if self.owns_database {
            drop_database(std::mem::take(&mut self.db_name));
        }
    }
}

/// Settings for a test: its database, a free port, no Redis.
pub fn test_settings(db_name: &str) -> Settings {
    let mut settings = Settings::load_from(None, |_| None).unwrap();
    settings.database.url = SecretString::from(format!("{}/{db_name}", server_url()));
    settings.database.max_connections = 8;
    settings.http.bind = "127.0.0.1:0".parse().unwrap();
    // Tests share one Redis; their own prefix keeps counters and revocations apart.
    settings.redis.key_prefix = format!("{db_name}:");
    settings
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts a server after `adjust` has changed its settings.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_prepared_app(adjust, |_| {}).await
}

/// Starts a server after `adjust` has changed its settings and `prepare` the built
/// application (to swap in a test clock, say).
pub async fn spawn_prepared_app(adjust: impl FnOnce(&mut Settings), prepare: impl FnOnce(&mut Application)) -> TestApp {
    let db_name = fresh_database().await;
    start_app(db_name, true, adjust, prepare).await
}

async fn start_app(
    db_name: String,
    owns_database: bool,
    adjust: impl FnOnce(&mut Settings),
    prepare: impl FnOnce(&mut Application),
) -> TestApp {
    let index_dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(&db_name);
    settings.search.index_dir = index_dir.path().to_path_buf();
    let media_dir = tempfile::tempdir().unwrap();
    settings.media.dir = media_dir.path().to_path_buf();
    let documents_dir = tempfile::tempdir().unwrap();
    settings.kyc.dir = documents_dir.path().to_path_buf();
    adjust(&mut settings);
    let mut application = Application::build(settings).await.expect("the application starts");
    prepare(&mut application);
    let address = format!("http://127.0.0.1:{}", application.port());
    let metrics_address = application.metrics_port().map(|port| format!("http://127.0.0.1:{port}"));
    let db = application.state().db.0.clone();
    let events = application.state().events.clone();
    tokio::spawn(application.run_until(std::future::pending()));
    // No Accept-Language: the tests are answered as most shoppers are, in Arabic.
    let client = reqwest::Client::builder().no_gzip().build().unwrap();
    TestApp {
        address,
        _index_dir: index_dir,
        media_dir,
        documents_dir,
        db,
        db_name,
        client,
        metrics_address,
        events,
        owns_database,
    }
}

impl TestApp {
    /// Another server on this app's database with its own index directory, as a
    /// second replica behind a load balancer would be.
    pub async fn spawn_replica(&self) -> TestApp {
        self.spawn_replica_with(|_| {}).await
    }

    /// A replica whose settings `adjust` changed (another environment, other keys).
    pub async fn spawn_replica_with(&self, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        start_app(self.db_name.clone(), false, adjust, |_| {}).await
    }

    /// The server's readiness answer.
    pub async fn ready(&self) -> serde_json::Value {
        self.client.get(self.url("/api/ready")).send().await.unwrap().json().await.unwrap()
    }

    /// The server's search index directory.
    /// The local directory photos go to when no bucket is configured.
    pub fn documents_dir(&self) -> &std::path::Path {
        self.documents_dir.path()
    }

    pub fn media_dir(&self) -> &std::path::Path {
        self.media_dir.path()
    }

    pub fn index_dir(&self) -> &std::path::Path {
        self._index_dir.path()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Creates a seller and returns it with a fresh API key.
    pub async fn seller_with_key(&self, external_id: &str) -> (Uuid, String) {
        let id: Uuid = sqlx::query_scalar(
            "INSERT INTO sellers (external_id, name, city) VALUES ($1, $2, 'Riyadh')
             ON CONFLICT (external_id) DO UPDATE SET name = EXCLUDED.name RETURNING id",
        )
        .bind(external_id)
        .bind(format!("Seller {external_id}"))
        .fetch_one(&self.db)
        .await
        .unwrap();
        let key = api_keys::issue_key(&self.db, id, Some("test")).await.unwrap();
        (id, key.secret)
    }

    pub async fn post_inventory(
        &self,
        key: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Response {
        // The reports are compared as the code writes them; their Arabic, the default,
        // is tested in languages.rs.
        self.client
            .post(self.url("/api/v1/seller/inventory"))
            .header(reqwest::header::ACCEPT_LANGUAGE, "en")
            .bearer_auth(key)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// Waits until the search index holds every change committed so far.
    pub async fn wait_for_index(&self) {
        let wanted: i64 =
            sqlx::query_scalar("SELECT coalesce(max(seq), 0) FROM search_outbox").fetch_one(&self.db).await.unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let ready = self.ready().await;
            if ready["search"]["status"] == "ok" && ready["search"]["applied_seq"].as_i64() >= Some(wanted) {
                return;
            }
            assert!(std::time::Instant::now() < deadline, "the index did not catch up: {ready}");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Searches with the given query string and returns the body.
    pub async fn search(&self, query: &[(&str, &str)]) -> serde_json::Value {
        let response = self.client.get(self.url("/api/v1/search")).query(query).send().await.unwrap();
        assert_eq!(response.status(), 200, "{query:?}");
        response.json().await.unwrap()
    }

    pub async fn count(&self, sql: &'static str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.db).await.unwrap()
    }
}

/// A valid feed record for `sku`, as JSON.
pub fn record(sku: &str) -> serde_json::Value {
    serde_json::json!({
        "sku": sku,
        "title": "فلتر زيت تويوتا كامري 2018-2024",
        "description": "قطعة أصلية، ضمان سنة",
        "category": "oil-filter",
        "fitment": [{"make": "Toyota", "model": "Camry", "year_from": 2018, "year_to": 2024}],
        "oem_numbers": ["04152-YZZA1"],
        "brand": "Toyota Genuine",
        "condition": "new",
        "price_sar": "45.00",
        "quantity": 12,
        "city": "Riyadh",
        "photos": ["https://img.example.com/a.jpg"]
    })
}

/// Records as an NDJSON body.
pub fn ndjson(records: &[serde_json::Value]) -> String {
    records.iter().map(|r| r.to_string() + "\n").collect()
}
