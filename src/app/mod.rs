//! The composition root: builds the application from its settings, mounts every
//! module's routes, binds it, and runs it until shutdown.
//!
//! Nothing but `main`, the CLI and the tests imports this module: everything below
//! it is handed what it needs through [`AppState`]'s substates.

pub mod health;
pub mod metrics;
pub mod openapi;
pub mod router;
pub mod serve;

use std::future::Future;
use std::sync::Arc;

use anyhow::Context;
use axum::extract::FromRef;
use metrics_exporter_prometheus::PrometheusHandle;
use redis::aio::ConnectionManager;
use secrecy::ExposeSecret;
use tokio::net::TcpListener;

use crate::auth::AuthState;
use crate::auth::keys::Keys;
use crate::auth::mail::AccountMailer;
use crate::catalog::listings::ListingCache;
use crate::catalog::photos;
use crate::catalog::sellers::SellerCache;
use crate::catalog::taxonomy::TaxonomyState;
use crate::http::rate_limit::RateLimits;
use crate::kyc::KycState;
use crate::notify::Notifier;
use crate::orders::OrdersState;
use crate::payments::PaymentsState;
use crate::platform::client::TrustedProxies;
use crate::platform::config::Settings;
use crate::platform::db::{self, PrimaryDb, ReadDb};
use crate::platform::events::EventBus;
use crate::platform::events::relay::Relay;
use crate::platform::jobs::Handlers;
use crate::platform::jobs::worker::{Wakeup, Worker};
use crate::platform::media::MediaStore;
use crate::platform::rate_limit::{RateLimiter, VerifiedKeys};
use crate::platform::redis::SharedStore;
use crate::search::analysis::TextAnalysis;
use crate::search::generations::IndexRoot;
use crate::search::indexer::Indexer;
use crate::search::queue::QueueLimits;
use crate::search::service::{IndexChange, SearchService};

/// Everything handlers share; each takes only the part it needs.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: PrimaryDb,
    pub read_db: ReadDb,
    pub redis: Option<ConnectionManager>,
    pub metrics: PrometheusHandle,
    pub taxonomy: TaxonomyState,
    pub search: SearchService,
    pub auth: AuthState,
    pub orders: OrdersState,
    pub payments: PaymentsState,
    pub kyc: KycState,
    pub notifier: Notifier,
    pub listing_cache: ListingCache,
    pub seller_cache: SellerCache,
    pub media: MediaStore,
    /// This process's end of the event bus the replicas share.
    pub events: EventBus,
    /// Wakes this process's job worker.
    pub jobs_wakeup: Wakeup,
    pub proxies: TrustedProxies,
    pub verified_keys: VerifiedKeys,
    pub rate_limits: RateLimits,
    pub blocklist: crate::blocklist::Blocklist,
}

impl AppState {
    /// Connects to PostgreSQL (creating and migrating the database when needed) and
    /// Redis, and opens the search index.
    pub async fn connect(settings: Settings) -> anyhow::Result<AppState> {
        // Keys first: an instance that may not start says so before touching anything.
        let keys = Arc::new(Keys::for_environment(&settings.auth, settings.env)?);
        settings.check_production()?;
        let primary = db::prepare(&settings.database).await?;
        let read = match &settings.database.read_url {
            Some(url) => db::pool(&settings.database, url)?,
            None => primary.clone(),
        };
        let redis = match &settings.redis.url {
            Some(url) => Some(connect_redis(url.expose_secret()).await?),
            None => None,
        };
        let concurrency = std::thread::available_parallelism().map_or(2, |n| n.get()) * 2;
        let limits = QueueLimits::from_settings(&settings.search, concurrency);
        let search = SearchService::open(
            IndexRoot::with_analysis(&settings.search.index_dir, TextAnalysis::load(&settings.search)),
            limits,
        )?;
        let shared = redis.clone().map(|connection| SharedStore::new(connection, &settings.redis.key_prefix));
        let limiter = RateLimiter::new(shared.clone(), settings.rate_limit.clone());
        let proxies = TrustedProxies(settings.http.trusted_proxies.clone().into());
        let verified_keys = VerifiedKeys::default();
        let rate_limits =
            RateLimits { limiter: limiter.clone(), proxies: proxies.clone(), verified_keys: verified_keys.clone() };
        let settings = Arc::new(settings);
        let orders = OrdersState::new(primary.clone(), settings.clone(), keys.clone());
        let payments = PaymentsState::new(primary.clone(), settings.clone(), orders.clone())?;
        let kyc = KycState::new(primary.clone(), settings.clone(), keys.clone())?;
        let mailer = AccountMailer::new(primary.clone(), keys.clone(), &settings.auth);
        let notifier = Notifier::new(&settings, orders.clone(), mailer)?;
        let listing_cache = ListingCache::new(shared.clone(), settings.cache.limits());
        let seller_cache = SellerCache::new(shared.clone(), settings.cache.limits());
        let media = MediaStore::open(&settings.media)?;
        let auth = AuthState::new(&settings, keys, shared, limiter, notifier.code_sender());
        let events = match (&redis, &settings.redis.url) {
            (Some(connection), Some(url)) => EventBus::shared(
                connection.clone(),
                url.expose_secret(),
                format!("{}events", settings.redis.key_prefix),
            )?,
            _ => EventBus::local(),
        };
        let blocklist = crate::blocklist::Blocklist::default();
        blocklist.reload(&primary, chrono::Utc::now()).await.context("reading the blocked networks")?;
        Ok(AppState {
            settings,
            db: PrimaryDb(primary),
            read_db: ReadDb(read),
            redis,
            metrics: crate::platform::telemetry::recorder(),
            taxonomy: TaxonomyState::builtin(),
            search,
            auth,
            orders,
            payments,
            kyc,
            notifier,
            listing_cache,
            seller_cache,
            media,
            events,
            jobs_wakeup: Wakeup::default(),
            proxies,
            verified_keys,
            rate_limits,
            blocklist,
        })
    }
}

async fn connect_redis(url: &str) -> anyhow::Result<ConnectionManager> {
    let client = redis::Client::open(url).context("invalid REDIS_URL")?;
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_connection_timeout(Some(std::time::Duration::from_secs(3)))
        .set_response_timeout(Some(std::time::Duration::from_secs(2)));
    ConnectionManager::new_with_config(client, config).await.context("connecting to Redis")
}

/// A bound, ready-to-run server with its indexer running.
pub struct Application {
    listener: TcpListener,
    /// The listener of `/metrics` when `metrics.bind` gives it its own address.
    metrics_listener: Option<TcpListener>,
    state: AppState,
    indexer: BackgroundTask,
    /// Error reports, while a DSN turns them on.
    _reporting: Option<crate::platform::error_reports::Reporting>,
}

/// A task of the application (the indexer, the expiry sweep), stopped when the
/// application that started it is dropped, so an application abandoned before or
/// while serving never leaves a writer behind.
struct BackgroundTask(tokio::task::JoinHandle<()>);

impl Drop for BackgroundTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Application {
    /// Connects everything and binds the listening sockets (port 0 picks a free port).
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let bind = settings.http.bind;
        let metrics_bind = settings.metrics.bind;
        let reporting = crate::platform::error_reports::start(&settings.sentry, settings.env)?;
        let state = AppState::connect(settings).await?;
        let listener = TcpListener::bind(bind).await.with_context(|| format!("binding {bind}"))?;
        let metrics_listener = match metrics_bind {
            Some(address) => {
                Some(TcpListener::bind(address).await.with_context(|| format!("binding metrics.bind {address}"))?)
            }
            None => None,
        };
        if !metrics::on_public_address(&state.settings) && metrics_bind.is_none() {
            tracing::warn!("metrics are not served: set metrics.bind or metrics.token to scrape them");
        }
        let indexer = Indexer::new(state.db.0.clone(), state.search.clone(), &state.settings.search)?;
        let indexer = BackgroundTask(tokio::spawn(indexer.run()));
        Ok(Application { listener, metrics_listener, state, indexer, _reporting: reporting })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// The port of the metrics listener, when `metrics.bind` configured one.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_listener.as_ref().and_then(|l| l.local_addr().ok()).map(|a| a.port())
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// For replacing parts (the SMS sender, the clock) before the server starts. A new
    /// orders clock is the payments' clock too.
    pub fn state_mut(&mut self) -> &mut AppState {
        &mut self.state
    }

    /// Serves until `shutdown` completes, then lets requests in flight finish.
    ///
    /// Each connection's handlers see its peer address as `ConnectInfo<SocketAddr>`,
    /// the client address of rate limits and the audit log.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let Application { listener, metrics_listener, state, mut indexer, _reporting } = self;
        // Started here rather than in `build`, so a test can replace the clock first.
        let _expiry = BackgroundTask(tokio::spawn(crate::orders::expiry::run(state.orders.clone())));
        let _payments = BackgroundTask(tokio::spawn(crate::payments::poller::run(state.payments.clone())));
        let (_background, stop_worker, worker) = Background::of(&state).start();
        let _evictions = BackgroundTask(tokio::spawn(evict_changed(
            state.listing_cache.clone(),
            state.seller_cache.clone(),
            state.search.changes.subscribe(),
        )));
        let _blocks = BackgroundTask(tokio::spawn(state.blocklist.clone().keep_current(
            state.db.0.clone(),
            state.events.clone(),
            std::time::Duration::from_secs(state.settings.security.blocklist_refresh_secs.max(1)),
        )));
        let http = &state.settings.http;
        let options = serve::ServeOptions {
            max_connections: serve::connection_cap(http.max_connections),
            header_read_timeout: state.settings.header_read_timeout(),
            keep_alive_idle: state.settings.keep_alive_idle(),
        };
        tracing::info!(address = %listener.local_addr()?, max_connections = options.max_connections, "listening");
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let metrics_server = async {
            if let Some(listener) = metrics_listener {
                tracing::info!(address = %listener.local_addr()?, "serving metrics");
                let options = serve::ServeOptions { max_connections: METRICS_CONNECTIONS, ..options };
                serve::serve(listener, metrics::router(state.clone()), options, stopped.clone()).await;
            }
            anyhow::Ok(())
        };
        let main_server = serve::serve(listener, router::router(state.clone()), options, stopped.clone());
        let signal = async move {
            shutdown.await;
            let _ = stop.send(true);
        };
        let ((), (), metrics_served) = tokio::join!(signal, main_server, metrics_server);
        // Jobs running now finish, or go back to the queue for another worker.
        let _ = stop_worker.send(true);
        let _ = worker.await;
        // Stopping the indexer releases the index's writer lock; the watermark of its
        // last commit is where the next start resumes.
        indexer.0.abort();
        let _ = (&mut indexer.0).await;
        metrics_served?;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Drops the cached pages of the listings this replica's index applied a change of,
/// and the profiles of their sellers; everything kept in process when what changed is
/// not known (a rebuilt index, a listener that fell behind).
async fn evict_changed(
    listings: ListingCache,
    sellers: SellerCache,
    mut changes: tokio::sync::broadcast::Receiver<IndexChange>,
) {
    use tokio::sync::broadcast::error::RecvError;
    loop {
        match changes.recv().await {
            Ok(IndexChange::Listings(changed)) => {
                listings.evict(&changed.listings).await;
                sellers.evict(&changed.sellers).await;
            }
            Ok(IndexChange::Rebuilt) | Err(RecvError::Lagged(_)) => {
                listings.clear_local();
                sellers.clear_local();
            }
            Err(RecvError::Closed) => return,
        }
    }
}

/// What the relay and the job worker of a process need: a part of [`AppState`], or
/// all a `cargoparts worker` process connects to.
#[derive(Clone)]
struct Background {
    db: sqlx::PgPool,
    settings: Arc<Settings>,
    notifier: Notifier,
    media: MediaStore,
    events: EventBus,
    wakeup: Wakeup,
}

impl Background {
    fn of(state: &AppState) -> Background {
        Background {
            db: state.db.0.clone(),
            settings: state.settings.clone(),
            notifier: state.notifier.clone(),
            media: state.media.clone(),
            events: state.events.clone(),
            wakeup: state.jobs_wakeup.clone(),
        }
    }

    /// Connects what a worker process needs: PostgreSQL, Redis for the event bus, the
    /// keys that open sealed phones.
    async fn connect(settings: Settings) -> anyhow::Result<Background> {
        let keys = Arc::new(Keys::for_environment(&settings.auth, settings.env)?);
        settings.check_production()?;
        let db = db::prepare(&settings.database).await?;
        let events = match &settings.redis.url {
            Some(url) => EventBus::shared(
                connect_redis(url.expose_secret()).await?,
                url.expose_secret(),
                format!("{}events", settings.redis.key_prefix),
            )?,
            None => EventBus::local(),
        };
        let settings = Arc::new(settings);
        let orders = OrdersState::new(db.clone(), settings.clone(), keys.clone());
        let mailer = AccountMailer::new(db.clone(), keys, &settings.auth);
        let notifier = Notifier::new(&settings, orders, mailer)?;
        let media = MediaStore::open(&settings.media)?;
        Ok(Background { db, settings, notifier, media, events, wakeup: Wakeup::default() })
    }

    /// The relay: its events go to the notifications' subscribers.
    fn relay(&self) -> Relay {
        let subscribers = self.notifier.subscribers();
        Relay::new(self.db.clone(), self.events.clone(), subscribers, self.settings.events.clone(), self.wakeup.clone())
    }

    /// The job worker, with every module's handlers; none when `jobs.concurrency` is 0.
    fn worker(&self) -> Worker {
        let mut handlers = Handlers::default();
        if self.settings.jobs.concurrency > 0 {
            self.notifier.register(&mut handlers);
            handlers.register(photos::SIZES_JOB, photos::PhotoSizes::handler(self.db.clone(), self.media.clone()));
            let exports = crate::privacy::exports::BuildExport::handler(self.db.clone(), self.notifier.orders.clone());
            handlers.register(crate::privacy::exports::EXPORT_JOB, exports);
        }
        Worker::new(self.db.clone(), handlers, self.settings.jobs.clone(), self.wakeup.clone())
    }

    /// Starts the bus listener, the relay, the retention schedule, the registrations'
    /// expiry check and the worker; stop
    /// the worker through the
    /// returned sender and await its handle.
    fn start(&self) -> (Vec<BackgroundTask>, tokio::sync::watch::Sender<bool>, tokio::task::JoinHandle<()>) {
        let bus = BackgroundTask(tokio::spawn(self.events.clone().listen()));
        let relay = BackgroundTask(tokio::spawn(self.relay().run()));
        let retention = BackgroundTask(tokio::spawn(crate::privacy::retention::run(
            self.db.clone(),
            self.settings.retention.clone(),
        )));
        let registrations = BackgroundTask(tokio::spawn(crate::kyc::documents::run_expiry(self.db.clone())));
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let worker = tokio::spawn(self.worker().run(stopped));
        (vec![bus, relay, retention, registrations], stop, worker)
    }
}

/// `cargoparts worker`: the relay and a job worker, without HTTP or a search index,
/// until SIGINT or SIGTERM; running jobs finish or go back to the queue.
pub async fn run_worker(settings: Settings) -> anyhow::Result<()> {
    let _reporting = crate::platform::error_reports::start(&settings.sentry, settings.env)?;
    // The job metrics are recorded by whoever runs the jobs: this process.
    crate::platform::telemetry::recorder();
    let metrics_listener = match settings.metrics.bind {
        Some(address) => {
            Some(TcpListener::bind(address).await.with_context(|| format!("binding metrics.bind {address}"))?)
        }
        None => None,
    };
    let metrics_router = metrics::worker_router(&settings);
    let options = serve::ServeOptions {
        max_connections: METRICS_CONNECTIONS,
        header_read_timeout: settings.header_read_timeout(),
        keep_alive_idle: settings.keep_alive_idle(),
    };
    let background = Background::connect(settings).await?;
    let (_tasks, stop, worker) = background.start();
    let (stop_metrics, stopped) = tokio::sync::watch::channel(false);
    let metrics_server = tokio::spawn(async move {
        if let Some(listener) = metrics_listener {
            tracing::info!(address = ?listener.local_addr().ok(), "serving metrics");
            serve::serve(listener, metrics_router, options, stopped).await;
        }
    });
    shutdown_signal().await;
    let _ = stop.send(true);
    worker.await?;
    let _ = stop_metrics.send(true);
    let _ = metrics_server.await;
    Ok(())
}

/// Connections the metrics listener serves at once: it has a handful of scrapers.
const METRICS_CONNECTIONS: usize = 64;

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested");
}
