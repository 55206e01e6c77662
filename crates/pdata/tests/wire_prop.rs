//! Property tests of `pdata::wire` against prost, the decoder it must agree with.
//!
//! - Arbitrary requests of each signal (every message and field, nested AnyValues, all five
//!   metric kinds, packed and unpacked repeated scalars) encode to bytes that `validate` accepts
//!   with exactly the item count of the struct, and that `resource_records` splits losslessly.
//! - The key property: for mutations of valid encodings (truncation, bit flips, spliced and
//!   overwritten bytes, fields of every wire type inserted at any depth, payloads replaced by
//!   invalid UTF-8, fields duplicated or deleted), `validate` accepts exactly when
//!   `prost::Message::decode` does, and then counts what the decoded struct holds.

use bytes::Bytes;
use pdata::proto::common::v1::{
    AnyValue, ArrayValue, EntityRef, InstrumentationScope, KeyValue, KeyValueList, any_value,
};
use pdata::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use pdata::proto::metrics::v1::exponential_histogram_data_point::Buckets;
use pdata::proto::metrics::v1::summary_data_point::ValueAtQuantile;
use pdata::proto::metrics::v1::{
    Exemplar, ExponentialHistogram, ExponentialHistogramDataPoint, Gauge, Histogram,
    HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum, Summary,
    SummaryDataPoint, exemplar, metric, number_data_point,
};
use pdata::proto::resource::v1::Resource;
use pdata::proto::trace::v1::{ResourceSpans, ScopeSpans, Span, Status, span};
use pdata::wire::{SignalKind, count_items, resource_records, validate};
use pdata::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};
use proptest::collection::vec;
use proptest::prelude::*;
use prost::Message;
use prost::encoding::{WireType, encode_key, encode_varint};

/// `default` cases per property, or `WIRE_PROPTEST_CASES` for a longer hunt.
fn cases(default: u32) -> u32 {
    std::env::var("WIRE_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

// --- strategies --------------------------------------------------------------------------------

fn text() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "[a-z]{1,6}", ".{0,6}"]
}

fn blob() -> impl Strategy<Value = Bytes> {
    vec(any::<u8>(), 0..17).prop_map(Bytes::from)
}

fn any_value() -> impl Strategy<Value = AnyValue> {
    use any_value::Value;
    let leaf = prop_oneof![
        Just(None),
        text().prop_map(|s| Some(Value::StringValue(s))),
        any::<bool>().prop_map(|b| Some(Value::BoolValue(b))),
        any::<i64>().prop_map(|i| Some(Value::IntValue(i))),
        any::<f64>().prop_map(|d| Some(Value::DoubleValue(d))),
        blob().prop_map(|b| Some(Value::BytesValue(b))),
    ]
    .prop_map(|value| AnyValue { value });
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..3).prop_map(|values| AnyValue {
                value: Some(any_value::Value::ArrayValue(ArrayValue { values })),
            }),
            vec((text(), proptest::option::of(inner)), 0..3).prop_map(|kvs| AnyValue {
                value: Some(any_value::Value::KvlistValue(KeyValueList {
                    values: kvs
                        .into_iter()
                        .map(|(key, value)| KeyValue { key, value })
                        .collect(),
                })),
            }),
        ]
    })
}

fn attributes() -> impl Strategy<Value = Vec<KeyValue>> {
    vec(
        (text(), proptest::option::of(any_value()))
            .prop_map(|(key, value)| KeyValue { key, value }),
        0..3,
    )
}

fn resource() -> impl Strategy<Value = Option<Resource>> {
    let entity_ref = (text(), text(), vec(text(), 0..3), vec(text(), 0..3)).prop_map(
        |(schema_url, r#type, id_keys, description_keys)| EntityRef {
            schema_url,
            r#type,
            id_keys,
            description_keys,
        },
    );
    proptest::option::of(
        (attributes(), any::<u32>(), vec(entity_ref, 0..2)).prop_map(
            |(attributes, dropped_attributes_count, entity_refs)| Resource {
                attributes,
                dropped_attributes_count,
                entity_refs,
            },
        ),
    )
}

fn scope() -> impl Strategy<Value = Option<InstrumentationScope>> {
    proptest::option::of((text(), text(), attributes(), any::<u32>()).prop_map(
        |(name, version, attributes, dropped_attributes_count)| InstrumentationScope {
            name,
            version,
            attributes,
            dropped_attributes_count,
        },
    ))
}

fn span() -> impl Strategy<Value = Span> {
    let event = (any::<u64>(), text(), attributes(), any::<u32>()).prop_map(
        |(time_unix_nano, name, attributes, dropped_attributes_count)| span::Event {
            time_unix_nano,
            name,
            attributes,
            dropped_attributes_count,
        },
    );
    let link = (
        blob(),
        blob(),
        text(),
        attributes(),
        any::<u32>(),
        any::<u32>(),
    )
        .prop_map(
            |(trace_id, span_id, trace_state, attributes, dropped_attributes_count, flags)| {
                span::Link {
                    trace_id,
                    span_id,
                    trace_state,
                    attributes,
                    dropped_attributes_count,
                    flags,
                }
            },
        );
    let status = proptest::option::of(
        (text(), any::<i32>()).prop_map(|(message, code)| Status { message, code }),
    );
    let ids = (
        blob(),
        blob(),
        text(),
        blob(),
        any::<u32>(),
        text(),
        any::<i32>(),
    );
    let times = (any::<u64>(), any::<u64>(), attributes(), any::<u32>());
    let rest = (
        vec(event, 0..2),
        any::<u32>(),
        vec(link, 0..2),
        any::<u32>(),
        status,
    );
    (ids, times, rest).prop_map(
        |(
            (trace_id, span_id, trace_state, parent_span_id, flags, name, kind),
            (start_time_unix_nano, end_time_unix_nano, attributes, dropped_attributes_count),
            (events, dropped_events_count, links, dropped_links_count, status),
        )| Span {
            trace_id,
            span_id,
            trace_state,
            parent_span_id,
            flags,
            name,
            kind,
            start_time_unix_nano,
            end_time_unix_nano,
            attributes,
            dropped_attributes_count,
            events,
            dropped_events_count,
            links,
            dropped_links_count,
            status,
        },
    )
}

fn traces() -> impl Strategy<Value = ExportTraceServiceRequest> {
    let scope_spans =
        (scope(), vec(span(), 0..4), text()).prop_map(|(scope, spans, schema_url)| ScopeSpans {
            scope,
            spans,
            schema_url,
        });
    let resource_spans = (resource(), vec(scope_spans, 1..3), text()).prop_map(
        |(resource, scope_spans, schema_url)| ResourceSpans {
            resource,
            scope_spans,
            schema_url,
        },
    );
    vec(resource_spans, 1..3)
        .prop_map(|resource_spans| ExportTraceServiceRequest { resource_spans })
}

fn exemplars() -> impl Strategy<Value = Vec<Exemplar>> {
    let value = prop_oneof![
        Just(None),
        any::<f64>().prop_map(|d| Some(exemplar::Value::AsDouble(d))),
        any::<i64>().prop_map(|i| Some(exemplar::Value::AsInt(i))),
    ];
    vec(
        (attributes(), any::<u64>(), blob(), blob(), value).prop_map(
            |(filtered_attributes, time_unix_nano, span_id, trace_id, value)| Exemplar {
                filtered_attributes,
                time_unix_nano,
                span_id,
                trace_id,
                value,
            },
        ),
        0..2,
    )
}

fn number_points() -> impl Strategy<Value = Vec<NumberDataPoint>> {
    let value = prop_oneof![
        Just(None),
        any::<f64>().prop_map(|d| Some(number_data_point::Value::AsDouble(d))),
        any::<i64>().prop_map(|i| Some(number_data_point::Value::AsInt(i))),
    ];
    vec(
        (
            attributes(),
            any::<u64>(),
            any::<u64>(),
            exemplars(),
            any::<u32>(),
            value,
        )
            .prop_map(
                |(attributes, start_time_unix_nano, time_unix_nano, exemplars, flags, value)| {
                    NumberDataPoint {
                        attributes,
                        start_time_unix_nano,
                        time_unix_nano,
                        exemplars,
                        flags,
                        value,
                    }
                },
            ),
        0..4,
    )
}

fn optional_f64() -> impl Strategy<Value = Option<f64>> {
    proptest::option::of(any::<f64>())
}

fn histogram_points() -> impl Strategy<Value = Vec<HistogramDataPoint>> {
    let head = (
        attributes(),
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        optional_f64(),
    );
    let tail = (
        vec(any::<u64>(), 0..5),
        vec(any::<f64>(), 0..5),
        exemplars(),
        any::<u32>(),
        optional_f64(),
        optional_f64(),
    );
    vec(
        (head, tail).prop_map(
            |(
                (attributes, start_time_unix_nano, time_unix_nano, count, sum),
                (bucket_counts, explicit_bounds, exemplars, flags, min, max),
            )| HistogramDataPoint {
                attributes,
                start_time_unix_nano,
                time_unix_nano,
                count,
                sum,
                bucket_counts,
                explicit_bounds,
                exemplars,
                flags,
                min,
                max,
            },
        ),
        0..4,
    )
}

fn exponential_points() -> impl Strategy<Value = Vec<ExponentialHistogramDataPoint>> {
    let buckets = proptest::option::of((any::<i32>(), vec(any::<u64>(), 0..5)).prop_map(
        |(offset, bucket_counts)| Buckets {
            offset,
            bucket_counts,
        },
    ));
    let head = (
        attributes(),
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        optional_f64(),
        any::<i32>(),
        any::<u64>(),
    );
    let tail = (
        buckets.clone(),
        buckets,
        any::<u32>(),
        exemplars(),
        optional_f64(),
        optional_f64(),
        any::<f64>(),
    );
    vec(
        (head, tail).prop_map(
            |(
                (attributes, start_time_unix_nano, time_unix_nano, count, sum, scale, zero_count),
                (positive, negative, flags, exemplars, min, max, zero_threshold),
            )| ExponentialHistogramDataPoint {
                attributes,
                start_time_unix_nano,
                time_unix_nano,
                count,
                sum,
                scale,
                zero_count,
                positive,
                negative,
                flags,
                exemplars,
                min,
                max,
                zero_threshold,
            },
        ),
        0..4,
    )
}

fn summary_points() -> impl Strategy<Value = Vec<SummaryDataPoint>> {
    let quantiles = vec(
        (any::<f64>(), any::<f64>())
            .prop_map(|(quantile, value)| ValueAtQuantile { quantile, value }),
        0..3,
    );
    vec(
        (
            attributes(),
            any::<u64>(),
            any::<u64>(),
            any::<u64>(),
            any::<f64>(),
            quantiles,
            any::<u32>(),
        )
            .prop_map(
                |(
                    attributes,
                    start_time_unix_nano,
                    time_unix_nano,
                    count,
                    sum,
                    quantile_values,
                    flags,
                )| {
                    SummaryDataPoint {
                        attributes,
                        start_time_unix_nano,
                        time_unix_nano,
                        count,
                        sum,
                        quantile_values,
                        flags,
                    }
                },
            ),
        0..4,
    )
}

fn metric_data() -> impl Strategy<Value = Option<metric::Data>> {
    use metric::Data;
    prop_oneof![
        Just(None),
        number_points().prop_map(|data_points| Some(Data::Gauge(Gauge { data_points }))),
        (number_points(), any::<i32>(), any::<bool>()).prop_map(|(data_points, t, m)| Some(
            Data::Sum(Sum {
                data_points,
                aggregation_temporality: t,
                is_monotonic: m,
            })
        )),
        (histogram_points(), any::<i32>()).prop_map(|(data_points, t)| Some(Data::Histogram(
            Histogram {
                data_points,
                aggregation_temporality: t,
            }
        ))),
        (exponential_points(), any::<i32>()).prop_map(|(data_points, t)| Some(
            Data::ExponentialHistogram(ExponentialHistogram {
                data_points,
                aggregation_temporality: t,
            })
        )),
        summary_points().prop_map(|data_points| Some(Data::Summary(Summary { data_points }))),
    ]
}

fn metrics() -> impl Strategy<Value = ExportMetricsServiceRequest> {
    let metric = (text(), text(), text(), attributes(), metric_data()).prop_map(
        |(name, description, unit, metadata, data)| Metric {
            name,
            description,
            unit,
            metadata,
            data,
        },
    );
    let scope_metrics =
        (scope(), vec(metric, 1..4), text()).prop_map(|(scope, metrics, schema_url)| {
            ScopeMetrics {
                scope,
                metrics,
                schema_url,
            }
        });
    let resource_metrics = (resource(), vec(scope_metrics, 1..3), text()).prop_map(
        |(resource, scope_metrics, schema_url)| ResourceMetrics {
            resource,
            scope_metrics,
            schema_url,
        },
    );
    vec(resource_metrics, 1..3)
        .prop_map(|resource_metrics| ExportMetricsServiceRequest { resource_metrics })
}

fn log_record() -> impl Strategy<Value = LogRecord> {
    let head = (
        any::<u64>(),
        any::<u64>(),
        any::<i32>(),
        text(),
        proptest::option::of(any_value()),
    );
    let tail = (
        attributes(),
        any::<u32>(),
        any::<u32>(),
        blob(),
        blob(),
        text(),
    );
    (head, tail).prop_map(
        |(
            (time_unix_nano, observed_time_unix_nano, severity_number, severity_text, body),
            (attributes, dropped_attributes_count, flags, trace_id, span_id, event_name),
        )| LogRecord {
            time_unix_nano,
            observed_time_unix_nano,
            severity_number,
            severity_text,
            body,
            attributes,
            dropped_attributes_count,
            flags,
            trace_id,
            span_id,
            event_name,
        },
    )
}

fn logs() -> impl Strategy<Value = ExportLogsServiceRequest> {
    let scope_logs =
        (scope(), vec(log_record(), 0..4), text()).prop_map(|(scope, log_records, schema_url)| {
            ScopeLogs {
                scope,
                log_records,
                schema_url,
            }
        });
    let resource_logs = (resource(), vec(scope_logs, 1..3), text()).prop_map(
        |(resource, scope_logs, schema_url)| ResourceLogs {
            resource,
            scope_logs,
            schema_url,
        },
    );
    vec(resource_logs, 1..3).prop_map(|resource_logs| ExportLogsServiceRequest { resource_logs })
}

// --- item counts from decoded structs -------------------------------------------------------

fn span_count(r: &ExportTraceServiceRequest) -> usize {
    r.resource_spans
        .iter()
        .flat_map(|rs| &rs.scope_spans)
        .map(|ss| ss.spans.len())
        .sum()
}

/// Go pdata's `DataPointCount` for one metric.
fn data_points(m: &Metric) -> usize {
    use metric::Data;
    match &m.data {
        Some(Data::Gauge(g)) => g.data_points.len(),
        Some(Data::Sum(s)) => s.data_points.len(),
        Some(Data::Histogram(h)) => h.data_points.len(),
        Some(Data::ExponentialHistogram(h)) => h.data_points.len(),
        Some(Data::Summary(s)) => s.data_points.len(),
        None => 0,
    }
}

fn data_point_count(r: &ExportMetricsServiceRequest) -> usize {
    r.resource_metrics
        .iter()
        .flat_map(|rm| &rm.scope_metrics)
        .flat_map(|sm| &sm.metrics)
        .map(data_points)
        .sum()
}

fn log_count(r: &ExportLogsServiceRequest) -> usize {
    r.resource_logs
        .iter()
        .flat_map(|rl| &rl.scope_logs)
        .map(|sl| sl.log_records.len())
        .sum()
}

/// prost's verdict on `bytes` and, if it accepts them, the item count of the decoded request.
fn prost_count(kind: SignalKind, bytes: &[u8]) -> Result<usize, prost::DecodeError> {
    match kind {
        SignalKind::Traces => ExportTraceServiceRequest::decode(bytes).map(|r| span_count(&r)),
        SignalKind::Metrics => {
            ExportMetricsServiceRequest::decode(bytes).map(|r| data_point_count(&r))
        }
        SignalKind::Logs => ExportLogsServiceRequest::decode(bytes).map(|r| log_count(&r)),
    }
}

// --- unpacked encoding of the packed repeated scalars -----------------------------------------
//
// prost always packs repeated scalars; these re-encode a metrics request with
// `HistogramDataPoint.bucket_counts`/`explicit_bounds` and `Buckets.bucket_counts` unpacked (one
// key per element). Field order inside a message does not matter to a decoder, so each level
// encodes a copy without its re-encoded children, then appends those.

fn len_field(number: u32, payload: &[u8], out: &mut Vec<u8>) {
    encode_key(number, WireType::LengthDelimited, out);
    encode_varint(payload.len() as u64, out);
    out.extend_from_slice(payload);
}

fn unpacked_buckets(b: &Buckets) -> Vec<u8> {
    let mut out = Buckets {
        bucket_counts: vec![],
        ..b.clone()
    }
    .encode_to_vec();
    prost::encoding::uint64::encode_repeated(2, &b.bucket_counts, &mut out);
    out
}

fn unpacked_metric(m: &Metric) -> Vec<u8> {
    use metric::Data;
    let mut out = Metric {
        data: None,
        ..m.clone()
    }
    .encode_to_vec();
    match &m.data {
        Some(Data::Histogram(h)) => {
            let mut hist = Histogram {
                data_points: vec![],
                ..h.clone()
            }
            .encode_to_vec();
            for dp in &h.data_points {
                let mut point = HistogramDataPoint {
                    bucket_counts: vec![],
                    explicit_bounds: vec![],
                    ..dp.clone()
                }
                .encode_to_vec();
                prost::encoding::fixed64::encode_repeated(6, &dp.bucket_counts, &mut point);
                prost::encoding::double::encode_repeated(7, &dp.explicit_bounds, &mut point);
                len_field(1, &point, &mut hist);
            }
            len_field(9, &hist, &mut out);
        }
        Some(Data::ExponentialHistogram(h)) => {
            let mut hist = ExponentialHistogram {
                data_points: vec![],
                ..h.clone()
            }
            .encode_to_vec();
            for dp in &h.data_points {
                let mut point = ExponentialHistogramDataPoint {
                    positive: None,
                    negative: None,
                    ..dp.clone()
                }
                .encode_to_vec();
                if let Some(b) = &dp.positive {
                    len_field(8, &unpacked_buckets(b), &mut point);
                }
                if let Some(b) = &dp.negative {
                    len_field(9, &unpacked_buckets(b), &mut point);
                }
                len_field(1, &point, &mut hist);
            }
            len_field(10, &hist, &mut out);
        }
        Some(other) => other.encode(&mut out),
        None => {}
    }
    out
}

fn unpacked_metrics(r: &ExportMetricsServiceRequest) -> Vec<u8> {
    let mut out = Vec::new();
    for rm in &r.resource_metrics {
        let mut rm_bytes = ResourceMetrics {
            scope_metrics: vec![],
            ..rm.clone()
        }
        .encode_to_vec();
        for sm in &rm.scope_metrics {
            let mut sm_bytes = ScopeMetrics {
                metrics: vec![],
                ..sm.clone()
            }
            .encode_to_vec();
            for m in &sm.metrics {
                len_field(2, &unpacked_metric(m), &mut sm_bytes);
            }
            len_field(2, &sm_bytes, &mut rm_bytes);
        }
        len_field(1, &rm_bytes, &mut out);
    }
    out
}

// --- valid requests ---------------------------------------------------------------------------

/// `validate`, `count_items` and `resource_records` on the valid encoding `bytes` of a request
/// holding `expected` items, split into resources holding `per_resource` items.
fn check_valid(
    kind: SignalKind,
    bytes: &[u8],
    expected: usize,
    per_resource: &[usize],
) -> Result<(), TestCaseError> {
    prop_assert_eq!(
        validate(kind, bytes).map_err(|e| e.to_string()),
        Ok(expected)
    );
    prop_assert_eq!(
        count_items(kind, bytes).map_err(|e| e.to_string()),
        Ok(expected)
    );
    let records = resource_records(kind, bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(
        records.iter().map(|r| r.items).collect::<Vec<_>>(),
        per_resource.to_vec()
    );
    let joined: Vec<u8> = records
        .iter()
        .flat_map(|r| bytes[r.range.clone()].iter().copied())
        .collect();
    prop_assert_eq!(&joined[..], bytes);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(500)))]

    #[test]
    fn valid_traces_are_accepted_and_counted(req in traces()) {
        let bytes = req.encode_to_vec();
        let per_resource: Vec<usize> = req.resource_spans.iter()
            .map(|rs| rs.scope_spans.iter().map(|ss| ss.spans.len()).sum())
            .collect();
        check_valid(SignalKind::Traces, &bytes, span_count(&req), &per_resource)?;
    }

    #[test]
    fn valid_metrics_are_accepted_and_counted(req in metrics(), unpacked in any::<bool>()) {
        let bytes = if unpacked { unpacked_metrics(&req) } else { req.encode_to_vec() };
        // The hand-made unpacked encoding decodes to the same request.
        let decoded = ExportMetricsServiceRequest::decode(&bytes[..]).unwrap();
        prop_assert_eq!(decoded.encode_to_vec(), req.encode_to_vec());
        let per_resource: Vec<usize> = req.resource_metrics.iter()
            .map(|rm| rm.scope_metrics.iter().flat_map(|sm| &sm.metrics).map(data_points).sum())
            .collect();
        check_valid(SignalKind::Metrics, &bytes, data_point_count(&req), &per_resource)?;
    }

    #[test]
    fn valid_logs_are_accepted_and_counted(req in logs()) {
        let bytes = req.encode_to_vec();
        let per_resource: Vec<usize> = req.resource_logs.iter()
            .map(|rl| rl.scope_logs.iter().map(|sl| sl.log_records.len()).sum())
            .collect();
        check_valid(SignalKind::Logs, &bytes, log_count(&req), &per_resource)?;
    }
}

// --- mutations --------------------------------------------------------------------------------

/// One field of a message as found by a schema-free parse.
struct RawField {
    start: usize,
    key_end: usize,
    wire_type: u8,
    /// The payload of a length-delimited field.
    payload: std::ops::Range<usize>,
    end: usize,
}

fn read_varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut rest = bytes.get(*at..)?;
    let before = rest.len();
    let value = prost::encoding::decode_varint(&mut rest).ok()?;
    *at += before - rest.len();
    Some(value)
}

/// Parses `bytes` as a sequence of fields without knowing the message (groups are taken as
/// single bare keys); `None` if they do not parse. Used only to pick mutation sites: a string
/// that happens to parse is as good a place to mutate as a message.
fn raw_fields(bytes: &[u8]) -> Option<Vec<RawField>> {
    let mut fields = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let start = at;
        let key = read_varint(bytes, &mut at)?;
        let key_end = at;
        let wire_type = (key & 7) as u8;
        let mut payload = at..at;
        match wire_type {
            0 => {
                read_varint(bytes, &mut at)?;
            }
            1 => at += 8,
            2 => {
                let len = usize::try_from(read_varint(bytes, &mut at)?).ok()?;
                payload = at..at.checked_add(len)?;
                at = payload.end;
            }
            3 | 4 => {}
            5 => at += 4,
            _ => return None,
        }
        if at > bytes.len() {
            return None;
        }
        fields.push(RawField {
            start,
            key_end,
            wire_type,
            payload,
            end: at,
        });
    }
    Some(fields)
}

#[derive(Clone, Debug)]
enum Mutation {
    Truncate(usize),
    Flip {
        at: usize,
        mask: u8,
    },
    Splice {
        at: usize,
        bytes: Vec<u8>,
    },
    Overwrite {
        at: usize,
        bytes: Vec<u8>,
    },
    /// At a field boundary `depth` levels down (following `dice`), fixing every length prefix:
    Insert {
        dice: Vec<u32>,
        field: Vec<u8>,
    },
    ReplacePayload {
        dice: Vec<u32>,
        payload: Vec<u8>,
    },
    Duplicate {
        dice: Vec<u32>,
    },
    /// Appends a sibling length-delimited field's payload to another's: a protobuf merge of the
    /// two, which e.g. gives a Metric two different oneof members.
    MergeSibling {
        dice: Vec<u32>,
        other: u32,
    },
    Delete {
        dice: Vec<u32>,
    },
}

/// A field of any number and wire type, valid or not: unknown and known numbers; varints (also
/// overlong), fixed values, random or UTF-8-broken payloads, nested and mismatched groups, lone
/// end-group keys, wire types 6 and 7.
fn random_field() -> impl Strategy<Value = Vec<u8>> {
    let number = prop_oneof![6 => 1u32..=16, 1 => 17u32..2000, 1 => Just((1 << 29) - 1)];
    let payload = prop_oneof![
        vec(any::<u8>(), 0..12),
        vec(0x20u8..0x7f, 0..12),
        Just(b"\xc3\x28".to_vec()),
        Just(b"ok\xed\xa0\x80".to_vec()),
    ];
    (number, 0u8..8, any::<u64>(), payload, any::<u8>()).prop_map(
        |(number, wire_type, value, payload, flavour)| {
            let mut out = Vec::new();
            encode_varint(u64::from(number) << 3 | u64::from(wire_type), &mut out);
            match wire_type {
                0 if flavour < 16 => out.extend_from_slice(&[0xff; 11]),
                0 => encode_varint(value, &mut out),
                1 => out.extend_from_slice(&value.to_le_bytes()),
                2 => {
                    encode_varint(payload.len() as u64, &mut out);
                    out.extend_from_slice(&payload);
                }
                3 => {
                    // A group holding a varint and maybe a nested group, closed by the same
                    // number (mostly) or another.
                    encode_varint(1 << 3, &mut out);
                    encode_varint(value, &mut out);
                    if flavour % 4 == 0 {
                        encode_varint(2 << 3 | 3, &mut out);
                        encode_varint(2 << 3 | 4, &mut out);
                    }
                    let end = if flavour % 8 == 1 { number + 1 } else { number };
                    encode_varint(u64::from(end) << 3 | 4, &mut out);
                }
                5 => out.extend_from_slice(&value.to_le_bytes()[..4]),
                _ => {} // 4: a lone end-group; 6, 7: invalid wire types
            }
            out
        },
    )
}

fn dice() -> impl Strategy<Value = Vec<u32>> {
    vec(any::<u32>(), 1..12)
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        1 => any::<usize>().prop_map(Mutation::Truncate),
        1 => (any::<usize>(), 1u8..=255).prop_map(|(at, mask)| Mutation::Flip { at, mask }),
        1 => (any::<usize>(), vec(any::<u8>(), 1..8))
            .prop_map(|(at, bytes)| Mutation::Splice { at, bytes }),
        1 => (any::<usize>(), vec(any::<u8>(), 1..4))
            .prop_map(|(at, bytes)| Mutation::Overwrite { at, bytes }),
        3 => (dice(), random_field()).prop_map(|(dice, field)| Mutation::Insert { dice, field }),
        2 => (dice(), prop_oneof![
            Just(b"\xff".to_vec()),
            Just(b"abc\xe2\x82".to_vec()),
            Just(b"\xc0\xaf".to_vec()),
            vec(any::<u8>(), 0..10),
        ]).prop_map(|(dice, payload)| Mutation::ReplacePayload { dice, payload }),
        2 => dice().prop_map(|dice| Mutation::Duplicate { dice }),
        2 => (dice(), any::<u32>())
            .prop_map(|(dice, other)| Mutation::MergeSibling { dice, other }),
        1 => dice().prop_map(|dice| Mutation::Delete { dice }),
    ]
}

/// Applies a structural mutation somewhere in `bytes`: descends into length-delimited fields
/// whose payload parses as fields (seven times in eight, per level), then acts on one field or
/// boundary of that level, rewriting the length prefixes on the way back up.
/// A mutation applied at one level: (that level's bytes, its fields, a die) → new bytes.
type Act<'a> = &'a dyn Fn(&[u8], &[RawField], u32) -> Vec<u8>;

fn nested(bytes: &[u8], dice: &[u32], act: Act<'_>) -> Vec<u8> {
    let (&d, rest) = dice.split_first().unwrap_or((&0, &[]));
    let Some(fields) = raw_fields(bytes) else {
        return act(bytes, &[], d);
    };
    let inner: Vec<&RawField> = fields
        .iter()
        .filter(|f| {
            f.wire_type == 2 && raw_fields(&bytes[f.payload.clone()]).is_some_and(|v| !v.is_empty())
        })
        .collect();
    if d % 8 != 0 && !inner.is_empty() && !rest.is_empty() {
        let f = inner[(d / 8) as usize % inner.len()];
        let payload = nested(&bytes[f.payload.clone()], rest, act);
        let mut out = bytes[..f.key_end].to_vec();
        encode_varint(payload.len() as u64, &mut out);
        out.extend_from_slice(&payload);
        out.extend_from_slice(&bytes[f.end..]);
        return out;
    }
    act(bytes, &fields, d / 8)
}

fn mutate(bytes: &[u8], m: &Mutation) -> Vec<u8> {
    let mut out = bytes.to_vec();
    match m {
        Mutation::Truncate(at) => out.truncate(at % (bytes.len() + 1)),
        Mutation::Flip { at, mask } => {
            if !out.is_empty() {
                let at = at % out.len();
                out[at] ^= mask;
            }
        }
        Mutation::Splice { at, bytes: b } => {
            let at = at % (out.len() + 1);
            out.splice(at..at, b.iter().copied());
        }
        Mutation::Overwrite { at, bytes: b } => {
            for (i, &byte) in b.iter().enumerate() {
                if let Some(slot) = out.get_mut(at % (bytes.len() + 1) + i) {
                    *slot = byte;
                }
            }
        }
        Mutation::Insert { dice, field } => {
            out = nested(bytes, dice, &|b, fields, d| {
                let at = fields
                    .get(d as usize % (fields.len() + 1))
                    .map_or(b.len(), |f| f.start);
                [&b[..at], field, &b[at..]].concat()
            });
        }
        Mutation::ReplacePayload { dice, payload } => {
            out = nested(bytes, dice, &|b, fields, d| {
                let lens: Vec<&RawField> = fields.iter().filter(|f| f.wire_type == 2).collect();
                let Some(f) = lens.get(d as usize % lens.len().max(1)) else {
                    return b.to_vec();
                };
                let mut out = b[..f.key_end].to_vec();
                encode_varint(payload.len() as u64, &mut out);
                out.extend_from_slice(payload);
                out.extend_from_slice(&b[f.end..]);
                out
            });
        }
        Mutation::Duplicate { dice } => {
            out = nested(bytes, dice, &|b, fields, d| {
                let Some(f) = fields.get(d as usize % fields.len().max(1)) else {
                    return b.to_vec();
                };
                [&b[..f.end], &b[f.start..]].concat()
            });
        }
        Mutation::MergeSibling { dice, other } => {
            out = nested(bytes, dice, &|b, fields, d| {
                let lens: Vec<&RawField> = fields.iter().filter(|f| f.wire_type == 2).collect();
                if lens.is_empty() {
                    return b.to_vec();
                }
                let into = lens[d as usize % lens.len()];
                let from = lens[*other as usize % lens.len()];
                let payload = [&b[into.payload.clone()], &b[from.payload.clone()]].concat();
                let mut out = b[..into.key_end].to_vec();
                encode_varint(payload.len() as u64, &mut out);
                out.extend_from_slice(&payload);
                out.extend_from_slice(&b[into.end..]);
                out
            });
        }
        Mutation::Delete { dice } => {
            out = nested(bytes, dice, &|b, fields, d| {
                let Some(f) = fields.get(d as usize % fields.len().max(1)) else {
                    return b.to_vec();
                };
                [&b[..f.start], &b[f.end..]].concat()
            });
        }
    }
    out
}

/// The key property on one input: the walker accepts exactly what prost accepts, and then counts
/// what prost's struct holds; the counting walks never panic.
fn agrees_with_prost(kind: SignalKind, bytes: &[u8]) -> Result<(), TestCaseError> {
    let ours = validate(kind, bytes);
    let theirs = prost_count(kind, bytes);
    match (&ours, &theirs) {
        (Ok(n), Ok(m)) => prop_assert_eq!(n, m, "item counts differ on {:02x?}", bytes),
        (Err(_), Err(_)) => {}
        _ => prop_assert!(
            false,
            "validate {:?} but prost {:?} on {:02x?}",
            ours.as_ref().map_err(ToString::to_string),
            theirs,
            bytes
        ),
    }
    let counted = count_items(kind, bytes);
    let records = resource_records(kind, bytes);
    if let Ok(n) = ours {
        prop_assert_eq!(counted.map_err(|e| e.to_string()), Ok(n));
        let records = records.map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(records.iter().map(|r| r.items).sum::<usize>(), n);
    }
    Ok(())
}

fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    vec(mutation(), 1..4)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(2000)))]

    #[test]
    fn mutated_traces_agree_with_prost(req in traces(), ms in mutations()) {
        let bytes = ms.iter().fold(req.encode_to_vec(), |b, m| mutate(&b, m));
        agrees_with_prost(SignalKind::Traces, &bytes)?;
    }

    #[test]
    fn mutated_metrics_agree_with_prost(
        req in metrics(),
        unpacked in any::<bool>(),
        ms in mutations(),
    ) {
        let bytes = if unpacked { unpacked_metrics(&req) } else { req.encode_to_vec() };
        let bytes = ms.iter().fold(bytes, |b, m| mutate(&b, m));
        agrees_with_prost(SignalKind::Metrics, &bytes)?;
    }

    #[test]
    fn mutated_logs_agree_with_prost(req in logs(), ms in mutations()) {
        let bytes = ms.iter().fold(req.encode_to_vec(), |b, m| mutate(&b, m));
        agrees_with_prost(SignalKind::Logs, &bytes)?;
    }

    /// Arbitrary bytes (mostly rejected) and arbitrary field soups (often accepted).
    #[test]
    fn random_bytes_agree_with_prost(
        bytes in vec(any::<u8>(), 0..64),
        soup in vec(random_field(), 0..6),
    ) {
        let soup = soup.concat();
        for kind in [SignalKind::Traces, SignalKind::Metrics, SignalKind::Logs] {
            agrees_with_prost(kind, &bytes)?;
            agrees_with_prost(kind, &soup)?;
        }
    }
}
