//! `otlp_http` against an in-test HTTP server.

use std::time::{Duration, Instant};

use bytes::Bytes;
use component::{ConsumeError, Signal, Stability};
use pdata::proto::collector::logs::v1::{ExportLogsPartialSuccess, ExportLogsServiceResponse};
use pdata::proto::collector::metrics::v1::{
    ExportMetricsPartialSuccess, ExportMetricsServiceResponse,
};
use prost::Message;

use crate::support::*;

fn factory() -> std::sync::Arc<dyn component::ExporterFactory> {
    exporters::otlp_http_factory()
}

fn yaml(endpoint: &str, extra: &str) -> String {
    format!(
        "endpoint: {endpoint}\nsending_queue: {{wait_for_result: true}}\nretry_on_failure: {{initial_interval: 10ms, max_interval: 100ms, randomization_factor: 0, max_elapsed_time: 10s}}\n{extra}"
    )
}

fn base(server: &Server) -> String {
    format!("http://{}", server.addr)
}

#[test]
fn factory_facts() {
    let f = factory();
    assert_eq!(f.kind(), "otlp_http");
    assert_eq!(f.deprecated_kinds(), &["otlphttp"]);
    for s in Signal::ALL {
        assert_eq!(f.stability(s), Some(Stability::Stable));
    }
    assert_eq!(
        create(&f, "otlp_http/x", "timeout: 1s").err().unwrap(),
        "at least one endpoint must be specified"
    );
    // A pipeline for a signal without an endpoint cannot be built.
    assert_eq!(
        create(&f, "otlp_http/x", "traces_endpoint: http://h/t")
            .err()
            .unwrap(),
        "either endpoint or metrics_endpoint must be specified"
    );
}

#[tokio::test]
async fn posts_the_received_bytes_gzip_compressed_with_headers() {
    let server = Server::start(Protocol::Http, None).await;
    let e = start(
        &factory(),
        "otlp_http/bytes",
        &yaml(
            &base(&server),
            "headers: {x-tenant: acme}\nlogs_endpoint: ELSEWHERE\n"
                .replace("ELSEWHERE", &format!("{}/custom/logs", base(&server)))
                .as_str(),
        ),
    )
    .await;
    let (traces, t_bytes) = encoded(&trace_request(40));
    let (metrics, m_bytes) = encoded(&metrics_request(2));
    let (logs, l_bytes) = encoded(&logs_request(2));
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
    for (r, (path, bytes)) in got.iter().zip([
        ("/v1/traces", &t_bytes),
        ("/v1/metrics", &m_bytes),
        ("/custom/logs", &l_bytes),
    ]) {
        assert_eq!(r.path, path);
        assert_eq!(r.header("content-type"), Some("application/x-protobuf"));
        assert_eq!(r.header("content-encoding"), Some("gzip"));
        assert_ne!(&r.wire, bytes, "compressed on the wire");
        assert_eq!(&r.message, bytes, "the exact bytes passed in");
        assert_eq!(r.header("x-tenant"), Some("acme"));
        assert!(
            r.header("user-agent")
                .unwrap()
                .starts_with("ferrocol/1.2.3 (")
        );
        assert_eq!(r.version, http::Version::HTTP_11);
    }
    assert!(traces.is_encoded());
    stop(&e).await;
}

#[tokio::test]
async fn json_encoding_and_no_compression() {
    let server = Server::start(Protocol::Http, None).await;
    let e = start(
        &factory(),
        "otlp_http/json",
        &yaml(&base(&server), "encoding: json\ncompression: none\n"),
    )
    .await;
    let req = trace_request(3);
    e.traces
        .as_ref()
        .unwrap()
        .consume(encoded(&req).0)
        .await
        .unwrap();
    let r = &server.received()[0];
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("content-encoding"), None);
    assert_eq!(pdata::json::decode_traces(&r.wire).unwrap(), req);
    stop(&e).await;
}

#[tokio::test]
async fn every_compression_decompresses_to_the_input() {
    let server = Server::start(Protocol::Http, None).await;
    let (traces, bytes) = encoded(&trace_request(20));
    for alg in [
        "zstd",
        "zlib",
        "deflate",
        "snappy",
        "x-snappy-framed",
        "lz4",
    ] {
        let e = start(
            &factory(),
            &format!("otlp_http/c_{}", alg.replace('-', "_")),
            &yaml(&base(&server), &format!("compression: {alg}\n")),
        )
        .await;
        e.traces
            .as_ref()
            .unwrap()
            .consume(traces.clone())
            .await
            .unwrap();
        let r = server.received().pop().unwrap();
        assert_eq!(r.header("content-encoding"), Some(alg));
        assert_eq!(r.message, bytes, "{alg}");
        stop(&e).await;
    }
}

#[tokio::test]
async fn status_503_with_retry_after_waits_then_succeeds() {
    let server = Server::start(Protocol::Http, None).await;
    server.reply(Reply::Http {
        status: 503,
        headers: vec![("retry-after", "1".into())],
        body: Bytes::new(),
    });
    let id = "otlp_http/retry_after";
    let e = start(&factory(), id, &yaml(&base(&server), "")).await;
    let t0 = Instant::now();
    e.traces
        .as_ref()
        .unwrap()
        .consume(encoded(&trace_request(4)).0)
        .await
        .unwrap();
    assert!(t0.elapsed() >= Duration::from_secs(1), "{:?}", t0.elapsed());
    assert_eq!(server.received().len(), 2);
    assert_eq!(metric("otelcol_exporter_sent_spans", id), 4);
    stop(&e).await;
}

#[tokio::test]
async fn statuses_429_502_504_retry() {
    let server = Server::start(Protocol::Http, None).await;
    for s in [429, 502, 504] {
        server.reply(Reply::http(s));
    }
    let e = start(&factory(), "otlp_http/retry", &yaml(&base(&server), "")).await;
    e.traces
        .as_ref()
        .unwrap()
        .consume(encoded(&trace_request(1)).0)
        .await
        .unwrap();
    assert_eq!(server.received().len(), 4);
    stop(&e).await;
}

#[tokio::test]
async fn status_400_with_a_status_body_is_permanent_with_its_message() {
    let server = Server::start(Protocol::Http, None).await;
    let status = pdata::proto::rpc::Status {
        code: 3,
        message: "bad data".into(),
        details: vec![],
    };
    server.reply(Reply::Http {
        status: 400,
        headers: vec![("content-type", "application/x-protobuf".into())],
        body: Bytes::from(status.encode_to_vec()),
    });
    server.reply(Reply::Http {
        status: 400,
        headers: vec![("content-type", "application/json".into())],
        body: Bytes::from(r#"{"code":3,"message":"bad json data"}"#),
    });
    let id = "otlp_http/bad";
    let e = start(&factory(), id, &yaml(&base(&server), "")).await;
    for want in ["Message=bad data,", "Message=bad json data,"] {
        let err = e
            .traces
            .as_ref()
            .unwrap()
            .consume(encoded(&trace_request(2)).0)
            .await
            .unwrap_err();
        assert!(matches!(err, ConsumeError::Permanent(_)), "{err}");
        let msg = err.to_string();
        assert!(
            msg.contains(&format!(
                "request to {}/v1/traces responded with HTTP Status Code 400",
                base(&server)
            )),
            "{msg}"
        );
        assert!(msg.contains(want), "{msg}");
    }
    assert_eq!(server.received().len(), 2, "not retried");
    assert_eq!(metric("otelcol_exporter_send_failed_spans", id), 4);
    stop(&e).await;
}

#[tokio::test]
async fn other_statuses_are_permanent() {
    let server = Server::start(Protocol::Http, None).await;
    for s in [401, 403, 404, 413, 500] {
        server.reply(Reply::http(s));
    }
    let e = start(&factory(), "otlp_http/perm", &yaml(&base(&server), "")).await;
    for s in [401, 403, 404, 413, 500] {
        let err = e
            .traces
            .as_ref()
            .unwrap()
            .consume(encoded(&trace_request(1)).0)
            .await
            .unwrap_err();
        assert!(err.is_permanent(), "{s}: {err}");
        assert!(err.to_string().contains(&format!("Code {s}")), "{err}");
    }
    assert_eq!(server.received().len(), 5);
    stop(&e).await;
}

#[tokio::test(flavor = "current_thread")]
async fn partial_success_in_protobuf_and_json_is_logged_and_counts_as_sent() {
    let (lines, _guard) = capture_logs();
    let server = Server::start(Protocol::Http, None).await;
    let metrics_resp = ExportMetricsServiceResponse {
        partial_success: Some(ExportMetricsPartialSuccess {
            rejected_data_points: 3,
            error_message: "3 points dropped".into(),
        }),
    };
    server.reply(Reply::Http {
        status: 200,
        headers: vec![("content-type", "application/x-protobuf".into())],
        body: Bytes::from(metrics_resp.encode_to_vec()),
    });
    let logs_resp = ExportLogsServiceResponse {
        partial_success: Some(ExportLogsPartialSuccess {
            rejected_log_records: 1,
            error_message: "one log dropped".into(),
        }),
    };
    server.reply(Reply::Http {
        status: 200,
        headers: vec![("content-type", "application/json".into())],
        body: Bytes::from(pdata::json::encode_logs_response(&logs_resp)),
    });
    let id = "otlp_http/partial";
    let e = start(&factory(), id, &yaml(&base(&server), "")).await;
    e.metrics
        .as_ref()
        .unwrap()
        .consume(encoded(&metrics_request(5)).0)
        .await
        .unwrap();
    e.logs
        .as_ref()
        .unwrap()
        .consume(encoded(&logs_request(2)).0)
        .await
        .unwrap();
    assert_eq!(server.received().len(), 2, "not retried");
    assert_eq!(metric("otelcol_exporter_sent_metric_points", id), 5);
    assert_eq!(metric("otelcol_exporter_sent_log_records", id), 2);
    let lines = lines.lock().clone();
    let warned = |needle: &[&str]| {
        lines.iter().any(|l| {
            l.starts_with("WARN")
                && l.contains("Partial success response")
                && needle.iter().all(|n| l.contains(n))
        })
    };
    assert!(
        warned(&["message=3 points dropped", "dropped_data_points=3"]),
        "{lines:#?}"
    );
    assert!(
        warned(&["message=one log dropped", "dropped_log_records=1"]),
        "{lines:#?}"
    );
    stop(&e).await;
}

#[tokio::test]
async fn an_unparseable_2xx_body_is_permanent_and_an_empty_one_is_fine() {
    let server = Server::start(Protocol::Http, None).await;
    server.reply(Reply::Http {
        status: 200,
        headers: vec![("content-type", "application/json".into())],
        body: Bytes::from_static(b"{not json"),
    });
    server.reply(Reply::Http {
        status: 202,
        headers: vec![("content-type", "application/x-protobuf".into())],
        body: Bytes::new(),
    });
    server.reply(Reply::Http {
        status: 200,
        headers: vec![("content-type", "text/plain".into())],
        body: Bytes::from_static(b"ok"),
    });
    let e = start(&factory(), "otlp_http/garbage", &yaml(&base(&server), "")).await;
    let send = || {
        e.traces
            .as_ref()
            .unwrap()
            .consume(encoded(&trace_request(1)).0)
    };
    let err = send().await.unwrap_err();
    assert!(err.is_permanent(), "{err}");
    assert!(
        err.to_string().contains("error parsing json response"),
        "{err}"
    );
    send().await.unwrap();
    send().await.unwrap();
    assert_eq!(server.received().len(), 3);
    stop(&e).await;
}

#[tokio::test]
async fn a_backend_down_at_start_gets_the_data_once_up() {
    let port = free_port();
    let id = "otlp_http/late";
    let e = start(
        &factory(),
        id,
        &yaml(&format!("http://127.0.0.1:{port}"), ""),
    )
    .await;
    let consumer = e.traces.clone().unwrap();
    let (traces, bytes) = encoded(&trace_request(3));
    let send = tokio::spawn(async move { consumer.consume(traces).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!send.is_finished(), "still retrying");
    let server = Server::start_on(Protocol::Http, None, port).await;
    send.await.unwrap().unwrap();
    assert_eq!(server.received()[0].message, bytes);
    assert_eq!(metric("otelcol_exporter_sent_spans", id), 3);
    stop(&e).await;
}

#[tokio::test]
async fn connection_refused_is_retryable_with_the_cause() {
    let port = free_port();
    let e = start(
        &factory(),
        "otlp_http/refused",
        &format!(
            "endpoint: http://127.0.0.1:{port}\nsending_queue: {{enabled: false}}\nretry_on_failure: {{enabled: false}}\n"
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
    assert!(
        msg.starts_with(&format!(
            "failed to make an HTTP request: Post \"http://127.0.0.1:{port}/v1/traces\""
        )),
        "{msg}"
    );
    assert!(msg.to_lowercase().contains("refused"), "{msg}");
    stop(&e).await;
}

#[tokio::test]
async fn tls_with_a_test_ca_negotiates_http2() {
    let pki = pki(&[b"h2", b"http/1.1"]);
    let server = Server::start(Protocol::Http, Some(pki.server.clone())).await;
    let port = server.addr.port();
    let ca = pki.ca_pem.replace('\n', "\\n");
    let e = start(
        &factory(),
        "otlp_http/tls",
        &format!(
            "endpoint: https://localhost:{port}\ntls: {{ca_pem: \"{ca}\"}}\nsending_queue: {{wait_for_result: true}}\nretry_on_failure: {{enabled: false}}\n"
        ),
    )
    .await;
    let (traces, bytes) = encoded(&trace_request(2));
    e.traces.as_ref().unwrap().consume(traces).await.unwrap();
    let r = &server.received()[0];
    assert_eq!(r.message, bytes);
    assert_eq!(r.version, http::Version::HTTP_2);
    stop(&e).await;

    // HTTP/1.1 only when force_attempt_http2 is off.
    let e = start(
        &factory(),
        "otlp_http/tls11",
        &format!(
            "endpoint: https://localhost:{port}\ntls: {{ca_pem: \"{ca}\"}}\nforce_attempt_http2: false\nsending_queue: {{wait_for_result: true}}\n"
        ),
    )
    .await;
    e.traces
        .as_ref()
        .unwrap()
        .consume(encoded(&trace_request(1)).0)
        .await
        .unwrap();
    assert_eq!(server.received()[1].version, http::Version::HTTP_11);
    stop(&e).await;

    // An untrusted server is not sent to.
    let other = crate::support::pki(&[b"h2"]).ca_pem.replace('\n', "\\n");
    let e = start(
        &factory(),
        "otlp_http/untrusted",
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
    assert_eq!(server.received().len(), 2);
    stop(&e).await;
}

#[tokio::test]
async fn max_conns_per_host_makes_requests_wait_instead_of_failing() {
    let server = Server::start(Protocol::Http, None).await;
    let e = start(
        &factory(),
        "otlp_http/conns",
        &yaml(&base(&server), "max_conns_per_host: 1\ncompression: none\n"),
    )
    .await;
    let c = e.traces.clone().unwrap();
    let sends: Vec<_> = (0..5)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.consume(encoded(&trace_request(1)).0).await })
        })
        .collect();
    for s in sends {
        s.await.unwrap().unwrap();
    }
    assert_eq!(server.received().len(), 5);
    stop(&e).await;
}

#[tokio::test]
async fn an_authenticator_fails_start_with_upstreams_message() {
    let e = create(
        &factory(),
        "otlp_http/auth",
        "endpoint: http://localhost:4318\nauth: {authenticator: sigv4auth}\n",
    )
    .unwrap();
    let err = e.component.start(&host()).await.err().unwrap();
    assert_eq!(
        err.to_string(),
        r#"failed to resolve authenticator "sigv4auth": authenticator not found"#
    );
}
