//! X-Ray telemetry records (`telemetry.enabled`; upstream `internal/aws/xray/telemetry`): every
//! minute, one `PutTelemetryRecords` (`POST /TelemetryRecords`) with the segments this exporter
//! received, sent and had rejected, and its failed calls by cause, so the X-Ray console can show
//! the collector's health as it shows the daemon's.
//!
//! Difference from upstream: `contributors` is accepted but receivers do not add their counts;
//! "received" counts the spans handed to this exporter.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws::{AwsError, AwsSession};
use serde::Serialize;
use tokio::sync::watch;

use super::TelemetryConfig;

const PERIOD: Duration = Duration::from_secs(60);

#[derive(Default)]
struct Counts {
    received: AtomicI64,
    sent: AtomicI64,
    rejected: AtomicI64,
    timeout: AtomicI64,
    refused: AtomicI64,
    http_4xx: AtomicI64,
    http_5xx: AtomicI64,
    unknown_host: AtomicI64,
    other: AtomicI64,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Record {
    timestamp: f64,
    segments_received_count: i64,
    segments_sent_count: i64,
    segments_spillover_count: i64,
    segments_rejected_count: i64,
    backend_connection_errors: ConnectionErrors,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ConnectionErrors {
    timeout_count: i64,
    connection_refused_count: i64,
    #[serde(rename = "HTTPCode4XXCount")]
    http_code_4xx_count: i64,
    #[serde(rename = "HTTPCode5XXCount")]
    http_code_5xx_count: i64,
    unknown_host_count: i64,
    other_count: i64,
}

#[derive(Serialize)]
struct Request {
    #[serde(rename = "TelemetryRecords")]
    records: Vec<Record>,
    #[serde(rename = "EC2InstanceId", skip_serializing_if = "String::is_empty")]
    instance_id: String,
    #[serde(rename = "Hostname", skip_serializing_if = "String::is_empty")]
    hostname: String,
    #[serde(rename = "ResourceARN", skip_serializing_if = "String::is_empty")]
    resource_arn: String,
}

pub struct TelemetryRecorder {
    counts: Arc<Counts>,
    stop: watch::Sender<bool>,
    task: parking_lot::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Counts {
    /// Documents X-Ray refused in a call that was counted as sent.
    fn rejected(&self, n: usize) {
        self.rejected.fetch_add(n as i64, Ordering::Relaxed);
        self.sent.fetch_sub(n as i64, Ordering::Relaxed);
    }

    /// One PutTraceSegments call of `n` documents: sent, or one failed call by its cause.
    fn call(&self, n: usize, error: Option<&AwsError>) {
        let Some(e) = error else {
            self.sent.fetch_add(n as i64, Ordering::Relaxed);
            return;
        };
        let counter = match (e.status, e.code.as_str()) {
            (Some(400..=499), _) => &self.http_4xx,
            (Some(500..=599), _) => &self.http_5xx,
            (None, "RequestTimeout") => &self.timeout,
            (None, code) if code.contains("Refused") => &self.refused,
            (None, code) if code.contains("Dns") || code.contains("UnknownHost") => {
                &self.unknown_host
            }
            _ => &self.other,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The record of the period that ends now; the counts start again from zero.
    fn take(&self) -> Record {
        let t = |a: &AtomicI64| a.swap(0, Ordering::Relaxed);
        Record {
            timestamp: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs_f64(),
            segments_received_count: t(&self.received),
            segments_sent_count: t(&self.sent),
            segments_spillover_count: 0,
            segments_rejected_count: t(&self.rejected),
            backend_connection_errors: ConnectionErrors {
                timeout_count: t(&self.timeout),
                connection_refused_count: t(&self.refused),
                http_code_4xx_count: t(&self.http_4xx),
                http_code_5xx_count: t(&self.http_5xx),
                unknown_host_count: t(&self.unknown_host),
                other_count: t(&self.other),
            },
        }
    }
}

impl TelemetryRecorder {
    pub fn start(session: AwsSession, cfg: TelemetryConfig, session_resource_arn: String) -> Self {
        let counts = Arc::new(Counts::default());
        let (stop, mut stopped) = watch::channel(false);
        let (instance_id, hostname, resource_arn) = if cfg.include_metadata {
            let resource_arn = if cfg.resource_arn.is_empty() {
                session_resource_arn
            } else {
                cfg.resource_arn
            };
            (cfg.instance_id, cfg.hostname, resource_arn)
        } else {
            Default::default()
        };
        let c = counts.clone();
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + PERIOD, PERIOD);
            loop {
                tokio::select! {
                    _ = stopped.changed() => return,
                    _ = tick.tick() => {}
                }
                let request = Request {
                    records: vec![c.take()],
                    instance_id: instance_id.clone(),
                    hostname: hostname.clone(),
                    resource_arn: resource_arn.clone(),
                };
                let Ok(body) = serde_json::to_vec(&request) else {
                    continue;
                };
                if let Err(e) = session
                    .rest_json(http::Method::POST, "/TelemetryRecords", body.into(), &[])
                    .await
                {
                    tracing::debug!(error = %e, "PutTelemetryRecords failed");
                }
            }
        });
        TelemetryRecorder {
            counts,
            stop,
            task: parking_lot::Mutex::new(Some(task)),
        }
    }

    pub fn record_received(&self, n: usize) {
        self.counts.received.fetch_add(n as i64, Ordering::Relaxed);
    }

    pub fn record_rejected(&self, n: usize) {
        self.counts.rejected(n);
    }

    /// One PutTraceSegments call of `n` documents: sent, or failed for this reason.
    pub fn record_call(&self, n: usize, error: Option<&AwsError>) {
        self.counts.call(n, error);
    }

    pub async fn stop(&self) {
        let _ = self.stop.send(true);
        let task = self.task.lock().take();
        if let Some(t) = task {
            let _ = t.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws::ErrorKind;

    fn error(status: Option<u16>, code: &str) -> AwsError {
        AwsError {
            kind: ErrorKind::Transient,
            code: code.to_string(),
            message: String::new(),
            status,
            request_id: None,
        }
    }

    #[test]
    fn a_record_counts_segments_and_failed_calls_by_cause_then_resets() {
        let c = Counts::default();
        c.received.fetch_add(60, Ordering::Relaxed);
        c.call(50, None);
        c.call(10, None);
        c.rejected(2);
        c.call(50, Some(&error(Some(403), "AccessDeniedException")));
        c.call(50, Some(&error(Some(503), "ServiceUnavailable")));
        c.call(50, Some(&error(None, "RequestTimeout")));
        c.call(50, Some(&error(None, "ConnectionRefused")));
        c.call(50, Some(&error(None, "UnknownHost")));
        c.call(50, Some(&error(None, "ConnectionError")));
        let record = serde_json::to_value(c.take()).unwrap();
        assert_eq!(record["SegmentsReceivedCount"], 60);
        assert_eq!(record["SegmentsSentCount"], 58);
        assert_eq!(record["SegmentsRejectedCount"], 2);
        assert_eq!(record["SegmentsSpilloverCount"], 0);
        assert!(record["Timestamp"].as_f64().unwrap() > 1.7e9);
        assert_eq!(
            record["BackendConnectionErrors"],
            serde_json::json!({
                "TimeoutCount": 1,
                "ConnectionRefusedCount": 1,
                "HTTPCode4XXCount": 1,
                "HTTPCode5XXCount": 1,
                "UnknownHostCount": 1,
                "OtherCount": 1
            })
        );
        // The next period starts from zero.
        let next = serde_json::to_value(c.take()).unwrap();
        assert_eq!(next["SegmentsSentCount"], 0);
        assert_eq!(next["BackendConnectionErrors"]["OtherCount"], 0);
    }

    #[test]
    fn the_request_carries_metadata_only_when_set() {
        let request = Request {
            records: vec![Counts::default().take()],
            instance_id: String::new(),
            hostname: "h1".to_string(),
            resource_arn: String::new(),
        };
        let v = serde_json::to_value(&request).unwrap();
        assert_eq!(v["Hostname"], "h1");
        assert!(v.get("EC2InstanceId").is_none() && v.get("ResourceARN").is_none());
        assert_eq!(v["TelemetryRecords"].as_array().unwrap().len(), 1);
    }
}
