//! Conversion of hand-built scrape batches: every rule of `reference/prometheus.md` §2.

use std::collections::HashMap;
use std::sync::Arc;

use pdata::proto::common::v1::{KeyValue, any_value};
use pdata::proto::metrics::v1::{
    HistogramDataPoint, Metric, NumberDataPoint, SummaryDataPoint, metric, number_data_point,
};
use prometheus::discovery::LabelSet;
use prometheus::scrape::batch::STALE_NAN_BITS;
use prometheus::scrape::{Exemplar, MetricMetadata, MetricType, Sample, ScrapeBatch, TargetInfo};

use crate::prometheus::convert::{ConvertOptions, Converted, Drops, SCOPE_NAME, convert};

const TS: i64 = 1_700_000_000_123;
const TS_NANOS: u64 = 1_700_000_000_123_000_000;

fn stale() -> f64 {
    f64::from_bits(STALE_NAN_BITS)
}

fn labelset(pairs: &[(&str, &str)]) -> LabelSet {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn target(job: &str, instance: &str, discovered: &[(&str, &str)]) -> Arc<TargetInfo> {
    Arc::new(TargetInfo {
        job: job.into(),
        labels: labelset(&[("job", job), ("instance", instance)]),
        discovered_labels: labelset(discovered),
        url: format!("http://{instance}/metrics"),
    })
}

/// A sample named `name` with the target labels of `job`/`instance` plus `labels`, sorted.
fn sample_of(name: &str, target: &TargetInfo, labels: &[(&str, &str)], value: f64) -> Sample {
    let mut all: Vec<(String, String)> = vec![("__name__".into(), name.into())];
    for (k, v) in &target.labels {
        if !labels.iter().any(|(n, _)| n == k) {
            all.push((k.clone(), v.clone()));
        }
    }
    all.extend(labels.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    all.sort();
    Sample {
        labels: all,
        timestamp_ms: TS,
        value,
        exemplar: None,
    }
}

struct BatchBuilder {
    target: Arc<TargetInfo>,
    samples: Vec<Sample>,
    metadata: HashMap<String, MetricMetadata>,
}

impl BatchBuilder {
    fn new() -> Self {
        BatchBuilder::with_target(target("node", "10.0.0.7:9100", &[("__scheme__", "http")]))
    }

    fn with_target(target: Arc<TargetInfo>) -> Self {
        BatchBuilder {
            target,
            samples: Vec::new(),
            metadata: HashMap::new(),
        }
    }

    fn meta(mut self, family: &str, t: MetricType, help: &str, unit: &str) -> Self {
        self.metadata.insert(
            family.into(),
            MetricMetadata {
                metric_type: t,
                help: help.into(),
                unit: unit.into(),
            },
        );
        self
    }

    fn sample(mut self, name: &str, labels: &[(&str, &str)], value: f64) -> Self {
        let s = sample_of(name, &self.target, labels, value);
        self.samples.push(s);
        self
    }

    fn push(mut self, s: Sample) -> Self {
        self.samples.push(s);
        self
    }

    fn build(self) -> ScrapeBatch {
        ScrapeBatch {
            target: self.target,
            scrape_timestamp_ms: TS,
            samples: self.samples,
            metadata: self.metadata,
        }
    }

    fn convert(self) -> Converted {
        convert(&self.build(), &options())
    }
}

fn options() -> ConvertOptions {
    ConvertOptions {
        trim_metric_suffixes: false,
        scope_version: "9.9.9".into(),
        ignore_created_metric: false,
    }
}

fn attrs(kvs: &[KeyValue]) -> Vec<(String, String)> {
    kvs.iter()
        .map(|kv| {
            let v = match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                Some(any_value::Value::StringValue(s)) => s.clone(),
                other => panic!("non-string attribute {other:?}"),
            };
            (kv.key.clone(), v)
        })
        .collect()
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn metrics(c: &Converted) -> Vec<&Metric> {
    c.request
        .resource_metrics
        .iter()
        .flat_map(|r| &r.scope_metrics)
        .flat_map(|s| &s.metrics)
        .collect()
}

fn metric<'c>(c: &'c Converted, name: &str) -> &'c Metric {
    metrics(c)
        .into_iter()
        .find(|m| m.name == name)
        .unwrap_or_else(|| panic!("no metric {name} in {:?}", names(c)))
}

fn names(c: &Converted) -> Vec<String> {
    metrics(c).iter().map(|m| m.name.clone()).collect()
}

fn gauge_points(m: &Metric) -> &[NumberDataPoint] {
    match &m.data {
        Some(metric::Data::Gauge(g)) => &g.data_points,
        other => panic!("{} is not a gauge: {other:?}", m.name),
    }
}

fn sum(m: &Metric) -> (&[NumberDataPoint], bool) {
    match &m.data {
        Some(metric::Data::Sum(s)) => {
            assert_eq!(s.aggregation_temporality, 2, "cumulative");
            (&s.data_points, s.is_monotonic)
        }
        other => panic!("{} is not a sum: {other:?}", m.name),
    }
}

fn histogram_points(m: &Metric) -> &[HistogramDataPoint] {
    match &m.data {
        Some(metric::Data::Histogram(h)) => {
            assert_eq!(h.aggregation_temporality, 2, "cumulative");
            &h.data_points
        }
        other => panic!("{} is not a histogram: {other:?}", m.name),
    }
}

fn summary_points(m: &Metric) -> &[SummaryDataPoint] {
    match &m.data {
        Some(metric::Data::Summary(s)) => &s.data_points,
        other => panic!("{} is not a summary: {other:?}", m.name),
    }
}

fn value(p: &NumberDataPoint) -> f64 {
    match p.value {
        Some(number_data_point::Value::AsDouble(v)) => v,
        other => panic!("not a double: {other:?}"),
    }
}

fn type_metadata(m: &Metric) -> String {
    let md = attrs(&m.metadata);
    assert_eq!(md.len(), 1);
    assert_eq!(md[0].0, "prometheus.type");
    md[0].1.clone()
}

#[test]
fn resource_scope_and_point_attributes() {
    let c = BatchBuilder::new()
        .meta("temp", MetricType::Gauge, "Temperature", "")
        .sample("temp", &[("room", "kitchen"), ("empty", "")], 21.5)
        .convert();
    assert_eq!(c.request.resource_metrics.len(), 1);
    let rm = &c.request.resource_metrics[0];
    assert_eq!(
        attrs(&rm.resource.as_ref().unwrap().attributes),
        pairs(&[
            ("service.name", "node"),
            ("server.address", "10.0.0.7"),
            ("service.instance.id", "10.0.0.7:9100"),
            ("server.port", "9100"),
            ("url.scheme", "http"),
        ])
    );
    assert_eq!(rm.scope_metrics.len(), 1);
    let scope = rm.scope_metrics[0].scope.as_ref().unwrap();
    assert_eq!(scope.name, SCOPE_NAME);
    assert_eq!(scope.version, "9.9.9");
    let m = metric(&c, "temp");
    assert_eq!(m.description, "Temperature");
    assert_eq!(type_metadata(m), "gauge");
    let p = &gauge_points(m)[0];
    // job, instance and __name__ are not point attributes; empty values are omitted.
    assert_eq!(attrs(&p.attributes), pairs(&[("room", "kitchen")]));
    assert_eq!(p.time_unix_nano, TS_NANOS);
    assert_eq!(p.start_time_unix_nano, 0, "gauges have no start time");
    assert_eq!(value(p), 21.5);
    assert_eq!(c.points, 1);
    assert_eq!(c.drops, Drops::default());
}

#[test]
fn loopback_targets_get_no_server_address() {
    for (instance, address) in [
        ("127.0.0.1:9100", None),
        ("localhost:9100", None),
        ("[::1]:9100", None),
        ("0.0.0.0:9100", None),
        ("[::ffff:127.0.0.1]:9100", None),
        ("node-1.example:9100", Some("node-1.example")),
        ("[2001:db8::1]:9100", Some("2001:db8::1")),
    ] {
        let c = BatchBuilder::with_target(target("j", instance, &[("__scheme__", "https")]))
            .sample("up", &[], 1.0)
            .convert();
        let a = attrs(
            &c.request.resource_metrics[0]
                .resource
                .as_ref()
                .unwrap()
                .attributes,
        );
        let got = a
            .iter()
            .find(|(k, _)| k == "server.address")
            .map(|(_, v)| v.as_str());
        assert_eq!(got, address, "{instance}");
        assert!(
            a.contains(&("server.port".into(), "9100".into())),
            "{instance}"
        );
        assert!(a.contains(&("url.scheme".into(), "https".into())));
    }
    // No port: upstream still sets an empty server.port.
    let c = BatchBuilder::with_target(target("j", "host-without-port", &[]))
        .sample("up", &[], 1.0)
        .convert();
    let a = attrs(
        &c.request.resource_metrics[0]
            .resource
            .as_ref()
            .unwrap()
            .attributes,
    );
    assert!(a.contains(&("server.port".into(), String::new())));
    assert!(a.contains(&("server.address".into(), "host-without-port".into())));
}

#[test]
fn kubernetes_discovery_labels_become_resource_attributes() {
    let t = target(
        "pods",
        "10.1.2.3:8080",
        &[
            ("__scheme__", "http"),
            ("__meta_kubernetes_pod_name", "web-5d9c"),
            ("__meta_kubernetes_pod_uid", "uid-1"),
            ("__meta_kubernetes_pod_container_name", "app"),
            ("__meta_kubernetes_namespace", "prod"),
            ("__meta_kubernetes_pod_node_name", "node-a"),
            ("__meta_kubernetes_pod_controller_kind", "ReplicaSet"),
            ("__meta_kubernetes_pod_controller_name", "web-5d9c7"),
        ],
    );
    let c = BatchBuilder::with_target(t)
        .sample("up", &[], 1.0)
        .convert();
    let a = attrs(
        &c.request.resource_metrics[0]
            .resource
            .as_ref()
            .unwrap()
            .attributes,
    );
    for kv in [
        ("k8s.pod.name", "web-5d9c"),
        ("k8s.pod.uid", "uid-1"),
        ("k8s.container.name", "app"),
        ("k8s.namespace.name", "prod"),
        ("k8s.node.name", "node-a"),
        ("k8s.replicaset.name", "web-5d9c7"),
    ] {
        assert!(a.contains(&(kv.0.into(), kv.1.into())), "{kv:?} in {a:?}");
    }
    for (kind, key) in [
        ("DaemonSet", "k8s.daemonset.name"),
        ("StatefulSet", "k8s.statefulset.name"),
        ("Job", "k8s.job.name"),
        ("CronJob", "k8s.cronjob.name"),
    ] {
        let t = target(
            "pods",
            "10.1.2.3:8080",
            &[
                ("__meta_kubernetes_pod_controller_kind", kind),
                ("__meta_kubernetes_pod_controller_name", "ctl"),
                ("__meta_kubernetes_endpoint_node_name", "node-b"),
            ],
        );
        let c = BatchBuilder::with_target(t)
            .sample("up", &[], 1.0)
            .convert();
        let a = attrs(
            &c.request.resource_metrics[0]
                .resource
                .as_ref()
                .unwrap()
                .attributes,
        );
        assert!(a.contains(&(key.into(), "ctl".into())), "{kind}");
        assert!(a.contains(&("k8s.node.name".into(), "node-b".into())));
    }
}

#[test]
fn target_info_becomes_resource_attributes_and_no_metric() {
    let c = BatchBuilder::new()
        .meta("target_info", MetricType::Gauge, "Target metadata", "")
        .sample(
            "target_info",
            &[
                ("deployment_environment", "prod"),
                ("service_version", "1.2"),
            ],
            1.0,
        )
        .sample("up", &[], 1.0)
        .convert();
    assert_eq!(names(&c), ["up"]);
    let a = attrs(
        &c.request.resource_metrics[0]
            .resource
            .as_ref()
            .unwrap()
            .attributes,
    );
    assert!(a.contains(&("deployment_environment".into(), "prod".into())));
    assert!(a.contains(&("service_version".into(), "1.2".into())));
    assert!(
        !a.iter()
            .any(|(k, _)| k == "__name__" || k == "job" || k == "instance")
    );
}

#[test]
fn one_resource_per_job_and_instance() {
    // A federation scrape with honor_labels: the series' own job/instance pick the resource.
    let t = target("federate", "10.0.0.9:9090", &[("__scheme__", "http")]);
    let c = BatchBuilder::with_target(t.clone())
        .sample("a", &[("job", "api"), ("instance", "10.0.0.1:80")], 1.0)
        .sample("a", &[("job", "api"), ("instance", "10.0.0.2:80")], 2.0)
        .sample("b", &[("job", "api"), ("instance", "10.0.0.1:80")], 3.0)
        .sample("up", &[], 1.0)
        .convert();
    let resources: Vec<Vec<(String, String)>> = c
        .request
        .resource_metrics
        .iter()
        .map(|r| attrs(&r.resource.as_ref().unwrap().attributes)[..3].to_vec())
        .collect();
    assert_eq!(resources.len(), 3);
    assert_eq!(
        resources[0][2],
        ("service.instance.id".into(), "10.0.0.1:80".into())
    );
    assert_eq!(
        resources[1][2],
        ("service.instance.id".into(), "10.0.0.2:80".into())
    );
    assert_eq!(resources[2][0], ("service.name".into(), "federate".into()));
    let first: Vec<&str> = c.request.resource_metrics[0].scope_metrics[0]
        .metrics
        .iter()
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(first, ["a", "b"]);
}

#[test]
fn otel_scope_labels_select_the_scope() {
    let c = BatchBuilder::new()
        .meta("requests_total", MetricType::Counter, "", "")
        .sample(
            "requests_total",
            &[
                ("otel_scope_name", "my.lib"),
                ("otel_scope_version", "1.0"),
                (
                    "otel_scope_schema_url",
                    "https://opentelemetry.io/schemas/1.21.0",
                ),
                ("otel_scope_owner", "team-a"),
                ("path", "/"),
            ],
            5.0,
        )
        .sample(
            "otel_scope_info",
            &[
                ("otel_scope_name", "my.lib"),
                ("otel_scope_version", "1.0"),
                (
                    "otel_scope_schema_url",
                    "https://opentelemetry.io/schemas/1.21.0",
                ),
                ("owner", "from-info"),
                ("tier", "gold"),
            ],
            1.0,
        )
        .sample("up", &[], 1.0)
        .convert();
    let rm = &c.request.resource_metrics[0];
    assert_eq!(rm.scope_metrics.len(), 2);
    let lib = &rm.scope_metrics[0];
    let scope = lib.scope.as_ref().unwrap();
    assert_eq!(
        (scope.name.as_str(), scope.version.as_str()),
        ("my.lib", "1.0")
    );
    assert_eq!(lib.schema_url, "https://opentelemetry.io/schemas/1.21.0");
    // otel_scope_info adds attributes; the metric's own otel_scope_* labels win.
    assert_eq!(
        attrs(&scope.attributes),
        pairs(&[("owner", "team-a"), ("tier", "gold")])
    );
    let (points, monotonic) = sum(&lib.metrics[0]);
    assert!(monotonic);
    assert_eq!(attrs(&points[0].attributes), pairs(&[("path", "/")]));
    let default = rm.scope_metrics[1].scope.as_ref().unwrap();
    assert_eq!(default.name, SCOPE_NAME);
    assert_eq!(rm.scope_metrics[1].metrics[0].name, "up");
    assert!(!names(&c).contains(&"otel_scope_info".to_string()));
}

#[test]
fn counter_is_a_monotonic_cumulative_sum_with_exemplars() {
    let t = target("node", "10.0.0.7:9100", &[]);
    let mut s = sample_of("http_requests_total", &t, &[("code", "200")], 1027.0);
    s.exemplar = Some(Exemplar {
        labels: vec![
            ("Trace_ID".into(), "4bf92f3577b34da6a3ce929d0e0e4736".into()),
            ("span_id".into(), "00f067aa0ba902b7".into()),
            ("user".into(), "alice".into()),
        ],
        value: 0.5,
        timestamp_ms: Some(1_700_000_000_000),
    });
    let mut bad = sample_of("http_requests_total", &t, &[("code", "500")], 3.0);
    bad.exemplar = Some(Exemplar {
        labels: vec![
            ("trace_id".into(), "not-hex".into()),
            ("span_id".into(), "abcd".into()),
        ],
        value: 1.0,
        timestamp_ms: None,
    });
    let c = BatchBuilder::with_target(t)
        .meta("http_requests_total", MetricType::Counter, "Requests.", "")
        .push(s)
        .push(bad)
        .convert();
    let m = metric(&c, "http_requests_total");
    assert_eq!(type_metadata(m), "counter");
    let (points, monotonic) = sum(m);
    assert!(monotonic);
    assert_eq!(points.len(), 2);
    assert_eq!(value(&points[0]), 1027.0);
    assert_eq!(
        points[0].start_time_unix_nano, 0,
        "no _created, no invented start"
    );
    let e = &points[0].exemplars[0];
    assert_eq!(hex(&e.trace_id), "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(hex(&e.span_id), "00f067aa0ba902b7");
    assert_eq!(attrs(&e.filtered_attributes), pairs(&[("user", "alice")]));
    assert_eq!(e.time_unix_nano, 1_700_000_000_000_000_000);
    let e = &points[1].exemplars[0];
    assert!(e.trace_id.is_empty());
    assert_eq!(
        attrs(&e.filtered_attributes),
        pairs(&[("trace_id", "not-hex")])
    );
    // A short span id is right-aligned.
    assert_eq!(hex(&e.span_id), "000000000000abcd");
    assert_eq!(e.time_unix_nano, 0);
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn created_sets_the_start_time() {
    // OpenMetrics: family `req` exposes `req_total` and `req_created`.
    let c = BatchBuilder::new()
        .meta("req", MetricType::Counter, "Requests", "")
        .sample("req_total", &[("path", "/a")], 10.0)
        .sample("req_created", &[("path", "/a")], 1_699_999_000.25)
        .meta("lat", MetricType::Histogram, "", "seconds")
        .sample("lat_bucket", &[("le", "1")], 1.0)
        .sample("lat_bucket", &[("le", "+Inf")], 2.0)
        .sample("lat_count", &[], 2.0)
        .sample("lat_sum", &[], 1.5)
        .sample("lat_created", &[], 1_699_999_500.0)
        .meta("rpc", MetricType::Summary, "", "")
        .sample("rpc", &[("quantile", "0.5")], 0.1)
        .sample("rpc_count", &[], 4.0)
        .sample("rpc_sum", &[], 0.4)
        .sample("rpc_created", &[], 1_699_999_600.0)
        .convert();
    assert_eq!(names(&c), ["req_total", "lat", "rpc"]);
    let (points, _) = sum(metric(&c, "req_total"));
    assert_eq!(points.len(), 1, "_created is not a point of its own");
    assert_eq!(points[0].start_time_unix_nano, 1_699_999_000_250_000_000);
    assert_eq!(value(&points[0]), 10.0);
    let h = &histogram_points(metric(&c, "lat"))[0];
    assert_eq!(h.start_time_unix_nano, 1_699_999_500_000_000_000);
    assert_eq!(metric(&c, "lat").unit, "s");
    let s = &summary_points(metric(&c, "rpc"))[0];
    assert_eq!(s.start_time_unix_nano, 1_699_999_600_000_000_000);
}

#[test]
fn created_gives_no_start_when_use_created_metric_is_off() {
    // Gate receiver.prometheusreceiver.UseCreatedMetric off: `_created` is still part of its
    // family (no point of its own), but the start time stays unset.
    let batch = BatchBuilder::new()
        .meta("req", MetricType::Counter, "Requests", "")
        .sample("req_total", &[("path", "/a")], 10.0)
        .sample("req_created", &[("path", "/a")], 1_699_999_000.25)
        .meta("lat", MetricType::Histogram, "", "seconds")
        .sample("lat_bucket", &[("le", "+Inf")], 2.0)
        .sample("lat_count", &[], 2.0)
        .sample("lat_created", &[], 1_699_999_500.0)
        .build();
    let c = convert(
        &batch,
        &ConvertOptions {
            ignore_created_metric: true,
            ..options()
        },
    );
    assert_eq!(names(&c), ["req_total", "lat"]);
    let (points, _) = sum(metric(&c, "req_total"));
    assert_eq!(points.len(), 1);
    assert_eq!(points[0].start_time_unix_nano, 0);
    assert_eq!(value(&points[0]), 10.0);
    assert_eq!(
        histogram_points(metric(&c, "lat"))[0].start_time_unix_nano,
        0
    );
    assert_eq!(c.drops.total(), 0, "a consumed _created is not a drop");
}

#[test]
fn text_format_created_gauge_stays_a_gauge() {
    // client_python in text 0.0.4 exposes `x_created` as its own gauge family.
    let c = BatchBuilder::new()
        .meta("x_total", MetricType::Counter, "", "")
        .meta("x_created", MetricType::Gauge, "", "")
        .sample("x_total", &[], 3.0)
        .sample("x_created", &[], 1_699_999_000.0)
        .convert();
    assert_eq!(names(&c), ["x_total", "x_created"]);
    assert_eq!(sum(metric(&c, "x_total")).0[0].start_time_unix_nano, 0);
}

#[test]
fn gauge_unknown_and_untyped_are_gauges() {
    let c = BatchBuilder::new()
        .meta("g", MetricType::Gauge, "", "")
        .meta("u", MetricType::Unknown, "", "")
        .sample("g", &[], 1.0)
        .sample("u", &[], 2.0)
        .sample("no_metadata", &[], 3.0)
        .sample("nan_is_a_value", &[], f64::NAN)
        .convert();
    assert_eq!(type_metadata(metric(&c, "g")), "gauge");
    assert_eq!(type_metadata(metric(&c, "u")), "unknown");
    assert_eq!(type_metadata(metric(&c, "no_metadata")), "unknown");
    assert_eq!(value(&gauge_points(metric(&c, "no_metadata"))[0]), 3.0);
    let p = &gauge_points(metric(&c, "nan_is_a_value"))[0];
    assert!(value(p).is_nan() && !prometheus::scrape::batch::is_stale_nan(value(p)));
    assert_eq!(p.flags, 0);
}

#[test]
fn histogram_buckets_become_explicit_bounds() {
    let c = BatchBuilder::new()
        .meta(
            "http_duration_seconds",
            MetricType::Histogram,
            "Latency.",
            "",
        )
        // Out of order on purpose: buckets are sorted by `le`.
        .sample(
            "http_duration_seconds_bucket",
            &[("method", "GET"), ("le", "0.5")],
            7.0,
        )
        .sample(
            "http_duration_seconds_bucket",
            &[("method", "GET"), ("le", "0.1")],
            3.0,
        )
        .sample(
            "http_duration_seconds_bucket",
            &[("method", "GET"), ("le", "+Inf")],
            9.0,
        )
        .sample("http_duration_seconds_sum", &[("method", "GET")], 2.25)
        .sample("http_duration_seconds_count", &[("method", "GET")], 9.0)
        // Without _sum: still a point, with no sum.
        .sample(
            "http_duration_seconds_bucket",
            &[("method", "PUT"), ("le", "0.1")],
            1.0,
        )
        .sample(
            "http_duration_seconds_bucket",
            &[("method", "PUT"), ("le", "+Inf")],
            1.0,
        )
        .sample("http_duration_seconds_count", &[("method", "PUT")], 1.0)
        .convert();
    assert_eq!(names(&c), ["http_duration_seconds"]);
    let m = metric(&c, "http_duration_seconds");
    assert_eq!(type_metadata(m), "histogram");
    let points = histogram_points(m);
    assert_eq!(points.len(), 2);
    let get = &points[0];
    assert_eq!(attrs(&get.attributes), pairs(&[("method", "GET")]));
    assert_eq!(get.explicit_bounds, [0.1, 0.5]);
    assert_eq!(get.bucket_counts, [3, 4, 2]);
    assert_eq!(get.count, 9);
    assert_eq!(get.sum, Some(2.25));
    assert_eq!(get.time_unix_nano, TS_NANOS);
    assert_eq!(get.flags, 0);
    let put = &points[1];
    assert_eq!(put.sum, None);
    assert_eq!(put.bucket_counts, [1, 0]);
    assert_eq!(c.points, 2);
}

#[test]
fn incomplete_histograms_are_dropped_and_counted() {
    let c = BatchBuilder::new()
        .meta("h", MetricType::Histogram, "", "")
        // No +Inf bucket.
        .sample("h_bucket", &[("a", "1"), ("le", "1")], 1.0)
        .sample("h_count", &[("a", "1")], 1.0)
        // No _count.
        .sample("h_bucket", &[("a", "2"), ("le", "+Inf")], 1.0)
        .sample("h_sum", &[("a", "2")], 1.0)
        // No bucket at all.
        .sample("h_count", &[("a", "3")], 1.0)
        // No `le`.
        .sample("h_bucket", &[("a", "4")], 1.0)
        .sample("up", &[], 1.0)
        .convert();
    assert_eq!(names(&c), ["up"]);
    assert_eq!(c.drops.incomplete_points, 5);
    assert_eq!(c.drops.bad_boundary, 1);
    assert_eq!(c.drops.total(), 6);
}

#[test]
fn summary_quantiles_sum_and_count() {
    let c = BatchBuilder::new()
        .meta("rpc_seconds", MetricType::Summary, "RPC latency", "")
        .sample("rpc_seconds", &[("quantile", "0.99")], 0.9)
        .sample("rpc_seconds", &[("quantile", "0.5")], 0.2)
        .sample("rpc_seconds_sum", &[], 12.5)
        .sample("rpc_seconds_count", &[], 40.0)
        .meta("nosum", MetricType::Summary, "", "")
        .sample("nosum_count", &[], 2.0)
        .meta("nocount", MetricType::Summary, "", "")
        .sample("nocount", &[("quantile", "0.5")], 1.0)
        .sample("nocount_sum", &[], 1.0)
        .convert();
    assert_eq!(names(&c), ["rpc_seconds", "nosum"]);
    let m = metric(&c, "rpc_seconds");
    assert_eq!(type_metadata(m), "summary");
    let p = &summary_points(m)[0];
    let q: Vec<(f64, f64)> = p
        .quantile_values
        .iter()
        .map(|q| (q.quantile, q.value))
        .collect();
    assert_eq!(q, [(0.5, 0.2), (0.99, 0.9)]);
    assert_eq!((p.sum, p.count), (12.5, 40));
    assert!(p.attributes.is_empty(), "quantile is not an attribute");
    let p = &summary_points(metric(&c, "nosum"))[0];
    assert_eq!((p.sum, p.count), (0.0, 2));
    assert_eq!(c.drops.incomplete_points, 2);
}

#[test]
fn info_and_stateset_are_non_monotonic_sums() {
    let c = BatchBuilder::new()
        .meta("build", MetricType::Info, "Build", "")
        .sample("build_info", &[("version", "1.2.3")], 1.0)
        .meta("feature", MetricType::StateSet, "", "")
        .sample("feature", &[("feature", "a")], 1.0)
        .sample("feature", &[("feature", "b")], 0.0)
        .convert();
    assert_eq!(names(&c), ["build", "feature"]);
    let (points, monotonic) = sum(metric(&c, "build"));
    assert!(!monotonic);
    assert_eq!(type_metadata(metric(&c, "build")), "info");
    assert_eq!(attrs(&points[0].attributes), pairs(&[("version", "1.2.3")]));
    let (points, monotonic) = sum(metric(&c, "feature"));
    assert!(!monotonic);
    assert_eq!(points.len(), 2);
    assert_eq!(value(&points[1]), 0.0);
}

#[test]
fn gauge_histograms_are_dropped_and_counted() {
    let c = BatchBuilder::new()
        .meta("queue", MetricType::GaugeHistogram, "", "")
        .sample("queue_bucket", &[("le", "1")], 1.0)
        .sample("queue_bucket", &[("le", "+Inf")], 2.0)
        .sample("queue_gcount", &[], 2.0)
        .sample("queue_gsum", &[], 1.5)
        .sample("up", &[], 1.0)
        .convert();
    assert_eq!(names(&c), ["up"]);
    assert_eq!(c.drops.gauge_histogram, 4);
}

#[test]
fn staleness_markers_become_no_recorded_value_points() {
    let c = BatchBuilder::new()
        .meta("g", MetricType::Gauge, "", "")
        .sample("g", &[], stale())
        .meta("c_total", MetricType::Counter, "", "")
        .sample("c_total", &[], stale())
        .meta("h", MetricType::Histogram, "", "")
        .sample("h_bucket", &[("le", "1")], stale())
        .sample("h_bucket", &[("le", "+Inf")], stale())
        .sample("h_sum", &[], stale())
        .sample("h_count", &[], stale())
        .meta("s", MetricType::Summary, "", "")
        .sample("s", &[("quantile", "0.5")], stale())
        .sample("s_sum", &[], stale())
        .sample("s_count", &[], stale())
        .sample("up", &[], stale())
        .convert();
    for name in ["g", "up"] {
        let p = &gauge_points(metric(&c, name))[0];
        assert_eq!(p.flags, 1, "{name}");
        assert_eq!(p.value, None, "{name}: no value");
    }
    let p = &sum(metric(&c, "c_total")).0[0];
    assert_eq!((p.flags, p.value), (1, None));
    let h = &histogram_points(metric(&c, "h"))[0];
    assert_eq!(h.flags, 1);
    assert_eq!((h.count, h.sum), (0, None));
    assert_eq!(h.explicit_bounds, [1.0]);
    assert_eq!(h.bucket_counts, [0, 0]);
    let s = &summary_points(metric(&c, "s"))[0];
    assert_eq!(s.flags, 1);
    assert_eq!((s.count, s.sum), (0, 0.0));
    assert_eq!(s.quantile_values[0].quantile, 0.5);
    assert_eq!(s.quantile_values[0].value, 0.0);
}

#[test]
fn synthetic_series_have_fixed_metadata() {
    let c = BatchBuilder::new()
        .sample("up", &[], 1.0)
        .sample("scrape_duration_seconds", &[], 0.012)
        .sample("scrape_samples_scraped", &[], 507.0)
        .sample("scrape_samples_post_metric_relabeling", &[], 507.0)
        .sample("scrape_series_added", &[], 2.0)
        .convert();
    let up = metric(&c, "up");
    assert_eq!(up.description, "The scraping was successful");
    assert_eq!(type_metadata(up), "gauge");
    let d = metric(&c, "scrape_duration_seconds");
    assert_eq!(d.unit, "s");
    assert_eq!(d.description, "Duration of the scrape");
    assert_eq!(
        metric(&c, "scrape_samples_scraped").description,
        "The number of samples the target exposed"
    );
    assert_eq!(
        metric(&c, "scrape_series_added").description,
        "The approximate number of new series in this scrape"
    );
    assert_eq!(
        metric(&c, "scrape_samples_post_metric_relabeling").description,
        "The number of samples remaining after metric relabeling was applied"
    );
    assert_eq!(c.points, 5);
    assert_eq!(c.failed_scrapes, 0);
    let failed = BatchBuilder::new().sample("up", &[], 0.0).convert();
    assert_eq!(failed.failed_scrapes, 1);
}

#[test]
fn duplicate_series_last_value_wins() {
    // Prometheus' TSDB would keep the first; upstream's transaction overwrites (reference §2.6).
    let c = BatchBuilder::new()
        .meta("dup", MetricType::Gauge, "", "")
        .sample("dup", &[("a", "1")], 1.0)
        .sample("dup", &[("a", "1")], 2.0)
        .convert();
    let points = gauge_points(metric(&c, "dup"));
    assert_eq!(points.len(), 1);
    assert_eq!(value(&points[0]), 2.0);
}

#[test]
fn invalid_samples_are_dropped_and_counted() {
    let t = target("node", "10.0.0.7:9100", &[]);
    let mut dup_names = sample_of("x", &t, &[("a", "1")], 1.0);
    dup_names.labels.insert(1, ("a".into(), "2".into()));
    dup_names.labels.sort();
    let no_name = Sample {
        labels: vec![("instance".into(), "i".into()), ("job".into(), "j".into())],
        timestamp_ms: TS,
        value: 1.0,
        exemplar: None,
    };
    let mut other_ts = sample_of("h_count", &t, &[], 1.0);
    other_ts.timestamp_ms = TS + 1;
    let no_job = ScrapeBatch {
        target: Arc::new(TargetInfo {
            job: "j".into(),
            labels: LabelSet::new(),
            discovered_labels: LabelSet::new(),
            url: "http://x/metrics".into(),
        }),
        scrape_timestamp_ms: TS,
        samples: vec![Sample {
            labels: vec![("__name__".into(), "x".into())],
            timestamp_ms: TS,
            value: 1.0,
            exemplar: None,
        }],
        metadata: HashMap::new(),
    };
    let c = BatchBuilder::with_target(t)
        .meta("h", MetricType::Histogram, "", "")
        .push(dup_names)
        .push(no_name)
        .sample("h_bucket", &[("le", "+Inf")], 1.0)
        .push(other_ts)
        .sample("h_bucket", &[("le", "x")], 1.0)
        .convert();
    assert_eq!(c.drops.duplicate_labels, 1);
    assert_eq!(c.drops.no_name, 1);
    assert_eq!(c.drops.inconsistent_timestamps, 1);
    assert_eq!(c.drops.bad_boundary, 1);
    // The +Inf bucket without its _count cannot make a point either.
    assert_eq!(c.drops.incomplete_points, 1);
    assert_eq!(c.points, 0);
    assert!(c.request.resource_metrics.is_empty());
    let c = convert(&no_job, &options());
    assert_eq!(c.drops.no_job_instance, 1);
}

#[test]
fn trim_metric_suffixes_drops_total_and_unit() {
    let mut opts = options();
    opts.trim_metric_suffixes = true;
    let batch = BatchBuilder::new()
        .meta(
            "singing_duration_seconds",
            MetricType::Counter,
            "",
            "seconds",
        )
        .sample("singing_duration_seconds_total", &[], 1.0)
        .meta("http_requests_total", MetricType::Counter, "", "")
        .sample("http_requests_total", &[], 1.0)
        .meta("queue_total", MetricType::Gauge, "", "")
        .sample("queue_total", &[], 1.0)
        .meta("req_duration_seconds", MetricType::Histogram, "", "seconds")
        .sample("req_duration_seconds_bucket", &[("le", "+Inf")], 1.0)
        .sample("req_duration_seconds_count", &[], 1.0)
        .build();
    let c = convert(&batch, &opts);
    assert_eq!(
        names(&c),
        [
            "singing_duration",
            "http_requests",
            "queue_total",
            "req_duration"
        ]
    );
    assert_eq!(metric(&c, "singing_duration").unit, "s");
    let c = convert(&batch, &options());
    assert_eq!(
        names(&c),
        [
            "singing_duration_seconds_total",
            "http_requests_total",
            "queue_total",
            "req_duration_seconds"
        ]
    );
}

#[test]
fn renamed_metrics_are_unknown_typed() {
    // metric_relabel_configs renamed `a_total` to `b_total`: the metadata is keyed by the
    // exposed name, so the renamed series has none (upstream warns about exactly this).
    let c = BatchBuilder::new()
        .meta("a_total", MetricType::Counter, "", "")
        .sample("b_total", &[], 1.0)
        .convert();
    assert_eq!(type_metadata(metric(&c, "b_total")), "unknown");
    gauge_points(metric(&c, "b_total"));
}

#[test]
fn untyped_suffix_next_to_a_gauge_is_its_own_metric() {
    // Upstream would merge `temp_sum` into gauge `temp` and overwrite its point.
    let c = BatchBuilder::new()
        .meta("temp", MetricType::Gauge, "", "")
        .sample("temp", &[], 20.0)
        .sample("temp_sum", &[], 99.0)
        .convert();
    assert_eq!(names(&c), ["temp", "temp_sum"]);
    assert_eq!(value(&gauge_points(metric(&c, "temp"))[0]), 20.0);
}

#[test]
fn output_is_deterministic_and_stable() {
    let build = || {
        BatchBuilder::new()
            .meta("c_total", MetricType::Counter, "", "")
            .meta("g", MetricType::Gauge, "", "")
            .sample("g", &[("k", "2")], 1.0)
            .sample("c_total", &[("k", "1")], 1.0)
            .sample("g", &[("k", "1")], 1.0)
            .sample("up", &[], 1.0)
            .build()
    };
    let a = pdata::json::encode_metrics(&convert(&build(), &options()).request);
    let b = pdata::json::encode_metrics(&convert(&build(), &options()).request);
    assert_eq!(a, b);
    let c = convert(&build(), &options());
    assert_eq!(names(&c), ["g", "c_total", "up"]);
    let ks: Vec<String> = gauge_points(metric(&c, "g"))
        .iter()
        .map(|p| attrs(&p.attributes)[0].1.clone())
        .collect();
    assert_eq!(ks, ["2", "1"]);
}
