//! AWS X-Ray: what the `awsxray` exporter and receiver share.
//!
//! - [`segment`]: the segment document model (parsed by the receiver, built by the exporter).
//! - [`document`]: writing a segment exactly as upstream's Go exporter writes it.
//! - [`ids`]: trace and segment ids between OpenTelemetry bytes and X-Ray text.
//! - [`attributes`]: the span and resource attribute names both directions map.
//! - [`proxy`]: the signing proxy for the sampling APIs (`proxy_server`, `awsproxy`).

pub mod attributes;
pub mod document;
pub mod ids;
pub mod proxy;
pub mod segment;

pub use ids::{
    IdError, segment_id_from_hex, segment_id_to_hex, trace_id_from_xray, trace_id_to_xray,
};
pub use segment::{
    AwsData, BeanstalkMetadata, Cause, CauseObject, Ec2Metadata, EcsMetadata, EksMetadata,
    Exception, HttpData, LogGroupMetadata, RequestData, ResponseData, Segment, SegmentError,
    ServiceData, SpanLink, SqlData, StackFrame, XRayMetadata,
};

/// The largest segment document X-Ray accepts (PutTraceSegments: 64 KB per document).
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024;

/// PutTraceSegments takes at most this many documents per call.
pub const MAX_SEGMENTS_PER_PUT: usize = 50;
