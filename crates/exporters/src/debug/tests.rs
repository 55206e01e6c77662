//! Golden tests: the expected texts are upstream's (`otlptext/testdata/*.out`) where upstream
//! has one for the same data, and otherwise follow upstream's marshalers line by line.

use bytes::Bytes;
use pdata::payload::RequestMeta;
use pdata::proto::common::v1::{
    AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList, any_value,
};
use pdata::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use pdata::proto::metrics::v1::{
    self as m, Exemplar, ExponentialHistogram, ExponentialHistogramDataPoint, Gauge, Histogram,
    HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum, Summary,
    SummaryDataPoint, exponential_histogram_data_point::Buckets, metric::Data,
    summary_data_point::ValueAtQuantile,
};
use pdata::proto::resource::v1::Resource;
use pdata::proto::trace::v1::{ResourceSpans, ScopeSpans, Span, Status, span};
use pdata::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};

use super::config::{DebugConfig, Verbosity};
use super::counts::{Counts, DebugSignal};
use super::exporter::{Printer, console_counts_line};
use super::{detailed, normal};

const START: u64 = 1_581_452_772_000_000_321;
const END: u64 = 1_581_452_773_000_000_789;
const EVENT: u64 = 1_581_452_773_000_000_123;

fn s(v: &str) -> Option<AnyValue> {
    Some(AnyValue {
        value: Some(any_value::Value::StringValue(v.into())),
    })
}

fn kv(k: &str, v: Option<AnyValue>) -> KeyValue {
    KeyValue {
        key: k.into(),
        value: v,
    }
}

fn resource() -> Option<Resource> {
    Some(Resource {
        attributes: vec![kv("resource-attr", s("resource-attr-val-1"))],
        ..Default::default()
    })
}

/// Upstream `testdata.GenerateTraces(2)`.
fn two_spans() -> ExportTraceServiceRequest {
    let span_a = Span {
        name: "operationA".into(),
        trace_id: Bytes::from_static(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]),
        span_id: Bytes::from_static(&[0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18]),
        trace_state: "ot=th:0".into(),
        start_time_unix_nano: START,
        end_time_unix_nano: END,
        dropped_attributes_count: 1,
        dropped_events_count: 1,
        events: vec![
            span::Event {
                time_unix_nano: EVENT,
                name: "event-with-attr".into(),
                attributes: vec![kv("span-event-attr", s("span-event-attr-val"))],
                dropped_attributes_count: 2,
            },
            span::Event {
                time_unix_nano: EVENT,
                name: "event".into(),
                attributes: vec![],
                dropped_attributes_count: 2,
            },
        ],
        status: Some(Status {
            message: "status-cancelled".into(),
            code: 2,
        }),
        ..Default::default()
    };
    let link = |attrs| span::Link {
        dropped_attributes_count: 4,
        attributes: attrs,
        ..Default::default()
    };
    let span_b = Span {
        name: "operationB".into(),
        start_time_unix_nano: START,
        end_time_unix_nano: END,
        dropped_links_count: 3,
        links: vec![
            link(vec![kv("span-link-attr", s("span-link-attr-val"))]),
            link(vec![]),
        ],
        ..Default::default()
    };
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: resource(),
            scope_spans: vec![ScopeSpans {
                spans: vec![span_a, span_b],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

#[test]
fn detailed_traces_match_upstream_two_spans() {
    let expected = "\
ResourceSpans #0
Resource SchemaURL: 
Resource attributes:
     -> resource-attr: Str(resource-attr-val-1)
ScopeSpans #0
ScopeSpans SchemaURL: 
InstrumentationScope  
Span #0
    Trace ID       : 0102030405060708090a0b0c0d0e0f10
    Parent ID      : 
    ID             : 1112131415161718
    Name           : operationA
    Kind           : Unspecified
    TraceState     : ot=th:0
    Start time     : 2020-02-11 20:26:12.000000321 +0000 UTC
    End time       : 2020-02-11 20:26:13.000000789 +0000 UTC
    Status code    : Error
    Status message : status-cancelled
    DroppedAttributesCount: 1
    DroppedEventsCount: 1
    DroppedLinksCount: 0
Events:
SpanEvent #0
     -> Name: event-with-attr
     -> Timestamp: 2020-02-11 20:26:13.000000123 +0000 UTC
     -> DroppedAttributesCount: 2
     -> Attributes::
          -> span-event-attr: Str(span-event-attr-val)
SpanEvent #1
     -> Name: event
     -> Timestamp: 2020-02-11 20:26:13.000000123 +0000 UTC
     -> DroppedAttributesCount: 2
Span #1
    Trace ID       : 
    Parent ID      : 
    ID             : 
    Name           : operationB
    Kind           : Unspecified
    Start time     : 2020-02-11 20:26:12.000000321 +0000 UTC
    End time       : 2020-02-11 20:26:13.000000789 +0000 UTC
    Status code    : Unset
    Status message : 
    DroppedAttributesCount: 0
    DroppedEventsCount: 0
    DroppedLinksCount: 3
Links:
SpanLink #0
     -> Trace ID: 
     -> ID: 
     -> TraceState: 
     -> DroppedAttributesCount: 4
     -> Attributes::
          -> span-link-attr: Str(span-link-attr-val)
SpanLink #1
     -> Trace ID: 
     -> ID: 
     -> TraceState: 
     -> DroppedAttributesCount: 4
";
    assert_eq!(detailed::traces(&two_spans()), expected);
}

#[test]
fn normal_traces() {
    let mut req = two_spans();
    let rs = &mut req.resource_spans[0];
    rs.schema_url = "https://schema".into();
    rs.scope_spans[0].scope = Some(InstrumentationScope {
        name: "lib".into(),
        version: "1.2".into(),
        attributes: vec![kv("scope-attr", s("x"))],
        ..Default::default()
    });
    rs.scope_spans[0].spans[0].attributes = vec![
        kv("a", s("b")),
        kv(
            "n",
            Some(AnyValue {
                value: Some(any_value::Value::IntValue(3)),
            }),
        ),
    ];
    assert_eq!(
        normal::traces(&req),
        "ResourceTraces #0 [https://schema] resource-attr=resource-attr-val-1\n\
         ScopeTraces #0 lib@1.2 scope-attr=x\n\
         operationA 0102030405060708090a0b0c0d0e0f10 1112131415161718 a=b n=3\n\
         operationB  \n"
    );
}

fn number(attrs: Vec<KeyValue>, v: m::number_data_point::Value) -> NumberDataPoint {
    NumberDataPoint {
        attributes: attrs,
        start_time_unix_nano: START,
        time_unix_nano: END,
        value: Some(v),
        ..Default::default()
    }
}

fn metric(name: &str, data: Data) -> Metric {
    Metric {
        name: name.into(),
        unit: "1".into(),
        data: Some(data),
        ..Default::default()
    }
}

/// The first points of upstream's `metrics_with_all_types` data, plus a summary.
fn all_types() -> ExportMetricsServiceRequest {
    use m::number_data_point::Value::{AsDouble, AsInt};
    let l1 = || kv("label-1", s("label-value-1"));
    let l3 = || kv("label-3", s("label-value-3"));
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: resource(),
            scope_metrics: vec![ScopeMetrics {
                metrics: vec![
                    metric(
                        "gauge-int",
                        Data::Gauge(Gauge {
                            data_points: vec![number(vec![l1()], AsInt(123))],
                        }),
                    ),
                    metric(
                        "sum-double",
                        Data::Sum(Sum {
                            data_points: vec![number(vec![l1(), l3()], AsDouble(4.56))],
                            aggregation_temporality: 2,
                            is_monotonic: true,
                        }),
                    ),
                    metric(
                        "histogram",
                        Data::Histogram(Histogram {
                            data_points: vec![HistogramDataPoint {
                                attributes: vec![kv("label-2", s("label-value-2"))],
                                start_time_unix_nano: START,
                                time_unix_nano: END,
                                count: 1,
                                sum: Some(15.0),
                                min: Some(15.0),
                                max: Some(15.0),
                                bucket_counts: vec![0, 1],
                                explicit_bounds: vec![1.0],
                                exemplars: vec![Exemplar {
                                    filtered_attributes: vec![kv(
                                        "exemplar-attachment",
                                        s("exemplar-attachment-value"),
                                    )],
                                    time_unix_nano: EVENT,
                                    span_id: Bytes::from_static(&[
                                        0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
                                    ]),
                                    trace_id: Bytes::from_static(&[
                                        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                    ]),
                                    value: Some(m::exemplar::Value::AsDouble(15.0)),
                                }],
                                ..Default::default()
                            }],
                            aggregation_temporality: 2,
                        }),
                    ),
                    metric(
                        "exponential-histogram",
                        Data::ExponentialHistogram(ExponentialHistogram {
                            data_points: vec![ExponentialHistogramDataPoint {
                                attributes: vec![l1(), l3()],
                                start_time_unix_nano: START,
                                time_unix_nano: END,
                                count: 5,
                                sum: Some(0.15),
                                scale: 1,
                                zero_count: 1,
                                positive: Some(Buckets {
                                    offset: 1,
                                    bucket_counts: vec![1, 1],
                                }),
                                negative: Some(Buckets {
                                    offset: -1,
                                    bucket_counts: vec![1, 1],
                                }),
                                ..Default::default()
                            }],
                            aggregation_temporality: 1,
                        }),
                    ),
                    metric(
                        "summary",
                        Data::Summary(Summary {
                            data_points: vec![SummaryDataPoint {
                                start_time_unix_nano: START,
                                time_unix_nano: END,
                                count: 100,
                                sum: 15.5,
                                quantile_values: vec![
                                    ValueAtQuantile {
                                        quantile: 0.5,
                                        value: 2.0,
                                    },
                                    ValueAtQuantile {
                                        quantile: 0.99,
                                        value: 1e6,
                                    },
                                ],
                                ..Default::default()
                            }],
                        }),
                    ),
                ],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

#[test]
fn detailed_metrics_match_upstream_all_types() {
    let expected = "\
ResourceMetrics #0
Resource SchemaURL: 
Resource attributes:
     -> resource-attr: Str(resource-attr-val-1)
ScopeMetrics #0
ScopeMetrics SchemaURL: 
InstrumentationScope  
Metric #0
Descriptor:
     -> Name: gauge-int
     -> Description: 
     -> Unit: 1
     -> DataType: Gauge
NumberDataPoints #0
Data point attributes:
     -> label-1: Str(label-value-1)
StartTimestamp: 2020-02-11 20:26:12.000000321 +0000 UTC
Timestamp: 2020-02-11 20:26:13.000000789 +0000 UTC
Value: 123
Metric #1
Descriptor:
     -> Name: sum-double
     -> Description: 
     -> Unit: 1
     -> DataType: Sum
     -> IsMonotonic: true
     -> AggregationTemporality: Cumulative
NumberDataPoints #0
Data point attributes:
     -> label-1: Str(label-value-1)
     -> label-3: Str(label-value-3)
StartTimestamp: 2020-02-11 20:26:12.000000321 +0000 UTC
Timestamp: 2020-02-11 20:26:13.000000789 +0000 UTC
Value: 4.560000
Metric #2
Descriptor:
     -> Name: histogram
     -> Description: 
     -> Unit: 1
     -> DataType: Histogram
     -> AggregationTemporality: Cumulative
HistogramDataPoints #0
Data point attributes:
     -> label-2: Str(label-value-2)
StartTimestamp: 2020-02-11 20:26:12.000000321 +0000 UTC
Timestamp: 2020-02-11 20:26:13.000000789 +0000 UTC
Count: 1
Sum: 15.000000
Min: 15.000000
Max: 15.000000
ExplicitBounds #0: 1.000000
Buckets #0, Count: 0
Buckets #1, Count: 1
Exemplars:
Exemplar #0
     -> Trace ID: 0102030405060708090a0b0c0d0e0f10
     -> Span ID: 1112131415161718
     -> Timestamp: 2020-02-11 20:26:13.000000123 +0000 UTC
     -> Value: 15.000000
     -> FilteredAttributes:
          -> exemplar-attachment: Str(exemplar-attachment-value)
Metric #3
Descriptor:
     -> Name: exponential-histogram
     -> Description: 
     -> Unit: 1
     -> DataType: ExponentialHistogram
     -> AggregationTemporality: Delta
ExponentialHistogramDataPoints #0
Data point attributes:
     -> label-1: Str(label-value-1)
     -> label-3: Str(label-value-3)
StartTimestamp: 2020-02-11 20:26:12.000000321 +0000 UTC
Timestamp: 2020-02-11 20:26:13.000000789 +0000 UTC
Count: 5
Sum: 0.150000
Bucket [-1.414214, -1.000000), Count: 1
Bucket [-1.000000, -0.707107), Count: 1
Bucket [0, 0], Count: 1
Bucket (1.414214, 2.000000], Count: 1
Bucket (2.000000, 2.828427], Count: 1
Metric #4
Descriptor:
     -> Name: summary
     -> Description: 
     -> Unit: 1
     -> DataType: Summary
SummaryDataPoints #0
StartTimestamp: 2020-02-11 20:26:12.000000321 +0000 UTC
Timestamp: 2020-02-11 20:26:13.000000789 +0000 UTC
Count: 100
Sum: 15.500000
QuantileValue #0: Quantile 0.500000, Value 2.000000
QuantileValue #1: Quantile 0.990000, Value 1000000.000000
";
    assert_eq!(detailed::metrics(&all_types()), expected);
}

/// Bucket bounds are `exp()` results; their last printed digits follow the platform's libm,
/// which may differ from Go's `math.Exp` by an ulp (2.82842712474619 vs 2.8284271247461903).
#[test]
fn normal_metrics() {
    assert_eq!(
        normal::metrics(&all_types()),
        "ResourceMetrics #0 resource-attr=resource-attr-val-1\n\
         ScopeMetrics #0\n\
         gauge-int{label-1=label-value-1} 123\n\
         sum-double{label-1=label-value-1,label-3=label-value-3} 4.56\n\
         histogram{label-2=label-value-2} count=1 sum=15 min=15 max=15 le1=0 1\n\
         exponential-histogram{label-1=label-value-1,label-3=label-value-3} count=5 sum=0.15 \
         le-1=1 le-0.7071067811865476=1 zero=1 le2=1 le2.82842712474619=1\n\
         summary{} count=100 sum=15.500000 q0.5=2 q0.99=1e+06\n"
    );
}

fn logs() -> ExportLogsServiceRequest {
    let map = |entries: Vec<KeyValue>| {
        Some(AnyValue {
            value: Some(any_value::Value::KvlistValue(KeyValueList {
                values: entries,
            })),
        })
    };
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: resource(),
            scope_logs: vec![ScopeLogs {
                log_records: vec![
                    LogRecord {
                        time_unix_nano: END,
                        severity_number: 9,
                        severity_text: "Info".into(),
                        body: s("This is a log message"),
                        attributes: vec![
                            kv("app", s("server")),
                            kv(
                                "instance_num",
                                Some(AnyValue {
                                    value: Some(any_value::Value::IntValue(1)),
                                }),
                            ),
                        ],
                        trace_id: Bytes::from_static(&[
                            8, 4, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                        ]),
                        span_id: Bytes::from_static(&[1, 2, 4, 8, 0, 0, 0, 0]),
                        ..Default::default()
                    },
                    LogRecord {
                        time_unix_nano: END,
                        severity_number: 10,
                        event_name: "app.event".into(),
                        body: map(vec![
                            kv("key2", s("<b>")),
                            kv(
                                "key1",
                                Some(AnyValue {
                                    value: Some(any_value::Value::ArrayValue(ArrayValue {
                                        values: vec![
                                            AnyValue {
                                                value: Some(any_value::Value::DoubleValue(1.5)),
                                            },
                                            AnyValue {
                                                value: Some(any_value::Value::BoolValue(true)),
                                            },
                                        ],
                                    })),
                                }),
                            ),
                        ]),
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

#[test]
fn detailed_logs_match_upstream_one_record() {
    let expected = "\
ResourceLog #0
Resource SchemaURL: 
Resource attributes:
     -> resource-attr: Str(resource-attr-val-1)
ScopeLogs #0
ScopeLogs SchemaURL: 
InstrumentationScope  
LogRecord #0
ObservedTimestamp: 1970-01-01 00:00:00 +0000 UTC
Timestamp: 2020-02-11 20:26:13.000000789 +0000 UTC
SeverityText: Info
SeverityNumber: Info(9)
Body: Str(This is a log message)
Attributes:
     -> app: Str(server)
     -> instance_num: Int(1)
Trace ID: 08040201000000000000000000000000
Span ID: 0102040800000000
Flags: 0
LogRecord #1
ObservedTimestamp: 1970-01-01 00:00:00 +0000 UTC
Timestamp: 2020-02-11 20:26:13.000000789 +0000 UTC
SeverityText: 
SeverityNumber: Info2(10)
EventName: app.event
Body: Map({\"key1\":[1.5,true],\"key2\":\"\\u003cb\\u003e\"})
Trace ID: 
Span ID: 
Flags: 0
";
    assert_eq!(detailed::logs(&logs()), expected);
}

#[test]
fn normal_logs() {
    assert_eq!(
        normal::logs(&logs()),
        "ResourceLog #0 resource-attr=resource-attr-val-1\n\
         ScopeLog #0\n\
         This is a log message app=server instance_num=1\n\
         {\"key1\":[1.5,true],\"key2\":\"\\u003cb\\u003e\"} \n"
    );
}

fn encoded<M: pdata::payload::Request>(m: &M) -> pdata::payload::Payload<M> {
    pdata::payload::Payload::from_bytes(
        Bytes::from(prost::Message::encode_to_vec(m)),
        RequestMeta::default(),
    )
    .unwrap()
}

#[test]
fn basic_counts_come_from_the_wire() {
    let mut traces = two_spans();
    traces.resource_spans.push(traces.resource_spans[0].clone());
    assert_eq!(
        ExportTraceServiceRequest::counts(&encoded(&traces)),
        Counts::Traces {
            resources: 2,
            spans: 4
        }
    );
    let metrics = all_types();
    let counts = ExportMetricsServiceRequest::counts(&encoded(&metrics));
    assert_eq!(
        counts,
        Counts::Metrics {
            resources: 1,
            metrics: 5,
            points: 5
        }
    );
    // The same numbers for a payload built in memory.
    let from_message = pdata::payload::Payload::from_message(metrics, RequestMeta::default());
    assert_eq!(ExportMetricsServiceRequest::counts(&from_message), counts);
    assert_eq!(
        ExportLogsServiceRequest::counts(&encoded(&logs())),
        Counts::Logs {
            resources: 1,
            records: 2
        }
    );
    assert_eq!(
        console_counts_line(counts),
        "Metrics\t{\"resource metrics\": 1, \"metrics\": 5, \"data points\": 5}\n"
    );
}

/// A writer the test can read back.
#[derive(Clone, Default)]
struct Shared(std::sync::Arc<parking_lot::Mutex<Vec<u8>>>);
impl std::io::Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn console_output_at_each_verbosity() {
    for verbosity in [Verbosity::Basic, Verbosity::Normal, Verbosity::Detailed] {
        let out = Shared::default();
        let config = DebugConfig {
            verbosity,
            use_internal_logger: false,
            ..DebugConfig::default()
        };
        let printer = Printer::to_writer(&config, Box::new(out.clone()));
        let payload = encoded(&logs());
        printer.print(&payload).unwrap();
        let text = String::from_utf8(out.0.lock().clone()).unwrap();
        let head = "Logs\t{\"resource logs\": 1, \"log records\": 2}\n";
        let expected = match verbosity {
            Verbosity::Basic => head.to_string(),
            Verbosity::Normal => format!("{head}{}\n", normal::logs(&logs())),
            _ => format!("{head}{}\n", detailed::logs(&logs())),
        };
        assert_eq!(text, expected, "{verbosity:?}");
        // Basic never needs the content, so the payload stays encoded and undecoded.
        assert!(payload.is_encoded());
    }
}

#[test]
fn sampling_drops_repeated_lines_within_a_second() {
    let out = Shared::default();
    let config = DebugConfig {
        use_internal_logger: false,
        sampling_initial: 1,
        sampling_thereafter: 0,
        ..DebugConfig::default()
    };
    let printer = Printer::to_writer(&config, Box::new(out.clone()));
    for _ in 0..3 {
        printer.print(&encoded(&logs())).unwrap();
    }
    let text = String::from_utf8(out.0.lock().clone()).unwrap();
    assert_eq!(text.matches("Logs\t").count(), 1);
}

#[test]
fn config_defaults_and_validation() {
    use component::ComponentConfig;
    let d = DebugConfig::default();
    assert_eq!(d.verbosity, Verbosity::Basic);
    assert_eq!((d.sampling_initial, d.sampling_thereafter), (2, 1));
    assert!(d.use_internal_logger && d.output_paths.is_none());
    assert!(d.validate().is_ok());
    let none = DebugConfig {
        verbosity: Verbosity::None,
        ..DebugConfig::default()
    };
    assert_eq!(
        none.validate().unwrap_err(),
        "verbosity level \"None\" is not supported"
    );
    let paths = DebugConfig {
        output_paths: Some(vec!["stdout".into()]),
        ..DebugConfig::default()
    };
    assert_eq!(
        paths.validate().unwrap_err(),
        "output_paths is not supported when use_internal_logger is true"
    );
}
