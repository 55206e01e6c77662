//! `prometheus_remote_write` against Debian's real Prometheus 2.42 (started here with
//! `--web.enable-remote-write-receiver` and native histograms on, on a free loopback port):
//! metrics from the OpenTelemetry Python SDK (sums, gauges, histograms, exponential histograms)
//! and a raw summary go through ferrocol's OTLP receiver and the exporter, and the test reads
//! them back with `/api/v1/query`. Also: an outage of Prometheus with the write-ahead log on
//! (nothing is lost, across a collector restart too), an out-of-order sample (a permanent 400,
//! counted and not retried), and the `basicauth` / `bearertokenauth` headers seen by a small
//! HTTP server of the test's own.
//!
//! Needs `prometheus` on PATH (or `FERROCOL_TEST_PROMETHEUS`): the tests fail, not skip,
//! without it.

mod common;
mod prom_peer;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{Collector, free_port, metric, python_script};
use prom_peer::Prometheus;

/// How long Prometheus stays down in the outage test: a minute, as an operator's backend
/// restart might take.
const OUTAGE: Duration = Duration::from_secs(60);

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

struct Ports {
    http: u16,
    metrics: u16,
}

/// A collector: OTLP/HTTP in, `exporter` (YAML of the exporters section) out, `extensions`
/// (YAML of the extensions section, may be empty).
fn collector(ports: &Ports, exporters: &str, names: &[&str], extensions: &str) -> Collector {
    let ext_names: Vec<&str> = extensions
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   ") && l.trim_end().ends_with(':'))
        .map(|l| l.trim().trim_end_matches(':'))
        .collect();
    let yaml = format!(
        r#"
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:{http}
extensions:
{extensions}
exporters:
{exporters}
service:
  extensions: [{ext}]
  telemetry:
    metrics:
      address: 127.0.0.1:{metrics}
  pipelines:
    metrics:
      receivers: [otlp]
      exporters: [{names}]
"#,
        http = ports.http,
        metrics = ports.metrics,
        ext = ext_names.join(", "),
        names = names.join(", "),
        extensions = if extensions.is_empty() {
            "  {}"
        } else {
            extensions
        },
    );
    let yaml = yaml.replace("extensions:\n  {}\n", "");
    let c = Collector::start(&yaml);
    c.wait_ready();
    c
}

fn ports() -> Ports {
    Ports {
        http: free_port(),
        metrics: free_port(),
    }
}

fn endpoint(ports: &Ports) -> String {
    format!("http://127.0.0.1:{}", ports.http)
}

fn self_metric(ports: &Ports, name: &str) -> f64 {
    metric(
        ports.metrics,
        name,
        &[("exporter", "prometheus_remote_write")],
    )
    .unwrap_or(0.0)
}

#[test]
fn sdk_metrics_reach_prometheus_through_remote_write() {
    let dir = tempfile::tempdir().unwrap();
    let prom = Prometheus::start(dir.path());
    let p = ports();
    let exporters = format!(
        "  prometheus_remote_write:\n    endpoint: {}\n    external_labels: {{cluster: e2e, job: never-wins}}\n",
        prom.write_url()
    );
    let c = collector(&p, &exporters, &["prometheus_remote_write"], "");
    python_script("prw_metrics.py", &["sdk", "--endpoint", &endpoint(&p)]);

    let sel = r#"job="shop/prwtest",instance="inst-1",cluster="e2e""#;
    let v = |q: &str| {
        prom.value(q)
            .unwrap_or_else(|| panic!("{q} not in Prometheus\ncollector:\n{}", c.logs()))
    };
    // Counter: `_total`, attributes as labels, job from service.namespace/service.name.
    assert_eq!(
        v(&format!(r#"prw_requests_total{{{sel},http_method="GET"}}"#)),
        7.0
    );
    assert_eq!(
        v(&format!(
            r#"prw_requests_total{{{sel},http_method="POST"}}"#
        )),
        1.0
    );
    // Up-down counter: a gauge-like name, no `_total`.
    assert_eq!(v(&format!("prw_queue_depth{{{sel}}}")), 3.0);
    // Gauge with a unit.
    assert_eq!(
        v(&format!(r#"prw_temperature_celsius{{{sel},room="a"}}"#)),
        21.5
    );
    // Histogram: cumulative buckets (SDK default bounds 0,5,10,25,50,75,100,250,...).
    assert_eq!(
        v(&format!(
            r#"prw_latency_milliseconds_bucket{{{sel},le="5"}}"#
        )),
        1.0
    );
    assert_eq!(
        v(&format!(
            r#"prw_latency_milliseconds_bucket{{{sel},le="10"}}"#
        )),
        2.0
    );
    assert_eq!(
        v(&format!(
            r#"prw_latency_milliseconds_bucket{{{sel},le="250"}}"#
        )),
        4.0
    );
    assert_eq!(
        v(&format!(
            r#"prw_latency_milliseconds_bucket{{{sel},le="+Inf"}}"#
        )),
        4.0
    );
    assert_eq!(v(&format!("prw_latency_milliseconds_count{{{sel}}}")), 4.0);
    assert_eq!(v(&format!("prw_latency_milliseconds_sum{{{sel}}}")), 300.0);
    // Exponential histogram: a native histogram.
    assert_eq!(
        v(&format!("histogram_count(prw_payload_bytes{{{sel}}})")),
        5.0
    );
    assert_eq!(
        v(&format!("histogram_sum(prw_payload_bytes{{{sel}}})")),
        3100.0
    );
    // Summary (raw OTLP).
    assert_eq!(
        v(&format!(r#"prw_rpc_seconds{{{sel},quantile="0.5"}}"#)),
        0.3
    );
    assert_eq!(
        v(&format!(r#"prw_rpc_seconds{{{sel},quantile="0.99"}}"#)),
        1.25
    );
    assert_eq!(v(&format!("prw_rpc_seconds_count{{{sel}}}")), 10.0);
    assert_eq!(v(&format!("prw_rpc_seconds_sum{{{sel}}}")), 4.5);
    // target_info with the non-identifying resource attributes.
    // (The SDK's resource also has telemetry.sdk.*; the raw requests' resource does not, so
    // there are two resources and two target_info series.)
    assert_eq!(
        v(&format!(
            r#"target_info{{{sel},host_name="h1",telemetry_sdk_language="python"}}"#
        )),
        1.0
    );
    assert_eq!(prom.query("target_info").len(), 2);
    // The delta sum is refused and counted; nothing of it reaches Prometheus.
    assert!(prom.query("prw_delta_total").is_empty() && prom.query("prw_delta").is_empty());
    assert_eq!(
        self_metric(
            &p,
            "otelcol_exporter_prometheusremotewrite_failed_translations"
        ),
        1.0
    );
    assert!(
        self_metric(
            &p,
            "otelcol_exporter_prometheusremotewrite_translated_time_series"
        ) >= 17.0
    );
    assert!(self_metric(&p, "otelcol_exporter_sent_metric_points") >= 8.0);
    assert_eq!(
        self_metric(&p, "otelcol_exporter_send_failed_metric_points"),
        0.0
    );
    assert!(
        c.logs()
            .contains(r#"invalid temporality and type combination for metric \"prw.delta\""#)
            || c.logs()
                .contains("invalid temporality and type combination for metric")
    );
}

#[test]
fn out_of_order_samples_are_a_permanent_counted_failure() {
    let dir = tempfile::tempdir().unwrap();
    let prom = Prometheus::start(dir.path());
    let p = ports();
    let exporters = format!(
        "  prometheus_remote_write:\n    endpoint: {}\n    retry_on_failure: {{initial_interval: 10ms, max_interval: 20ms}}\n",
        prom.write_url()
    );
    let c = collector(&p, &exporters, &["prometheus_remote_write"], "");
    let t = now_ms();
    let send = |value: &str, time: i64| {
        python_script(
            "prw_metrics.py",
            &[
                "gauge",
                "--endpoint",
                &endpoint(&p),
                "--name",
                "ooo",
                "--value",
                value,
                "--time-ms",
                &time.to_string(),
            ],
        );
    };
    send("1", t);
    assert_eq!(prom.value(r#"ooo{series="0"}"#), Some(1.0));
    // An hour older than the stored sample: Prometheus answers 400 "out of order sample".
    send("2", t - 3_600_000);
    let deadline = Instant::now() + Duration::from_secs(20);
    while self_metric(&p, "otelcol_exporter_send_failed_metric_points") < 1.0 {
        assert!(
            Instant::now() < deadline,
            "the failure was not counted:\n{}",
            c.logs()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let batches = self_metric(&p, "otelcol_exporter_prometheusremotewrite_sent_batches");
    std::thread::sleep(Duration::from_secs(1));
    // Not retried: no further attempts, and the error carries Prometheus' answer.
    assert_eq!(
        self_metric(&p, "otelcol_exporter_prometheusremotewrite_sent_batches"),
        batches
    );
    assert_eq!(batches, 2.0);
    let logs = c.logs();
    assert!(
        logs.contains("400 Bad Request") && logs.contains("out of order sample"),
        "{logs}"
    );
    assert!(!logs.contains("Will retry"), "{logs}");
    assert_eq!(
        self_metric(&p, "otelcol_exporter_send_failed_metric_points"),
        1.0
    );
    assert_eq!(prom.value(r#"ooo{series="0"}"#), Some(1.0));
}

#[test]
fn the_wal_keeps_everything_through_an_outage_and_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut prom = Prometheus::start(&dir.path().join("prom"));
    let wal_dir = dir.path().join("wal");
    let p = ports();
    let exporters = format!(
        "  prometheus_remote_write:\n    endpoint: {}\n    retry_on_failure: {{initial_interval: 100ms, max_interval: 1s}}\n    wal: {{directory: {}, truncate_frequency: 2s}}\n",
        prom.write_url(),
        wal_dir.display()
    );
    let mut c = collector(&p, &exporters, &["prometheus_remote_write"], "");
    let series = 20;
    let send = |name: &str| {
        python_script(
            "prw_metrics.py",
            &[
                "gauge",
                "--endpoint",
                &endpoint(&p),
                "--name",
                name,
                "--value",
                "1",
                "--time-ms",
                &now_ms().to_string(),
                "--series",
                &series.to_string(),
            ],
        );
    };
    send("wal_before");
    assert_eq!(prom.value("count(wal_before)"), Some(series as f64));

    prom.stop();
    let outage = Instant::now();
    // Sent while Prometheus is down: stored in the WAL, retried.
    send("wal_during_a");
    send("wal_during_b");
    std::thread::sleep(Duration::from_secs(2));
    // The collector restarts during the outage: the WAL is read again at start.
    assert!(c.stop().success(), "{}", c.logs());
    drop(c);
    let c = collector(&p, &exporters, &["prometheus_remote_write"], "");
    assert!(
        c.wait_for_log(
            "Sending requests the previous run left in the write-ahead log",
            Duration::from_secs(5)
        ),
        "{}",
        c.logs()
    );
    send("wal_during_c");
    std::thread::sleep(OUTAGE.saturating_sub(outage.elapsed()));
    prom.restart();

    for name in ["wal_before", "wal_during_a", "wal_during_b", "wal_during_c"] {
        assert_eq!(
            prom.value(&format!("count({name})")),
            Some(series as f64),
            "{name}\ncollector:\n{}",
            c.logs()
        );
    }
    assert_eq!(
        self_metric(&p, "otelcol_exporter_send_failed_metric_points"),
        0.0
    );
    send("wal_after");
    assert_eq!(prom.value("count(wal_after)"), Some(series as f64));
    // Sent segments are deleted: the log shrinks back to one (current) segment.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let segments = std::fs::read_dir(wal_dir.join("prom_remotewrite"))
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".wal")
            })
            .count();
        if segments == 1 {
            break;
        }
        assert!(Instant::now() < deadline, "{segments} WAL segments remain");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// One request as the test server saw it.
#[derive(Clone, Debug)]
struct Seen {
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A minimal HTTP/1.1 server that records requests and answers 204.
fn recording_server() -> (u16, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let out = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let seen = seen.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut stream = stream;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let path = line
                        .split_whitespace()
                        .nth(1)
                        .unwrap_or_default()
                        .to_string();
                    let mut headers = Vec::new();
                    loop {
                        let mut h = String::new();
                        reader.read_line(&mut h).unwrap();
                        let h = h.trim_end();
                        if h.is_empty() {
                            break;
                        }
                        if let Some((k, v)) = h.split_once(':') {
                            headers.push((k.trim().to_string(), v.trim().to_string()));
                        }
                    }
                    let len: usize = headers
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                        .and_then(|(_, v)| v.parse().ok())
                        .unwrap_or(0);
                    let mut body = vec![0; len];
                    reader.read_exact(&mut body).unwrap();
                    seen.lock().unwrap().push(Seen {
                        path,
                        headers,
                        body,
                    });
                    stream
                        .write_all(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
                        .unwrap();
                }
            });
        }
    });
    (port, out)
}

#[test]
fn basicauth_and_bearertokenauth_headers_are_sent() {
    let (port, seen) = recording_server();
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "tok-from-file\n").unwrap();
    let p = ports();
    let exporters = format!(
        r#"  prometheus_remote_write/basic:
    endpoint: http://127.0.0.1:{port}/basic
    auth: {{authenticator: basicauth/client}}
  prometheusremotewrite/bearer:
    endpoint: http://127.0.0.1:{port}/bearer
    headers: {{X-Scope-OrgID: tenant-1}}
    auth: {{authenticator: bearertokenauth}}
"#
    );
    let extensions = format!(
        r#"  basicauth/client:
    client_auth: {{username: alice, password: s3cret}}
  bearertokenauth:
    filename: {}
"#,
        token.display()
    );
    let c = collector(
        &p,
        &exporters,
        &[
            "prometheus_remote_write/basic",
            "prometheusremotewrite/bearer",
        ],
        &extensions,
    );
    python_script(
        "prw_metrics.py",
        &[
            "gauge",
            "--endpoint",
            &endpoint(&p),
            "--name",
            "auth_test",
            "--value",
            "4",
            "--time-ms",
            &now_ms().to_string(),
        ],
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while seen.lock().unwrap().len() < 2 {
        assert!(Instant::now() < deadline, "requests missing:\n{}", c.logs());
        std::thread::sleep(Duration::from_millis(50));
    }
    let seen = seen.lock().unwrap().clone();
    let basic = seen
        .iter()
        .find(|s| s.path == "/basic")
        .expect("basic request");
    let bearer = seen
        .iter()
        .find(|s| s.path == "/bearer")
        .expect("bearer request");
    // base64("alice:s3cret")
    assert_eq!(
        basic.header("authorization"),
        Some("Basic YWxpY2U6czNjcmV0")
    );
    assert_eq!(bearer.header("authorization"), Some("Bearer tok-from-file"));
    assert_eq!(bearer.header("x-scope-orgid"), Some("tenant-1"));
    for s in [basic, bearer] {
        assert_eq!(s.header("content-encoding"), Some("snappy"));
        assert_eq!(s.header("content-type"), Some("application/x-protobuf"));
        assert_eq!(s.header("x-prometheus-remote-write-version"), Some("0.1.0"));
        assert!(
            s.header("user-agent")
                .is_some_and(|u| u.starts_with("ferrocol/"))
        );
        let request =
            prometheus::remote::decode_compressed(&s.body).expect("snappy block protobuf");
        let series = request
            .timeseries
            .iter()
            .find(|t| {
                t.labels
                    .iter()
                    .any(|l| l.name == "__name__" && l.value == "auth_test")
            })
            .expect("the auth_test series");
        assert_eq!(series.samples[0].value, 4.0);
    }
    // The deprecated alias is accepted with a warning.
    assert!(
        c.logs()
            .contains(r#"alias is deprecated; use "prometheus_remote_write" instead"#),
        "{}",
        c.logs()
    );
}
