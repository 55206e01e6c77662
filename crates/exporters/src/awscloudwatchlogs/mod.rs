//! `awscloudwatchlogs` (contrib `exporter/awscloudwatchlogsexporter`, beta, logs): each log
//! record becomes one CloudWatch Logs event — upstream's JSON wrapper, or with `raw_log` the
//! body itself (EMF documents may name their own log group and stream) — sent with
//! PutLogEvents through `aws::cloudwatch_logs` (batched within every service limit, group and
//! stream created when missing, `log_retention` and `tags` on creation).
//!
//! Behind the exporter helper (`sending_queue` with one consumer by default, and
//! `retry_on_failure`), as upstream. A throttled or failing service is retried; a request the
//! service refuses (bad signature, access denied, invalid parameter) is permanent and dropped
//! with its error. Records left out on purpose are counted in
//! `otelcol_exporter_awscloudwatchlogs_dropped_log_records{reason}`: `not_emf` (`emf_only`),
//! `empty`, `too_old`, `too_new` (the service would refuse them) and `rejected` (listed in the
//! service's `rejectedLogEventsInfo`).
//!
//! Differences from upstream: there is no per-attempt timeout besides
//! `request_timeout_seconds` per HTTP call (upstream's implicit 5 s helper timeout can cut a
//! call that is creating the group); an event outside the accepted time range is dropped and
//! counted rather than failing the whole request; a batch is cut at the service's 1 MiB limit
//! rather than 256 KiB.

mod body;
mod config;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use aws::cloudwatch_logs::{Dropped, LogEvent, LogsClient, LogsSettings, PutReport};
use aws::{AwsSession, Service};
use component::{
    AnyConfig, BoxFuture, ComponentId, ConfigError, ConsumeError, CreateContext, CreateError,
    Exporter, ExporterFactory, FactoryInfo, Host, Kind, Signal, Stability, StartError,
};
use helpers::Sender;
use pdata::ExportLogsServiceRequest;
use pdata::payload::Payload;
use telemetry::metrics::{Counter, global};
use telemetry::ratelimit::DropLog;

use crate::shared::helped::{self, Backend, HelperSettings, Senders};

pub use config::AwsCloudWatchLogsConfig;

pub struct AwsCloudWatchLogsFactory;

impl FactoryInfo for AwsCloudWatchLogsFactory {
    fn kind(&self) -> Kind {
        "awscloudwatchlogs"
    }

    fn decode_config(&self, node: Option<&confmap::Node>) -> Result<AnyConfig, ConfigError> {
        component::config::decode::<AwsCloudWatchLogsConfig>(node)
    }
}

impl ExporterFactory for AwsCloudWatchLogsFactory {
    fn stability(&self, signal: Signal) -> Option<Stability> {
        (signal == Signal::Logs).then_some(Stability::Beta)
    }

    fn create(
        &self,
        ctx: CreateContext,
        config: &AnyConfig,
        signals: &[Signal],
    ) -> Result<Exporter, CreateError> {
        let config: &AwsCloudWatchLogsConfig = config.get();
        helped::only(Signal::Logs, signals)?;
        let sender = Arc::new(CwlSender::new(&ctx.id, config.clone()));
        helped::build(
            &ctx.id,
            HelperSettings {
                timeout: Duration::ZERO,
                queue: config.sending_queue.clone(),
                retry: config.retry_on_failure.clone(),
            },
            Senders {
                logs: Some(sender.clone()),
                ..Senders::default()
            },
            sender,
        )
    }
}

/// `otelcol_exporter_awscloudwatchlogs_dropped_log_records{exporter, reason}`.
struct DropCounters {
    not_emf: Counter,
    empty: Counter,
    too_old: Counter,
    too_new: Counter,
    rejected: Counter,
    log: DropLog,
}

impl DropCounters {
    fn new(id: &ComponentId) -> Self {
        let r = global();
        let counter = |reason: &str| {
            r.counter(
                "otelcol_exporter_awscloudwatchlogs_dropped_log_records",
                "Log records the awscloudwatchlogs exporter did not deliver, by reason.",
                vec![("exporter", id.to_string()), ("reason", reason.to_string())],
            )
        };
        DropCounters {
            not_emf: counter("not_emf"),
            empty: counter("empty"),
            too_old: counter("too_old"),
            too_new: counter("too_new"),
            rejected: counter("rejected"),
            log: DropLog::default(),
        }
    }

    fn record(&self, id: &ComponentId, not_emf: usize, dropped: Dropped, rejected: usize) {
        self.not_emf.add(not_emf as u64);
        self.empty.add(dropped.empty as u64);
        self.too_old.add(dropped.too_old as u64);
        self.too_new.add(dropped.too_new as u64);
        self.rejected.add(rejected as u64);
        let total = not_emf + dropped.total() + rejected;
        if total > 0
            && let Some(held) = self.log.admit(total as u64)
        {
            tracing::warn!(
                exporter = %id,
                not_emf,
                empty = dropped.empty,
                too_old = dropped.too_old,
                too_new = dropped.too_new,
                rejected,
                suppressed_events = held.events,
                suppressed_items = held.items,
                "Dropped log records that CloudWatch Logs does not take"
            );
        }
    }
}

struct CwlSender {
    id: ComponentId,
    config: AwsCloudWatchLogsConfig,
    client: OnceLock<LogsClient>,
    drops: DropCounters,
}

impl Backend for CwlSender {
    fn start<'a>(&'a self, _host: &'a Host) -> BoxFuture<'a, Result<(), StartError>> {
        Box::pin(self.connect())
    }
}

impl CwlSender {
    fn new(id: &ComponentId, config: AwsCloudWatchLogsConfig) -> Self {
        CwlSender {
            id: id.clone(),
            drops: DropCounters::new(id),
            config,
            client: OnceLock::new(),
        }
    }

    /// Resolves region, endpoint and credentials (a missing region fails start with
    /// upstream's `NoAwsRegion` message).
    async fn connect(&self) -> Result<(), StartError> {
        if self.client.get().is_some() {
            return Ok(());
        }
        let session = AwsSession::new(&self.config.session, Service::LOGS)
            .await
            .map_err(|e| StartError(e.to_string()))?
            .with_user_agent_suffix("(awscloudwatchlogs)");
        let client = LogsClient::new(
            Arc::new(session),
            LogsSettings {
                log_retention: self.config.log_retention,
                tags: self.config.tags.clone().unwrap_or_default(),
                // Upstream's CloudWatch Logs client marks every call as structured (EMF).
                emf: true,
            },
        );
        let _ = self.client.set(client);
        Ok(())
    }

    /// The events of a request by destination, and how many records `emf_only` left out.
    fn events(
        &self,
        req: &ExportLogsServiceRequest,
    ) -> (BTreeMap<(String, String), Vec<LogEvent>>, usize) {
        let mut streams: BTreeMap<(String, String), Vec<LogEvent>> = BTreeMap::new();
        let mut not_emf = 0usize;
        let default_dest = || {
            (
                self.config.log_group_name.clone(),
                self.config.log_stream_name.clone(),
            )
        };
        for rl in &req.resource_logs {
            let resource = rl
                .resource
                .as_ref()
                .and_then(|r| body::resource_map(&r.attributes));
            for sl in &rl.scope_logs {
                for record in &sl.log_records {
                    let timestamp_ms = (record.time_unix_nano / 1_000_000) as i64;
                    let (dest, message) = if self.config.raw_log {
                        let text = body::as_string(record.body.as_ref());
                        match body::emf_destination(&text) {
                            Some((group, stream)) => (
                                (
                                    group,
                                    stream.unwrap_or_else(|| self.config.log_stream_name.clone()),
                                ),
                                text,
                            ),
                            None if self.config.emf_only => {
                                not_emf += 1;
                                continue;
                            }
                            None => (default_dest(), text),
                        }
                    } else {
                        (
                            default_dest(),
                            body::wrapped(resource.as_ref(), sl.scope.as_ref(), record),
                        )
                    };
                    streams.entry(dest).or_default().push(LogEvent {
                        timestamp_ms,
                        message,
                    });
                }
            }
        }
        (streams, not_emf)
    }
}

impl Sender<ExportLogsServiceRequest> for CwlSender {
    fn send(
        &self,
        data: Payload<ExportLogsServiceRequest>,
    ) -> BoxFuture<'_, Result<(), ConsumeError>> {
        Box::pin(async move {
            let client = self
                .client
                .get()
                .ok_or_else(|| ConsumeError::retryable("exporter not started"))?;
            let req = data.message().map_err(ConsumeError::permanent)?;
            let (streams, not_emf) = self.events(&req);
            let mut dropped = Dropped::default();
            let mut rejected = 0usize;
            let mut failure: Option<aws::AwsError> = None;
            for ((group, stream), events) in streams {
                let report: PutReport = match client.put_log_events(&group, &stream, events).await {
                    Ok(report) => report,
                    Err(f) => {
                        let report = f.report.clone();
                        // Keep the first failure; a retryable one wins so the helper retries.
                        if failure
                            .as_ref()
                            .is_none_or(|prev| !prev.is_retryable() && f.error.is_retryable())
                        {
                            failure = Some(f.error);
                        }
                        report
                    }
                };
                dropped.add(report.dropped);
                rejected += report.rejected;
            }
            self.drops.record(&self.id, not_emf, dropped, rejected);
            match failure {
                None => Ok(()),
                Some(e) if e.is_retryable() => Err(ConsumeError::retryable(e.to_string())),
                Some(e) => Err(ConsumeError::permanent(e.to_string())),
            }
        })
    }
}
