//! Two collectors in a chain: client → A (otlp receiver → otlp exporter) → B (otlp receiver →
//! file). 100,000 spans sent, 100,000 arrive, byte for byte.

mod common;

use common::{Collector, free_port, metric, python_script};
use pdata::ExportTraceServiceRequest;
use prost::Message;

#[test]
fn a_chain_of_two_collectors_loses_nothing() {
    let (a_grpc, a_metrics, b_grpc, b_metrics) =
        (free_port(), free_port(), free_port(), free_port());
    let b_dir = tempfile::tempdir().unwrap();
    let out = b_dir.path().join("spans.bin");
    let b_yaml = format!(
        "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:{b_grpc}\n\
         exporters:\n  file:\n    path: {}\n    format: proto\n\
         service:\n  telemetry:\n    metrics:\n      address: 127.0.0.1:{b_metrics}\n  pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: [file]\n",
        out.display()
    );
    std::fs::write(b_dir.path().join("b.yaml"), b_yaml).unwrap();
    let b_conf = b_dir.path().join("b.yaml").to_string_lossy().into_owned();
    let mut b = Collector::start_in(b_dir, &["--config", &b_conf], &[]);
    b.wait_ready();

    let a_yaml = format!(
        "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:{a_grpc}\n\
         exporters:\n  otlp:\n    endpoint: 127.0.0.1:{b_grpc}\n    tls:\n      insecure: true\n\
         service:\n  telemetry:\n    metrics:\n      address: 127.0.0.1:{a_metrics}\n  pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: [otlp]\n"
    );
    let mut a = Collector::start(&a_yaml);
    a.wait_ready();
    assert!(
        a.logs().contains("deprecated"),
        "the otlp alias warns:\n{}",
        a.logs()
    );

    let out_py = python_script(
        "blast.py",
        &[
            "--endpoint",
            &format!("127.0.0.1:{a_grpc}"),
            "--requests",
            "100",
            "--spans",
            "1000",
        ],
    );
    assert_eq!(String::from_utf8_lossy(&out_py.stdout).trim(), "100000");

    // A's queue drains to B; stopping A drains whatever is left.
    assert!(a.stop().success(), "{}", a.logs());
    assert_eq!(
        metric(
            b_metrics,
            "otelcol_receiver_accepted_spans",
            &[("receiver", "otlp")]
        ),
        Some(100_000.0),
        "A logs:\n{}",
        a.logs()
    );
    assert!(b.stop().success());
    let data = std::fs::read(&out).unwrap();
    let mut spans = 0;
    let mut names = std::collections::BTreeSet::new();
    let mut rest = &data[..];
    while !rest.is_empty() {
        let len = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
        let req = ExportTraceServiceRequest::decode(&rest[4..4 + len]).unwrap();
        for s in req
            .resource_spans
            .iter()
            .flat_map(|r| &r.scope_spans)
            .flat_map(|s| &s.spans)
        {
            spans += 1;
            names.insert(s.name.clone());
        }
        rest = &rest[4 + len..];
    }
    assert_eq!(spans, 100_000);
    assert_eq!(names.len(), 100_000, "every span arrived exactly once");
}
