//! The backend driven by the load generator: counting, and each failure mode.

use std::io::{Read, Write};
use std::time::Duration;

use loadgen::{CancellationToken, Encoding, Generator, LoadConfig, Protocol, Signal, Summary};

use super::*;

fn load(backend: &MockBackend, signal: Signal, protocol: Protocol, requests: u64) -> LoadConfig {
    let addr = match protocol {
        Protocol::Grpc => backend.grpc_addr,
        Protocol::Http => backend.http_addr,
    };
    let mut c = LoadConfig::new(signal, protocol, addr.to_string());
    c.rate = 0;
    c.duration = Some(Duration::from_secs(30));
    c.items = Some(requests * c.shape.batch_size as u64);
    c.pool_size = 4;
    c
}

async fn send(config: LoadConfig) -> Summary {
    Generator::new(config)
        .unwrap()
        .run(CancellationToken::new())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_items_of_every_signal_and_encoding() {
    let backend = MockBackend::start().await.unwrap();
    for signal in [Signal::Traces, Signal::Metrics, Signal::Logs] {
        for (protocol, encoding, gzip) in [
            (Protocol::Grpc, Encoding::Proto, false),
            (Protocol::Grpc, Encoding::Proto, true),
            (Protocol::Http, Encoding::Proto, true),
            (Protocol::Http, Encoding::Json, false),
        ] {
            let mut c = load(&backend, signal, protocol, 3);
            c.encoding = encoding;
            c.gzip = gzip;
            let before = backend.counts().received(signal);
            let s = send(c).await;
            assert_eq!(
                s.acked_items, 300,
                "{signal:?} {protocol:?} {encoding:?} {s:?}"
            );
            assert_eq!(backend.counts().received(signal) - before, 300);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_an_exact_share_as_unavailable() {
    let backend = MockBackend::start().await.unwrap();
    backend.set_faults(Faults {
        share: 0.5,
        ..Faults::default()
    });
    let s = send(load(&backend, Signal::Traces, Protocol::Grpc, 10)).await;
    assert_eq!(s.errors.get("grpc:UNAVAILABLE"), Some(&5), "{s:?}");
    assert_eq!(s.acked_items, 500);
    assert_eq!(backend.counts().received(Signal::Traces), 500);
    assert_eq!(backend.counts().refused_items(), 500);
    assert_eq!(backend.counts().refused_requests(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttles_http_with_429_and_retry_after() {
    let backend = MockBackend::start().await.unwrap();
    backend.set_faults(Faults {
        share: 1.0,
        kind: FaultKind::Throttled,
        retry_after: Some(7),
        ..Faults::default()
    });
    let s = send(load(&backend, Signal::Logs, Protocol::Http, 4)).await;
    assert_eq!(s.errors.get("http:429"), Some(&4), "{s:?}");
    assert_eq!(s.acked_items, 0);

    // The raw answer carries Retry-After.
    let addr = backend.http_addr;
    let answer = tokio::task::spawn_blocking(move || {
        let mut tcp = std::net::TcpStream::connect(addr).unwrap();
        let body = b"";
        write!(
            tcp,
            "POST /v1/logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .unwrap();
        let mut out = String::new();
        tcp.read_to_string(&mut out).unwrap();
        out
    })
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 429"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("retry-after: 7"),
        "{answer}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejects_permanently_and_counts_nothing() {
    let backend = MockBackend::start().await.unwrap();
    backend.set_faults(Faults {
        share: 1.0,
        kind: FaultKind::Permanent,
        ..Faults::default()
    });
    let s = send(load(&backend, Signal::Metrics, Protocol::Grpc, 2)).await;
    assert_eq!(s.errors.get("grpc:INVALID_ARGUMENT"), Some(&2), "{s:?}");
    let s = send(load(&backend, Signal::Metrics, Protocol::Http, 2)).await;
    assert_eq!(s.errors.get("http:400"), Some(&2), "{s:?}");
    assert_eq!(backend.counts().received(Signal::Metrics), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_answers_run_into_the_client_timeout() {
    let backend = MockBackend::start().await.unwrap();
    // Far apart on purpose: the assertion is about behaviour, not speed.
    backend.set_faults(Faults {
        delay: Duration::from_secs(5),
        ..Faults::default()
    });
    let mut c = load(&backend, Signal::Traces, Protocol::Grpc, 1);
    c.request_timeout = Duration::from_millis(100);
    let s = send(c).await;
    assert_eq!(s.errors.get("timeout"), Some(&1), "{s:?}");
    assert_eq!(s.acked_items, 0);
}
