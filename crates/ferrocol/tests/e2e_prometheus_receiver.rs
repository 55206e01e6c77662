//! The `prometheus` receiver against the real thing: Debian's `prometheus-node-exporter` 1.5 and
//! `prometheus` 2.42 on 127.0.0.1.
//!
//! Both ferrocol (prometheus receiver → `file` exporter, OTLP protobuf) and Prometheus scrape
//! node_exporter's `/metrics` and Prometheus' own `/metrics` with the same `scrape_configs`.
//! Every sample Prometheus stored (`/api/v1/query` of `{job=~"..."}`) must appear as an OTLP
//! point of ferrocol's output with the same name, labels and value — and nothing else may
//! appear there.
//!
//! Why a frozen snapshot: the two scrapers never scrape at the same instant, and most of
//! node_exporter's and Prometheus' series move between two scrapes (CPU seconds, Go memory
//! statistics, HTTP request counters, and Prometheus' own series count grows as we query it).
//! Comparing only "stable" metrics would leave most of the data untested, so both scrape a
//! small proxy (`tests/python/frozen_metrics.py`) that fetched each endpoint once and then
//! serves exactly those bytes with their original Content-Type. Every value is then comparable
//! exactly, except the two synthetic series that describe the scrape itself
//! (`scrape_duration_seconds`, and `scrape_series_added`, which is the series count on a
//! target's first scrape and 0 afterwards): for those only presence and labels are compared.
//! ferrocol also scrapes the two live endpoints directly, to show the receiver works against
//! them as they are (gzip, content negotiation); those are checked for health and types only.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Collector, free_port, http, metric, wait_for_port};
use pdata::ExportMetricsServiceRequest;
use pdata::proto::common::v1::{KeyValue, any_value};
use pdata::proto::metrics::v1::{ResourceMetrics, metric::Data, number_data_point};
use prost::Message;

/// A peer process killed when dropped.
struct Peer {
    name: &'static str,
    child: Child,
    log: PathBuf,
}

impl Peer {
    fn spawn(name: &'static str, dir: &Path, cmd: &mut Command) -> Peer {
        let log = dir.join(format!("{name}.log"));
        let file = std::fs::File::create(&log).expect("log file");
        let child = cmd
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("dup"))
            .stderr(file)
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        Peer { name, child, log }
    }

    fn logs(&self) -> String {
        format!(
            "--- {} ---\n{}",
            self.name,
            std::fs::read_to_string(&self.log).unwrap_or_default()
        )
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn binary(env: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(env)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default));
    let found = if path.is_absolute() {
        path.exists()
    } else {
        Command::new("sh")
            .args(["-c", &format!("command -v {}", path.display())])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    assert!(
        found,
        "{} not found (set {env} or install the Debian package; scripts/test.sh does)",
        path.display()
    );
    path
}

fn wait_until(
    what: &str,
    timeout: Duration,
    mut f: impl FnMut() -> bool,
    logs: impl Fn() -> String,
) {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("timed out waiting for {what}\n{}", logs());
}

/// A Prometheus sample: name and labels (without `__name__`, `le`/`quantile` normalised to
/// Rust's float formatting so that `1` and `1.0` compare equal).
type SeriesKey = (String, BTreeMap<String, String>);

fn normalise(mut labels: BTreeMap<String, String>) -> BTreeMap<String, String> {
    for key in ["le", "quantile"] {
        if let Some(v) = labels.get_mut(key)
            && let Ok(f) = v.parse::<f64>()
        {
            *v = format!("{f}");
        }
    }
    labels
}

/// Prometheus' answer to an instant query, as samples.
fn query(port: u16, promql: &str) -> BTreeMap<SeriesKey, f64> {
    let encoded: String = promql
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    let resp = http(
        port,
        "GET",
        &format!("/api/v1/query?query={encoded}"),
        &[],
        b"",
    )
    .expect("query prometheus");
    assert_eq!(resp.status, 200, "{}", resp.text());
    let json: serde_json::Value = serde_json::from_slice(&resp.body).expect("json");
    assert_eq!(json["status"], "success", "{json}");
    let mut out = BTreeMap::new();
    for r in json["data"]["result"].as_array().expect("vector") {
        let mut labels: BTreeMap<String, String> = r["metric"]
            .as_object()
            .expect("metric")
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().expect("label value").to_string()))
            .collect();
        let name = labels.remove("__name__").expect("__name__");
        let value: f64 = r["value"][1]
            .as_str()
            .expect("value")
            .parse()
            .expect("float value");
        out.insert((name, normalise(labels)), value);
    }
    out
}

fn string_attrs(kvs: &[KeyValue]) -> BTreeMap<String, String> {
    kvs.iter()
        .map(|kv| {
            let v = match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                Some(any_value::Value::StringValue(s)) => s.clone(),
                other => panic!("attribute {} is not a string: {other:?}", kv.key),
            };
            (kv.key.clone(), v)
        })
        .collect()
}

/// The OTLP requests the file exporter wrote (length-prefixed protobuf), ignoring a frame the
/// writer has not finished yet.
fn written(path: &Path) -> Vec<ExportMetricsServiceRequest> {
    let data = std::fs::read(path).unwrap_or_default();
    let mut out = Vec::new();
    let mut b = &data[..];
    while b.len() >= 4 {
        let len = u32::from_be_bytes(b[..4].try_into().unwrap()) as usize;
        let Some(frame) = b.get(4..4 + len) else {
            break;
        };
        out.push(ExportMetricsServiceRequest::decode(frame).expect("valid OTLP frame"));
        b = &b[4 + len..];
    }
    out
}

fn resource_job(rm: &ResourceMetrics) -> String {
    string_attrs(&rm.resource.as_ref().expect("resource").attributes)
        .remove("service.name")
        .unwrap_or_default()
}

/// The last complete scrape of `job` (one whose `up` is 1) in ferrocol's output.
fn last_scrape<'a>(
    requests: &'a [ExportMetricsServiceRequest],
    job: &str,
) -> Option<&'a ResourceMetrics> {
    requests
        .iter()
        .rev()
        .flat_map(|r| r.resource_metrics.iter().rev())
        .filter(|rm| resource_job(rm) == job)
        .find(|rm| {
            rm.scope_metrics.iter().flat_map(|s| &s.metrics).any(|m| {
                m.name == "up"
                    && matches!(&m.data, Some(Data::Gauge(g)) if g.data_points.iter().any(|p| p.value == Some(number_data_point::Value::AsDouble(1.0))))
            })
        })
}

/// A ResourceMetrics turned back into the Prometheus samples it stands for: job and instance
/// from `service.name`/`service.instance.id`, histograms and summaries expanded into their
/// `_bucket`/`_sum`/`_count` and quantile series.
fn as_samples(rm: &ResourceMetrics) -> BTreeMap<SeriesKey, f64> {
    let res = string_attrs(&rm.resource.as_ref().unwrap().attributes);
    let target = [
        ("job".to_string(), res["service.name"].clone()),
        ("instance".to_string(), res["service.instance.id"].clone()),
    ];
    let mut out = BTreeMap::new();
    let mut put = |name: String, attrs: &[KeyValue], extra: Option<(&str, f64)>, v: f64| {
        let mut labels = string_attrs(attrs);
        labels.extend(target.iter().cloned());
        if let Some((k, b)) = extra {
            labels.insert(k.to_string(), format!("{b}"));
        }
        let key = (name, normalise(labels));
        assert!(!out.contains_key(&key), "duplicate series {key:?}");
        out.insert(key, v);
    };
    for m in rm.scope_metrics.iter().flat_map(|s| &s.metrics) {
        let number = |p: &pdata::proto::metrics::v1::NumberDataPoint| match p.value {
            Some(number_data_point::Value::AsDouble(v)) => v,
            Some(number_data_point::Value::AsInt(v)) => v as f64,
            None => panic!("{}: point without value", m.name),
        };
        match m.data.as_ref().expect("data") {
            Data::Gauge(g) => g
                .data_points
                .iter()
                .for_each(|p| put(m.name.clone(), &p.attributes, None, number(p))),
            Data::Sum(s) => s
                .data_points
                .iter()
                .for_each(|p| put(m.name.clone(), &p.attributes, None, number(p))),
            Data::Histogram(h) => {
                for p in &h.data_points {
                    let mut cumulative = 0u64;
                    for (i, c) in p.bucket_counts.iter().enumerate() {
                        cumulative += c;
                        let le = p.explicit_bounds.get(i).copied().unwrap_or(f64::INFINITY);
                        put(
                            format!("{}_bucket", m.name),
                            &p.attributes,
                            Some(("le", le)),
                            cumulative as f64,
                        );
                    }
                    if let Some(sum) = p.sum {
                        put(format!("{}_sum", m.name), &p.attributes, None, sum);
                    }
                    put(
                        format!("{}_count", m.name),
                        &p.attributes,
                        None,
                        p.count as f64,
                    );
                }
            }
            Data::Summary(s) => {
                for p in &s.data_points {
                    for q in &p.quantile_values {
                        put(
                            m.name.clone(),
                            &p.attributes,
                            Some(("quantile", q.quantile)),
                            q.value,
                        );
                    }
                    put(format!("{}_sum", m.name), &p.attributes, None, p.sum);
                    put(
                        format!("{}_count", m.name),
                        &p.attributes,
                        None,
                        p.count as f64,
                    );
                }
            }
            Data::ExponentialHistogram(_) => {
                panic!("{}: no native histograms were scraped", m.name)
            }
        }
    }
    out
}

fn same(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

fn metric_kind<'a>(rm: &'a ResourceMetrics, name: &str) -> Option<&'a Data> {
    rm.scope_metrics
        .iter()
        .flat_map(|s| &s.metrics)
        .find(|m| m.name == name)
        .and_then(|m| m.data.as_ref())
}

#[test]
fn prometheus_receiver_matches_prometheus_sample_for_sample() {
    let node_exporter = binary("FERROCOL_TEST_NODE_EXPORTER", "prometheus-node-exporter");
    let prometheus = binary("FERROCOL_TEST_PROMETHEUS", "prometheus");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (node_port, prom_port, proxy_port, self_port) =
        (free_port(), free_port(), free_port(), free_port());

    let node = Peer::spawn(
        "node_exporter",
        d,
        Command::new(&node_exporter).arg(format!("--web.listen-address=127.0.0.1:{node_port}")),
    );
    assert!(
        wait_for_port(node_port, Duration::from_secs(20)),
        "{}",
        node.logs()
    );

    // Both scrapers get the same `scrape_configs`. The frozen jobs scrape the proxy, which is
    // started once Prometheus serves its own /metrics.
    let scrape_configs = format!(
        r#"
      - job_name: node
        metrics_path: /node
        static_configs: [{{targets: ['127.0.0.1:{proxy_port}']}}]
      - job_name: prometheus
        metrics_path: /prometheus
        static_configs: [{{targets: ['127.0.0.1:{proxy_port}']}}]"#
    );
    let prom_config = d.join("prometheus.yml");
    std::fs::write(
        &prom_config,
        format!(
            "global: {{scrape_interval: 1s, scrape_timeout: 1s}}\nscrape_configs:{}\n",
            scrape_configs.replace("\n      ", "\n  ")
        ),
    )
    .unwrap();
    let prom = Peer::spawn(
        "prometheus",
        d,
        Command::new(&prometheus).args([
            &format!("--config.file={}", prom_config.display()),
            &format!("--storage.tsdb.path={}", d.join("data").display()),
            &format!("--web.listen-address=127.0.0.1:{prom_port}"),
        ]),
    );
    let ready = || http(prom_port, "GET", "/-/ready", &[], b"").is_ok_and(|r| r.status == 200);
    wait_until(
        "prometheus to be ready",
        Duration::from_secs(60),
        ready,
        || prom.logs(),
    );

    let proxy = Peer::spawn(
        "frozen_metrics",
        d,
        Command::new(common::python()).args([
            common::repo_root()
                .join("tests/python/frozen_metrics.py")
                .to_str()
                .unwrap(),
            "--listen",
            &proxy_port.to_string(),
            "--source",
            &format!("node=http://127.0.0.1:{node_port}/metrics"),
            "--source",
            &format!("prometheus=http://127.0.0.1:{prom_port}/metrics"),
        ]),
    );
    assert!(
        wait_for_port(proxy_port, Duration::from_secs(30)),
        "{}",
        proxy.logs()
    );

    let out = d.join("metrics.bin");
    let yaml = format!(
        r#"
receivers:
  prometheus:
    config:
      global:
        scrape_interval: 1s
        scrape_timeout: 1s
      scrape_configs:{scrape_configs}
      - job_name: node-live
        static_configs: [{{targets: ['127.0.0.1:{node_port}']}}]
      - job_name: prometheus-live
        static_configs: [{{targets: ['127.0.0.1:{prom_port}']}}]
exporters:
  file:
    path: {out}
    format: proto
    flush_interval: 100ms
service:
  telemetry:
    metrics:
      address: 127.0.0.1:{self_port}
  pipelines:
    metrics:
      receivers: [prometheus]
      exporters: [file]
"#,
        out = out.display()
    );
    let mut collector = Collector::start(&yaml);
    collector.wait_ready();

    let all_logs = || {
        format!(
            "{}\n{}\n{}\n{}",
            collector.logs(),
            prom.logs(),
            node.logs(),
            proxy.logs()
        )
    };
    let jobs = ["node", "prometheus", "node-live", "prometheus-live"];
    wait_until(
        "a complete scrape of every job in ferrocol's output",
        Duration::from_secs(60),
        || {
            let requests = written(&out);
            jobs.iter().all(|j| last_scrape(&requests, j).is_some())
        },
        all_logs,
    );
    wait_until(
        "Prometheus to scrape both frozen targets",
        Duration::from_secs(60),
        || {
            let up = query(prom_port, r#"up{job=~"node|prometheus"}"#);
            up.len() == 2 && up.values().all(|v| *v == 1.0)
        },
        all_logs,
    );
    let stored = query(prom_port, r#"{job=~"node|prometheus"}"#);
    let accepted = metric(
        self_port,
        "otelcol_receiver_accepted_metric_points",
        &[("receiver", "prometheus"), ("transport", "http")],
    );
    assert!(
        accepted.is_some_and(|n| n > 0.0),
        "accepted points: {accepted:?}"
    );
    let status = collector.stop();
    assert!(status.success(), "{}", collector.logs());

    let requests = written(&out);
    let mut ours = BTreeMap::new();
    for job in ["node", "prometheus"] {
        ours.extend(as_samples(last_scrape(&requests, job).expect("scrape")));
    }
    // The same series on both sides...
    let missing: Vec<&SeriesKey> = stored.keys().filter(|k| !ours.contains_key(*k)).collect();
    let extra: Vec<&SeriesKey> = ours.keys().filter(|k| !stored.contains_key(*k)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{} series stored by Prometheus are missing from ferrocol's output: {:?}\n\
         {} series in ferrocol's output are not in Prometheus: {:?}",
        missing.len(),
        &missing[..missing.len().min(20)],
        extra.len(),
        &extra[..extra.len().min(20)]
    );
    // ...with the same values, except the two that describe the scrape itself.
    let differ: Vec<(&SeriesKey, f64, f64)> = stored
        .iter()
        .filter(|((name, _), _)| name != "scrape_duration_seconds" && name != "scrape_series_added")
        .filter(|(k, v)| !same(**v, ours[*k]))
        .map(|(k, v)| (k, *v, ours[k]))
        .collect();
    assert!(
        differ.is_empty(),
        "{} values differ: {:?}",
        differ.len(),
        &differ[..differ.len().min(20)]
    );
    // A real comparison: node_exporter alone exposes hundreds of samples.
    assert!(stored.len() > 500, "only {} samples compared", stored.len());

    // The live endpoints: healthy, and each Prometheus type became its OTLP type.
    let node_live = last_scrape(&requests, "node-live").unwrap();
    assert!(
        matches!(metric_kind(node_live, "node_cpu_seconds_total"), Some(Data::Sum(s)) if s.is_monotonic && s.aggregation_temporality == 2)
    );
    assert!(matches!(
        metric_kind(node_live, "node_memory_MemTotal_bytes"),
        Some(Data::Gauge(_))
    ));
    assert!(matches!(
        metric_kind(node_live, "go_gc_duration_seconds"),
        Some(Data::Summary(_))
    ));
    let prom_live = last_scrape(&requests, "prometheus-live").unwrap();
    assert!(matches!(
        metric_kind(prom_live, "prometheus_http_request_duration_seconds"),
        Some(Data::Histogram(h)) if h.data_points.iter().all(|p| p.bucket_counts.len() == p.explicit_bounds.len() + 1)
    ));
    let res = string_attrs(&node_live.resource.as_ref().unwrap().attributes);
    assert_eq!(res["service.instance.id"], format!("127.0.0.1:{node_port}"));
    assert_eq!(res["server.port"], node_port.to_string());
    assert_eq!(res["url.scheme"], "http");
    assert!(
        !res.contains_key("server.address"),
        "loopback is not a discernible host"
    );
}
