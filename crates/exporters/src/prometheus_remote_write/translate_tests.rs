use pdata::proto::common::v1::{AnyValue, KeyValue, any_value};
use pdata::proto::metrics::v1::{
    ExponentialHistogram, ExponentialHistogramDataPoint, Gauge, Histogram as OtlpHistogram,
    HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum, Summary,
    SummaryDataPoint, exponential_histogram_data_point, summary_data_point,
};

use super::*;

const T: u64 = 1_700_000_000_123_456_789;
const T_MS: i64 = 1_700_000_000_123;

fn kv(k: &str, v: &str) -> KeyValue {
    KeyValue {
        key: k.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(v.into())),
        }),
    }
}

fn request(resource: Vec<KeyValue>, metrics: Vec<Metric>) -> ExportMetricsServiceRequest {
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(Resource {
                attributes: resource,
                ..Default::default()
            }),
            scope_metrics: vec![ScopeMetrics {
                metrics,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

fn point(attrs: Vec<KeyValue>, v: f64, t: u64) -> NumberDataPoint {
    NumberDataPoint {
        attributes: attrs,
        time_unix_nano: t,
        value: Some(NumberValue::AsDouble(v)),
        ..Default::default()
    }
}

fn sum(
    name: &str,
    unit: &str,
    monotonic: bool,
    temporality: AggregationTemporality,
    points: Vec<NumberDataPoint>,
) -> Metric {
    Metric {
        name: name.into(),
        unit: unit.into(),
        data: Some(Data::Sum(Sum {
            data_points: points,
            aggregation_temporality: temporality as i32,
            is_monotonic: monotonic,
        })),
        ..Default::default()
    }
}

/// Series as `name{a="b",...} value@ts` strings, sorted, for readable assertions.
fn render(series: &[TimeSeries]) -> Vec<String> {
    let mut out: Vec<String> = series
        .iter()
        .flat_map(|ts| {
            let name = ts
                .labels
                .iter()
                .find(|l| l.name == "__name__")
                .map(|l| l.value.clone())
                .unwrap_or_default();
            let labels: Vec<String> = ts
                .labels
                .iter()
                .filter(|l| l.name != "__name__")
                .map(|l| format!("{}={:?}", l.name, l.value))
                .collect();
            let head = format!("{name}{{{}}}", labels.join(","));
            ts.samples
                .iter()
                .map(move |s| format!("{head} {}@{}", s.value, s.timestamp))
                .collect::<Vec<_>>()
        })
        .collect();
    out.sort();
    out
}

fn settings() -> Settings {
    Settings {
        target_info: true,
        ..Default::default()
    }
}

#[test]
fn counters_and_gauges_get_names_job_and_instance() {
    let req = request(
        vec![
            kv("service.name", "api"),
            kv("service.namespace", "shop"),
            kv("service.instance.id", "i-1"),
        ],
        vec![
            sum(
                "http.requests",
                "{request}",
                true,
                AggregationTemporality::Cumulative,
                vec![point(vec![kv("http.method", "GET")], 3.0, T)],
            ),
            Metric {
                name: "memory.usage".into(),
                unit: "By".into(),
                data: Some(Data::Gauge(Gauge {
                    data_points: vec![point(vec![], 1024.0, T)],
                })),
                ..Default::default()
            },
        ],
    );
    let t = translate(&req, &settings());
    assert!(t.errors.is_empty());
    assert_eq!(
        render(&t.series),
        vec![
            format!(
                "http_requests_total{{http_method=\"GET\",instance=\"i-1\",job=\"shop/api\"}} 3@{T_MS}"
            ),
            format!("memory_usage_bytes{{instance=\"i-1\",job=\"shop/api\"}} 1024@{T_MS}"),
        ]
    );
    // Labels are sorted by name within each series, `__name__` first.
    for ts in &t.series {
        let names: Vec<&str> = ts.labels.iter().map(|l| l.name.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
    }
}

#[test]
fn colliding_attributes_join_and_external_labels_never_override() {
    let req = request(
        vec![kv("service.name", "svc")],
        vec![Metric {
            name: "g".into(),
            data: Some(Data::Gauge(Gauge {
                data_points: vec![point(
                    vec![kv("a.b", "1"), kv("a_b", "2"), kv("cluster", "mine")],
                    1.0,
                    T,
                )],
            })),
            ..Default::default()
        }],
    );
    let s = Settings {
        external_labels: vec![
            ("cluster".into(), "ext".into()),
            ("region".into(), "eu".into()),
        ],
        ..settings()
    };
    let t = translate(&req, &s);
    assert_eq!(
        render(&t.series),
        vec![format!(
            "g{{a_b=\"1;2\",cluster=\"mine\",job=\"svc\",region=\"eu\"}} 1@{T_MS}"
        )]
    );
}

#[test]
fn histograms_become_buckets_sum_and_count() {
    let req = request(
        vec![kv("service.name", "svc")],
        vec![Metric {
            name: "latency".into(),
            unit: "ms".into(),
            data: Some(Data::Histogram(OtlpHistogram {
                aggregation_temporality: AggregationTemporality::Cumulative as i32,
                data_points: vec![HistogramDataPoint {
                    time_unix_nano: T,
                    count: 6,
                    sum: Some(42.5),
                    bucket_counts: vec![1, 2, 3],
                    explicit_bounds: vec![0.5, 10.0],
                    ..Default::default()
                }],
            })),
            ..Default::default()
        }],
    );
    let t = translate(&req, &settings());
    assert_eq!(
        render(&t.series),
        vec![
            format!("latency_milliseconds_bucket{{job=\"svc\",le=\"+Inf\"}} 6@{T_MS}"),
            format!("latency_milliseconds_bucket{{job=\"svc\",le=\"0.5\"}} 1@{T_MS}"),
            format!("latency_milliseconds_bucket{{job=\"svc\",le=\"10\"}} 3@{T_MS}"),
            format!("latency_milliseconds_count{{job=\"svc\"}} 6@{T_MS}"),
            format!("latency_milliseconds_sum{{job=\"svc\"}} 42.5@{T_MS}"),
        ]
    );
}

#[test]
fn summaries_and_exponential_histograms() {
    let req = request(
        vec![kv("service.name", "svc")],
        vec![
            Metric {
                name: "rpc.duration".into(),
                unit: "s".into(),
                data: Some(Data::Summary(Summary {
                    data_points: vec![SummaryDataPoint {
                        time_unix_nano: T,
                        count: 10,
                        sum: 5.0,
                        quantile_values: vec![
                            summary_data_point::ValueAtQuantile {
                                quantile: 0.5,
                                value: 0.4,
                            },
                            summary_data_point::ValueAtQuantile {
                                quantile: 0.99,
                                value: 1.2,
                            },
                        ],
                        ..Default::default()
                    }],
                })),
                ..Default::default()
            },
            Metric {
                name: "size".into(),
                unit: "By".into(),
                data: Some(Data::ExponentialHistogram(ExponentialHistogram {
                    aggregation_temporality: AggregationTemporality::Cumulative as i32,
                    data_points: vec![ExponentialHistogramDataPoint {
                        time_unix_nano: T,
                        count: 3,
                        sum: Some(30.0),
                        scale: 1,
                        positive: Some(exponential_histogram_data_point::Buckets {
                            offset: 4,
                            bucket_counts: vec![1, 2],
                        }),
                        ..Default::default()
                    }],
                })),
                ..Default::default()
            },
        ],
    );
    let t = translate(&req, &settings());
    assert_eq!(
        render(&t.series),
        vec![
            format!("rpc_duration_seconds_count{{job=\"svc\"}} 10@{T_MS}"),
            format!("rpc_duration_seconds_sum{{job=\"svc\"}} 5@{T_MS}"),
            format!("rpc_duration_seconds{{job=\"svc\",quantile=\"0.5\"}} 0.4@{T_MS}"),
            format!("rpc_duration_seconds{{job=\"svc\",quantile=\"0.99\"}} 1.2@{T_MS}"),
        ]
    );
    let native: Vec<&TimeSeries> = t
        .series
        .iter()
        .filter(|s| !s.histograms.is_empty())
        .collect();
    assert_eq!(native.len(), 1);
    assert_eq!(native[0].labels[0].value, "size_bytes");
    let h = &native[0].histograms[0];
    assert_eq!((h.schema, h.sum, h.timestamp), (1, 30.0, T_MS));
    assert_eq!(h.positive_spans[0].offset, 5);
    assert_eq!(h.positive_deltas, vec![1, 1]);
}

#[test]
fn delta_is_refused_and_the_rest_still_translated() {
    let req = request(
        vec![kv("service.name", "svc")],
        vec![
            sum(
                "d",
                "",
                true,
                AggregationTemporality::Delta,
                vec![point(vec![], 1.0, T), point(vec![], 2.0, T)],
            ),
            sum(
                "c",
                "",
                true,
                AggregationTemporality::Cumulative,
                vec![point(vec![], 1.0, T)],
            ),
            sum("e", "", true, AggregationTemporality::Cumulative, vec![]),
        ],
    );
    let t = translate(&req, &settings());
    assert_eq!(
        t.errors,
        vec![
            "invalid temporality and type combination for metric \"d\"".to_string(),
            "empty data points. e is dropped".to_string(),
        ]
    );
    assert_eq!(t.dropped_points, 2);
    assert_eq!(
        render(&t.series),
        vec![format!("c_total{{job=\"svc\"}} 1@{T_MS}")]
    );
}

#[test]
fn samples_are_sorted_by_time_and_stale_points_marked() {
    let mut stale = point(vec![], 0.0, T + 2_000_000);
    stale.flags = 1;
    let req = request(
        vec![kv("service.name", "svc")],
        vec![sum(
            "c",
            "",
            false,
            AggregationTemporality::Cumulative,
            vec![
                point(vec![], 2.0, T + 1_000_000),
                stale,
                point(vec![], 1.0, T),
            ],
        )],
    );
    let t = translate(&req, &Settings::default());
    assert_eq!(t.series.len(), 1);
    let ts: Vec<i64> = t.series[0].samples.iter().map(|s| s.timestamp).collect();
    assert_eq!(ts, vec![T_MS, T_MS + 1, T_MS + 2]);
    assert_eq!(t.series[0].samples[2].value.to_bits(), STALE_NAN_BITS);
    // A non-monotonic sum is named as a gauge.
    assert_eq!(t.series[0].labels[0].value, "c");
}

#[test]
fn target_info_carries_the_other_resource_attributes() {
    let resource = vec![
        kv("service.name", "svc"),
        kv("service.instance.id", "i"),
        kv("host.name", "h1"),
        kv("cloud.region", "eu"),
    ];
    let metrics = vec![sum(
        "c",
        "",
        true,
        AggregationTemporality::Cumulative,
        vec![point(vec![], 1.0, T)],
    )];
    let t = translate(&request(resource.clone(), metrics.clone()), &settings());
    assert!(render(&t.series).contains(&format!(
        "target_info{{cloud_region=\"eu\",host_name=\"h1\",instance=\"i\",job=\"svc\"}} 1@{T_MS}"
    )));
    // Disabled, or with only the service attributes: none.
    let off = Settings::default();
    assert_eq!(
        translate(&request(resource.clone(), metrics.clone()), &off)
            .series
            .len(),
        1
    );
    let t = translate(
        &request(resource[..2].to_vec(), metrics.clone()),
        &settings(),
    );
    assert_eq!(t.series.len(), 1);
    // resource_to_telemetry_conversion copies them onto every series.
    let r2t = Settings {
        resource_to_telemetry: true,
        ..Settings::default()
    };
    let t = translate(&request(resource, metrics), &r2t);
    assert_eq!(
        render(&t.series),
        vec![format!(
            "c_total{{cloud_region=\"eu\",host_name=\"h1\",instance=\"i\",job=\"svc\",service_instance_id=\"i\",service_name=\"svc\"}} 1@{T_MS}"
        )]
    );
}

#[test]
fn metadata_when_asked() {
    let req = request(
        vec![],
        vec![Metric {
            description: "Requests.".into(),
            ..sum(
                "req",
                "1",
                true,
                AggregationTemporality::Cumulative,
                vec![point(vec![], 1.0, T)],
            )
        }],
    );
    let s = Settings {
        send_metadata: true,
        ..Settings::default()
    };
    let t = translate(&req, &s);
    assert_eq!(
        t.metadata,
        vec![MetricMetadata {
            r#type: MetricType::Counter as i32,
            metric_family_name: "req_total".into(),
            help: "Requests.".into(),
            unit: "1".into(),
        }]
    );
    assert!(translate(&req, &Settings::default()).metadata.is_empty());
}

/// The per-point shortcut (shared labels once, then `__name__` and `le`/`quantile` per series)
/// gives exactly the labels the general path gives with those as extras, including attributes
/// that collide with the extras, empty values, names sorting before `__name__`, and resource
/// labels copied in.
#[test]
fn series_labels_match_the_general_path() {
    let attribute_sets = [
        vec![],
        vec![kv("b", "1"), kv("a", "2")],
        vec![kv("le", "attr"), kv("quantile", "q"), kv("__name__", "x")],
        vec![
            kv("Upper", "u"),
            kv("_lead", "l"),
            kv("empty", ""),
            kv("a.b", "1"),
            kv("a_b", "2"),
        ],
        vec![kv("job", "mine"), kv("instance", "i"), kv("cluster", "own")],
    ];
    let resource = vec![
        kv("service.name", "svc"),
        kv("service.instance.id", "i-1"),
        kv("host.name", "h"),
    ];
    for resource_to_telemetry in [false, true] {
        let settings = Settings {
            external_labels: vec![("cluster".into(), "c1".into()), ("zone".into(), "z".into())],
            resource_to_telemetry,
            ..Settings::default()
        };
        let base = LabelBase {
            settings: &settings,
            resource: &resource,
        };
        for attrs in &attribute_sets {
            for (name, extra) in [
                ("m", None),
                ("m_bucket", Some(("le", "0.5"))),
                ("m_bucket", Some(("le", "+Inf"))),
                ("m", Some(("quantile", "0.99"))),
                ("", None),
            ] {
                let mut extras = vec![("__name__", name)];
                extras.extend(extra);
                let general = base.labels(attrs, &[], &extras);
                let fast = series_labels(&base.point(attrs), name, extra);
                assert_eq!(fast, general, "{attrs:?} {name} {extra:?}");
            }
        }
    }
}
