//! `awsemf` configuration (contrib `exporter/awsemfexporter/config.go`, `factory.go`, and the
//! AWS session settings of `internal/aws/awsutil/awsconfig.go` squashed into it).
//!
//! Upstream drops invalid `metric_declarations` and `metric_descriptors` with a warning instead
//! of failing; ferrocol does the same (in [`super::translate::Rules::new`], where the warnings
//! are logged once per exporter). Where upstream silently accepts a value it then ignores
//! (`version: "2"`, `output_destination: file`, `dimension_rollup_option: SingleDimension`),
//! ferrocol refuses the config with a precise error, because the upstream result is an exporter
//! that sends nothing useful.

use std::collections::BTreeMap;

use aws::AwsSessionConfig;
use aws::cloudwatch_logs::{validate_retention, validate_tags};
use component::ComponentConfig;
use serde::Deserialize;

/// `dimension_rollup_option` values.
pub const ZERO_AND_SINGLE_DIMENSION_ROLLUP: &str = "ZeroAndSingleDimensionRollup";
pub const SINGLE_DIMENSION_ROLLUP_ONLY: &str = "SingleDimensionRollupOnly";
pub const NO_DIMENSION_ROLLUP: &str = "NoDimensionRollup";

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AwsEmfConfig {
    /// `region`, `endpoint`, `role_arn`, `max_retries`, ... (awsutil's squashed settings).
    #[serde(flatten)]
    pub session: AwsSessionConfig,

    // --- exporter ---
    /// Empty = `/metrics/<namespace>`. `{ClusterName}`-style placeholders are resolved per
    /// resource (and per point when the resource lacks them).
    pub log_group_name: String,
    /// Empty = `otel-stream-<uuid>`, one uuid per exporter instance.
    pub log_stream_name: String,
    /// Empty = `service.namespace/service.name`, `service.name`, `service.namespace`, `default`.
    pub namespace: String,
    pub dimension_rollup_option: String,
    pub metric_declarations: Vec<MetricDeclaration>,
    pub metric_descriptors: Vec<MetricDescriptor>,
    /// Label keys whose string values are JSON and are written as JSON.
    pub parse_json_encoded_attr_values: Vec<String>,
    /// `cloudwatch` or `stdout` (case-insensitive).
    pub output_destination: String,
    pub resource_to_telemetry_conversion: ResourceToTelemetry,
    /// Emit the first value of a cumulative metric instead of keeping it as the delta baseline.
    pub retain_initial_value_of_delta_metric: bool,
    /// Summaries as `<name>_sum`, `<name>_count` and one point per quantile.
    pub detailed_metrics: bool,
    /// `"1"` (metadata under `_aws`) or `"0"` (top-level `CloudWatchMetrics`).
    pub version: String,
    pub eks_fargate_container_insights_enabled: bool,
    /// Retention in days of log groups the exporter creates.
    pub log_retention: i64,
    /// Tags of log groups the exporter creates.
    pub tags: Option<BTreeMap<String, String>>,
}

impl Default for AwsEmfConfig {
    fn default() -> Self {
        AwsEmfConfig {
            session: AwsSessionConfig::default(),
            log_group_name: String::new(),
            log_stream_name: String::new(),
            namespace: String::new(),
            dimension_rollup_option: ZERO_AND_SINGLE_DIMENSION_ROLLUP.into(),
            metric_declarations: Vec::new(),
            metric_descriptors: Vec::new(),
            parse_json_encoded_attr_values: Vec::new(),
            output_destination: "cloudwatch".into(),
            resource_to_telemetry_conversion: ResourceToTelemetry::default(),
            retain_initial_value_of_delta_metric: false,
            detailed_metrics: false,
            version: "1".into(),
            eks_fargate_container_insights_enabled: false,
            log_retention: 0,
            tags: None,
        }
    }
}

/// A rule choosing dimensions for the metrics whose names match.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct MetricDeclaration {
    /// Dimension sets; a set is used when the metric has every label it names.
    pub dimensions: Vec<Vec<String>>,
    /// Unanchored regular expressions on the metric name; at least one is required.
    pub metric_name_selectors: Vec<String>,
    /// When present, at least one must match the metric's labels.
    pub label_matchers: Vec<LabelMatcher>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct LabelMatcher {
    /// The values of these labels, joined by `separator`, are matched against `regex`.
    pub label_names: Vec<String>,
    /// Empty = `;`.
    pub separator: String,
    pub regex: String,
}

/// A unit for a metric, overriding (`overwrite: true`) or filling in (an empty unit) its own.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct MetricDescriptor {
    pub metric_name: String,
    pub unit: String,
    pub overwrite: bool,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct ResourceToTelemetry {
    pub enabled: bool,
}

/// Where the EMF events go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination {
    CloudWatch,
    Stdout,
}

/// The dimension rollup applied to every metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rollup {
    ZeroAndSingle,
    SingleOnly,
    None,
}

impl AwsEmfConfig {
    pub fn destination(&self) -> Result<Destination, String> {
        if self.output_destination.eq_ignore_ascii_case("stdout") {
            Ok(Destination::Stdout)
        } else if self.output_destination.eq_ignore_ascii_case("cloudwatch") {
            Ok(Destination::CloudWatch)
        } else {
            Err(format!(
                "output_destination: {:?} is not one of \"cloudwatch\", \"stdout\"",
                self.output_destination
            ))
        }
    }

    pub fn rollup(&self) -> Result<Rollup, String> {
        match self.dimension_rollup_option.as_str() {
            ZERO_AND_SINGLE_DIMENSION_ROLLUP => Ok(Rollup::ZeroAndSingle),
            SINGLE_DIMENSION_ROLLUP_ONLY => Ok(Rollup::SingleOnly),
            NO_DIMENSION_ROLLUP => Ok(Rollup::None),
            other => Err(format!(
                "dimension_rollup_option: {other:?} is not one of \"{ZERO_AND_SINGLE_DIMENSION_ROLLUP}\", \"{SINGLE_DIMENSION_ROLLUP_ONLY}\", \"{NO_DIMENSION_ROLLUP}\""
            )),
        }
    }

    /// EMF version 0 (top-level `CloudWatchMetrics`, string `Timestamp`) rather than 1.
    pub fn is_version_0(&self) -> bool {
        self.version == "0"
    }
}

impl ComponentConfig for AwsEmfConfig {
    fn validate(&self) -> Result<(), String> {
        validate_retention(self.log_retention)?;
        validate_tags(self.tags.as_ref())?;
        self.destination()?;
        self.rollup()?;
        if self.version != "0" && self.version != "1" {
            return Err(format!(
                "version: {:?} is not one of \"0\", \"1\"",
                self.version
            ));
        }
        self.session.validate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(yaml: &str) -> Result<AwsEmfConfig, component::ConfigError> {
        let node = confmap::parse_yaml(yaml).expect("yaml");
        component::config::decode_typed::<AwsEmfConfig>(node.as_ref())
    }

    #[test]
    fn defaults_are_upstreams() {
        let c = AwsEmfConfig::default();
        assert_eq!(c.dimension_rollup_option, "ZeroAndSingleDimensionRollup");
        assert_eq!(c.output_destination, "cloudwatch");
        assert_eq!(c.version, "1");
        assert_eq!(
            (
                c.session.num_workers,
                c.session.request_timeout_seconds,
                c.session.max_retries
            ),
            (8, 30, 2)
        );
        assert_eq!(c.log_retention, 0);
        assert!(c.tags.is_none());
        assert!(c.validate().is_ok());
    }

    #[test]
    fn every_key_decodes() {
        let c = decode(
            r#"
region: us-west-2
endpoint: http://127.0.0.1:4566
role_arn: arn:aws:iam::123456789012:role/emf
local_mode: true
resource_arn: arn:aws:ec2:us-west-2:123456789012:instance/i-1
num_workers: 4
request_timeout_seconds: 10
max_retries: 1
no_verify_ssl: true
proxy_address: http://proxy:3128
log_group_name: /aws/ecs/containerinsights/{ClusterName}/prometheus
log_stream_name: "{TaskId}"
namespace: ECS/ContainerInsights/Prometheus
dimension_rollup_option: NoDimensionRollup
metric_declarations:
  - dimensions: [[ClusterName, TaskDefinitionFamily]]
    metric_name_selectors: ["^nginx_.*$"]
    label_matchers:
      - label_names: [container_name]
        separator: "|"
        regex: "^nginx$"
metric_descriptors:
  - metric_name: nginx_request_count
    unit: Count
    overwrite: true
parse_json_encoded_attr_values: [Sources, kubernetes]
output_destination: StdOut
resource_to_telemetry_conversion:
  enabled: true
retain_initial_value_of_delta_metric: true
detailed_metrics: true
version: "0"
eks_fargate_container_insights_enabled: true
log_retention: 7
tags: {team: observability, "cost:center": "42"}
"#,
        )
        .expect("valid");
        assert_eq!(c.destination(), Ok(Destination::Stdout));
        assert_eq!(c.rollup(), Ok(Rollup::None));
        assert!(c.is_version_0());
        assert_eq!(c.metric_declarations[0].label_matchers[0].separator, "|");
        assert_eq!(c.metric_descriptors[0].unit, "Count");
        assert_eq!(c.tags.as_ref().map(BTreeMap::len), Some(2));
        assert!(c.resource_to_telemetry_conversion.enabled);
        assert_eq!(c.session.region, "us-west-2");
        assert_eq!(c.session.max_retries, 1);
        assert!(c.session.local_mode);
    }

    #[test]
    fn bad_values_are_refused_with_upstreams_words() {
        let err = |yaml: &str| decode(yaml).expect_err(yaml).to_string();
        assert!(err("log_retention: 2").starts_with("invalid value for retention policy."));
        assert_eq!(
            err("tags: {}"),
            "invalid amount of items. Please input at least 1 tag or remove the tag field"
        );
        assert_eq!(
            err("tags: {\"a!\": b}"),
            r"key - a! does not follow the regex pattern^([\p{L}\p{Z}\p{N}_.:/=+\-@]+)$"
        );
        assert!(err("tags: {a: \"\"}").contains("has an invalid length"));
        assert!(err("version: \"2\"").contains("version"));
        assert!(err("output_destination: file").contains("output_destination"));
        assert!(
            err("dimension_rollup_option: SingleDimensionRollup")
                .contains("SingleDimensionRollupOnly")
        );
        assert!(err("sending_queue: {enabled: false}").contains("sending_queue"));
    }
}
