//! A unary gRPC client written directly on hyper's HTTP/2 connection: the request body is already
//! framed (and compressed) by the pool, so sending is one write and no per-request encoding.

use bytes::Bytes;
use http::header::{CONTENT_TYPE, TE, USER_AGENT};
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http2;
use hyper_util::rt::{TokioExecutor, TokioIo};

use super::{Io, Outcome, TransportError};

pub struct GrpcClient {
    sender: http2::SendRequest<Full<Bytes>>,
    uri: http::Uri,
    gzip: bool,
}

impl GrpcClient {
    pub(super) async fn handshake(
        io: TokioIo<Box<dyn Io>>,
        uri: String,
        gzip: bool,
    ) -> Result<Self, TransportError> {
        let uri: http::Uri = uri
            .parse()
            .map_err(|e| TransportError::Endpoint(format!("{uri}: {e}")))?;
        let (sender, connection) = http2::Builder::new(TokioExecutor::new())
            .handshake(io)
            .await
            .map_err(|e| TransportError::Connect(format!("HTTP/2 handshake: {e}")))?;
        // The connection task ends when the sender is dropped or the peer goes away; its error
        // surfaces on the next send.
        tokio::spawn(connection);
        Ok(GrpcClient { sender, uri, gzip })
    }

    pub async fn send(&mut self, body: Bytes) -> Outcome {
        if let Err(e) = self.sender.ready().await {
            return Outcome::Failed(format!("transport:{}", short(&e)));
        }
        let mut req = Request::post(self.uri.clone())
            .header(CONTENT_TYPE, "application/grpc")
            .header(TE, "trailers")
            .header(
                USER_AGENT,
                concat!("ferrocol-loadgen/", env!("CARGO_PKG_VERSION")),
            )
            .header("grpc-accept-encoding", "gzip");
        if self.gzip {
            req = req.header("grpc-encoding", "gzip");
        }
        let req = match req.body(Full::new(body)) {
            Ok(r) => r,
            Err(e) => return Outcome::Failed(format!("request:{e}")),
        };
        let resp = match self.sender.send_request(req).await {
            Ok(r) => r,
            Err(e) => return Outcome::Failed(format!("transport:{}", short(&e))),
        };
        let (parts, body) = resp.into_parts();
        if parts.status != StatusCode::OK {
            return Outcome::Refused(format!("http:{}", parts.status.as_u16()));
        }
        // A trailers-only answer carries grpc-status in the headers.
        if let Some(code) = grpc_status(&parts.headers) {
            return classify(code);
        }
        match body.collect().await {
            Ok(collected) => match collected.trailers().and_then(grpc_status) {
                Some(code) => classify(code),
                None => Outcome::Refused("grpc:no-status".into()),
            },
            Err(e) => Outcome::Failed(format!("transport:{}", short(&e))),
        }
    }
}

fn short(e: &hyper::Error) -> &'static str {
    if e.is_closed() || e.is_canceled() {
        "closed"
    } else if e.is_timeout() {
        "timeout"
    } else {
        "error"
    }
}

fn grpc_status(headers: &HeaderMap) -> Option<u32> {
    headers
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

fn classify(code: u32) -> Outcome {
    if code == 0 {
        Outcome::Accepted
    } else {
        Outcome::Refused(format!("grpc:{}", code_name(code)))
    }
}

/// The canonical name of a gRPC status code.
pub fn code_name(code: u32) -> String {
    const NAMES: [&str; 17] = [
        "OK",
        "CANCELLED",
        "UNKNOWN",
        "INVALID_ARGUMENT",
        "DEADLINE_EXCEEDED",
        "NOT_FOUND",
        "ALREADY_EXISTS",
        "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED",
        "FAILED_PRECONDITION",
        "ABORTED",
        "OUT_OF_RANGE",
        "UNIMPLEMENTED",
        "INTERNAL",
        "UNAVAILABLE",
        "DATA_LOSS",
        "UNAUTHENTICATED",
    ];
    NAMES
        .get(code as usize)
        .map_or_else(|| code.to_string(), |n| (*n).to_string())
}
