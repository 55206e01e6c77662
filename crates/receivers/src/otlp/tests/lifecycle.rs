//! Start and shutdown: port conflicts, authenticators, graceful drain.

use std::time::{Duration, Instant};

use http::StatusCode;
use prost::Message;

use super::super::config::{AuthConfig, HttpAuthConfig};
use super::*;

#[tokio::test]
async fn a_taken_port_fails_start_naming_the_endpoint() {
    let taken = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = taken.local_addr().unwrap().to_string();
    let cfg = OtlpReceiverConfig {
        protocols: Protocols {
            grpc: Some(grpc_on_any_port()).into(),
            http: Some(HttpConfig {
                endpoint: endpoint.clone(),
                ..Default::default()
            })
            .into(),
        },
    };
    let r = OtlpReceiver::new(ComponentId::new("otlp", None), cfg, Sinks::new().all());
    let e = r.start(&host()).await.unwrap_err().to_string();
    assert!(e.contains(&endpoint), "{e}");
    assert!(e.to_lowercase().contains("address already in use"), "{e}");
    // The gRPC server started first was stopped again.
    assert!(r.local_addrs().is_empty());
}

#[tokio::test]
async fn a_missing_authenticator_fails_start_as_upstream() {
    let grpc = GrpcConfig {
        auth: Some(AuthConfig {
            authenticator: "basicauth/server".into(),
        })
        .into(),
        ..grpc_on_any_port()
    };
    let cfg = OtlpReceiverConfig {
        protocols: Protocols {
            grpc: Some(grpc).into(),
            http: None.into(),
        },
    };
    let r = OtlpReceiver::new(ComponentId::new("otlp", None), cfg, Sinks::new().all());
    assert_eq!(
        r.start(&host()).await.unwrap_err().to_string(),
        "failed to resolve authenticator \"basicauth/server\": authenticator not found"
    );
    let http = HttpConfig {
        auth: Some(HttpAuthConfig {
            authenticator: "oidc".into(),
            request_params: vec![],
        })
        .into(),
        ..http_on_any_port()
    };
    let cfg = OtlpReceiverConfig {
        protocols: Protocols {
            grpc: None.into(),
            http: Some(http).into(),
        },
    };
    let r = OtlpReceiver::new(ComponentId::new("otlp", None), cfg, Sinks::new().all());
    assert_eq!(
        r.start(&host()).await.unwrap_err().to_string(),
        "failed to resolve authenticator \"oidc\": authenticator not found"
    );
}

#[tokio::test]
async fn shutdown_waits_for_in_flight_requests_then_stops_accepting() {
    let sinks = Sinks::new();
    sinks.answer(Answer::Slow(Duration::from_millis(400)));
    let r = start(None, Some(http_on_any_port()), sinks.all()).await;
    let a = r.addr;
    let in_flight = tokio::spawn(async move {
        http1(
            a,
            None,
            post(
                a,
                "/v1/traces",
                "application/x-protobuf",
                traces(1).encode_to_vec(),
            ),
        )
        .await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let began = Instant::now();
    r.receiver
        .shutdown(Instant::now() + Duration::from_secs(5))
        .await;
    let (status, _, _) = in_flight.await.unwrap().unwrap();
    assert_eq!(status, StatusCode::OK, "the in-flight request completed");
    assert!(
        began.elapsed() >= Duration::from_millis(200),
        "shutdown waited"
    );
    assert_eq!(sinks.traces.got.lock().len(), 1);
    assert!(
        tokio::net::TcpStream::connect(a).await.is_err(),
        "no longer accepting"
    );
}

#[tokio::test]
async fn shutdown_returns_by_the_deadline() {
    let sinks = Sinks::new();
    sinks.answer(Answer::Slow(Duration::from_secs(30)));
    let r = start(Some(grpc_on_any_port()), None, sinks.all()).await;
    let a = r.addr;
    let in_flight = tokio::spawn(async move {
        let c = H2::connect(a, None).await.unwrap();
        let mut client = tonic::client::Grpc::with_origin(c, "http://localhost".parse().unwrap());
        client.ready().await.unwrap();
        client
            .unary(
                tonic::Request::new(bytes::Bytes::from(traces(1).encode_to_vec())),
                "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
                    .parse()
                    .unwrap(),
                helpers::grpc_codec::BytesCodec,
            )
            .await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let began = Instant::now();
    r.receiver
        .shutdown(Instant::now() + Duration::from_millis(300))
        .await;
    assert!(
        began.elapsed() < Duration::from_secs(3),
        "{:?}",
        began.elapsed()
    );
    let outcome = tokio::time::timeout(Duration::from_secs(5), in_flight)
        .await
        .unwrap()
        .unwrap();
    assert!(
        outcome.is_err(),
        "the request still in flight at the deadline was cut off"
    );
}

#[tokio::test]
async fn max_connection_idle_closes_idle_connections() {
    let sinks = Sinks::new();
    let mut grpc = grpc_on_any_port();
    grpc.keepalive = Some(super::super::config::KeepaliveServerConfig {
        server_parameters: Some(super::super::config::KeepaliveServerParameters {
            max_connection_idle: confmap::Duration::from_millis(200),
            ..Default::default()
        })
        .into(),
        ..Default::default()
    })
    .into();
    let r = start(Some(grpc), None, sinks.all()).await;
    let io = super::connect(r.addr, None).await.unwrap();
    let (send, conn) =
        hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), io)
            .await
            .unwrap();
    let conn = tokio::spawn(conn);
    let mut client =
        tonic::client::Grpc::with_origin(H2(send), "http://localhost".parse().unwrap());
    client.ready().await.unwrap();
    client
        .unary(
            tonic::Request::new(bytes::Bytes::from(traces(1).encode_to_vec())),
            "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
                .parse()
                .unwrap(),
            helpers::grpc_codec::BytesCodec,
        )
        .await
        .unwrap();
    // The server sends GOAWAY once the connection has been idle for 200 ms, and closes it.
    let closed = tokio::time::timeout(Duration::from_secs(5), conn).await;
    assert!(closed.is_ok(), "connection closed by the idle limit");
    r.stop().await;
}
