//! The `prometheus` receiver: Prometheus scraping (the scrape manager of `prometheus::scrape`),
//! every scrape converted to OTLP metrics (`reference/prometheus.md`).
//!
//! Layout: [`config`] (upstream keys, refusals), [`convert`] (one scrape → one OTLP request),
//! [`appender`] (the scrape manager's sink: convert, hand on, count).

pub mod appender;
pub mod config;
pub mod convert;

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
    fn manager(&self) -> Result<ScrapeManager, String> {
        let prom = self
            .config
            .config
            .as_ref()
            .ok_or("no Prometheus scrape_configs or target_allocator set")?;
        // Upstream checks these files when validating; we check them when starting, so that a
        // config naming a Kubernetes service-account token validates on a workstation.
        prom.check_files()?;
        let options = ConvertOptions {
            trim_metric_suffixes: self.config.trim_metric_suffixes,
            scope_version: self.version.to_string(),
        };
        let appender = Arc::new(PipelineAppender::new(&self.id, options, self.next.clone()));
        ScrapeManager::with_options(
            prom,
            appender,
            ScrapeOptions {
                user_agent: format!("ferrocol/{}", self.version),
            },
        )
    }
}

impl Component for PrometheusReceiver {
    fn start<'a>(&'a self, _host: &'a Host) -> BoxFuture<'a, Result<(), StartError>> {
        Box::pin(async move {
            let manager = self.manager().map_err(StartError)?;
            tracing::info!(
                receiver = %self.id, jobs = ?manager.job_names(),
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
