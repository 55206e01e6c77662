//! A zero-copy, allocation-free, validating walk over OTLP protobuf bytes.
//!
//! Receivers keep a request as the bytes it arrived as and forward them untouched when no
//! processor changes them (DESIGN.md §3), so they must reject malformed input — truncated
//! protobuf, wrong wire types, invalid UTF-8, absurd nesting — without decoding it into prost
//! structs, and count its items for self-metrics. [`validate`] does both in one pass over the
//! bytes; [`count_items`] only counts; [`resource_records`] cuts a request at resource boundaries
//! for the batcher, which merges requests by concatenating those records.
//!
//! The walk accepts exactly what `prost::Message::decode` (0.14) accepts: unknown fields of every
//! wire type (groups included) are skipped, a known field with a wrong wire type is an error,
//! repeated scalars may be packed or not, varints are at most ten bytes, strings must be UTF-8,
//! and at most 100 messages (prost's recursion limit) nest below the request.
//!
//! `TracesData`, `MetricsData` and `LogsData` have the same layout as the export requests, so
//! the same [`SignalKind`]s walk them.
//!
//! Layout: `schema` describes a message as a static table and `otlp` holds the OTLP tables;
//! `reader` decodes the protobuf primitives; `walk` interprets the tables; `error` says what went
//! wrong and where.

mod error;
mod otlp;
mod reader;
mod schema;
mod walk;

use std::ops::Range;

pub use error::WireError;

use error::{LEN, Site};
use reader::Reader;
use schema::{FieldKind, Schema};
use walk::{COUNT, RECURSION_LIMIT, VALIDATE};

/// Which export request the bytes hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SignalKind {
    /// `ExportTraceServiceRequest`; items are spans.
    Traces,
    /// `ExportMetricsServiceRequest`; items are metric data points.
    Metrics,
    /// `ExportLogsServiceRequest`; items are log records.
    Logs,
}

impl SignalKind {
    fn request(self) -> &'static Schema {
        match self {
            Self::Traces => &otlp::EXPORT_TRACE_SERVICE_REQUEST,
            Self::Metrics => &otlp::EXPORT_METRICS_SERVICE_REQUEST,
            Self::Logs => &otlp::EXPORT_LOGS_SERVICE_REQUEST,
        }
    }
}

/// One top-level `ResourceSpans` / `ResourceMetrics` / `ResourceLogs` record of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// The whole field-1 record: key, length prefix and message. Concatenating records (of
    /// requests of the same signal) gives a valid request.
    pub range: Range<usize>,
    /// Spans, metric data points or log records in it.
    pub items: usize,
}

/// Walks an Export{Trace,Metrics,Logs}ServiceRequest, checking every nested message as prost's
/// decode would, and returns the item count: spans; metric data points summed over gauge, sum,
/// histogram, exponential histogram and summary (Go's `DataPointCount`); or log records.
///
/// Empty input is a valid request with no items.
pub fn validate(kind: SignalKind, bytes: &[u8]) -> Result<usize, WireError> {
    walk::message::<VALIDATE>(kind.request(), bytes, 0..bytes.len(), RECURSION_LIMIT)
}

/// Counts items like [`validate`], for bytes that were validated before: it descends only into
/// the messages on the way to the items and skips everything else by wire type, so it does not
/// check strings or attributes. It never panics on bad input; it returns an error when the
/// structure it needs is broken.
pub fn count_items(kind: SignalKind, bytes: &[u8]) -> Result<usize, WireError> {
    walk::message::<COUNT>(kind.request(), bytes, 0..bytes.len(), RECURSION_LIMIT)
}

/// Splits a (validated) request into its top-level field-1 records with their item counts, so a
/// batcher can concatenate or split requests at resource boundaries without decoding.
///
/// Unknown top-level fields are skipped and not part of any record (prost would drop them too);
/// for a request that has none, the records' ranges concatenated are the whole input.
pub fn resource_records(kind: SignalKind, bytes: &[u8]) -> Result<Vec<Record>, WireError> {
    let schema = kind.request();
    let resource = match schema.field(1).map(|f| f.kind) {
        Some(FieldKind::Message(resource)) => resource,
        _ => unreachable!("every request schema has message field 1"),
    };
    let mut records = Vec::new();
    let mut r = Reader::new(bytes, 0..bytes.len());
    while !r.at_end() {
        let key_at = r.pos();
        let (number, wire_type) = r.key()?;
        let site = Site { schema, number };
        if number != 1 {
            walk::skip(&mut r, site, wire_type, RECURSION_LIMIT, key_at)?;
            continue;
        }
        if wire_type != LEN {
            return Err(WireError::new(
                key_at,
                error::Kind::WrongWireType { site, wire_type },
            ));
        }
        let body = r.length_delimited(site)?;
        let end = body.end;
        let items = walk::message::<COUNT>(resource, bytes, body, RECURSION_LIMIT - 1)?;
        records.push(Record {
            range: key_at..end,
            items,
        });
    }
    Ok(records)
}
