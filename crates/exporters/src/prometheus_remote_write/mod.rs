//! `prometheus_remote_write` (contrib `exporter/prometheusremotewriteexporter`, beta; deprecated
//! alias `prometheusremotewrite`): translates OTLP metrics to Prometheus series and sends them
//! with the remote write 1.0 protocol (snappy block `prompb.WriteRequest`), e.g. to Amazon
//! Managed Service for Prometheus with `auth: {authenticator: sigv4auth}`.
//!
//! ```text
//! consume ─► remote_write_queue (1 consumer) ─► translate ─► split at max_batch_size_bytes
//!        ─► [wal: store, then a reader sends] ─► num_consumers requests at once, each retried
//! ```
//!
//! - Translation: [`translate`] (names from `prometheus::naming`, labels, histograms,
//!   summaries, exponential histograms as native histograms, `target_info`).
//! - Each request is retried on its own (upstream turns the exporter helper's retry off for
//!   this exporter): 5xx, transport errors and 429 (after at least `Retry-After`) retry; other
//!   statuses are permanent and the error carries the response body (e.g. `out of order
//!   sample`).
//! - The client authenticator is called right before each attempt with the exact compressed
//!   body, so a signing authenticator (SigV4) signs what is sent.
//!
//! Differences from upstream: 429 is always retried (upstream only with the alpha gate
//! `exporter.prometheusremotewritexporter.RetryOn429`); translation errors are logged at WARN
//! (upstream DEBUG); the WAL is ferrocol's own format (see [`wal`]), its reader retries a
//! stored request until it is sent or permanently refused (regardless of `max_elapsed_time`),
//! `wal.buffer_size` is the number of stored requests read per round, and stored requests are
//! sent one at a time in order (consecutive requests carry newer samples of the same series, so
//! sending them side by side gets `out of order sample` refusals).

mod client;
mod config;
mod exporter;
mod native_histogram;
mod retry;
pub mod translate;
mod wal;

use std::sync::Arc;

use component::{
    AnyConfig, ConfigError, CreateContext, CreateError, Exporter, ExporterFactory, FactoryInfo,
    Kind, MetricsConsumer, Signal, Stability,
};

pub use config::{EnabledFlag, PrometheusRemoteWriteConfig, RemoteWriteQueue, WalConfig};

pub struct PrometheusRemoteWriteFactory;

impl FactoryInfo for PrometheusRemoteWriteFactory {
    fn kind(&self) -> Kind {
        "prometheus_remote_write"
    }

    fn deprecated_kinds(&self) -> &'static [Kind] {
        &["prometheusremotewrite"]
    }

    fn decode_config(&self, node: Option<&confmap::Node>) -> Result<AnyConfig, ConfigError> {
        component::config::decode::<PrometheusRemoteWriteConfig>(node)
    }
}

impl ExporterFactory for PrometheusRemoteWriteFactory {
    fn stability(&self, signal: Signal) -> Option<Stability> {
        (signal == Signal::Metrics).then_some(Stability::Beta)
    }

    fn create(
        &self,
        ctx: CreateContext,
        config: &AnyConfig,
        signals: &[Signal],
    ) -> Result<Exporter, CreateError> {
        if let Some(s) = signals.iter().find(|s| **s != Signal::Metrics) {
            return Err(CreateError(format!("telemetry type is not supported: {s}")));
        }
        let config: &PrometheusRemoteWriteConfig = config.get();
        let (component, consumer) = exporter::build(&ctx, config)?;
        Ok(Exporter {
            component,
            traces: None,
            metrics: Some(consumer as MetricsConsumer),
            logs: None,
        })
    }
}

/// The factory, as `components.rs` registers it.
pub fn factory() -> Arc<dyn ExporterFactory> {
    Arc::new(PrometheusRemoteWriteFactory)
}
