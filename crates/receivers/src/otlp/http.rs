//! OTLP/HTTP: POST on the three signal paths, protobuf or JSON, with upstream's answers
//! (`receiver/otlpreceiver/otlphttp.go`, `config/confighttp`):
//!
//! - unsupported `Content-Encoding` → 400 (checked before routing, as confighttp's decompressor
//!   wraps the mux); unknown path → 404 `404 page not found`; other methods → 405; other content
//!   types → 415, both with upstream's text bodies;
//! - a body over `max_request_body_size`, before or after decompression → 400
//!   `http: request body too large` (Go's `MaxBytesReader` error, answered by `writeError`);
//! - unreadable protobuf / JSON → 400; pipeline errors → `receiver_http_response`; error bodies are
//!   a `google.rpc.Status` in the request's encoding.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use component::{ConsumeError, Signal};
use futures::future::BoxFuture;
use helpers::compression::{self, DecompressError, Encoding};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use pdata::RequestMeta;
use pdata::proto::rpc::Status as RpcStatus;
use prost::Message;
use tonic::Code;

use super::cors::Cors;
use super::export::{ExportError, Exporter, success_body};
use super::metadata;

const PROTOBUF: &str = "application/x-protobuf";
const JSON: &str = "application/json";
/// Go's `http.MaxBytesError` text.
const TOO_LARGE: &str = "http: request body too large";
/// upstream `otlphttp.go` `fallbackMsg`, sent when an error cannot be encoded.
const FALLBACK_BODY: &str = r#"{"code": 13, "message": "failed to marshal error message"}"#;

/// The encoding of a request and of its answer.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Format {
    Protobuf,
    Json,
}

impl Format {
    fn content_type(self) -> &'static str {
        match self {
            Format::Protobuf => PROTOBUF,
            Format::Json => JSON,
        }
    }

    /// Go's `mime.ParseMediaType`, reduced to what the receiver needs: the lower-cased media
    /// type before any parameters.
    fn from_content_type(value: Option<&HeaderValue>) -> Option<Format> {
        let v = value?.to_str().ok()?;
        let media = v.split(';').next()?.trim().to_ascii_lowercase();
        match media.as_str() {
            PROTOBUF => Some(Format::Protobuf),
            JSON => Some(Format::Json),
            _ => None,
        }
    }

    fn encode_status(self, status: &RpcStatus) -> Vec<u8> {
        match self {
            Format::Protobuf => status.encode_to_vec(),
            Format::Json => pdata::json::encode_status(status),
        }
    }
}

/// Settings shared by every connection of the HTTP server.
pub(crate) struct HttpShared {
    pub exporter: Exporter,
    /// Traces, metrics, logs.
    pub paths: [String; 3],
    pub max_body: usize,
    /// Accepted `Content-Encoding`s; None = no decompression at all.
    pub algorithms: Option<Vec<String>>,
    pub include_metadata: bool,
    pub response_headers: Vec<(HeaderName, HeaderValue)>,
    pub cors: Option<Cors>,
    pub read_timeout: Option<Duration>,
    pub write_timeout: Option<Duration>,
}

/// Handles the requests of one connection.
#[derive(Clone)]
pub(crate) struct HttpService {
    pub shared: Arc<HttpShared>,
    pub peer: SocketAddr,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl hyper::service::Service<Request<Incoming>> for HttpService {
    type Response = Response<Full<Bytes>>;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<Self::Response, BoxError>>;

    fn call(&self, req: Request<Incoming>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            match this.shared.write_timeout {
                // Go's WriteTimeout closes the connection without an answer: so do we.
                Some(t) => tokio::time::timeout(t, this.handle(req))
                    .await
                    .map_err(|_| BoxError::from("write timeout exceeded")),
                None => Ok(this.handle(req).await),
            }
        })
    }
}

impl HttpService {
    async fn handle(self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let shared = self.shared.clone();
        let method = req.method().clone();
        let req_headers = req.headers().clone();
        let mut resp = match &shared.cors {
            Some(_) if Cors::is_preflight(&method, &req_headers) => {
                plain(StatusCode::NO_CONTENT, None, Bytes::new())
            }
            _ => self.route(req).await,
        };
        let out = resp.headers_mut();
        if let Some(cors) = &shared.cors {
            if Cors::is_preflight(&method, &req_headers) {
                cors.preflight(&req_headers, out);
            } else {
                cors.actual(&method, &req_headers, out);
            }
        }
        for (name, value) in &shared.response_headers {
            if !out.contains_key(name) {
                out.insert(name.clone(), value.clone());
            }
        }
        resp
    }

    async fn route(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let shared = &self.shared;
        // confighttp's decompressor wraps the mux: an unsupported encoding is refused first.
        let encoding = req
            .headers()
            .get(header::CONTENT_ENCODING)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default();
        let decoder = match &shared.algorithms {
            None => None,
            Some(list) if list.contains(&encoding) => Encoding::parse(&encoding),
            Some(_) => {
                return error_handler(
                    req.headers(),
                    StatusCode::BAD_REQUEST,
                    &format!("unsupported Content-Encoding: {encoding}"),
                );
            }
        };

        let path = req.uri().path();
        let Some(signal) = [Signal::Traces, Signal::Metrics, Signal::Logs]
            .into_iter()
            .zip(&shared.paths)
            .find(|(s, p)| *p == path && shared.exporter.serves(*s))
            .map(|(s, _)| s)
        else {
            let mut r = plain(
                StatusCode::NOT_FOUND,
                Some("text/plain; charset=utf-8"),
                Bytes::from_static(b"404 page not found\n"),
            );
            r.headers_mut().insert(
                "x-content-type-options",
                HeaderValue::from_static("nosniff"),
            );
            return r;
        };
        if req.method() != Method::POST {
            let mut r = plain(
                StatusCode::METHOD_NOT_ALLOWED,
                Some("text/plain"),
                Bytes::from_static(b"405 method not allowed, supported: [POST]"),
            );
            r.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("POST"));
            return r;
        }
        let Some(format) = Format::from_content_type(req.headers().get(header::CONTENT_TYPE))
        else {
            return plain(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                Some("text/plain"),
                Bytes::from(format!(
                    "415 unsupported media type, supported: [{JSON}, {PROTOBUF}]"
                )),
            );
        };

        let meta = RequestMeta {
            client_addr: Some(self.peer),
            metadata: if shared.include_metadata {
                metadata::from_headers(req.headers(), req.uri().authority().map(|a| a.as_str()))
            } else {
                Default::default()
            },
        };
        let body = match self.read_body(req.into_body(), decoder).await {
            Ok(b) => b,
            Err(msg) => {
                return status_response(
                    format,
                    StatusCode::BAD_REQUEST,
                    Code::InvalidArgument,
                    &msg,
                );
            }
        };
        let result = match format {
            Format::Protobuf => shared.exporter.export_proto(signal, body, meta).await,
            Format::Json => shared.exporter.export_json(signal, &body, meta).await,
        };
        match result {
            Ok(()) => plain(
                StatusCode::OK,
                Some(format.content_type()),
                Bytes::from(success_body(signal, format == Format::Json)),
            ),
            Err(ExportError::Decode(msg)) => {
                status_response(format, StatusCode::BAD_REQUEST, Code::InvalidArgument, &msg)
            }
            Err(ExportError::Pipeline(e)) => pipeline_error(format, &e),
        }
    }

    /// Reads the body within `max_request_body_size`, as sent and once decompressed.
    async fn read_body(&self, body: Incoming, decoder: Option<Encoding>) -> Result<Bytes, String> {
        let limit = self.shared.max_body;
        let collect = Limited::new(body, limit).collect();
        let collected = match self.shared.read_timeout {
            Some(t) => tokio::time::timeout(t, collect)
                .await
                .map_err(|_| "read timeout exceeded".to_string())?,
            None => collect.await,
        };
        let raw = collected
            .map_err(|e| {
                if e.is::<LengthLimitError>() {
                    TOO_LARGE.to_string()
                } else {
                    e.to_string()
                }
            })?
            .to_bytes();
        match decoder {
            None => Ok(raw),
            Some(enc) => compression::decompress(enc, &raw, limit)
                .map(Bytes::from)
                .map_err(|e| match e {
                    DecompressError::TooLarge { .. } => TOO_LARGE.to_string(),
                    DecompressError::Invalid { .. } => e.to_string(),
                }),
        }
    }
}

/// A refusal from the pipeline: the status upstream maps it to, `Retry-After` when throttled,
/// and the full `google.rpc.Status` (with its `RetryInfo`) as the body.
fn pipeline_error(format: Format, err: &ConsumeError) -> Response<Full<Bytes>> {
    let (status, retry_after, mut body) = helpers::status::receiver_http_response(err);
    let grpc = helpers::status::receiver_grpc_status(err);
    if let Ok(full) = RpcStatus::decode(grpc.details()) {
        body.details = full.details;
    }
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut r = plain(
        code,
        Some(format.content_type()),
        Bytes::from(format.encode_status(&body)),
    );
    if let Some(secs) = retry_after {
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    r
}

fn status_response(
    format: Format,
    http: StatusCode,
    code: Code,
    message: &str,
) -> Response<Full<Bytes>> {
    let status = RpcStatus {
        code: code as i32,
        message: message.to_string(),
        details: Vec::new(),
    };
    plain(
        http,
        Some(format.content_type()),
        Bytes::from(format.encode_status(&status)),
    )
}

/// upstream `errorHandler`: errors raised before the handler runs (decompression) are encoded
/// after the request's `Content-Type`, JSON when it has none, and anything else gets a 500 with
/// a fixed JSON body.
fn error_handler(req: &HeaderMap, http: StatusCode, message: &str) -> Response<Full<Bytes>> {
    let format = match req.get(header::CONTENT_TYPE) {
        None => Some(Format::Json),
        Some(v) if v.is_empty() => Some(Format::Json),
        v => Format::from_content_type(v),
    };
    let code = match http.as_u16() {
        400 => Code::InvalidArgument,
        401 => Code::Unauthenticated,
        403 => Code::PermissionDenied,
        404 => Code::Unimplemented,
        429 => Code::ResourceExhausted,
        502..=504 => Code::Unavailable,
        _ => Code::Unknown,
    };
    match format {
        Some(f) => status_response(f, http, code, message),
        None => plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            Some(JSON),
            Bytes::from_static(FALLBACK_BODY.as_bytes()),
        ),
    }
}

fn plain(
    status: StatusCode,
    content_type: Option<&'static str>,
    body: Bytes,
) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    if let Some(ct) = content_type {
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    }
    r
}
