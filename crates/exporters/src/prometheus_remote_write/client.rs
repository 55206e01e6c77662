//! One remote-write request on the wire: the HTTP client (hyper over rustls, TCP_NODELAY,
//! pooled), the remote-write headers, the client authenticator called with the exact compressed
//! body right before each attempt, and the response classified as upstream does: 2xx is sent,
//! 5xx and transport errors retry, 429 retries after at least its `Retry-After`, every other
//! status is permanent, with up to 256 bytes of the response body in the error.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};
use component::ConsumeError;
use component::auth::ClientAuthenticator;
use http::header::{CONTENT_ENCODING, CONTENT_TYPE, RETRY_AFTER, USER_AGENT};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use prometheus::remote;

use super::config::PrometheusRemoteWriteConfig;

/// Upstream reads this much of an error response into the error.
const ERROR_BODY_LIMIT: usize = 256;

type Pool = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

pub(super) struct RemoteWriteClient {
    uri: Uri,
    pub(super) url: String,
    headers: HeaderMap,
    timeout: Duration,
    pool: Pool,
    auth: Option<Arc<dyn ClientAuthenticator>>,
}

impl RemoteWriteClient {
    pub(super) fn new(
        config: &PrometheusRemoteWriteConfig,
        user_agent: &str,
        auth: Option<Arc<dyn ClientAuthenticator>>,
    ) -> Result<Self, String> {
        let uri = config.endpoint_uri()?;
        let mut headers = HeaderMap::new();
        // Configured headers first: the remote-write ones below must not be replaced.
        for (name, value) in config.headers.iter() {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("headers: invalid header name {name:?}"))?;
            let value = HeaderValue::from_str(value)
                .map_err(|_| format!("headers: invalid value for {name:?}"))?;
            headers.insert(name, value);
        }
        headers.insert(
            CONTENT_ENCODING,
            HeaderValue::from_static(remote::CONTENT_ENCODING),
        );
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(remote::CONTENT_TYPE));
        headers.insert(
            HeaderName::from_static("x-prometheus-remote-write-version"),
            HeaderValue::from_static(remote::VERSION),
        );
        headers.insert(
            USER_AGENT,
            HeaderValue::from_str(user_agent).map_err(|e| format!("user agent: {e}"))?,
        );
        Ok(RemoteWriteClient {
            url: uri.to_string(),
            uri,
            headers,
            timeout: config.timeout.to_std_saturating(),
            pool: pool(config)?,
            auth,
        })
    }

    /// One attempt to deliver `body` (a snappy-compressed `WriteRequest`).
    pub(super) async fn send(&self, body: Bytes) -> Result<(), ConsumeError> {
        let exchange = self.exchange(body);
        if self.timeout.is_zero() {
            return exchange.await;
        }
        match tokio::time::timeout(self.timeout, exchange).await {
            Ok(r) => r,
            Err(_) => Err(ConsumeError::retryable(format!(
                "Post {:?}: context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
                self.url
            ))),
        }
    }

    async fn exchange(&self, body: Bytes) -> Result<(), ConsumeError> {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(self.uri.clone())
            .body(())
            .map_err(ConsumeError::permanent)?;
        *request.headers_mut() = self.headers.clone();
        let (mut parts, ()) = request.into_parts();
        if let Some(auth) = &self.auth {
            auth.authenticate(&mut parts, &body).await.map_err(|e| {
                ConsumeError::retryable(format!("failed to authenticate the request: {e}"))
            })?;
        }
        let request = Request::from_parts(parts, Full::new(body));
        let response = self.pool.request(request).await.map_err(|e| {
            ConsumeError::retryable(format!("Post {:?}: {}", self.url, error_chain(&e)))
        })?;
        let status = response.status();
        if status.is_success() {
            // Drain the body so the connection is reused.
            let _ = response.into_body().collect().await;
            return Ok(());
        }
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| helpers::status::parse_retry_after(v, SystemTime::now()));
        let body = read_limited(response.into_body()).await;
        let error = format!(
            "remote write returned HTTP status {} {}; err = <nil>: {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or(""),
            String::from_utf8_lossy(&body).trim_end()
        );
        Err(classify(status.as_u16(), retry_after, error))
    }
}

/// 5xx retry; 429 retries, after at least `Retry-After` when given; the rest is permanent.
pub(super) fn classify(status: u16, retry_after: Option<Duration>, error: String) -> ConsumeError {
    match status {
        500..=599 => ConsumeError::retryable(error),
        429 => match retry_after {
            Some(retry_after) => ConsumeError::Throttled {
                error: error.into(),
                retry_after,
            },
            None => ConsumeError::retryable(error),
        },
        _ => ConsumeError::permanent(error),
    }
}

async fn read_limited(mut body: hyper::body::Incoming) -> Bytes {
    let mut buf = BytesMut::new();
    while buf.len() < ERROR_BODY_LIMIT {
        match body.frame().await {
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    buf.extend_from_slice(&data);
                }
            }
            _ => break,
        }
    }
    buf.truncate(ERROR_BODY_LIMIT);
    buf.freeze()
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !msg.ends_with(&text) {
            msg.push_str(": ");
            msg.push_str(&text);
        }
        source = s.source();
    }
    msg
}

fn pool(c: &PrometheusRemoteWriteConfig) -> Result<Pool, String> {
    let https = crate::shared::https::connector(&c.tls, true)?;
    let idle = c.idle_conn_timeout.to_std_saturating();
    let per_host = match (c.max_idle_conns_per_host, c.max_idle_conns) {
        (n, _) if n > 0 => n as usize,
        (_, n) if n > 0 => n as usize,
        _ => usize::MAX,
    };
    Ok(Client::builder(TokioExecutor::new())
        .pool_idle_timeout((!idle.is_zero()).then_some(idle))
        .pool_max_idle_per_host(per_host)
        .pool_timer(hyper_util::rt::TokioTimer::new())
        .timer(hyper_util::rt::TokioTimer::new())
        .build(https))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_classified_as_upstream() {
        assert!(matches!(
            classify(500, None, "x".into()),
            ConsumeError::Retryable(_)
        ));
        assert!(matches!(
            classify(503, None, "x".into()),
            ConsumeError::Retryable(_)
        ));
        assert!(classify(400, None, "x".into()).is_permanent());
        assert!(classify(401, None, "x".into()).is_permanent());
        assert!(classify(404, None, "x".into()).is_permanent());
        assert!(matches!(
            classify(429, Some(Duration::from_secs(3)), "x".into()),
            ConsumeError::Throttled { retry_after, .. } if retry_after == Duration::from_secs(3)
        ));
        assert!(matches!(
            classify(429, None, "x".into()),
            ConsumeError::Retryable(_)
        ));
    }
}
