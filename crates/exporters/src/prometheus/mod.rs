//! `prometheus` exporter (contrib `exporter/prometheusexporter`, beta): keeps the latest value
//! of every series it is given and serves them on `http://<endpoint>/metrics` for Prometheus to
//! scrape — text 0.0.4, or OpenMetrics 1.0 when `enable_open_metrics` is set and the scraper's
//! `Accept` asks for it.
//!
//! Names and labels as `prometheus_remote_write` builds them (`prometheus::naming`), plus the
//! scope labels `otel_scope_name`/`_version`/`_schema_url` (unless `without_scope_info`) and
//! `const_labels`; `target_info` (gauge, 1) per resource with `job` or `instance`.
//! Accumulation and expiry: see [`accumulator`].
//!
//! Differences from upstream: no TLS/CORS/auth on the endpoint (unknown keys are refused);
//! exponential histograms are dropped (counted, logged once per metric) rather than exposed as
//! native histograms, which only the protobuf format carries; responses are not gzip-compressed.

mod accumulator;
mod config;
mod render;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use component::{
    AnyConfig, BoxFuture, ConfigError, ConsumeError, CreateContext, CreateError, Exporter,
    ExporterFactory, FactoryInfo, Host, Kind, Signal, Stability, StartError,
};
use helpers::Sender;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use parking_lot::Mutex;
use pdata::ExportMetricsServiceRequest;
use pdata::payload::Payload;

pub use config::PrometheusExporterConfig;

use accumulator::{Accumulator, Settings};

use crate::shared::helped::{self, Backend, HelperSettings, Senders};

pub struct PrometheusExporterFactory;

impl FactoryInfo for PrometheusExporterFactory {
    fn kind(&self) -> Kind {
        "prometheus"
    }

    fn decode_config(&self, node: Option<&confmap::Node>) -> Result<AnyConfig, ConfigError> {
        component::config::decode::<PrometheusExporterConfig>(node)
    }
}

impl ExporterFactory for PrometheusExporterFactory {
    fn stability(&self, signal: Signal) -> Option<Stability> {
        (signal == Signal::Metrics).then_some(Stability::Beta)
    }

    fn create(
        &self,
        ctx: CreateContext,
        config: &AnyConfig,
        signals: &[Signal],
    ) -> Result<Exporter, CreateError> {
        helped::only(Signal::Metrics, signals)?;
        let config: &PrometheusExporterConfig = config.get();
        let state = Arc::new(State {
            id: ctx.id.to_string(),
            settings: Settings {
                namespace: config.namespace.clone(),
                strategy: config.strategy(),
                resource_to_telemetry: config.resource_to_telemetry_conversion.enabled,
                without_scope_info: config.without_scope_info,
                const_labels: config.const_labels(),
            },
            config: config.clone(),
            acc: Mutex::new(Accumulator::default()),
        });
        // No queue and no retry, as upstream: a point is in the exposition once consumed.
        helped::build(
            &ctx.id,
            HelperSettings::counting_only(),
            Senders {
                metrics: Some(state.clone()),
                ..Senders::default()
            },
            Arc::new(PullServer {
                state,
                server: Mutex::new(None),
            }),
        )
    }
}

struct State {
    id: String,
    config: PrometheusExporterConfig,
    settings: Settings,
    acc: Mutex<Accumulator>,
}

impl State {
    fn scrape(&self, accept: Option<&str>) -> (String, &'static str) {
        let openmetrics = self.config.enable_open_metrics && render::wants_openmetrics(accept);
        let mut acc = self.acc.lock();
        acc.expire(
            Instant::now(),
            self.config.metric_expiration.to_std_saturating(),
        );
        let body = render::render(
            &acc,
            &self.settings.namespace,
            openmetrics,
            self.config.send_timestamps,
        );
        let content_type = if openmetrics {
            render::OPENMETRICS_CONTENT_TYPE
        } else {
            render::TEXT_CONTENT_TYPE
        };
        (body, content_type)
    }
}

impl Sender<ExportMetricsServiceRequest> for State {
    fn send(
        &self,
        data: Payload<ExportMetricsServiceRequest>,
    ) -> BoxFuture<'_, Result<(), ConsumeError>> {
        Box::pin(async move {
            let message = data.message().map_err(ConsumeError::permanent)?;
            self.acc
                .lock()
                .accumulate(&message, &self.settings, Instant::now());
            Ok(())
        })
    }
}

/// The scrape endpoint: bound at start, closed once the helper drained.
struct PullServer {
    state: Arc<State>,
    server: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// Binds like Go's `net.Listen`: `:port` is every interface.
async fn bind(endpoint: &str) -> Result<tokio::net::TcpListener, String> {
    let target = match endpoint.strip_prefix(':') {
        Some(port) => format!("0.0.0.0:{port}"),
        None => endpoint.to_string(),
    };
    tokio::net::TcpListener::bind(&target)
        .await
        .map_err(|e| format!("failed to bind to address {endpoint}: {e}"))
}

fn respond(
    state: &State,
    req: &http::Request<hyper::body::Incoming>,
) -> http::Response<Full<Bytes>> {
    let builder = http::Response::builder();
    if req.uri().path() != "/metrics" {
        return builder
            .status(404)
            .header("content-type", "text/plain; charset=utf-8")
            .body(Full::new(Bytes::from_static(b"404 page not found\n")))
            .unwrap_or_default();
    }
    let accept = req
        .headers()
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok());
    let (body, content_type) = state.scrape(accept);
    builder
        .status(200)
        .header("content-type", content_type)
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_default()
}

impl Backend for PullServer {
    fn start<'a>(&'a self, _host: &'a Host) -> BoxFuture<'a, Result<(), StartError>> {
        Box::pin(async move {
            let listener = bind(&self.state.config.endpoint)
                .await
                .map_err(StartError)?;
            let state = self.state.clone();
            let task = tokio::spawn(async move {
                let mut connections = tokio::task::JoinSet::new();
                loop {
                    tokio::select! {
                        accepted = listener.accept() => match accepted {
                            Ok((stream, _)) => {
                                let _ = stream.set_nodelay(true);
                                let state = state.clone();
                                connections.spawn(async move {
                                    let service = service_fn(move |req| {
                                        let response = respond(&state, &req);
                                        async move { Ok::<_, std::convert::Infallible>(response) }
                                    });
                                    let _ = auto::Builder::new(TokioExecutor::new())
                                        .serve_connection(TokioIo::new(stream), service)
                                        .await;
                                });
                            }
                            Err(e) => {
                                tracing::warn!(exporter = %state.id, error = %e, "failed to accept a scrape connection");
                                tokio::time::sleep(Duration::from_millis(50)).await;
                            }
                        },
                        Some(_) = connections.join_next(), if !connections.is_empty() => {}
                    }
                }
            });
            *self.server.lock() = Some(task);
            Ok(())
        })
    }

    fn shutdown(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if let Some(task) = self.server.lock().take() {
                task.abort();
            }
        })
    }
}

#[cfg(test)]
mod tests;
