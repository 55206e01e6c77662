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

impl HelperSettings {
    /// No timeout, no queue, no retry: the helper only counts and hands on (exporters that
    /// upstream builds without exporterhelper's queue and retry, such as `awsemf`).
    pub fn counting_only() -> Self {
        HelperSettings {
            timeout: Duration::ZERO,
            queue: QueueConfig {
                enabled: false,
                ..QueueConfig::default()
            },
            retry: RetryConfig {
                enabled: false,
                ..RetryConfig::default()
            },
        }
    }
}

/// The signals an exporter sends, each with its sender.
#[derive(Default)]
pub struct Senders {
    pub traces: Option<Arc<dyn Sender<ExportTraceServiceRequest>>>,
    pub metrics: Option<Arc<dyn Sender<ExportMetricsServiceRequest>>>,
    pub logs: Option<Arc<dyn Sender<ExportLogsServiceRequest>>>,
}

impl Senders {
    /// One sender for each of the requested signals.
    pub fn all<S: AllSignals>(sender: Arc<S>, signals: &[Signal]) -> Self {
        let wants = |s: Signal| signals.contains(&s);
        Senders {
            traces: wants(Signal::Traces)
                .then(|| sender.clone() as Arc<dyn Sender<ExportTraceServiceRequest>>),
            metrics: wants(Signal::Metrics)
                .then(|| sender.clone() as Arc<dyn Sender<ExportMetricsServiceRequest>>),
            logs: wants(Signal::Logs)
                .then_some(sender as Arc<dyn Sender<ExportLogsServiceRequest>>),
        }
    }
}

/// For an exporter of one signal: refuses pipelines of any other with upstream's message.
pub fn only(signal: Signal, signals: &[Signal]) -> Result<(), CreateError> {
    match signals.iter().find(|s| **s != signal) {
        Some(other) => Err(CreateError(format!(
            "telemetry type is not supported: {other}"
        ))),
        None => Ok(()),
    }
}

struct Helped {
    backend: Arc<dyn Backend>,
    traces: Option<Arc<ExporterHelper<ExportTraceServiceRequest>>>,
    metrics: Option<Arc<ExporterHelper<ExportMetricsServiceRequest>>>,
    logs: Option<Arc<ExporterHelper<ExportLogsServiceRequest>>>,
}

/// Builds the exporter: one helper per sender.
pub fn build(
    id: &ComponentId,
    settings: HelperSettings,
    senders: Senders,
    backend: Arc<dyn Backend>,
) -> Result<Exporter, CreateError> {
    fn helper<M: pdata::payload::Request>(
        id: &ComponentId,
        signal: Signal,
        s: &HelperSettings,
        sender: Option<Arc<dyn Sender<M>>>,
    ) -> Result<Option<Arc<ExporterHelper<M>>>, CreateError> {
        let Some(sender) = sender else {
            return Ok(None);
        };
        ExporterHelper::new(
            id,
            signal,
            s.timeout,
            s.queue.clone(),
            s.retry.clone(),
            sender,
        )
        .map(|h| Some(Arc::new(h)))
        .map_err(CreateError)
    }
    let traces = helper(id, Signal::Traces, &settings, senders.traces)?;
    let metrics = helper(id, Signal::Metrics, &settings, senders.metrics)?;
    let logs = helper(id, Signal::Logs, &settings, senders.logs)?;
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
