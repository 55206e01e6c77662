//! The HTTP client AWS calls go through: hyper 1 over rustls (ring), HTTP/1.1 and HTTP/2 by ALPN,
//! the Mozilla roots plus the OS trust store, with ADOT's `no_verify_ssl` and `proxy_address`.
//!
//! It does not reuse `helpers::tls` because `confmap` (the `s3:`/`ssm:` providers) depends on
//! this crate and `helpers` depends on `confmap`; what is needed here is only "trust the usual
//! roots, or nothing".

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::rt::TokioExecutor;

use crate::error::AwsError;

/// Settings of the client (the transport part of `AwsSessionConfig`).
#[derive(Clone, Debug, Default)]
pub struct HttpSettings {
    /// Skip server certificate verification (`no_verify_ssl`).
    pub no_verify_ssl: bool,
    /// `http://host:port` of an HTTP proxy reached with `CONNECT` (`proxy_address`, else
    /// `HTTPS_PROXY`/`https_proxy`); empty for none.
    pub proxy_address: String,
    /// Bound on one whole exchange (request and response body); zero for none.
    pub timeout: Duration,
    /// Idle connections kept per host (`num_workers`).
    pub max_idle_per_host: usize,
}

/// A response, body collected.
#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

type Direct = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;
type Proxied = Client<HttpsConnector<Tunnel<HttpConnector>>, Full<Bytes>>;

#[derive(Clone)]
enum Inner {
    Direct(Direct),
    Proxied(Proxied),
}

/// A cheap-to-clone client; connections are pooled.
#[derive(Clone)]
pub struct HttpClient {
    inner: Inner,
    timeout: Duration,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("proxied", &matches!(self.inner, Inner::Proxied(_)))
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// `proxy_address`, else `HTTPS_PROXY` / `https_proxy` (as Go's `http.ProxyFromEnvironment`
/// for https targets, which AWS endpoints are).
pub fn proxy_from_config_or_env(configured: &str) -> String {
    if !configured.is_empty() {
        return configured.to_string();
    }
    ["HTTPS_PROXY", "https_proxy"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .unwrap_or_default()
}

impl HttpClient {
    pub fn new(settings: &HttpSettings) -> Result<Self, AwsError> {
        let tls = tls_config(settings.no_verify_ssl)?;
        let mut tcp = HttpConnector::new();
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        tcp.set_connect_timeout(Some(Duration::from_secs(10)));
        let mut builder = Client::builder(TokioExecutor::new());
        builder.pool_idle_timeout(Duration::from_secs(90));
        builder.pool_max_idle_per_host(settings.max_idle_per_host.max(1));
        let inner = if settings.proxy_address.is_empty() {
            let connector = hyper_rustls::HttpsConnectorBuilder::new()
                .with_tls_config(tls)
                .https_or_http()
                .enable_http1()
                .enable_http2()
                .wrap_connector(tcp);
            Inner::Direct(builder.build(connector))
        } else {
            let proxy: http::Uri = settings.proxy_address.parse().map_err(|e| {
                AwsError::config(
                    "InvalidProxy",
                    format!("invalid proxy_address {:?}: {e}", settings.proxy_address),
                )
            })?;
            if proxy.host().is_none() {
                return Err(AwsError::config(
                    "InvalidProxy",
                    format!(
                        "invalid proxy_address {:?}: no host",
                        settings.proxy_address
                    ),
                ));
            }
            let tunnel = Tunnel::new(proxy, tcp);
            let connector = hyper_rustls::HttpsConnectorBuilder::new()
                .with_tls_config(tls)
                .https_or_http()
                .enable_http1()
                .enable_http2()
                .wrap_connector(tunnel);
            Inner::Proxied(builder.build(connector))
        };
        Ok(HttpClient {
            inner,
            timeout: settings.timeout,
        })
    }

    /// Sends `request` and collects the response body, within the timeout. Transport failures
    /// and timeouts are transient errors.
    pub async fn send(&self, request: http::Request<Bytes>) -> Result<Response, AwsError> {
        let exchange = async {
            let request = request.map(Full::new);
            let response = match &self.inner {
                Inner::Direct(c) => c.request(request).await,
                Inner::Proxied(c) => c.request(request).await,
            }
            .map_err(|e| AwsError::transient("ConnectionError", describe(&e)))?;
            let (parts, body) = response.into_parts();
            let body = body
                .collect()
                .await
                .map_err(|e| AwsError::transient("ConnectionError", describe(&e)))?
                .to_bytes();
            Ok(Response {
                status: parts.status.as_u16(),
                headers: parts.headers,
                body,
            })
        };
        if self.timeout.is_zero() {
            exchange.await
        } else {
            tokio::time::timeout(self.timeout, exchange)
                .await
                .map_err(|_| {
                    AwsError::transient(
                        "RequestTimeout",
                        format!("no response within {:?}", self.timeout),
                    )
                })?
        }
    }
}

/// The error and its causes, `: `-joined (hyper's top-level message alone says little).
fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

fn tls_config(no_verify: bool) -> Result<rustls::ClientConfig, AwsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| AwsError::config("TlsError", e.to_string()))?;
    let config = if no_verify {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(tls_trust::AcceptAnyServerCert(provider)))
            .with_no_client_auth()
    } else {
        // The OS store (a corporate CA on the host), as Go's system pool.
        let roots = tls_trust::system_roots();
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    Ok(config)
}
