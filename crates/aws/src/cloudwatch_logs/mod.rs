//! CloudWatch Logs over JSON 1.1: `PutLogEvents` in batches within every service limit
//! ([`batch`]), creating the log group and stream when the service says they are missing
//! (`CreateLogGroup` with `tags`, `PutRetentionPolicy` with `log_retention`,
//! `CreateLogStream`), and the `x-amzn-logs-format: json/emf` header for EMF.
//!
//! Used by the `awscloudwatchlogs` and `awsemf` exporters:
//!
//! ```no_run
//! # async fn f(session: std::sync::Arc<aws::AwsSession>) {
//! use aws::cloudwatch_logs::{LogEvent, LogsClient, LogsSettings};
//! let client = LogsClient::new(session, LogsSettings { emf: true, ..Default::default() });
//! let events = vec![LogEvent { timestamp_ms: 1_700_000_000_000, message: "{}".into() }];
//! match client.put_log_events("/metrics/default", "otel-stream", events).await {
//!     Ok(report) => println!("{} sent", report.sent),
//!     Err(failure) => eprintln!("{} (permanent: {})", failure.error, !failure.error.is_retryable()),
//! }
//! # }
//! ```

pub mod batch;
mod client;
mod validate;

pub use batch::{Dropped, Prepared, prepare};
pub use client::{LogsClient, LogsSettings, PutFailure, PutReport};
pub use validate::{RETENTION_DAYS, validate_retention, validate_tags};

/// One log event: milliseconds since the epoch and the message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEvent {
    pub timestamp_ms: i64,
    pub message: String,
}
