//! OTLP/JSON, compatible with the Go collector's pdata (`pdata/internal/json` and the generated
//! `UnmarshalJSON`/`MarshalJSON`).
//!
//! The `opentelemetry-proto` crate's serde mapping is not compatible with it (snake_case keys are
//! silently ignored, `null` and string-encoded 32-bit ints are rejected, non-finite doubles are
//! lost; see `reference/rust-stack.md` §1.2), so this is our own codec over the prost types.
//!
//! Reading (a receiver hot path) streams straight into the prost structs with serde visitors over
//! `serde_json::Deserializer`, never building a `serde_json::Value` tree:
//! - keys in camelCase or snake_case; unknown keys skipped; `null` is the field's default;
//! - integers as JSON numbers or decimal strings; doubles as numbers or `"NaN"`, `"Infinity"`,
//!   `"-Infinity"` and whatever else Go's `strconv.ParseFloat` takes; enums as numbers or names;
//! - trace/span ids as case-insensitive hex ("" is empty); bytes as padded standard base64;
//! - a repeated key appends to repeated fields and overwrites others; among oneof members the last
//!   key wins;
//! - anything else (bad JSON, trailing data, wrong types, bad ids) is a [`JsonError`] with the
//!   JSON path and byte offset; AnyValue nesting is capped at [`MAX_ANY_VALUE_DEPTH`].
//!
//! Writing follows Go's `MarshalJSON` (see `write.rs` for the exact rules): camelCase, defaults
//! omitted, 64-bit ints as strings, enums as numbers, lowercase hex ids, never `null`.

mod any_value;
mod envelope;
mod error;
mod logs;
mod metrics;
mod read;
mod resource;
mod response;
mod scalar;
mod status;
mod trace;
mod write;

pub use error::JsonError;
pub use read::MAX_ANY_VALUE_DEPTH;

use crate::proto::collector::logs::v1::{ExportLogsServiceRequest, ExportLogsServiceResponse};
use crate::proto::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use crate::proto::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use crate::proto::rpc::Status;

/// Reads an OTLP/JSON trace export request (an OTLP/HTTP `application/json` body).
pub fn decode_traces(input: &[u8]) -> Result<ExportTraceServiceRequest, JsonError> {
    read::decode(input)
}

/// Reads an OTLP/JSON metrics export request.
pub fn decode_metrics(input: &[u8]) -> Result<ExportMetricsServiceRequest, JsonError> {
    read::decode(input)
}

/// Reads an OTLP/JSON logs export request.
pub fn decode_logs(input: &[u8]) -> Result<ExportLogsServiceRequest, JsonError> {
    read::decode(input)
}

/// Writes a trace export request as OTLP/JSON.
pub fn encode_traces(req: &ExportTraceServiceRequest) -> Vec<u8> {
    write::encode(req)
}

/// Writes a metrics export request as OTLP/JSON.
pub fn encode_metrics(req: &ExportMetricsServiceRequest) -> Vec<u8> {
    write::encode(req)
}

/// Writes a logs export request as OTLP/JSON.
pub fn encode_logs(req: &ExportLogsServiceRequest) -> Vec<u8> {
    write::encode(req)
}

/// Reads an OTLP/HTTP trace export response body (an exporter looks for `partialSuccess`).
pub fn decode_trace_response(input: &[u8]) -> Result<ExportTraceServiceResponse, JsonError> {
    read::decode(input)
}

/// Reads an OTLP/HTTP metrics export response body.
pub fn decode_metrics_response(input: &[u8]) -> Result<ExportMetricsServiceResponse, JsonError> {
    read::decode(input)
}

/// Reads an OTLP/HTTP logs export response body.
pub fn decode_logs_response(input: &[u8]) -> Result<ExportLogsServiceResponse, JsonError> {
    read::decode(input)
}

/// Writes a trace export response (with its partial success, when present).
pub fn encode_trace_response(resp: &ExportTraceServiceResponse) -> Vec<u8> {
    write::encode(resp)
}

/// Writes a metrics export response.
pub fn encode_metrics_response(resp: &ExportMetricsServiceResponse) -> Vec<u8> {
    write::encode(resp)
}

/// Writes a logs export response.
pub fn encode_logs_response(resp: &ExportLogsServiceResponse) -> Vec<u8> {
    write::encode(resp)
}

/// Writes a `google.rpc.Status` (an OTLP/HTTP error body); see `status.rs` for `details`.
pub fn encode_status(status: &Status) -> Vec<u8> {
    write::encode(status)
}

/// Reads a `google.rpc.Status` error body.
pub fn decode_status(input: &[u8]) -> Result<Status, JsonError> {
    read::decode(input)
}
