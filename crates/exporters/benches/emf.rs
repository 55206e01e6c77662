//! EMF translation throughput: one request of 1,000 data points (100 series of gauges,
//! cumulative sums and histograms with 4 labels each, plus summaries) through the awsemf
//! translator, with the default rollup and with `metric_declarations`. The cumulative sums are
//! warmed up first so the measured calls take the delta path, as a running exporter does.

use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use exporters::awsemf::{AwsEmfConfig, MetricDeclaration, translator};
use pdata::ExportMetricsServiceRequest;
use pdata::proto::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use pdata::proto::metrics::v1::{
    AggregationTemporality, Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint,
    ResourceMetrics, ScopeMetrics, Sum, Summary, SummaryDataPoint, metric::Data, number_data_point,
    summary_data_point::ValueAtQuantile,
};
use pdata::proto::resource::v1::Resource;

// The collector binary runs on jemalloc; measure with it.
#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

const SERIES: usize = 100;

fn kv(k: &str, v: String) -> KeyValue {
    KeyValue {
        key: k.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(v)),
        }),
    }
}

fn labels(i: usize) -> Vec<KeyValue> {
    vec![
        kv("host", format!("host-{}", i % 10)),
        kv("route", format!("/api/v1/items/{}", i % 7)),
        kv("method", ["GET", "POST", "PUT"][i % 3].to_string()),
        kv("status", format!("{}", 200 + i % 5)),
    ]
}

fn request(step: u64) -> ExportMetricsServiceRequest {
    let ts = 1_700_000_000_000_000_000 + step * 60_000_000_000;
    let number = |i: usize, v: f64| NumberDataPoint {
        attributes: labels(i),
        time_unix_nano: ts,
        value: Some(number_data_point::Value::AsDouble(v)),
        ..Default::default()
    };
    let mut metrics = Vec::new();
    for m in 0..3 {
        metrics.push(Metric {
            name: format!("gauge_{m}"),
            unit: "By".into(),
            data: Some(Data::Gauge(Gauge {
                data_points: (0..SERIES).map(|i| number(i, i as f64 * 1.5)).collect(),
            })),
            ..Default::default()
        });
        metrics.push(Metric {
            name: format!("requests_{m}"),
            unit: "1".into(),
            data: Some(Data::Sum(Sum {
                data_points: (0..SERIES)
                    .map(|i| number(i, (step * 10 + i as u64) as f64))
                    .collect(),
                aggregation_temporality: AggregationTemporality::Cumulative as i32,
                is_monotonic: true,
            })),
            ..Default::default()
        });
        metrics.push(Metric {
            name: format!("latency_{m}"),
            unit: "ms".into(),
            data: Some(Data::Histogram(Histogram {
                data_points: (0..SERIES)
                    .map(|i| HistogramDataPoint {
                        attributes: labels(i),
                        time_unix_nano: ts,
                        count: 10 + i as u64,
                        sum: Some(123.5),
                        bucket_counts: vec![1, 2, 3, 4],
                        explicit_bounds: vec![1.0, 10.0, 100.0],
                        min: Some(0.5),
                        max: Some(250.0),
                        ..Default::default()
                    })
                    .collect(),
                aggregation_temporality: AggregationTemporality::Cumulative as i32,
            })),
            ..Default::default()
        });
    }
    metrics.push(Metric {
        name: "rpc_duration".into(),
        unit: "s".into(),
        data: Some(Data::Summary(Summary {
            data_points: (0..SERIES)
                .map(|i| SummaryDataPoint {
                    attributes: labels(i),
                    time_unix_nano: ts,
                    count: 5,
                    sum: 2.5,
                    quantile_values: vec![
                        ValueAtQuantile {
                            quantile: 0.5,
                            value: 0.4,
                        },
                        ValueAtQuantile {
                            quantile: 0.99,
                            value: 0.9,
                        },
                    ],
                    ..Default::default()
                })
                .collect(),
        })),
        ..Default::default()
    });
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(Resource {
                attributes: vec![kv("service.name", "bench".into())],
                ..Default::default()
            }),
            scope_metrics: vec![ScopeMetrics {
                scope: Some(InstrumentationScope {
                    name: "bench-lib".into(),
                    ..Default::default()
                }),
                metrics,
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    }
}

fn bench(c: &mut Criterion) {
    let warm = request(0);
    let req = request(1);
    let points = 10 * SERIES;
    let mut group = c.benchmark_group("awsemf_translate");
    group.throughput(Throughput::Elements(points as u64));
    let configs = [
        ("zero_and_single_rollup", AwsEmfConfig::default()),
        (
            "declarations",
            AwsEmfConfig {
                metric_declarations: vec![MetricDeclaration {
                    dimensions: vec![vec!["host".into()], vec!["route".into(), "method".into()]],
                    metric_name_selectors: vec!["^(gauge|latency)_".into()],
                    label_matchers: Vec::new(),
                }],
                ..AwsEmfConfig::default()
            },
        ),
    ];
    for (name, config) in configs {
        let t = translator(&config).expect("translator");
        let now = Instant::now();
        t.translate_at(&warm, 0, now);
        group.bench_function(name, |b| {
            b.iter(|| {
                let out = t.translate_at(&req, 0, now);
                assert!(!out.events.is_empty());
                out
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
