//! OTLP/HTTP through a hyper client.

use std::time::Duration;

use bytes::Bytes;
use helpers::compression::{Encoding, compress};
use http::{StatusCode, header};
use http_body_util::Full;
use pdata::proto::rpc::Status as RpcStatus;
use prost::Message;

use super::*;

const PB: &str = "application/x-protobuf";
const JSON: &str = "application/json";

async fn http_receiver(sinks: &Sinks, cfg: HttpConfig) -> Running {
    start(None, Some(cfg), sinks.all()).await
}

fn pb_status(body: &[u8]) -> RpcStatus {
    RpcStatus::decode(body).expect("a google.rpc.Status body")
}

#[tokio::test]
async fn proto_and_json_on_all_signals() {
    let sinks = Sinks::new();
    let r = http_receiver(
        &sinks,
        HttpConfig {
            include_metadata: true,
            ..http_on_any_port()
        },
    )
    .await;
    let decodes = pdata::decode_count();
    let t = traces(3).encode_to_vec();
    let m = metrics(2).encode_to_vec();
    let l = logs(4).encode_to_vec();
    for (path, body) in [("/v1/traces", &t), ("/v1/metrics", &m), ("/v1/logs", &l)] {
        let (status, headers, resp) = http1(r.addr, None, post(r.addr, path, PB, body.clone()))
            .await
            .unwrap();
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(headers[header::CONTENT_TYPE], PB);
        assert_eq!(
            &resp[..],
            [0x0a, 0x00],
            "an empty Export*ServiceResponse as Go pdata writes it"
        );
    }
    assert_eq!(received(&sinks.traces), vec![(true, Bytes::from(t))]);
    assert_eq!(received(&sinks.metrics), vec![(true, Bytes::from(m))]);
    assert_eq!(received(&sinks.logs), vec![(true, Bytes::from(l))]);
    assert_eq!(
        pdata::decode_count(),
        decodes,
        "the proto path must not decode"
    );
    let meta = sinks.traces.got.lock()[0].meta().clone();
    assert!(meta.client_addr.is_some());
    assert_eq!(
        meta.metadata.get("content-type"),
        Some(&vec![PB.to_string()])
    );

    let tj = pdata::json::encode_traces(&traces(2));
    let mj = pdata::json::encode_metrics(&metrics(5));
    let lj = pdata::json::encode_logs(&logs(1));
    for (path, body) in [("/v1/traces", &tj), ("/v1/metrics", &mj), ("/v1/logs", &lj)] {
        let (status, headers, resp) = http1(
            r.addr,
            None,
            post(
                r.addr,
                path,
                "application/json; charset=utf-8",
                body.clone(),
            ),
        )
        .await
        .unwrap();
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(headers[header::CONTENT_TYPE], JSON);
        assert_eq!(&resp[..], br#"{"partialSuccess":{}}"#);
    }
    let t2 = sinks.traces.got.lock()[1].clone();
    assert_eq!(*t2.message().unwrap(), traces(2));
    assert_eq!(*sinks.metrics.got.lock()[1].message().unwrap(), metrics(5));
    assert_eq!(*sinks.logs.got.lock()[1].message().unwrap(), logs(1));
    r.stop().await;
}

#[tokio::test]
async fn every_default_content_encoding_is_accepted() {
    let sinks = Sinks::new();
    let r = http_receiver(&sinks, http_on_any_port()).await;
    let t = traces(4).encode_to_vec();
    for enc in [
        Encoding::Gzip,
        Encoding::Zstd,
        Encoding::Zlib,
        Encoding::Deflate,
        Encoding::Snappy,
        Encoding::SnappyFramed,
        Encoding::Lz4,
    ] {
        let mut req = post(r.addr, "/v1/traces", PB, compress(enc, None, &t).unwrap());
        req.headers_mut()
            .insert(header::CONTENT_ENCODING, enc.as_str().parse().unwrap());
        let (status, _, _) = http1(r.addr, None, req).await.unwrap();
        assert_eq!(status, StatusCode::OK, "{enc}");
    }
    assert!(received(&sinks.traces).iter().all(|(_, b)| b[..] == t[..]));
    assert_eq!(sinks.traces.got.lock().len(), 7);

    let mut req = post(r.addr, "/v1/traces", PB, t.clone());
    req.headers_mut()
        .insert(header::CONTENT_ENCODING, "br".parse().unwrap());
    let (status, _, body) = http1(r.addr, None, req).await.unwrap();
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let s = pb_status(&body);
    assert_eq!(
        (s.code, s.message.as_str()),
        (3, "unsupported Content-Encoding: br")
    );
    r.stop().await;
}

#[tokio::test]
async fn bad_requests_get_upstream_answers_and_the_server_keeps_serving() {
    let sinks = Sinks::new();
    let r = http_receiver(&sinks, http_on_any_port()).await;
    let a = r.addr;

    let mut truncated = traces(3).encode_to_vec();
    truncated.truncate(truncated.len() - 2);
    let (status, headers, body) = http1(a, None, post(a, "/v1/traces", PB, truncated))
        .await
        .unwrap();
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(headers[header::CONTENT_TYPE], PB);
    let s = pb_status(&body);
    assert_eq!(s.code, 3);
    assert!(
        s.message.starts_with("invalid protobuf at byte"),
        "{}",
        s.message
    );

    let (status, _, body) = http1(
        a,
        None,
        post(a, "/v1/traces", PB, traces_with_invalid_utf8()),
    )
    .await
    .unwrap();
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(pb_status(&body).message.contains("not valid UTF-8"));

    let (status, headers, body) = http1(a, None, post(a, "/v1/logs", JSON, "{\"resourceLogs\": ["))
        .await
        .unwrap();
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(headers[header::CONTENT_TYPE], JSON);
    let s = pdata::json::decode_status(&body).unwrap();
    assert_eq!(s.code, 3);
    assert!(!s.message.is_empty());

    let (status, headers, body) = http1(a, None, post(a, "/v1/metrics", "text/plain", "x"))
        .await
        .unwrap();
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(headers[header::CONTENT_TYPE], "text/plain");
    assert_eq!(
        &body[..],
        b"415 unsupported media type, supported: [application/json, application/x-protobuf]"
    );

    let get = http::Request::get(format!("http://{a}/v1/traces"))
        .header(header::HOST, a.to_string())
        .body(Full::new(Bytes::new()))
        .unwrap();
    let (status, headers, body) = http1(a, None, get).await.unwrap();
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(headers[header::ALLOW], "POST");
    assert_eq!(&body[..], b"405 method not allowed, supported: [POST]");

    let (status, _, body) = http1(a, None, post(a, "/v1/nothing", PB, ""))
        .await
        .unwrap();
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(&body[..], b"404 page not found\n");

    assert!(sinks.traces.got.lock().is_empty());
    let (status, _, _) = http1(
        a,
        None,
        post(a, "/v1/traces", PB, traces(1).encode_to_vec()),
    )
    .await
    .unwrap();
    assert_eq!(status, StatusCode::OK);
    r.stop().await;
}

/// Peak resident memory of this process, from /proc (Linux).
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[tokio::test]
async fn oversized_bodies_are_refused_as_upstream_with_bounded_memory() {
    let sinks = Sinks::new();
    let r = http_receiver(
        &sinks,
        HttpConfig {
            max_request_body_size: 1 << 20,
            ..http_on_any_port()
        },
    )
    .await;
    let a = r.addr;
    let (status, _, body) = http1(a, None, post(a, "/v1/traces", PB, vec![0u8; (1 << 20) + 1]))
        .await
        .unwrap();
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let s = pb_status(&body);
    assert_eq!(
        (s.code, s.message.as_str()),
        (3, "http: request body too large")
    );

    // 100 MB of zeros in ~100 KB of gzip.
    let bomb = gzip_zeros(100 << 20);
    assert!(bomb.len() < 200 << 10, "{}", bomb.len());
    let before = peak_rss_bytes();
    let mut req = post(a, "/v1/traces", JSON, bomb);
    req.headers_mut()
        .insert(header::CONTENT_ENCODING, "gzip".parse().unwrap());
    let (status, _, body) = http1(a, None, req).await.unwrap();
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let s = pdata::json::decode_status(&body).unwrap();
    assert_eq!(
        (s.code, s.message.as_str()),
        (3, "http: request body too large")
    );
    if let (Some(b), Some(after)) = (before, peak_rss_bytes()) {
        assert!(
            after.saturating_sub(b) < 50 << 20,
            "peak RSS grew by {} bytes",
            after - b
        );
    }

    let (status, _, _) = http1(
        a,
        None,
        post(a, "/v1/traces", PB, traces(1).encode_to_vec()),
    )
    .await
    .unwrap();
    assert_eq!(status, StatusCode::OK);
    r.stop().await;
}

#[tokio::test]
async fn pipeline_errors_in_both_encodings() {
    let sinks = Sinks::new();
    let r = http_receiver(&sinks, http_on_any_port()).await;
    let a = r.addr;
    let pb = traces(2).encode_to_vec();
    let js = pdata::json::encode_traces(&traces(2));

    sinks.answer(Answer::Retryable);
    let (status, headers, body) = http1(a, None, post(a, "/v1/traces", PB, pb.clone()))
        .await
        .unwrap();
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(headers.get(header::RETRY_AFTER).is_none());
    let s = pb_status(&body);
    assert_eq!(
        (s.code, s.message.as_str()),
        (14, "data refused due to high memory usage")
    );
    let (status, headers, body) = http1(a, None, post(a, "/v1/traces", JSON, js.clone()))
        .await
        .unwrap();
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(headers[header::CONTENT_TYPE], JSON);
    assert_eq!(pdata::json::decode_status(&body).unwrap().code, 14);

    sinks.answer(Answer::Throttled(Duration::from_secs(9)));
    for (ct, body) in [(PB, pb.clone()), (JSON, js.clone())] {
        let (status, headers, resp) = http1(a, None, post(a, "/v1/traces", ct, body))
            .await
            .unwrap();
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(headers[header::RETRY_AFTER], "9");
        let s = if ct == PB {
            pb_status(&resp)
        } else {
            pdata::json::decode_status(&resp).unwrap()
        };
        assert_eq!((s.code, s.message.as_str()), (8, "slow down"));
        assert_eq!(s.details.len(), 1, "RetryInfo travels in the body");
        assert!(s.details[0].type_url.ends_with("google.rpc.RetryInfo"));
    }

    sinks.answer(Answer::Permanent);
    let (status, _, body) = http1(a, None, post(a, "/v1/traces", PB, pb.clone()))
        .await
        .unwrap();
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(pb_status(&body).code, 13);
    assert!(sinks.traces.got.lock().is_empty());
    r.stop().await;
}

#[tokio::test]
async fn custom_paths_response_headers_and_cors() {
    let sinks = Sinks::new();
    let r = http_receiver(
        &sinks,
        HttpConfig {
            traces_url_path: "custom/traces".into(),
            response_headers: [("X-Served-By".to_string(), "ferrocol".to_string())].into(),
            cors: Some(super::super::config::CorsConfig {
                allowed_origins: vec!["https://*.example.com".into()],
                max_age: 600,
                ..Default::default()
            })
            .into(),
            ..http_on_any_port()
        },
    )
    .await;
    let a = r.addr;
    let mut req = post(a, "/custom/traces", PB, traces(1).encode_to_vec());
    req.headers_mut()
        .insert(header::ORIGIN, "https://app.example.com".parse().unwrap());
    let (status, headers, _) = http1(a, None, req).await.unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["x-served-by"], "ferrocol");
    assert_eq!(
        headers[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "https://app.example.com"
    );
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_CREDENTIALS], "true");
    let (status, _, _) = http1(
        a,
        None,
        post(a, "/v1/traces", PB, traces(1).encode_to_vec()),
    )
    .await
    .unwrap();
    assert_eq!(status, StatusCode::NOT_FOUND);

    let preflight = |origin: &'static str| {
        http::Request::options(format!("http://{a}/custom/traces"))
            .header(header::HOST, a.to_string())
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type")
            .body(Full::new(Bytes::new()))
            .unwrap()
    };
    let (status, headers, _) = http1(a, None, preflight("https://app.example.com"))
        .await
        .unwrap();
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        headers[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "https://app.example.com"
    );
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_METHODS], "POST");
    assert_eq!(
        headers[header::ACCESS_CONTROL_ALLOW_HEADERS],
        "content-type"
    );
    assert_eq!(headers[header::ACCESS_CONTROL_MAX_AGE], "600");
    let (status, headers, _) = http1(a, None, preflight("https://evil.test"))
        .await
        .unwrap();
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
    assert_eq!(sinks.traces.got.lock().len(), 1);
    r.stop().await;
}

#[tokio::test]
async fn tls_and_mutual_tls() {
    let pki = pki();
    let sinks = Sinks::new();
    let tls = http_receiver(
        &sinks,
        HttpConfig {
            tls: Some(pki.server_tls(false)).into(),
            ..http_on_any_port()
        },
    )
    .await;
    let a = tls.addr;
    let client = pki.client_tls(false, &[b"http/1.1"]);
    let (status, _, _) = http1(
        a,
        Some(client.clone()),
        post(a, "/v1/traces", PB, traces(1).encode_to_vec()),
    )
    .await
    .unwrap();
    assert_eq!(status, StatusCode::OK);
    assert!(
        http1(
            a,
            None,
            post(a, "/v1/traces", PB, traces(1).encode_to_vec())
        )
        .await
        .is_err()
    );
    tls.stop().await;

    let mtls = http_receiver(
        &sinks,
        HttpConfig {
            tls: Some(pki.server_tls(true)).into(),
            ..http_on_any_port()
        },
    )
    .await;
    let a = mtls.addr;
    assert!(
        http1(
            a,
            Some(client),
            post(a, "/v1/traces", PB, traces(1).encode_to_vec())
        )
        .await
        .is_err()
    );
    let with_cert = pki.client_tls(true, &[b"http/1.1"]);
    let (status, _, _) = http1(
        a,
        Some(with_cert),
        post(a, "/v1/traces", PB, traces(1).encode_to_vec()),
    )
    .await
    .unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sinks.traces.got.lock().len(), 2);
    mtls.stop().await;
}
