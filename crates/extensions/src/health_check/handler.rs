//! The health document and when it says "available" (contrib
//! `internal/healthcheck/handler.go` and `healthcheckextension.go` `baseHandler`).
//!
//! - Default: `Content-Type: application/json`; 200 `{"status":"Server available",
//!   "upSince":"<RFC 3339>","uptime":"<Go duration>"}` while ready, else 503
//!   `{"status":"Server not available","upSince":"0001-01-01T00:00:00Z","uptime":""}`: upstream
//!   fills both fields only while ready and leaves Go's zero values otherwise.
//! - With `response_body`: the same codes with the configured bodies and no explicit content
//!   type (Go then sniffs `text/plain; charset=utf-8` for text).

use std::collections::BTreeMap;
use std::time::Instant;

use bytes::Bytes;
use chrono::{DateTime, Local};
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::Full;
use parking_lot::Mutex;

use super::config::ResponseBody;
use super::go_format;

/// When the collector last became ready, or `None` while it is not.
#[derive(Default)]
pub struct Readiness {
    since: Mutex<Option<(DateTime<Local>, Instant)>>,
}

impl Readiness {
    /// Records the collector's state; returns whether it changed, so the caller logs once per
    /// change as upstream's `Health Check state change`.
    pub fn set(&self, ready: bool) -> bool {
        let mut since = self.since.lock();
        match (ready, since.is_some()) {
            (true, false) => {
                *since = Some((Local::now(), Instant::now()));
                true
            }
            (false, true) => {
                *since = None;
                true
            }
            _ => false,
        }
    }

    fn get(&self) -> Option<(DateTime<Local>, Instant)> {
        *self.since.lock()
    }
}

/// What the endpoint answers; built once from the config.
pub struct Handler {
    path: String,
    custom_body: Option<ResponseBody>,
    response_headers: Vec<(header::HeaderName, HeaderValue)>,
}

impl Handler {
    pub fn new(
        path: &str,
        custom_body: Option<ResponseBody>,
        response_headers: &BTreeMap<String, String>,
    ) -> Result<Self, String> {
        let response_headers = response_headers
            .iter()
            .map(|(k, v)| {
                let name = header::HeaderName::from_bytes(k.as_bytes())
                    .map_err(|e| format!("invalid response header name {k:?}: {e}"))?;
                let value = HeaderValue::from_str(v)
                    .map_err(|e| format!("invalid response header value for {k:?}: {e}"))?;
                Ok((name, value))
            })
            .collect::<Result<_, String>>()?;
        Ok(Handler {
            path: path.to_string(),
            custom_body,
            response_headers,
        })
    }

    /// Go `ServeMux` matching: a pattern ending in `/` owns its subtree, any other pattern only
    /// its exact path.
    fn matches(&self, request_path: &str) -> bool {
        if self.path.ends_with('/') {
            request_path.starts_with(&self.path)
        } else {
            request_path == self.path
        }
    }

    pub fn respond(&self, request_path: &str, readiness: &Readiness) -> Response<Full<Bytes>> {
        let mut response = if !self.matches(request_path) {
            not_found()
        } else {
            let state = readiness.get();
            let status = if state.is_some() {
                StatusCode::OK
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            };
            match &self.custom_body {
                Some(bodies) => {
                    let body = if state.is_some() {
                        &bodies.healthy
                    } else {
                        &bodies.unhealthy
                    };
                    let mut r = Response::new(Full::new(Bytes::from(body.clone())));
                    if !body.is_empty() {
                        r.headers_mut().insert(
                            header::CONTENT_TYPE,
                            HeaderValue::from_static("text/plain; charset=utf-8"),
                        );
                    }
                    *r.status_mut() = status;
                    r
                }
                None => {
                    let mut r = Response::new(Full::new(Bytes::from(status_document(state))));
                    r.headers_mut().insert(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/json"),
                    );
                    *r.status_mut() = status;
                    r
                }
            }
        };
        for (k, v) in &self.response_headers {
            response.headers_mut().insert(k.clone(), v.clone());
        }
        response
    }
}

/// The JSON document, fields in upstream's order.
fn status_document(state: Option<(DateTime<Local>, Instant)>) -> String {
    let (status, up_since, uptime) = match state {
        Some((wall, mono)) => (
            "Server available",
            go_format::rfc3339_nano(&wall),
            go_format::duration(mono.elapsed()),
        ),
        None => (
            "Server not available",
            go_format::ZERO_TIME.to_string(),
            String::new(),
        ),
    };
    serde_json::json!({ "status": status, "upSince": up_since, "uptime": uptime }).to_string()
}

/// Go's `http.NotFound`.
fn not_found() -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from_static(b"404 page not found\n")));
    *r.status_mut() = StatusCode::NOT_FOUND;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}
