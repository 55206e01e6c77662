//! Tests of the otlp receiver against real sockets on 127.0.0.1: a recording consumer that can
//! be told to fail, a raw-bytes tonic client and a hyper client, certificates made at test time.

mod config;
mod lifecycle;
mod over_grpc;
mod over_http;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use component::{ComponentId, ConsumeError, Consumer, Host, ReceiverConsumers};
use futures::future::BoxFuture;
use http_body_util::{BodyExt, Full};
use pdata::payload::Request;
use pdata::proto::common::v1::{AnyValue, KeyValue, any_value};
use pdata::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use pdata::proto::metrics::v1::{
    Gauge, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, metric, number_data_point,
};
use pdata::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};
use pdata::{
    ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest, Payload,
};
use prost::Message;
use tokio::io::{AsyncRead, AsyncWrite};

use super::OtlpReceiver;
use super::config::{GrpcConfig, HttpConfig, OtlpReceiverConfig, Protocols};
use component::Component;

/// How a [`Recorder`] answers.
#[derive(Clone, Debug)]
pub(super) enum Answer {
    Ok,
    Permanent,
    Retryable,
    Throttled(Duration),
    /// Succeed after a pause (for graceful shutdown).
    Slow(Duration),
}

/// A consumer that records what it is given and answers as told.
pub(super) struct Recorder<P> {
    pub got: parking_lot::Mutex<Vec<P>>,
    pub answer: parking_lot::Mutex<Answer>,
}

impl<P> Recorder<P> {
    pub fn new() -> Arc<Self> {
        Arc::new(Recorder {
            got: parking_lot::Mutex::new(Vec::new()),
            answer: parking_lot::Mutex::new(Answer::Ok),
        })
    }

    pub fn answer(&self, a: Answer) {
        *self.answer.lock() = a;
    }
}

impl<P: Send + Sync + 'static> Consumer<P> for Recorder<P> {
    fn consume(&self, data: P) -> BoxFuture<'_, Result<(), ConsumeError>> {
        let answer = self.answer.lock().clone();
        Box::pin(async move {
            match answer {
                Answer::Ok => {}
                Answer::Slow(d) => tokio::time::sleep(d).await,
                Answer::Permanent => return Err(ConsumeError::permanent("bad data from test")),
                Answer::Retryable => {
                    return Err(ConsumeError::retryable(
                        "data refused due to high memory usage",
                    ));
                }
                Answer::Throttled(retry_after) => {
                    return Err(ConsumeError::Throttled {
                        error: "slow down".into(),
                        retry_after,
                    });
                }
            }
            self.got.lock().push(data);
            Ok(())
        })
    }
}

/// The three recorders of one receiver.
pub(super) struct Sinks {
    pub traces: Arc<Recorder<pdata::Traces>>,
    pub metrics: Arc<Recorder<pdata::Metrics>>,
    pub logs: Arc<Recorder<pdata::Logs>>,
}

impl Sinks {
    pub fn new() -> Self {
        Sinks {
            traces: Recorder::new(),
            metrics: Recorder::new(),
            logs: Recorder::new(),
        }
    }

    pub fn all(&self) -> ReceiverConsumers {
        ReceiverConsumers {
            traces: Some(self.traces.clone()),
            metrics: Some(self.metrics.clone()),
            logs: Some(self.logs.clone()),
        }
    }

    pub fn answer(&self, a: Answer) {
        self.traces.answer(a.clone());
        self.metrics.answer(a.clone());
        self.logs.answer(a);
    }
}

pub(super) fn host() -> Host {
    let (_tx, rx) = tokio::sync::watch::channel(component::CollectorStatus::Ready);
    Host::new(BTreeMap::new(), rx)
}

pub(super) fn grpc_on_any_port() -> GrpcConfig {
    GrpcConfig {
        endpoint: "127.0.0.1:0".into(),
        ..Default::default()
    }
}

pub(super) fn http_on_any_port() -> HttpConfig {
    HttpConfig {
        endpoint: "127.0.0.1:0".into(),
        ..Default::default()
    }
}

/// A started receiver and its bound addresses.
pub(super) struct Running {
    pub receiver: Arc<OtlpReceiver>,
    pub addr: SocketAddr,
}

impl Running {
    pub async fn stop(&self) {
        self.receiver
            .shutdown(std::time::Instant::now() + Duration::from_secs(5))
            .await;
    }
}

pub(super) async fn start(
    grpc: Option<GrpcConfig>,
    http: Option<HttpConfig>,
    consumers: ReceiverConsumers,
) -> Running {
    let config = OtlpReceiverConfig {
        protocols: Protocols {
            grpc: grpc.into(),
            http: http.into(),
        },
    };
    let receiver = Arc::new(OtlpReceiver::new(
        ComponentId::new("otlp", Some("test")),
        config,
        consumers,
    ));
    receiver.start(&host()).await.expect("receiver starts");
    let addr = receiver.local_addrs()[0];
    Running { receiver, addr }
}

pub(super) fn traces(spans: usize) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans: (0..spans)
                    .map(|i| Span {
                        name: format!("span-{i}"),
                        trace_id: Bytes::from(vec![7; 16]),
                        span_id: Bytes::from(vec![(i % 250) as u8 + 1; 8]),
                        attributes: vec![KeyValue {
                            key: "k".into(),
                            value: Some(AnyValue {
                                value: Some(any_value::Value::StringValue(format!("v{i}"))),
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

pub(super) fn metrics(points: usize) -> ExportMetricsServiceRequest {
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            scope_metrics: vec![ScopeMetrics {
                metrics: vec![Metric {
                    name: "m".into(),
                    data: Some(metric::Data::Gauge(Gauge {
                        data_points: (0..points)
                            .map(|i| NumberDataPoint {
                                time_unix_nano: 1_700_000_000_000_000_000 + i as u64,
                                value: Some(number_data_point::Value::AsDouble(i as f64 + 0.5)),
                                ..Default::default()
                            })
                            .collect(),
                    })),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

pub(super) fn logs(records: usize) -> ExportLogsServiceRequest {
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            scope_logs: vec![ScopeLogs {
                log_records: (0..records)
                    .map(|i| LogRecord {
                        body: Some(AnyValue {
                            value: Some(any_value::Value::StringValue(format!("line {i}"))),
                        }),
                        severity_text: "INFO".into(),
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// A traces request whose span name is not UTF-8: valid framing, invalid content.
pub(super) fn traces_with_invalid_utf8() -> Vec<u8> {
    let mut bytes = traces(1).encode_to_vec();
    let pos = bytes
        .windows(6)
        .position(|w| w == b"span-0")
        .expect("name present");
    bytes[pos] = 0xff;
    bytes
}

/// The payloads a recorder got, as (still encoded?, protobuf bytes).
pub(super) fn received<M: Request>(r: &Recorder<Payload<M>>) -> Vec<(bool, Bytes)> {
    r.got
        .lock()
        .iter()
        .map(|p| (p.is_encoded(), p.bytes()))
        .collect()
}

/// gzip of `n` zero bytes, produced in 1 MiB steps so the test itself stays small in memory.
pub(super) fn gzip_zeros(n: usize) -> Vec<u8> {
    use std::io::Write;
    let chunk = vec![0u8; 1 << 20];
    let mut w = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let mut left = n;
    while left > 0 {
        let k = left.min(chunk.len());
        w.write_all(&chunk[..k]).unwrap();
        left -= k;
    }
    w.finish().unwrap()
}

/// Certificates made at test time: a CA, a server certificate for localhost and 127.0.0.1, and
/// a client certificate.
pub(super) struct Pki {
    /// Keeps the certificate files alive as long as the Pki.
    _dir: tempfile::TempDir,
    pub ca_file: String,
    pub server_cert: String,
    pub server_key: String,
    pub client_cert_pem: String,
    pub client_key_pem: String,
}

pub(super) fn pki() -> Pki {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf = |names: Vec<String>| {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(names)
            .unwrap()
            .signed_by(&key, &issuer)
            .unwrap();
        (cert.pem(), key.serialize_pem())
    };
    let (server_cert, server_key) = leaf(vec!["localhost".into(), "127.0.0.1".into()]);
    let (client_cert_pem, client_key_pem) = leaf(vec!["client".into()]);
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, contents: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, contents).unwrap();
        p.to_string_lossy().into_owned()
    };
    Pki {
        ca_file: write("ca.crt", &ca.pem()),
        server_cert: write("server.crt", &server_cert),
        server_key: write("server.key", &server_key),
        client_cert_pem,
        client_key_pem,
        _dir: dir,
    }
}

impl Pki {
    pub fn server_tls(&self, mtls: bool) -> helpers::tls::TlsServerConfig {
        helpers::tls::TlsServerConfig {
            cert_file: self.server_cert.clone(),
            key_file: self.server_key.clone(),
            client_ca_file: if mtls {
                self.ca_file.clone()
            } else {
                String::new()
            },
            ..Default::default()
        }
    }

    pub fn client_tls(&self, with_cert: bool, alpn: &[&[u8]]) -> Arc<rustls::ClientConfig> {
        helpers::tls::TlsClientConfig {
            ca_file: self.ca_file.clone(),
            cert_pem: if with_cert {
                self.client_cert_pem.clone()
            } else {
                String::new()
            },
            key_pem: if with_cert {
                self.client_key_pem.clone()
            } else {
                String::new()
            },
            ..Default::default()
        }
        .build(alpn)
        .unwrap()
        .unwrap()
    }
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Io for T {}

/// TCP, with TLS when a client config is given.
async fn connect(
    addr: SocketAddr,
    tls: Option<Arc<rustls::ClientConfig>>,
) -> std::io::Result<hyper_util::rt::TokioIo<Box<dyn Io>>> {
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    let io: Box<dyn Io> = match tls {
        None => Box::new(tcp),
        Some(cfg) => {
            let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
            Box::new(
                tokio_rustls::TlsConnector::from(cfg)
                    .connect(name, tcp)
                    .await?,
            )
        }
    };
    Ok(hyper_util::rt::TokioIo::new(io))
}

/// An HTTP/2 connection usable as a tonic client transport.
#[derive(Clone)]
pub(super) struct H2(hyper::client::conn::http2::SendRequest<tonic::body::Body>);

impl H2 {
    pub async fn connect(
        addr: SocketAddr,
        tls: Option<Arc<rustls::ClientConfig>>,
    ) -> std::io::Result<H2> {
        let io = connect(addr, tls).await?;
        let (send, conn) =
            hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), io)
                .await
                .map_err(std::io::Error::other)?;
        tokio::spawn(conn);
        Ok(H2(send))
    }
}

impl tower_service::Service<http::Request<tonic::body::Body>> for H2 {
    type Response = http::Response<hyper::body::Incoming>;
    type Error = hyper::Error;
    type Future = BoxFuture<'static, Result<Self::Response, hyper::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), hyper::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<tonic::body::Body>) -> Self::Future {
        let fut = self.0.send_request(req);
        Box::pin(fut)
    }
}

/// One HTTP/1.1 exchange on a fresh connection.
pub(super) async fn http1(
    addr: SocketAddr,
    tls: Option<Arc<rustls::ClientConfig>>,
    req: http::Request<Full<Bytes>>,
) -> std::io::Result<(http::StatusCode, http::HeaderMap, Bytes)> {
    let io = connect(addr, tls).await?;
    let (mut send, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(std::io::Error::other)?;
    tokio::spawn(conn);
    let resp = send
        .send_request(req)
        .await
        .map_err(std::io::Error::other)?;
    let (parts, body) = resp.into_parts();
    let body = body
        .collect()
        .await
        .map_err(std::io::Error::other)?
        .to_bytes();
    Ok((parts.status, parts.headers, body))
}

/// A POST with the given content type and body.
pub(super) fn post(
    addr: SocketAddr,
    path: &str,
    content_type: &str,
    body: impl Into<Bytes>,
) -> http::Request<Full<Bytes>> {
    http::Request::post(format!("http://{addr}{path}"))
        .header(http::header::HOST, addr.to_string())
        .header(http::header::CONTENT_TYPE, content_type)
        .body(Full::new(body.into()))
        .unwrap()
}
