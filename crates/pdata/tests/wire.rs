//! Unit tests of `pdata::wire`: one per error class with its exact message, the edge cases of
//! prost's rules (groups, ten-byte varints, packed fields, oneofs, the recursion limit), and the
//! record splitting. Every case also asks prost, so that a test cannot pass on a wrong rule.

use bytes::Bytes;
use pdata::proto::common::v1::{AnyValue, ArrayValue, KeyValue, KeyValueList, any_value};
use pdata::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use pdata::proto::metrics::v1::{Gauge, NumberDataPoint};
use pdata::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};
use pdata::wire::{Record, SignalKind, count_items, resource_records, validate};
use pdata::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};
use prost::Message;
use prost::encoding::{WireType, encode_key, encode_varint};

/// `key(number, wire type)` followed by `payload` as a length-delimited field.
fn len_field(number: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_key(number, WireType::LengthDelimited, &mut out);
    encode_varint(payload.len() as u64, &mut out);
    out.extend_from_slice(payload);
    out
}

fn key(number: u32, wire_type: WireType) -> Vec<u8> {
    let mut out = Vec::new();
    encode_key(number, wire_type, &mut out);
    out
}

/// A trace request holding one span whose encoding is `span`: the span payload starts at byte 6.
fn trace_with_span(span: &[u8]) -> Vec<u8> {
    assert!(
        span.len() < 100,
        "short spans only, so that every length prefix is one byte"
    );
    len_field(1, &len_field(2, &len_field(2, span)))
}

/// A metrics request holding one metric whose encoding is `metric`.
fn metrics_with_metric(metric: &[u8]) -> Vec<u8> {
    len_field(1, &len_field(2, &len_field(2, metric)))
}

fn prost_ok(kind: SignalKind, bytes: &[u8]) -> bool {
    match kind {
        SignalKind::Traces => ExportTraceServiceRequest::decode(bytes).is_ok(),
        SignalKind::Metrics => ExportMetricsServiceRequest::decode(bytes).is_ok(),
        SignalKind::Logs => ExportLogsServiceRequest::decode(bytes).is_ok(),
    }
}

/// Asserts that both the walker and prost reject `bytes`, and returns the walker's message.
#[track_caller]
fn rejected(kind: SignalKind, bytes: &[u8]) -> String {
    assert!(!prost_ok(kind, bytes), "prost accepts {bytes:02x?}");
    validate(kind, bytes)
        .expect_err("validate accepted what prost rejects")
        .to_string()
}

/// Asserts that both the walker and prost accept `bytes`, and returns the item count.
#[track_caller]
fn accepted(kind: SignalKind, bytes: &[u8]) -> usize {
    assert!(prost_ok(kind, bytes), "prost rejects {bytes:02x?}");
    let items = validate(kind, bytes).expect("validate rejected what prost accepts");
    assert_eq!(count_items(kind, bytes).unwrap(), items);
    items
}

#[test]
fn empty_input_is_a_valid_empty_request() {
    for kind in [SignalKind::Traces, SignalKind::Metrics, SignalKind::Logs] {
        assert_eq!(accepted(kind, &[]), 0);
        assert_eq!(resource_records(kind, &[]).unwrap(), Vec::<Record>::new());
    }
}

#[test]
fn counts_spans_data_points_and_log_records() {
    let span = Span {
        name: "s".into(),
        ..Default::default()
    };
    let traces = ExportTraceServiceRequest {
        resource_spans: vec![
            ResourceSpans {
                scope_spans: vec![
                    ScopeSpans {
                        spans: vec![span.clone(); 3],
                        ..Default::default()
                    },
                    ScopeSpans {
                        spans: vec![span.clone(); 2],
                        ..Default::default()
                    },
                ],
                ..Default::default()
            },
            ResourceSpans::default(),
        ],
    };
    assert_eq!(accepted(SignalKind::Traces, &traces.encode_to_vec()), 5);

    let logs = ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            scope_logs: vec![ScopeLogs {
                log_records: vec![LogRecord::default(); 4],
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    assert_eq!(accepted(SignalKind::Logs, &logs.encode_to_vec()), 4);
}

#[test]
fn truncated_varint() {
    // Field 1, length-delimited, then the input ends where the length should be.
    assert_eq!(
        rejected(SignalKind::Traces, &[0x0a]),
        "invalid protobuf at byte 1: truncated varint"
    );
    assert_eq!(
        rejected(SignalKind::Traces, &[0x0a, 0x80]),
        "invalid protobuf at byte 1: truncated varint"
    );
}

#[test]
fn varint_longer_than_ten_bytes() {
    let mut span = key(6, WireType::Varint);
    span.extend_from_slice(&[0xff; 10]);
    span.push(0x01);
    assert_eq!(
        rejected(SignalKind::Traces, &trace_with_span(&span)),
        "invalid protobuf at byte 7: varint longer than 10 bytes"
    );
}

#[test]
fn ten_byte_varint_may_only_end_in_0_or_1() {
    // Span.kind = -1 is encoded (by prost too) as ten bytes ending in 0x01.
    let span = Span {
        kind: -1,
        ..Default::default()
    }
    .encode_to_vec();
    assert_eq!(span.len(), 11);
    assert_eq!(span[10], 0x01);
    assert_eq!(accepted(SignalKind::Traces, &trace_with_span(&span)), 1);

    let mut overflow = span.clone();
    overflow[10] = 0x02;
    assert_eq!(
        rejected(SignalKind::Traces, &trace_with_span(&overflow)),
        "invalid protobuf at byte 7: varint overflows 64 bits"
    );
}

#[test]
fn key_beyond_32_bits() {
    let mut bytes = Vec::new();
    encode_varint(1 << 32, &mut bytes);
    assert_eq!(
        rejected(SignalKind::Logs, &bytes),
        "invalid protobuf at byte 0: field key 4294967296 does not fit in 32 bits"
    );
}

#[test]
fn invalid_wire_types_and_field_zero() {
    assert_eq!(
        rejected(SignalKind::Metrics, &[0x0e]),
        "invalid protobuf at byte 0: invalid wire type 6 (field 1)"
    );
    assert_eq!(
        rejected(SignalKind::Metrics, &[0xff, 0x01]),
        "invalid protobuf at byte 0: invalid wire type 7 (field 31)"
    );
    assert_eq!(
        rejected(SignalKind::Metrics, &[0x00, 0x00]),
        "invalid protobuf at byte 0: field number 0"
    );
}

#[test]
fn wrong_wire_type_for_known_fields() {
    let span = len_field(6, &[1]);
    assert_eq!(
        rejected(SignalKind::Traces, &trace_with_span(&span)),
        "invalid protobuf at byte 6: wire type 2 for varint field Span.kind"
    );
    let mut span = key(5, WireType::Varint);
    span.push(1);
    assert_eq!(
        rejected(SignalKind::Traces, &trace_with_span(&span)),
        "invalid protobuf at byte 6: wire type 0 for string field Span.name"
    );
    let mut span = key(7, WireType::ThirtyTwoBit);
    span.extend_from_slice(&[0; 4]);
    assert_eq!(
        rejected(SignalKind::Traces, &trace_with_span(&span)),
        "invalid protobuf at byte 6: wire type 5 for fixed64 field Span.start_time_unix_nano"
    );
    // A known message field must not be a group, even an empty one.
    let mut span = key(15, WireType::StartGroup);
    span.extend(key(15, WireType::EndGroup));
    assert_eq!(
        rejected(SignalKind::Traces, &trace_with_span(&span)),
        "invalid protobuf at byte 6: wire type 3 for message field Span.status"
    );
    // A non-repeated scalar has no packed form.
    let span = len_field(16, &[0; 4]);
    assert_eq!(
        rejected(SignalKind::Traces, &trace_with_span(&span)),
        "invalid protobuf at byte 6: wire type 2 for fixed32 field Span.flags"
    );
    // Top level: field 1 must be length-delimited.
    assert_eq!(
        rejected(SignalKind::Logs, &[0x08, 0x01]),
        "invalid protobuf at byte 0: wire type 0 for message field \
         ExportLogsServiceRequest.resource_logs"
    );
}

#[test]
fn truncated_length_delimited_field() {
    assert_eq!(
        rejected(SignalKind::Traces, &[0x0a, 0x05, 0x01]),
        "invalid protobuf at byte 1: truncated length-delimited field \
         ExportTraceServiceRequest.resource_spans (needs 5 bytes, 1 left)"
    );
    // A field that runs past the end of its enclosing message, though not past the input.
    let mut bytes = trace_with_span(&len_field(5, b"abc"));
    bytes[7] = 4; // the name's length prefix, now one byte past the span
    bytes.extend_from_slice(&len_field(7, &[]));
    assert_eq!(
        rejected(SignalKind::Traces, &bytes),
        "invalid protobuf at byte 7: truncated length-delimited field Span.name \
         (needs 4 bytes, 3 left)"
    );
}

#[test]
fn truncated_fixed_width_field() {
    let mut span = key(7, WireType::SixtyFourBit);
    span.extend_from_slice(&[0; 3]);
    assert_eq!(
        rejected(SignalKind::Traces, &trace_with_span(&span)),
        "invalid protobuf at byte 7: truncated 64-bit field Span.start_time_unix_nano"
    );
    let mut span = key(16, WireType::ThirtyTwoBit);
    span.extend_from_slice(&[0; 2]);
    assert_eq!(
        rejected(SignalKind::Traces, &trace_with_span(&span)),
        "invalid protobuf at byte 8: truncated 32-bit field Span.flags"
    );
}

#[test]
fn invalid_utf8_in_a_string_field() {
    let span = len_field(5, b"ab\xffc");
    assert_eq!(
        rejected(SignalKind::Traces, &trace_with_span(&span)),
        "invalid protobuf at byte 10: string field 'name' (Span.5) is not valid UTF-8"
    );
    // The same bytes in a bytes field are fine.
    let span = len_field(1, b"ab\xffc");
    assert_eq!(accepted(SignalKind::Traces, &trace_with_span(&span)), 1);
    // Repeated strings are checked too (EntityRef.id_keys, inside Resource.entity_refs).
    let entity_ref = len_field(3, b"\xc3");
    let resource = len_field(3, &entity_ref);
    let bytes = len_field(1, &len_field(1, &resource));
    assert_eq!(
        rejected(SignalKind::Logs, &bytes),
        "invalid protobuf at byte 8: string field 'id_keys' (EntityRef.3) is not valid UTF-8"
    );
}

/// `Metric{histogram{data_points[{field 6 or 7 or ...}]}}` holding the data point `dp`.
fn metrics_with_histogram_point(dp: &[u8]) -> Vec<u8> {
    metrics_with_metric(&len_field(9, &len_field(1, dp)))
}

#[test]
fn packed_and_unpacked_repeated_scalars() {
    // HistogramDataPoint.bucket_counts (fixed64): packed, unpacked, both, empty packed.
    let mut unpacked = Vec::new();
    for _ in 0..2 {
        unpacked.extend(key(6, WireType::SixtyFourBit));
        unpacked.extend_from_slice(&[7; 8]);
    }
    let packed = len_field(6, &[7; 16]);
    let mixed = [unpacked.clone(), packed.clone(), len_field(6, &[])].concat();
    for dp in [&unpacked, &packed, &mixed] {
        assert_eq!(
            accepted(SignalKind::Metrics, &metrics_with_histogram_point(dp)),
            1
        );
    }
    let decoded =
        ExportMetricsServiceRequest::decode(&metrics_with_histogram_point(&mixed)[..]).unwrap();
    let Some(pdata::proto::metrics::v1::metric::Data::Histogram(h)) =
        &decoded.resource_metrics[0].scope_metrics[0].metrics[0].data
    else {
        panic!("not a histogram")
    };
    assert_eq!(h.data_points[0].bucket_counts.len(), 4);

    // A packed payload that is not a whole number of elements.
    assert_eq!(
        rejected(
            SignalKind::Metrics,
            &metrics_with_histogram_point(&len_field(7, &[0; 12]))
        ),
        "invalid protobuf at byte 12: packed field HistogramDataPoint.explicit_bounds has \
         length 12, not a multiple of 8"
    );

    // ExponentialHistogramDataPoint.Buckets.bucket_counts (uint64 varints), packed and not.
    let buckets_packed = len_field(2, &[0x01, 0x96, 0x01, 0x00]);
    let buckets_unpacked = [0x10, 0x01, 0x10, 0x96, 0x01];
    for buckets in [&buckets_packed[..], &buckets_unpacked[..]] {
        let dp = len_field(8, buckets);
        let metric = len_field(10, &len_field(1, &dp));
        assert_eq!(
            accepted(SignalKind::Metrics, &metrics_with_metric(&metric)),
            1
        );
    }
    // A packed varint cut off at the end of its payload.
    let dp = len_field(8, &len_field(2, &[0x01, 0x96]));
    let metric = len_field(10, &len_field(1, &dp));
    assert_eq!(
        rejected(SignalKind::Metrics, &metrics_with_metric(&metric)),
        "invalid protobuf at byte 15: truncated varint"
    );
}

#[test]
fn unknown_fields_of_every_wire_type_are_skipped() {
    let mut unknown = Vec::new();
    unknown.extend(key(100, WireType::Varint));
    unknown.extend_from_slice(&[0xff, 0xff, 0x03]);
    unknown.extend(key(101, WireType::SixtyFourBit));
    unknown.extend_from_slice(&[1; 8]);
    unknown.extend(len_field(102, b"\xff\xfe not utf-8 is fine here"));
    unknown.extend(key(103, WireType::ThirtyTwoBit));
    unknown.extend_from_slice(&[1; 4]);
    // A group holding a scalar, a length-delimited field and a nested group.
    unknown.extend(key(104, WireType::StartGroup));
    unknown.extend(key(1, WireType::Varint));
    unknown.push(5);
    unknown.extend(len_field(2, b"x"));
    unknown.extend(key(3, WireType::StartGroup));
    unknown.extend(key(3, WireType::EndGroup));
    unknown.extend(key(104, WireType::EndGroup));

    // At the top level, inside a span, and inside an attribute's value.
    let kv = [len_field(1, b"k"), len_field(2, &unknown)].concat();
    let span = [unknown.clone(), len_field(9, &kv)].concat();
    let request = len_field(1, &len_field(2, &len_field(2, &span)));
    let bytes = [unknown.clone(), request].concat();
    assert_eq!(accepted(SignalKind::Traces, &bytes), 1);
}

#[test]
fn malformed_groups() {
    let group = key(2, WireType::StartGroup);
    assert_eq!(
        rejected(SignalKind::Traces, &group),
        "invalid protobuf at byte 0: unterminated group \
         ExportTraceServiceRequest.2 (unknown field)"
    );
    let bytes = [group.clone(), key(3, WireType::EndGroup)].concat();
    assert_eq!(
        rejected(SignalKind::Traces, &bytes),
        "invalid protobuf at byte 1: group ExportTraceServiceRequest.2 (unknown field) closed \
         by an end-group key of field 3"
    );
    assert_eq!(
        rejected(SignalKind::Traces, &key(2, WireType::EndGroup)),
        "invalid protobuf at byte 0: end-group key for ExportTraceServiceRequest.2 \
         (unknown field) without a start-group"
    );
    // A group must close inside its enclosing message, even if the end key follows it.
    let span = key(20, WireType::StartGroup);
    let mut bytes = trace_with_span(&span);
    bytes.extend(key(20, WireType::EndGroup));
    assert_eq!(
        rejected(SignalKind::Traces, &bytes),
        "invalid protobuf at byte 6: unterminated group Span.20 (unknown field)"
    );
}

#[test]
fn oneof_keeps_only_the_last_member() {
    let point = NumberDataPoint::default().encode_to_vec();
    let points = |n: usize| -> Vec<u8> { (0..n).flat_map(|_| len_field(1, &point)).collect() };
    // gauge with 2 points, then sum with 3: prost keeps the sum.
    let metric = [len_field(5, &points(2)), len_field(7, &points(3))].concat();
    assert_eq!(
        accepted(SignalKind::Metrics, &metrics_with_metric(&metric)),
        3
    );
    // gauge twice: prost merges them.
    let metric = [len_field(5, &points(2)), len_field(5, &points(3))].concat();
    assert_eq!(
        accepted(SignalKind::Metrics, &metrics_with_metric(&metric)),
        5
    );
    // gauge, sum, gauge: only the last gauge survives; other fields in between change nothing.
    let metric = [
        len_field(5, &points(2)),
        len_field(7, &points(3)),
        len_field(1, b"name"),
        len_field(5, &points(4)),
    ]
    .concat();
    assert_eq!(
        accepted(SignalKind::Metrics, &metrics_with_metric(&metric)),
        4
    );
    let decoded = ExportMetricsServiceRequest::decode(&metrics_with_metric(&metric)[..]).unwrap();
    let data = &decoded.resource_metrics[0].scope_metrics[0].metrics[0].data;
    let Some(pdata::proto::metrics::v1::metric::Data::Gauge(Gauge { data_points })) = data else {
        panic!("not a gauge: {data:?}")
    };
    assert_eq!(data_points.len(), 4);
}

/// A log request whose record body nests `arrays` ArrayValues (alternating with KeyValueLists
/// when `mixed`) around `leaf`. Message depths: request 0, ResourceLogs 1, ScopeLogs 2,
/// LogRecord 3, body 4, and each wrapping adds two levels.
fn nested_logs(arrays: usize, leaf: AnyValue, mixed: bool) -> Vec<u8> {
    let mut value = leaf;
    for i in 0..arrays {
        value = if mixed && i % 2 == 1 {
            AnyValue {
                value: Some(any_value::Value::KvlistValue(KeyValueList {
                    values: vec![KeyValue {
                        key: "k".into(),
                        value: Some(value),
                    }],
                })),
            }
        } else {
            AnyValue {
                value: Some(any_value::Value::ArrayValue(ArrayValue {
                    values: vec![value],
                })),
            }
        };
    }
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            scope_logs: vec![ScopeLogs {
                log_records: vec![LogRecord {
                    body: Some(value),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
    .encode_to_vec()
}

fn string_value() -> AnyValue {
    AnyValue {
        value: Some(any_value::Value::StringValue("leaf".into())),
    }
}

fn empty_array_value() -> AnyValue {
    AnyValue {
        value: Some(any_value::Value::ArrayValue(ArrayValue::default())),
    }
}

#[test]
fn nesting_at_the_recursion_limit_and_one_past_it() {
    // 48 arrays put the leaf AnyValue at depth 4 + 2 * 48 = 100: the deepest prost accepts.
    assert_eq!(
        accepted(SignalKind::Logs, &nested_logs(48, string_value(), false)),
        1
    );
    // An (empty) ArrayValue inside it is message 101.
    let past = nested_logs(48, empty_array_value(), false);
    assert_eq!(
        rejected(SignalKind::Logs, &past),
        format!(
            "invalid protobuf at byte {}: recursion limit reached at AnyValue.array_value",
            past.len() - 2
        )
    );
    // Key-value lists count the same (AnyValue → KeyValueList → KeyValue → AnyValue).
    assert_eq!(
        accepted(SignalKind::Logs, &nested_logs(30, string_value(), true)),
        1
    );
    assert!(validate(SignalKind::Logs, &nested_logs(40, string_value(), true)).is_err());
    // Scan around the limit in both shapes; the walker and prost agree everywhere.
    for arrays in 40..56 {
        for mixed in [false, true] {
            for leaf in [string_value(), empty_array_value()] {
                let bytes = nested_logs(arrays, leaf, mixed);
                assert_eq!(
                    validate(SignalKind::Logs, &bytes).is_ok(),
                    prost_ok(SignalKind::Logs, &bytes),
                    "arrays={arrays} mixed={mixed}"
                );
            }
        }
    }
}

/// `nested_logs(arrays, leaf, false)` built byte by byte, with `leaf` the encoded innermost
/// AnyValue (which may hold anything).
fn nested_logs_bytes(arrays: usize, leaf: &[u8]) -> Vec<u8> {
    let mut value = leaf.to_vec();
    for _ in 0..arrays {
        value = len_field(5, &len_field(1, &value));
    }
    len_field(1, &len_field(2, &len_field(2, &len_field(5, &value))))
}

#[test]
fn unknown_fields_need_recursion_budget_too() {
    let leaf = string_value().encode_to_vec();
    assert_eq!(
        nested_logs_bytes(48, &leaf),
        nested_logs(48, string_value(), false)
    );
    // prost's skip_field checks the limit: an unknown field in the depth-100 message fails...
    let unknown = [key(20, WireType::Varint), vec![1]].concat();
    let bytes = nested_logs_bytes(48, &[leaf.clone(), unknown.clone()].concat());
    assert!(!prost_ok(SignalKind::Logs, &bytes));
    let err = validate(SignalKind::Logs, &bytes).unwrap_err();
    assert!(err.is_recursion_limit());
    assert_eq!(
        err.to_string(),
        format!(
            "invalid protobuf at byte {}: recursion limit reached at AnyValue.20 (unknown field)",
            bytes.len() - 3
        )
    );
    // ...one level up it is fine...
    let bytes = nested_logs_bytes(47, &[leaf.clone(), unknown.clone()].concat());
    assert_eq!(accepted(SignalKind::Logs, &bytes), 1);
    // ...and a known scalar or string field at depth 100 is fine.
    let bytes = nested_logs_bytes(48, &[leaf.clone(), len_field(1, b"x")].concat());
    assert_eq!(accepted(SignalKind::Logs, &bytes), 1);
    // Each group level costs one: a group in the depth-98 message may hold one more group.
    let groups = |n: usize| -> Vec<u8> {
        let mut g = Vec::new();
        for _ in 0..n {
            g.extend(key(30, WireType::StartGroup));
        }
        g.extend([key(31, WireType::Varint), vec![0]].concat());
        for _ in 0..n {
            g.extend(key(30, WireType::EndGroup));
        }
        g
    };
    for n in 1..4 {
        let bytes = nested_logs_bytes(47, &[leaf.clone(), groups(n)].concat());
        assert_eq!(
            validate(SignalKind::Logs, &bytes).is_ok(),
            prost_ok(SignalKind::Logs, &bytes),
            "{n} groups"
        );
        assert_eq!(
            validate(SignalKind::Logs, &bytes).is_ok(),
            n < 2,
            "{n} groups"
        );
    }
}

#[test]
fn deeply_nested_groups_hit_the_limit_like_prost() {
    for depth in [50usize, 99, 100, 101, 150] {
        let mut bytes = Vec::new();
        for _ in 0..depth {
            bytes.extend(key(9, WireType::StartGroup));
        }
        for _ in 0..depth {
            bytes.extend(key(9, WireType::EndGroup));
        }
        assert_eq!(
            validate(SignalKind::Traces, &bytes).is_ok(),
            prost_ok(SignalKind::Traces, &bytes),
            "depth {depth}"
        );
        assert_eq!(validate(SignalKind::Traces, &bytes).is_ok(), depth <= 100);
        // count_items must not overflow the stack either.
        let _ = count_items(SignalKind::Traces, &bytes);
    }
}

#[test]
fn resource_records_split_and_concatenate() {
    let spans = |n: usize| ResourceSpans {
        scope_spans: vec![ScopeSpans {
            spans: vec![
                Span {
                    trace_id: Bytes::from_static(&[1; 16]),
                    ..Default::default()
                };
                n
            ],
            ..Default::default()
        }],
        ..Default::default()
    };
    let a = ExportTraceServiceRequest {
        resource_spans: vec![spans(2), spans(0), spans(3)],
    }
    .encode_to_vec();
    let b = ExportTraceServiceRequest {
        resource_spans: vec![spans(200)],
    }
    .encode_to_vec();
    let records = resource_records(SignalKind::Traces, &a).unwrap();
    assert_eq!(
        records.iter().map(|r| r.items).collect::<Vec<_>>(),
        [2, 0, 3]
    );
    let joined: Vec<u8> = records
        .iter()
        .flat_map(|r| a[r.range.clone()].to_vec())
        .collect();
    assert_eq!(joined, a);

    // Concatenated requests are one valid request; records can be recombined freely.
    let both = [b.clone(), a.clone()].concat();
    assert_eq!(accepted(SignalKind::Traces, &both), 205);
    let records = resource_records(SignalKind::Traces, &both).unwrap();
    assert_eq!(records.len(), 4);
    assert_eq!(records[0].items, 200);
    let picked = [
        &both[records[3].range.clone()],
        &both[records[0].range.clone()],
    ]
    .concat();
    assert_eq!(accepted(SignalKind::Traces, &picked), 203);

    // Unknown top-level fields are left out; broken records are errors.
    let with_unknown = [len_field(7, b"x"), a.clone()].concat();
    assert_eq!(
        resource_records(SignalKind::Traces, &with_unknown)
            .unwrap()
            .len(),
        3
    );
    assert!(resource_records(SignalKind::Traces, &a[..a.len() - 1]).is_err());
    assert!(resource_records(SignalKind::Traces, &[0x08, 0x01]).is_err());
}

#[test]
fn count_items_does_not_check_what_it_skips_but_never_panics() {
    // Invalid UTF-8 in a span name: validate rejects, count_items (for validated bytes) counts.
    let bytes = trace_with_span(&len_field(5, b"\xff"));
    assert!(validate(SignalKind::Traces, &bytes).is_err());
    assert_eq!(count_items(SignalKind::Traces, &bytes).unwrap(), 1);
    // Broken structure on the way to the items is still an error.
    assert!(count_items(SignalKind::Traces, &bytes[..bytes.len() - 1]).is_err());
    let metric = metrics_with_metric(&len_field(5, &[0x0a, 0x05]));
    assert!(count_items(SignalKind::Metrics, &metric).is_err());
}
