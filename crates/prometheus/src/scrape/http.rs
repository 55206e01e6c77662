//! The scrape request (Prometheus' `targetScraper`): one pooled client per job, the
//! negotiation headers, authentication, redirects, the timeout, gzip and `body_size_limit`.

use std::io::Read as _;
use std::time::Duration;

use bytes::Bytes;
use http::header::{
    ACCEPT, ACCEPT_ENCODING, AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, LOCATION, USER_AGENT,
};
use http::{HeaderName, HeaderValue, Method, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use super::connector::ScrapeConnector;
use super::oauth2::TokenSource;
use crate::config::{ScrapeJob, ScrapeProtocol, accept_header};
use crate::discovery::http_client::HttpClientConfig;
use crate::exposition::Format;

type Pool = Client<ScrapeConnector, Empty<Bytes>>;

/// Go's `http.Client` default redirect limit.
const MAX_REDIRECTS: usize = 10;

/// Builds and sends scrape requests for one job.
pub struct HttpScraper {
    client: Pool,
    http: HttpClientConfig,
    accept: HeaderValue,
    accept_encoding: HeaderValue,
    user_agent: HeaderValue,
    headers: Vec<(HeaderName, Vec<String>, Vec<String>)>,
    body_size_limit: u64,
    fallback: ScrapeProtocol,
    /// Decides which requests carry the proxy's `Proxy-Authorization` (absolute-form ones).
    connector: ScrapeConnector,
    /// `oauth2`: the token every request carries.
    oauth2: Option<TokenSource>,
}

/// Buffers reused between scrapes of one target.
#[derive(Default)]
pub struct Buffers {
    /// The body as received (compressed or not).
    raw: Vec<u8>,
    /// The decompressed body, when it was gzip-encoded.
    inflated: Vec<u8>,
    gzipped: bool,
}

impl Buffers {
    /// The uncompressed body of the last scrape.
    pub fn body(&self) -> &[u8] {
        if self.gzipped {
            &self.inflated
        } else {
            &self.raw
        }
    }
}

/// An error with its chain of causes, each once.
pub(crate) fn full_error(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        let text = inner.to_string();
        if !s.contains(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        src = inner.source();
    }
    s
}

/// The format for a response's `Content-Type` (Prometheus 3's `extractMediaType`, with the
/// job's fallback for a missing or unknown type).
pub fn format_for(content_type: Option<&str>, fallback: ScrapeProtocol) -> Result<Format, String> {
    let media = content_type
        .and_then(|ct| ct.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match media.as_str() {
        "application/openmetrics-text" => Ok(Format::OpenMetrics),
        "text/plain" => Ok(Format::Text004),
        "application/vnd.google.protobuf" => Err(
            "received a protobuf (PrometheusProto) body, which ferrocol cannot parse yet"
                .to_string(),
        ),
        _ => fallback
            .format()
            .ok_or_else(|| format!("unsupported fallback scrape protocol {fallback}")),
    }
}

impl HttpScraper {
    pub fn new(job: &ScrapeJob, user_agent: &str) -> Result<Self, String> {
        let http = job.http_client.clone();
        let tls = http.rustls_config()?;
        let connector = ScrapeConnector::new(
            &tls,
            &http.tls_config.server_name,
            http.enable_http2,
            job.proxy.clone(),
        )?;
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(hyper_util::rt::TokioTimer::new())
            .timer(hyper_util::rt::TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .build(connector.clone());
        let oauth2 = job.oauth2.as_ref().map(TokenSource::new).transpose()?;
        let header = |v: &str, what: &str| {
            HeaderValue::from_str(v).map_err(|e| format!("invalid {what} header {v:?}: {e}"))
        };
        let headers = job
            .http_headers
            .iter()
            .map(|(name, h)| {
                let name = HeaderName::from_bytes(name.as_bytes())
                    .map_err(|e| format!("invalid http_headers name {name:?}: {e}"))?;
                let mut values = h.values.clone();
                values.extend(h.secrets.iter().cloned());
                Ok((name, values, h.files.clone()))
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(HttpScraper {
            client,
            http,
            accept: header(
                &accept_header(&job.scrape_protocols, &job.name_escaping),
                "Accept",
            )?,
            accept_encoding: HeaderValue::from_static(if job.enable_compression {
                "gzip"
            } else {
                "identity"
            }),
            user_agent: header(user_agent, "User-Agent")?,
            headers,
            body_size_limit: job.body_size_limit,
            fallback: job.fallback_scrape_protocol,
            connector,
            oauth2,
        })
    }

    /// GETs `url` within `timeout` into `buf`; returns the body's format.
    pub async fn scrape(
        &self,
        url: &str,
        timeout: Duration,
        buf: &mut Buffers,
    ) -> Result<Format, String> {
        match tokio::time::timeout(timeout, self.fetch(url, timeout, buf)).await {
            Ok(r) => r,
            Err(_) => Err(format!("Get {url:?}: context deadline exceeded")),
        }
    }

    fn request(
        &self,
        uri: &Uri,
        timeout: Duration,
        oauth2: Option<&HeaderValue>,
    ) -> Result<Request<Empty<Bytes>>, String> {
        let mut req = Request::builder()
            .method(Method::GET)
            .uri(uri.clone())
            .body(Empty::new())
            .map_err(|e| e.to_string())?;
        let h = req.headers_mut();
        for (name, values, files) in &self.headers {
            for v in values {
                h.append(
                    name.clone(),
                    HeaderValue::from_str(v).map_err(|e| format!("invalid header {name}: {e}"))?,
                );
            }
            for f in files {
                let v = std::fs::read_to_string(f)
                    .map_err(|e| format!("unable to read header file {f}: {e}"))?;
                h.append(
                    name.clone(),
                    HeaderValue::from_str(v.trim())
                        .map_err(|e| format!("invalid header {name}: {e}"))?,
                );
            }
        }
        h.insert(ACCEPT, self.accept.clone());
        h.insert(ACCEPT_ENCODING, self.accept_encoding.clone());
        h.insert(USER_AGENT, self.user_agent.clone());
        let secs = timeout.as_secs_f64();
        h.insert(
            HeaderName::from_static("x-prometheus-scrape-timeout-seconds"),
            HeaderValue::from_str(&format_seconds(secs)).map_err(|e| e.to_string())?,
        );
        if let Some(auth) = self.connector.absolute_form_proxy_auth(uri) {
            h.insert(http::header::PROXY_AUTHORIZATION, auth.clone());
        }
        if let Some(token) = oauth2 {
            h.insert(AUTHORIZATION, token.clone());
        } else if let Some(auth) = self.http.authorization_header()? {
            // Read for every request, so rotated tokens are picked up (as Prometheus does).
            h.insert(
                AUTHORIZATION,
                HeaderValue::from_str(&auth).map_err(|e| format!("invalid authorization: {e}"))?,
            );
        }
        Ok(req)
    }

    async fn fetch(
        &self,
        url: &str,
        timeout: Duration,
        buf: &mut Buffers,
    ) -> Result<Format, String> {
        let mut uri: Uri = url.parse().map_err(|e| format!("parse {url:?}: {e}"))?;
        let token = match &self.oauth2 {
            Some(source) => Some(
                source
                    .authorization(&self.user_agent)
                    .await
                    .map_err(|e| format!("Get {url:?}: {e}"))?,
            ),
            None => None,
        };
        let mut redirects = 0;
        let resp = loop {
            let req = self.request(&uri, timeout, token.as_ref())?;
            let resp = self
                .client
                .request(req)
                .await
                .map_err(|e| format!("Get {url:?}: {}", full_error(&e)))?;
            let redirect = matches!(
                resp.status(),
                StatusCode::MOVED_PERMANENTLY
                    | StatusCode::FOUND
                    | StatusCode::SEE_OTHER
                    | StatusCode::TEMPORARY_REDIRECT
                    | StatusCode::PERMANENT_REDIRECT
            );
            if !(redirect && self.http.follow_redirects) {
                break resp;
            }
            let Some(location) = resp.headers().get(LOCATION).and_then(|l| l.to_str().ok()) else {
                break resp;
            };
            redirects += 1;
            if redirects > MAX_REDIRECTS {
                return Err(format!(
                    "Get {url:?}: stopped after {MAX_REDIRECTS} redirects"
                ));
            }
            uri = resolve_location(&uri, location)
                .ok_or_else(|| format!("Get {url:?}: invalid redirect location {location:?}"))?;
        };
        let status = resp.status();
        if status != StatusCode::OK {
            return Err(format!(
                "server returned HTTP status {} {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("")
            )
            .trim_end()
            .to_string());
        }
        let content_type = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let gzipped = resp
            .headers()
            .get(CONTENT_ENCODING)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
        let limit = self.body_size_limit;
        buf.raw.clear();
        buf.gzipped = gzipped;
        let mut body = resp.into_body();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| format!("Get {url:?}: {}", full_error(&e)))?;
            if let Ok(data) = frame.into_data() {
                buf.raw.extend_from_slice(&data);
                // Uncompressed: stop reading as soon as the limit is reached.
                if !gzipped && limit > 0 && buf.raw.len() as u64 >= limit {
                    return Err("body size limit exceeded".to_string());
                }
            }
        }
        if gzipped {
            buf.inflated.clear();
            let decoder = flate2::read::GzDecoder::new(buf.raw.as_slice());
            let read = if limit > 0 {
                decoder.take(limit).read_to_end(&mut buf.inflated)
            } else {
                let mut decoder = decoder;
                decoder.read_to_end(&mut buf.inflated)
            };
            read.map_err(|e| format!("error reading gzip body: {e}"))?;
            if limit > 0 && buf.inflated.len() as u64 >= limit {
                return Err("body size limit exceeded".to_string());
            }
        }
        format_for(content_type.as_deref(), self.fallback)
    }
}

/// Go's `strconv.FormatFloat(s, 'f', -1, 64)` for the values a timeout takes.
fn format_seconds(secs: f64) -> String {
    let s = format!("{secs}");
    s
}

/// A `Location` against the request URI: absolute, or an absolute path on the same origin.
fn resolve_location(base: &Uri, location: &str) -> Option<Uri> {
    if location.contains("://") {
        return location.parse().ok();
    }
    let scheme = base.scheme_str()?;
    let authority = base.authority()?;
    let path = if location.starts_with('/') {
        location.to_string()
    } else {
        let dir = base.path().rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        format!("{dir}/{location}")
    };
    format!("{scheme}://{authority}{path}").parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_picks_the_parser() {
        let fb = ScrapeProtocol::PrometheusText004;
        assert_eq!(
            format_for(
                Some("application/openmetrics-text; version=1.0.0; charset=utf-8"),
                fb
            ),
            Ok(Format::OpenMetrics)
        );
        assert_eq!(
            format_for(Some("text/plain; version=0.0.4"), fb),
            Ok(Format::Text004)
        );
        assert_eq!(format_for(None, fb), Ok(Format::Text004));
        assert_eq!(
            format_for(Some("application/json"), fb),
            Ok(Format::Text004)
        );
        assert_eq!(
            format_for(Some("text/html"), ScrapeProtocol::OpenMetricsText100),
            Ok(Format::OpenMetrics)
        );
        assert!(format_for(Some("application/vnd.google.protobuf; proto=x"), fb).is_err());
    }

    #[test]
    fn redirect_locations() {
        let base: Uri = "http://h:1/a/metrics".parse().unwrap();
        assert_eq!(
            resolve_location(&base, "/b").unwrap().to_string(),
            "http://h:1/b"
        );
        assert_eq!(
            resolve_location(&base, "c").unwrap().to_string(),
            "http://h:1/a/c"
        );
        assert_eq!(
            resolve_location(&base, "https://x/y").unwrap().to_string(),
            "https://x/y"
        );
    }

    #[test]
    fn timeout_header_like_go() {
        assert_eq!(format_seconds(10.0), "10");
        assert_eq!(format_seconds(0.5), "0.5");
    }
}
