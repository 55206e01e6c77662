//! CORS for OTLP/HTTP, as upstream configures `github.com/rs/cors`: on only when
//! `allowed_origins` is non-empty, credentials allowed, methods GET/POST/HEAD, preflights
//! answered 204 without reaching the handler.

use http::{HeaderMap, HeaderValue, Method, header};

use super::config::CorsConfig;

pub(crate) struct Cors {
    any_origin: bool,
    origins: Vec<String>,
    /// `prefix*suffix` patterns.
    wildcards: Vec<(String, String)>,
    any_header: bool,
    headers: Vec<String>,
    exposed: Option<HeaderValue>,
    max_age: Option<HeaderValue>,
}

const ALLOWED_METHODS: [Method; 3] = [Method::GET, Method::POST, Method::HEAD];

impl Cors {
    /// None when CORS is off (no allowed origins), as upstream.
    pub fn new(cfg: &CorsConfig) -> Option<Cors> {
        if cfg.allowed_origins.is_empty() {
            if !cfg.allowed_headers.is_empty() {
                tracing::warn!(
                    "The CORS configuration specifies allowed headers but no allowed origins, and is therefore ignored."
                );
            }
            return None;
        }
        let mut cors = Cors {
            any_origin: false,
            origins: Vec::new(),
            wildcards: Vec::new(),
            any_header: cfg.allowed_headers.iter().any(|h| h == "*"),
            headers: if cfg.allowed_headers.is_empty() {
                vec![
                    "accept".into(),
                    "content-type".into(),
                    "x-requested-with".into(),
                ]
            } else {
                cfg.allowed_headers
                    .iter()
                    .map(|h| h.to_ascii_lowercase())
                    .collect()
            },
            exposed: None,
            max_age: match cfg.max_age {
                n if n > 0 => HeaderValue::from_str(&n.to_string()).ok(),
                n if n < 0 => Some(HeaderValue::from_static("0")),
                _ => None,
            },
        };
        for o in &cfg.allowed_origins {
            let o = o.to_ascii_lowercase();
            if o == "*" {
                cors.any_origin = true;
                break;
            } else if let Some((p, s)) = o.split_once('*') {
                cors.wildcards.push((p.to_string(), s.to_string()));
            } else {
                cors.origins.push(o);
            }
        }
        if !cfg.exposed_headers.is_empty() {
            let joined = cfg
                .exposed_headers
                .iter()
                .map(|h| canonical_header_key(h))
                .collect::<Vec<_>>()
                .join(", ");
            cors.exposed = HeaderValue::from_str(&joined).ok();
        }
        Some(cors)
    }

    fn origin_allowed(&self, origin: &str) -> bool {
        if self.any_origin {
            return true;
        }
        let o = origin.to_ascii_lowercase();
        self.origins.contains(&o)
            || self.wildcards.iter().any(|(p, s)| {
                o.len() >= p.len() + s.len() && o.starts_with(p.as_str()) && o.ends_with(s.as_str())
            })
    }

    fn allow_origin_value(&self, origin: &HeaderValue) -> HeaderValue {
        if self.any_origin {
            HeaderValue::from_static("*")
        } else {
            origin.clone()
        }
    }

    pub fn is_preflight(method: &Method, headers: &HeaderMap) -> bool {
        method == Method::OPTIONS && headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
    }

    /// The headers of the 204 answer to a preflight request.
    pub fn preflight(&self, req: &HeaderMap, out: &mut HeaderMap) {
        out.append(
            header::VARY,
            HeaderValue::from_static(
                "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
            ),
        );
        let Some(origin) = req.get(header::ORIGIN) else {
            return;
        };
        if origin.is_empty() || !self.origin_allowed(origin.to_str().unwrap_or("")) {
            return;
        }
        let Some(method) = req.get(header::ACCESS_CONTROL_REQUEST_METHOD) else {
            return;
        };
        let m = method.to_str().unwrap_or("").to_ascii_uppercase();
        if m != "OPTIONS" && !ALLOWED_METHODS.iter().any(|a| a.as_str() == m) {
            return;
        }
        let requested = req.get(header::ACCESS_CONTROL_REQUEST_HEADERS);
        if let Some(h) = requested
            && !self.any_header
            && !h
                .to_str()
                .unwrap_or("\u{0}")
                .split(',')
                .map(|s| s.trim().to_ascii_lowercase())
                .filter(|s| !s.is_empty())
                .all(|s| self.headers.contains(&s))
        {
            return;
        }
        out.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            self.allow_origin_value(origin),
        );
        out.insert(header::ACCESS_CONTROL_ALLOW_METHODS, method.clone());
        if let Some(h) = requested.filter(|h| !h.is_empty()) {
            out.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, h.clone());
        }
        out.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
        if let Some(age) = &self.max_age {
            out.insert(header::ACCESS_CONTROL_MAX_AGE, age.clone());
        }
    }

    /// The headers added to the answer to an actual (non-preflight) request.
    pub fn actual(&self, method: &Method, req: &HeaderMap, out: &mut HeaderMap) {
        out.append(header::VARY, HeaderValue::from_static("Origin"));
        let Some(origin) = req.get(header::ORIGIN) else {
            return;
        };
        if origin.is_empty()
            || !self.origin_allowed(origin.to_str().unwrap_or(""))
            || !(method == Method::OPTIONS || ALLOWED_METHODS.contains(method))
        {
            return;
        }
        out.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            self.allow_origin_value(origin),
        );
        if let Some(e) = &self.exposed {
            out.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, e.clone());
        }
        out.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
    }
}

/// Go's `http.CanonicalHeaderKey`: `x-custom-header` → `X-Custom-Header`.
fn canonical_header_key(h: &str) -> String {
    h.split('-')
        .map(|part| {
            let mut c = part.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + &c.as_str().to_ascii_lowercase(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}
