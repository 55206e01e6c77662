//! A minimal Kubernetes API client: GET a list, or open a watch stream, on one base URL with
//! Prometheus' HTTP client settings (TLS, bearer token re-read on every request).

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Empty};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::KubernetesSdConfig;
use super::kubeconfig;
use crate::discovery::http_client::{HttpClientConfig, TlsConfig};

/// Where a pod's service account is mounted.
pub const SERVICE_ACCOUNT_TOKEN: &str = "/var/run/secrets/kubernetes.io/serviceaccount/token";
pub const SERVICE_ACCOUNT_CA: &str = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
pub const SERVICE_ACCOUNT_NAMESPACE: &str =
    "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

/// How long a request may take to produce response headers.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The response of a request: status and, for a watch, the body still streaming.
pub struct Response {
    pub status: http::StatusCode,
    pub body: hyper::body::Incoming,
}

/// A client for one API server.
#[derive(Clone)]
pub struct ApiClient {
    /// `scheme://host:port[/prefix]`, without a trailing slash.
    base: String,
    http: HttpClientConfig,
    client: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
}

impl std::fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiClient")
            .field("base", &self.base)
            .finish()
    }
}

impl ApiClient {
    /// A client for `base` with the given settings.
    pub fn new(base: &str, http: HttpClientConfig) -> Result<Self, String> {
        let tls = http.rustls_config()?;
        let mut connector = HttpConnector::new();
        connector.enforce_http(false);
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(Duration::from_secs(10)));
        let builder = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config((*tls).clone())
            .https_or_http();
        let builder = match Some(http.tls_config.server_name.as_str()).filter(|s| !s.is_empty()) {
            Some(name) => {
                let name = rustls_pki_types::ServerName::try_from(name.to_string())
                    .map_err(|e| format!("tls_config: invalid server_name: {e}"))?;
                builder.with_server_name_resolver(hyper_rustls::FixedServerNameResolver::new(name))
            }
            None => builder,
        };
        // Prometheus talks HTTP/1.1 to the API server (HTTP/2 is disabled for kubernetes_sd).
        let https = builder.enable_http1().wrap_connector(connector);
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(hyper_util::rt::TokioTimer::new())
            .build(https);
        Ok(ApiClient {
            base: base.trim_end_matches('/').to_string(),
            http,
            client,
        })
    }

    /// The client a validated config describes: `api_server` with its HTTP settings,
    /// `kubeconfig_file`, or the in-cluster service account.
    pub fn from_config(cfg: &KubernetesSdConfig) -> Result<Self, String> {
        if !cfg.api_server.is_empty() {
            return Self::new(&cfg.api_server, cfg.http_client_config());
        }
        if !cfg.kubeconfig_file.is_empty() {
            let (server, http) = kubeconfig::load(&cfg.kubeconfig_file)?;
            return Self::new(&server, http);
        }
        Self::in_cluster()
    }

    /// client-go's `rest.InClusterConfig`.
    pub fn in_cluster() -> Result<Self, String> {
        let host = std::env::var("KUBERNETES_SERVICE_HOST").unwrap_or_default();
        let port = std::env::var("KUBERNETES_SERVICE_PORT").unwrap_or_default();
        if host.is_empty() || port.is_empty() {
            return Err("unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined".into());
        }
        std::fs::metadata(SERVICE_ACCOUNT_TOKEN)
            .map_err(|e| format!("open {SERVICE_ACCOUNT_TOKEN}: {e}"))?;
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host
        };
        let http = HttpClientConfig {
            bearer_token_file: SERVICE_ACCOUNT_TOKEN.into(),
            tls_config: TlsConfig {
                ca_file: SERVICE_ACCOUNT_CA.into(),
                ..Default::default()
            },
            ..Default::default()
        };
        Self::new(&format!("https://{host}:{port}"), http)
    }

    /// GET `path_and_query` (which starts with `/`). The status is returned as is; only a
    /// failure to get a response at all is an error.
    pub async fn get(&self, path_and_query: &str) -> Result<Response, String> {
        let uri = format!("{}{}", self.base, path_and_query);
        let mut req = http::Request::get(&uri)
            .header(http::header::ACCEPT, "application/json")
            .header(
                http::header::USER_AGENT,
                concat!("ferrocol/", env!("CARGO_PKG_VERSION")),
            );
        if let Some(auth) = self.http.authorization_header()? {
            req = req.header(http::header::AUTHORIZATION, auth);
        }
        let req = req
            .body(Empty::new())
            .map_err(|e| format!("GET {uri}: {e}"))?;
        let resp = tokio::time::timeout(REQUEST_TIMEOUT, self.client.request(req))
            .await
            .map_err(|_| format!("GET {uri}: timed out after {REQUEST_TIMEOUT:?}"))?
            .map_err(|e| format!("GET {uri}: {e}"))?;
        let (parts, body) = resp.into_parts();
        Ok(Response {
            status: parts.status,
            body,
        })
    }

    /// GET a whole (non-streaming) body; non-2xx statuses are errors carrying the body.
    pub async fn get_body(&self, path_and_query: &str) -> Result<Bytes, String> {
        let resp = self.get(path_and_query).await?;
        let body = resp
            .body
            .collect()
            .await
            .map_err(|e| format!("GET {path_and_query}: reading body: {e}"))?
            .to_bytes();
        if !resp.status.is_success() {
            return Err(format!(
                "GET {path_and_query}: {}: {}",
                resp.status,
                String::from_utf8_lossy(&body).trim()
            ));
        }
        Ok(body)
    }
}
