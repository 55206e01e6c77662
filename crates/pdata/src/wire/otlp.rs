//! The OTLP messages as static [`Schema`] tables, transcribed from the generated prost code in
//! `crate::proto` (common, resource, trace, metrics, logs and the three export requests).
//!
//! Every field of every message is listed, so that the walker applies prost's wire-type rules to
//! all of them; a field missing here would be skipped as unknown and could let through bytes that
//! prost rejects. The property tests in `tests/wire_prop.rs` check the tables against
//! prost on every field.

use super::schema::FieldKind::{
    Bool, Bytes, Double, Enum, Fixed32, Fixed64, Int, Message, SFixed64, SInt, String,
};
use super::schema::{Field, Schema, by_number};

/// `static $id: Schema` named `$name`, with fields up to number `$max`.
macro_rules! schema {
    ($id:ident, $name:literal, $max:literal, [$($field:expr),* $(,)?]) => {
        pub(crate) static $id: Schema = Schema {
            name: $name,
            by_number: &by_number::<{ $max + 1 }, _>([$($field),*]),
        };
    };
}

const fn f(number: u32, name: &'static str, kind: super::schema::FieldKind) -> Field {
    Field::new(number, name, kind)
}

// --- opentelemetry.proto.common.v1 ---------------------------------------------------------

schema! {
    ANY_VALUE, "AnyValue", 7, [
        f(1, "string_value", String).oneof(),
        f(2, "bool_value", Bool).oneof(),
        f(3, "int_value", Int).oneof(),
        f(4, "double_value", Double).oneof(),
        f(5, "array_value", Message(&ARRAY_VALUE)).oneof(),
        f(6, "kvlist_value", Message(&KEY_VALUE_LIST)).oneof(),
        f(7, "bytes_value", Bytes).oneof(),
    ]
}
schema! {
    ARRAY_VALUE, "ArrayValue", 1, [
        f(1, "values", Message(&ANY_VALUE)).repeated(),
    ]
}
schema! {
    KEY_VALUE_LIST, "KeyValueList", 1, [
        f(1, "values", Message(&KEY_VALUE)).repeated(),
    ]
}
schema! {
    KEY_VALUE, "KeyValue", 2, [
        f(1, "key", String),
        f(2, "value", Message(&ANY_VALUE)),
    ]
}
schema! {
    INSTRUMENTATION_SCOPE, "InstrumentationScope", 4, [
        f(1, "name", String),
        f(2, "version", String),
        f(3, "attributes", Message(&KEY_VALUE)).repeated(),
        f(4, "dropped_attributes_count", Int),
    ]
}
schema! {
    ENTITY_REF, "EntityRef", 4, [
        f(1, "schema_url", String),
        f(2, "type", String),
        f(3, "id_keys", String).repeated(),
        f(4, "description_keys", String).repeated(),
    ]
}

// --- opentelemetry.proto.resource.v1 -------------------------------------------------------

schema! {
    RESOURCE, "Resource", 3, [
        f(1, "attributes", Message(&KEY_VALUE)).repeated(),
        f(2, "dropped_attributes_count", Int),
        f(3, "entity_refs", Message(&ENTITY_REF)).repeated(),
    ]
}

// --- opentelemetry.proto.trace.v1 ----------------------------------------------------------

schema! {
    EXPORT_TRACE_SERVICE_REQUEST, "ExportTraceServiceRequest", 1, [
        f(1, "resource_spans", Message(&RESOURCE_SPANS)).repeated().descend(),
    ]
}
schema! {
    RESOURCE_SPANS, "ResourceSpans", 3, [
        f(1, "resource", Message(&RESOURCE)),
        f(2, "scope_spans", Message(&SCOPE_SPANS)).repeated().descend(),
        f(3, "schema_url", String),
    ]
}
schema! {
    SCOPE_SPANS, "ScopeSpans", 3, [
        f(1, "scope", Message(&INSTRUMENTATION_SCOPE)),
        f(2, "spans", Message(&SPAN)).repeated().items(),
        f(3, "schema_url", String),
    ]
}
schema! {
    SPAN, "Span", 16, [
        f(1, "trace_id", Bytes),
        f(2, "span_id", Bytes),
        f(3, "trace_state", String),
        f(4, "parent_span_id", Bytes),
        f(5, "name", String),
        f(6, "kind", Enum),
        f(7, "start_time_unix_nano", Fixed64),
        f(8, "end_time_unix_nano", Fixed64),
        f(9, "attributes", Message(&KEY_VALUE)).repeated(),
        f(10, "dropped_attributes_count", Int),
        f(11, "events", Message(&SPAN_EVENT)).repeated(),
        f(12, "dropped_events_count", Int),
        f(13, "links", Message(&SPAN_LINK)).repeated(),
        f(14, "dropped_links_count", Int),
        f(15, "status", Message(&STATUS)),
        f(16, "flags", Fixed32),
    ]
}
schema! {
    SPAN_EVENT, "Span.Event", 4, [
        f(1, "time_unix_nano", Fixed64),
        f(2, "name", String),
        f(3, "attributes", Message(&KEY_VALUE)).repeated(),
        f(4, "dropped_attributes_count", Int),
    ]
}
schema! {
    SPAN_LINK, "Span.Link", 6, [
        f(1, "trace_id", Bytes),
        f(2, "span_id", Bytes),
        f(3, "trace_state", String),
        f(4, "attributes", Message(&KEY_VALUE)).repeated(),
        f(5, "dropped_attributes_count", Int),
        f(6, "flags", Fixed32),
    ]
}
schema! {
    STATUS, "Status", 3, [
        f(2, "message", String),
        f(3, "code", Enum),
    ]
}

// --- opentelemetry.proto.metrics.v1 --------------------------------------------------------

schema! {
    EXPORT_METRICS_SERVICE_REQUEST, "ExportMetricsServiceRequest", 1, [
        f(1, "resource_metrics", Message(&RESOURCE_METRICS)).repeated().descend(),
    ]
}
schema! {
    RESOURCE_METRICS, "ResourceMetrics", 3, [
        f(1, "resource", Message(&RESOURCE)),
        f(2, "scope_metrics", Message(&SCOPE_METRICS)).repeated().descend(),
        f(3, "schema_url", String),
    ]
}
schema! {
    SCOPE_METRICS, "ScopeMetrics", 3, [
        f(1, "scope", Message(&INSTRUMENTATION_SCOPE)),
        f(2, "metrics", Message(&METRIC)).repeated().descend(),
        f(3, "schema_url", String),
    ]
}
schema! {
    METRIC, "Metric", 12, [
        f(1, "name", String),
        f(2, "description", String),
        f(3, "unit", String),
        f(5, "gauge", Message(&GAUGE)).oneof().descend(),
        f(7, "sum", Message(&SUM)).oneof().descend(),
        f(9, "histogram", Message(&HISTOGRAM)).oneof().descend(),
        f(10, "exponential_histogram", Message(&EXPONENTIAL_HISTOGRAM)).oneof().descend(),
        f(11, "summary", Message(&SUMMARY)).oneof().descend(),
        f(12, "metadata", Message(&KEY_VALUE)).repeated(),
    ]
}
schema! {
    GAUGE, "Gauge", 1, [
        f(1, "data_points", Message(&NUMBER_DATA_POINT)).repeated().items(),
    ]
}
schema! {
    SUM, "Sum", 3, [
        f(1, "data_points", Message(&NUMBER_DATA_POINT)).repeated().items(),
        f(2, "aggregation_temporality", Enum),
        f(3, "is_monotonic", Bool),
    ]
}
schema! {
    HISTOGRAM, "Histogram", 2, [
        f(1, "data_points", Message(&HISTOGRAM_DATA_POINT)).repeated().items(),
        f(2, "aggregation_temporality", Enum),
    ]
}
schema! {
    EXPONENTIAL_HISTOGRAM, "ExponentialHistogram", 2, [
        f(1, "data_points", Message(&EXPONENTIAL_HISTOGRAM_DATA_POINT)).repeated().items(),
        f(2, "aggregation_temporality", Enum),
    ]
}
schema! {
    SUMMARY, "Summary", 1, [
        f(1, "data_points", Message(&SUMMARY_DATA_POINT)).repeated().items(),
    ]
}
schema! {
    NUMBER_DATA_POINT, "NumberDataPoint", 8, [
        f(2, "start_time_unix_nano", Fixed64),
        f(3, "time_unix_nano", Fixed64),
        f(4, "as_double", Double).oneof(),
        f(5, "exemplars", Message(&EXEMPLAR)).repeated(),
        f(6, "as_int", SFixed64).oneof(),
        f(7, "attributes", Message(&KEY_VALUE)).repeated(),
        f(8, "flags", Int),
    ]
}
schema! {
    HISTOGRAM_DATA_POINT, "HistogramDataPoint", 12, [
        f(2, "start_time_unix_nano", Fixed64),
        f(3, "time_unix_nano", Fixed64),
        f(4, "count", Fixed64),
        f(5, "sum", Double),
        f(6, "bucket_counts", Fixed64).repeated(),
        f(7, "explicit_bounds", Double).repeated(),
        f(8, "exemplars", Message(&EXEMPLAR)).repeated(),
        f(9, "attributes", Message(&KEY_VALUE)).repeated(),
        f(10, "flags", Int),
        f(11, "min", Double),
        f(12, "max", Double),
    ]
}
schema! {
    EXPONENTIAL_HISTOGRAM_DATA_POINT, "ExponentialHistogramDataPoint", 14, [
        f(1, "attributes", Message(&KEY_VALUE)).repeated(),
        f(2, "start_time_unix_nano", Fixed64),
        f(3, "time_unix_nano", Fixed64),
        f(4, "count", Fixed64),
        f(5, "sum", Double),
        f(6, "scale", SInt),
        f(7, "zero_count", Fixed64),
        f(8, "positive", Message(&BUCKETS)),
        f(9, "negative", Message(&BUCKETS)),
        f(10, "flags", Int),
        f(11, "exemplars", Message(&EXEMPLAR)).repeated(),
        f(12, "min", Double),
        f(13, "max", Double),
        f(14, "zero_threshold", Double),
    ]
}
schema! {
    BUCKETS, "ExponentialHistogramDataPoint.Buckets", 2, [
        f(1, "offset", SInt),
        f(2, "bucket_counts", Int).repeated(),
    ]
}
schema! {
    SUMMARY_DATA_POINT, "SummaryDataPoint", 8, [
        f(2, "start_time_unix_nano", Fixed64),
        f(3, "time_unix_nano", Fixed64),
        f(4, "count", Fixed64),
        f(5, "sum", Double),
        f(6, "quantile_values", Message(&VALUE_AT_QUANTILE)).repeated(),
        f(7, "attributes", Message(&KEY_VALUE)).repeated(),
        f(8, "flags", Int),
    ]
}
schema! {
    VALUE_AT_QUANTILE, "SummaryDataPoint.ValueAtQuantile", 2, [
        f(1, "quantile", Double),
        f(2, "value", Double),
    ]
}
schema! {
    EXEMPLAR, "Exemplar", 7, [
        f(2, "time_unix_nano", Fixed64),
        f(3, "as_double", Double).oneof(),
        f(4, "span_id", Bytes),
        f(5, "trace_id", Bytes),
        f(6, "as_int", SFixed64).oneof(),
        f(7, "filtered_attributes", Message(&KEY_VALUE)).repeated(),
    ]
}

// --- opentelemetry.proto.logs.v1 -----------------------------------------------------------

schema! {
    EXPORT_LOGS_SERVICE_REQUEST, "ExportLogsServiceRequest", 1, [
        f(1, "resource_logs", Message(&RESOURCE_LOGS)).repeated().descend(),
    ]
}
schema! {
    RESOURCE_LOGS, "ResourceLogs", 3, [
        f(1, "resource", Message(&RESOURCE)),
        f(2, "scope_logs", Message(&SCOPE_LOGS)).repeated().descend(),
        f(3, "schema_url", String),
    ]
}
schema! {
    SCOPE_LOGS, "ScopeLogs", 3, [
        f(1, "scope", Message(&INSTRUMENTATION_SCOPE)),
        f(2, "log_records", Message(&LOG_RECORD)).repeated().items(),
        f(3, "schema_url", String),
    ]
}
schema! {
    LOG_RECORD, "LogRecord", 12, [
        f(1, "time_unix_nano", Fixed64),
        f(2, "severity_number", Enum),
        f(3, "severity_text", String),
        f(5, "body", Message(&ANY_VALUE)),
        f(6, "attributes", Message(&KEY_VALUE)).repeated(),
        f(7, "dropped_attributes_count", Int),
        f(8, "flags", Fixed32),
        f(9, "trace_id", Bytes),
        f(10, "span_id", Bytes),
        f(11, "observed_time_unix_nano", Fixed64),
        f(12, "event_name", String),
    ]
}
