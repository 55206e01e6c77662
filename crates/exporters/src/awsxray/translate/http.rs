//! The `http` block (upstream `http.go makeHTTP`), from both generations of the HTTP semantic
//! conventions: the old `http.method`, `http.status_code`, `http.url`, `http.target`,
//! `net.peer.*`, ... and the new `http.request.method`, `http.response.status_code`, `url.full`,
//! `url.path`, `url.query`, `server.address`, `client.address`, ...
//!
//! The attributes it uses are taken out of the working set (they do not reach metadata), as
//! upstream.
//!
//! Differences from upstream: upstream maps `url.query` to `http.target` and so builds a server
//! URL from the query alone (`http://host?x=1`); here the path and the query are joined
//! (`http://host/p?x=1`). Status codes given as strings are read (upstream reads 0).

use std::net::IpAddr;

use aws::xray::{HttpData, RequestData, ResponseData};
use pdata::proto::trace::v1::{Span, span::SpanKind};

use super::values::{Attrs, get, int_of, str_of};

#[derive(Default)]
struct UrlParts {
    full: Option<String>,
    scheme: Option<String>,
    host: Option<String>,
    target: Option<String>,
    server_name: Option<String>,
    host_port: Option<String>,
    host_name: Option<String>,
    net_host_name: Option<String>,
    peer_name: Option<String>,
    peer_port: Option<String>,
    peer_ip: Option<String>,
    url_path: Option<String>,
    url_query: Option<String>,
    server_address: Option<String>,
    server_port: Option<String>,
}

/// A port attribute: a string, or an int rendered.
fn port_of(v: &pdata::proto::common::v1::AnyValue) -> String {
    let s = str_of(v);
    if s.is_empty() {
        int_of(v).map(|i| i.to_string()).unwrap_or_default()
    } else {
        s.to_string()
    }
}

/// Builds the `http` block and removes the HTTP attributes from `attrs`.
pub fn make_http(span: &Span, attrs: &mut Attrs<'_>) -> Option<HttpData> {
    if span.attributes.is_empty() {
        return None;
    }
    let mut req = RequestData::default();
    let mut resp = ResponseData::default();
    let mut url = UrlParts::default();
    let mut has_http = false;
    let mut has_url_attrs = false;
    let mut has_net_peer_addr = false;

    attrs.retain(|key, value| {
        let s = || Some(str_of(value).to_string());
        match key {
            "http.method" | "http.request.method" => {
                req.method = s();
                has_http = true;
            }
            "http.client_ip" => {
                req.client_ip = s();
                has_http = true;
            }
            "http.user_agent" | "user_agent.original" => {
                req.user_agent = s();
                has_http = true;
            }
            "http.status_code" | "http.response.status_code" => {
                resp.status = Some(int_of(value).unwrap_or(0));
                has_http = true;
            }
            "http.url" | "url.full" => {
                url.full = s();
                has_http = true;
                has_url_attrs = true;
            }
            "http.scheme" | "url.scheme" => {
                url.scheme = s();
                has_http = true;
            }
            "http.host" => {
                url.host = s();
                has_http = true;
                has_url_attrs = true;
            }
            "http.target" => {
                url.target = s();
                has_http = true;
            }
            "url.query" => {
                url.url_query = s();
                has_http = true;
            }
            "http.server_name" => {
                url.server_name = s();
                has_http = true;
                has_url_attrs = true;
            }
            "net.host.port" => {
                url.host_port = Some(port_of(value));
                has_http = true;
            }
            "host.name" => {
                url.host_name = s();
                has_url_attrs = true;
            }
            "net.host.name" => {
                url.net_host_name = s();
                has_url_attrs = true;
            }
            "net.peer.name" => {
                url.peer_name = s();
                has_url_attrs = true;
            }
            "net.peer.port" => {
                url.peer_port = Some(port_of(value));
            }
            "net.peer.ip" => {
                // HTTP forwarding information (`http.client_ip`) wins when present.
                if req.client_ip.is_none() {
                    req.client_ip = s();
                }
                url.peer_ip = s();
                has_url_attrs = true;
                has_net_peer_addr = true;
            }
            "network.peer.address" => {
                if str_of(value).parse::<IpAddr>().is_ok() {
                    if req.client_ip.is_none() {
                        req.client_ip = s();
                    }
                    has_url_attrs = true;
                    has_net_peer_addr = true;
                }
            }
            "client.address" => {
                if str_of(value).parse::<IpAddr>().is_ok() {
                    req.client_ip = s();
                }
            }
            "url.path" => {
                url.url_path = s();
                has_http = true;
            }
            "server.address" => {
                url.server_address = s();
                has_url_attrs = true;
            }
            "server.port" => {
                url.server_port = Some(port_of(value));
            }
            _ => return true,
        }
        false
    });

    // A client IP that did not come from the socket peer came from forwarding headers.
    if !has_net_peer_addr && req.client_ip.is_some() {
        req.x_forwarded_for = Some(true);
    }
    if !has_http {
        return None;
    }
    if has_url_attrs {
        req.url = Some(if span.kind == SpanKind::Server as i32 {
            server_url(&url)
        } else {
            client_url(&url)
        });
    }
    resp.content_length = Some(serde_json::Value::from(response_size(span)));
    Some(HttpData {
        request: Some(req),
        response: Some(resp),
    })
}

/// The response size from `message.type = RECEIVED` + `messaging.message_payload_size_bytes`,
/// on the span or on one of its events (gRPC instrumentations record it so); 0 when unknown.
fn response_size(span: &Span) -> i64 {
    let from = |kvs: &[pdata::proto::common::v1::KeyValue]| -> i64 {
        match get(kvs, "message.type") {
            Some(t) if str_of(t) == "RECEIVED" => get(kvs, "messaging.message_payload_size_bytes")
                .and_then(int_of)
                .unwrap_or(0),
            _ => 0,
        }
    };
    let size = from(&span.attributes);
    if size != 0 {
        return size;
    }
    span.events
        .iter()
        .map(|e| from(&e.attributes))
        .find(|s| *s != 0)
        .unwrap_or(0)
}

fn with_port(scheme: &str, host: &str, port: &str) -> String {
    let mut u = format!("{scheme}://{host}");
    let default_port = (scheme == "http" && port == "80") || (scheme == "https" && port == "443");
    if !port.is_empty() && !default_port {
        u.push(':');
        u.push_str(port);
    }
    u
}

fn client_url(p: &UrlParts) -> String {
    if let Some(full) = &p.full {
        return full.clone();
    }
    let scheme = p.scheme.as_deref().unwrap_or("http");
    let (host, port) = match &p.host {
        Some(h) => (h.as_str(), ""),
        None => (
            p.peer_name
                .as_deref()
                .or(p.peer_ip.as_deref())
                .unwrap_or(""),
            p.peer_port.as_deref().unwrap_or(""),
        ),
    };
    let mut u = with_port(scheme, host, port);
    u.push_str(&target(p));
    u
}

fn server_url(p: &UrlParts) -> String {
    if let Some(full) = &p.full {
        return full.clone();
    }
    let scheme = p.scheme.as_deref().unwrap_or("http");
    let (host, port) = match &p.host {
        Some(h) => (h.as_str(), ""),
        None => (
            p.server_name
                .as_deref()
                .or(p.net_host_name.as_deref())
                .or(p.host_name.as_deref())
                .or(p.server_address.as_deref())
                .unwrap_or(""),
            p.host_port
                .as_deref()
                .or(p.server_port.as_deref())
                .unwrap_or(""),
        ),
    };
    let mut u = with_port(scheme, host, port);
    u.push_str(&target(p));
    u
}

/// `http.target`, else `url.path` (+ `?url.query`), else `/`.
fn target(p: &UrlParts) -> String {
    if let Some(t) = &p.target {
        return t.clone();
    }
    let mut t = p.url_path.clone().unwrap_or_else(|| "/".to_string());
    if let Some(q) = p.url_query.as_deref().filter(|q| !q.is_empty()) {
        t.push('?');
        t.push_str(q.trim_start_matches('?'));
    }
    t
}
