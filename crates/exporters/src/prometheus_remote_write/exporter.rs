//! The running exporter: the exporter helper's queue in front (one consumer, no helper retry),
//! translation and splitting in [`Sender::send`], then either the concurrent senders directly or
//! the write-ahead log and its reader task.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use component::auth::resolve_client_authenticator;
use component::{
    BoxFuture, Component, ComponentId, ConsumeError, CreateContext, CreateError, Host, Signal,
    StartError,
};
use futures::StreamExt;
use helpers::{ExporterHelper, QueueConfig, RetryConfig, Sender};
use parking_lot::Mutex;
use pdata::ExportMetricsServiceRequest;
use pdata::payload::Payload;
use prometheus::remote;
use telemetry::metrics::{Counter, global};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::client::RemoteWriteClient;
use super::config::PrometheusRemoteWriteConfig;
use super::retry::with_retry;
use super::translate::{self, Settings};
use super::wal::{Record, Wal};

/// The exporter's own self-metrics (upstream `metadata.yaml`), labelled `exporter`.
struct Obs {
    failed_translations: Counter,
    translated_time_series: Counter,
    sent_batches: Counter,
    /// The helper's `send_failed` series, for requests the WAL reader gives up on.
    send_failed: Counter,
}

impl Obs {
    fn new(id: &ComponentId) -> Self {
        let labels = || vec![("exporter", id.to_string())];
        let r = global();
        Obs {
            failed_translations: r.counter(
                "otelcol_exporter_prometheusremotewrite_failed_translations",
                "Number of translation operations that failed to translate metrics from Otel to Prometheus",
                labels(),
            ),
            translated_time_series: r.counter(
                "otelcol_exporter_prometheusremotewrite_translated_time_series",
                "Number of Prometheus time series that were translated from OTel metrics",
                labels(),
            ),
            sent_batches: r.counter(
                "otelcol_exporter_prometheusremotewrite_sent_batches",
                "Number of remote write request batches sent to the remote write endpoint regardless of success or failure",
                labels(),
            ),
            send_failed: r.counter(
                "otelcol_exporter_send_failed_metric_points",
                "Number of items in failed attempts to send to destination.",
                labels(),
            ),
        }
    }
}

pub(super) struct RemoteWrite {
    id: String,
    config: PrometheusRemoteWriteConfig,
    settings: Settings,
    user_agent: String,
    client: Mutex<Option<Arc<RemoteWriteClient>>>,
    wal: Mutex<Option<Arc<Wal>>>,
    obs: Obs,
}

struct PrwComponent {
    exporter: Arc<RemoteWrite>,
    helper: Arc<ExporterHelper<ExportMetricsServiceRequest>>,
    /// The WAL reader task, its stop signal and its shutdown-deadline signal.
    reader: Mutex<Option<(JoinHandle<()>, CancellationToken, CancellationToken)>>,
}

/// The exporter's lifecycle and its metrics consumer (the helper).
type Built = (
    Arc<dyn Component>,
    Arc<ExporterHelper<ExportMetricsServiceRequest>>,
);

pub(super) fn build(
    ctx: &CreateContext,
    config: &PrometheusRemoteWriteConfig,
) -> Result<Built, CreateError> {
    let settings = Settings {
        namespace: config.namespace.clone(),
        external_labels: config.sanitized_external_labels(),
        strategy: config.strategy(),
        resource_to_telemetry: config.resource_to_telemetry_conversion.enabled,
        target_info: config.target_info.enabled,
        send_metadata: config.send_metadata,
        export_created: config.export_created_metric.enabled,
    };
    let exporter = Arc::new(RemoteWrite {
        id: ctx.id.to_string(),
        config: config.clone(),
        settings,
        user_agent: format!("ferrocol/{}", ctx.build_version),
        client: Mutex::new(None),
        wal: Mutex::new(None),
        obs: Obs::new(&ctx.id),
    });
    // Upstream: the queue has one consumer (`num_consumers` is the request concurrency), and
    // the helper neither retries nor times out — each request does both itself.
    let queue = QueueConfig {
        enabled: config.remote_write_queue.enabled,
        queue_size: config.remote_write_queue.queue_size,
        num_consumers: 1,
        ..QueueConfig::default()
    };
    let retry = RetryConfig {
        enabled: false,
        ..RetryConfig::default()
    };
    let helper = ExporterHelper::new(
        &ctx.id,
        Signal::Metrics,
        Duration::ZERO,
        queue,
        retry,
        exporter.clone(),
    )
    .map(Arc::new)
    .map_err(CreateError)?;
    let component = Arc::new(PrwComponent {
        exporter,
        helper: helper.clone(),
        reader: Mutex::new(None),
    });
    Ok((component, helper))
}

impl RemoteWrite {
    fn client(&self) -> Result<Arc<RemoteWriteClient>, ConsumeError> {
        self.client
            .lock()
            .clone()
            .ok_or_else(|| ConsumeError::retryable("prometheus_remote_write exporter not started"))
    }

    /// Translates and splits one OTLP request into compressed bodies, each with the share of
    /// the request's points it carries.
    fn prepare(
        &self,
        data: &Payload<ExportMetricsServiceRequest>,
    ) -> Result<Vec<(u32, Bytes)>, ConsumeError> {
        let message = data.message().map_err(ConsumeError::permanent)?;
        let translated = translate::translate(&message, &self.settings);
        self.obs
            .translated_time_series
            .add(translated.series.len() as u64);
        if !translated.errors.is_empty() {
            self.obs.failed_translations.add(1);
            tracing::warn!(
                exporter = %self.id,
                dropped_data_points = translated.dropped_points,
                errors = %translated.errors.join("; "),
                "failed to translate metrics, exporting remaining metrics"
            );
        }
        let (requests, oversized) = remote::batch(
            translated.series,
            translated.metadata,
            self.config.max_batch_bytes(),
        );
        if oversized > 0 {
            tracing::warn!(
                exporter = %self.id, series = oversized, max_batch_size_bytes = self.config.max_batch_bytes(),
                "a series is larger than max_batch_size_bytes on its own; it is sent in a request of its own"
            );
        }
        // Points are shared out by samples, so a request refused later counts its share.
        let samples: Vec<usize> = requests
            .iter()
            .map(|r| {
                r.timeseries
                    .iter()
                    .map(|t| t.samples.len() + t.histograms.len())
                    .sum::<usize>()
                    .max(1)
            })
            .collect();
        let total_samples: usize = samples.iter().sum();
        let points = data.items();
        let mut given = 0usize;
        let count = requests.len();
        Ok(requests
            .iter()
            .zip(samples)
            .enumerate()
            .map(|(i, (r, s))| {
                let share = if i + 1 == count {
                    points - given
                } else {
                    points * s / total_samples.max(1)
                };
                given += share;
                (
                    u32::try_from(share).unwrap_or(u32::MAX),
                    Bytes::from(remote::encode_compressed(r)),
                )
            })
            .collect())
    }

    /// Sends one body, retrying as configured (or until it is sent or refused, `forever`).
    async fn send_one(
        &self,
        client: &RemoteWriteClient,
        body: Bytes,
        forever: bool,
    ) -> Result<(), ConsumeError> {
        with_retry(&self.config.retry_on_failure, forever, &self.id, || {
            self.obs.sent_batches.add(1);
            client.send(body.clone())
        })
        .await
    }

    /// Sends the bodies `num_consumers` at a time; the error combines the failed ones.
    async fn send_all(&self, bodies: Vec<Bytes>) -> Result<(), ConsumeError> {
        let client = self.client()?;
        let errors: Vec<ConsumeError> = futures::stream::iter(bodies)
            .map(|b| self.send_one(&client, b, false))
            .buffer_unordered(self.config.concurrency())
            .filter_map(|r| async move { r.err() })
            .collect()
            .await;
        match ConsumeError::combine(errors) {
            None => Ok(()),
            Some(e) => Err(e),
        }
    }

    /// The WAL reader: sends stored requests in order, `buffer_size` at a time. After `stop` it
    /// keeps sending until the log is empty; `hard_stop` (the shutdown deadline) ends it at once,
    /// leaving what is not sent stored for the next start.
    async fn run_wal(
        self: Arc<Self>,
        wal: Arc<Wal>,
        stop: CancellationToken,
        hard_stop: CancellationToken,
    ) {
        let (buffer, truncate_every) = match self.config.wal.get() {
            Some(w) => (
                w.buffer_size.max(1) as usize,
                w.truncate_frequency.to_std_saturating(),
            ),
            None => (300, Duration::from_secs(60)),
        };
        let mut truncate = tokio::time::interval(truncate_every);
        truncate.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        while !hard_stop.is_cancelled() {
            let batch = match wal.read_batch(buffer) {
                Ok(b) => b,
                Err(error) => {
                    tracing::error!(exporter = %self.id, %error, "wal: cannot read the log; retrying in 1s");
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_secs(1)) => {}
                        () = hard_stop.cancelled() => {}
                    }
                    continue;
                }
            };
            if batch.is_empty() {
                if stop.is_cancelled() {
                    break;
                }
                tokio::select! {
                    () = wal.appended.notified() => {}
                    () = stop.cancelled() => {}
                    _ = truncate.tick() => self.truncate(&wal),
                }
                continue;
            }
            let done = self.send_records(&batch, &hard_stop).await;
            if let Err(error) = wal.commit(batch[0].index + done as u64) {
                tracing::error!(exporter = %self.id, %error, "wal: cannot record progress");
            }
        }
        self.truncate(&wal);
        let left = wal.pending();
        if left > 0 {
            tracing::info!(
                exporter = %self.id, requests = left,
                "Requests remain in the write-ahead log; they will be sent after the next start."
            );
        }
    }

    fn truncate(&self, wal: &Wal) {
        if let Err(error) = wal.truncate() {
            tracing::error!(exporter = %self.id, %error, "wal: cannot truncate the log");
        }
    }

    /// Sends a round of stored requests, one at a time and in order; returns how many from the
    /// first were dealt with (sent, or permanently refused and counted). Stored requests are not
    /// sent side by side: consecutive requests carry newer samples of the same series (at least
    /// `target_info`), and Prometheus refuses a whole request with one sample older than what it
    /// already has (`out of order sample`).
    async fn send_records(&self, batch: &[Record], stop: &CancellationToken) -> usize {
        let Ok(client) = self.client() else {
            return 0;
        };
        let owned: Vec<(usize, u32, Bytes)> = batch
            .iter()
            .enumerate()
            .map(|(i, r)| (i, r.points, Bytes::from(r.body.clone())))
            .collect();
        let results: Vec<(usize, bool)> = futures::stream::iter(owned)
            .map(|(i, points, body)| {
                let client = client.clone();
                async move {
                    let outcome = tokio::select! {
                        res = self.send_one(&client, body, true) => Some(res),
                        () = stop.cancelled() => None,
                    };
                    match outcome {
                        Some(Ok(())) => (i, true),
                        Some(Err(error)) => {
                            self.obs.send_failed.add(u64::from(points));
                            tracing::error!(
                                exporter = %self.id, %error, dropped_items = points,
                                "Exporting failed. Dropping data."
                            );
                            (i, true)
                        }
                        None => (i, false),
                    }
                }
            })
            .buffered(1)
            .collect()
            .await;
        let mut done = vec![false; batch.len()];
        for (i, ok) in results {
            done[i] = ok;
        }
        done.iter().take_while(|d| **d).count()
    }
}

impl Sender<ExportMetricsServiceRequest> for RemoteWrite {
    fn send(
        &self,
        data: Payload<ExportMetricsServiceRequest>,
    ) -> BoxFuture<'_, Result<(), ConsumeError>> {
        Box::pin(async move {
            let bodies = self.prepare(&data)?;
            if bodies.is_empty() {
                return Ok(());
            }
            let wal = self.wal.lock().clone();
            match wal {
                Some(wal) => {
                    let records: Vec<(u32, Vec<u8>)> =
                        bodies.into_iter().map(|(p, b)| (p, b.to_vec())).collect();
                    tokio::task::spawn_blocking(move || wal.append(&records))
                        .await
                        .unwrap_or_else(|e| Err(format!("the wal task failed: {e}")))
                        .map_err(|e| {
                            ConsumeError::retryable(format!("failed to write to the wal: {e}"))
                        })
                }
                None => {
                    self.send_all(bodies.into_iter().map(|(_, b)| b).collect())
                        .await
                }
            }
        })
    }
}

impl Component for PrwComponent {
    fn start<'a>(&'a self, host: &'a Host) -> BoxFuture<'a, Result<(), StartError>> {
        Box::pin(async move {
            let e = &self.exporter;
            let auth = match e.config.auth.get() {
                Some(a) => {
                    let id = ComponentId::parse(&a.authenticator)
                        .map_err(|err| StartError(format!("auth::authenticator: {err}")))?;
                    Some(resolve_client_authenticator(host, &id).map_err(StartError)?)
                }
                None => None,
            };
            let client =
                RemoteWriteClient::new(&e.config, &e.user_agent, auth).map_err(StartError)?;
            tracing::debug!(exporter = %e.id, url = %client.url, "remote write client ready");
            *e.client.lock() = Some(Arc::new(client));
            if let Some(w) = e.config.wal.get() {
                let dir = PathBuf::from(&w.directory);
                let wal = tokio::task::spawn_blocking(move || Wal::open(&dir))
                    .await
                    .map_err(|err| StartError(err.to_string()))?
                    .map_err(StartError)?;
                let wal = Arc::new(wal);
                if wal.pending() > 0 {
                    tracing::info!(
                        exporter = %e.id, requests = wal.pending(),
                        "Sending requests the previous run left in the write-ahead log."
                    );
                }
                *e.wal.lock() = Some(wal.clone());
                let (stop, hard_stop) = (CancellationToken::new(), CancellationToken::new());
                let task = tokio::spawn(e.clone().run_wal(wal, stop.clone(), hard_stop.clone()));
                *self.reader.lock() = Some((task, stop, hard_stop));
            }
            self.helper.start_with_host(host).map_err(StartError)
        })
    }

    fn shutdown(&self, deadline: Instant) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            self.helper.shutdown(deadline).await;
            let reader = self.reader.lock().take();
            if let Some((mut task, stop, hard_stop)) = reader {
                // The queue drained into the log; the reader sends what it can by the deadline.
                stop.cancel();
                let left = deadline.saturating_duration_since(Instant::now());
                if tokio::time::timeout(left, &mut task).await.is_err() {
                    hard_stop.cancel();
                    let _ = task.await;
                }
            }
            self.exporter.client.lock().take();
            self.exporter.wal.lock().take();
        })
    }
}
