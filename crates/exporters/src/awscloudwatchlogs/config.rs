//! `awscloudwatchlogs` configuration: contrib `awscloudwatchlogsexporter.Config` (v0.115) —
//! `log_group_name`, `log_stream_name`, `log_retention`, `tags`, `raw_log`, the shared AWS
//! session keys, `sending_queue` (one consumer by default, as upstream) and
//! `retry_on_failure` — plus `emf_only` from the amazon-contributing fork that ADOT ships.

use std::collections::BTreeMap;

use aws::AwsSessionConfig;
use aws::cloudwatch_logs::{validate_retention, validate_tags};
use component::ComponentConfig;
use helpers::{QueueConfig, RetryConfig};
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AwsCloudWatchLogsConfig {
    /// The log group (required).
    pub log_group_name: String,
    /// The log stream (required).
    pub log_stream_name: String,
    /// Days of retention set on a group this exporter creates; 0 never expires.
    pub log_retention: i64,
    /// Tags of a group this exporter creates. Present but empty is an error, as upstream.
    pub tags: Option<BTreeMap<String, String>>,
    /// Send the body as it is (`AsString`) instead of the JSON wrapper; required for EMF. An
    /// EMF body's `_aws.LogGroupName`/`LogStreamName` (or v0 `log_group_name`/
    /// `log_stream_name`) choose its destination.
    pub raw_log: bool,
    /// Send only EMF bodies (with a log group in their metadata); others are dropped and
    /// counted. Needs `raw_log`.
    pub emf_only: bool,
    pub sending_queue: QueueConfig,
    pub retry_on_failure: RetryConfig,
    /// `region`, `endpoint`, `role_arn`, `max_retries`, ... (awsutil's squashed settings).
    #[serde(flatten)]
    pub session: AwsSessionConfig,
}

impl Default for AwsCloudWatchLogsConfig {
    fn default() -> Self {
        AwsCloudWatchLogsConfig {
            log_group_name: String::new(),
            log_stream_name: String::new(),
            log_retention: 0,
            tags: None,
            raw_log: false,
            emf_only: false,
            // "For backwards compatibility, we default to 1 consumer" (upstream factory).
            sending_queue: QueueConfig {
                num_consumers: 1,
                ..QueueConfig::default()
            },
            retry_on_failure: RetryConfig::default(),
            session: AwsSessionConfig::default(),
        }
    }
}

impl ComponentConfig for AwsCloudWatchLogsConfig {
    fn validate(&self) -> Result<(), String> {
        // Upstream's checks and messages, in its order.
        if self.log_group_name.is_empty() {
            return Err("'log_group_name' must be set".into());
        }
        if self.log_stream_name.is_empty() {
            return Err("'log_stream_name' must be set".into());
        }
        self.sending_queue.validate()?;
        self.retry_on_failure.validate()?;
        validate_retention(self.log_retention)?;
        if self.emf_only && !self.raw_log {
            return Err("emf only is true, but raw log is false".into());
        }
        validate_tags(self.tags.as_ref())?;
        self.session.validate()
    }
}
