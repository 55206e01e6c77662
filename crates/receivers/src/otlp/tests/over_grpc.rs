//! OTLP/gRPC through a tonic client that sends and receives raw bytes.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use http_body_util::BodyExt;
use prost::Message;
use tonic::Code;
use tonic::codec::CompressionEncoding;

use super::*;
use helpers::grpc_codec::BytesCodec;

const TRACES: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
const METRICS: &str = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
const LOGS: &str = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";

/// One unary call with raw bytes.
async fn call(
    conn: &H2,
    path: &str,
    body: Vec<u8>,
    compression: Option<CompressionEncoding>,
    metadata: &[(&'static str, &'static str)],
) -> Result<Bytes, tonic::Status> {
    let mut client =
        tonic::client::Grpc::with_origin(conn.clone(), "http://localhost".parse().unwrap())
            .max_decoding_message_size(usize::MAX);
    if let Some(c) = compression {
        client = client.send_compressed(c);
    }
    client
        .ready()
        .await
        .map_err(|e| tonic::Status::unknown(e.to_string()))?;
    let mut req = tonic::Request::new(Bytes::from(body));
    for (k, v) in metadata {
        req.metadata_mut().insert(*k, v.parse().unwrap());
    }
    let path: http::uri::PathAndQuery = path.parse().unwrap();
    client
        .unary(req, path, BytesCodec)
        .await
        .map(|r| r.into_inner())
}

async fn grpc_receiver(sinks: &Sinks, cfg: GrpcConfig) -> (Running, H2) {
    let r = start(Some(cfg), None, sinks.all()).await;
    let conn = H2::connect(r.addr, None).await.unwrap();
    (r, conn)
}

#[tokio::test]
async fn all_signals_arrive_bit_exact_without_decoding() {
    let sinks = Sinks::new();
    let (r, conn) = grpc_receiver(
        &sinks,
        GrpcConfig {
            include_metadata: true,
            ..grpc_on_any_port()
        },
    )
    .await;
    let t = traces(5).encode_to_vec();
    let m = metrics(4).encode_to_vec();
    let l = logs(3).encode_to_vec();
    let decodes = pdata::decode_count();
    let empty_response = pdata::proto::collector::trace::v1::ExportTraceServiceResponse {
        partial_success: Some(Default::default()),
    }
    .encode_to_vec();
    assert_eq!(empty_response, [0x0a, 0x00]);
    assert_eq!(
        call(&conn, TRACES, t.clone(), None, &[("x-tenant", "a")])
            .await
            .unwrap(),
        empty_response
    );
    call(
        &conn,
        METRICS,
        m.clone(),
        Some(CompressionEncoding::Gzip),
        &[],
    )
    .await
    .unwrap();
    call(&conn, LOGS, l.clone(), Some(CompressionEncoding::Zstd), &[])
        .await
        .unwrap();
    call(
        &conn,
        TRACES,
        t.clone(),
        Some(CompressionEncoding::Deflate),
        &[],
    )
    .await
    .unwrap();
    assert_eq!(
        received(&sinks.traces),
        vec![(true, Bytes::from(t.clone())), (true, Bytes::from(t))]
    );
    assert_eq!(received(&sinks.metrics), vec![(true, Bytes::from(m))]);
    assert_eq!(received(&sinks.logs), vec![(true, Bytes::from(l))]);
    assert_eq!(
        pdata::decode_count(),
        decodes,
        "the proto path must not decode"
    );
    let first = sinks.traces.got.lock()[0].clone();
    assert_eq!(first.items(), 5);
    assert!(first.meta().client_addr.unwrap().ip().is_loopback());
    assert_eq!(
        first.meta().metadata.get("x-tenant"),
        Some(&vec!["a".to_string()])
    );
    r.stop().await;
}

#[tokio::test]
async fn signal_without_pipeline_is_an_unknown_service() {
    let sinks = Sinks::new();
    let consumers = component::ReceiverConsumers {
        traces: Some(sinks.traces.clone()),
        ..Default::default()
    };
    let r = start(Some(grpc_on_any_port()), None, consumers).await;
    let conn = H2::connect(r.addr, None).await.unwrap();
    let e = call(&conn, METRICS, metrics(1).encode_to_vec(), None, &[])
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::Unimplemented);
    assert_eq!(
        e.message(),
        "unknown service opentelemetry.proto.collector.metrics.v1.MetricsService"
    );
    let e = call(
        &conn,
        "/opentelemetry.proto.collector.trace.v1.TraceService/Push",
        vec![],
        None,
        &[],
    )
    .await
    .unwrap_err();
    assert_eq!(
        (e.code(), e.message()),
        (
            Code::Unimplemented,
            "unknown method Push for service opentelemetry.proto.collector.trace.v1.TraceService"
        )
    );
    call(&conn, TRACES, traces(1).encode_to_vec(), None, &[])
        .await
        .unwrap();
    r.stop().await;
}

#[tokio::test]
async fn malformed_protobuf_is_refused_and_the_server_keeps_serving() {
    let sinks = Sinks::new();
    let (r, conn) = grpc_receiver(&sinks, grpc_on_any_port()).await;
    let mut truncated = traces(3).encode_to_vec();
    truncated.truncate(truncated.len() - 4);
    for bad in [truncated, traces_with_invalid_utf8()] {
        let e = call(&conn, TRACES, bad, None, &[]).await.unwrap_err();
        // grpc-go answers a codec failure with Internal.
        assert_eq!(e.code(), Code::Internal, "{e:?}");
        assert!(
            e.message().starts_with(
                "grpc: failed to unmarshal the received message: invalid protobuf at byte"
            ),
            "{}",
            e.message()
        );
    }
    assert!(sinks.traces.got.lock().is_empty());
    call(&conn, TRACES, traces(2).encode_to_vec(), None, &[])
        .await
        .unwrap();
    assert_eq!(sinks.traces.got.lock().len(), 1);
    r.stop().await;
}

#[tokio::test]
async fn empty_request_succeeds_without_reaching_the_pipeline() {
    let sinks = Sinks::new();
    let (r, conn) = grpc_receiver(&sinks, grpc_on_any_port()).await;
    call(&conn, LOGS, Vec::new(), None, &[]).await.unwrap();
    assert!(sinks.logs.got.lock().is_empty());
    r.stop().await;
}

#[tokio::test]
async fn message_size_limit_applies_before_and_after_decompression() {
    let sinks = Sinks::new();
    let (r, conn) = grpc_receiver(
        &sinks,
        GrpcConfig {
            max_recv_msg_size_mib: 1,
            ..grpc_on_any_port()
        },
    )
    .await;
    let big = vec![0u8; (1 << 20) + 1];
    let e = call(&conn, TRACES, big, None, &[]).await.unwrap_err();
    assert_eq!(e.code(), Code::ResourceExhausted);
    assert_eq!(
        e.message(),
        "grpc: received message larger than max (1048577 vs. 1048576)"
    );

    // A gzip bomb: 100 MB of zeros in ~100 KB, sent as an already-compressed frame.
    let bomb = gzip_zeros(100 << 20);
    assert!(bomb.len() < 200 << 10);
    let e = raw_call(r.addr, TRACES, "gzip", true, &bomb).await;
    assert_eq!(
        e,
        (
            8,
            "grpc: received message after decompression larger than max 1048576".to_string()
        )
    );
    call(&conn, TRACES, traces(1).encode_to_vec(), None, &[])
        .await
        .unwrap();
    r.stop().await;
}

/// Sends one hand-framed message and returns (grpc-status, grpc-message).
async fn raw_call(
    addr: SocketAddr,
    path: &str,
    encoding: &str,
    compressed: bool,
    msg: &[u8],
) -> (i32, String) {
    let io = super::connect(addr, None).await.unwrap();
    let (mut send, conn) =
        hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), io)
            .await
            .unwrap();
    tokio::spawn(conn);
    let mut frame = BytesMut::new();
    frame.put_u8(u8::from(compressed));
    frame.put_u32(msg.len() as u32);
    frame.extend_from_slice(msg);
    let req = http::Request::post(format!("http://localhost{path}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .header("grpc-encoding", encoding)
        .body(http_body_util::Full::new(frame.freeze()))
        .unwrap();
    let resp = send.send_request(req).await.unwrap();
    let (parts, body) = resp.into_parts();
    let collected = body.collect().await.unwrap();
    let trailers = collected.trailers().cloned().unwrap_or_default();
    let get = |name: &str| {
        parts
            .headers
            .get(name)
            .or_else(|| trailers.get(name))
            .map(|v| v.to_str().unwrap().to_string())
    };
    let code = get("grpc-status").unwrap_or_default().parse().unwrap_or(-1);
    let message = get("grpc-message")
        .map(|m| percent_decode(&m))
        .unwrap_or_default();
    (code, message)
}

fn percent_decode(s: &str) -> String {
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let hex = s
            .get(i + 1..i + 3)
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (s.as_bytes()[i], hex) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn snappy_is_accepted_as_upstream_registers_it() {
    let sinks = Sinks::new();
    let (r, _conn) = grpc_receiver(&sinks, grpc_on_any_port()).await;
    let t = traces(2).encode_to_vec();
    let framed =
        helpers::compression::compress(helpers::compression::Encoding::SnappyFramed, None, &t)
            .unwrap();
    assert_eq!(
        raw_call(r.addr, TRACES, "snappy", true, &framed).await,
        (0, String::new())
    );
    assert_eq!(received(&sinks.traces), vec![(true, Bytes::from(t))]);
    let (code, msg) = raw_call(r.addr, TRACES, "br", true, b"xx").await;
    assert_eq!(
        (code, msg.as_str()),
        (
            12,
            "grpc: Decompressor is not installed for grpc-encoding \"br\""
        )
    );
    r.stop().await;
}

#[tokio::test]
async fn pipeline_errors_map_to_upstream_codes() {
    let sinks = Sinks::new();
    let (r, conn) = grpc_receiver(&sinks, grpc_on_any_port()).await;
    let body = traces(2).encode_to_vec();
    sinks.answer(Answer::Retryable);
    let e = call(&conn, TRACES, body.clone(), None, &[])
        .await
        .unwrap_err();
    assert_eq!(
        (e.code(), e.message()),
        (Code::Unavailable, "data refused due to high memory usage")
    );
    sinks.answer(Answer::Permanent);
    let e = call(&conn, TRACES, body.clone(), None, &[])
        .await
        .unwrap_err();
    assert_eq!(
        (e.code(), e.message()),
        (Code::Internal, "bad data from test")
    );
    sinks.answer(Answer::Throttled(Duration::from_secs(7)));
    let e = call(&conn, TRACES, body.clone(), None, &[])
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::ResourceExhausted);
    assert_eq!(
        helpers::status::retry_delay(&e),
        Some(Duration::from_secs(7))
    );
    sinks.answer(Answer::Ok);
    call(&conn, TRACES, body, None, &[]).await.unwrap();
    r.stop().await;
}

#[tokio::test]
async fn tls_and_mutual_tls() {
    let pki = pki();
    let sinks = Sinks::new();
    let tls = start(
        Some(GrpcConfig {
            tls: Some(pki.server_tls(false)).into(),
            ..grpc_on_any_port()
        }),
        None,
        sinks.all(),
    )
    .await;
    let conn = H2::connect(tls.addr, Some(pki.client_tls(false, &[b"h2"])))
        .await
        .unwrap();
    call(&conn, TRACES, traces(1).encode_to_vec(), None, &[])
        .await
        .unwrap();
    // Plaintext against a TLS port does not get through.
    let plain = H2::connect(tls.addr, None).await;
    if let Ok(c) = plain {
        assert!(
            call(&c, TRACES, traces(1).encode_to_vec(), None, &[])
                .await
                .is_err()
        );
    }
    tls.stop().await;

    let mtls = start(
        Some(GrpcConfig {
            tls: Some(pki.server_tls(true)).into(),
            ..grpc_on_any_port()
        }),
        None,
        sinks.all(),
    )
    .await;
    let without_cert = H2::connect(mtls.addr, Some(pki.client_tls(false, &[b"h2"]))).await;
    match without_cert {
        Err(_) => {}
        Ok(c) => assert!(
            call(&c, TRACES, traces(1).encode_to_vec(), None, &[])
                .await
                .is_err()
        ),
    }
    let conn = H2::connect(mtls.addr, Some(pki.client_tls(true, &[b"h2"])))
        .await
        .unwrap();
    call(&conn, TRACES, traces(1).encode_to_vec(), None, &[])
        .await
        .unwrap();
    assert_eq!(sinks.traces.got.lock().len(), 2);
    mtls.stop().await;
}
