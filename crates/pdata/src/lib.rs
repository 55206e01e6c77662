//! OTLP data as it travels through ferrocol.
//!
//! - [`proto`]: the generated prost types.
//! - [`Payload`]: one export request, kept as the protobuf bytes it arrived as and decoded at most
//!   once, only when a component needs to read or change it (DESIGN.md §3).
//! - [`json`]: an OTLP/JSON codec compatible with the Go collector's pdata.

pub mod payload;
pub mod proto;
pub mod split;

pub use payload::{Logs, Metrics, Payload, RequestMeta, Traces, decode_count};

pub use proto::collector::logs::v1::ExportLogsServiceRequest;
pub use proto::collector::metrics::v1::ExportMetricsServiceRequest;
pub use proto::collector::trace::v1::ExportTraceServiceRequest;
pub mod json;
pub mod wire;
