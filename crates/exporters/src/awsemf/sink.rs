//! Where EMF events go: `output_destination: stdout` (one JSON line per event, as upstream's
//! `fmt.Println`) or `cloudwatch` (PutLogEvents to each event's log group and stream, through
//! the `aws` crate's CloudWatch Logs client, with the `x-amzn-logs-format: json/emf` header;
//! groups and streams are created on first use with `tags` and `log_retention`).

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use aws::cloudwatch_logs::{LogEvent, LogsClient, LogsSettings};
use aws::{AwsSession, AwsSessionConfig, Service};
use component::{ConsumeError, StartError};
use telemetry::ratelimit::DropLog;

use super::exporter::write_lines;
use super::translate::EmfEvent;

pub enum Sink {
    Stdout,
    CloudWatch(Box<CloudWatch>),
}

impl Sink {
    /// Connects what needs connecting (the CloudWatch session: region, endpoint, credentials).
    pub async fn start(&self) -> Result<(), StartError> {
        match self {
            Sink::Stdout => Ok(()),
            Sink::CloudWatch(cw) => cw.start().await,
        }
    }

    pub async fn write(&self, events: Vec<EmfEvent>) -> Result<(), ConsumeError> {
        match self {
            Sink::Stdout => {
                // A blocked stdout (a full pipe) must not stall a runtime worker.
                tokio::task::spawn_blocking(move || {
                    write_lines(&mut std::io::stdout().lock(), &events)
                })
                .await
                .map_err(|e| ConsumeError::permanent(format!("writing to stdout: {e}")))?
                .map_err(|e| ConsumeError::permanent(format!("writing to stdout: {e}")))
            }
            Sink::CloudWatch(cw) => cw.write(events).await,
        }
    }
}

/// The CloudWatch Logs destination; the client is made at start, when the region and
/// credentials can be resolved.
pub struct CloudWatch {
    session: AwsSessionConfig,
    settings: LogsSettings,
    /// The User-Agent suffix upstream sends: `(awsemf[; AppSignals][; ContainerInsights])`.
    user_agent: String,
    client: OnceLock<Arc<LogsClient>>,
    rejected_log: DropLog,
}

impl CloudWatch {
    pub fn new(
        session: AwsSessionConfig,
        settings: LogsSettings,
        namespace: &str,
        log_group: &str,
    ) -> Self {
        CloudWatch {
            session,
            settings,
            user_agent: user_agent(namespace, log_group),
            client: OnceLock::new(),
            rejected_log: DropLog::default(),
        }
    }

    async fn start(&self) -> Result<(), StartError> {
        if self.client.get().is_some() {
            return Ok(());
        }
        let session = AwsSession::new(&self.session, Service::LOGS)
            .await
            .map_err(|e| StartError(format!("awsemf: {e}")))?
            .with_user_agent_suffix(&self.user_agent);
        let _ = self.client.set(Arc::new(LogsClient::new(
            Arc::new(session),
            self.settings.clone(),
        )));
        Ok(())
    }

    /// Sends the events stream by stream, in order; the first failing stream's error is
    /// returned (retryable or not as the AWS error says) after the other streams were tried.
    async fn write(&self, events: Vec<EmfEvent>) -> Result<(), ConsumeError> {
        let client = self
            .client
            .get()
            .ok_or_else(|| ConsumeError::retryable("awsemf: not started"))?;
        let mut streams: BTreeMap<(String, String), Vec<LogEvent>> = BTreeMap::new();
        for e in events {
            streams
                .entry((e.log_group, e.log_stream))
                .or_default()
                .push(LogEvent {
                    timestamp_ms: e.timestamp_ms,
                    message: e.message,
                });
        }
        let mut first_error = None;
        for ((group, stream), events) in streams {
            match client.put_log_events(&group, &stream, events).await {
                Ok(report) => {
                    let lost = report.rejected + report.dropped.total();
                    if lost > 0
                        && let Some(held) = self.rejected_log.admit(lost as u64)
                    {
                        tracing::warn!(
                            log_group = %group,
                            log_stream = %stream,
                            rejected = report.rejected,
                            dropped = report.dropped.total(),
                            suppressed_events = held.events,
                            "EMF events not accepted by CloudWatch Logs"
                        );
                    }
                }
                Err(failure) => {
                    tracing::error!(
                        log_group = %group,
                        log_stream = %stream,
                        unsent = failure.unsent,
                        error = %failure.error,
                        "PutLogEvents failed"
                    );
                    if first_error.is_none() {
                        first_error = Some(if failure.error.is_retryable() {
                            ConsumeError::retryable(failure)
                        } else {
                            ConsumeError::permanent(failure)
                        });
                    }
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// Upstream's User-Agent suffix: `AppSignals` for the Application Signals namespace and group,
/// `ContainerInsights` for Container Insights groups.
fn user_agent(namespace: &str, log_group: &str) -> String {
    let mut parts = vec!["awsemf"];
    if namespace == "ApplicationSignals" && log_group.starts_with("/aws/application-signals/") {
        parts.push("AppSignals");
    }
    let insights = log_group
        .strip_prefix("/aws/")
        .and_then(|rest| rest.find("containerinsights/").map(|i| &rest[i..]))
        .and_then(|rest| rest.rsplit_once('/'))
        .is_some_and(|(_, last)| last == "performance" || last == "prometheus");
    if insights {
        parts.push("ContainerInsights");
    }
    format!("({})", parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::user_agent;

    #[test]
    fn user_agent_marks_container_insights_and_app_signals() {
        assert_eq!(user_agent("x", "/metrics/x"), "(awsemf)");
        assert_eq!(
            user_agent(
                "ECS/ContainerInsights",
                "/aws/ecs/containerinsights/prod/performance"
            ),
            "(awsemf; ContainerInsights)"
        );
        assert_eq!(
            user_agent("ApplicationSignals", "/aws/application-signals/data"),
            "(awsemf; AppSignals)"
        );
        assert_eq!(
            user_agent("x", "/aws/ecs/containerinsights/prod/other"),
            "(awsemf)"
        );
    }
}
