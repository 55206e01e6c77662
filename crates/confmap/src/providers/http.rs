//! `http:` and `https:` — GET the URI (upstream `httpprovider` / `httpsprovider`).
//!
//! https uses rustls (ring) with the Mozilla roots from `webpki-roots`, so the result does not
//! depend on the host's CA store. Redirects are followed (at most 10, like Go's `http.Client`),
//! a non-200 final status is an error with upstream's wording, and the whole request is bounded
//! by a timeout (upstream has none; a config fetch that hangs forever helps nobody).

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::StatusCode;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::{BoxFuture, Provider, strip_scheme};
use crate::error::ConfmapError;
use crate::retrieved::Retrieved;
use crate::yaml::go_quote;

/// Default bound on one retrieval (connect, redirects and body).
pub const DEFAULT_HTTP_TIMEOUT: Duration = Duration::from_secs(30);
const MAX_REDIRECTS: usize = 10;

#[derive(Debug, Clone)]
pub struct HttpProvider {
    scheme: &'static str,
    timeout: Duration,
}

impl HttpProvider {
    pub fn http() -> Self {
        HttpProvider {
            scheme: "http",
            timeout: DEFAULT_HTTP_TIMEOUT,
        }
    }

    pub fn https() -> Self {
        HttpProvider {
            scheme: "https",
            timeout: DEFAULT_HTTP_TIMEOUT,
        }
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn client(&self) -> Result<Client<HttpsConnector<HttpConnector>, Empty<Bytes>>, String> {
        let mut tcp = HttpConnector::new();
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        let builder = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
            .map_err(|e| e.to_string())?;
        let connector = if self.scheme == "https" {
            builder.https_only().enable_http1().wrap_connector(tcp)
        } else {
            builder.https_or_http().enable_http1().wrap_connector(tcp)
        };
        Ok(Client::builder(TokioExecutor::new()).build(connector))
    }

    async fn get(&self, uri: &str) -> Result<Bytes, ConfmapError> {
        let client = self.client().map_err(|e| {
            ConfmapError::new(format!("unable to configure http transport layer: {e}"))
        })?;
        let download_err = |e: &dyn std::fmt::Display| {
            // Upstream's message ends with a space; kept verbatim.
            ConfmapError::new(format!(
                "unable to download the file via HTTP GET for uri {}: {e} ",
                go_quote(uri)
            ))
        };
        let mut target: hyper::Uri = uri.parse().map_err(|e: http::uri::InvalidUri| {
            ConfmapError::new(format!("invalid uri {}: {e}", go_quote(uri)))
        })?;
        for _ in 0..=MAX_REDIRECTS {
            let req = hyper::Request::get(target.clone())
                .body(Empty::<Bytes>::new())
                .map_err(|e| download_err(&e))?;
            let resp = client.request(req).await.map_err(|e| download_err(&e))?;
            let status = resp.status();
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                let next = resp
                    .headers()
                    .get(hyper::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .map(|loc| resolve_location(&target, loc));
                if let Some(Ok(next)) = next {
                    target = next;
                    continue;
                }
            }
            if status != StatusCode::OK {
                return Err(ConfmapError::new(format!(
                    "failed to load resource from uri {}. status code: {}",
                    go_quote(uri),
                    status.as_u16()
                )));
            }
            let body = resp.into_body().collect().await.map_err(|e| {
                ConfmapError::new(format!(
                    "fail to read the response body from uri {}: {e}",
                    go_quote(uri)
                ))
            })?;
            return Ok(body.to_bytes());
        }
        Err(download_err(&"stopped after 10 redirects"))
    }
}

/// Resolves a `Location` header against the request URI (absolute or origin-relative).
fn resolve_location(base: &hyper::Uri, loc: &str) -> Result<hyper::Uri, http::Error> {
    let parsed: hyper::Uri = loc.parse()?;
    if parsed.scheme().is_some() {
        return Ok(parsed);
    }
    let mut parts = base.clone().into_parts();
    parts.path_and_query = parsed.path_and_query().cloned();
    Ok(hyper::Uri::from_parts(parts)?)
}

impl Provider for HttpProvider {
    fn scheme(&self) -> &str {
        self.scheme
    }

    fn retrieve<'a>(&'a self, uri: &'a str) -> BoxFuture<'a, Result<Retrieved, ConfmapError>> {
        Box::pin(async move {
            strip_scheme(uri, self.scheme)?;
            let body = tokio::time::timeout(self.timeout, self.get(uri))
                .await
                .map_err(|_| {
                    ConfmapError::new(format!(
                        "unable to download the file via HTTP GET for uri {}: timeout after {:?} ",
                        go_quote(uri),
                        self.timeout
                    ))
                })??;
            Ok(Retrieved::from_yaml(&body))
        })
    }
}
