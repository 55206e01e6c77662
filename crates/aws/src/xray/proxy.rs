//! The X-Ray daemon's local TCP proxy (upstream `internal/aws/proxy`), used by the `awsxray`
//! receiver's `proxy_server` and the `awsproxy` extension: X-Ray SDKs call the sampling APIs
//! (`POST /GetSamplingRules`, `POST /SamplingTargets`, ...) unsigned on a local port; the proxy
//! forwards each request to the X-Ray endpoint with the path, query, method, body and headers
//! it came with, signed with SigV4 with the collector's credentials, and relays the answer
//! (status, headers, body) as it is.
//!
//! A request the proxy cannot deliver (no credentials, connection failure, timeout) is answered
//! `502 Bad Gateway`, as Go's `httputil.ReverseProxy`; a request body over 1 MiB is answered
//! `413`.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::SystemTime;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::error::AwsError;
use crate::http_client::HttpClient;
use crate::service::Service;
use crate::session::{AwsSession, AwsSessionConfig};
use crate::signing::sign_parts;

/// Sampling calls are small; anything larger is not an SDK's.
const MAX_BODY: usize = 1024 * 1024;

/// Headers that belong to one hop, or that the proxy sets itself.
const NOT_FORWARDED: [&str; 13] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "authorization",
    "x-amz-date",
    "x-amz-security-token",
];

/// The proxy's configuration: upstream `proxy.Config`, the `proxy_server` section of the
/// `awsxray` receiver and the whole `awsproxy` extension section, with upstream's defaults.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct ProxyConfig {
    /// TCP address to listen on (default `localhost:2000`).
    pub endpoint: String,
    /// confignet's dialer settings (`timeout`); a listener dials nothing, so accepted without
    /// effect.
    pub dialer: BTreeMap<String, String>,
    /// An HTTP proxy to reach X-Ray through; empty → `HTTPS_PROXY`.
    pub proxy_address: String,
    pub tls: ProxyTlsConfig,
    /// Empty → `AWS_REGION`, the profile, then EC2 metadata (unless `local_mode`).
    pub region: String,
    /// Assume this role for the signing credentials.
    pub role_arn: String,
    /// The X-Ray endpoint to forward to; empty → `https://xray.<region>.amazonaws.com`.
    pub aws_endpoint: String,
    /// Skip EC2 instance metadata.
    pub local_mode: bool,
    /// The SigV4 service name (default `xray`).
    pub service_name: String,
}

impl Default for ProxyConfig {
    fn default() -> Self {
        ProxyConfig {
            endpoint: "localhost:2000".to_string(),
            dialer: BTreeMap::new(),
            proxy_address: String::new(),
            tls: ProxyTlsConfig::default(),
            region: String::new(),
            role_arn: String::new(),
            aws_endpoint: String::new(),
            local_mode: false,
            service_name: "xray".to_string(),
        }
    }
}

/// The part of configtls's client settings the proxy's AWS client honours: it verifies X-Ray's
/// certificate with the system and Mozilla roots, or not at all. Other TLS keys are refused as
/// unknown rather than silently ignored.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct ProxyTlsConfig {
    /// Accepted for compatibility; X-Ray is always reached over HTTPS unless `aws_endpoint`
    /// says `http://`.
    pub insecure: bool,
    /// Do not verify X-Ray's certificate.
    pub insecure_skip_verify: bool,
}

impl ProxyConfig {
    /// What can be checked before start.
    pub fn validate(&self) -> Result<(), String> {
        if self.endpoint.is_empty() {
            return Err("endpoint must not be empty".to_string());
        }
        if !self.aws_endpoint.is_empty() {
            crate::endpoint::parse(&self.aws_endpoint).map_err(|e| e.message)?;
        }
        Ok(())
    }
}

struct Upstream {
    session: AwsSession,
    http: HttpClient,
    service_name: String,
}

/// A running proxy.
pub struct ProxyServer {
    pub local_addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl ProxyServer {
    /// Resolves region, endpoint and credentials, binds the endpoint and starts serving.
    pub async fn start(settings: &ProxyConfig) -> Result<ProxyServer, AwsError> {
        let cfg = AwsSessionConfig {
            region: settings.region.clone(),
            endpoint: settings.aws_endpoint.clone(),
            local_mode: settings.local_mode,
            role_arn: settings.role_arn.clone(),
            proxy_address: settings.proxy_address.clone(),
            no_verify_ssl: settings.tls.insecure_skip_verify,
            ..AwsSessionConfig::default()
        };
        let session = AwsSession::new(&cfg, Service::XRAY).await?;
        let http = HttpClient::new(&cfg.http_settings())?;
        let service_name = if settings.service_name.is_empty() {
            Service::XRAY.signing_name.to_string()
        } else {
            settings.service_name.clone()
        };
        let listener = bind(&settings.endpoint).await?;
        let local_addr = listener
            .local_addr()
            .map_err(|e| AwsError::config("ListenError", e.to_string()))?;
        let upstream = std::sync::Arc::new(Upstream {
            session,
            http,
            service_name,
        });
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            loop {
                let (stream, _) = tokio::select! {
                    _ = stopped.changed() => return,
                    r = listener.accept() => match r {
                        Ok(c) => c,
                        Err(e) => {
                            tracing::debug!(error = %e, "X-Ray proxy: accept failed");
                            continue;
                        }
                    },
                };
                let _ = stream.set_nodelay(true);
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req| {
                        let upstream = upstream.clone();
                        async move { Ok::<_, Infallible>(forward(&upstream, req).await) }
                    });
                    if let Err(e) = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await
                    {
                        tracing::debug!(error = %e, "X-Ray proxy: connection ended with an error");
                    }
                });
            }
        });
        tracing::debug!(endpoint = %local_addr, "X-Ray proxy server listening");
        Ok(ProxyServer {
            local_addr,
            stop,
            task,
        })
    }

    /// Stops accepting connections (requests in flight finish on their own).
    pub async fn shutdown(self, deadline: tokio::time::Instant) {
        let _ = self.stop.send(true);
        let abort = self.task.abort_handle();
        if tokio::time::timeout_at(deadline, self.task).await.is_err() {
            abort.abort();
        }
    }
}

async fn bind(endpoint: &str) -> Result<TcpListener, AwsError> {
    let err = |m: String| AwsError::config("ListenError", m);
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host(endpoint)
        .await
        .map_err(|e| err(format!("listen tcp {endpoint}: {e}")))?
        .collect();
    let mut last = format!("listen tcp {endpoint}: no address to listen on");
    for addr in addrs {
        match TcpListener::bind(addr).await {
            Ok(l) => return Ok(l),
            Err(e) => last = format!("listen tcp {addr} ({endpoint}): {e}"),
        }
    }
    Err(err(last))
}

fn plain(status: u16, message: String) -> http::Response<Full<Bytes>> {
    let mut r = http::Response::new(Full::new(Bytes::from(message)));
    *r.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::BAD_GATEWAY);
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

async fn forward(up: &Upstream, req: http::Request<Incoming>) -> http::Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    tracing::debug!(method = %parts.method, path = %parts.uri.path(), "Received request on X-Ray proxy server");
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                return plain(413, format!("request body larger than {MAX_BODY} bytes"));
            }
            return plain(400, format!("reading the request body: {e}"));
        }
    };
    match send(up, parts, body).await {
        Ok(r) => {
            let mut out = http::Response::new(Full::new(r.body));
            *out.status_mut() =
                http::StatusCode::from_u16(r.status).unwrap_or(http::StatusCode::BAD_GATEWAY);
            for (k, v) in &r.headers {
                if !NOT_FORWARDED.contains(&k.as_str()) && k != http::header::CONTENT_LENGTH {
                    out.headers_mut().append(k.clone(), v.clone());
                }
            }
            out
        }
        Err(e) => {
            tracing::warn!(error = %e, "X-Ray proxy: forwarding a request failed");
            plain(502, e.to_string())
        }
    }
}

async fn send(
    up: &Upstream,
    parts: http::request::Parts,
    body: Bytes,
) -> Result<crate::http_client::Response, AwsError> {
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let uri = crate::endpoint::join(up.session.endpoint(), path)?;
    let mut builder = http::Request::builder()
        .method(parts.method.clone())
        .uri(uri);
    for (k, v) in &parts.headers {
        if !NOT_FORWARDED.contains(&k.as_str()) && k != http::header::CONTENT_LENGTH {
            builder = builder.header(k, v);
        }
    }
    let request = builder
        .body(body)
        .map_err(|e| AwsError::config("InvalidRequest", e.to_string()))?;
    let (mut parts, body) = request.into_parts();
    let credentials = up.session.credentials().credentials().await?;
    sign_parts(
        &mut parts,
        &body,
        &credentials,
        up.session.region(),
        &up.service_name,
        SystemTime::now(),
    )?;
    up.http.send(http::Request::from_parts(parts, body)).await
}
