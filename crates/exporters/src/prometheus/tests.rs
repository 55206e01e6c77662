use std::time::{Duration, Instant};

use ::prometheus::naming::TranslationStrategy;
use pdata::ExportMetricsServiceRequest;
use pdata::proto::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use pdata::proto::metrics::v1::metric::Data;
use pdata::proto::metrics::v1::number_data_point::Value as NumberValue;
use pdata::proto::metrics::v1::{
    AggregationTemporality, ExponentialHistogram, ExponentialHistogramDataPoint, Gauge, Histogram,
    HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum,
};
use pdata::proto::resource::v1::Resource;

use super::accumulator::{Accumulator, Settings};
use super::render::render;

const T: u64 = 1_700_000_000_000_000_000;
const SEC: u64 = 1_000_000_000;

fn kv(k: &str, v: &str) -> KeyValue {
    KeyValue {
        key: k.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(v.into())),
        }),
    }
}

fn request(metrics: Vec<Metric>) -> ExportMetricsServiceRequest {
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(Resource {
                attributes: vec![
                    kv("service.name", "svc"),
                    kv("service.instance.id", "i1"),
                    kv("host.name", "h"),
                ],
                ..Default::default()
            }),
            scope_metrics: vec![ScopeMetrics {
                scope: Some(InstrumentationScope {
                    name: "lib".into(),
                    version: "1.0".into(),
                    ..Default::default()
                }),
                metrics,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

fn sum(
    name: &str,
    temporality: AggregationTemporality,
    monotonic: bool,
    v: i64,
    start: u64,
    t: u64,
) -> Metric {
    Metric {
        name: name.into(),
        description: "A sum.".into(),
        data: Some(Data::Sum(Sum {
            data_points: vec![NumberDataPoint {
                start_time_unix_nano: start,
                time_unix_nano: t,
                value: Some(NumberValue::AsInt(v)),
                ..Default::default()
            }],
            aggregation_temporality: temporality as i32,
            is_monotonic: monotonic,
        })),
        ..Default::default()
    }
}

fn settings() -> Settings {
    Settings {
        strategy: TranslationStrategy::UnderscoreEscapingWithSuffixes,
        without_scope_info: true,
        ..Settings::default()
    }
}

#[test]
fn text_exposition_of_every_type() {
    let mut acc = Accumulator::default();
    let now = Instant::now();
    acc.accumulate(
        &request(vec![
            sum(
                "requests",
                AggregationTemporality::Cumulative,
                true,
                7,
                T,
                T + SEC,
            ),
            Metric {
                name: "temperature".into(),
                unit: "Cel".into(),
                data: Some(Data::Gauge(Gauge {
                    data_points: vec![NumberDataPoint {
                        attributes: vec![kv("room", "a\"b")],
                        time_unix_nano: T,
                        value: Some(NumberValue::AsDouble(1234567.5)),
                        ..Default::default()
                    }],
                })),
                ..Default::default()
            },
            Metric {
                name: "latency".into(),
                unit: "s".into(),
                data: Some(Data::Histogram(Histogram {
                    aggregation_temporality: AggregationTemporality::Cumulative as i32,
                    data_points: vec![HistogramDataPoint {
                        time_unix_nano: T,
                        count: 3,
                        sum: Some(1.5),
                        bucket_counts: vec![1, 1, 1],
                        explicit_bounds: vec![0.1, 1.0],
                        ..Default::default()
                    }],
                })),
                ..Default::default()
            },
        ]),
        &settings(),
        now,
    );
    let text = render(&acc, "", false, false);
    let expected = "\
# TYPE latency_seconds histogram
latency_seconds_bucket{instance=\"i1\",job=\"svc\",le=\"0.1\"} 1
latency_seconds_bucket{instance=\"i1\",job=\"svc\",le=\"1\"} 2
latency_seconds_bucket{instance=\"i1\",job=\"svc\",le=\"+Inf\"} 3
latency_seconds_sum{instance=\"i1\",job=\"svc\"} 1.5
latency_seconds_count{instance=\"i1\",job=\"svc\"} 3
# HELP requests_total A sum.
# TYPE requests_total counter
requests_total{instance=\"i1\",job=\"svc\"} 7
# HELP target_info Target metadata
# TYPE target_info gauge
target_info{host_name=\"h\",instance=\"i1\",job=\"svc\"} 1
# TYPE temperature_celsius gauge
temperature_celsius{instance=\"i1\",job=\"svc\",room=\"a\\\"b\"} 1.2345675e+06
";
    assert_eq!(text, expected);

    let om = render(&acc, "", true, true);
    assert!(om.contains("# TYPE requests counter\nrequests_total{instance=\"i1\",job=\"svc\"} 7.0 1700000001.000\n"), "{om}");
    assert!(
        om.contains("requests_created{instance=\"i1\",job=\"svc\"} 1.7e+09\n"),
        "{om}"
    );
    assert!(om.ends_with("# EOF\n"));
}

#[test]
fn monotonic_deltas_accumulate_when_contiguous() {
    let mut acc = Accumulator::default();
    let now = Instant::now();
    let s = settings();
    acc.accumulate(
        &request(vec![sum(
            "d",
            AggregationTemporality::Delta,
            true,
            5,
            T,
            T + SEC,
        )]),
        &s,
        now,
    );
    acc.accumulate(
        &request(vec![sum(
            "d",
            AggregationTemporality::Delta,
            true,
            3,
            T + SEC,
            T + 2 * SEC,
        )]),
        &s,
        now,
    );
    assert!(render(&acc, "", false, false).contains("d_total{instance=\"i1\",job=\"svc\"} 8\n"));
    // A gap (the start is not the previous end) starts the count anew.
    acc.accumulate(
        &request(vec![sum(
            "d",
            AggregationTemporality::Delta,
            true,
            2,
            T + 5 * SEC,
            T + 6 * SEC,
        )]),
        &s,
        now,
    );
    assert!(render(&acc, "", false, false).contains("d_total{instance=\"i1\",job=\"svc\"} 2\n"));
    // An older point is ignored.
    acc.accumulate(
        &request(vec![sum(
            "d",
            AggregationTemporality::Delta,
            true,
            100,
            T,
            T + SEC,
        )]),
        &s,
        now,
    );
    assert!(render(&acc, "", false, false).contains("d_total{instance=\"i1\",job=\"svc\"} 2\n"));
    // Non-monotonic deltas and exponential histograms are dropped and counted.
    acc.accumulate(
        &request(vec![sum(
            "nm",
            AggregationTemporality::Delta,
            false,
            1,
            T,
            T + SEC,
        )]),
        &s,
        now,
    );
    acc.accumulate(
        &request(vec![Metric {
            name: "eh".into(),
            data: Some(Data::ExponentialHistogram(ExponentialHistogram {
                data_points: vec![ExponentialHistogramDataPoint::default()],
                aggregation_temporality: AggregationTemporality::Cumulative as i32,
            })),
            ..Default::default()
        }]),
        &s,
        now,
    );
    assert_eq!(acc.dropped, 2);
    let text = render(&acc, "", false, false);
    assert!(!text.contains("nm") && !text.contains("eh"), "{text}");
}

#[test]
fn series_expire_and_scope_and_const_labels_apply() {
    let mut acc = Accumulator::default();
    let then = Instant::now();
    let s = Settings {
        without_scope_info: false,
        const_labels: vec![("env".into(), "prod".into())],
        namespace: "ns".into(),
        ..settings()
    };
    acc.accumulate(
        &request(vec![sum(
            "c",
            AggregationTemporality::Cumulative,
            true,
            1,
            T,
            T,
        )]),
        &s,
        then,
    );
    let text = render(&acc, "ns", false, false);
    assert!(
        text.contains("ns_c_total{env=\"prod\",instance=\"i1\",job=\"svc\",otel_scope_name=\"lib\",otel_scope_version=\"1.0\"} 1\n"),
        "{text}"
    );
    assert!(text.contains("ns_target_info{"), "{text}");
    acc.expire(then + Duration::from_secs(301), Duration::from_secs(300));
    assert_eq!(render(&acc, "ns", false, false), "");
}
