//! The exporter against a scripted X-Ray endpoint: chunking, signing headers, unprocessed
//! segments and error classes.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;

use aws::credentials::{CredentialChain, Credentials};
use aws::http_client::{HttpClient, HttpSettings};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use parking_lot::Mutex;
use pdata::proto::common::v1::{AnyValue, KeyValue, any_value::Value as V};
use pdata::proto::resource::v1::Resource;
use pdata::proto::trace::v1::{ResourceSpans, ScopeSpans, Span, span::SpanKind};

use super::*;

/// What the fake X-Ray saw, and what it answers next (status, body); 200 `{}` when empty.
#[derive(Default)]
struct Fake {
    requests: Mutex<Vec<(http::HeaderMap, String, serde_json::Value)>>,
    answers: Mutex<VecDeque<(u16, String)>>,
}

async fn fake_xray(fake: Arc<Fake>) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let fake = fake.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    let fake = fake.clone();
                    async move {
                        let (parts, body) = req.into_parts();
                        let body = body.collect().await.unwrap().to_bytes();
                        let json = serde_json::from_slice(&body).unwrap_or_default();
                        fake.requests.lock().push((
                            parts.headers,
                            parts.uri.path().to_string(),
                            json,
                        ));
                        let (status, answer) = fake
                            .answers
                            .lock()
                            .pop_front()
                            .unwrap_or((200, "{}".to_string()));
                        let mut r = http::Response::new(Full::new(Bytes::from(answer)));
                        *r.status_mut() = http::StatusCode::from_u16(status).unwrap();
                        Ok::<_, std::convert::Infallible>(r)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    addr
}

fn sender(addr: SocketAddr) -> XraySender {
    let ctx = CreateContext {
        id: ComponentId::parse("awsxray").unwrap(),
        build_version: "test",
    };
    let s = XraySender::new(&ctx, AwsXrayExporterConfig::default());
    let http = HttpClient::new(&HttpSettings {
        timeout: Duration::from_secs(5),
        max_idle_per_host: 1,
        ..Default::default()
    })
    .unwrap();
    let session = AwsSession::from_parts(
        "us-east-1",
        format!("http://{addr}").parse().unwrap(),
        Service::XRAY,
        CredentialChain::from_static(Credentials::new("AKID", "SECRET", None, None, "test")),
        http,
        0,
    );
    let _ = s.session.set(session);
    let _ = s.translator.set(Translator::new(Options::default()));
    s
}

fn request(n: usize) -> Payload<ExportTraceServiceRequest> {
    let spans = (0..n)
        .map(|i| Span {
            trace_id: vec![0x5b; 16].into(),
            span_id: ((i as u64) + 1).to_be_bytes().to_vec().into(),
            name: format!("op{i}"),
            kind: SpanKind::Server as i32,
            start_time_unix_nano: 1_700_000_000_000_000_000,
            end_time_unix_nano: 1_700_000_000_500_000_000,
            ..Default::default()
        })
        .collect();
    let req = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![KeyValue {
                    key: "service.name".into(),
                    value: Some(AnyValue {
                        value: Some(V::StringValue("svc".into())),
                    }),
                }],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    Payload::from_message(req, Default::default())
}

fn docs_of(v: &serde_json::Value) -> Vec<serde_json::Value> {
    v["TraceSegmentDocuments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| serde_json::from_str(d.as_str().unwrap()).unwrap())
        .collect()
}

#[tokio::test]
async fn documents_go_in_signed_calls_of_at_most_50() {
    let fake = Arc::new(Fake::default());
    let s = sender(fake_xray(fake.clone()).await);
    s.send(request(120)).await.expect("sent");
    let reqs = fake.requests.lock();
    let sizes: Vec<usize> = reqs.iter().map(|(_, _, b)| docs_of(b).len()).collect();
    assert_eq!(sizes, [50, 50, 20]);
    let (headers, path, body) = &reqs[0];
    assert_eq!(path, "/TraceSegments");
    assert_eq!(headers["content-type"], "application/json");
    let auth = headers["authorization"].to_str().unwrap();
    assert!(
        auth.starts_with("AWS4-HMAC-SHA256 Credential=AKID/"),
        "{auth}"
    );
    assert!(auth.contains("/us-east-1/xray/aws4_request"), "{auth}");
    let ts: f64 = headers["x-amzn-xray-timestamp"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(ts > 1.7e9);
    let first = &docs_of(body)[0];
    assert_eq!(first["name"], "svc");
    assert_eq!(first["trace_id"], "1-5b5b5b5b-5b5b5b5b5b5b5b5b5b5b5b5b");
    assert_eq!(first["id"], "0000000000000001");
}

#[tokio::test]
async fn unprocessed_segments_are_resent_when_retryable_and_dropped_otherwise() {
    let fake = Arc::new(Fake::default());
    fake.answers.lock().push_back((
        200,
        r#"{"UnprocessedTraceSegments":[{"Id":"0000000000000002","ErrorCode":"ThrottledException","Message":"slow down"},{"Id":"0000000000000003","ErrorCode":"InvalidTraceId","Message":"bad"}]}"#.into(),
    ));
    let s = sender(fake_xray(fake.clone()).await);
    s.send(request(3)).await.expect("sent after one more round");
    let reqs = fake.requests.lock();
    assert_eq!(reqs.len(), 2);
    let again = docs_of(&reqs[1].2);
    assert_eq!(again.len(), 1);
    assert_eq!(again[0]["id"], "0000000000000002");
    assert_eq!(s.drops.rejected.get(), 1);
}

#[tokio::test]
async fn unprocessed_for_every_round_fails_the_attempt_retryably() {
    let fake = Arc::new(Fake::default());
    for _ in 0..UNPROCESSED_ROUNDS {
        fake.answers.lock().push_back((
            200,
            r#"{"UnprocessedTraceSegments":[{"Id":"0000000000000001","ErrorCode":"InternalFailure"}]}"#.into(),
        ));
    }
    let s = sender(fake_xray(fake.clone()).await);
    let err = s.send(request(1)).await.unwrap_err();
    assert!(matches!(err, ConsumeError::Retryable(_)), "{err}");
    assert_eq!(fake.requests.lock().len(), UNPROCESSED_ROUNDS as usize);
}

#[tokio::test]
async fn service_errors_are_classified() {
    let fake = Arc::new(Fake::default());
    fake.answers.lock().push_back((
        403,
        r#"{"__type":"AccessDeniedException","message":"no"}"#.into(),
    ));
    fake.answers
        .lock()
        .push_back((503, r#"{"__type":"ServiceUnavailable"}"#.into()));
    let s = sender(fake_xray(fake.clone()).await);
    let err = s.send(request(1)).await.unwrap_err();
    assert!(err.is_permanent(), "{err}");
    let err = s.send(request(1)).await.unwrap_err();
    assert!(matches!(err, ConsumeError::Retryable(_)), "{err}");
}

#[tokio::test]
async fn spans_that_make_no_document_are_counted() {
    let fake = Arc::new(Fake::default());
    let s = sender(fake_xray(fake.clone()).await);
    let mut p = request(2);
    p.make_mut().unwrap().resource_spans[0].scope_spans[0].spans[0].trace_id = vec![1, 2, 3].into();
    s.send(p).await.expect("the valid span is sent");
    assert_eq!(s.drops.invalid.get(), 1);
    assert_eq!(docs_of(&fake.requests.lock()[0].2).len(), 1);
}

#[test]
fn document_ids_are_found_in_documents() {
    assert_eq!(
        document_id("{\"name\":\"a\",\"id\":\"0102030405060708\",\"start_time\":1}"),
        Some("0102030405060708")
    );
    assert_eq!(document_id("{}"), None);
}
