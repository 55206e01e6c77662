//! OTLP/gRPC: the three `Export` methods, served with tonic's unary machinery and a codec that
//! hands the message bytes over untouched (no prost decode; DESIGN.md §3).
//!
//! Answers follow grpc-go, which upstream runs: an unknown service or method is `Unimplemented`
//! (`unknown service X` — also for a signal no pipeline takes from this receiver, whose service
//! upstream does not register), an oversized message `ResourceExhausted`, an undecodable one
//! `Internal` (`grpc: failed to unmarshal the received message: ...`), pipeline errors through
//! `helpers::status::receiver_grpc_status`.

use std::net::SocketAddr;
use std::task::{Context, Poll};

use bytes::{BufMut, Bytes, BytesMut};
use component::Signal;
use futures::future::BoxFuture;
use helpers::compression::{self, DecompressError, Encoding};
use helpers::grpc_codec::BytesCodec;
use http::{Request, Response};
use http_body_util::{BodyExt, Either, Full, Limited};
use hyper::body::Incoming;
use pdata::RequestMeta;
use tonic::Status;
use tonic::body::Body as TonicBody;
use tonic::codec::CompressionEncoding;

use super::export::{ExportError, Exporter, service_name, success_body};
use super::metadata;

/// The gRPC wire prefix: compressed flag and message length.
const FRAME_HEADER: usize = 5;

/// Handles the requests of one connection.
#[derive(Clone)]
pub(crate) struct GrpcService {
    pub exporter: Exporter,
    pub max_recv_msg_size: usize,
    pub include_metadata: bool,
    pub peer: SocketAddr,
}

impl hyper::service::Service<Request<Incoming>> for GrpcService {
    type Response = Response<TonicBody>;
    type Error = std::convert::Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn call(&self, req: Request<Incoming>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { Ok(this.handle(req).await) })
    }
}

impl GrpcService {
    async fn handle(self, req: Request<Incoming>) -> Response<TonicBody> {
        let signal = match self.route(req.uri().path()) {
            Ok(signal) => signal,
            Err(status) => return status.into_http(),
        };
        let meta = RequestMeta {
            client_addr: Some(self.peer),
            metadata: if self.include_metadata {
                metadata::from_headers(req.headers(), req.uri().authority().map(|a| a.as_str()))
            } else {
                Default::default()
            },
        };
        let encoding = req
            .headers()
            .get("grpc-encoding")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("identity")
            .to_string();
        let limit = self.max_recv_msg_size;
        // tonic has no snappy; upstream registers it, so snappy messages are inflated here.
        let req = if encoding == "snappy" {
            match inflate_snappy(req, limit).await {
                Ok(r) => r.map(Either::Right),
                Err(status) => return status.into_http(),
            }
        } else {
            req.map(Either::Left)
        };
        let handler = ExportHandler {
            exporter: self.exporter.clone(),
            signal,
            meta,
        };
        let mut grpc = tonic::server::Grpc::new(BytesCodec).max_decoding_message_size(limit);
        for enc in [
            CompressionEncoding::Gzip,
            CompressionEncoding::Zstd,
            CompressionEncoding::Deflate,
        ] {
            grpc = grpc.accept_compressed(enc).send_compressed(enc);
        }
        let response = grpc.unary(handler, req).await;
        as_grpc_go(response, limit, &encoding)
    }

    /// The signal of `/<service>/<method>`, or grpc-go's answer for an unknown route.
    fn route(&self, path: &str) -> Result<Signal, Status> {
        let (service, method) = path
            .strip_prefix('/')
            .and_then(|p| p.split_once('/'))
            .unwrap_or(("", ""));
        let signal = [Signal::Traces, Signal::Metrics, Signal::Logs]
            .into_iter()
            .find(|s| service_name(*s) == service && self.exporter.serves(*s))
            .ok_or_else(|| Status::unimplemented(format!("unknown service {service}")))?;
        if method != "Export" {
            return Err(Status::unimplemented(format!(
                "unknown method {method} for service {service}"
            )));
        }
        Ok(signal)
    }
}

/// Rewrites tonic's answers for oversized or unsupported messages into grpc-go's, which OTLP
/// clients and upstream's tests know. tonic reports an oversized frame as `OutOfRange`, which
/// OTLP exporters retry forever; grpc-go says `ResourceExhausted`.
fn as_grpc_go(response: Response<TonicBody>, limit: usize, encoding: &str) -> Response<TonicBody> {
    let Some(status) = response.extensions().get::<Status>() else {
        return response;
    };
    let msg = status.message();
    let replacement = match status.code() {
        tonic::Code::OutOfRange if msg.starts_with("Error, decoded message length too large") => {
            let found = msg
                .split("found ")
                .nth(1)
                .and_then(|s| s.split(' ').next())
                .unwrap_or("?");
            Status::resource_exhausted(format!(
                "grpc: received message larger than max ({found} vs. {limit})"
            ))
        }
        tonic::Code::ResourceExhausted if msg.starts_with("Error decompressing: size limit") => {
            Status::resource_exhausted(format!(
                "grpc: received message after decompression larger than max {limit}"
            ))
        }
        tonic::Code::Unimplemented if msg.starts_with("Content is compressed with") => {
            Status::unimplemented(format!(
                "grpc: Decompressor is not installed for grpc-encoding {encoding:?}"
            ))
        }
        _ => return response,
    };
    let mut r: Response<TonicBody> = replacement.into_http();
    if let Some(v) = response.headers().get("grpc-accept-encoding") {
        r.headers_mut().insert("grpc-accept-encoding", v.clone());
    }
    r
}

/// Reads a snappy-compressed unary request whole and returns it uncompressed, enforcing the
/// same limits grpc-go does (wire length, then decompressed length).
async fn inflate_snappy(
    req: Request<Incoming>,
    limit: usize,
) -> Result<Request<Full<Bytes>>, Status> {
    let (mut parts, body) = req.into_parts();
    let wire_limit = limit.saturating_add(FRAME_HEADER);
    let body = Limited::new(body, wire_limit)
        .collect()
        .await
        .map_err(|e| {
            if e.is::<http_body_util::LengthLimitError>() {
                Status::resource_exhausted(format!(
                    "grpc: received message larger than max (>{limit} vs. {limit})"
                ))
            } else {
                Status::internal(format!("grpc: failed to read the request: {e}"))
            }
        })?
        .to_bytes();
    let mut out = BytesMut::with_capacity(body.len());
    let mut rest = &body[..];
    while !rest.is_empty() {
        if rest.len() < FRAME_HEADER {
            return Err(Status::internal("grpc: truncated message frame"));
        }
        let flag = rest[0];
        let len = u32::from_be_bytes([rest[1], rest[2], rest[3], rest[4]]) as usize;
        if len > limit {
            return Err(Status::resource_exhausted(format!(
                "grpc: received message larger than max ({len} vs. {limit})"
            )));
        }
        let Some(msg) = rest.get(FRAME_HEADER..FRAME_HEADER + len) else {
            return Err(Status::internal("grpc: truncated message frame"));
        };
        let plain = if flag == 1 {
            compression::decompress(Encoding::SnappyFramed, msg, limit).map_err(|e| match e {
                DecompressError::TooLarge { .. } => Status::resource_exhausted(format!(
                    "grpc: received message after decompression larger than max {limit}"
                )),
                DecompressError::Invalid { message, .. } => Status::internal(format!(
                    "grpc: failed to decompress the received message: {message}"
                )),
            })?
        } else {
            msg.to_vec()
        };
        out.put_u8(0);
        out.put_u32(plain.len() as u32);
        out.extend_from_slice(&plain);
        rest = &rest[FRAME_HEADER + len..];
    }
    parts.headers.remove("grpc-encoding");
    parts.headers.remove(http::header::CONTENT_LENGTH);
    Ok(Request::from_parts(parts, Full::new(out.freeze())))
}

/// The unary `Export` handler for one request.
struct ExportHandler {
    exporter: Exporter,
    signal: Signal,
    meta: RequestMeta,
}

impl tower_service::Service<tonic::Request<Bytes>> for ExportHandler {
    type Response = tonic::Response<Bytes>;
    type Error = Status;
    type Future = BoxFuture<'static, Result<Self::Response, Status>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Status>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: tonic::Request<Bytes>) -> Self::Future {
        let exporter = self.exporter.clone();
        let signal = self.signal;
        let meta = std::mem::take(&mut self.meta);
        Box::pin(async move {
            match exporter.export_proto(signal, req.into_inner(), meta).await {
                Ok(()) => Ok(tonic::Response::new(Bytes::from(success_body(
                    signal, false,
                )))),
                Err(ExportError::Decode(msg)) => Err(Status::internal(format!(
                    "grpc: failed to unmarshal the received message: {msg}"
                ))),
                Err(ExportError::Pipeline(e)) => Err(helpers::status::receiver_grpc_status(&e)),
            }
        })
    }
}
