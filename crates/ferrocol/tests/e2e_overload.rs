//! Overload, end to end: `memory_limiter` (`limit_mib: 100`, `spike_limit_mib: 20`,
//! `check_interval: 100ms`) in front of an otlp_http exporter whose backend drains slowly, with
//! several blast.py clients offering far more than the drain rate for ~15 s.
//!
//! The backend is a tiny HTTP/1.1 server in this file: it takes one request at a time, holds it
//! [`DRAIN_DELAY`] and answers 200 with an empty (valid) protobuf response, so the exporter (one
//! queue consumer) drains a fixed number of requests per second, whatever the machine. The
//! clients resend one prebuilt ~1.1 MB request (1000 spans with a 1000-byte attribute) and retry
//! a refusal after 50 ms, so the offered load does not back off while the collector refuses.
//!
//! What is checked:
//! - the collector's peak RSS (`VmHWM`) stays below the hard limit + [`BASELINE_MARGIN_MIB`]:
//!   the limiter counts what it admits between checks, so it does not overshoot by a check
//!   interval's worth of ingress as upstream does (seen here: 89–95 MiB; 138–155 MiB before);
//! - clients saw retryable refusals (gRPC `UNAVAILABLE`), and every refused span is counted:
//!   `otelcol_receiver_refused_spans` = `otelcol_processor_memory_limiter_refused_spans` =
//!   retried refusals × spans per request;
//! - nothing is dropped silently: accepted = acknowledged = sent + send_failed once the queue has
//!   drained;
//! - after the load, a fresh small request is accepted.
//!
//! The figures (peak RSS, refusals, drain and offered rates) are printed for the record; none of
//! them is timed.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Collector, free_port, metric, python_script};

const LIMIT_MIB: u64 = 100;
const SPIKE_MIB: u64 = 20;
/// What the process may hold beyond the hard limit: request bodies being read by the receiver
/// (four clients, ~1.1 MB each, plus their refused predecessors not yet purged) and allocator
/// slack.
const BASELINE_MARGIN_MIB: u64 = 25;
const CLIENTS: usize = 4;
const LOAD_SECONDS: f64 = 15.0;
const SPANS: u64 = 1000;
const ATTR_BYTES: u64 = 1000;
const DRAIN_DELAY: Duration = Duration::from_millis(200);

/// The slow backend: one request at a time, each held `DRAIN_DELAY`.
struct SlowBackend {
    port: u16,
    served: Arc<AtomicU64>,
}

impl SlowBackend {
    fn start() -> SlowBackend {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().unwrap().port();
        let served = Arc::new(AtomicU64::new(0));
        let one_at_a_time = Arc::new(Mutex::new(()));
        let counter = served.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (counter, lock) = (counter.clone(), one_at_a_time.clone());
                std::thread::spawn(move || serve(stream, &counter, &lock));
            }
        });
        SlowBackend { port, served }
    }
}

/// Answers every request on one keep-alive connection.
fn serve(stream: TcpStream, served: &AtomicU64, lock: &Mutex<()>) {
    let _ = stream.set_nodelay(true);
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut writer = stream;
    loop {
        let mut content_length = 0usize;
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((k, v)) = header.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                content_length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0u8; content_length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        {
            let _one = lock.lock().unwrap();
            std::thread::sleep(DRAIN_DELAY);
        }
        served.fetch_add(1, Ordering::Relaxed);
        let reply =
            "HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\n\r\n";
        if writer.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

fn wait_until(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn counter(port: u16, name: &str, labels: &[(&str, &str)]) -> u64 {
    metric(port, name, labels).unwrap_or_else(|| panic!("{name} {labels:?} is served")) as u64
}

/// A `kB` line of /proc/<pid>/status, in bytes.
fn proc_status_bytes(pid: u32, key: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|kb| kb.trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .unwrap_or_else(|| panic!("{key} in /proc/{pid}/status"))
}

struct Report {
    sent: u64,
    requests: u64,
    unavailable: u64,
    other_refusals: u64,
}

fn blast(port: u16, args: &[&str]) -> Report {
    let endpoint = format!("127.0.0.1:{port}");
    let mut all = vec!["--endpoint", &endpoint, "--report-refusals"];
    all.extend_from_slice(args);
    let out = python_script("blast.py", &all);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("blast.py report");
    let refusals = v["refusals"].as_object().cloned().unwrap_or_default();
    let unavailable = refusals
        .get("UNAVAILABLE")
        .and_then(|n| n.as_u64())
        .unwrap_or(0);
    Report {
        sent: v["sent"].as_u64().expect("sent"),
        requests: v["requests"].as_u64().expect("requests"),
        unavailable,
        other_refusals: refusals.values().filter_map(|n| n.as_u64()).sum::<u64>() - unavailable,
    }
}

#[test]
fn memory_limiter_refuses_and_keeps_rss_bounded_under_overload() {
    let backend = SlowBackend::start();
    let (grpc, metrics) = (free_port(), free_port());
    let yaml = format!(
        "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:{grpc}\n\
         processors:\n  memory_limiter:\n    check_interval: 100ms\n    limit_mib: {LIMIT_MIB}\n    spike_limit_mib: {SPIKE_MIB}\n\
         exporters:\n  otlp_http:\n    endpoint: http://127.0.0.1:{}\n    compression: none\n    timeout: 30s\n\
         \x20   sending_queue:\n      num_consumers: 1\n      queue_size: 1000\n\
         service:\n  telemetry:\n    metrics:\n      address: 127.0.0.1:{metrics}\n\
         \x20 pipelines:\n    traces:\n      receivers: [otlp]\n      processors: [memory_limiter]\n      exporters: [otlp_http]\n",
        backend.port
    );
    let mut collector = Collector::start(&yaml);
    collector.wait_ready();
    let pid = collector.pid();
    let idle_rss = proc_status_bytes(pid, "VmRSS:");

    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            std::thread::spawn(move || {
                blast(
                    grpc,
                    &[
                        "--requests",
                        "1000000",
                        "--spans",
                        &SPANS.to_string(),
                        "--attr-bytes",
                        &ATTR_BYTES.to_string(),
                        "--duration",
                        &LOAD_SECONDS.to_string(),
                        "--reuse",
                        "--retry-delay",
                        "0.05",
                        "--max-attempts",
                        "100000",
                    ],
                )
            })
        })
        .collect();
    let reports: Vec<Report> = clients
        .into_iter()
        .map(|c| c.join().expect("client"))
        .collect();
    let load_time = started.elapsed();
    let served_during_load = backend.served.load(Ordering::Relaxed);

    let acknowledged: u64 = reports.iter().map(|r| r.sent).sum();
    let acked_requests: u64 = reports.iter().map(|r| r.requests).sum();
    let unavailable: u64 = reports.iter().map(|r| r.unavailable).sum();
    let other_refusals: u64 = reports.iter().map(|r| r.other_refusals).sum();

    // Let the queue drain to the slow backend.
    wait_until("the queue to drain", Duration::from_secs(120), || {
        metric(
            metrics,
            "otelcol_exporter_queue_size",
            &[("exporter", "otlp_http"), ("data_type", "traces")],
        ) == Some(0.0)
    });
    let peak_rss = proc_status_bytes(pid, "VmHWM:");

    let rx = [("receiver", "otlp"), ("transport", "grpc")];
    let ex = [("exporter", "otlp_http")];
    let ml = [("processor", "memory_limiter")];
    let accepted = counter(metrics, "otelcol_receiver_accepted_spans", &rx);
    let refused = counter(metrics, "otelcol_receiver_refused_spans", &rx);
    let limiter_refused = counter(
        metrics,
        "otelcol_processor_memory_limiter_refused_spans",
        &ml,
    );
    let limiter_accepted = counter(
        metrics,
        "otelcol_processor_memory_limiter_accepted_spans",
        &ml,
    );
    let sent = counter(metrics, "otelcol_exporter_sent_spans", &ex);
    let send_failed = counter(metrics, "otelcol_exporter_send_failed_spans", &ex);
    let enqueue_failed = counter(metrics, "otelcol_exporter_enqueue_failed_spans", &ex);

    let secs = load_time.as_secs_f64();
    let offered_requests = acked_requests + unavailable + other_refusals;
    eprintln!(
        "overload: {CLIENTS} clients for {secs:.1} s offered {offered_requests} requests of {SPANS} spans \
         ({:.1}/s; backend drained {served_during_load}, {:.1}/s, ratio {:.1}x); \
         acknowledged {acknowledged} spans, retried refusals UNAVAILABLE {unavailable} other {other_refusals}; \
         collector: accepted {accepted} refused {refused} limiter accepted {limiter_accepted} refused {limiter_refused} \
         sent {sent} send_failed {send_failed} enqueue_failed {enqueue_failed}; \
         idle RSS {:.1} MiB, peak RSS (VmHWM) {:.1} MiB",
        offered_requests as f64 / secs,
        served_during_load as f64 / secs,
        offered_requests as f64 / served_during_load.max(1) as f64,
        idle_rss as f64 / 1048576.0,
        peak_rss as f64 / 1048576.0,
    );

    let bound = (LIMIT_MIB + BASELINE_MARGIN_MIB) << 20;
    assert!(
        peak_rss < bound,
        "peak RSS {peak_rss} B above the hard limit + margin ({bound} B)\n{}",
        collector.logs()
    );
    assert!(unavailable > 0, "clients saw retryable refusals");
    assert_eq!(other_refusals, 0, "every refusal was UNAVAILABLE");
    assert!(refused > 0, "refusals are counted");
    assert_eq!(
        refused, limiter_refused,
        "all refusals are the memory limiter's"
    );
    assert_eq!(
        refused,
        unavailable * SPANS,
        "each retried refusal is counted"
    );
    assert_eq!(
        enqueue_failed, 0,
        "the limiter, not the queue, held the line"
    );
    assert_eq!(accepted, acknowledged, "accepted = what clients were told");
    assert_eq!(limiter_accepted, accepted);
    assert_eq!(
        accepted,
        sent + send_failed,
        "nothing dropped silently\n{}",
        collector.logs()
    );
    assert!(
        collector
            .logs()
            .contains("Memory usage is above soft limit. Refusing data."),
        "{}",
        collector.logs()
    );

    // After the load the collector takes data again.
    let fresh = blast(grpc, &["--requests", "1", "--spans", "10"]);
    eprintln!(
        "fresh request after the load: acknowledged {} spans after {} refusals",
        fresh.sent, fresh.unavailable
    );
    assert_eq!(fresh.sent, 10);
    wait_until(
        "the fresh request to be sent",
        Duration::from_secs(30),
        || metric(metrics, "otelcol_exporter_sent_spans", &ex) == Some((sent + 10) as f64),
    );
    assert!(collector.stop().success());
}
