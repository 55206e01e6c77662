//! Golden tests of the translation: every event is checked against the EMF specification
//! rules (`spec::validate`) and compared with `testdata/<name>.golden` (one `# group stream`
//! line, then the EMF JSON, per event). Run with `AWSEMF_BLESS=1` to rewrite the files after an
//! intended change, and review the diff.

use std::path::PathBuf;
use std::time::Instant;

use pdata::ExportMetricsServiceRequest;
use pdata::proto::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use pdata::proto::metrics::v1::{
    AggregationTemporality, ExponentialHistogram, ExponentialHistogramDataPoint, Gauge, Histogram,
    HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum, Summary,
    SummaryDataPoint, exponential_histogram_data_point::Buckets, metric::Data, number_data_point,
    summary_data_point::ValueAtQuantile,
};
use pdata::proto::resource::v1::Resource;

use super::config::AwsEmfConfig;
use super::spec;
use super::translate::{EmfEvent, Rules, Translation, Translator};

/// 2020-07-30T23:18:18.037Z, upstream's test timestamp.
const TS_MS: u64 = 1_596_151_098_037;
/// "Now" for points without a timestamp.
const NOW_MS: i64 = 1_700_000_000_000;

fn kv(k: &str, v: &str) -> KeyValue {
    KeyValue {
        key: k.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(v.into())),
        }),
    }
}

fn attrs(pairs: &[(&str, &str)]) -> Vec<KeyValue> {
    pairs.iter().map(|(k, v)| kv(k, v)).collect()
}

fn point(labels: &[(&str, &str)], value: f64) -> NumberDataPoint {
    NumberDataPoint {
        attributes: attrs(labels),
        time_unix_nano: TS_MS * 1_000_000,
        value: Some(number_data_point::Value::AsDouble(value)),
        ..Default::default()
    }
}

fn metric(name: &str, unit: &str, data: Data) -> Metric {
    Metric {
        name: name.into(),
        unit: unit.into(),
        data: Some(data),
        ..Default::default()
    }
}

fn gauge(name: &str, unit: &str, points: Vec<NumberDataPoint>) -> Metric {
    metric(
        name,
        unit,
        Data::Gauge(Gauge {
            data_points: points,
        }),
    )
}

fn sum(name: &str, cumulative: bool, points: Vec<NumberDataPoint>) -> Metric {
    let temporality = if cumulative {
        AggregationTemporality::Cumulative
    } else {
        AggregationTemporality::Delta
    };
    metric(
        name,
        "1",
        Data::Sum(Sum {
            data_points: points,
            aggregation_temporality: temporality as i32,
            is_monotonic: true,
        }),
    )
}

fn request(
    resource: &[(&str, &str)],
    scope: &str,
    metrics: Vec<Metric>,
) -> ExportMetricsServiceRequest {
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(Resource {
                attributes: attrs(resource),
                ..Default::default()
            }),
            scope_metrics: vec![ScopeMetrics {
                scope: Some(InstrumentationScope {
                    name: scope.into(),
                    ..Default::default()
                }),
                metrics,
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    }
}

fn config(yaml: &str) -> AwsEmfConfig {
    let node = confmap::parse_yaml(yaml)
        .expect("yaml")
        .unwrap_or_else(confmap::Node::empty_map);
    component::config::decode_typed::<AwsEmfConfig>(Some(&node)).expect("valid config")
}

fn translator(yaml: &str) -> Translator {
    let c = config(yaml);
    Translator::new(
        Rules::new(&c, "otel-stream-test".into()).expect("rules"),
        c.retain_initial_value_of_delta_metric,
    )
}

/// Translates and checks every event against the EMF rules.
fn run(t: &Translator, req: &ExportMetricsServiceRequest, now: Instant) -> Translation {
    let out = t.translate_at(req, NOW_MS, now);
    for e in &out.events {
        if let Err(err) = spec::validate(&e.message) {
            panic!("invalid EMF ({err}):\n{}", e.message);
        }
    }
    out
}

fn render(events: &[EmfEvent]) -> String {
    events
        .iter()
        .map(|e| {
            format!(
                "# {} {} {}\n{}\n",
                e.log_group, e.log_stream, e.timestamp_ms, e.message
            )
        })
        .collect()
}

fn golden(name: &str, events: &[EmfEvent]) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("src/awsemf/testdata")
        .join(format!("{name}.golden"));
    let got = render(events);
    if std::env::var_os("AWSEMF_BLESS").is_some() {
        std::fs::write(&path, &got).expect("write golden");
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (AWSEMF_BLESS=1 writes it)", path.display()));
    assert_eq!(got, want, "{name}: output differs from {}", path.display());
}

fn json(e: &EmfEvent) -> serde_json::Value {
    serde_json::from_str(&e.message).expect("json")
}

fn directive_metrics(e: &EmfEvent) -> Vec<Vec<String>> {
    json(e)["_aws"]["CloudWatchMetrics"]
        .as_array()
        .expect("directives")
        .iter()
        .map(|d| {
            d["Metrics"]
                .as_array()
                .expect("metrics")
                .iter()
                .map(|m| m["Name"].as_str().expect("name").to_string())
                .collect()
        })
        .collect()
}

fn labelled_gauge() -> ExportMetricsServiceRequest {
    request(
        &[("service.name", "checkout")],
        "cloudwatch-otel",
        vec![
            gauge(
                "latency",
                "ms",
                vec![point(&[("route", "/a"), ("method", "GET")], 12.5)],
            ),
            gauge(
                "bytes",
                "By",
                vec![point(&[("route", "/a"), ("method", "GET")], 2048.0)],
            ),
        ],
    )
}

#[test]
fn rollup_zero_and_single() {
    let out = run(&translator(""), &labelled_gauge(), Instant::now());
    golden("rollup_zero_and_single", &out.events);
}

#[test]
fn rollup_single_only() {
    let t = translator("dimension_rollup_option: SingleDimensionRollupOnly");
    golden(
        "rollup_single_only",
        &run(&t, &labelled_gauge(), Instant::now()).events,
    );
}

#[test]
fn rollup_none_and_version_0() {
    let t = translator("dimension_rollup_option: NoDimensionRollup\nversion: \"0\"");
    golden(
        "rollup_none_v0",
        &run(&t, &labelled_gauge(), Instant::now()).events,
    );
}

#[test]
fn version_0_and_1_carry_the_same_data() {
    let req = labelled_gauge();
    let v1 = run(&translator(""), &req, Instant::now()).events;
    let v0 = run(&translator("version: \"0\""), &req, Instant::now()).events;
    let (a, b) = (json(&v1[0]), json(&v0[0]));
    assert_eq!(a["Version"], "1");
    assert_eq!(b["Version"], "0");
    assert_eq!(a["_aws"]["Timestamp"], TS_MS);
    assert_eq!(b["Timestamp"], TS_MS.to_string());
    assert_eq!(a["_aws"]["CloudWatchMetrics"], b["CloudWatchMetrics"]);
    assert!(b.get("_aws").is_none() && a.get("CloudWatchMetrics").is_none());
}

#[test]
fn declarations_choose_dimensions_and_filter_metrics() {
    let t = translator(
        r#"
metric_declarations:
  - dimensions: [[route, method], [route], [missing]]
    metric_name_selectors: ["^latency$"]
  - dimensions: [[method]]
    metric_name_selectors: ["lat", "^bytes"]
    label_matchers:
      - label_names: [route, method]
        regex: "^/a;GET$"
  - dimensions: [[route]]
    metric_name_selectors: [".*"]
    label_matchers:
      - label_names: [route]
        regex: "^/nope$"
"#,
    );
    let mut req = labelled_gauge();
    // Not named by any selector: stays out of the directives, still in the event.
    req.resource_metrics[0].scope_metrics[0].metrics.push(gauge(
        "other",
        "",
        vec![point(&[("route", "/a"), ("method", "GET")], 1.0)],
    ));
    let out = run(&t, &req, Instant::now());
    golden("declarations", &out.events);
    // Labels matched by no declaration: the event is a plain log line.
    let plain = run(
        &t,
        &request(
            &[],
            "",
            vec![gauge("bytes", "", vec![point(&[("route", "/b")], 1.0)])],
        ),
        Instant::now(),
    );
    assert_eq!(plain.events.len(), 1);
    let v = json(&plain.events[0]);
    assert!(v.get("_aws").is_none() && v.get("Version").is_none());
    assert_eq!(v["bytes"], 1.0);
}

#[test]
fn a_25_dimension_declaration_is_kept() {
    let names: Vec<String> = (0..25).map(|i| format!("dim{i:02}")).collect();
    let yaml = format!(
        "metric_declarations:\n  - dimensions: [[{}]]\n    metric_name_selectors: [\"^wide$\"]\ndimension_rollup_option: NoDimensionRollup\n",
        names.join(", ")
    );
    let labels: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "v")).collect();
    let req = request(&[], "", vec![gauge("wide", "", vec![point(&labels, 1.0)])]);
    let out = run(&translator(&yaml), &req, Instant::now());
    assert_eq!(out.events.len(), 1);
    let dims = &json(&out.events[0])["_aws"]["CloudWatchMetrics"][0]["Dimensions"];
    assert_eq!(dims.as_array().map(Vec::len), Some(1));
    assert_eq!(dims[0].as_array().map(Vec::len), Some(25));
}

#[test]
fn a_label_set_over_30_keeps_only_its_rollups() {
    let names: Vec<String> = (0..31).map(|i| format!("l{i:02}")).collect();
    let labels: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "v")).collect();
    let req = request(&[], "", vec![gauge("g", "", vec![point(&labels, 1.0)])]);
    let out = run(&translator(""), &req, Instant::now());
    assert_eq!(out.oversized_dimension_sets, 1);
    let dims = &json(&out.events[0])["_aws"]["CloudWatchMetrics"][0]["Dimensions"];
    // The zero set and one set per label.
    assert_eq!(dims.as_array().map(Vec::len), Some(32));
    // Without a rollup nothing is left: no directive at all, but the values are still logged.
    let none = run(
        &translator("dimension_rollup_option: NoDimensionRollup"),
        &req,
        Instant::now(),
    );
    assert!(json(&none.events[0]).get("_aws").is_none());
}

#[test]
fn groups_over_100_metrics_are_split_into_directives_of_100() {
    let metrics: Vec<Metric> = (0..150)
        .map(|i| {
            gauge(
                &format!("m{i:03}"),
                "Count",
                vec![point(&[("host", "a")], i as f64)],
            )
        })
        .collect();
    let out = run(
        &translator(""),
        &request(&[], "lib", metrics),
        Instant::now(),
    );
    assert_eq!(out.events.len(), 2);
    let sizes: Vec<usize> = out
        .events
        .iter()
        .map(|e| directive_metrics(e).iter().map(Vec::len).max().unwrap_or(0))
        .collect();
    assert_eq!(sizes, [100, 50]);
    // Every metric is defined once, and each event carries the labels and its own values.
    let mut all: Vec<String> = out
        .events
        .iter()
        .flat_map(|e| directive_metrics(e).remove(0))
        .collect();
    all.dedup();
    assert_eq!(all.len(), 150);
    for e in &out.events {
        let v = json(e);
        assert_eq!(v["host"], "a");
        assert_eq!(v["OTelLib"], "lib");
        assert_eq!(
            v.as_object().map(|o| o.len()),
            Some(directive_metrics(e)[0].len() + 4)
        );
    }
    golden("split_150", &out.events);
}

fn number_value(e: &EmfEvent, name: &str) -> Option<f64> {
    json(e)[name].as_f64()
}

#[test]
fn cumulative_sums_become_deltas_across_calls() {
    let t = translator("");
    let now = Instant::now();
    let req = |v: f64| {
        request(
            &[],
            "",
            vec![sum("requests", true, vec![point(&[("k", "v")], v)])],
        )
    };
    // First value: the baseline, nothing emitted.
    assert!(run(&t, &req(10.0), now).events.is_empty());
    let second = run(&t, &req(15.0), now);
    assert_eq!(number_value(&second.events[0], "requests"), Some(5.0));
    // A reset emits the new raw value.
    let reset = run(&t, &req(3.0), now);
    assert_eq!(number_value(&reset.events[0], "requests"), Some(3.0));
    // Delta sums are sent as they are.
    let delta = request(&[], "", vec![sum("d", false, vec![point(&[], 4.0)])]);
    assert_eq!(
        number_value(&run(&t, &delta, now).events[0], "d"),
        Some(4.0)
    );
    // Retained initial value.
    let retain = translator("retain_initial_value_of_delta_metric: true");
    assert_eq!(
        number_value(&run(&retain, &req(10.0), now).events[0], "requests"),
        Some(10.0)
    );
}

fn every_type(cumulative_value: f64, summary_count: u64) -> ExportMetricsServiceRequest {
    let ts = TS_MS * 1_000_000;
    let mut req = request(
        &[("service.name", "svc"), ("service.namespace", "shop")],
        "lib",
        vec![
            gauge("temperature", "Cel", vec![point(&[("core", "0")], 42.5)]),
            sum(
                "requests",
                true,
                vec![point(&[("core", "0")], cumulative_value)],
            ),
            metric(
                "latency",
                "s",
                Data::Histogram(Histogram {
                    data_points: vec![HistogramDataPoint {
                        attributes: attrs(&[("core", "0")]),
                        time_unix_nano: ts,
                        count: 4,
                        sum: Some(270.5),
                        bucket_counts: vec![1, 2, 1],
                        explicit_bounds: vec![5.0, 100.0],
                        min: Some(1.0),
                        max: Some(250.0),
                        ..Default::default()
                    }],
                    aggregation_temporality: AggregationTemporality::Cumulative as i32,
                }),
            ),
            metric(
                "latency.exp",
                "ms",
                Data::ExponentialHistogram(ExponentialHistogram {
                    data_points: vec![ExponentialHistogramDataPoint {
                        attributes: attrs(&[("core", "0")]),
                        time_unix_nano: ts,
                        count: 10,
                        sum: Some(30.0),
                        scale: 0,
                        zero_count: 4,
                        positive: Some(Buckets {
                            offset: 0,
                            bucket_counts: vec![1, 2, 3],
                        }),
                        min: Some(0.0),
                        max: Some(7.0),
                        ..Default::default()
                    }],
                    aggregation_temporality: AggregationTemporality::Delta as i32,
                }),
            ),
            metric(
                "rpc.duration",
                "us",
                Data::Summary(Summary {
                    data_points: vec![SummaryDataPoint {
                        attributes: attrs(&[("core", "0")]),
                        time_unix_nano: ts,
                        count: summary_count,
                        sum: summary_count as f64 * 1.5,
                        quantile_values: vec![
                            ValueAtQuantile {
                                quantile: 0.0,
                                value: 0.5,
                            },
                            ValueAtQuantile {
                                quantile: 0.5,
                                value: 1.25,
                            },
                            ValueAtQuantile {
                                quantile: 1.0,
                                value: 9.0,
                            },
                        ],
                        ..Default::default()
                    }],
                }),
            ),
        ],
    );
    req.resource_metrics[0].scope_metrics[0].metrics.push(gauge(
        "nothing",
        "",
        vec![NumberDataPoint {
            flags: 1,
            ..point(&[("core", "0")], 1.0)
        }],
    ));
    req.resource_metrics[0].scope_metrics[0].metrics.push(gauge(
        "nan",
        "",
        vec![point(&[("core", "0")], f64::NAN)],
    ));
    req
}

#[test]
fn every_point_type() {
    let t = translator("");
    let now = Instant::now();
    let first = run(&t, &every_type(100.0, 10), now);
    assert_eq!(first.dropped.no_recorded_value, 1);
    assert_eq!(first.dropped.not_finite, 1);
    let second = run(&t, &every_type(130.0, 12), now);
    golden("every_type", &second.events);
}

#[test]
fn prometheus_resources_get_prom_metric_type_and_summary_deltas() {
    let t = translator("");
    let now = Instant::now();
    let prom = |count: u64| {
        let mut r = every_type(100.0, count);
        r.resource_metrics[0]
            .resource
            .as_mut()
            .expect("resource")
            .attributes
            .push(kv("receiver", "prometheus"));
        r
    };
    run(&t, &prom(10), now);
    let out = run(&t, &prom(12), now);
    golden("prometheus", &out.events);
    let summary = out
        .events
        .iter()
        .map(json)
        .find(|v| v.get("rpc.duration").is_some())
        .expect("summary event");
    assert_eq!(summary["rpc.duration"]["Count"], 2);
    assert_eq!(summary["rpc.duration"]["Sum"], 3.0);
    assert_eq!(summary["prom_metric_type"], "summary");
}

#[test]
fn detailed_summaries() {
    let t = translator("detailed_metrics: true\ndimension_rollup_option: NoDimensionRollup");
    let req = request(
        &[],
        "",
        vec![metric(
            "rpc.duration",
            "s",
            Data::Summary(Summary {
                data_points: vec![SummaryDataPoint {
                    attributes: attrs(&[("svc", "a")]),
                    time_unix_nano: TS_MS * 1_000_000,
                    count: 3,
                    sum: 4.5,
                    quantile_values: vec![
                        ValueAtQuantile {
                            quantile: 0.5,
                            value: 1.0,
                        },
                        ValueAtQuantile {
                            quantile: 0.99,
                            value: 3.0,
                        },
                    ],
                    ..Default::default()
                }],
            }),
        )],
    );
    golden("detailed_summary", &run(&t, &req, Instant::now()).events);
}

#[test]
fn exponential_histograms_over_100_buckets_are_split() {
    let counts: Vec<u64> = (0..250).map(|i| (i % 3 + 1) as u64).collect();
    let total: u64 = counts.iter().sum();
    let req = request(
        &[],
        "",
        vec![metric(
            "wide.exp",
            "ms",
            Data::ExponentialHistogram(ExponentialHistogram {
                data_points: vec![ExponentialHistogramDataPoint {
                    time_unix_nano: TS_MS * 1_000_000,
                    count: total,
                    sum: Some(1234.0),
                    scale: 3,
                    positive: Some(Buckets {
                        offset: -10,
                        bucket_counts: counts,
                    }),
                    min: Some(0.5),
                    max: Some(1.0e9),
                    ..Default::default()
                }],
                aggregation_temporality: AggregationTemporality::Delta as i32,
            }),
        )],
    );
    let out = run(&translator(""), &req, Instant::now());
    assert_eq!(out.events.len(), 3);
    let parts: Vec<serde_json::Value> = out
        .events
        .iter()
        .map(|e| json(e)["wide.exp"].clone())
        .collect();
    let lens: Vec<usize> = parts
        .iter()
        .map(|p| p["Values"].as_array().map_or(0, Vec::len))
        .collect();
    assert_eq!(lens, [100, 100, 50]);
    let count: u64 = parts.iter().map(|p| p["Count"].as_u64().unwrap_or(0)).sum();
    assert_eq!(count, total);
    assert_eq!(parts[0]["Sum"], 1234.0);
    assert_eq!(parts[1]["Sum"], 0.0);
    assert_eq!(parts[0]["Min"], 0.5);
    assert_eq!(parts[2]["Max"], 1.0e9);
}

#[test]
fn gauge_and_sum_with_the_same_labels_are_two_events() {
    let req = request(
        &[],
        "",
        vec![
            gauge("g", "", vec![point(&[("a", "1")], 1.0)]),
            sum("s", false, vec![point(&[("a", "1")], 2.0)]),
            // A repeated name in one group is dropped.
            gauge("g", "", vec![point(&[("a", "1")], 3.0)]),
        ],
    );
    let out = run(&translator(""), &req, Instant::now());
    assert_eq!(out.events.len(), 2);
    assert_eq!(out.duplicates, 1);
    assert_eq!(number_value(&out.events[0], "g"), Some(1.0));
}

#[test]
fn placeholders_units_resolution_and_json_labels() {
    let t = translator(
        r#"
namespace: ECS/ContainerInsights
log_group_name: "/aws/ecs/containerinsights/{ClusterName}/performance"
log_stream_name: "{TaskId}/{ContainerName}"
parse_json_encoded_attr_values: [Sources]
metric_descriptors:
  - {metric_name: cpu, unit: Percent, overwrite: true}
  - {metric_name: mem, unit: Megabytes}
  - {metric_name: bad, unit: Furlongs}
resource_to_telemetry_conversion: {enabled: true}
"#,
    );
    let mut res_point = point(
        &[
            ("ContainerName", "web"),
            ("Sources", r#"["cadvisor","pod"]"#),
        ],
        1.0,
    );
    res_point
        .attributes
        .push(kv("aws.emf.storage_resolution", "1"));
    let req = request(
        &[("aws.ecs.cluster.name", "prod"), ("aws.ecs.task.id", "t-1")],
        "",
        vec![
            gauge("cpu", "1", vec![res_point.clone()]),
            gauge(
                "mem",
                "",
                vec![point(
                    &[
                        ("ContainerName", "web"),
                        ("Sources", r#"["cadvisor","pod"]"#),
                    ],
                    512.0,
                )],
            ),
            gauge("bad", "Cel", vec![point(&[], 3.0)]),
        ],
    );
    let out = run(&t, &req, Instant::now());
    golden("placeholders_units", &out.events);
    let web = out
        .events
        .iter()
        .find(|e| e.log_stream == "t-1/web")
        .expect("the ContainerName of the point fills the stream");
    assert_eq!(web.log_group, "/aws/ecs/containerinsights/prod/performance");
    // No ContainerName on the `bad` point: the placeholder becomes `undefined`.
    assert!(out.events.iter().any(|e| e.log_stream == "t-1/undefined"));
}

#[test]
fn default_namespace_group_and_points_without_timestamps() {
    let mut p = point(&[], 1.0);
    p.time_unix_nano = 0;
    let out = run(
        &translator(""),
        &request(
            &[("service.name", "api")],
            "",
            vec![gauge("g", "", vec![p])],
        ),
        Instant::now(),
    );
    let e = &out.events[0];
    assert_eq!(e.log_group, "/metrics/api");
    assert_eq!(e.log_stream, "otel-stream-test");
    assert_eq!(e.timestamp_ms, NOW_MS);
    assert_eq!(json(e)["_aws"]["CloudWatchMetrics"][0]["Namespace"], "api");
}

#[test]
fn eks_fargate_kubernetes_label() {
    let t = translator(
        "eks_fargate_container_insights_enabled: true\nparse_json_encoded_attr_values: [kubernetes]\ndimension_rollup_option: NoDimensionRollup",
    );
    let req = request(
        &[],
        "",
        vec![gauge(
            "pod_cpu",
            "",
            vec![point(
                &[
                    ("Type", "Pod"),
                    ("PodName", "web-1"),
                    ("Namespace", "default"),
                    ("app", "web"),
                    ("NodeName", "n1"),
                ],
                0.5,
            )],
        )],
    );
    let out = run(&t, &req, Instant::now());
    let v = json(&out.events[0]);
    assert_eq!(
        v["kubernetes"],
        serde_json::json!({"host": "n1", "labels": {"app": "web"}, "namespace_name": "default", "pod_name": "web-1"})
    );
}

#[test]
fn distinct_metrics_are_counted_once() {
    let c = config("output_destination: stdout");
    let exporter = super::EmfExporter::new(
        "awsemf/distinct-test".into(),
        super::translator(&c).expect("translator"),
        super::sink::Sink::Stdout,
    );
    let read = || {
        telemetry::metrics::global()
            .value(
                "otelcol_exporter_awsemf_distinct_metrics",
                &[("exporter", "awsemf/distinct-test")],
            )
            .unwrap_or(0)
    };
    // 2 metrics × (zero set + 2 single sets + full set) = 8 CloudWatch metrics.
    exporter.translate(&labelled_gauge());
    assert_eq!(read(), 8);
    exporter.translate(&labelled_gauge());
    assert_eq!(read(), 8);
    let mut other = labelled_gauge();
    other.resource_metrics[0].scope_metrics[0].metrics[0].data = Some(Data::Gauge(Gauge {
        data_points: vec![point(&[("route", "/b"), ("method", "GET")], 1.0)],
    }));
    exporter.translate(&other);
    // `latency` with route=/b: the full set and the route set are new; the zero set, the method
    // set and everything of `bytes` are not.
    assert_eq!(read(), 10);
}

#[test]
fn seed_configs_decode_and_validate() {
    let seeds = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/examples/seeds");
    for name in [
        "ecs-sidecar-traces-metrics.yaml",
        "eks-sidecar-prometheus-emf.yaml",
        "ecs-observer-central.yaml",
        "ec2-static-scrape.yaml",
    ] {
        let text = std::fs::read_to_string(seeds.join(name)).expect("seed");
        let root = confmap::parse_yaml(&text).expect("yaml").expect("document");
        let Some(node) = root.get("exporters").and_then(|e| e.get("awsemf")) else {
            continue;
        };
        let c = component::config::decode_typed::<AwsEmfConfig>(Some(node))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        Rules::new(&c, "s".into()).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}
