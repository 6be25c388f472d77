//! Serving HTTP on a listener: the accept loop, the connection cap, the timeouts of each
//! connection, and graceful shutdown.
//!
//! `axum::serve` has none of the protections a public listener needs: a client could
//! open connections, send half a request line and hold a file descriptor each for ever.
//! Here a semaphore caps the connections served at once (past it, new ones wait in the
//! kernel's accept queue), and a watchdog per connection closes it when a request's
//! head takes longer than `http.header_read_timeout_ms` from its first byte, or when
//! it sits idle (nothing in flight, nothing moving) for `http.keep_alive_idle_secs`.
//! Accept errors (out of file descriptors) back off instead of spinning, and shutdown
//! lets requests in flight finish.
//!
//! hyper answers a request it cannot parse (a URL over 64 KiB, headers over its buffer,
//! bytes that are not HTTP) itself, before any service sees it, with an empty body.
//! [`Watched`] recognises those answers on their way to the socket and sends them in
//! the error envelope instead.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;
use tower::ServiceExt;

use crate::http::error::AppError;
use crate::platform::i18n::Locale;

/// How one listener serves its connections.
#[derive(Debug, Clone, Copy)]
pub struct ServeOptions {
    pub max_connections: usize,
    pub header_read_timeout: Duration,
    pub keep_alive_idle: Duration,
}

/// Serves `router` on `listener` until `shutdown` turns true (or its sender is
/// dropped), then waits for the connections' requests in flight to finish.
pub async fn serve(listener: TcpListener, router: Router, options: ServeOptions, mut shutdown: watch::Receiver<bool>) {
    let permits = Arc::new(Semaphore::new(options.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // hyper's own header timer also runs while a kept-alive connection waits for its
    // next request, so it is only a backstop here: the watchdog keeps the two apart.
    builder.http1().timer(TokioTimer::new()).header_read_timeout(options.header_read_timeout + options.keep_alive_idle);
    let mut backoff = Duration::ZERO;
    let mut saturated = false;
    loop {
        if permits.available_permits() == 0 && !saturated {
            saturated = true;
            metrics::counter!("http_connection_limit_reached_total").increment(1);
            tracing::warn!(max_connections = options.max_connections, "connection limit reached; new connections wait");
        }
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            () = stopped(&mut shutdown) => break,
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = stopped(&mut shutdown) => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => {
                backoff = Duration::ZERO;
                saturated = false;
                accepted
            }
            Err(error) if is_connection_error(&error) => continue,
            Err(error) => {
                // Out of file descriptors (or memory): retrying at once would spin,
                // so wait, longer each time, until connections have closed.
                backoff = (backoff * 2).clamp(Duration::from_millis(10), Duration::from_secs(1));
                tracing::error!(%error, retry_in_ms = backoff.as_millis() as u64, "accept failed");
                tokio::select! {
                    () = tokio::time::sleep(backoff) => continue,
                    () = stopped(&mut shutdown) => break,
                }
            }
        };
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "cannot set TCP_NODELAY");
        }
        let activity = Arc::new(Activity::new());
        let io = TokioIo::new(Watched::new(stream, activity.clone()));
        let connection = builder.serve_connection(io, connection_service(router.clone(), peer, activity.clone()));
        let connection = graceful.watch(connection.into_owned());
        tokio::spawn(async move {
            let _permit = permit;
            metrics::gauge!("http_connections_open").increment(1.0);
            tokio::select! {
                served = connection => {
                    if let Err(error) = served {
                        tracing::debug!(%peer, error = %error, "connection ended with an error");
                    }
                }
                reason = activity.watchdog(options) => {
                    metrics::counter!("http_connections_closed_total", "reason" => reason).increment(1);
                    tracing::debug!(%peer, reason, "closing connection");
                }
            }
            metrics::gauge!("http_connections_open").decrement(1.0);
        });
    }
    drop(listener);
    let open = graceful.count();
    if open > 0 {
        tracing::info!(connections = open, "waiting for requests in flight");
    }
    graceful.shutdown().await;
}

/// Completes once shutdown is asked for (or nobody can ask any more).
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

/// Errors of one connection attempt, not of the listener.
fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
    )
}

/// The router as one connection's hyper service: the peer address for handlers
/// (`ConnectInfo<SocketAddr>`), and the request counted as in flight until answered.
fn connection_service(
    router: Router,
    peer: SocketAddr,
    activity: Arc<Activity>,
) -> impl hyper::service::Service<
    Request<Incoming>,
    Response = axum::response::Response,
    Error = Infallible,
    Future = impl Future<Output = Result<axum::response::Response, Infallible>> + Send + 'static,
> + Clone {
    hyper::service::service_fn(move |mut request: Request<Incoming>| {
        let in_flight = activity.request_started();
        request.extensions_mut().insert(ConnectInfo(peer));
        let router = router.clone();
        async move {
            let response = router.oneshot(request).await;
            drop(in_flight);
            response
        }
    })
}

/// Connections the open-file limit leaves room for. The soft limit is first raised
/// towards the hard one when the configured cap needs it; what stays out of reach is
/// logged and clipped, so that a flood of connections cannot starve the database
/// pools, Redis and the index of descriptors.
pub fn connection_cap(configured: usize) -> usize {
    #[cfg(unix)]
    {
        use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
        let limit = getrlimit(Resource::Nofile);
        let Some(mut soft) = limit.current else {
            return configured;
        };
        let wanted = configured as u64 + FD_RESERVE;
        if soft < wanted {
            let raised = limit.maximum.map_or(wanted, |hard| hard.min(wanted));
            if raised > soft
                && setrlimit(Resource::Nofile, Rlimit { current: Some(raised), maximum: limit.maximum }).is_ok()
            {
                tracing::info!(from = soft, to = raised, "raised the open-file limit");
                soft = raised;
            }
        }
        let cap = fit_to_fd_limit(configured, soft);
        if cap < configured {
            tracing::warn!(
                configured,
                serving_at_most = cap,
                nofile_soft = soft,
                nofile_hard = limit.maximum,
                "http.max_connections is more than the open-file limit leaves room for"
            );
        }
        cap
    }
    #[cfg(not(unix))]
    {
        configured
    }
}

/// Descriptors kept for everything but client connections.
const FD_RESERVE: u64 = 1024;

/// The cap under a soft open-file limit: the limit less a reserve (half the limit
/// when the limit is small), never below one connection.
fn fit_to_fd_limit(configured: usize, soft_limit: u64) -> usize {
    let reserve = FD_RESERVE.min(soft_limit / 2);
    let room = usize::try_from(soft_limit - reserve).unwrap_or(usize::MAX);
    configured.min(room).max(1)
}

/// What a connection is doing, as its socket and its requests report it; times are
/// milliseconds since the connection opened.
struct Activity {
    opened: Instant,
    /// Last byte read or written.
    last_io: AtomicU64,
    /// First byte of a request head not yet answered by a dispatched request.
    head_started: AtomicU64,
    in_flight: AtomicUsize,
}

const NOT_STARTED: u64 = u64::MAX;

impl Activity {
    fn new() -> Activity {
        Activity {
            opened: Instant::now(),
            last_io: AtomicU64::new(0),
            head_started: AtomicU64::new(NOT_STARTED),
            in_flight: AtomicUsize::new(0),
        }
    }

    fn now(&self) -> u64 {
        self.opened.elapsed().as_millis() as u64
    }

    /// Bytes arrived; with nothing in flight, they begin the next request's head.
    fn read(&self) {
        let now = self.now();
        self.last_io.store(now, Ordering::Relaxed);
        if self.in_flight.load(Ordering::Acquire) == 0 {
            let _ = self.head_started.compare_exchange(NOT_STARTED, now, Ordering::AcqRel, Ordering::Relaxed);
        }
    }

    fn wrote(&self) {
        self.last_io.store(self.now(), Ordering::Relaxed);
    }

    /// A request head was parsed and handed to the router.
    fn request_started(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.head_started.store(NOT_STARTED, Ordering::Release);
        InFlight(self.clone())
    }

    /// Completes, naming why, when the connection should be closed.
    ///
    /// It looks at least every quarter of the header timeout rather than being woken
    /// by each request: a wake per request would cost every keep-alive request a task
    /// switch, and a slow head is still closed within 1.25 header timeouts.
    async fn watchdog(&self, options: ServeOptions) -> &'static str {
        let header = options.header_read_timeout.as_millis() as u64;
        let idle = options.keep_alive_idle.as_millis() as u64;
        let look_again = (header / 4).max(1);
        loop {
            let now = self.now();
            let head_started = self.head_started.load(Ordering::Acquire);
            let (deadline, reason) = if head_started != NOT_STARTED {
                (head_started.saturating_add(header), "header_timeout")
            } else if self.in_flight.load(Ordering::Acquire) == 0 {
                (self.last_io.load(Ordering::Relaxed).saturating_add(idle), "idle")
            } else {
                // Handlers have their own timeout; look again later.
                (now.saturating_add(idle), "")
            };
            if now >= deadline && !reason.is_empty() {
                return reason;
            }
            let wait = deadline.saturating_sub(now).clamp(1, look_again);
            tokio::time::sleep(Duration::from_millis(wait)).await;
        }
    }
}

/// A request being answered; dropping it ends the request's time in flight.
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.wrote();
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A connection's socket, reporting its traffic to the watchdog and putting hyper's
/// own answers to unparseable requests into the error envelope.
struct Watched {
    stream: TcpStream,
    activity: Arc<Activity>,
    rewrite: Rewrite,
}

enum Rewrite {
    /// Nothing replaced yet.
    Watching,
    /// Sending `bytes` in place of hyper's `replaces` bytes.
    Sending { bytes: Vec<u8>, sent: usize, replaces: usize },
    /// Replaced once; hyper closes the connection after such an answer.
    Done,
}

impl Watched {
    fn new(stream: TcpStream, activity: Arc<Activity>) -> Watched {
        Watched { stream, activity, rewrite: Rewrite::Watching }
    }

    /// Continues sending a replacement; ready with the length of what it replaced.
    fn poll_replacement(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        loop {
            let Rewrite::Sending { bytes, sent, replaces } = &mut self.rewrite else {
                unreachable!("only called while sending a replacement");
            };
            if *sent == bytes.len() {
                let replaces = *replaces;
                self.rewrite = Rewrite::Done;
                return Poll::Ready(Ok(replaces));
            }
            let n = ready!(Pin::new(&mut self.stream).poll_write(cx, &bytes[*sent..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *sent += n;
            self.activity.wrote();
        }
    }
}

impl AsyncRead for Watched {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(result, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.read();
        }
        result
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if matches!(self.rewrite, Rewrite::Watching)
            && let Some(bytes) = enveloped_parse_error(buf)
        {
            self.rewrite = Rewrite::Sending { bytes, sent: 0, replaces: buf.len() };
        }
        if matches!(self.rewrite, Rewrite::Sending { .. }) {
            return self.poll_replacement(cx);
        }
        let result = Pin::new(&mut self.stream).poll_write(cx, buf);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        // hyper's own answer is a head alone, in one buffer.
        let mut filled = bufs.iter().filter(|b| !b.is_empty());
        if let (Some(only), None) = (filled.next(), filled.next())
            && !matches!(self.rewrite, Rewrite::Done)
        {
            return self.poll_write(cx, only);
        }
        let result = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// The envelope answer to send instead of `head`, when `head` is hyper's own answer
/// to a request it could not parse: a 400, 414 or 431 head with an empty body and
/// no header but `connection`, `content-length` and `date`. Every answer of the
/// application carries a content type and a request id, so none is ever mistaken
/// for one.
fn enveloped_parse_error(head: &[u8]) -> Option<Vec<u8>> {
    if head.len() > 512 || !head.starts_with(b"HTTP/1.1 ") || !head.ends_with(b"\r\n\r\n") {
        return None;
    }
    let text = std::str::from_utf8(&head[..head.len() - 4]).ok()?;
    let mut lines = text.split("\r\n");
    let status: u16 = lines.next()?.get(9..12)?.parse().ok()?;
    let mut date = None;
    for line in lines {
        let (name, value) = line.split_once(':')?;
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" if value.trim() == "0" => {}
            "connection" => {}
            "date" => date = Some(value.trim()),
            _ => return None,
        }
    }
    let (status, message) = match status {
        400 => (StatusCode::BAD_REQUEST, "malformed request: the request line or headers could not be parsed"),
        414 => (StatusCode::URI_TOO_LONG, "the URL is longer than the server accepts (65534 bytes)"),
        431 => (StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "the request headers are larger than the server accepts"),
        _ => return None,
    };
    metrics::counter!("http_unparsed_requests_total", "status" => status.as_str().to_string()).increment(1);
    // The request's headers could not be read, its language neither: the default.
    let locale = Locale::default();
    let body =
        serde_json::to_vec(&AppError::Protocol { status, message: message.to_string() }.envelope_in(locale)).ok()?;
    let mut response = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\
         content-language: {}\r\nx-content-type-options: nosniff\r\nx-api-version: v1\r\nx-request-id: {}\r\n",
        status.as_str(),
        status.canonical_reason().unwrap_or(""),
        body.len(),
        locale.as_str(),
        uuid::Uuid::new_v4(),
    );
    if let Some(date) = date {
        response.push_str(&format!("date: {date}\r\n"));
    }
    response.push_str("\r\n");
    let mut bytes = response.into_bytes();
    bytes.extend_from_slice(&body);
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn hyper_answers_to_unparseable_requests_are_put_in_the_envelope() {
        let head = b"HTTP/1.1 414 URI Too Long\r\nconnection: close\r\ncontent-length: 0\r\ndate: Thu, 03 Dec 2026 10:00:00 GMT\r\n\r\n";
        let replaced = String::from_utf8(enveloped_parse_error(head).unwrap()).unwrap();
        assert!(replaced.starts_with("HTTP/1.1 414 URI Too Long\r\n"), "{replaced}");
        assert!(replaced.contains("content-type: application/json\r\n"));
        assert!(replaced.contains("date: Thu, 03 Dec 2026 10:00:00 GMT\r\n"));
        let (head, body) = replaced.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("content-length: {}\r\n", body.len())));
        let envelope: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(envelope["error"]["code"], "URI_TOO_LONG");
    }

    #[test]
    fn answers_of_the_application_are_never_rewritten() {
        let app = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 0\r\n\r\n";
        assert!(enveloped_parse_error(app).is_none());
        let with_body = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 2\r\n\r\n{}";
        assert!(enveloped_parse_error(with_body).is_none());
        let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
        assert!(enveloped_parse_error(ok).is_none());
    }

    #[test]
    fn the_connection_cap_leaves_room_under_the_open_file_limit() {
        assert_eq!(fit_to_fd_limit(10_000, 1_048_576), 10_000);
        assert_eq!(fit_to_fd_limit(10_000, 4096), 3072);
        assert_eq!(fit_to_fd_limit(10_000, 1024), 512);
        assert_eq!(fit_to_fd_limit(10_000, 1), 1);
    }

    async fn start(
        router: Router,
        options: ServeOptions,
    ) -> (SocketAddr, watch::Sender<bool>, tokio::task::JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (stop, stopped) = watch::channel(false);
        let server = tokio::spawn(serve(listener, router, options, stopped));
        (address, stop, server)
    }

    fn options(max_connections: usize) -> ServeOptions {
        ServeOptions {
            max_connections,
            header_read_timeout: Duration::from_millis(300),
            keep_alive_idle: Duration::from_secs(2),
        }
    }

    async fn fetch(address: SocketAddr, path: &str) -> String {
        let mut stream = TcpStream::connect(address).await.unwrap();
        stream
            .write_all(format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").as_bytes())
            .await
            .unwrap();
        // The server may close before reading all of a request it refused: keep what
        // arrived before any reset.
        let mut answer = Vec::new();
        let mut chunk = [0u8; 4096];
        while let Ok(n) = stream.read(&mut chunk).await {
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&chunk[..n]);
        }
        String::from_utf8_lossy(&answer).into_owned()
    }

    /// Reads until the server closes; fails after 10 s.
    async fn closed_by_server(stream: &mut TcpStream) -> Vec<u8> {
        let mut received = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(10), async {
            let mut chunk = [0u8; 4096];
            while let Ok(n) = stream.read(&mut chunk).await {
                if n == 0 {
                    break;
                }
                received.extend_from_slice(&chunk[..n]);
            }
        })
        .await;
        assert!(read.is_ok(), "the server kept the connection open");
        received
    }

    #[tokio::test]
    async fn a_half_sent_request_is_closed_after_the_header_timeout_and_an_idle_one_is_kept() {
        let router = Router::new().route("/", get(|| async { "hi" }));
        let (address, _stop, _server) = start(router, options(16)).await;
        let mut half = TcpStream::connect(address).await.unwrap();
        half.write_all(b"GET /sea").await.unwrap();
        let mut idle = TcpStream::connect(address).await.unwrap();
        let started = std::time::Instant::now();
        assert!(closed_by_server(&mut half).await.is_empty(), "no answer, just the close");
        assert!(started.elapsed() < Duration::from_millis(1500), "closed by the header timeout, not the idle one");
        // The idle connection outlives the header timeout and still serves.
        idle.write_all(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await.unwrap();
        let answer = String::from_utf8(closed_by_server(&mut idle).await).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        // ... and one left idle past the idle timeout is closed.
        let mut idle = TcpStream::connect(address).await.unwrap();
        assert!(closed_by_server(&mut idle).await.is_empty());
    }

    #[tokio::test]
    async fn past_the_cap_connections_wait_for_a_free_slot() {
        let router = Router::new().route("/", get(|| async { "hi" }));
        let (address, _stop, _server) = start(router, options(2)).await;
        let mut holders = Vec::new();
        for _ in 0..2 {
            let mut stream = TcpStream::connect(address).await.unwrap();
            stream.write_all(b"GET /").await.unwrap();
            holders.push(stream);
        }
        // Served once the half-sent requests have timed out.
        let answer = tokio::time::timeout(Duration::from_secs(10), fetch(address, "/")).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }

    #[tokio::test]
    async fn shutdown_lets_requests_in_flight_finish() {
        let router = Router::new().route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(300)).await;
                "done"
            }),
        );
        let (address, stop, server) = start(router, options(16)).await;
        let request = tokio::spawn(fetch(address, "/slow"));
        tokio::time::sleep(Duration::from_millis(100)).await;
        stop.send(true).unwrap();
        let answer = request.await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 200") && answer.ends_with("done"), "{answer}");
        tokio::time::timeout(Duration::from_secs(5), server).await.unwrap().unwrap();
        assert!(TcpStream::connect(address).await.is_err(), "the listener is closed");
    }

    #[tokio::test]
    async fn a_request_line_hyper_cannot_parse_is_answered_in_the_envelope() {
        let router = Router::new().route("/", get(|| async { "hi" }));
        let (address, _stop, _server) = start(router, options(16)).await;
        let mut stream = TcpStream::connect(address).await.unwrap();
        stream.write_all(b"GET /api/v1/listings/\xff HTTP/1.1\r\nhost: x\r\n\r\n").await.unwrap();
        let answer = String::from_utf8(closed_by_server(&mut stream).await).unwrap();
        assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
        assert!(answer.contains("\"code\":\"BAD_REQUEST\""), "{answer}");
        let long = format!("/?q={}", "a".repeat(70_000));
        let answer = fetch(address, &long).await;
        assert!(answer.starts_with("HTTP/1.1 414"), "{}", &answer[..answer.len().min(300)]);
        assert!(answer.contains("\"code\":\"URI_TOO_LONG\""));
    }
}
