//! Strict in-test OTLP backends for the `otlp_grpc` and `otlp_http` exporters: raw HTTP/2 and
//! HTTP/1.1 servers on 127.0.0.1 (optionally TLS) that record exactly what arrived on the wire
//! and answer from a script.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes};
use component::{ComponentId, CreateContext, Exporter, ExporterFactory, Host, Signal};
use http::{HeaderMap, HeaderValue, Request, Response};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper_util::rt::{TokioExecutor, TokioIo};
use parking_lot::Mutex;
use pdata::payload::{Payload, Request as OtlpRequest, RequestMeta};
use pdata::proto::common::v1::{AnyValue, KeyValue, any_value};
use pdata::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use pdata::proto::metrics::v1::{
    Gauge, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, metric,
};
use pdata::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};
use pdata::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};
use prost::Message;
use tokio::net::TcpListener;

pub type Body = BoxBody<Bytes, Infallible>;

// ---------------------------------------------------------------------------------------------
// Data

pub fn trace_request(spans: usize) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans: (0..spans)
                    .map(|i| Span {
                        name: format!("span-{i}"),
                        trace_id: Bytes::from(vec![1; 16]),
                        span_id: Bytes::from(vec![2; 8]),
                        attributes: vec![KeyValue {
                            key: "k".into(),
                            value: Some(AnyValue {
                                value: Some(any_value::Value::StringValue("v".repeat(20))),
                            }),
                        }],
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

pub fn metrics_request(points: usize) -> ExportMetricsServiceRequest {
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            scope_metrics: vec![ScopeMetrics {
                metrics: vec![Metric {
                    name: "m".into(),
                    data: Some(metric::Data::Gauge(Gauge {
                        data_points: vec![NumberDataPoint::default(); points],
                    })),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

pub fn logs_request(records: usize) -> ExportLogsServiceRequest {
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            scope_logs: vec![ScopeLogs {
                log_records: vec![
                    LogRecord {
                        severity_text: "INFO".into(),
                        ..Default::default()
                    };
                    records
                ],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// A payload that is still the encoded bytes, as a receiver would hand it on.
pub fn encoded<M: OtlpRequest>(m: &M) -> (Payload<M>, Bytes) {
    let bytes = Bytes::from(m.encode_to_vec());
    (
        Payload::from_bytes(bytes.clone(), RequestMeta::default()).unwrap(),
        bytes,
    )
}

// ---------------------------------------------------------------------------------------------
// Exporters

pub fn host() -> Host {
    let (tx, rx) = tokio::sync::watch::channel(component::CollectorStatus::Ready);
    std::mem::forget(tx);
    Host::new(Default::default(), rx)
}

/// Decodes `yaml` with the factory (so the YAML path is what is tested) and creates the exporter.
pub fn create(
    factory: &Arc<dyn ExporterFactory>,
    id: &str,
    yaml: &str,
) -> Result<Exporter, String> {
    let node = confmap::parse_yaml(yaml).map_err(|e| e.to_string())?;
    let config = factory
        .decode_config(node.as_ref())
        .map_err(|e| e.to_string())?;
    factory
        .create(
            CreateContext {
                id: ComponentId::parse(id).unwrap(),
                build_version: "1.2.3",
            },
            &config,
            &Signal::ALL,
        )
        .map_err(|e| e.to_string())
}

pub async fn start(factory: &Arc<dyn ExporterFactory>, id: &str, yaml: &str) -> Exporter {
    let e = create(factory, id, yaml).unwrap();
    e.component.start(&host()).await.unwrap();
    e
}

pub async fn stop(e: &Exporter) {
    e.component
        .shutdown(Instant::now() + Duration::from_secs(5))
        .await;
}

pub fn metric(name: &str, exporter: &str) -> i128 {
    telemetry::metrics::global()
        .value(name, &[("exporter", exporter)])
        .unwrap_or(0)
}

/// A port nothing listens on (yet).
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

// ---------------------------------------------------------------------------------------------
// TLS

pub struct Pki {
    pub ca_pem: String,
    pub server: Arc<rustls::ServerConfig>,
}

/// A CA and a server certificate for `localhost` signed by it, offering `alpn`.
pub fn pki(alpn: &[&[u8]]) -> Pki {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls_pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    server.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Pki {
        ca_pem: ca.pem(),
        server: Arc::new(server),
    }
}

// ---------------------------------------------------------------------------------------------
// Servers

/// What a server answers to one request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// gRPC OK with this response message / HTTP with this status, content type and body.
    GrpcOk(Bytes),
    GrpcStatus(tonic::Code, String, Option<Duration>),
    Http {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: Bytes,
    },
}

impl Reply {
    pub fn http(status: u16) -> Reply {
        Reply::Http {
            status,
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }
}

/// One request as it arrived.
#[derive(Clone, Debug)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    /// gRPC: the message bytes after the 5-byte prefix, as sent; HTTP: the body as sent.
    pub wire: Bytes,
    /// gRPC: the prefix's compressed flag.
    pub compressed_flag: bool,
    /// `wire` decompressed according to `grpc-encoding` / `Content-Encoding`.
    pub message: Bytes,
    pub version: http::Version,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Grpc,
    Http,
}

pub struct Server {
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<VecDeque<Reply>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    pub async fn start(protocol: Protocol, tls: Option<Arc<rustls::ServerConfig>>) -> Server {
        Self::start_on(protocol, tls, 0).await
    }

    /// Serves on `127.0.0.1:port` (0 = any). Unscripted requests get a plain success.
    pub async fn start_on(
        protocol: Protocol,
        tls: Option<Arc<rustls::ServerConfig>>,
        port: u16,
    ) -> Server {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(VecDeque::new()));
        let (r, s) = (received.clone(), script.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let (r, s, tls) = (r.clone(), s.clone(), tls.clone());
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req| {
                        let (r, s) = (r.clone(), s.clone());
                        async move { Ok::<_, Infallible>(handle(protocol, req, r, s).await) }
                    });
                    let builder =
                        hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                    match tls {
                        Some(cfg) => {
                            let Ok(stream) = tokio_rustls::TlsAcceptor::from(cfg).accept(tcp).await
                            else {
                                return;
                            };
                            let _ = builder.serve_connection(TokioIo::new(stream), svc).await;
                        }
                        None => {
                            let _ = builder.serve_connection(TokioIo::new(tcp), svc).await;
                        }
                    }
                });
            }
        });
        Server {
            addr,
            received,
            script,
            task,
        }
    }

    pub fn reply(&self, r: Reply) {
        self.script.lock().push_back(r);
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().clone()
    }

    /// Waits until `n` requests arrived.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        let until = Instant::now() + within;
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < until,
                "{} of {n} requests arrived",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

fn decompress(encoding: Option<&str>, wire: &[u8]) -> Bytes {
    match encoding.and_then(helpers::compression::Encoding::parse) {
        Some(enc) => Bytes::from(helpers::compression::decompress(enc, wire, 64 << 20).unwrap()),
        None => Bytes::copy_from_slice(wire),
    }
}

async fn handle(
    protocol: Protocol,
    req: Request<Incoming>,
    received: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<VecDeque<Reply>>>,
) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    let mut rec = Received {
        path: parts.uri.path().to_string(),
        headers: parts.headers.clone(),
        wire: body.clone(),
        compressed_flag: false,
        message: Bytes::new(),
        version: parts.version,
    };
    match protocol {
        Protocol::Grpc => {
            let mut b = body.clone();
            assert!(b.len() >= 5, "a gRPC message prefix");
            rec.compressed_flag = b.get_u8() == 1;
            let len = b.get_u32() as usize;
            assert_eq!(len, b.len(), "one message per call");
            rec.wire = b.clone();
            rec.message = if rec.compressed_flag {
                decompress(rec.header("grpc-encoding"), &b)
            } else {
                b
            };
        }
        Protocol::Http => {
            rec.message = decompress(rec.header("content-encoding"), &body);
        }
    }
    received.lock().push(rec);
    let reply = script.lock().pop_front();
    match (protocol, reply) {
        (Protocol::Grpc, None) => grpc_ok(Bytes::new()),
        (Protocol::Grpc, Some(Reply::GrpcOk(m))) => grpc_ok(m),
        (Protocol::Grpc, Some(Reply::GrpcStatus(code, msg, delay))) => {
            grpc_status(code, &msg, delay)
        }
        (Protocol::Http, None) => http_reply(200, &[], Bytes::new()),
        (
            Protocol::Http,
            Some(Reply::Http {
                status,
                headers,
                body,
            }),
        ) => http_reply(status, &headers, body),
        (p, Some(r)) => panic!(
            "reply {r:?} does not fit protocol {:?}",
            p == Protocol::Grpc
        ),
    }
}

fn grpc_ok(message: Bytes) -> Response<Body> {
    let mut framed = Vec::with_capacity(5 + message.len());
    framed.push(0);
    framed.extend_from_slice(&(message.len() as u32).to_be_bytes());
    framed.extend_from_slice(&message);
    let mut trailers = HeaderMap::new();
    trailers.insert("grpc-status", HeaderValue::from_static("0"));
    let frames: Vec<Result<Frame<Bytes>, Infallible>> = vec![
        Ok(Frame::data(Bytes::from(framed))),
        Ok(Frame::trailers(trailers)),
    ];
    Response::builder()
        .header("content-type", "application/grpc")
        .body(StreamBody::new(futures::stream::iter(frames)).boxed())
        .unwrap()
}

/// A trailers-only error response, with `RetryInfo` when `delay` is given.
fn grpc_status(code: tonic::Code, message: &str, delay: Option<Duration>) -> Response<Body> {
    let status = match delay {
        None => tonic::Status::new(code, message),
        Some(d) => {
            let retry = pdata::proto::rpc::RetryInfo {
                retry_delay: Some(prost_types::Duration {
                    seconds: d.as_secs() as i64,
                    nanos: d.subsec_nanos() as i32,
                }),
            };
            let details = pdata::proto::rpc::Status {
                code: code as i32,
                message: message.to_string(),
                details: vec![prost_types::Any {
                    type_url: "type.googleapis.com/google.rpc.RetryInfo".into(),
                    value: retry.encode_to_vec(),
                }],
            };
            tonic::Status::with_details(code, message, details.encode_to_vec().into())
        }
    };
    let mut headers = HeaderMap::new();
    status.add_header(&mut headers).unwrap();
    let mut resp = Response::builder()
        .header("content-type", "application/grpc")
        .body(Full::new(Bytes::new()).boxed())
        .unwrap();
    resp.headers_mut().extend(headers);
    resp
}

fn http_reply(status: u16, headers: &[(&'static str, String)], body: Bytes) -> Response<Body> {
    let mut b = Response::builder().status(status);
    for (k, v) in headers {
        b = b.header(*k, v);
    }
    b.body(Full::new(body).boxed()).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Logs

/// Records every event as `LEVEL message field=value ...`, for the current thread (use a
/// current-thread runtime so the exporter's tasks log here too).
pub struct Capture(pub Arc<Mutex<Vec<String>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        // The format string is recorded first as `message`; a later field named `message`
        // (upstream's partial-success key) is a field.
        struct Line(String, bool);
        impl tracing::field::Visit for Line {
            fn record_debug(&mut self, f: &tracing::field::Field, v: &dyn std::fmt::Debug) {
                if f.name() == "message" && !self.1 {
                    self.1 = true;
                    self.0.push_str(&format!(" {v:?}"));
                } else {
                    self.0.push_str(&format!(" {}={v:?}", f.name()));
                }
            }
            fn record_str(&mut self, f: &tracing::field::Field, v: &str) {
                if f.name() == "message" && !self.1 {
                    self.1 = true;
                    self.0.push_str(&format!(" {v}"));
                } else {
                    self.0.push_str(&format!(" {}={v}", f.name()));
                }
            }
        }
        let mut line = Line(event.metadata().level().to_string(), false);
        event.record(&mut line);
        self.0.lock().push(line.0);
    }
}

pub fn capture_logs() -> (Arc<Mutex<Vec<String>>>, tracing::subscriber::DefaultGuard) {
    use tracing_subscriber::layer::SubscriberExt;
    let lines = Arc::new(Mutex::new(Vec::new()));
    let subscriber = tracing_subscriber::registry().with(Capture(lines.clone()));
    (lines, tracing::subscriber::set_default(subscriber))
}
