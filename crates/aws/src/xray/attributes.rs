//! Attribute names the X-Ray translation reads and writes (upstream `internal/aws/xray`
//! `awsxray.go`), beyond the OpenTelemetry semantic conventions.

pub const AWS_OPERATION: &str = "aws.operation";
pub const AWS_ACCOUNT: &str = "aws.account_id";
pub const AWS_REGION: &str = "aws.region";
pub const AWS_REQUEST_ID: &str = "aws.request_id";
/// Another spelling some instrumentations use.
pub const AWS_REQUEST_ID_2: &str = "aws.requestId";
pub const AWS_QUEUE_URL: &str = "aws.queue_url";
pub const AWS_QUEUE_URL_2: &str = "aws.queue.url";
pub const AWS_SERVICE: &str = "aws.service";
pub const AWS_TABLE_NAME: &str = "aws.table_name";
pub const AWS_TABLE_NAME_2: &str = "aws.table.name";

/// `in_progress` of a segment.
pub const XRAY_IN_PROGRESS: &str = "aws.xray.inprogress";
/// `http.request.x_forwarded_for`.
pub const XRAY_X_FORWARDED_FOR: &str = "aws.xray.x_forwarded_for";
/// `resource_arn` (a resource attribute).
pub const XRAY_RESOURCE_ARN: &str = "aws.xray.resource_arn";
/// `traced` of a subsegment.
pub const XRAY_TRACED: &str = "aws.xray.traced";
/// `aws.xray.metadata.<namespace>`: a JSON object string that becomes `metadata.<namespace>`.
pub const XRAY_METADATA_PREFIX: &str = "aws.xray.metadata.";
/// A string slice naming the attributes to write as annotations.
pub const XRAY_ANNOTATIONS: &str = "aws.xray.annotations";
/// `aws.retries`.
pub const XRAY_RETRIES: &str = "aws.xray.retries";

/// Exception event attributes with no semantic convention.
pub const XRAY_EXCEPTION_ID: &str = "aws.xray.exception.id";
pub const XRAY_EXCEPTION_REMOTE: &str = "aws.xray.exception.remote";
pub const XRAY_EXCEPTION_TRUNCATED: &str = "aws.xray.exception.truncated";
pub const XRAY_EXCEPTION_SKIPPED: &str = "aws.xray.exception.skipped";
pub const XRAY_EXCEPTION_CAUSE: &str = "aws.xray.exception.cause";

/// Application Signals attributes (opentelemetry-java-contrib#802).
pub const AWS_LOCAL_SERVICE: &str = "aws.local.service";
pub const AWS_REMOTE_SERVICE: &str = "aws.remote.service";
pub const AWS_LOCAL_OPERATION: &str = "aws.local.operation";
pub const AWS_REMOTE_OPERATION: &str = "aws.remote.operation";
pub const REMOTE_TARGET: &str = "remoteTarget";
pub const AWS_SPAN_KIND: &str = "aws.span.kind";
pub const K8S_REMOTE_NAMESPACE: &str = "K8s.RemoteNamespace";
/// The `aws.span.kind` value of a span that is the local root of its service.
pub const LOCAL_ROOT: &str = "LOCAL_ROOT";
