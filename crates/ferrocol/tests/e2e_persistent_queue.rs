//! A persistent sending queue survives `kill -9`: collector A (otlp receiver → otlp exporter with
//! `sending_queue::storage: file_storage`, `fsync: true`) takes spans while its backend is down,
//! is killed with SIGKILL, and is started again on the same storage directory; once backend B
//! comes up on the port A exports to, every span A acknowledged arrives at B (duplicates are
//! allowed — delivery is at least once — losses are not).

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::{Collector, free_port, metric, python_script};
use pdata::ExportTraceServiceRequest;
use prost::Message;

fn collector_a(grpc: u16, metrics: u16, backend: u16, storage: &std::path::Path) -> String {
    format!(
        "extensions:\n  file_storage:\n    directory: {}\n    fsync: true\n\
         receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:{grpc}\n\
         exporters:\n  otlp:\n    endpoint: 127.0.0.1:{backend}\n    tls:\n      insecure: true\n    timeout: 2s\n\
         \x20   sending_queue:\n      storage: file_storage\n      queue_size: 5000\n\
         \x20   retry_on_failure:\n      initial_interval: 100ms\n      max_interval: 500ms\n      max_elapsed_time: 0s\n\
         service:\n  extensions: [file_storage]\n  telemetry:\n    metrics:\n      address: 127.0.0.1:{metrics}\n\
         \x20 pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: [otlp]\n",
        storage.display()
    )
}

/// Distinct span names in a file written by the file exporter with `format: proto`, and the
/// total span count (duplicates included).
fn spans_in(path: &std::path::Path) -> (BTreeSet<String>, usize) {
    let data = std::fs::read(path).unwrap_or_default();
    let mut names = BTreeSet::new();
    let mut total = 0;
    let mut rest = &data[..];
    while rest.len() >= 4 {
        let len = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
        let Some(body) = rest.get(4..4 + len) else {
            break; // a record being written
        };
        let req = ExportTraceServiceRequest::decode(body).expect("valid request");
        for s in req
            .resource_spans
            .iter()
            .flat_map(|r| &r.scope_spans)
            .flat_map(|s| &s.spans)
        {
            total += 1;
            names.insert(s.name.clone());
        }
        rest = &rest[4 + len..];
    }
    (names, total)
}

#[test]
fn acknowledged_spans_survive_kill_9_and_arrive_after_restart() {
    let (a_grpc, a_metrics, backend, b_metrics) =
        (free_port(), free_port(), free_port(), free_port());
    let work = tempfile::tempdir().unwrap();
    let storage = work.path().join("storage");
    std::fs::create_dir(&storage).unwrap();
    let yaml = collector_a(a_grpc, a_metrics, backend, &storage);

    // Run 1: the backend is down; every request is stored and acknowledged.
    let a = Collector::start(&yaml);
    a.wait_ready();
    let (requests, per) = (40, 50);
    let out = python_script(
        "blast.py",
        &[
            "--endpoint",
            &format!("127.0.0.1:{a_grpc}"),
            "--requests",
            &requests.to_string(),
            "--spans",
            &per.to_string(),
        ],
    );
    let acknowledged: usize = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    assert_eq!(acknowledged, requests * per);
    assert_eq!(
        metric(
            a_metrics,
            "otelcol_exporter_queue_size",
            &[("exporter", "otlp_grpc")]
        ),
        Some(requests as f64),
        "{}",
        a.logs()
    );
    let client = storage.join("exporter_otlp_grpc__traces");
    assert!(client.is_dir(), "{}", a.logs());
    // No graceful anything: SIGKILL mid-outage.
    a.signal("KILL");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !a.is_dead() {
        assert!(Instant::now() < deadline, "A did not die");
        std::thread::sleep(Duration::from_millis(20));
    }
    let a_logs = a.logs();
    drop(a);

    // Run 2: the same config and storage; it replays what run 1 stored.
    let a2 = Collector::start(&yaml);
    a2.wait_ready();
    assert!(
        a2.wait_for_log(
            "Replaying data the previous run left in the persistent queue",
            Duration::from_secs(10)
        ),
        "{}",
        a2.logs()
    );

    // The backend comes up on the port A exports to.
    let b_dir = tempfile::tempdir().unwrap();
    let file = b_dir.path().join("spans.bin");
    let b_yaml = format!(
        "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:{backend}\n\
         exporters:\n  file:\n    path: {}\n    format: proto\n\
         service:\n  telemetry:\n    metrics:\n      address: 127.0.0.1:{b_metrics}\n  pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: [file]\n",
        file.display()
    );
    let b_conf = b_dir.path().join("b.yaml");
    std::fs::write(&b_conf, b_yaml).unwrap();
    let b_conf = b_conf.to_string_lossy().into_owned();
    let mut b = Collector::start_in(b_dir, &["--config", &b_conf], &[]);
    b.wait_ready();

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let accepted = metric(
            b_metrics,
            "otelcol_receiver_accepted_spans",
            &[("receiver", "otlp")],
        )
        .unwrap_or(0.0);
        if accepted as usize >= acknowledged {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "B accepted {accepted} of {acknowledged} spans.\nA (run 1):\n{a_logs}\nA (run 2):\n{}",
            a2.logs()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // The queue drains to empty: drained segments are deleted.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let segments = std::fs::read_dir(&client)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".log"))
            .count();
        if segments == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{segments} segments left after draining"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(a2);
    assert!(b.stop().success());
    let (names, total) = spans_in(&file);
    let expected: BTreeSet<String> = (0..requests)
        .flat_map(|n| (0..per).map(move |i| format!("span {n}-{i}")))
        .collect();
    let missing: Vec<_> = expected.difference(&names).take(5).collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged spans lost, e.g. {missing:?}",
        expected.difference(&names).count()
    );
    assert!(total >= acknowledged);
}
