//! Table tests for the OTLP/JSON writer's rules (Go pdata `MarshalJSON` shape).

use pdata::ExportLogsServiceRequest;
use pdata::json;
use pdata::proto::collector::logs::v1::{ExportLogsPartialSuccess, ExportLogsServiceResponse};
use pdata::proto::collector::metrics::v1::{
    ExportMetricsPartialSuccess, ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use pdata::proto::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
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

fn text(v: Vec<u8>) -> String {
    String::from_utf8(v).expect("writer output is UTF-8")
}

fn traces(spans: Vec<Span>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

fn kv(key: &str, value: Av) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
    }
}

#[test]
fn defaults_are_omitted() {
    assert_eq!(text(json::encode_traces(&Default::default())), "{}");
    assert_eq!(
        text(json::encode_traces(&traces(vec![Span::default()]))),
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{}]}]}]}"#
    );
    let m = ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            scope_metrics: vec![ScopeMetrics {
                metrics: vec![Metric {
                    data: Some(metric::Data::Histogram(Histogram {
                        data_points: vec![HistogramDataPoint::default()],
                        aggregation_temporality: 0,
                    })),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    assert_eq!(
        text(json::encode_metrics(&m)),
        r#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"histogram":{"dataPoints":[{}]}}]}]}]}"#
    );
}

#[test]
fn a_span_in_go_shape() {
    let span = Span {
        trace_id: vec![
            0x5b, 0x8e, 0xff, 0xf7, 0x98, 0x03, 0x81, 0x03, 0xd2, 0x69, 0xb6, 0x33, 0x81, 0x3f,
            0xc6, 0x0c,
        ]
        .into(),
        span_id: vec![0xee, 0xe1, 0x9b, 0x7e, 0xc3, 0xc1, 0xb1, 0x74].into(),
        trace_state: "a=b".into(),
        parent_span_id: vec![0xee, 0xe1, 0x9b, 0x7e, 0xc3, 0xc1, 0xb1, 0x73].into(),
        flags: 257,
        name: "I'm a \"server\"\n span".into(),
        kind: 2,
        start_time_unix_nano: 1_544_712_660_000_000_000,
        end_time_unix_nano: u64::MAX,
        attributes: vec![
            kv("s", Av::StringValue("é\u{1}".into())),
            kv("b", Av::BoolValue(false)),
            kv("i", Av::IntValue(0)),
            kv("d", Av::DoubleValue(f64::NAN)),
            kv("y", Av::BytesValue(vec![0, 1, 2, 255].into())),
            kv(
                "a",
                Av::ArrayValue(ArrayValue {
                    values: vec![
                        AnyValue {
                            value: Some(Av::DoubleValue(f64::NEG_INFINITY)),
                        },
                        AnyValue::default(),
                    ],
                }),
            ),
            kv(
                "m",
                Av::KvlistValue(KeyValueList {
                    values: vec![KeyValue {
                        key: "k".into(),
                        value: None,
                    }],
                }),
            ),
        ],
        dropped_attributes_count: 1,
        events: vec![Event {
            time_unix_nano: 5,
            name: "e".into(),
            attributes: vec![],
            dropped_attributes_count: 2,
        }],
        dropped_events_count: 3,
        links: vec![Link {
            trace_state: "t".into(),
            flags: 256,
            dropped_attributes_count: 4,
            ..Default::default()
        }],
        dropped_links_count: 6,
        status: Some(Status {
            message: "oops".into(),
            code: 2,
        }),
    };
    let mut req = traces(vec![span]);
    req.resource_spans[0].resource = Some(Resource {
        attributes: vec![kv("service.name", Av::StringValue("svc".into()))],
        dropped_attributes_count: 7,
        entity_refs: vec![EntityRef {
            schema_url: "u".into(),
            r#type: "host".into(),
            id_keys: vec!["host.id".into()],
            description_keys: vec![],
        }],
    });
    req.resource_spans[0].schema_url = "rs".into();
    req.resource_spans[0].scope_spans[0].scope = Some(InstrumentationScope {
        name: "lib".into(),
        version: "1".into(),
        ..Default::default()
    });
    let expected = concat!(
        r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}],"#,
        r#""droppedAttributesCount":7,"entityRefs":[{"schemaUrl":"u","type":"host","idKeys":["host.id"]}]},"#,
        r#""scopeSpans":[{"scope":{"name":"lib","version":"1"},"spans":[{"#,
        r#""traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","traceState":"a=b","#,
        r#""parentSpanId":"eee19b7ec3c1b173","flags":257,"name":"I'm a \"server\"\n span","kind":2,"#,
        r#""startTimeUnixNano":"1544712660000000000","endTimeUnixNano":"18446744073709551615","#,
        r#""attributes":[{"key":"s","value":{"stringValue":"é\u0001"}},{"key":"b","value":{"boolValue":false}},"#,
        r#"{"key":"i","value":{"intValue":"0"}},{"key":"d","value":{"doubleValue":"NaN"}},"#,
        r#"{"key":"y","value":{"bytesValue":"AAEC/w=="}},"#,
        r#"{"key":"a","value":{"arrayValue":{"values":[{"doubleValue":"-Infinity"},{}]}}},"#,
        r#"{"key":"m","value":{"kvlistValue":{"values":[{"key":"k"}]}}}],"#,
        r#""droppedAttributesCount":1,"events":[{"timeUnixNano":"5","name":"e","droppedAttributesCount":2}],"#,
        r#""droppedEventsCount":3,"links":[{"traceState":"t","droppedAttributesCount":4,"flags":256}],"#,
        r#""droppedLinksCount":6,"status":{"message":"oops","code":2}}]}],"schemaUrl":"rs"}]}"#,
    );
    let out = text(json::encode_traces(&req));
    assert_eq!(out, expected);
    // It reads back to the same request (compared as protobuf, which compares NaN bitwise).
    let back = json::decode_traces(out.as_bytes()).unwrap();
    assert_eq!(
        prost::Message::encode_to_vec(&back),
        prost::Message::encode_to_vec(&req)
    );
}

#[test]
fn metrics_in_go_shape() {
    let attrs = vec![kv("k", Av::IntValue(-3))];
    let metrics = vec![
        Metric {
            name: "g".into(),
            description: "d".into(),
            unit: "1".into(),
            metadata: vec![kv("m", Av::StringValue("v".into()))],
            data: Some(metric::Data::Gauge(Gauge {
                data_points: vec![NumberDataPoint {
                    attributes: attrs.clone(),
                    start_time_unix_nano: 1,
                    time_unix_nano: 2,
                    exemplars: vec![Exemplar {
                        filtered_attributes: vec![],
                        time_unix_nano: 3,
                        span_id: vec![1; 8].into(),
                        trace_id: vec![2; 16].into(),
                        value: Some(exemplar::Value::AsInt(-4)),
                    }],
                    flags: 1,
                    value: Some(number_data_point::Value::AsDouble(0.0)),
                }],
            })),
        },
        Metric {
            data: Some(metric::Data::Sum(Sum {
                data_points: vec![NumberDataPoint {
                    value: Some(number_data_point::Value::AsInt(0)),
                    ..Default::default()
                }],
                aggregation_temporality: 2,
                is_monotonic: true,
            })),
            ..Default::default()
        },
        Metric {
            data: Some(metric::Data::Histogram(Histogram {
                data_points: vec![HistogramDataPoint {
                    count: 3,
                    sum: Some(0.0),
                    bucket_counts: vec![1, 0, 2],
                    explicit_bounds: vec![0.5, 1e300],
                    min: Some(-0.0),
                    max: Some(f64::INFINITY),
                    ..Default::default()
                }],
                aggregation_temporality: 1,
            })),
            ..Default::default()
        },
        Metric {
            data: Some(metric::Data::ExponentialHistogram(ExponentialHistogram {
                data_points: vec![ExponentialHistogramDataPoint {
                    scale: -2,
                    zero_count: 1,
                    positive: Some(Buckets {
                        offset: -1,
                        bucket_counts: vec![5],
                    }),
                    negative: Some(Buckets::default()),
                    zero_threshold: 1e-9,
                    ..Default::default()
                }],
                aggregation_temporality: 1,
            })),
            ..Default::default()
        },
        Metric {
            data: Some(metric::Data::Summary(Summary {
                data_points: vec![SummaryDataPoint {
                    count: 2,
                    sum: 1.5,
                    quantile_values: vec![
                        ValueAtQuantile {
                            quantile: 0.0,
                            value: 1.0,
                        },
                        ValueAtQuantile {
                            quantile: 1.0,
                            value: f64::NAN,
                        },
                    ],
                    ..Default::default()
                }],
            })),
            ..Default::default()
        },
    ];
    let req = ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            scope_metrics: vec![ScopeMetrics {
                metrics,
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    let expected = concat!(
        r#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":["#,
        r#"{"name":"g","description":"d","unit":"1","gauge":{"dataPoints":[{"attributes":[{"key":"k","value":{"intValue":"-3"}}],"#,
        r#""startTimeUnixNano":"1","timeUnixNano":"2","asDouble":0.0,"exemplars":[{"timeUnixNano":"3","asInt":"-4","#,
        r#""traceId":"02020202020202020202020202020202","spanId":"0101010101010101"}],"flags":1}]},"#,
        r#""metadata":[{"key":"m","value":{"stringValue":"v"}}]},"#,
        r#"{"sum":{"dataPoints":[{"asInt":"0"}],"aggregationTemporality":2,"isMonotonic":true}},"#,
        r#"{"histogram":{"dataPoints":[{"count":"3","sum":0.0,"bucketCounts":["1","0","2"],"explicitBounds":[0.5,1e+300],"#,
        r#""min":-0.0,"max":"Infinity"}],"aggregationTemporality":1}},"#,
        r#"{"exponentialHistogram":{"dataPoints":[{"scale":-2,"zeroCount":"1","positive":{"offset":-1,"bucketCounts":["5"]},"#,
        r#""negative":{},"zeroThreshold":1e-9}],"aggregationTemporality":1}},"#,
        r#"{"summary":{"dataPoints":[{"count":"2","sum":1.5,"quantileValues":[{"value":1.0},{"quantile":1.0,"value":"NaN"}]}]}}"#,
        r#"]}]}]}"#,
    );
    assert_eq!(text(json::encode_metrics(&req)), expected);
}

#[test]
fn logs_in_go_shape() {
    let req = ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            scope_logs: vec![ScopeLogs {
                log_records: vec![LogRecord {
                    time_unix_nano: 1,
                    observed_time_unix_nano: 2,
                    severity_number: 9,
                    severity_text: "INFO".into(),
                    body: Some(AnyValue {
                        value: Some(Av::StringValue(String::new())),
                    }),
                    attributes: vec![],
                    dropped_attributes_count: 3,
                    flags: 1,
                    trace_id: vec![0xab; 16].into(),
                    span_id: vec![0xcd; 8].into(),
                    event_name: "ev".into(),
                }],
                schema_url: "s".into(),
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    assert_eq!(
        text(json::encode_logs(&req)),
        concat!(
            r#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"1","observedTimeUnixNano":"2","#,
            r#""severityNumber":9,"severityText":"INFO","body":{"stringValue":""},"droppedAttributesCount":3,"flags":1,"#,
            r#""traceId":"abababababababababababababababab","spanId":"cdcdcdcdcdcdcdcd","eventName":"ev"}],"schemaUrl":"s"}]}]}"#
        )
    );
}

#[test]
fn responses_and_status() {
    assert_eq!(
        text(json::encode_trace_response(
            &ExportTraceServiceResponse::default()
        )),
        "{}"
    );
    let r = ExportTraceServiceResponse {
        partial_success: Some(ExportTracePartialSuccess {
            rejected_spans: 5,
            error_message: "too old".into(),
        }),
    };
    assert_eq!(
        text(json::encode_trace_response(&r)),
        r#"{"partialSuccess":{"rejectedSpans":"5","errorMessage":"too old"}}"#
    );
    let r = ExportMetricsServiceResponse {
        partial_success: Some(ExportMetricsPartialSuccess {
            rejected_data_points: -1,
            error_message: String::new(),
        }),
    };
    assert_eq!(
        text(json::encode_metrics_response(&r)),
        r#"{"partialSuccess":{"rejectedDataPoints":"-1"}}"#
    );
    let r = ExportLogsServiceResponse {
        partial_success: Some(ExportLogsPartialSuccess::default()),
    };
    assert_eq!(
        text(json::encode_logs_response(&r)),
        r#"{"partialSuccess":{}}"#
    );
    assert_eq!(
        json::decode_logs_response(&json::encode_logs_response(&r)).unwrap(),
        r
    );

    let s = pdata::proto::rpc::Status {
        code: 3,
        message: "bad \\ request".into(),
        details: vec![prost_types::Any {
            type_url: "type.googleapis.com/x".into(),
            value: vec![1, 2],
        }],
    };
    let out = json::encode_status(&s);
    assert_eq!(
        text(out.clone()),
        r#"{"code":3,"message":"bad \\ request","details":[{"@type":"type.googleapis.com/x","value":"AQI="}]}"#
    );
    assert_eq!(json::decode_status(&out).unwrap(), s);
    assert_eq!(text(json::encode_status(&Default::default())), "{}");
}

#[test]
fn strings_are_escaped_and_never_null() {
    let all_controls: String = (0u8..0x20)
        .map(char::from)
        .chain("\"\\/é😀\u{2028}".chars())
        .collect();
    let req = traces(vec![Span {
        name: all_controls.clone(),
        ..Default::default()
    }]);
    let out = json::encode_traces(&req);
    let v: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
    assert_eq!(
        v["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["name"],
        serde_json::Value::String(all_controls)
    );
    assert!(!text(out.clone()).contains("null"));
    assert!(text(out).contains(r#"\u0000\u0001"#));
}
