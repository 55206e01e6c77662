//! The PutLogEvents client.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::LogEvent;
use super::batch::{Dropped, prepare};
use crate::error::AwsError;
use crate::session::AwsSession;

/// What applies to groups this client creates, and how events are marked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogsSettings {
    /// Days; `PutRetentionPolicy` after creating a group when non-zero.
    pub log_retention: i64,
    /// Tags of a created group.
    pub tags: BTreeMap<String, String>,
    /// Send `x-amzn-logs-format: json/emf` (the events are Embedded Metric Format).
    pub emf: bool,
}

/// What one [`LogsClient::put_log_events`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PutReport {
    /// Events the service accepted (sent minus `rejected`).
    pub sent: usize,
    /// PutLogEvents calls that succeeded.
    pub batches: usize,
    /// Events the service listed in `rejectedLogEventsInfo` (too old, too new, expired).
    pub rejected: usize,
    /// Events dropped before sending (empty, or out of the accepted time range).
    pub dropped: Dropped,
    /// Events cut to the 256 KiB event limit.
    pub truncated: usize,
    /// Whether the group or stream had to be created.
    pub created: bool,
}

/// A failed put: the error of the batch that failed, what went out before it, and how many
/// events were not sent.
#[derive(Clone, Debug)]
pub struct PutFailure {
    pub error: AwsError,
    pub report: PutReport,
    pub unsent: usize,
}

impl std::fmt::Display for PutFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.error)
    }
}

impl std::error::Error for PutFailure {}

/// A CloudWatch Logs client on one session.
#[derive(Clone, Debug)]
pub struct LogsClient {
    session: Arc<AwsSession>,
    settings: LogsSettings,
}

#[derive(Serialize)]
struct WireEvent<'a> {
    timestamp: i64,
    message: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PutLogEventsInput<'a> {
    log_group_name: &'a str,
    log_stream_name: &'a str,
    log_events: Vec<WireEvent<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct PutLogEventsOutput {
    rejected_log_events_info: Option<RejectedInfo>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase", default)]
struct RejectedInfo {
    too_new_log_event_start_index: Option<usize>,
    too_old_log_event_end_index: Option<usize>,
    expired_log_event_end_index: Option<usize>,
}

impl RejectedInfo {
    /// How many of `len` events the indexes cover: `[0, old/expired end]` and `[new start, len)`.
    fn count(&self, len: usize) -> usize {
        let old = self
            .too_old_log_event_end_index
            .max(self.expired_log_event_end_index)
            .map(|end| (end + 1).min(len))
            .unwrap_or(0);
        let new = self
            .too_new_log_event_start_index
            .map(|start| len.saturating_sub(start.max(old)))
            .unwrap_or(0);
        old + new
    }
}

const TARGET_PREFIX: &str = "Logs_20140328.";

impl LogsClient {
    pub fn new(session: Arc<AwsSession>, settings: LogsSettings) -> Self {
        LogsClient { session, settings }
    }

    pub fn session(&self) -> &AwsSession {
        &self.session
    }

    /// Sends `events` to `group`/`stream`: prepared and batched per [`super::batch`], one
    /// PutLogEvents per batch in order. A missing group or stream is created (then the batch
    /// is sent again, up to `max_retries + 1` times, as upstream). Stops at the first failed
    /// batch.
    pub async fn put_log_events(
        &self,
        group: &str,
        stream: &str,
        events: Vec<LogEvent>,
    ) -> Result<PutReport, PutFailure> {
        let prepared = prepare(events, now_ms());
        let mut report = PutReport {
            dropped: prepared.dropped,
            truncated: prepared.truncated,
            ..PutReport::default()
        };
        if prepared.dropped.total() > 0 {
            tracing::warn!(
                log_group = group,
                log_stream = stream,
                empty = prepared.dropped.empty,
                too_old = prepared.dropped.too_old,
                too_new = prepared.dropped.too_new,
                "Dropped log events that CloudWatch Logs would reject"
            );
        }
        let total: usize = prepared.batches.iter().map(Vec::len).sum();
        let mut done = 0usize;
        for batch in &prepared.batches {
            match self.put_batch(group, stream, batch, &mut report).await {
                Ok(rejected) => {
                    report.batches += 1;
                    report.rejected += rejected;
                    report.sent += batch.len() - rejected;
                    done += batch.len();
                }
                Err(error) => {
                    return Err(PutFailure {
                        error,
                        report,
                        unsent: total - done,
                    });
                }
            }
        }
        Ok(report)
    }

    /// One batch, creating the group/stream on `ResourceNotFoundException`. Returns how many
    /// events the service rejected.
    async fn put_batch(
        &self,
        group: &str,
        stream: &str,
        batch: &[LogEvent],
        report: &mut PutReport,
    ) -> Result<usize, AwsError> {
        let input = PutLogEventsInput {
            log_group_name: group,
            log_stream_name: stream,
            log_events: batch
                .iter()
                .map(|e| WireEvent {
                    timestamp: e.timestamp_ms,
                    message: &e.message,
                })
                .collect(),
        };
        let body = Bytes::from(
            serde_json::to_vec(&input)
                .map_err(|e| AwsError::config("SerializationError", e.to_string()))?,
        );
        let headers: &[(&str, &str)] = if self.settings.emf {
            &[("x-amzn-logs-format", "json/emf")]
        } else {
            &[]
        };
        let attempts = self.session.max_retries() + 1;
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self
                .session
                .json_call_with_headers(
                    &format!("{TARGET_PREFIX}PutLogEvents"),
                    body.clone(),
                    headers,
                )
                .await
            {
                Ok(out) => {
                    let out: PutLogEventsOutput = serde_json::from_slice(&out).unwrap_or_default();
                    let rejected = out
                        .rejected_log_events_info
                        .map(|info| {
                            let n = info.count(batch.len());
                            tracing::warn!(
                                log_group = group,
                                log_stream = stream,
                                rejected = n,
                                info = ?info,
                                "CloudWatch Logs rejected log events"
                            );
                            n
                        })
                        .unwrap_or(0);
                    return Ok(rejected);
                }
                Err(e) if e.is_code("ResourceNotFoundException") && attempt < attempts => {
                    self.create_stream(group, stream).await?;
                    report.created = true;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// `CreateLogStream`; if the group is missing, `CreateLogGroup` (with tags), the retention
    /// policy, then the stream again. "Already exists" counts as success.
    pub async fn create_stream(&self, group: &str, stream: &str) -> Result<(), AwsError> {
        match self.create_log_stream(group, stream).await {
            Ok(()) => Ok(()),
            Err(e) if e.is_code("ResourceNotFoundException") => {
                self.create_log_group(group).await?;
                self.create_log_stream(group, stream).await
            }
            Err(e) => Err(e),
        }
    }

    async fn create_log_stream(&self, group: &str, stream: &str) -> Result<(), AwsError> {
        let body = serde_json::json!({"logGroupName": group, "logStreamName": stream});
        if self.call_tolerating_exists("CreateLogStream", body).await? {
            tracing::info!(log_group = group, log_stream = stream, "Created log stream");
        }
        Ok(())
    }

    /// `CreateLogGroup` with the configured tags, then `PutRetentionPolicy` when
    /// `log_retention` is set (only for groups created here, as upstream).
    pub async fn create_log_group(&self, group: &str) -> Result<(), AwsError> {
        let mut body = serde_json::json!({"logGroupName": group});
        if !self.settings.tags.is_empty() {
            body["tags"] = serde_json::to_value(&self.settings.tags).unwrap_or_default();
        }
        let created = self.call_tolerating_exists("CreateLogGroup", body).await?;
        if created {
            tracing::info!(log_group = group, "Created log group");
        }
        if created && self.settings.log_retention != 0 {
            let body = serde_json::json!({
                "logGroupName": group,
                "retentionInDays": self.settings.log_retention,
            });
            self.call("PutRetentionPolicy", body).await?;
        }
        Ok(())
    }

    async fn call(&self, action: &str, body: serde_json::Value) -> Result<Bytes, AwsError> {
        self.session
            .json_call(
                &format!("{TARGET_PREFIX}{action}"),
                Bytes::from(body.to_string()),
            )
            .await
    }

    /// Returns whether the resource was created (false: it already existed).
    async fn call_tolerating_exists(
        &self,
        action: &str,
        body: serde_json::Value,
    ) -> Result<bool, AwsError> {
        match self.call(action, body).await {
            Ok(_) => Ok(true),
            Err(e) if e.is_code("ResourceAlreadyExistsException") => Ok(false),
            Err(e) => Err(e),
        }
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejected_counts_cover_both_ends() {
        let info = RejectedInfo {
            too_new_log_event_start_index: Some(8),
            too_old_log_event_end_index: Some(1),
            expired_log_event_end_index: Some(2),
        };
        assert_eq!(info.count(10), 3 + 2);
        let none = RejectedInfo::default();
        assert_eq!(none.count(10), 0);
        let overlapping = RejectedInfo {
            too_new_log_event_start_index: Some(0),
            too_old_log_event_end_index: Some(4),
            expired_log_event_end_index: None,
        };
        assert_eq!(overlapping.count(10), 10);
    }
}
