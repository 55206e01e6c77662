//! Malformed and hostile requests against the running binary: each gets upstream's status, the
//! collector does not crash, memory stays bounded, and a good request right after still succeeds.

mod common;

use std::io::Write;

use common::{Collector, free_port, http, python_script};
use pdata::ExportTraceServiceRequest;
use pdata::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;

fn good_request() -> Vec<u8> {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans: vec![Span {
                    name: "ok".into(),
                    trace_id: vec![1; 16].into(),
                    span_id: vec![2; 8].into(),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
    .encode_to_vec()
}

fn peak_rss_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace()
        .nth(1)
        .unwrap()
        .parse::<u64>()
        .unwrap()
        / 1024
}

#[test]
fn bad_input_gets_the_right_status_and_nothing_breaks() {
    let (grpc, port) = (free_port(), free_port());
    let c = Collector::start(&format!(
        "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:{grpc}\n      http:\n        endpoint: 127.0.0.1:{port}\n        max_request_body_size: 1048576\n\
         exporters:\n  nop:\n\
         service:\n  telemetry:\n    metrics:\n      level: none\n  pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: [nop]\n"
    ));
    c.wait_ready();
    let proto = [("Content-Type", "application/x-protobuf")];
    let json = [("Content-Type", "application/json")];
    let assert_still_serving = || {
        let r = http(port, "POST", "/v1/traces", &proto, &good_request()).unwrap();
        assert_eq!(r.status, 200, "good request after bad input: {}", r.text());
    };
    assert_still_serving();

    // Truncated protobuf: 400 with a google.rpc.Status in protobuf.
    let good = good_request();
    let r = http(port, "POST", "/v1/traces", &proto, &good[..good.len() - 3]).unwrap();
    assert_eq!(r.status, 400);
    let status = pdata::proto::rpc::Status::decode(&r.body[..]).expect("protobuf Status body");
    assert_eq!(status.code, 3, "InvalidArgument");
    assert!(!status.message.is_empty());
    assert_still_serving();

    // Invalid UTF-8 in a string field.
    let mut bad_utf8 = good.clone();
    let at = bad_utf8.windows(2).position(|w| w == b"ok").unwrap();
    bad_utf8[at] = 0xff;
    let r = http(port, "POST", "/v1/traces", &proto, &bad_utf8).unwrap();
    assert_eq!(r.status, 400, "{}", r.text());
    assert_still_serving();

    // Invalid JSON: 400 with a JSON Status body.
    let r = http(port, "POST", "/v1/traces", &json, b"{\"resourceSpans\": [").unwrap();
    assert_eq!(r.status, 400);
    let body: serde_json::Value = serde_json::from_slice(&r.body).expect("JSON Status body");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert_still_serving();

    // Wrong content type: 415 naming the supported types.
    let r = http(
        port,
        "POST",
        "/v1/traces",
        &[("Content-Type", "text/plain")],
        b"hello",
    )
    .unwrap();
    assert_eq!(r.status, 415);
    assert!(
        r.text().contains("application/json") && r.text().contains("application/x-protobuf"),
        "{}",
        r.text()
    );
    assert_still_serving();

    // Wrong method.
    let r = http(port, "GET", "/v1/traces", &[], b"").unwrap();
    assert_eq!(r.status, 405);
    assert_still_serving();

    // Oversized body (limit 1 MiB).
    let big = vec![0u8; 2 * 1024 * 1024];
    let r = http(port, "POST", "/v1/traces", &proto, &big).unwrap();
    assert!(matches!(r.status, 400 | 413), "oversized: {}", r.status);
    assert_still_serving();

    // A gzip bomb: 200 MiB of zeros in ~200 KiB. Refused, and memory stays bounded.
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1024 * 1024];
    for _ in 0..200 {
        enc.write_all(&zeros).unwrap();
    }
    let bomb = enc.finish().unwrap();
    assert!(bomb.len() < 512 * 1024);
    let r = http(
        port,
        "POST",
        "/v1/traces",
        &[
            ("Content-Type", "application/x-protobuf"),
            ("Content-Encoding", "gzip"),
        ],
        &bomb,
    )
    .unwrap();
    assert!(matches!(r.status, 400 | 413), "gzip bomb: {}", r.status);
    assert!(
        peak_rss_mib(c.pid()) < 100,
        "peak RSS {} MiB",
        peak_rss_mib(c.pid())
    );
    assert_still_serving();

    // Truncated protobuf over real gRPC: INTERNAL, as grpc-go (and so upstream) answers a request
    // message that fails to unmarshal.
    let hex: String = good[..good.len() - 3]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let out = python_script(
        "grpc_raw.py",
        &["--endpoint", &format!("127.0.0.1:{grpc}"), "--hex", &hex],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("INTERNAL"), "{text}");
    assert!(text.contains("failed to unmarshal"), "{text}");
    let hex: String = good.iter().map(|b| format!("{b:02x}")).collect();
    let out = python_script(
        "grpc_raw.py",
        &["--endpoint", &format!("127.0.0.1:{grpc}"), "--hex", &hex],
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "OK");

    assert!(!c.is_dead(), "{}", c.logs());
    assert!(!c.logs().contains("panicked"), "{}", c.logs());
}
