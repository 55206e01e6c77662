//! Answers one request, gRPC or HTTP, counting its items unless the faults say to refuse it.

use std::io::Read;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Buf, BufMut, Bytes};
use futures::future::BoxFuture;
use http::header::{CONTENT_ENCODING, CONTENT_TYPE, RETRY_AFTER};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use loadgen::Signal;
use pdata::payload::Request as _;
use tonic::Status;
use tonic::body::Body;
use tonic::codec::{Codec, CompressionEncoding, DecodeBuf, Decoder, EncodeBuf, Encoder};

use super::{FaultKind, Faults, Shared};

/// Largest request body accepted (uncompressed), far above what collectors send by default.
const MAX_BODY: usize = 64 << 20;

const SIGNALS: [Signal; 3] = [Signal::Traces, Signal::Metrics, Signal::Logs];

pub(super) async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Response<Body> {
    let grpc = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/grpc"));
    if grpc {
        handle_grpc(shared, req).await
    } else {
        handle_http(shared, req).await
    }
}

async fn handle_grpc(shared: Arc<Shared>, req: Request<Incoming>) -> Response<Body> {
    let Some(signal) = SIGNALS
        .into_iter()
        .find(|s| s.grpc_path() == req.uri().path())
    else {
        return Status::unimplemented(format!("unknown method {}", req.uri().path())).into_http();
    };
    let mut grpc = tonic::server::Grpc::new(BytesCodec).max_decoding_message_size(MAX_BODY);
    for enc in [CompressionEncoding::Gzip, CompressionEncoding::Zstd] {
        grpc = grpc.accept_compressed(enc);
    }
    grpc.unary(Export { shared, signal }, req).await
}

/// The unary `Export` method.
struct Export {
    shared: Arc<Shared>,
    signal: Signal,
}

impl tower_service::Service<tonic::Request<Bytes>> for Export {
    type Response = tonic::Response<Bytes>;
    type Error = Status;
    type Future = BoxFuture<'static, Result<Self::Response, Status>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Status>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: tonic::Request<Bytes>) -> Self::Future {
        let shared = self.shared.clone();
        let signal = self.signal;
        Box::pin(async move {
            let (refuse, faults) = shared.admit();
            if !faults.delay.is_zero() {
                tokio::time::sleep(faults.delay).await;
            }
            let items = pdata::wire::count_items(signal.wire_kind(), req.get_ref())
                .map_err(|e| Status::invalid_argument(format!("bad OTLP protobuf: {e}")))?
                as u64;
            if refuse {
                shared.counts.refuse(items);
                return Err(match faults.kind {
                    FaultKind::Unavailable => Status::unavailable("mock backend: unavailable"),
                    FaultKind::Throttled => Status::resource_exhausted("mock backend: throttled"),
                    FaultKind::Permanent => Status::invalid_argument("mock backend: rejected"),
                });
            }
            shared.counts.accept(signal, items);
            // An empty Export*ServiceResponse.
            Ok(tonic::Response::new(Bytes::new()))
        })
    }
}

async fn handle_http(shared: Arc<Shared>, req: Request<Incoming>) -> Response<Body> {
    let Some(signal) = SIGNALS
        .into_iter()
        .find(|s| s.http_path() == req.uri().path())
    else {
        return plain(StatusCode::NOT_FOUND, "unknown path");
    };
    if req.method() != Method::POST {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "POST only");
    }
    let header = |name| {
        req.headers()
            .get(name)
            .and_then(|v: &http::HeaderValue| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase()
    };
    let json = header(CONTENT_TYPE).starts_with("application/json");
    let encoding = header(CONTENT_ENCODING);
    let (refuse, faults) = shared.admit();
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => return plain(StatusCode::BAD_REQUEST, &format!("reading body: {e}")),
    };
    if !faults.delay.is_zero() {
        tokio::time::sleep(faults.delay).await;
    }
    let body = match decompress(&encoding, body) {
        Ok(b) => b,
        Err(e) => return plain(StatusCode::BAD_REQUEST, &e),
    };
    let items = match count(signal, json, &body) {
        Ok(n) => n,
        Err(e) => return plain(StatusCode::BAD_REQUEST, &e),
    };
    if refuse {
        shared.counts.refuse(items);
        return refusal(&faults);
    }
    shared.counts.accept(signal, items);
    let (content_type, body) = if json {
        ("application/json", Bytes::from_static(b"{}"))
    } else {
        ("application/x-protobuf", Bytes::new())
    };
    Response::builder()
        .header(CONTENT_TYPE, content_type)
        .body(Body::new(Full::new(body)))
        .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "response"))
}

fn count(signal: Signal, json: bool, body: &[u8]) -> Result<u64, String> {
    if json {
        // JSON has no wire walk; decoding is the only way to count it.
        let n = match signal {
            Signal::Traces => pdata::json::decode_traces(body).map(|r| r.item_count()),
            Signal::Metrics => pdata::json::decode_metrics(body).map(|r| r.item_count()),
            Signal::Logs => pdata::json::decode_logs(body).map(|r| r.item_count()),
        };
        n.map(|n| n as u64)
            .map_err(|e| format!("bad OTLP/JSON: {e}"))
    } else {
        pdata::wire::count_items(signal.wire_kind(), body)
            .map(|n| n as u64)
            .map_err(|e| format!("bad OTLP protobuf: {e}"))
    }
}

fn decompress(encoding: &str, body: Bytes) -> Result<Bytes, String> {
    let mut out = Vec::new();
    let result = match encoding {
        "" | "identity" => return Ok(body),
        "gzip" => flate2::read::GzDecoder::new(body.reader())
            .take(MAX_BODY as u64 + 1)
            .read_to_end(&mut out),
        "zstd" => zstd::stream::read::Decoder::new(body.reader())
            .and_then(|d| d.take(MAX_BODY as u64 + 1).read_to_end(&mut out)),
        other => return Err(format!("unsupported content-encoding {other:?}")),
    };
    result.map_err(|e| format!("decompressing {encoding}: {e}"))?;
    if out.len() > MAX_BODY {
        return Err("body too large after decompression".into());
    }
    Ok(Bytes::from(out))
}

fn refusal(faults: &Faults) -> Response<Body> {
    let status = match faults.kind {
        FaultKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        FaultKind::Throttled => StatusCode::TOO_MANY_REQUESTS,
        FaultKind::Permanent => StatusCode::BAD_REQUEST,
    };
    let mut r = plain(status, "mock backend: refused");
    if let (Some(secs), FaultKind::Unavailable | FaultKind::Throttled) =
        (faults.retry_after, faults.kind)
    {
        r.headers_mut().insert(RETRY_AFTER, secs.into());
    }
    r
}

fn plain(status: StatusCode, message: &str) -> Response<Body> {
    let mut r = Response::new(Body::new(Full::new(Bytes::from(message.to_string()))));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, http::HeaderValue::from_static("text/plain"));
    r
}

/// Hands the message bytes through untouched: counting walks them, nothing decodes them.
#[derive(Clone, Copy, Debug, Default)]
struct BytesCodec;

impl Codec for BytesCodec {
    type Encode = Bytes;
    type Decode = Bytes;
    type Encoder = BytesCodec;
    type Decoder = BytesCodec;

    fn encoder(&mut self) -> Self::Encoder {
        BytesCodec
    }

    fn decoder(&mut self) -> Self::Decoder {
        BytesCodec
    }
}

impl Encoder for BytesCodec {
    type Item = Bytes;
    type Error = Status;

    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put(item);
        Ok(())
    }
}

impl Decoder for BytesCodec {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}
