//! What one load run does: the signal, where it goes and how, how fast, and what the requests hold.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

/// Which OTLP signal to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Signal {
    /// Spans.
    Traces,
    /// Metric data points.
    Metrics,
    /// Log records.
    Logs,
}

impl Signal {
    /// The OTLP/HTTP path (`/v1/traces`, ...).
    pub fn http_path(self) -> &'static str {
        match self {
            Signal::Traces => "/v1/traces",
            Signal::Metrics => "/v1/metrics",
            Signal::Logs => "/v1/logs",
        }
    }

    /// The OTLP/gRPC method path.
    pub fn grpc_path(self) -> &'static str {
        match self {
            Signal::Traces => "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
            Signal::Metrics => "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
            Signal::Logs => "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
        }
    }

    /// The walker's name for the signal, to count items in encoded requests.
    pub fn wire_kind(self) -> pdata::wire::SignalKind {
        match self {
            Signal::Traces => pdata::wire::SignalKind::Traces,
            Signal::Metrics => pdata::wire::SignalKind::Metrics,
            Signal::Logs => pdata::wire::SignalKind::Logs,
        }
    }
}

/// The OTLP transport.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// OTLP/gRPC (HTTP/2).
    Grpc,
    /// OTLP/HTTP (HTTP/1.1).
    Http,
}

/// How OTLP/HTTP bodies are encoded; gRPC is always protobuf.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// `application/x-protobuf`.
    Proto,
    /// `application/json` (OTLP/JSON).
    Json,
}

/// What each generated request contains.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Shape {
    /// Items (spans, data points, log records) per request.
    pub batch_size: usize,
    /// Attributes on each item.
    pub attributes: usize,
    /// Bytes in each attribute value.
    pub attribute_size: usize,
    /// Resources per request; the items are spread over them.
    pub resources: usize,
    /// Distinct metric names (metrics only): with the attributes this is the series count.
    pub series: usize,
}

impl Default for Shape {
    fn default() -> Self {
        Shape {
            batch_size: 100,
            attributes: 0,
            attribute_size: 16,
            resources: 1,
            series: 100,
        }
    }
}

/// A whole load run.
#[derive(Clone, Debug)]
pub struct LoadConfig {
    pub signal: Signal,
    /// `host:port` (or `http://host:port` / `https://host:port`).
    pub endpoint: String,
    pub protocol: Protocol,
    pub encoding: Encoding,
    /// Plaintext when true; TLS (with `ca_file` or the built-in web roots) otherwise.
    pub insecure: bool,
    /// A PEM CA bundle that signs the server's certificate.
    pub ca_file: Option<PathBuf>,
    /// Overrides the TLS server name (defaults to the endpoint's host).
    pub server_name: Option<String>,
    pub gzip: bool,
    /// Items per second over all workers; 0 = as fast as the server answers.
    pub rate: u64,
    /// Stop after this long (counted from the first request).
    pub duration: Option<Duration>,
    /// Stop after this many items.
    pub items: Option<u64>,
    /// Concurrent connections, each with one request in flight.
    pub workers: usize,
    pub shape: Shape,
    /// Distinct pre-encoded requests to cycle through (capped by memory, see `pool`).
    pub pool_size: usize,
    /// How long one request may take before it counts as an error.
    pub request_timeout: Duration,
    /// The OTLP/HTTP path; defaults to the signal's `/v1/...`.
    pub http_path: Option<String>,
}

impl LoadConfig {
    /// A plaintext protobuf run at `endpoint` with telemetrygen-like defaults.
    pub fn new(signal: Signal, protocol: Protocol, endpoint: impl Into<String>) -> Self {
        LoadConfig {
            signal,
            endpoint: endpoint.into(),
            protocol,
            encoding: Encoding::Proto,
            insecure: true,
            ca_file: None,
            server_name: None,
            gzip: false,
            rate: 1000,
            duration: Some(Duration::from_secs(10)),
            items: None,
            workers: 1,
            shape: Shape::default(),
            pool_size: 32,
            request_timeout: Duration::from_secs(10),
            http_path: None,
        }
    }

    /// Refuses runs that could never end or make no sense.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.duration.is_none() && self.items.is_none() {
            return Err(ConfigError(
                "a run needs --duration or --items (or both): every load loop is bounded".into(),
            ));
        }
        if self.workers == 0 {
            return Err(ConfigError("--workers must be at least 1".into()));
        }
        if self.shape.batch_size == 0 {
            return Err(ConfigError("--batch-size must be at least 1".into()));
        }
        if self.shape.resources == 0 || self.shape.resources > self.shape.batch_size {
            return Err(ConfigError(format!(
                "--resources must be between 1 and --batch-size ({})",
                self.shape.batch_size
            )));
        }
        if self.shape.series == 0 {
            return Err(ConfigError("--series must be at least 1".into()));
        }
        if self.protocol == Protocol::Grpc && self.encoding == Encoding::Json {
            return Err(ConfigError(
                "--encoding json is for --protocol http; gRPC carries protobuf".into(),
            ));
        }
        if self.pool_size == 0 {
            return Err(ConfigError("--pool-size must be at least 1".into()));
        }
        Ok(())
    }
}

/// A load configuration that cannot run.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);
