//! An exporter made of one backend and one [`ExporterHelper`] per signal, so `timeout`,
//! `sending_queue` and `retry_on_failure` behave as upstream's exporterhelper for every exporter
//! that uses it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use component::{
    BoxFuture, Component, ComponentId, CreateError, Exporter, Host, LogsConsumer, MetricsConsumer,
    Signal, StartError, TracesConsumer,
};
use helpers::{ExporterHelper, QueueConfig, RetryConfig, Sender};
use pdata::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};

/// The exporter-specific part of start and shutdown (connect, open a file, flush).
pub trait Backend: Send + Sync + 'static {
    fn start<'a>(&'a self, _host: &'a Host) -> BoxFuture<'a, Result<(), StartError>> {
        Box::pin(async { Ok(()) })
    }
    /// Called after the helpers drained, so nothing is sent any more.
    fn shutdown(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

/// A sender for all three signals.
pub trait AllSignals:
    Sender<ExportTraceServiceRequest>
    + Sender<ExportMetricsServiceRequest>
    + Sender<ExportLogsServiceRequest>
{
}
impl<T> AllSignals for T where
    T: Sender<ExportTraceServiceRequest>
        + Sender<ExportMetricsServiceRequest>
        + Sender<ExportLogsServiceRequest>
{
}

/// The helper settings of one exporter.
pub struct HelperSettings {
    pub timeout: Duration,
    pub queue: QueueConfig,
    pub retry: RetryConfig,
}

struct Helped {
    backend: Arc<dyn Backend>,
    traces: Option<Arc<ExporterHelper<ExportTraceServiceRequest>>>,
    metrics: Option<Arc<ExporterHelper<ExportMetricsServiceRequest>>>,
    logs: Option<Arc<ExporterHelper<ExportLogsServiceRequest>>>,
}

/// Builds the exporter for the requested signals.
pub fn build<S: AllSignals>(
    id: &ComponentId,
    signals: &[Signal],
    settings: HelperSettings,
    sender: Arc<S>,
    backend: Arc<dyn Backend>,
) -> Result<Exporter, CreateError> {
    fn helper<M: pdata::payload::Request>(
        id: &ComponentId,
        signal: Signal,
        s: &HelperSettings,
        sender: Arc<dyn Sender<M>>,
    ) -> Result<Arc<ExporterHelper<M>>, CreateError> {
        ExporterHelper::new(
            id,
            signal,
            s.timeout,
            s.queue.clone(),
            s.retry.clone(),
            sender,
        )
        .map(Arc::new)
        .map_err(CreateError)
    }
    let wants = |s: Signal| signals.contains(&s);
    let traces = if wants(Signal::Traces) {
        Some(helper::<ExportTraceServiceRequest>(
            id,
            Signal::Traces,
            &settings,
            sender.clone(),
        )?)
    } else {
        None
    };
    let metrics = if wants(Signal::Metrics) {
        Some(helper::<ExportMetricsServiceRequest>(
            id,
            Signal::Metrics,
            &settings,
            sender.clone(),
        )?)
    } else {
        None
    };
    let logs = if wants(Signal::Logs) {
        Some(helper::<ExportLogsServiceRequest>(
            id,
            Signal::Logs,
            &settings,
            sender,
        )?)
    } else {
        None
    };
    let component = Arc::new(Helped {
        backend,
        traces: traces.clone(),
        metrics: metrics.clone(),
        logs: logs.clone(),
    });
    Ok(Exporter {
        component,
        traces: traces.map(|h| h as TracesConsumer),
        metrics: metrics.map(|h| h as MetricsConsumer),
        logs: logs.map(|h| h as LogsConsumer),
    })
}

impl Component for Helped {
    fn start<'a>(&'a self, host: &'a Host) -> BoxFuture<'a, Result<(), StartError>> {
        Box::pin(async move {
            self.backend.start(host).await?;
            for started in [
                self.traces.as_ref().map(|h| h.start_with_host(host)),
                self.metrics.as_ref().map(|h| h.start_with_host(host)),
                self.logs.as_ref().map(|h| h.start_with_host(host)),
            ]
            .into_iter()
            .flatten()
            {
                started.map_err(StartError)?;
            }
            Ok(())
        })
    }

    fn shutdown(&self, deadline: Instant) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            // The signals drain side by side: each has the whole remaining time.
            let traces = async {
                if let Some(h) = &self.traces {
                    h.shutdown(deadline).await
                }
            };
            let metrics = async {
                if let Some(h) = &self.metrics {
                    h.shutdown(deadline).await
                }
            };
            let logs = async {
                if let Some(h) = &self.logs {
                    h.shutdown(deadline).await
                }
            };
            futures::join!(traces, metrics, logs);
            self.backend.shutdown().await;
        })
    }
}
