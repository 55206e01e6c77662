//! OTLP data points per second through `prometheus_remote_write`'s hot path: translation to
//! series, splitting at `max_batch_size_bytes`, protobuf encoding and snappy compression.
//!
//! `cargo bench -p exporters --bench prw_translate`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use exporters::prometheus_remote_write::translate::{Settings, translate};
use pdata::ExportMetricsServiceRequest;
use pdata::proto::common::v1::{AnyValue, KeyValue, any_value};
use pdata::proto::metrics::v1::metric::Data;
use pdata::proto::metrics::v1::number_data_point::Value;
use pdata::proto::metrics::v1::{
    AggregationTemporality, Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint,
    ResourceMetrics, ScopeMetrics, Sum,
};
use pdata::proto::resource::v1::Resource;
use prometheus::remote;

// The collector binary runs on jemalloc; measure with it.
#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn kv(k: &str, v: &str) -> KeyValue {
    KeyValue {
        key: k.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(v.into())),
        }),
    }
}

/// 10 resources × (10 gauges + 10 counters + 5 histograms) × 20 points.
fn request() -> (ExportMetricsServiceRequest, usize) {
    let t = 1_700_000_000_000_000_000u64;
    let mut points = 0;
    let mut rms = Vec::new();
    for r in 0..10 {
        let mut metrics = Vec::new();
        let number_points = |m: usize| -> Vec<NumberDataPoint> {
            (0..20)
                .map(|p| NumberDataPoint {
                    attributes: vec![
                        kv("http.method", "GET"),
                        kv("http.route", &format!("/r/{p}")),
                        kv("m", &m.to_string()),
                    ],
                    time_unix_nano: t,
                    value: Some(Value::AsDouble(p as f64)),
                    ..Default::default()
                })
                .collect()
        };
        for m in 0..10 {
            metrics.push(Metric {
                name: format!("system.gauge.{m}"),
                unit: "By".into(),
                data: Some(Data::Gauge(Gauge {
                    data_points: number_points(m),
                })),
                ..Default::default()
            });
            metrics.push(Metric {
                name: format!("http.server.requests.{m}"),
                unit: "{request}".into(),
                data: Some(Data::Sum(Sum {
                    data_points: number_points(m),
                    aggregation_temporality: AggregationTemporality::Cumulative as i32,
                    is_monotonic: true,
                })),
                ..Default::default()
            });
            points += 40;
        }
        for m in 0..5 {
            metrics.push(Metric {
                name: format!("http.server.duration.{m}"),
                unit: "ms".into(),
                data: Some(Data::Histogram(Histogram {
                    aggregation_temporality: AggregationTemporality::Cumulative as i32,
                    data_points: (0..20)
                        .map(|p| HistogramDataPoint {
                            attributes: vec![kv("http.route", &format!("/r/{p}"))],
                            time_unix_nano: t,
                            count: 100,
                            sum: Some(1234.5),
                            bucket_counts: vec![10; 16],
                            explicit_bounds: vec![
                                0.0, 5.0, 10.0, 25.0, 50.0, 75.0, 100.0, 250.0, 500.0, 750.0,
                                1000.0, 2500.0, 5000.0, 7500.0, 10000.0,
                            ],
                            ..Default::default()
                        })
                        .collect(),
                })),
                ..Default::default()
            });
            points += 20;
        }
        rms.push(ResourceMetrics {
            resource: Some(Resource {
                attributes: vec![
                    kv("service.name", &format!("svc-{r}")),
                    kv("service.instance.id", "i-1"),
                    kv("host.name", "h"),
                ],
                ..Default::default()
            }),
            scope_metrics: vec![ScopeMetrics {
                metrics,
                ..Default::default()
            }],
            ..Default::default()
        });
    }
    (
        ExportMetricsServiceRequest {
            resource_metrics: rms,
        },
        points,
    )
}

fn bench(c: &mut Criterion) {
    let (req, points) = request();
    let settings = Settings {
        target_info: true,
        external_labels: vec![("cluster".into(), "c1".into())],
        ..Settings::default()
    };
    let mut g = c.benchmark_group("prometheus_remote_write");
    g.throughput(Throughput::Elements(points as u64));
    g.bench_function("translate", |b| b.iter(|| translate(&req, &settings)));
    g.bench_function("translate_batch_encode_compress", |b| {
        b.iter(|| {
            let t = translate(&req, &settings);
            let (requests, _) = remote::batch(t.series, t.metadata, 3_000_000);
            requests
                .iter()
                .map(|r| remote::encode_compressed(r).len())
                .sum::<usize>()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
