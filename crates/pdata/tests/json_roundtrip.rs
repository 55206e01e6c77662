//! Property: any request survives proto -> OTLP/JSON -> proto exactly.
//!
//! "Exactly" is checked on the protobuf encoding, which compares doubles bitwise (so NaN, which
//! is never `==` to itself, and -0.0 are covered); generated NaNs are the canonical quiet NaN,
//! since JSON's "NaN" carries no payload. Ids are empty or of their proper length (other lengths
//! have no OTLP/JSON form).

use pdata::json;
use pdata::proto::common::v1::any_value::Value as Av;
use pdata::proto::common::v1::{
    AnyValue, ArrayValue, EntityRef, InstrumentationScope, KeyValue, KeyValueList,
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
use pdata::proto::trace::v1::span::{Event, Link};
use pdata::proto::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
use pdata::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use prost::Message;

fn text() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "[a-z.]{1,8}", any::<String>()]
}

fn double() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(0.0),
        Just(-0.0),
        Just(f64::MIN_POSITIVE),
        Just(5e-324),
        Just(f64::MAX),
        any::<f64>().prop_filter("canonical NaN only", |f| !f.is_nan()),
        (-1000i32..1000).prop_map(f64::from),
    ]
}

fn int64() -> impl Strategy<Value = i64> {
    prop_oneof![Just(0i64), Just(i64::MIN), Just(i64::MAX), any::<i64>()]
}

fn uint64() -> impl Strategy<Value = u64> {
    prop_oneof![Just(0u64), Just(u64::MAX), any::<u64>()]
}

fn uint32() -> impl Strategy<Value = u32> {
    prop_oneof![Just(0u32), Just(u32::MAX), any::<u32>()]
}

fn id(len: usize) -> impl Strategy<Value = bytes::Bytes> {
    prop_oneof![
        Just(bytes::Bytes::new()),
        vec(any::<u8>(), len).prop_map(bytes::Bytes::from)
    ]
}

fn enum_value(max: i32) -> impl Strategy<Value = i32> {
    prop_oneof![0..=max, any::<i32>()]
}

fn any_value() -> impl Strategy<Value = AnyValue> {
    let leaf = prop_oneof![
        Just(None),
        text().prop_map(|s| Some(Av::StringValue(s))),
        any::<bool>().prop_map(|b| Some(Av::BoolValue(b))),
        int64().prop_map(|i| Some(Av::IntValue(i))),
        double().prop_map(|d| Some(Av::DoubleValue(d))),
        vec(any::<u8>(), 0..12).prop_map(|b| Some(Av::BytesValue(b.into()))),
    ]
    .prop_map(|value| AnyValue { value });
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(|values| AnyValue {
                value: Some(Av::ArrayValue(ArrayValue { values }))
            }),
            vec((text(), option::of(inner)), 0..4).prop_map(|kvs| AnyValue {
                value: Some(Av::KvlistValue(KeyValueList {
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
        (text(), option::of(any_value())).prop_map(|(key, value)| KeyValue { key, value }),
        0..3,
    )
}

fn resource() -> impl Strategy<Value = Option<Resource>> {
    let entity = (text(), text(), vec(text(), 0..2), vec(text(), 0..2)).prop_map(
        |(schema_url, r#type, id_keys, description_keys)| EntityRef {
            schema_url,
            r#type,
            id_keys,
            description_keys,
        },
    );
    option::of((attributes(), uint32(), vec(entity, 0..2)).prop_map(
        |(attributes, dropped_attributes_count, entity_refs)| Resource {
            attributes,
            dropped_attributes_count,
            entity_refs,
        },
    ))
}

fn scope() -> impl Strategy<Value = Option<InstrumentationScope>> {
    option::of((text(), text(), attributes(), uint32()).prop_map(
        |(name, version, attributes, dropped_attributes_count)| InstrumentationScope {
            name,
            version,
            attributes,
            dropped_attributes_count,
        },
    ))
}

fn span() -> impl Strategy<Value = Span> {
    let event = (uint64(), text(), attributes(), uint32()).prop_map(
        |(time_unix_nano, name, attributes, dropped_attributes_count)| Event {
            time_unix_nano,
            name,
            attributes,
            dropped_attributes_count,
        },
    );
    let link = (id(16), id(8), text(), attributes(), uint32(), uint32()).prop_map(
        |(trace_id, span_id, trace_state, attributes, dropped_attributes_count, flags)| Link {
            trace_id,
            span_id,
            trace_state,
            attributes,
            dropped_attributes_count,
            flags,
        },
    );
    let status =
        option::of((text(), enum_value(2)).prop_map(|(message, code)| Status { message, code }));
    (
        (
            id(16),
            id(8),
            text(),
            id(8),
            uint32(),
            text(),
            enum_value(5),
            uint64(),
            uint64(),
        ),
        (
            attributes(),
            uint32(),
            vec(event, 0..3),
            uint32(),
            vec(link, 0..3),
            uint32(),
            status,
        ),
    )
        .prop_map(
            |(
                (
                    trace_id,
                    span_id,
                    trace_state,
                    parent_span_id,
                    flags,
                    name,
                    kind,
                    start_time_unix_nano,
                    end_time_unix_nano,
                ),
                (
                    attributes,
                    dropped_attributes_count,
                    events,
                    dropped_events_count,
                    links,
                    dropped_links_count,
                    status,
                ),
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
        (scope(), vec(span(), 0..3), text()).prop_map(|(scope, spans, schema_url)| ScopeSpans {
            scope,
            spans,
            schema_url,
        });
    let resource_spans = (resource(), vec(scope_spans, 0..3), text()).prop_map(
        |(resource, scope_spans, schema_url)| ResourceSpans {
            resource,
            scope_spans,
            schema_url,
        },
    );
    vec(resource_spans, 0..3)
        .prop_map(|resource_spans| ExportTraceServiceRequest { resource_spans })
}

fn exemplars() -> impl Strategy<Value = Vec<Exemplar>> {
    let value = option::of(prop_oneof![
        double().prop_map(exemplar::Value::AsDouble),
        int64().prop_map(exemplar::Value::AsInt)
    ]);
    vec(
        (attributes(), uint64(), id(8), id(16), value).prop_map(
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
    let value = option::of(prop_oneof![
        double().prop_map(number_data_point::Value::AsDouble),
        int64().prop_map(number_data_point::Value::AsInt)
    ]);
    vec(
        (
            attributes(),
            uint64(),
            uint64(),
            exemplars(),
            uint32(),
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
        0..3,
    )
}

fn histogram_point() -> impl Strategy<Value = HistogramDataPoint> {
    (
        (
            attributes(),
            uint64(),
            uint64(),
            uint64(),
            option::of(double()),
        ),
        (
            vec(uint64(), 0..4),
            vec(double(), 0..4),
            exemplars(),
            uint32(),
            option::of(double()),
            option::of(double()),
        ),
    )
        .prop_map(
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
        )
}

fn buckets() -> impl Strategy<Value = Option<Buckets>> {
    option::of(
        (any::<i32>(), vec(uint64(), 0..4)).prop_map(|(offset, bucket_counts)| Buckets {
            offset,
            bucket_counts,
        }),
    )
}

fn exp_histogram_point() -> impl Strategy<Value = ExponentialHistogramDataPoint> {
    (
        (
            attributes(),
            uint64(),
            uint64(),
            uint64(),
            option::of(double()),
            any::<i32>(),
            uint64(),
        ),
        (
            buckets(),
            buckets(),
            uint32(),
            exemplars(),
            option::of(double()),
            option::of(double()),
            double(),
        ),
    )
        .prop_map(
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
        )
}

fn summary_point() -> impl Strategy<Value = SummaryDataPoint> {
    let quantiles = vec(
        (double(), double()).prop_map(|(quantile, value)| ValueAtQuantile { quantile, value }),
        0..3,
    );
    (
        attributes(),
        uint64(),
        uint64(),
        uint64(),
        double(),
        quantiles,
        uint32(),
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
            )| SummaryDataPoint {
                attributes,
                start_time_unix_nano,
                time_unix_nano,
                count,
                sum,
                quantile_values,
                flags,
            },
        )
}

fn metric() -> impl Strategy<Value = Metric> {
    let data = option::of(prop_oneof![
        number_points().prop_map(|data_points| metric::Data::Gauge(Gauge { data_points })),
        (number_points(), enum_value(2), any::<bool>()).prop_map(
            |(data_points, aggregation_temporality, is_monotonic)| {
                metric::Data::Sum(Sum {
                    data_points,
                    aggregation_temporality,
                    is_monotonic,
                })
            }
        ),
        (vec(histogram_point(), 0..3), enum_value(2)).prop_map(
            |(data_points, aggregation_temporality)| {
                metric::Data::Histogram(Histogram {
                    data_points,
                    aggregation_temporality,
                })
            }
        ),
        (vec(exp_histogram_point(), 0..3), enum_value(2)).prop_map(
            |(data_points, aggregation_temporality)| {
                metric::Data::ExponentialHistogram(ExponentialHistogram {
                    data_points,
                    aggregation_temporality,
                })
            }
        ),
        vec(summary_point(), 0..3)
            .prop_map(|data_points| metric::Data::Summary(Summary { data_points })),
    ]);
    (text(), text(), text(), attributes(), data).prop_map(
        |(name, description, unit, metadata, data)| Metric {
            name,
            description,
            unit,
            metadata,
            data,
        },
    )
}

fn metrics() -> impl Strategy<Value = ExportMetricsServiceRequest> {
    let scope_metrics =
        (scope(), vec(metric(), 0..4), text()).prop_map(|(scope, metrics, schema_url)| {
            ScopeMetrics {
                scope,
                metrics,
                schema_url,
            }
        });
    let resource_metrics = (resource(), vec(scope_metrics, 0..3), text()).prop_map(
        |(resource, scope_metrics, schema_url)| ResourceMetrics {
            resource,
            scope_metrics,
            schema_url,
        },
    );
    vec(resource_metrics, 0..3)
        .prop_map(|resource_metrics| ExportMetricsServiceRequest { resource_metrics })
}

fn log_record() -> impl Strategy<Value = LogRecord> {
    (
        (
            uint64(),
            uint64(),
            enum_value(24),
            text(),
            option::of(any_value()),
            attributes(),
        ),
        (uint32(), uint32(), id(16), id(8), text()),
    )
        .prop_map(
            |(
                (
                    time_unix_nano,
                    observed_time_unix_nano,
                    severity_number,
                    severity_text,
                    body,
                    attributes,
                ),
                (dropped_attributes_count, flags, trace_id, span_id, event_name),
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
    let resource_logs = (resource(), vec(scope_logs, 0..3), text()).prop_map(
        |(resource, scope_logs, schema_url)| ResourceLogs {
            resource,
            scope_logs,
            schema_url,
        },
    );
    vec(resource_logs, 0..3).prop_map(|resource_logs| ExportLogsServiceRequest { resource_logs })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn traces_round_trip(req in traces()) {
        let json_bytes = json::encode_traces(&req);
        let back = json::decode_traces(&json_bytes).map_err(|e| TestCaseError::fail(format!("{e}\n{}", String::from_utf8_lossy(&json_bytes))))?;
        prop_assert_eq!(back.encode_to_vec(), req.encode_to_vec());
        // Writing is deterministic, so the second encoding is identical.
        prop_assert_eq!(json::encode_traces(&back), json_bytes);
    }

    #[test]
    fn metrics_round_trip(req in metrics()) {
        let json_bytes = json::encode_metrics(&req);
        let back = json::decode_metrics(&json_bytes).map_err(|e| TestCaseError::fail(format!("{e}\n{}", String::from_utf8_lossy(&json_bytes))))?;
        prop_assert_eq!(back.encode_to_vec(), req.encode_to_vec());
        prop_assert_eq!(json::encode_metrics(&back), json_bytes);
    }

    #[test]
    fn logs_round_trip(req in logs()) {
        let json_bytes = json::encode_logs(&req);
        let back = json::decode_logs(&json_bytes).map_err(|e| TestCaseError::fail(format!("{e}\n{}", String::from_utf8_lossy(&json_bytes))))?;
        prop_assert_eq!(back.encode_to_vec(), req.encode_to_vec());
        prop_assert_eq!(json::encode_logs(&back), json_bytes);
    }

    /// The reader never panics, whatever the bytes.
    #[test]
    fn arbitrary_bytes_never_panic(input in vec(any::<u8>(), 0..256)) {
        let _ = json::decode_traces(&input);
        let _ = json::decode_metrics(&input);
        let _ = json::decode_logs(&input);
    }
}
