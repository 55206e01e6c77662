//! The X-Ray segment document (`xray-segmentdocument-schema-v1.0.0`), as both directions use it:
//! the exporter fills it from spans and writes it with [`super::document`]; the receiver parses
//! what SDKs send into it.
//!
//! Every field is optional so that a document missing a required field still parses and can be
//! rejected by [`Segment::validate`] with a precise message. Unknown fields are ignored, as the
//! X-Ray daemon and upstream's Go decoder ignore them: SDKs add fields over time.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

/// One segment or subsegment (embedded or sent on its own).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct Segment {
    // Required for segments and subsegments.
    pub name: Option<String>,
    pub id: Option<String>,
    pub start_time: Option<f64>,

    // Segment-only.
    pub service: Option<ServiceData>,
    pub origin: Option<String>,
    pub user: Option<String>,
    pub resource_arn: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub links: Vec<SpanLink>,

    // Segments and subsegments.
    pub trace_id: Option<String>,
    pub end_time: Option<f64>,
    pub in_progress: Option<bool>,
    pub http: Option<HttpData>,
    pub fault: Option<bool>,
    pub error: Option<bool>,
    pub throttle: Option<bool>,
    pub cause: Option<Cause>,
    pub aws: Option<AwsData>,
    /// Sorted by key, as Go writes a map.
    #[serde(deserialize_with = "null_default")]
    pub annotations: BTreeMap<String, Value>,
    #[serde(deserialize_with = "null_default")]
    pub metadata: BTreeMap<String, BTreeMap<String, Value>>,
    #[serde(deserialize_with = "null_default")]
    pub subsegments: Vec<Segment>,

    // Subsegment-only.
    pub namespace: Option<String>,
    pub parent_id: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub precursor_ids: Vec<String>,
    pub traced: Option<bool>,
    pub sql: Option<SqlData>,
}

/// `null` where a list or map is expected means empty, as Go's decoder treats it.
fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Why a parsed document cannot be a span (upstream's `Validate` messages).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SegmentError {
    #[error("segment \"name\" can not be nil")]
    MissingName,
    #[error("segment \"id\" can not be nil")]
    MissingId,
    #[error("segment \"start_time\" can not be nil")]
    MissingStartTime,
    #[error("segment \"trace_id\" can not be nil")]
    MissingTraceId,
}

impl Segment {
    /// Checks the fields a top-level document (a segment or an independent subsegment) must
    /// have; embedded subsegments inherit the trace id and are checked with
    /// [`Segment::validate_embedded`].
    pub fn validate(&self) -> Result<(), SegmentError> {
        self.validate_embedded()?;
        if self.trace_id.is_none() {
            return Err(SegmentError::MissingTraceId);
        }
        Ok(())
    }

    /// The checks for an embedded subsegment: everything but the trace id.
    pub fn validate_embedded(&self) -> Result<(), SegmentError> {
        if self.name.is_none() {
            return Err(SegmentError::MissingName);
        }
        if self.id.is_none() {
            return Err(SegmentError::MissingId);
        }
        if self.start_time.is_none() {
            return Err(SegmentError::MissingStartTime);
        }
        for s in &self.subsegments {
            s.validate_embedded()?;
        }
        Ok(())
    }

    /// This segment plus all embedded subsegments, at any depth: the number of spans it makes.
    pub fn total_count(&self) -> usize {
        1 + self
            .subsegments
            .iter()
            .map(Segment::total_count)
            .sum::<usize>()
    }
}

/// `service`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct ServiceData {
    pub version: Option<String>,
    pub compiler_version: Option<String>,
    pub compiler: Option<String>,
}

/// One entry of `links`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct SpanLink {
    pub trace_id: Option<String>,
    pub id: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub attributes: BTreeMap<String, Value>,
}

/// `http`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct HttpData {
    pub request: Option<RequestData>,
    pub response: Option<ResponseData>,
}

/// `http.request`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct RequestData {
    pub x_forwarded_for: Option<bool>,
    pub method: Option<String>,
    pub url: Option<String>,
    pub user_agent: Option<String>,
    pub client_ip: Option<String>,
}

/// `http.response`. SDKs send `content_length` as a number or a string.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct ResponseData {
    pub status: Option<i64>,
    pub content_length: Option<Value>,
}

/// `cause`: an exception id (a 16-hex string pointing at an exception recorded elsewhere) or an
/// object with the exceptions.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Cause {
    ExceptionId(String),
    Object(CauseObject),
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct CauseObject {
    pub working_directory: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub paths: Vec<String>,
    #[serde(deserialize_with = "null_default")]
    pub exceptions: Vec<Exception>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct Exception {
    pub id: Option<String>,
    pub message: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub remote: Option<bool>,
    pub truncated: Option<i64>,
    pub skipped: Option<i64>,
    pub cause: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub stack: Vec<StackFrame>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct StackFrame {
    pub path: Option<String>,
    pub line: Option<i64>,
    pub label: Option<String>,
}

/// `aws`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct AwsData {
    // Segment-only.
    pub elastic_beanstalk: Option<BeanstalkMetadata>,
    #[serde(deserialize_with = "null_default")]
    pub cloudwatch_logs: Vec<LogGroupMetadata>,
    pub ecs: Option<EcsMetadata>,
    pub ec2: Option<Ec2Metadata>,
    pub eks: Option<EksMetadata>,
    pub xray: Option<XRayMetadata>,
    // Segments and subsegments.
    pub account_id: Option<String>,
    pub operation: Option<String>,
    pub region: Option<String>,
    pub request_id: Option<String>,
    pub queue_url: Option<String>,
    pub table_name: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub table_names: Vec<String>,
    pub retries: Option<i64>,
}

/// `aws.ec2`. Go writes absent fields as `null` here (no `omitempty`); so do we.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct Ec2Metadata {
    pub instance_id: Option<String>,
    pub availability_zone: Option<String>,
    pub instance_size: Option<String>,
    pub ami_id: Option<String>,
}

/// `aws.ecs`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct EcsMetadata {
    pub container: Option<String>,
    pub container_id: Option<String>,
    pub task_arn: Option<String>,
    pub task_family: Option<String>,
    pub cluster_arn: Option<String>,
    pub container_arn: Option<String>,
    pub availability_zone: Option<String>,
    pub launch_type: Option<String>,
}

/// `aws.elastic_beanstalk`. Go writes absent fields as `null`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct BeanstalkMetadata {
    pub environment_name: Option<String>,
    pub version_label: Option<String>,
    pub deployment_id: Option<i64>,
}

/// `aws.eks`. Go writes absent fields as `null`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct EksMetadata {
    pub cluster_name: Option<String>,
    pub pod: Option<String>,
    pub container_id: Option<String>,
}

/// One entry of `aws.cloudwatch_logs`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct LogGroupMetadata {
    pub log_group: Option<String>,
    pub arn: Option<String>,
}

/// `aws.xray`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct XRayMetadata {
    pub sdk: Option<String>,
    pub sdk_version: Option<String>,
    /// Always written (Go has no `omitempty` on it): `false` when absent.
    pub auto_instrumentation: Option<bool>,
}

/// `sql`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct SqlData {
    pub connection_string: Option<String>,
    pub url: Option<String>,
    pub sanitized_query: Option<String>,
    pub database_type: Option<String>,
    pub database_version: Option<String>,
    pub driver_version: Option<String>,
    pub user: Option<String>,
    pub preparation: Option<String>,
}
