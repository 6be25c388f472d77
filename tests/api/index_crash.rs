//! Crash safety: the real binary killed with SIGKILL during an import, while its
//! indexer applies batches, and during a reindex; started again, its index equals the
//! database, as `cargoparts index verify` (the operators' check) says.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use cargoparts::search::generations::IndexRoot;
use serde_json::Value;
use sqlx::PgPool;

use crate::helpers::{drop_database, fresh_database, server_url};

/// The `cargoparts` binary on a test database and index directory, quiet.
fn cargoparts(db_name: &str, index_dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cargoparts"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DATABASE_URL", format!("{}/{db_name}", server_url()))
        .env("CARGOPARTS_INDEX_DIR", index_dir)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// A `cargoparts serve` child process.
struct Server {
    child: Child,
    address: String,
    client: reqwest::Client,
}

impl Server {
    fn start(db_name: &str, index_dir: &Path) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = cargoparts(db_name, index_dir)
            .env("CARGOPARTS_BIND", format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .arg("serve")
            .spawn()
            .unwrap();
        Server { child, address: format!("http://127.0.0.1:{port}"), client: reqwest::Client::new() }
    }

    /// The readiness answer, or `None` while the server does not answer.
    async fn ready(&self) -> Option<Value> {
        let response = self.client.get(format!("{}/api/ready", self.address)).send().await.ok()?;
        response.json().await.ok()
    }

    /// Waits until the index holds every change committed so far.
    async fn wait_caught_up(&self, db: &PgPool) {
        let wanted: i64 =
            sqlx::query_scalar("SELECT coalesce(max(seq), 0) FROM search_outbox").fetch_one(db).await.unwrap();
        self.wait_until("caught up", |ready| {
            ready["search"]["status"] == "ok" && ready["search"]["applied_seq"].as_i64() >= Some(wanted)
        })
        .await;
    }

    async fn wait_until(&self, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(ready) = self.ready().await
                && check(&ready)
            {
                return ready;
            }
            assert!(Instant::now() < deadline, "the server was not {what} in time");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// SIGKILL: no shutdown hook, no final commit.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run(mut command: Command) -> Output {
    command.output().unwrap()
}

fn assert_verified(db_name: &str, index_dir: &Path) {
    let mut command = cargoparts(db_name, index_dir);
    command.args(["index", "verify"]);
    let output = run(command);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("the index equals the database"),
        "index verify: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

async fn count(db: &PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(db).await.unwrap()
}

async fn test_database() -> (String, PgPool) {
    let db_name = fresh_database().await;
    let db = PgPool::connect(&format!("{}/{db_name}", server_url())).await.unwrap();
    (db_name, db)
}

#[tokio::test]
async fn killed_during_an_import_and_while_indexing_then_restarted_the_index_equals_the_database() {
    let (db_name, db) = test_database().await;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&db_name, dir.path());
    server.wait_caught_up(&db).await;

    // A bulk import, killed part-way through a batch.
    let mut seed = cargoparts(&db_name, dir.path());
    seed.args(["seed", "--listings", "8000", "--sellers", "40", "--seed", "3"]);
    let mut seeding = seed.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while count(&db, "SELECT count(*) FROM listings").await < 2000 {
        assert!(Instant::now() < deadline, "the import made no progress");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The server dies while its indexer is applying the import's batches.
    server.wait_until("indexing", |ready| ready["search"]["applied_seq"].as_i64() > Some(0)).await;
    server.kill();
    seeding.kill().unwrap();
    seeding.wait().unwrap();
    let imported = count(&db, "SELECT count(*) FROM listings").await;
    assert!((2000..8000).contains(&imported), "the import was to be cut short, it wrote {imported}");

    // Started again, then killed again right after a burst of updates and deletes.
    let server = Server::start(&db_name, dir.path());
    server.wait_caught_up(&db).await;
    let applied = server.ready().await.unwrap()["search"]["applied_seq"].as_i64().unwrap();
    sqlx::query("UPDATE listings SET price_sar = price_sar + 1, quantity = quantity + 1 WHERE random() < 0.5")
        .execute(&db)
        .await
        .unwrap();
    sqlx::query("DELETE FROM listings WHERE id IN (SELECT id FROM listings ORDER BY id DESC LIMIT 100)")
        .execute(&db)
        .await
        .unwrap();
    server.wait_until("applying the burst", |ready| ready["search"]["applied_seq"].as_i64() > Some(applied)).await;
    server.kill();

    // The import finishes; the last start catches up with all of it.
    let mut seed = cargoparts(&db_name, dir.path());
    seed.args(["seed", "--listings", "8000", "--sellers", "40", "--seed", "3"]);
    assert!(run(seed).status.success());
    let server = Server::start(&db_name, dir.path());
    server.wait_caught_up(&db).await;
    server.kill();
    assert_verified(&db_name, dir.path());
    db.close().await;
    drop_database(db_name);
}

#[tokio::test]
async fn a_reindex_killed_midway_leaves_the_live_index_serving_and_the_next_one_is_adopted() {
    let (db_name, db) = test_database().await;
    let dir = tempfile::tempdir().unwrap();
    let mut seed = cargoparts(&db_name, dir.path());
    seed.args(["seed", "--listings", "6000", "--sellers", "30", "--seed", "4"]);
    assert!(run(seed).status.success());
    let server = Server::start(&db_name, dir.path());
    server.wait_caught_up(&db).await;
    let root = IndexRoot::new(dir.path());
    let live = root.current().unwrap().unwrap();

    // A reindex from the command line, killed while it builds its generation.
    let mut reindex = cargoparts(&db_name, dir.path());
    reindex.arg("reindex");
    let mut reindexing = reindex.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while root.stale_generations(&[]).unwrap().is_empty() {
        assert!(Instant::now() < deadline, "the reindex never started a generation");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    reindexing.kill().unwrap();
    let status = reindexing.wait().unwrap();
    assert!(!status.success(), "the reindex finished before it could be killed");
    assert_eq!(root.current().unwrap().unwrap(), live, "a killed reindex must not publish");
    let searched = server.client.get(format!("{}/api/v1/search?q=filter", server.address)).send().await.unwrap();
    assert_eq!(searched.status(), 200);

    // Changes keep coming; a second reindex is not blocked by the dead one's lock.
    sqlx::query("UPDATE listings SET price_sar = price_sar + 2 WHERE random() < 0.3").execute(&db).await.unwrap();
    let mut reindex = cargoparts(&db_name, dir.path());
    reindex.arg("reindex");
    let output = run(reindex);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("indexed"));
    let published = root.current().unwrap().unwrap();
    assert_ne!(published, live);
    let generation = published.file_name().unwrap().to_string_lossy().into_owned();
    server.wait_until("on the new generation", |ready| ready["search"]["generation"] == generation.as_str()).await;
    server.wait_caught_up(&db).await;
    // The half-built generation and the replaced one are both gone.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !root.stale_generations(&[]).unwrap().is_empty() {
        assert!(Instant::now() < deadline, "left behind: {:?}", root.stale_generations(&[]).unwrap());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // While a reindex holds the lock, another is refused with a clear message.
    let held = root.lock_reindex().unwrap();
    let mut reindex = cargoparts(&db_name, dir.path());
    reindex.arg("reindex");
    let refused = run(reindex);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("already running"), "{refused:?}");
    drop(held);

    server.kill();
    assert_verified(&db_name, dir.path());
    db.close().await;
    drop_database(db_name);
}
