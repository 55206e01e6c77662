//! `otlp_grpc` against an in-test HTTP/2 gRPC server.

use std::time::{Duration, Instant};

use bytes::Bytes;
use component::{ConsumeError, Signal, Stability};
use pdata::proto::collector::trace::v1::{ExportTracePartialSuccess, ExportTraceServiceResponse};
use prost::Message;

use crate::support::*;

fn factory() -> std::sync::Arc<dyn component::ExporterFactory> {
    exporters::otlp_grpc_factory()
}

/// A config that sends at once and reports the outcome to `consume`, retrying quickly.
fn yaml(addr: &str, extra: &str) -> String {
    format!(
        "endpoint: {addr}\ntls: {{insecure: true}}\nsending_queue: {{wait_for_result: true}}\nretry_on_failure: {{initial_interval: 10ms, max_interval: 100ms, randomization_factor: 0, max_elapsed_time: 10s}}\n{extra}"
    )
}

#[test]
fn factory_facts() {
    let f = factory();
    assert_eq!(f.kind(), "otlp_grpc");
    assert_eq!(f.deprecated_kinds(), &["otlp"]);
    for s in Signal::ALL {
        assert_eq!(f.stability(s), Some(Stability::Stable));
    }
    let e = create(&f, "otlp_grpc/x", "timeout: 1s").err().unwrap();
    assert_eq!(e, r#"requires a non-empty "endpoint""#);
}

#[tokio::test]
async fn sends_the_received_bytes_gzip_compressed_with_headers() {
    let server = Server::start(Protocol::Grpc, None).await;
    let addr = server.addr.to_string();
    let e = start(
        &factory(),
        "otlp_grpc/bytes",
        &yaml(&addr, "headers: {x-tenant: acme, X-Upper: yes}\n"),
    )
    .await;
    let (traces, t_bytes) = encoded(&trace_request(50));
    let (metrics, m_bytes) = encoded(&metrics_request(4));
    let (logs, l_bytes) = encoded(&logs_request(3));
    e.traces
        .as_ref()
        .unwrap()
        .consume(traces.clone())
        .await
        .unwrap();
    e.metrics.as_ref().unwrap().consume(metrics).await.unwrap();
    e.logs.as_ref().unwrap().consume(logs).await.unwrap();
    let got = server.received();
    assert_eq!(got.len(), 3);
    let expect = [
        (
            "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
            &t_bytes,
        ),
        (
            "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
            &m_bytes,
        ),
        (
            "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
            &l_bytes,
        ),
    ];
    for (r, (path, bytes)) in got.iter().zip(expect) {
        assert_eq!(r.path, path);
        assert_eq!(r.header("content-type"), Some("application/grpc"));
        assert_eq!(r.header("grpc-encoding"), Some("gzip"));
        assert!(r.compressed_flag);
        assert_ne!(&r.wire, bytes, "compressed on the wire");
        assert_eq!(&r.message, bytes, "the exact bytes passed in");
        assert_eq!(r.header("x-tenant"), Some("acme"));
        assert_eq!(r.header("x-upper"), Some("yes"));
        assert!(
            r.header("user-agent")
                .unwrap()
                .starts_with("ferrocol/1.2.3 ("),
            "{:?}",
            r.header("user-agent")
        );
        assert!(r.header("grpc-timeout").is_some());
        assert_eq!(r.version, http::Version::HTTP_2);
    }
    // The payload handed in was not decoded to be sent.
    assert!(traces.is_encoded());
    stop(&e).await;
}

#[tokio::test]
async fn zstd_and_no_compression() {
    let server = Server::start(Protocol::Grpc, None).await;
    let addr = server.addr.to_string();
    let (traces, bytes) = encoded(&trace_request(10));
    let z = start(
        &factory(),
        "otlp_grpc/zstd",
        &yaml(&addr, "compression: zstd\n"),
    )
    .await;
    z.traces
        .as_ref()
        .unwrap()
        .consume(traces.clone())
        .await
        .unwrap();
    let n = start(
        &factory(),
        "otlp_grpc/none",
        &yaml(&addr, "compression: none\n"),
    )
    .await;
    n.traces.as_ref().unwrap().consume(traces).await.unwrap();
    let got = server.received();
    assert_eq!(got[0].header("grpc-encoding"), Some("zstd"));
    assert!(got[0].compressed_flag);
    assert_eq!(got[0].message, bytes);
    assert_eq!(got[1].header("grpc-encoding"), None);
    assert!(!got[1].compressed_flag);
    assert_eq!(got[1].wire, bytes);
    stop(&z).await;
    stop(&n).await;
}

#[tokio::test]
async fn unavailable_is_retried_then_succeeds() {
    let server = Server::start(Protocol::Grpc, None).await;
    server.reply(Reply::GrpcStatus(
        tonic::Code::Unavailable,
        "busy".into(),
        None,
    ));
    server.reply(Reply::GrpcStatus(
        tonic::Code::Unavailable,
        "busy".into(),
        None,
    ));
    let id = "otlp_grpc/unavail";
    let e = start(&factory(), id, &yaml(&server.addr.to_string(), "")).await;
    let (traces, bytes) = encoded(&trace_request(7));
    e.traces.as_ref().unwrap().consume(traces).await.unwrap();
    let got = server.received();
    assert_eq!(got.len(), 3);
    assert!(got.iter().all(|r| r.message == bytes));
    assert_eq!(metric("otelcol_exporter_sent_spans", id), 7);
    assert_eq!(metric("otelcol_exporter_send_failed_spans", id), 0);
    stop(&e).await;
}

#[tokio::test]
async fn resource_exhausted_with_retry_info_waits_at_least_the_delay() {
    let server = Server::start(Protocol::Grpc, None).await;
    server.reply(Reply::GrpcStatus(
        tonic::Code::ResourceExhausted,
        "slow down".into(),
        Some(Duration::from_millis(400)),
    ));
    let e = start(
        &factory(),
        "otlp_grpc/throttle",
        &yaml(&server.addr.to_string(), ""),
    )
    .await;
    let t0 = Instant::now();
    e.traces
        .as_ref()
        .unwrap()
        .consume(encoded(&trace_request(1)).0)
        .await
        .unwrap();
    assert!(
        t0.elapsed() >= Duration::from_millis(400),
        "{:?}",
        t0.elapsed()
    );
    assert_eq!(server.received().len(), 2);
    stop(&e).await;
}

#[tokio::test]
async fn resource_exhausted_without_retry_info_is_permanent() {
    let server = Server::start(Protocol::Grpc, None).await;
    server.reply(Reply::GrpcStatus(
        tonic::Code::ResourceExhausted,
        "quota".into(),
        None,
    ));
    let e = start(
        &factory(),
        "otlp_grpc/exhausted",
        &yaml(&server.addr.to_string(), ""),
    )
    .await;
    let err = e
        .traces
        .as_ref()
        .unwrap()
        .consume(encoded(&trace_request(1)).0)
        .await
        .unwrap_err();
    assert!(err.is_permanent(), "{err}");
    assert_eq!(server.received().len(), 1);
    stop(&e).await;
}

#[tokio::test]
async fn invalid_argument_is_permanent_and_counted() {
    let server = Server::start(Protocol::Grpc, None).await;
    server.reply(Reply::GrpcStatus(
        tonic::Code::InvalidArgument,
        "bad spans".into(),
        None,
    ));
    let id = "otlp_grpc/invalid";
    let e = start(&factory(), id, &yaml(&server.addr.to_string(), "")).await;
    let err = e
        .traces
        .as_ref()
        .unwrap()
        .consume(encoded(&trace_request(5)).0)
        .await
        .unwrap_err();
    assert!(matches!(err, ConsumeError::Permanent(_)), "{err}");
    assert!(err.to_string().contains("InvalidArgument"), "{err}");
    assert!(err.to_string().contains("bad spans"), "{err}");
    assert_eq!(server.received().len(), 1, "not retried");
    assert_eq!(metric("otelcol_exporter_send_failed_spans", id), 5);
    assert_eq!(metric("otelcol_exporter_sent_spans", id), 0);
    stop(&e).await;
}

#[tokio::test(flavor = "current_thread")]
async fn partial_success_is_logged_and_counts_as_sent() {
    let (lines, _guard) = capture_logs();
    let server = Server::start(Protocol::Grpc, None).await;
    let response = ExportTraceServiceResponse {
        partial_success: Some(ExportTracePartialSuccess {
            rejected_spans: 2,
            error_message: "2 spans too old".into(),
        }),
    };
    server.reply(Reply::GrpcOk(Bytes::from(response.encode_to_vec())));
    let id = "otlp_grpc/partial";
    let e = start(&factory(), id, &yaml(&server.addr.to_string(), "")).await;
    e.traces
        .as_ref()
        .unwrap()
        .consume(encoded(&trace_request(6)).0)
        .await
        .unwrap();
    assert_eq!(server.received().len(), 1, "not retried");
    assert_eq!(metric("otelcol_exporter_sent_spans", id), 6);
    let lines = lines.lock().clone();
    assert!(
        lines.iter().any(|l| l.starts_with("WARN")
            && l.contains("Partial success response")
            && l.contains("message=2 spans too old")
            && l.contains("dropped_spans=2")),
        "{lines:#?}"
    );
    stop(&e).await;
}

#[tokio::test]
async fn a_backend_down_at_start_gets_the_data_once_up() {
    let port = free_port();
    let id = "otlp_grpc/late";
    let e = start(&factory(), id, &yaml(&format!("127.0.0.1:{port}"), "")).await;
    let consumer = e.traces.clone().unwrap();
    let (traces, bytes) = encoded(&trace_request(3));
    let send = tokio::spawn(async move { consumer.consume(traces).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!send.is_finished(), "still retrying");
    let server = Server::start_on(Protocol::Grpc, None, port).await;
    send.await.unwrap().unwrap();
    let got = server.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].message, bytes);
    assert_eq!(metric("otelcol_exporter_sent_spans", id), 3);
    stop(&e).await;
}

#[tokio::test]
async fn connection_refused_is_retryable_with_the_cause() {
    let port = free_port();
    let e = start(
        &factory(),
        "otlp_grpc/refused",
        &format!(
            "endpoint: 127.0.0.1:{port}\ntls: {{insecure: true}}\nsending_queue: {{enabled: false}}\nretry_on_failure: {{enabled: false}}\n"
        ),
    )
    .await;
    let err = e
        .traces
        .as_ref()
        .unwrap()
        .consume(encoded(&trace_request(1)).0)
        .await
        .unwrap_err();
    assert!(matches!(err, ConsumeError::Retryable(_)), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("Unavailable"), "{msg}");
    assert!(msg.to_lowercase().contains("refused"), "{msg}");
    stop(&e).await;
}

#[tokio::test]
async fn wait_for_ready_waits_for_the_backend_within_one_attempt() {
    let port = free_port();
    let e = start(
        &factory(),
        "otlp_grpc/wait",
        &format!(
            "endpoint: 127.0.0.1:{port}\ntls: {{insecure: true}}\nwait_for_ready: true\ntimeout: 5s\nsending_queue: {{enabled: false}}\nretry_on_failure: {{enabled: false}}\n"
        ),
    )
    .await;
    let consumer = e.traces.clone().unwrap();
    let send = tokio::spawn(async move { consumer.consume(encoded(&trace_request(1)).0).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let server = Server::start_on(Protocol::Grpc, None, port).await;
    send.await.unwrap().unwrap();
    assert_eq!(server.received().len(), 1);
    stop(&e).await;
}

#[tokio::test]
async fn tls_with_a_test_ca() {
    let pki = pki(&[b"h2"]);
    let server = Server::start(Protocol::Grpc, Some(pki.server.clone())).await;
    let port = server.addr.port();
    let ca = pki.ca_pem.replace('\n', "\\n");
    let e = start(
        &factory(),
        "otlp_grpc/tls",
        &format!(
            "endpoint: localhost:{port}\ntls: {{ca_pem: \"{ca}\"}}\nsending_queue: {{wait_for_result: true}}\nretry_on_failure: {{enabled: false}}\n"
        ),
    )
    .await;
    let (traces, bytes) = encoded(&trace_request(2));
    e.traces.as_ref().unwrap().consume(traces).await.unwrap();
    assert_eq!(server.received()[0].message, bytes);
    stop(&e).await;

    // A client that does not trust the CA does not send.
    let other = crate::support::pki(&[b"h2"]).ca_pem.replace('\n', "\\n");
    let e = start(
        &factory(),
        "otlp_grpc/untrusted",
        &format!(
            "endpoint: https://localhost:{port}\ntls: {{ca_pem: \"{other}\"}}\nsending_queue: {{enabled: false}}\nretry_on_failure: {{enabled: false}}\n"
        ),
    )
    .await;
    let err = e
        .traces
        .as_ref()
        .unwrap()
        .consume(encoded(&trace_request(1)).0)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("certificate"), "{err}");
    assert_eq!(server.received().len(), 1);
    stop(&e).await;
}

#[tokio::test]
async fn an_authenticator_fails_start_with_upstreams_message() {
    let e = create(
        &factory(),
        "otlp_grpc/auth",
        "endpoint: localhost:4317\nauth: {authenticator: oauth2client}\n",
    )
    .unwrap();
    let err = e.component.start(&host()).await.err().unwrap();
    assert_eq!(
        err.to_string(),
        r#"failed to resolve authenticator "oauth2client": authenticator not found"#
    );
}
