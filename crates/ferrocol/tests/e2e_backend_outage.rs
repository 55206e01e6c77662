//! A backend outage, end to end: client → A (otlp receiver → otlp_grpc exporter with a small
//! in-memory sending_queue and short retries) → B (otlp receiver → file), with B down while the
//! client sends 50,000 spans.
//!
//! B stays down 60 s, as the issue describes. The outage outlasts `max_elapsed_time` (20 s): the
//! requests A holds when it starts give up (`send_failed`), the queue (20 requests) fills and
//! refuses the rest (`enqueue_failed`, retried by the client), and the data sent after B comes
//! back arrives.
//!
//! Every span is accounted for, exactly:
//! - client acknowledged = A `otelcol_receiver_accepted_spans` (refused requests were retried);
//! - A accepted = `otelcol_exporter_sent_spans` + `otelcol_exporter_send_failed_spans` once the
//!   queue is empty (an accepted span is either delivered or given up, and counted as such);
//! - A `otelcol_receiver_refused_spans` = `otelcol_exporter_enqueue_failed_spans` (the only
//!   refusals are the full queue's, which never reach the exporter's other counters) = the
//!   client's retried refusals × spans per request;
//! - B holds exactly `sent` spans, each once.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::{Collector, free_port, metric, python_script};
use pdata::ExportTraceServiceRequest;
use prost::Message;

const REQUESTS: u64 = 50;
const SPANS: u64 = 1000;
const OUTAGE: Duration = Duration::from_secs(60);

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

/// Span names in a file exporter's `format: proto` output.
fn spans_in(path: &std::path::Path) -> Vec<String> {
    let data = std::fs::read(path).unwrap_or_default();
    let mut names = Vec::new();
    let mut rest = &data[..];
    while !rest.is_empty() {
        let len = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
        let req = ExportTraceServiceRequest::decode(&rest[4..4 + len]).unwrap();
        names.extend(
            req.resource_spans
                .iter()
                .flat_map(|r| &r.scope_spans)
                .flat_map(|s| &s.spans)
                .map(|s| s.name.clone()),
        );
        rest = &rest[4 + len..];
    }
    names
}

#[test]
fn an_outage_loses_nothing_silently() {
    let (a_grpc, a_metrics, b_grpc, b_metrics) =
        (free_port(), free_port(), free_port(), free_port());
    let a_yaml = format!(
        "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:{a_grpc}\n\
         exporters:\n  otlp_grpc:\n    endpoint: 127.0.0.1:{b_grpc}\n    tls:\n      insecure: true\n\
         \x20   sending_queue:\n      queue_size: 20\n\
         \x20   retry_on_failure:\n      initial_interval: 200ms\n      max_interval: 1s\n      max_elapsed_time: 20s\n\
         service:\n  telemetry:\n    metrics:\n      address: 127.0.0.1:{a_metrics}\n\
         \x20 pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: [otlp_grpc]\n"
    );
    let mut a = Collector::start(&a_yaml);
    a.wait_ready();

    let client = std::thread::spawn(move || {
        let out = python_script(
            "blast.py",
            &[
                "--endpoint",
                &format!("127.0.0.1:{a_grpc}"),
                "--requests",
                &REQUESTS.to_string(),
                "--spans",
                &SPANS.to_string(),
                "--report-refusals",
            ],
        );
        let report: serde_json::Value =
            serde_json::from_slice(&out.stdout).expect("blast.py report");
        report
    });

    // B is down: A queues, retries, gives up on the oldest requests and refuses when full.
    std::thread::sleep(OUTAGE);
    let b_out = tempfile::tempdir().unwrap();
    let out = b_out.path().join("spans.bin");
    let b_yaml = format!(
        "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:{b_grpc}\n\
         exporters:\n  file:\n    path: {}\n    format: proto\n\
         service:\n  telemetry:\n    metrics:\n      address: 127.0.0.1:{b_metrics}\n  pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: [file]\n",
        out.display()
    );
    let mut b = Collector::start(&b_yaml);
    b.wait_ready();

    let report = client.join().expect("client thread");
    let acknowledged = report["sent"].as_u64().expect("sent");
    let unavailable = report["refusals"]["UNAVAILABLE"].as_u64().unwrap_or(0);
    let exhausted = report["refusals"]["RESOURCE_EXHAUSTED"]
        .as_u64()
        .unwrap_or(0);
    assert_eq!(
        acknowledged,
        REQUESTS * SPANS,
        "every request was acknowledged in the end"
    );

    // Let A's queue drain (the consumers finish what they hold, delivered or given up).
    wait_until("A's queue to drain", Duration::from_secs(60), || {
        metric(
            a_metrics,
            "otelcol_exporter_queue_size",
            &[("exporter", "otlp_grpc"), ("data_type", "traces")],
        ) == Some(0.0)
    });

    let rx = [("receiver", "otlp"), ("transport", "grpc")];
    let ex = [("exporter", "otlp_grpc")];
    let accepted = counter(a_metrics, "otelcol_receiver_accepted_spans", &rx);
    let refused = counter(a_metrics, "otelcol_receiver_refused_spans", &rx);
    let sent = counter(a_metrics, "otelcol_exporter_sent_spans", &ex);
    let send_failed = counter(a_metrics, "otelcol_exporter_send_failed_spans", &ex);
    let enqueue_failed = counter(a_metrics, "otelcol_exporter_enqueue_failed_spans", &ex);
    let a_logs = a.logs();
    eprintln!(
        "client: acknowledged {acknowledged}, retried refusals UNAVAILABLE {unavailable} RESOURCE_EXHAUSTED {exhausted}; \
         A: accepted {accepted} refused {refused} sent {sent} send_failed {send_failed} enqueue_failed {enqueue_failed}"
    );

    assert_eq!(
        accepted, acknowledged,
        "A accepted what the client was told"
    );
    assert_eq!(
        accepted,
        sent + send_failed,
        "every accepted span was delivered or counted as given up\n{a_logs}"
    );
    assert_eq!(refused, enqueue_failed, "every refusal is the full queue's");
    assert_eq!(
        refused,
        (unavailable + exhausted) * SPANS,
        "each refused request is one the client retried"
    );
    // The outage outlasted max_elapsed_time and the queue: both paths were taken.
    assert!(
        send_failed > 0,
        "requests held through the outage were given up"
    );
    assert!(enqueue_failed > 0, "the full queue refused data");
    assert!(sent > 0, "data flowed once B was back");

    // The drops were logged with upstream's message and fields.
    let dropped = a_logs
        .lines()
        .find(|l| l.contains("Exporting failed. Dropping data."))
        .unwrap_or_else(|| panic!("no drop line:\n{a_logs}"));
    assert!(
        dropped.contains("\"dropped_items\":1000") && dropped.contains("\"error\":"),
        "{dropped}"
    );
    assert!(
        a_logs.contains("Dropping data because sending_queue is full. Try increasing queue_size."),
        "{a_logs}"
    );

    // B holds exactly what A counts as sent, each span once.
    wait_until("B to receive what A sent", Duration::from_secs(30), || {
        metric(
            b_metrics,
            "otelcol_receiver_accepted_spans",
            &[("receiver", "otlp")],
        ) == Some(sent as f64)
    });
    assert!(a.stop().success());
    assert!(b.stop().success(), "{}", b.logs());
    let names = spans_in(&out);
    assert_eq!(
        names.len() as u64,
        sent,
        "B's file holds exactly the sent spans"
    );
    assert_eq!(
        names.iter().collect::<BTreeSet<_>>().len(),
        names.len(),
        "no span was delivered twice"
    );
}
