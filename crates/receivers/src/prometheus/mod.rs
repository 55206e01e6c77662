//! The `prometheus` receiver: Prometheus scraping (the scrape manager of `prometheus::scrape`),
//! every scrape converted to OTLP metrics (`reference/prometheus.md`).
//!
//! Layout: [`config`] (upstream keys, refusals), [`convert`] (one scrape → one OTLP request),
//! [`start_time`] (the optional start-time adjuster), [`appender`] (the scrape manager's sink:
//! convert, adjust, hand on, count), [`observer`] (failed scrapes, discovery errors and target
//! counts as self-metrics).
//!
//! Two of upstream's feature gates are read at start:
//! * [`GATE_REMOVE_START_TIME_ADJUSTMENT`] (on by default, as in current upstream): no start
//!   times are invented. Off, as in ADOT (collector v0.115), the [`start_time`] adjuster runs.
//! * [`GATE_USE_CREATED_METRIC`] (on by default): `_created` gives the start time. Off, it is
//!   not used (and the adjuster, if on, decides).

pub mod appender;
pub mod config;
pub mod convert;
pub mod observer;
pub mod start_time;

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Instant;

use component::{
    AnyConfig, BoxFuture, Component, ComponentId, ConfigError, CreateContext, CreateError,
    FactoryInfo, Host, Kind, MetricsConsumer, ReceiverConsumers, ReceiverFactory, Signal,
    Stability, StartError,
};
use parking_lot::Mutex;
use prometheus::scrape::{RunningScrapeManager, ScrapeManager, ScrapeOptions};

pub use config::PrometheusReceiverConfig;

use appender::PipelineAppender;
use convert::ConvertOptions;
use observer::ReceiverObserver;
use start_time::StartTimeAdjuster;

/// On (the default): no invented start times. Off: the [`start_time`] adjuster runs.
pub const GATE_REMOVE_START_TIME_ADJUSTMENT: &str =
    "receiver.prometheusreceiver.RemoveStartTimeAdjustment";
/// On (the default): `_created` samples give the start time. Off: they do not.
pub const GATE_USE_CREATED_METRIC: &str = "receiver.prometheusreceiver.UseCreatedMetric";

/// What the feature gates decide for a receiver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StartTimeGates {
    pub adjust_start_times: bool,
    pub use_created_metric: bool,
}

impl Default for StartTimeGates {
    /// Both gates at their defaults (enabled).
    fn default() -> Self {
        StartTimeGates {
            adjust_start_times: false,
            use_created_metric: true,
        }
    }
}

impl StartTimeGates {
    /// From the service's gates; a gate the binary did not register keeps its default.
    pub fn from_host(host: &Host) -> Self {
        let graph = host.graph_description();
        StartTimeGates {
            adjust_start_times: !graph.gate_enabled(GATE_REMOVE_START_TIME_ADJUSTMENT),
            use_created_metric: graph.gate_enabled(GATE_USE_CREATED_METRIC),
        }
    }
}

/// Makes `prometheus` receivers.
#[derive(Debug, Default)]
pub struct PrometheusReceiverFactory;

impl FactoryInfo for PrometheusReceiverFactory {
    fn kind(&self) -> Kind {
        "prometheus"
    }

    fn decode_config(&self, node: Option<&confmap::Node>) -> Result<AnyConfig, ConfigError> {
        component::config::decode::<PrometheusReceiverConfig>(node)
    }
}

impl ReceiverFactory for PrometheusReceiverFactory {
    fn stability(&self, signal: Signal) -> Option<Stability> {
        (signal == Signal::Metrics).then_some(Stability::Beta)
    }

    fn create(
        &self,
        ctx: CreateContext,
        config: &AnyConfig,
        next: ReceiverConsumers,
    ) -> Result<Arc<dyn Component>, CreateError> {
        let Some(metrics) = next.metrics else {
            return Err(CreateError(
                "the prometheus receiver produces only metrics".to_string(),
            ));
        };
        Ok(Arc::new(PrometheusReceiver {
            id: ctx.id,
            version: ctx.build_version,
            config: config.get::<PrometheusReceiverConfig>().clone(),
            next: metrics,
            running: Mutex::new(None),
        }))
    }
}

/// A configured `prometheus` receiver.
pub struct PrometheusReceiver {
    id: ComponentId,
    version: &'static str,
    config: PrometheusReceiverConfig,
    next: MetricsConsumer,
    running: Mutex<Option<RunningScrapeManager>>,
}

impl PrometheusReceiver {
    fn manager(&self, gates: StartTimeGates) -> Result<ScrapeManager, String> {
        let prom = self
            .config
            .config
            .as_ref()
            .ok_or("no Prometheus scrape_configs or target_allocator set")?;
        // Upstream checks these files when validating; we check them when starting, so that a
        // config naming a Kubernetes service-account token validates on a workstation.
        prom.check_files()?;
        let jobs = prom.scrape_jobs()?;
        let options = ConvertOptions {
            trim_metric_suffixes: self.config.trim_metric_suffixes,
            scope_version: self.version.to_string(),
            ignore_created_metric: !gates.use_created_metric,
        };
        let mut appender = PipelineAppender::new(&self.id, options, self.next.clone());
        if gates.adjust_start_times {
            let largest_interval = jobs
                .iter()
                .map(|j| j.scrape_interval.as_duration())
                .max()
                .unwrap_or_default();
            appender = appender.with_start_time_adjuster(StartTimeAdjuster::new(
                start_time::gc_interval(largest_interval),
                Instant::now(),
            ));
        }
        let manager = ScrapeManager::from_jobs(
            jobs,
            Arc::new(appender),
            ScrapeOptions {
                user_agent: format!("ferrocol/{}", self.version),
            },
        )?;
        Ok(manager.with_observer(Arc::new(ReceiverObserver::new(&self.id))))
    }
}

impl Component for PrometheusReceiver {
    fn start<'a>(&'a self, host: &'a Host) -> BoxFuture<'a, Result<(), StartError>> {
        Box::pin(async move {
            let gates = StartTimeGates::from_host(host);
            let manager = self.manager(gates).map_err(StartError)?;
            tracing::info!(
                receiver = %self.id, jobs = ?manager.job_names(),
                adjust_start_times = gates.adjust_start_times,
                use_created_metric = gates.use_created_metric,
                "Starting the Prometheus scrape manager"
            );
            let running = manager.start();
            if let Some(previous) = self.running.lock().replace(running) {
                // Started twice: the older manager must not keep scraping.
                tokio::spawn(previous.shutdown());
            }
            Ok(())
        })
    }

    fn shutdown(&self, deadline: Instant) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let Some(running) = self.running.lock().take() else {
                return;
            };
            let deadline = tokio::time::Instant::from_std(deadline);
            if tokio::time::timeout_at(deadline, running.shutdown())
                .await
                .is_err()
            {
                tracing::warn!(receiver = %self.id, "scrape manager did not stop by the deadline");
            }
        })
    }
}
