//! The self-metrics endpoint as operators scrape it: exact series after known traffic through
//! otlp (grpc and http) → batch → two otlp_grpc exporters, and what `level` and an explicit
//! Prometheus reader change.

mod common;

use std::time::{Duration, Instant};

use common::{Collector, free_port, http, python_script};

/// The identity labels every series carries, fixed through `service::telemetry::resource`.
const IDENTITY: &str = "service_instance_id=\"i-0123\",service_name=\"aws-otel-collector\",service_version=\"v0.49.0\"";
const RESOURCE: &str = "    resource:\n      service.name: aws-otel-collector\n      service.instance.id: i-0123\n      service.version: v0.49.0\n";

fn scrape(port: u16) -> String {
    let r = http(port, "GET", "/metrics", &[], b"").expect("scrape");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    r.text()
}

fn wait_for_line(port: u16, line: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = scrape(port);
        if text.lines().any(|l| l == line) {
            return text;
        }
        assert!(Instant::now() < deadline, "no line {line:?} in:\n{text}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn assert_line(text: &str, line: &str) {
    assert!(
        text.lines().any(|l| l == line),
        "no line {line:?} in:\n{text}"
    );
}

/// A backend for the exporters: otlp → nop.
fn backend() -> (Collector, u16) {
    let port = free_port();
    let yaml = format!(
        "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:{port}\n\
         exporters:\n  nop:\n\
         service:\n  telemetry:\n    metrics:\n      level: none\n  pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: [nop]\n"
    );
    let c = Collector::start(&yaml);
    c.wait_ready();
    (c, port)
}

fn pipeline(grpc: u16, http_port: u16, backend: u16, telemetry: &str) -> String {
    format!(
        "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:{grpc}\n      http:\n        endpoint: 127.0.0.1:{http_port}\n\
         processors:\n  batch:\n    timeout: 50ms\n\
         exporters:\n\
         \x20 otlp_grpc/a:\n    endpoint: 127.0.0.1:{backend}\n    tls:\n      insecure: true\n\
         \x20 otlp_grpc/b:\n    endpoint: 127.0.0.1:{backend}\n    tls:\n      insecure: true\n\
         service:\n  telemetry:\n{telemetry}\
         \x20 pipelines:\n    traces:\n      receivers: [otlp]\n      processors: [batch]\n      exporters: [otlp_grpc/a, otlp_grpc/b]\n"
    )
}

fn json_spans(n: usize) -> Vec<u8> {
    let spans: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "{{\"traceId\":\"5b8efff798038103d269b633813fc60c\",\"spanId\":\"eee19b7ec3c1b17{i}\",\"name\":\"http {i}\",\"kind\":2,\"startTimeUnixNano\":\"1700000000000000000\",\"endTimeUnixNano\":\"1700000000000100000\"}}"
            )
        })
        .collect();
    format!(
        "{{\"resourceSpans\":[{{\"resource\":{{}},\"scopeSpans\":[{{\"scope\":{{}},\"spans\":[{}]}}]}}]}}",
        spans.join(",")
    )
    .into_bytes()
}

#[test]
fn a_scrape_after_known_traffic_matches_exactly() {
    let (_b, b_port) = backend();
    let (grpc, http_port, metrics) = (free_port(), free_port(), free_port());
    let telemetry = format!("    metrics:\n      address: 127.0.0.1:{metrics}\n{RESOURCE}");
    let a = Collector::start(&pipeline(grpc, http_port, b_port, &telemetry));
    a.wait_ready();

    // 3 × 100 spans over gRPC, 2 over HTTP/JSON.
    let out = python_script(
        "blast.py",
        &[
            "--endpoint",
            &format!("127.0.0.1:{grpc}"),
            "--requests",
            "3",
            "--spans",
            "100",
        ],
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "300");
    let r = http(
        http_port,
        "POST",
        "/v1/traces",
        &[("Content-Type", "application/json")],
        &json_spans(2),
    )
    .expect("http export");
    assert_eq!(r.status, 200, "{}", r.text());

    // Both exporters have sent everything once the batch has flushed.
    wait_for_line(
        metrics,
        &format!("otelcol_exporter_sent_spans{{exporter=\"otlp_grpc/a\",{IDENTITY}}} 302"),
    );
    let text = wait_for_line(
        metrics,
        &format!("otelcol_exporter_sent_spans{{exporter=\"otlp_grpc/b\",{IDENTITY}}} 302"),
    );
    for line in [
        format!(
            "otelcol_receiver_accepted_spans{{receiver=\"otlp\",transport=\"grpc\",{IDENTITY}}} 300"
        ),
        format!(
            "otelcol_receiver_accepted_spans{{receiver=\"otlp\",transport=\"http\",{IDENTITY}}} 2"
        ),
        format!(
            "otelcol_receiver_refused_spans{{receiver=\"otlp\",transport=\"grpc\",{IDENTITY}}} 0"
        ),
        format!(
            "otelcol_processor_incoming_items{{otel_signal=\"traces\",processor=\"batch\",{IDENTITY}}} 302"
        ),
        format!(
            "otelcol_processor_outgoing_items{{otel_signal=\"traces\",processor=\"batch\",{IDENTITY}}} 302"
        ),
        format!("otelcol_exporter_send_failed_spans{{exporter=\"otlp_grpc/a\",{IDENTITY}}} 0"),
        // The shape of the line in the issue (there for awsxray, which does not exist yet).
        format!("otelcol_exporter_enqueue_failed_spans{{exporter=\"otlp_grpc/a\",{IDENTITY}}} 0"),
        format!("otelcol_exporter_enqueue_failed_spans{{exporter=\"otlp_grpc/b\",{IDENTITY}}} 0"),
        format!(
            "otelcol_exporter_queue_capacity{{data_type=\"traces\",exporter=\"otlp_grpc/a\",{IDENTITY}}} 1000"
        ),
        format!(
            "otelcol_exporter_queue_size{{data_type=\"traces\",exporter=\"otlp_grpc/a\",{IDENTITY}}} 0"
        ),
        format!(
            "otelcol_exporter_queue_capacity{{data_type=\"traces\",exporter=\"otlp_grpc/b\",{IDENTITY}}} 1000"
        ),
        format!("otelcol_processor_batch_metadata_cardinality{{processor=\"batch\",{IDENTITY}}} 1"),
        "# TYPE otelcol_receiver_accepted_spans counter".to_string(),
        "# TYPE otelcol_exporter_queue_size gauge".to_string(),
    ] {
        assert_line(&text, &line);
    }
    // Items per batch add up to what went through.
    assert_line(
        &text,
        &format!(
            "otelcol_processor_batch_batch_send_size_sum{{processor=\"batch\",{IDENTITY}}} 302"
        ),
    );
    // The implicit reader: no `_total`, no unit suffixes.
    assert!(
        !text.lines().filter(|l| !l.starts_with('#')).any(|l| l
            .split(['{', ' '])
            .next()
            .unwrap_or_default()
            .ends_with("_total")),
        "{text}"
    );
    // Process metrics, with the runtime ones from jemalloc (the binary's allocator).
    for name in [
        "otelcol_process_uptime",
        "otelcol_process_cpu_seconds",
        "otelcol_process_memory_rss",
        "otelcol_process_runtime_heap_alloc_bytes",
        "otelcol_process_runtime_total_alloc_bytes",
        "otelcol_process_runtime_total_sys_memory_bytes",
    ] {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("{name}{{{IDENTITY}}} ")))
            .unwrap_or_else(|| panic!("no {name} in:\n{text}"));
        let value: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
        // A collector this young may not have used a whole clock tick of CPU yet.
        let positive = name != "otelcol_process_cpu_seconds";
        assert!(value > 0.0 || (!positive && value == 0.0), "{line}");
    }
}

#[test]
fn level_basic_hides_the_batch_metrics() {
    let (grpc, http_port, metrics) = (free_port(), free_port(), free_port());
    let telemetry =
        format!("    metrics:\n      level: basic\n      address: 127.0.0.1:{metrics}\n{RESOURCE}");
    let a = Collector::start(&pipeline(grpc, http_port, free_port(), &telemetry));
    a.wait_ready();
    let text = scrape(metrics);
    assert!(!text.contains("otelcol_processor_batch_"), "{text}");
    assert_line(
        &text,
        &format!(
            "otelcol_receiver_accepted_spans{{receiver=\"otlp\",transport=\"grpc\",{IDENTITY}}} 0"
        ),
    );
    assert_line(
        &text,
        &format!(
            "otelcol_processor_incoming_items{{otel_signal=\"traces\",processor=\"batch\",{IDENTITY}}} 0"
        ),
    );
    assert!(text.contains("otelcol_process_memory_rss{"), "{text}");
}

#[test]
fn level_none_serves_nothing() {
    let (grpc, http_port, metrics) = (free_port(), free_port(), free_port());
    let telemetry =
        format!("    metrics:\n      level: none\n      address: 127.0.0.1:{metrics}\n{RESOURCE}");
    let a = Collector::start(&pipeline(grpc, http_port, free_port(), &telemetry));
    a.wait_ready();
    assert!(
        http(metrics, "GET", "/metrics", &[], b"").is_err(),
        "nothing listens on the metrics address"
    );
}

#[test]
fn an_explicit_reader_with_type_suffix_adds_total() {
    let (grpc, http_port, metrics) = (free_port(), free_port(), free_port());
    let telemetry = format!(
        "    metrics:\n      readers:\n        - pull:\n            exporter:\n              prometheus:\n                host: 127.0.0.1\n                port: {metrics}\n                without_type_suffix: false\n{RESOURCE}"
    );
    let a = Collector::start(&pipeline(grpc, http_port, free_port(), &telemetry));
    a.wait_ready();
    let text = scrape(metrics);
    for line in [
        "# TYPE otelcol_receiver_accepted_spans_total counter".to_string(),
        format!(
            "otelcol_receiver_accepted_spans_total{{receiver=\"otlp\",transport=\"grpc\",{IDENTITY}}} 0"
        ),
        format!(
            "otelcol_exporter_enqueue_failed_spans_total{{exporter=\"otlp_grpc/a\",{IDENTITY}}} 0"
        ),
        // Gauges keep their names.
        format!(
            "otelcol_exporter_queue_size{{data_type=\"traces\",exporter=\"otlp_grpc/a\",{IDENTITY}}} 0"
        ),
    ] {
        assert_line(&text, &line);
    }
    assert!(text.contains("otelcol_process_uptime_total{"), "{text}");
    assert!(
        text.contains("otelcol_process_runtime_total_alloc_bytes_total{"),
        "{text}"
    );
    assert!(text.contains("otelcol_process_memory_rss{"), "{text}");
}

#[test]
fn a_reload_takes_the_removed_components_gauges_with_it() {
    let (grpc, http_port, metrics, backend) = (free_port(), free_port(), free_port(), free_port());
    let telemetry = format!("    metrics:\n      address: 127.0.0.1:{metrics}\n{RESOURCE}");
    let a = Collector::start(&pipeline(grpc, http_port, backend, &telemetry));
    a.wait_ready();
    let b_capacity = format!(
        "otelcol_exporter_queue_capacity{{data_type=\"traces\",exporter=\"otlp_grpc/b\",{IDENTITY}}} 1000"
    );
    let cardinality =
        format!("otelcol_processor_batch_metadata_cardinality{{processor=\"batch\",{IDENTITY}}} 1");
    let text = scrape(metrics);
    assert_line(&text, &b_capacity);
    assert_line(&text, &cardinality);

    // The same config without the batch processor and without otlp_grpc/b.
    let reloaded = pipeline(grpc, http_port, backend, &telemetry)
        .replace("      processors: [batch]\n", "")
        .replace(
            "exporters: [otlp_grpc/a, otlp_grpc/b]",
            "exporters: [otlp_grpc/a]",
        );
    std::fs::write(a.path("config.yaml"), reloaded).unwrap();
    a.signal("HUP");
    assert!(
        a.wait_for_log("Config reloaded", Duration::from_secs(30)),
        "{}",
        a.logs()
    );
    let text = wait_for_line(
        metrics,
        &format!(
            "otelcol_exporter_queue_capacity{{data_type=\"traces\",exporter=\"otlp_grpc/a\",{IDENTITY}}} 1000"
        ),
    );
    assert!(
        !text
            .lines()
            .any(|l| l.starts_with("otelcol_exporter_queue_") && l.contains("otlp_grpc/b")),
        "no queue gauge of the removed exporter:\n{text}"
    );
    assert!(
        !text.contains("otelcol_processor_batch_metadata_cardinality{"),
        "no gauge of the removed processor:\n{text}"
    );
    // Counters are cumulative and stay.
    assert_line(
        &text,
        &format!("otelcol_exporter_sent_spans{{exporter=\"otlp_grpc/b\",{IDENTITY}}} 0"),
    );
}
