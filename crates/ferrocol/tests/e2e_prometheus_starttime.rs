//! The `prometheus` receiver's start times under its two feature gates, and its failure
//! self-metrics, through the real binary.
//!
//! The scrape target is a small HTTP server written here that serves whatever body the test
//! sets (OpenMetrics, so that `_created` is understood), so that a counter reset happens
//! exactly when the test says. Output goes through the `file` exporter (OTLP protobuf).

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Collector, free_port, metric};
use pdata::ExportMetricsServiceRequest;
use pdata::proto::metrics::v1::{metric::Data, number_data_point};
use prost::Message;

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// `d_created` of the served body, in nanoseconds.
const CREATED_NANOS: u64 = 1_600_000_000_500_000_000;

/// Serves the current body on every request, on 127.0.0.1.
struct Target {
    port: u16,
    body: Arc<Mutex<String>>,
}

impl Target {
    fn start(body: &str) -> Target {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let shared = Arc::new(Mutex::new(body.to_string()));
        let body = shared.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let mut head = Vec::new();
                let mut buf = [0u8; 2048];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let body = body.lock().unwrap().clone();
                let _ = write!(
                    conn,
                    "HTTP/1.1 200 OK\r\nContent-Type: {OPENMETRICS}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Target { port, body: shared }
    }

    fn set(&self, body: &str) {
        *self.body.lock().unwrap() = body.to_string();
    }
}

fn body(c: f64) -> String {
    format!(
        "# TYPE c counter\nc_total {c}\n# TYPE d counter\nd_total 7\nd_created 1600000000.5\n# EOF\n"
    )
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

/// One sum point: (start, time, value).
type Point = (u64, u64, f64);

/// Every point of the sum `name`, in output order.
fn points(path: &Path, name: &str) -> Vec<Point> {
    let mut out = Vec::new();
    for r in written(path) {
        for m in r
            .resource_metrics
            .iter()
            .flat_map(|rm| &rm.scope_metrics)
            .flat_map(|sm| &sm.metrics)
            .filter(|m| m.name == name)
        {
            let Some(Data::Sum(s)) = &m.data else {
                panic!("{name} is not a sum: {m:?}")
            };
            for p in &s.data_points {
                let v = match p.value {
                    Some(number_data_point::Value::AsDouble(v)) => v,
                    other => panic!("{name}: unexpected value {other:?}"),
                };
                out.push((p.start_time_unix_nano, p.time_unix_nano, v));
            }
        }
    }
    out
}

fn wait_until<T>(what: &str, collector: &Collector, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            !collector.is_dead(),
            "collector died:\n{}",
            collector.logs()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("timed out waiting for {what}\n{}", collector.logs());
}

fn start(target: &Target, gates: &[&str]) -> Collector {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("metrics.bin");
    let yaml = format!(
        r#"
receivers:
  prometheus:
    config:
      scrape_configs:
      - job_name: app
        scrape_interval: 1s
        scrape_timeout: 1s
        static_configs: [{{targets: ['127.0.0.1:{port}']}}]
exporters:
  file:
    path: {out}
    format: proto
    flush_interval: 100ms
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    metrics:
      receivers: [prometheus]
      exporters: [file]
"#,
        port = target.port,
        out = out.display()
    );
    let config = dir.path().join("config.yaml");
    std::fs::write(&config, yaml).expect("write config");
    let config = config.to_string_lossy().into_owned();
    let mut args = vec!["--config", config.as_str()];
    let gates = gates.join(",");
    let flag = format!("--feature-gates={gates}");
    if !gates.is_empty() {
        args.push(&flag);
    }
    let collector = Collector::start_in(dir, &args, &[]);
    collector.wait_ready();
    collector
}

#[test]
fn default_gates_invent_no_start_times_and_use_created() {
    let target = Target::start(&body(5.0));
    let collector = start(&target, &[]);
    let out = collector.path("metrics.bin");
    let c = wait_until("two scrapes", &collector, || {
        let p = points(&out, "c_total");
        (p.len() >= 2).then_some(p)
    });
    assert!(
        c.iter().all(|p| p.0 == 0 && p.2 == 5.0),
        "no invented start: {c:?}"
    );
    let d = points(&out, "d_total");
    assert!(!d.is_empty());
    assert!(d.iter().all(|p| p.0 == CREATED_NANOS), "{d:?}");
}

#[test]
fn adjuster_sets_first_point_starts_and_resets_when_the_gate_is_off() {
    let target = Target::start(&body(5.0));
    let collector = start(
        &target,
        &[
            "-receiver.prometheusreceiver.RemoveStartTimeAdjustment",
            "-receiver.prometheusreceiver.UseCreatedMetric",
        ],
    );
    let out = collector.path("metrics.bin");
    let before = wait_until("three scrapes", &collector, || {
        let p = points(&out, "c_total");
        (p.len() >= 3).then_some(p)
    });
    let first = before[0];
    assert_eq!(first.0, first.1, "the first point starts at itself");
    assert!(
        before.iter().all(|p| p.0 == first.1 && p.2 == 5.0),
        "later points keep the first start: {before:?}"
    );
    // `_created` is not used with UseCreatedMetric off: the adjuster decides.
    let d = points(&out, "d_total");
    assert!(!d.is_empty());
    assert!(d.iter().all(|p| p.0 == d[0].1), "{d:?}");

    // The counter resets: the first lower point starts at itself, the next keep that start.
    target.set(&body(1.0));
    let after = wait_until("two scrapes after the reset", &collector, || {
        let p: Vec<Point> = points(&out, "c_total")
            .into_iter()
            .filter(|p| p.2 == 1.0)
            .collect();
        (p.len() >= 2).then_some(p)
    });
    let reset = after[0];
    assert_eq!(reset.0, reset.1, "a reset starts at the point: {after:?}");
    assert!(reset.1 > first.1);
    assert!(after.iter().all(|p| p.0 == reset.1), "{after:?}");
}

#[test]
fn failed_scrapes_discovery_errors_and_targets_are_self_metrics() {
    let metrics_port = free_port();
    // A port nothing listens on: every scrape of `down` is refused.
    let refused = free_port();
    let dir = tempfile::tempdir().expect("tempdir");
    let targets_file = dir.path().join("targets.yml");
    std::fs::write(&targets_file, "- targets: ['127.0.0.1:1'\n").expect("write");
    let yaml = format!(
        r#"
receivers:
  prometheus:
    config:
      scrape_configs:
      - job_name: down
        scrape_interval: 1s
        scrape_timeout: 1s
        static_configs: [{{targets: ['127.0.0.1:{refused}']}}]
      - job_name: filesd
        scrape_interval: 1h
        file_sd_configs: [{{files: ['{file}']}}]
exporters:
  nop:
service:
  telemetry:
    metrics:
      address: 127.0.0.1:{metrics_port}
  pipelines:
    metrics:
      receivers: [prometheus]
      exporters: [nop]
"#,
        file = targets_file.display()
    );
    let config = dir.path().join("config.yaml");
    std::fs::write(&config, yaml).expect("write config");
    let config = config.to_string_lossy().into_owned();
    let collector = Collector::start_in(dir, &["--config", &config], &[]);
    collector.wait_ready();
    let rx = ("receiver", "prometheus");
    let get = |name: &str, label: (&str, &str)| metric(metrics_port, name, &[rx, label]);

    let failed = "otelcol_receiver_prometheus_failed_scrapes";
    let first = wait_until("a failed scrape", &collector, || {
        get(failed, ("scrape_job", "down")).filter(|v| *v >= 1.0)
    });
    wait_until("more failed scrapes", &collector, || {
        get(failed, ("scrape_job", "down")).filter(|v| *v > first)
    });
    assert!(
        collector
            .logs()
            .contains("Failed to scrape Prometheus endpoint"),
        "each failure is also logged"
    );
    let targets = "otelcol_receiver_prometheus_targets";
    assert_eq!(get(targets, ("scrape_job", "down")), Some(1.0));

    let sd = "otelcol_receiver_prometheus_sd_errors";
    wait_until("a file_sd error", &collector, || {
        get(sd, ("mechanism", "file")).filter(|v| *v == 1.0)
    });
    assert_eq!(get(sd, ("mechanism", "kubernetes")), Some(0.0));
    assert_eq!(get(targets, ("scrape_job", "filesd")), Some(0.0));
    // Fixed: its target is scraped; broken again: counted, and the last good target stays.
    std::fs::write(&targets_file, "- targets: ['127.0.0.1:1']\n").expect("write");
    wait_until("the file's target", &collector, || {
        get(targets, ("scrape_job", "filesd")).filter(|v| *v == 1.0)
    });
    std::fs::write(&targets_file, "- targets: ['127.0.0.1:1', \n  - broken").expect("write");
    wait_until("a second file_sd error", &collector, || {
        get(sd, ("mechanism", "file")).filter(|v| *v == 2.0)
    });
    assert_eq!(get(targets, ("scrape_job", "filesd")), Some(1.0));
}
