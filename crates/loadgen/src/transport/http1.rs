//! OTLP/HTTP over one HTTP/1.1 keep-alive connection.

use bytes::Bytes;
use http::Request;
use http::header::{CONTENT_ENCODING, CONTENT_TYPE, HOST, USER_AGENT};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;

use super::{Io, Outcome, TransportError};

pub struct HttpClient {
    sender: http1::SendRequest<Full<Bytes>>,
    host: String,
    path: String,
    content_type: &'static str,
    gzip: bool,
}

impl HttpClient {
    pub(super) async fn handshake(
        io: TokioIo<Box<dyn Io>>,
        host: String,
        path: String,
        content_type: &'static str,
        gzip: bool,
    ) -> Result<Self, TransportError> {
        let (sender, connection) = http1::handshake(io)
            .await
            .map_err(|e| TransportError::Connect(format!("HTTP/1.1 handshake: {e}")))?;
        tokio::spawn(connection);
        Ok(HttpClient {
            sender,
            host,
            path,
            content_type,
            gzip,
        })
    }

    pub async fn send(&mut self, body: Bytes) -> Outcome {
        if self.sender.ready().await.is_err() {
            return Outcome::Failed("transport:closed".into());
        }
        let mut req = Request::post(self.path.as_str())
            .header(HOST, self.host.as_str())
            .header(CONTENT_TYPE, self.content_type)
            .header(
                USER_AGENT,
                concat!("ferrocol-loadgen/", env!("CARGO_PKG_VERSION")),
            );
        if self.gzip {
            req = req.header(CONTENT_ENCODING, "gzip");
        }
        let req = match req.body(Full::new(body)) {
            Ok(r) => r,
            Err(e) => return Outcome::Failed(format!("request:{e}")),
        };
        let resp = match self.sender.send_request(req).await {
            Ok(r) => r,
            Err(e) if e.is_closed() || e.is_canceled() => {
                return Outcome::Failed("transport:closed".into());
            }
            Err(_) => return Outcome::Failed("transport:error".into()),
        };
        let status = resp.status();
        // Read the body so the connection can carry the next request.
        if resp.into_body().collect().await.is_err() {
            return Outcome::Failed("transport:body".into());
        }
        if status.is_success() {
            Outcome::Accepted
        } else {
            Outcome::Refused(format!("http:{}", status.as_u16()))
        }
    }
}
