//! The command line: `serve`, `migrate`, `import`, `seed`, `reindex`, `index verify`,
//! `seller create-key`, `user set-role`.

pub mod demo_catalog;

use std::fs::File;
use std::io::{self, BufReader, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use sqlx::PgPool;

use crate::app::{Application, shutdown_signal};
use crate::catalog::feed::{RejectedLine, SellerInput};
use crate::catalog::import::{self, ImportOptions, ImportReport, RawLine};
use crate::catalog::{api_keys, sellers, store};
use crate::platform::config::Settings;
use crate::platform::db;
use crate::platform::jobs::{self, JobStatus};
use crate::search::analysis::{DictionarySetup, IPADIC_SOURCES, TextAnalysis, build_dictionary};
use crate::search::generations::IndexRoot;
use crate::search::reindex::{ReindexPhase, ReindexProgress, reindex};
use crate::search::verify::verify;

/// Rejected lines printed on the terminal before the rest go only to `--rejects`.
const REJECTS_SHOWN: u64 = 20;

#[derive(Debug, Parser)]
#[command(name = "cargoparts", version, about = "CargoParts marketplace service")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP API.
    Serve {
        /// When the catalog is empty, first fill it with a demo catalog of this many listings.
        #[arg(long, value_name = "LISTINGS")]
        demo: Option<usize>,
    },
    /// Create the database if needed and apply pending migrations, each in its own
    /// transaction, then check the schema is this release's.
    Migrate {
        /// Before applying anything, dump the database here with pg_dump (custom
        /// format, for pg_restore); taken only when a migration is pending.
        #[arg(long, value_name = "DIR")]
        backup: Option<PathBuf>,
    },
    /// Import a multi-seller inventory feed (JSON Lines; `-` reads standard input).
    Import {
        file: PathBuf,
        /// Lines written per transaction.
        #[arg(long, default_value_t = 2000)]
        batch_size: usize,
        /// Transactions written at once, each on its own connection (default: the
        /// machine's cores, 2 to 4).
        #[arg(long)]
        writers: Option<usize>,
        /// Write every rejected line here as JSON Lines (line, sku, field, reason).
        #[arg(long, value_name = "FILE")]
        rejects: Option<PathBuf>,
    },
    /// Generate a realistic demo catalog in Arabic and English and import it.
    Seed {
        #[arg(long, default_value_t = 20_000)]
        listings: usize,
        #[arg(long, default_value_t = 200)]
        sellers: usize,
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
    /// Rebuild the search index into a new generation and make it the live one. A
    /// server running on the same index directory switches to it without a pause.
    Reindex,
    /// Inspect the search index.
    Index {
        #[command(subcommand)]
        command: IndexCommand,
    },
    /// Manage sellers.
    Seller {
        #[command(subcommand)]
        command: SellerCommand,
    },
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Run the event relay and a job worker without the HTTP API, for deployments that
    /// keep them apart (set `jobs.concurrency = 0` on the API replicas then).
    Worker,
    /// Inspect and retry background jobs.
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// Purge what is kept past its retention now (every server does it hourly).
    Retention,
    /// Build the Japanese dictionary (Lindera, from MeCab's IPADIC sources) into
    /// `search.japanese_dictionary`; nothing to do when one is built there already.
    SetupDictionaries {
        /// The IPADIC sources; Debian's `mecab-ipadic` package installs them here.
        #[arg(long, default_value = IPADIC_SOURCES)]
        source: PathBuf,
        /// Build again over an existing dictionary.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// The newest jobs, with their state, attempts and last error.
    List {
        /// Only jobs in this state.
        #[arg(long, value_enum)]
        status: Option<JobStatus>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Queue a dead job again, its attempts reset.
    Retry { id: i64 },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Change the role of the account with this email; administrators are appointed
    /// this way. The account's sessions end, so the new role applies at its next sign-in.
    SetRole {
        email: String,
        #[arg(value_parser = ["buyer", "seller", "admin"])]
        role: String,
        /// External id of the seller record a seller account manages.
        #[arg(long, required_if_eq("role", "seller"))]
        seller: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum IndexCommand {
    /// Compare the index with the database listing by listing; exits 1 on any difference.
    Verify,
}

#[derive(Debug, Subcommand)]
pub enum SellerCommand {
    /// Issue an API key for the seller with this external id; the key is printed once.
    CreateKey {
        external_id: String,
        /// A note telling keys apart, e.g. the system that uses it.
        #[arg(long)]
        label: Option<String>,
        /// Create the seller with this name if it does not exist yet.
        #[arg(long, requires = "city")]
        name: Option<String>,
        /// City of a seller created with --name.
        #[arg(long, requires = "name")]
        city: Option<String>,
    },
}

/// Runs a parsed command line.
pub async fn run(cli: Cli, settings: Settings) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve { demo } => serve(settings, demo).await,
        Command::Worker => crate::app::run_worker(settings).await,
        Command::Jobs { command } => {
            let pool = db::prepare(&settings.database).await?;
            match command {
                JobsCommand::List { status, limit } => {
                    let stats = jobs::stats(&pool).await?;
                    println!(
                        "queued {} · running {} · dead {} · oldest due job waiting {:.0} s",
                        stats.queued, stats.running, stats.dead, stats.oldest_due_secs
                    );
                    for job in jobs::list(&pool, status, limit.clamp(1, 1000)).await? {
                        println!(
                            "{:>8}  {:<20} {:<9} attempt {}/{}  created {}  {}",
                            job.id,
                            job.kind,
                            job.status,
                            job.attempts,
                            job.max_attempts,
                            job.created_at.format("%Y-%m-%d %H:%M:%S"),
                            job.last_error.as_deref().unwrap_or("")
                        );
                    }
                    Ok(())
                }
                JobsCommand::Retry { id } => {
                    anyhow::ensure!(jobs::retry(&pool, id).await?, "job {id} is not in the dead letters");
                    println!("job {id} is queued again");
                    Ok(())
                }
            }
        }
        Command::SetupDictionaries { source, force } => {
            let target = &settings.search.japanese_dictionary;
            let started = std::time::Instant::now();
            match build_dictionary(&source, target, force)? {
                DictionarySetup::AlreadyBuilt => println!("the Japanese dictionary is in {}", target.display()),
                DictionarySetup::Built => println!(
                    "built the Japanese dictionary from {} into {} in {:.1} s",
                    source.display(),
                    target.display(),
                    started.elapsed().as_secs_f64()
                ),
            }
            Ok(())
        }
        Command::Retention => {
            let pool = db::prepare(&settings.database).await?;
            let purged = crate::privacy::retention::purge(&pool, &settings.retention, chrono::Utc::now()).await?;
            if !purged.ran {
                println!("another process is purging right now; nothing done");
            }
            for (rule, rows) in &purged.rules {
                println!("{rows:>8}  {rule}");
            }
            Ok(())
        }
        Command::Migrate { backup } => {
            let migrated = crate::platform::migrations::run(&settings.database, backup.as_deref()).await?;
            if let Some(file) = &migrated.backup {
                println!("backup before migrating: {}", file.display());
            }
            match migrated.applied.as_slice() {
                [] => println!("database is up to date; nothing to apply"),
                applied => println!("applied {} migrations: {applied:?}; database is up to date", applied.len()),
            }
            Ok(())
        }
        Command::Import { file, batch_size, writers, rejects } => {
            let defaults = ImportOptions::default();
            let options = ImportOptions { batch_size, writers: writers.unwrap_or(defaults.writers).clamp(1, 16) };
            let pool = import_pool(&settings, options.writers).await?;
            let (reader, size): (Box<dyn io::BufRead + Send>, Option<u64>) = if file.as_os_str() == "-" {
                (Box::new(BufReader::new(io::stdin())), None)
            } else {
                let f = File::open(&file).with_context(|| format!("cannot read {}", file.display()))?;
                let size = f.metadata().ok().map(|m| m.len());
                (Box::new(BufReader::with_capacity(1 << 20, f)), size)
            };
            let progress = progress_bar(size);
            let bar = progress.clone();
            let lines = import::lines_of(reader, move |bytes| bar.inc(bytes));
            let report = import_with_reporting(&pool, lines, options, rejects, &progress).await?;
            print_summary(&file.display().to_string(), &report);
            Ok(())
        }
        Command::Seed { listings, sellers, seed } => {
            let pool = import_pool(&settings, ImportOptions::default().writers).await?;
            seed_demo(&pool, listings, sellers, seed).await
        }
        Command::Reindex => reindex_command(&settings).await,
        Command::Index { command: IndexCommand::Verify } => {
            let pool = db::prepare(&settings.database).await?;
            let index = std::sync::Arc::new(index_root(&settings).open_live()?);
            let differences = verify(&pool, index).await?;
            println!("{} listings indexed, {} active in the database", differences.indexed, differences.in_database);
            if differences.is_empty() {
                println!("the index equals the database");
                return Ok(());
            }
            for (what, ids) in [
                ("missing from the index", &differences.missing),
                ("indexed but not active", &differences.extra),
                ("indexed with other content", &differences.stale),
                ("indexed more than once", &differences.duplicated),
            ] {
                if !ids.is_empty() {
                    let shown: Vec<String> = ids.iter().take(10).map(ToString::to_string).collect();
                    println!("{} {what}: {}{}", ids.len(), shown.join(", "), if ids.len() > 10 { ", …" } else { "" });
                }
            }
            anyhow::bail!("the index differs from the database")
        }
        Command::Seller { command: SellerCommand::CreateKey { external_id, label, name, city } } => {
            let pool = db::prepare(&settings.database).await?;
            create_key(&pool, &external_id, label.as_deref(), name.zip(city)).await
        }
        Command::User { command: UserCommand::SetRole { email, role, seller } } => {
            let pool = db::prepare(&settings.database).await?;
            let role = crate::auth::principal::Role::from_db(&role)?;
            crate::auth::users::set_role(&pool, &email, role, seller.as_deref()).await?;
            println!("{} is now {}", email.trim().to_lowercase(), role.as_str());
            Ok(())
        }
    }
}

async fn serve(settings: Settings, demo: Option<usize>) -> anyhow::Result<()> {
    let application = Application::build(settings).await?;
    if let Some(listings) = demo {
        let pool = &application.state().db.0;
        let existing = store::count_listings(pool).await?;
        if existing == 0 {
            seed_demo(pool, listings, (listings / 100).clamp(5, 300), 7).await?;
        } else {
            tracing::info!(existing, "catalog is not empty: demo data not added");
        }
    }
    application.run_until(shutdown_signal()).await
}

/// The index root with the analysis the settings ask for.
fn index_root(settings: &Settings) -> IndexRoot {
    IndexRoot::with_analysis(&settings.search.index_dir, TextAnalysis::load(&settings.search))
}

async fn reindex_command(settings: &Settings) -> anyhow::Result<()> {
    let pool = db::prepare(&settings.database).await?;
    let root = index_root(settings);
    let lock = root.lock_reindex()?;
    let progress = std::sync::Arc::new(ReindexProgress::default());
    let bar = progress_bar(Some(0));
    let ticker = {
        let (progress, bar) = (progress.clone(), bar.clone());
        tokio::spawn(async move {
            loop {
                let status = progress.status();
                bar.set_length(status.listings_total.max(1));
                bar.set_position(status.listings_indexed);
                bar.set_message(match status.phase {
                    ReindexPhase::Building => "building",
                    ReindexPhase::CatchingUp => "catching up",
                    ReindexPhase::Publishing => "publishing",
                    ReindexPhase::Idle => "",
                });
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
    };
    let result = reindex(&pool, &root, &lock, &progress).await;
    ticker.abort();
    bar.finish_and_clear();
    let done = result?;
    println!(
        "indexed {} listings in {:.1} s ({:.0} listings/s) into {}",
        done.listings,
        done.seconds,
        done.listings as f64 / done.seconds.max(1e-9),
        done.dir.display()
    );
    if root.remove_stale(&lock, &[])? == 0 && !root.stale_generations(&[])?.is_empty() {
        println!("a running server is switching to it; it removes the previous generation itself");
    }
    Ok(())
}

/// A pool for bulk work: few connections, and statements allowed to run long.
/// Connections for an import: one per writer, and one for sellers and the rest.
async fn import_pool(settings: &Settings, writers: usize) -> anyhow::Result<PgPool> {
    let mut database = settings.database.clone();
    database.max_connections = writers as u32 + 1;
    database.min_connections = 1;
    database.statement_timeout_ms = 600_000;
    db::prepare(&database).await
}

async fn seed_demo(pool: &PgPool, listings: usize, sellers: usize, seed: u64) -> anyhow::Result<()> {
    let progress = progress_bar(Some(listings as u64));
    let counter = progress.clone();
    let lines = demo_catalog::DemoCatalog::new(listings, sellers.max(1), seed).map(move |record| {
        counter.inc(1);
        Ok(RawLine::Bytes(serde_json::to_vec(&record).expect("a JSON value serializes")))
    });
    let report = import_with_reporting(pool, lines, ImportOptions::default(), None, &progress).await?;
    print_summary("demo catalog", &report);
    Ok(())
}

async fn import_with_reporting<I>(
    pool: &PgPool,
    lines: I,
    options: ImportOptions,
    rejects: Option<PathBuf>,
    progress: &ProgressBar,
) -> anyhow::Result<ImportReport>
where
    I: Iterator<Item = io::Result<RawLine>> + Send + 'static,
{
    let mut rejects_file = match &rejects {
        Some(path) => {
            Some(BufWriter::new(File::create(path).with_context(|| format!("cannot write {}", path.display()))?))
        }
        None => None,
    };
    let mut shown = 0;
    let mut write_error = None;
    let report = import::import(pool, lines, options, |rejected: &RejectedLine| {
        if shown < REJECTS_SHOWN {
            shown += 1;
            progress.suspend(|| {
                eprintln!(
                    "line {} (sku {}): {}: {}",
                    rejected.line,
                    rejected.sku.as_deref().unwrap_or("-"),
                    rejected.field,
                    rejected.reason
                )
            });
        }
        if let Some(out) = rejects_file.as_mut() {
            let line = serde_json::to_string(rejected).expect("a rejection serializes");
            if let Err(e) = writeln!(out, "{line}") {
                write_error.get_or_insert(e);
            }
        }
    })
    .await;
    progress.finish_and_clear();
    let report = report?;
    if let Some(mut out) = rejects_file {
        out.flush()?;
    }
    if let Some(e) = write_error {
        return Err(e).context("writing the rejects file");
    }
    if report.rejected_lines > REJECTS_SHOWN && rejects.is_none() {
        eprintln!(
            "… {} more rejected lines; pass --rejects FILE to keep them all",
            report.rejected_lines - REJECTS_SHOWN
        );
    }
    Ok(report)
}

fn progress_bar(total: Option<u64>) -> ProgressBar {
    if !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = match total {
        Some(total) => ProgressBar::new(total).with_style(
            ProgressStyle::with_template("{bar:40.cyan/blue} {percent:>3}% {elapsed_precise} eta {eta} {msg}")
                .expect("template is valid"),
        ),
        None => ProgressBar::new_spinner(),
    };
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

fn print_summary(source: &str, report: &ImportReport) {
    let o = &report.outcome;
    println!(
        "{source}: {} lines; applied {} ({} new, {} updated, {} unchanged, {} deleted, {} already gone); \
         rejected {}; {:.1} s, {:.0} lines/s",
        report.lines,
        o.applied(),
        o.inserted,
        o.updated,
        o.unchanged,
        o.deleted,
        o.not_found,
        report.rejected_lines,
        report.elapsed.as_secs_f64(),
        report.rate()
    );
}

async fn create_key(
    pool: &PgPool,
    external_id: &str,
    label: Option<&str>,
    create: Option<(String, String)>,
) -> anyhow::Result<()> {
    let existing = sellers::by_external_id(pool, external_id).await?;
    let seller_id = match (existing, create) {
        (Some(id), _) => id,
        (None, Some((name, city))) => {
            let seller = SellerInput {
                external_id: external_id.to_string(),
                name: name.trim().to_string(),
                city: city.trim().to_string(),
            };
            sellers::upsert_seller(&mut *pool.acquire().await?, &seller).await?
        }
        (None, None) => anyhow::bail!(
            "no seller {external_id}: import a feed that names it, or pass --name and --city to create it"
        ),
    };
    let key = api_keys::issue_key(pool, seller_id, label).await?;
    eprintln!("API key {} for seller {external_id}; it is shown only once:", key.prefix);
    println!("{}", key.secret);
    Ok(())
}
