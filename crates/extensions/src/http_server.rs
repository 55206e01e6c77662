//! The HTTP server every extension endpoint uses (`health_check`, `zpages`, `pprof`): Go-style
//! binding, one accept loop, one task per connection, TCP_NODELAY, optional TLS, and everything
//! aborted on shutdown (upstream calls `http.Server.Close`, which drops open connections too).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::future::BoxFuture;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

/// Answers one request. A future, because some answers take time (a CPU profile).
pub type Handler = Arc<
    dyn Fn(http::Request<hyper::body::Incoming>) -> BoxFuture<'static, http::Response<Full<Bytes>>>
        + Send
        + Sync,
>;

/// Connection settings taken from the confighttp part of a config.
#[derive(Clone)]
pub struct ServeOptions {
    /// Which extension serves, for log lines.
    pub name: &'static str,
    pub read_header_timeout: Duration,
    pub keep_alive: bool,
}

/// Binds `endpoint` for `transport` (`tcp`, `tcp4` or `tcp6`), resolving names such as
/// `localhost` and reading `:port` as every interface, as Go's `net.Listen` does.
pub async fn bind(endpoint: &str, transport: &str) -> Result<TcpListener, String> {
    let fail = |e: &dyn std::fmt::Display| format!("failed to bind to address {endpoint}: {e}");
    let target = match endpoint.strip_prefix(':') {
        Some(port) if transport == "tcp6" => format!("[::]:{port}"),
        Some(port) => format!("0.0.0.0:{port}"),
        None => endpoint.to_string(),
    };
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host(&target)
        .await
        .map_err(|e| fail(&e))?
        .filter(|a| match transport {
            "tcp4" => a.is_ipv4(),
            "tcp6" => a.is_ipv6(),
            _ => true,
        })
        .collect();
    let mut last = None;
    for addr in addrs {
        match TcpListener::bind(addr).await {
            Ok(l) => return Ok(l),
            Err(e) => last = Some(e),
        }
    }
    Err(match last {
        Some(e) => fail(&e),
        None => fail(&format!("no {transport} address")),
    })
}

/// Accepts connections until the task is aborted.
pub async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    handler: Handler,
    options: ServeOptions,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    // DESIGN.md §4: every socket sets TCP_NODELAY.
                    let _ = stream.set_nodelay(true);
                    connections.spawn(connection(stream, tls.clone(), handler.clone(), options.clone()));
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "{} failed to accept a connection", options.name);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn connection(
    stream: TcpStream,
    tls: Option<TlsAcceptor>,
    handler: Handler,
    options: ServeOptions,
) {
    let service = service_fn(move |req: http::Request<hyper::body::Incoming>| {
        let response = handler(req);
        async move { Ok::<_, std::convert::Infallible>(response.await) }
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(options.read_header_timeout)
        .keep_alive(options.keep_alive);
    let result = match tls {
        Some(acceptor) => match acceptor.accept(stream).await {
            Ok(tls_stream) => {
                builder
                    .serve_connection(TokioIo::new(tls_stream), service)
                    .await
            }
            Err(e) => {
                tracing::debug!(error = %e, "{} TLS handshake failed", options.name);
                return;
            }
        },
        None => {
            builder
                .serve_connection(TokioIo::new(stream), service)
                .await
        }
    };
    if let Err(e) = result {
        tracing::debug!(error = %e, "{} connection ended with an error", options.name);
    }
}
