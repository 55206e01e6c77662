//! `awsxray` exporter configuration: contrib `awsxrayexporter.Config` (v0.115) — the shared AWS
//! session keys, `indexed_attributes`, `index_all_attributes`, `aws_log_groups` and
//! `telemetry` — plus ferrocol's `sending_queue` and `retry_on_failure` (upstream's exporter
//! has neither: a failed PutTraceSegments is dropped there).

use aws::AwsSessionConfig;
use component::ComponentConfig;
use helpers::{QueueConfig, RetryConfig};
use serde::Deserialize;

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AwsXrayExporterConfig {
    /// Span attributes written as annotations (searchable in X-Ray).
    pub indexed_attributes: Vec<String>,
    /// Every string, int, double and bool attribute as an annotation.
    pub index_all_attributes: bool,
    /// CloudWatch Logs groups linked from every segment whose resource names none.
    pub aws_log_groups: Vec<String>,
    /// X-Ray telemetry records (PutTelemetryRecords every minute).
    pub telemetry: TelemetryConfig,
    pub sending_queue: QueueConfig,
    pub retry_on_failure: RetryConfig,
    /// `region`, `endpoint`, `role_arn`, `max_retries`, ... (awsutil's squashed settings).
    #[serde(flatten)]
    pub session: AwsSessionConfig,
}

/// Upstream `internal/aws/xray/telemetry.Config`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct TelemetryConfig {
    pub enabled: bool,
    /// Send `hostname`, `instance_id` and `resource_arn` with the records.
    pub include_metadata: bool,
    /// Receivers whose received segments are counted too (upstream's contributor ids).
    pub contributors: Vec<String>,
    pub hostname: String,
    pub instance_id: String,
    pub resource_arn: String,
}

impl ComponentConfig for AwsXrayExporterConfig {
    fn validate(&self) -> Result<(), String> {
        self.sending_queue.validate()?;
        self.retry_on_failure.validate()?;
        for c in &self.telemetry.contributors {
            component::ComponentId::parse(c)
                .map_err(|e| format!("telemetry::contributors: {e}"))?;
        }
        self.session.validate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(yaml: &str) -> Result<AwsXrayExporterConfig, component::ConfigError> {
        let node = confmap::yaml::parse(yaml)
            .expect("yaml")
            .expect("a document");
        component::config::decode_typed::<AwsXrayExporterConfig>(Some(&node))
    }

    #[test]
    fn every_key_decodes() {
        let c = decode(
            "region: us-west-2\nendpoint: http://127.0.0.1:4566\nlocal_mode: true\nrole_arn: arn:aws:iam::1:role/r\n\
             max_retries: 5\nindexed_attributes: [user.id, order]\nindex_all_attributes: true\n\
             aws_log_groups: [/app/a]\ntelemetry:\n  enabled: true\n  include_metadata: true\n  hostname: h\n\
             sending_queue:\n  queue_size: 10\nretry_on_failure:\n  enabled: false\n",
        )
        .expect("decodes");
        assert_eq!(c.session.region, "us-west-2");
        assert_eq!(c.session.max_retries, 5);
        assert_eq!(c.indexed_attributes, ["user.id", "order"]);
        assert!(c.index_all_attributes);
        assert_eq!(c.aws_log_groups, ["/app/a"]);
        assert!(c.telemetry.enabled && c.telemetry.include_metadata);
        assert_eq!(c.telemetry.hostname, "h");
        assert_eq!(c.sending_queue.queue_size, 10);
        assert!(!c.retry_on_failure.enabled);
    }

    #[test]
    fn defaults_and_bad_keys() {
        let c = decode("{}\n").expect("empty map decodes");
        assert_eq!(c, AwsXrayExporterConfig::default());
        assert_eq!(c.session.num_workers, 8);
        assert_eq!(c.session.request_timeout_seconds, 30);
        assert!(decode("skip_timestamp_validation: true\n").is_err());
        assert!(decode("telemetry:\n  bogus: 1\n").is_err());
        assert!(decode("max_retries: -1\n").is_err());
    }
}
