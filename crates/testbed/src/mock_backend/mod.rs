//! A mock OTLP backend: it accepts OTLP/gRPC and OTLP/HTTP (protobuf or JSON, gzip or zstd),
//! counts items per signal with the zero-copy wire walk (no decode, so the backend stays cheap
//! next to the collector under test), and can be told to refuse a share of requests or answer
//! slowly ([`Faults`]).

mod faults;
mod handler;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use faults::{FaultKind, Faults};
use loadgen::Signal;

/// Counters of what arrived, readable while the backend runs.
#[derive(Debug, Default)]
pub struct Counts {
    received: [AtomicU64; 3],
    requests: AtomicU64,
    refused_requests: AtomicU64,
    refused_items: AtomicU64,
}

impl Counts {
    fn slot(signal: Signal) -> usize {
        match signal {
            Signal::Traces => 0,
            Signal::Metrics => 1,
            Signal::Logs => 2,
        }
    }

    /// Items accepted (answered with success) for a signal.
    pub fn received(&self, signal: Signal) -> u64 {
        self.received[Self::slot(signal)].load(Ordering::Relaxed)
    }

    /// Requests seen, accepted or not.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Requests refused on purpose ([`Faults`]).
    pub fn refused_requests(&self) -> u64 {
        self.refused_requests.load(Ordering::Relaxed)
    }

    /// Items in the requests refused on purpose.
    pub fn refused_items(&self) -> u64 {
        self.refused_items.load(Ordering::Relaxed)
    }

    fn accept(&self, signal: Signal, items: u64) {
        self.received[Self::slot(signal)].fetch_add(items, Ordering::Relaxed);
    }

    fn refuse(&self, items: u64) {
        self.refused_requests.fetch_add(1, Ordering::Relaxed);
        self.refused_items.fetch_add(items, Ordering::Relaxed);
    }
}

/// State shared by every connection.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    counts: Counts,
    faults: Mutex<Faults>,
}

impl Shared {
    /// The next request's sequence number and the faults in force for it.
    fn admit(&self) -> (bool, Faults) {
        let seq = self.counts.requests.fetch_add(1, Ordering::Relaxed);
        let faults = self.faults.lock().map(|f| f.clone()).unwrap_or_default();
        (faults.refuses(seq), faults)
    }
}

/// A running mock backend; stops when dropped.
pub struct MockBackend {
    /// Where OTLP/gRPC goes.
    pub grpc_addr: SocketAddr,
    /// Where OTLP/HTTP goes (`/v1/traces`, ...).
    pub http_addr: SocketAddr,
    shared: Arc<Shared>,
    stop: CancellationToken,
}

impl MockBackend {
    /// Listens on two ephemeral ports of 127.0.0.1. Both speak gRPC and HTTP (the handler looks
    /// at the content type); two ports mirror how collectors are configured.
    pub async fn start() -> std::io::Result<MockBackend> {
        let shared = Arc::new(Shared::default());
        let stop = CancellationToken::new();
        let grpc = TcpListener::bind("127.0.0.1:0").await?;
        let http = TcpListener::bind("127.0.0.1:0").await?;
        let backend = MockBackend {
            grpc_addr: grpc.local_addr()?,
            http_addr: http.local_addr()?,
            shared: shared.clone(),
            stop: stop.clone(),
        };
        for listener in [grpc, http] {
            tokio::spawn(serve(listener, shared.clone(), stop.clone()));
        }
        Ok(backend)
    }

    pub fn counts(&self) -> &Counts {
        &self.shared.counts
    }

    /// Changes the failure modes for the requests that follow.
    pub fn set_faults(&self, faults: Faults) {
        if let Ok(mut f) = self.shared.faults.lock() {
            *f = faults;
        }
    }
}

impl Drop for MockBackend {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn serve(listener: TcpListener, shared: Arc<Shared>, stop: CancellationToken) {
    loop {
        let (stream, _) = tokio::select! {
            r = listener.accept() => match r {
                Ok(s) => s,
                // Out of descriptors or similar: keep serving the connections we have.
                Err(_) => continue,
            },
            _ = stop.cancelled() => return,
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let shared = shared.clone();
                async move { Ok::<_, std::convert::Infallible>(handler::handle(shared, req).await) }
            });
            let builder = auto::Builder::new(TokioExecutor::new());
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = conn => {}
                _ = stop.cancelled() => {}
            }
        });
    }
}

#[cfg(test)]
mod tests;
