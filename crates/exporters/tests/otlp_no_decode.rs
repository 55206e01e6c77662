//! Its own test binary, so that no other test decodes concurrently and the process-wide decode
//! counter proves that `otlp_grpc` and `otlp_http` (protobuf) forward the received bytes without
//! decoding or re-encoding them (DESIGN.md §3).

#[path = "otlp_exporters/support.rs"]
mod support;

use pdata::payload::decode_count;
use support::*;

#[tokio::test]
async fn otlp_exporters_forward_without_decoding() {
    let grpc = Server::start(Protocol::Grpc, None).await;
    let http = Server::start(Protocol::Http, None).await;
    let retry = "retry_on_failure: {enabled: false}\nsending_queue: {wait_for_result: true}\n";
    let g = start(
        &exporters::otlp_grpc_factory(),
        "otlp_grpc",
        &format!("endpoint: {}\ntls: {{insecure: true}}\n{retry}", grpc.addr),
    )
    .await;
    let h = start(
        &exporters::otlp_http_factory(),
        "otlp_http",
        &format!("endpoint: http://{}\n{retry}", http.addr),
    )
    .await;
    let (traces, t) = encoded(&trace_request(100));
    let (metrics, m) = encoded(&metrics_request(10));
    let (logs, l) = encoded(&logs_request(10));
    let before = decode_count();
    for e in [&g, &h] {
        e.traces
            .as_ref()
            .unwrap()
            .consume(traces.clone())
            .await
            .unwrap();
        e.metrics
            .as_ref()
            .unwrap()
            .consume(metrics.clone())
            .await
            .unwrap();
        e.logs
            .as_ref()
            .unwrap()
            .consume(logs.clone())
            .await
            .unwrap();
    }
    assert_eq!(decode_count(), before, "an OTLP exporter decoded a payload");
    for server in [&grpc, &http] {
        let got: Vec<_> = server.received().into_iter().map(|r| r.message).collect();
        assert_eq!(got, vec![t.clone(), m.clone(), l.clone()]);
    }
    stop(&g).await;
    stop(&h).await;
}
