//! Sending one pre-encoded request and classifying the answer. Each worker owns one connection
//! (HTTP/2 for gRPC, HTTP/1.1 keep-alive for OTLP/HTTP) with TCP_NODELAY set: without it a client
//! with one request in flight stalls ~40 ms on a share of requests (Nagle + delayed ACK).

mod grpc;
mod http1;
mod tls;

use std::sync::Arc;

use bytes::Bytes;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::config::{Encoding, LoadConfig, Protocol};

pub use grpc::code_name as grpc_code_name;

/// Why a request could not be sent or answered.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("connect: {0}")]
    Connect(String),
    #[error("tls: {0}")]
    Tls(String),
    #[error("endpoint: {0}")]
    Endpoint(String),
}

/// How a request ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// gRPC OK or HTTP 2xx.
    Accepted,
    /// Answered with an error: `grpc:UNAVAILABLE`, `http:503`, ...
    Refused(String),
    /// No answer: the connection failed or the request timed out; the connection is dropped.
    Failed(String),
}

/// Where to connect and how.
#[derive(Clone, Debug)]
pub struct Target {
    /// `host:port`.
    pub authority: String,
    pub host: String,
    pub tls: Option<Arc<rustls::ClientConfig>>,
    pub server_name: String,
}

impl Target {
    /// Reads the endpoint (`host:port`, `http://host:port`, `https://host:port`). A `http://`
    /// scheme or `insecure` means plaintext; otherwise TLS, as telemetrygen.
    pub fn from_config(config: &LoadConfig) -> Result<Target, TransportError> {
        let (plain_scheme, rest) = if let Some(r) = config.endpoint.strip_prefix("http://") {
            (true, r)
        } else if let Some(r) = config.endpoint.strip_prefix("https://") {
            (false, r)
        } else {
            (false, config.endpoint.as_str())
        };
        let authority = rest.trim_end_matches('/').to_string();
        let host = match authority.rsplit_once(':') {
            Some((h, p)) if p.parse::<u16>().is_ok() => h.trim_matches(['[', ']']).to_string(),
            _ => {
                return Err(TransportError::Endpoint(format!(
                    "{:?} is not host:port",
                    config.endpoint
                )));
            }
        };
        let plaintext = plain_scheme || (config.insecure && config.ca_file.is_none());
        let tls = if plaintext {
            None
        } else {
            let alpn: &[u8] = match config.protocol {
                Protocol::Grpc => b"h2",
                Protocol::Http => b"http/1.1",
            };
            Some(tls::client_config(config.ca_file.as_deref(), alpn)?)
        };
        Ok(Target {
            server_name: config.server_name.clone().unwrap_or_else(|| host.clone()),
            authority,
            host,
            tls,
        })
    }
}

/// A stream that is either plaintext TCP or TLS over it.
trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}

async fn open(target: &Target) -> Result<TokioIo<Box<dyn Io>>, TransportError> {
    let tcp = TcpStream::connect(&target.authority)
        .await
        .map_err(|e| TransportError::Connect(format!("{}: {e}", target.authority)))?;
    tcp.set_nodelay(true)
        .map_err(|e| TransportError::Connect(e.to_string()))?;
    let io: Box<dyn Io> = match &target.tls {
        None => Box::new(tcp),
        Some(config) => {
            let name = rustls_pki_types::ServerName::try_from(target.server_name.clone())
                .map_err(|e| TransportError::Tls(format!("{}: {e}", target.server_name)))?;
            let stream = tokio_rustls::TlsConnector::from(config.clone())
                .connect(name, tcp)
                .await
                .map_err(|e| TransportError::Tls(e.to_string()))?;
            Box::new(stream)
        }
    };
    Ok(TokioIo::new(io))
}

/// One connection that sends the run's requests.
pub enum Client {
    Grpc(grpc::GrpcClient),
    Http(http1::HttpClient),
}

impl Client {
    /// Connects to the target for `config`'s protocol and signal.
    pub async fn connect(config: &LoadConfig, target: &Target) -> Result<Client, TransportError> {
        let io = open(target).await?;
        let scheme = if target.tls.is_some() {
            "https"
        } else {
            "http"
        };
        match config.protocol {
            Protocol::Grpc => Ok(Client::Grpc(
                grpc::GrpcClient::handshake(
                    io,
                    format!(
                        "{scheme}://{}{}",
                        target.authority,
                        config.signal.grpc_path()
                    ),
                    config.gzip,
                )
                .await?,
            )),
            Protocol::Http => {
                let path = config
                    .http_path
                    .clone()
                    .unwrap_or_else(|| config.signal.http_path().to_string());
                let content_type = match config.encoding {
                    Encoding::Proto => "application/x-protobuf",
                    Encoding::Json => "application/json",
                };
                Ok(Client::Http(
                    http1::HttpClient::handshake(
                        io,
                        target.authority.clone(),
                        path,
                        content_type,
                        config.gzip,
                    )
                    .await?,
                ))
            }
        }
    }

    /// Sends one pre-encoded body and waits for the answer.
    pub async fn send(&mut self, body: Bytes) -> Outcome {
        match self {
            Client::Grpc(c) => c.send(body).await,
            Client::Http(c) => c.send(body).await,
        }
    }
}
