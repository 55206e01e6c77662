//! The OpenTelemetry Python SDK sends spans, metrics (gauge, sum, histogram, exponential histogram,
//! summary) and logs over OTLP gRPC, HTTP/protobuf and HTTP/JSON; the `file` exporter must write
//! exactly what the SDK sent.

mod common;

use common::{Collector, free_port, metric, python_script, read_recording};
use pdata::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};
use prost::Message;

struct Ports {
    grpc: u16,
    http: u16,
    metrics: u16,
}

fn start(ports: &Ports) -> Collector {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let yaml = format!(
        r#"
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:{grpc}
      http:
        endpoint: 127.0.0.1:{http}
exporters:
  file/traces:
    path: {d}/traces.bin
    format: proto
  file/metrics:
    path: {d}/metrics.bin
    format: proto
  file/logs:
    path: {d}/logs.bin
    format: proto
service:
  telemetry:
    metrics:
      address: 127.0.0.1:{metrics}
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [file/traces]
    metrics:
      receivers: [otlp]
      exporters: [file/metrics]
    logs:
      receivers: [otlp]
      exporters: [file/logs]
"#,
        grpc = ports.grpc,
        http = ports.http,
        metrics = ports.metrics,
    );
    let config = dir.path().join("config.yaml");
    std::fs::write(&config, yaml).unwrap();
    let config = config.to_string_lossy().into_owned();
    let c = Collector::start_in(dir, &["--config", &config], &[]);
    c.wait_ready();
    c
}

fn frames(path: &std::path::Path) -> Vec<Vec<u8>> {
    let data = std::fs::read(path).unwrap_or_default();
    let mut out = Vec::new();
    let mut b = &data[..];
    while b.len() >= 4 {
        let len = u32::from_be_bytes(b[..4].try_into().unwrap()) as usize;
        out.push(b[4..4 + len].to_vec());
        b = &b[4 + len..];
    }
    assert!(b.is_empty(), "trailing bytes in {}", path.display());
    out
}

fn run_protocol(protocol: &str) {
    let ports = Ports {
        grpc: free_port(),
        http: free_port(),
        metrics: free_port(),
    };
    let mut c = start(&ports);
    let recording = c.path("sent.rec");
    let endpoint = match protocol {
        "grpc" => format!("127.0.0.1:{}", ports.grpc),
        _ => format!("127.0.0.1:{}", ports.http),
    };
    python_script(
        "sdk_client.py",
        &[
            "--protocol",
            protocol,
            "--endpoint",
            &endpoint,
            "--record",
            recording.to_str().unwrap(),
        ],
    );
    let sent = read_recording(&recording);
    let by_signal = |code: char| -> Vec<Vec<u8>> {
        sent.iter()
            .filter(|(s, _)| *s == code)
            .map(|(_, b)| b.clone())
            .collect()
    };
    let (traces, metrics, logs) = (by_signal('t'), by_signal('m'), by_signal('l'));
    assert!(!traces.is_empty() && !metrics.is_empty() && !logs.is_empty());

    // Self-metrics count every item the SDK sent.
    let transport = if protocol == "grpc" { "grpc" } else { "http" };
    let spans: usize = traces
        .iter()
        .map(|b| {
            pdata::payload::Request::item_count(&ExportTraceServiceRequest::decode(&b[..]).unwrap())
        })
        .sum();
    let accepted = metric(
        ports.metrics,
        "otelcol_receiver_accepted_spans",
        &[("receiver", "otlp"), ("transport", transport)],
    );
    assert_eq!(accepted, Some(spans as f64), "accepted spans");

    let status = c.stop();
    assert!(status.success(), "{}", c.logs());
    let written = |name: &str| frames(&c.path(name));
    if protocol == "http-json" {
        // JSON is decoded and re-encoded: compare messages, not bytes.
        assert_eq!(
            decode_all::<ExportTraceServiceRequest>(&written("traces.bin")),
            decode_all(&traces)
        );
        assert_eq!(
            decode_all::<ExportMetricsServiceRequest>(&written("metrics.bin")),
            decode_all(&metrics)
        );
        assert_eq!(
            decode_all::<ExportLogsServiceRequest>(&written("logs.bin")),
            decode_all(&logs)
        );
    } else {
        // Protobuf passes through untouched: bit-exact.
        assert_eq!(written("traces.bin"), traces, "traces differ");
        assert_eq!(written("metrics.bin"), metrics, "metrics differ");
        assert_eq!(written("logs.bin"), logs, "logs differ");
    }
    // All five point kinds made it.
    let kinds: std::collections::BTreeSet<&str> =
        decode_all::<ExportMetricsServiceRequest>(&written("metrics.bin"))
            .iter()
            .flat_map(|r| &r.resource_metrics)
            .flat_map(|r| &r.scope_metrics)
            .flat_map(|s| &s.metrics)
            .filter_map(|m| m.data.as_ref())
            .map(|d| {
                use pdata::proto::metrics::v1::metric::Data;
                match d {
                    Data::Gauge(_) => "gauge",
                    Data::Sum(_) => "sum",
                    Data::Histogram(_) => "histogram",
                    Data::ExponentialHistogram(_) => "exponential_histogram",
                    Data::Summary(_) => "summary",
                }
            })
            .collect();
    assert_eq!(kinds.len(), 5, "{kinds:?}");
}

fn decode_all<M: Message + Default>(frames: &[Vec<u8>]) -> Vec<M> {
    frames.iter().map(|b| M::decode(&b[..]).unwrap()).collect()
}

#[test]
fn sdk_over_grpc_arrives_bit_exact() {
    run_protocol("grpc");
}

#[test]
fn sdk_over_http_protobuf_arrives_bit_exact() {
    run_protocol("http-proto");
}

#[test]
fn sdk_over_http_json_arrives_intact() {
    run_protocol("http-json");
}
