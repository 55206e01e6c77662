//! The listening side shared by the gRPC and HTTP servers: bind, accept with TCP_NODELAY
//! (DESIGN.md §4), optional TLS, one hyper connection per socket with idle / age limits, and a
//! graceful shutdown that stops accepting, lets in-flight requests finish until a deadline and
//! then closes what is left.

use std::error::Error as StdError;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http::{Request, Response};
use hyper::body::{Body, Incoming};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use parking_lot::Mutex;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How long a client has for the TLS handshake before the socket is dropped, so half-open
/// connections cannot pile up.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Everything about a server's connections that is not the request handler.
#[derive(Clone)]
pub(crate) struct ConnOptions {
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// gRPC: HTTP/2 only (prior knowledge or ALPN `h2`); HTTP: HTTP/1.1 and h2c/h2.
    pub http2_only: bool,
    pub h2_max_concurrent_streams: Option<u32>,
    pub h2_keepalive: Option<(Duration, Duration)>,
    pub h2_max_send_buf: Option<usize>,
    pub h1_keep_alive: bool,
    pub h1_header_read_timeout: Option<Duration>,
    /// Close a connection that has had no request in flight for this long.
    pub idle_timeout: Option<Duration>,
    /// Send GOAWAY after this age, then close after the grace period (None = wait for
    /// in-flight requests however long they take, as grpc-go's infinite default).
    pub max_age: Option<(Duration, Option<Duration>)>,
}

/// Binds the endpoint. The error names the endpoint, as the user wrote it.
pub(crate) async fn bind(endpoint: &str, transport: &str) -> Result<TcpListener, String> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host(endpoint)
        .await
        .map_err(|e| format!("listen {transport} {endpoint}: {e}"))?
        .filter(|a| match transport {
            "tcp4" => a.is_ipv4(),
            "tcp6" => a.is_ipv6(),
            _ => true,
        })
        .collect();
    let mut last = format!("listen {transport} {endpoint}: no address to listen on");
    for addr in addrs {
        match TcpListener::bind(addr).await {
            Ok(l) => return Ok(l),
            Err(e) => last = format!("listen {transport} {addr} ({endpoint}): {e}"),
        }
    }
    Err(last)
}

/// A running server: its accept loop and connections.
pub(crate) struct Server {
    pub local_addr: SocketAddr,
    stop_accepting: CancellationToken,
    force_close: CancellationToken,
    tracker: TaskTracker,
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Io for T {}

impl Server {
    /// Starts accepting on `listener`; `make_service` builds the handler of one connection
    /// from the client's address.
    pub fn spawn<F, S, B>(listener: TcpListener, opts: ConnOptions, make_service: F) -> Server
    where
        F: Fn(SocketAddr) -> S + Send + Sync + 'static,
        S: hyper::service::Service<Request<Incoming>, Response = Response<B>> + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Into<Box<dyn StdError + Send + Sync>>,
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<Box<dyn StdError + Send + Sync>>,
    {
        let local_addr = listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
        let server = Server {
            local_addr,
            stop_accepting: CancellationToken::new(),
            force_close: CancellationToken::new(),
            tracker: TaskTracker::new(),
        };
        let builder = Arc::new(connection_builder(&opts));
        let stop = server.stop_accepting.clone();
        let force = server.force_close.clone();
        let tracker = server.tracker.clone();
        let make_service = Arc::new(make_service);
        server.tracker.spawn(async move {
            loop {
                let (tcp, peer) = tokio::select! {
                    _ = stop.cancelled() => break,
                    accepted = listener.accept() => match accepted {
                        Ok(a) => a,
                        Err(e) => {
                            // Out of file descriptors and the like: back off instead of spinning.
                            tracing::warn!(error = %e, "accept failed");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    },
                };
                let _ = tcp.set_nodelay(true);
                let service = make_service(peer);
                let conn = Connection {
                    builder: builder.clone(),
                    opts: opts.clone(),
                    stop: stop.clone(),
                    force: force.clone(),
                };
                tracker.spawn(conn.run(tcp, service));
            }
        });
        server.tracker.close();
        server
    }

    /// Stops accepting, asks every connection to finish its in-flight requests (GOAWAY /
    /// `Connection: close`), and closes whatever is still open at `deadline`.
    pub async fn shutdown(&self, deadline: Instant) {
        self.stop_accepting.cancel();
        if tokio::time::timeout_at(deadline, self.tracker.wait())
            .await
            .is_err()
        {
            self.force_close.cancel();
            self.tracker.wait().await;
        }
    }
}

fn connection_builder(opts: &ConnOptions) -> auto::Builder<TokioExecutor> {
    let mut b = auto::Builder::new(TokioExecutor::new());
    {
        let mut h1 = b.http1();
        h1.timer(TokioTimer::new());
        h1.keep_alive(opts.h1_keep_alive);
        // hyper defaults to a 30 s header timeout; upstream's OTLP receiver has none.
        h1.header_read_timeout(opts.h1_header_read_timeout);
    }
    {
        let mut h2 = b.http2();
        h2.timer(TokioTimer::new());
        if let Some(n) = opts.h2_max_concurrent_streams {
            h2.max_concurrent_streams(n);
        }
        if let Some((interval, timeout)) = opts.h2_keepalive {
            h2.keep_alive_interval(interval);
            h2.keep_alive_timeout(timeout);
        }
        if let Some(n) = opts.h2_max_send_buf {
            h2.max_send_buf_size(n);
        }
    }
    if opts.http2_only { b.http2_only() } else { b }
}

/// Requests in flight on one connection and when the last one ended, for the idle limit.
struct Activity {
    in_flight: AtomicUsize,
    last_end: Mutex<Instant>,
}

/// Counts a request as in flight until dropped.
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        *self.0.last_end.lock() = Instant::now();
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Wraps a connection's service to track its requests.
struct Tracked<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S, R> hyper::service::Service<R> for Tracked<S>
where
    S: hyper::service::Service<R>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = futures::future::BoxFuture<'static, Result<S::Response, S::Error>>;

    fn call(&self, req: R) -> Self::Future {
        self.activity.in_flight.fetch_add(1, Ordering::AcqRel);
        let guard = InFlight(self.activity.clone());
        let fut = self.inner.call(req);
        Box::pin(async move {
            let r = fut.await;
            drop(guard);
            r
        })
    }
}

struct Connection {
    builder: Arc<auto::Builder<TokioExecutor>>,
    opts: ConnOptions,
    stop: CancellationToken,
    force: CancellationToken,
}

impl Connection {
    async fn run<S, B>(self, tcp: TcpStream, service: S)
    where
        S: hyper::service::Service<Request<Incoming>, Response = Response<B>> + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Into<Box<dyn StdError + Send + Sync>>,
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<Box<dyn StdError + Send + Sync>>,
    {
        let io: Box<dyn Io> = match &self.opts.tls {
            None => Box::new(tcp),
            Some(cfg) => {
                let accept = tokio_rustls::TlsAcceptor::from(cfg.clone()).accept(tcp);
                let handshake = tokio::select! {
                    _ = self.force.cancelled() => return,
                    r = tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, accept) => r,
                };
                match handshake {
                    Ok(Ok(tls)) => Box::new(tls),
                    Ok(Err(e)) => {
                        tracing::debug!(error = %e, "TLS handshake failed");
                        return;
                    }
                    Err(_) => {
                        tracing::debug!("TLS handshake timed out");
                        return;
                    }
                }
            }
        };
        let activity = Arc::new(Activity {
            in_flight: AtomicUsize::new(0),
            last_end: Mutex::new(Instant::now()),
        });
        let service = Tracked {
            inner: service,
            activity: activity.clone(),
        };
        let conn = self.builder.serve_connection(TokioIo::new(io), service);
        let mut conn = std::pin::pin!(conn);

        let far = || Instant::now() + Duration::from_secs(100 * 365 * 24 * 3600);
        let age_deadline = self.opts.max_age.map(|(age, _)| Instant::now() + age);
        let mut grace_deadline: Option<Instant> = None;
        let mut draining = false;
        loop {
            let idle_deadline = match self.opts.idle_timeout {
                Some(idle) if activity.in_flight.load(Ordering::Acquire) == 0 => {
                    *activity.last_end.lock() + idle
                }
                Some(idle) => Instant::now() + idle,
                None => far(),
            };
            tokio::select! {
                result = conn.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(error = %e, "connection closed with an error");
                    }
                    return;
                }
                _ = self.force.cancelled() => return,
                _ = self.stop.cancelled(), if !draining => {
                    draining = true;
                    conn.as_mut().graceful_shutdown();
                }
                _ = tokio::time::sleep_until(idle_deadline), if !draining && self.opts.idle_timeout.is_some() => {
                    let idle = self.opts.idle_timeout.unwrap_or_default();
                    if activity.in_flight.load(Ordering::Acquire) == 0
                        && activity.last_end.lock().elapsed() >= idle
                    {
                        draining = true;
                        conn.as_mut().graceful_shutdown();
                    }
                }
                _ = tokio::time::sleep_until(age_deadline.unwrap_or_else(far)), if !draining && age_deadline.is_some() => {
                    draining = true;
                    conn.as_mut().graceful_shutdown();
                    grace_deadline = self.opts.max_age.and_then(|(_, g)| g).map(|g| Instant::now() + g);
                }
                _ = tokio::time::sleep_until(grace_deadline.unwrap_or_else(far)), if grace_deadline.is_some() => return,
            }
        }
    }
}
