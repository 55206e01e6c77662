//! Listening and serving: one accept loop, one task per connection, all aborted on shutdown
//! (upstream calls `http.Server.Close`, which drops open connections too).

use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use super::handler::{Handler, Readiness};

/// Connection settings taken from the confighttp part of the config.
#[derive(Clone)]
pub struct ServeOptions {
    pub read_header_timeout: Duration,
    pub keep_alive: bool,
}

/// Binds `endpoint` (resolving names such as `localhost`), as upstream's `ToListener`.
pub async fn bind(endpoint: &str) -> Result<TcpListener, String> {
    TcpListener::bind(endpoint)
        .await
        .map_err(|e| format!("failed to bind to address {endpoint}: {e}"))
}

/// Accepts connections until the task is aborted.
pub async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    handler: Arc<Handler>,
    readiness: Arc<Readiness>,
    options: ServeOptions,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    // DESIGN.md §4: every socket sets TCP_NODELAY.
                    let _ = stream.set_nodelay(true);
                    connections.spawn(connection(
                        stream,
                        tls.clone(),
                        handler.clone(),
                        readiness.clone(),
                        options.clone(),
                    ));
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "health_check failed to accept a connection");
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
    handler: Arc<Handler>,
    readiness: Arc<Readiness>,
    options: ServeOptions,
) {
    let service = service_fn(move |req: http::Request<hyper::body::Incoming>| {
        let response = handler.respond(req.uri().path(), &readiness);
        async move { Ok::<_, std::convert::Infallible>(response) }
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
                tracing::debug!(error = %e, "health_check TLS handshake failed");
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
        tracing::debug!(error = %e, "health_check connection ended with an error");
    }
}
