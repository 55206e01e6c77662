//! `zpages` (core `extension/zpagesextension`, beta): HTML pages about the running collector
//! for in-process debugging, on `localhost:55679` by default.
//!
//! Routes, as upstream: `/debug/servicez` (build, start time, links), `/debug/pipelinez` (the
//! live pipelines with their receivers, processors and exporters), `/debug/extensionz` (the
//! running extensions), `/debug/featurez` (feature gates), `/debug/tracez` (the collector's own
//! spans: always empty here, since ferrocol records none, where upstream would not register the
//! route at all without an SDK tracer) and, with `expvar.enabled`, `/debug/expvarz`. Anything
//! else is Go's `404 page not found`. The pages read the [`GraphDescription`] the service put in
//! the [`Host`], so they show the configuration that is running, including after a reload.

mod config;
mod pages;
#[cfg(test)]
mod tests;

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use bytes::Bytes;
use component::{
    AnyConfig, Component, ConfigError, CreateContext, CreateError, Extension, ExtensionFactory,
    FactoryInfo, GraphDescription, Host, Kind, Stability, StartError,
};
use futures::future::BoxFuture;
use http_body_util::Full;
use parking_lot::Mutex;
use tokio::task::JoinHandle;

use crate::http_server;

pub use config::{DialerConfig, ExpvarConfig, ZpagesConfig};

/// Makes `zpages` extensions.
pub struct ZpagesFactory;

impl FactoryInfo for ZpagesFactory {
    fn kind(&self) -> Kind {
        "zpages"
    }

    fn decode_config(&self, node: Option<&confmap::Node>) -> Result<AnyConfig, ConfigError> {
        component::config::decode::<ZpagesConfig>(node)
    }
}

impl ExtensionFactory for ZpagesFactory {
    fn stability(&self) -> Stability {
        Stability::Beta
    }

    fn create(
        &self,
        ctx: CreateContext,
        config: &AnyConfig,
    ) -> Result<Arc<dyn Extension>, CreateError> {
        let config: &ZpagesConfig = config.get();
        let mut headers = http::HeaderMap::new();
        for (name, value) in &config.response_headers {
            let name = http::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| CreateError(format!("invalid response header name {name:?}")))?;
            let value = http::HeaderValue::from_str(value)
                .map_err(|_| CreateError(format!("invalid response header value for {name}")))?;
            headers.append(name, value);
        }
        Ok(Arc::new(Zpages {
            id: ctx.id.to_string(),
            config: config.clone(),
            headers,
            task: Mutex::new(None),
        }))
    }
}

/// When the collector started: the first time a zpages extension was made in this process,
/// which is while the first configuration loads (upstream takes its package's init time).
fn process_start() -> &'static str {
    static START: OnceLock<String> = OnceLock::new();
    START.get_or_init(|| chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

/// A running `zpages`.
pub struct Zpages {
    id: String,
    config: ZpagesConfig,
    headers: http::HeaderMap,
    /// The accept loop; aborted on shutdown, which closes the port and every connection.
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Zpages {
    async fn start_serving(&self, host: &Host) -> Result<(), StartError> {
        let tls = match &self.config.tls {
            Some(tls) => {
                let config = tls
                    .build(&[b"h2", b"http/1.1"])
                    .map_err(|e| StartError(e.to_string()))?;
                Some(tokio_rustls::TlsAcceptor::from(config))
            }
            None => None,
        };
        let listener = http_server::bind(&self.config.endpoint, &self.config.transport)
            .await
            .map_err(StartError)?;
        tracing::info!(extension = %self.id, endpoint = %self.config.endpoint, "Starting zPages extension");
        let router = Router {
            graph: host.graph_description(),
            runtime: pages::Runtime {
                start: process_start().to_string(),
            },
            expvar: self.config.expvar.enabled,
            headers: self.headers.clone(),
        };
        let router = Arc::new(router);
        let handler: http_server::Handler = Arc::new(move |req| {
            let response = router.respond(req.method(), req.uri());
            Box::pin(async move { response })
        });
        let options = http_server::ServeOptions {
            name: "zpages",
            read_header_timeout: self.config.read_header_timeout.to_std_saturating(),
            keep_alive: self.config.keep_alives_enabled,
        };
        let task = tokio::spawn(http_server::serve(listener, tls, handler, options));
        if let Some(old) = self.task.lock().replace(task) {
            old.abort();
        }
        Ok(())
    }
}

impl Component for Zpages {
    fn start<'a>(&'a self, host: &'a Host) -> BoxFuture<'a, Result<(), StartError>> {
        Box::pin(self.start_serving(host))
    }

    fn shutdown(&self, _deadline: Instant) -> BoxFuture<'_, ()> {
        let task = self.task.lock().take();
        Box::pin(async move {
            if let Some(task) = task {
                task.abort();
                let _ = task.await;
            }
        })
    }
}

impl Extension for Zpages {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// Maps paths to pages.
struct Router {
    graph: Arc<GraphDescription>,
    runtime: pages::Runtime,
    expvar: bool,
    headers: http::HeaderMap,
}

const HTML: &str = "text/html; charset=utf-8";

impl Router {
    fn respond(&self, _method: &http::Method, uri: &http::Uri) -> http::Response<Full<Bytes>> {
        let query = parse_query(uri.query().unwrap_or(""));
        let page = uri.path().strip_prefix("/debug/").unwrap_or("");
        let (status, content_type, body) = match page {
            pages::SERVICEZ => (200, HTML, pages::servicez(&self.graph, &self.runtime)),
            pages::PIPELINEZ => (200, HTML, pages::pipelinez(&self.graph, &query)),
            pages::EXTENSIONZ => (200, HTML, pages::extensionz(&self.graph, &query)),
            pages::FEATUREZ => (200, HTML, pages::featurez(&self.graph)),
            pages::TRACEZ => (200, HTML, pages::tracez()),
            pages::EXPVARZ if self.expvar => {
                (200, "application/json; charset=utf-8", pages::expvarz())
            }
            // Go's ServeMux answer for an unregistered path.
            _ => (
                404,
                "text/plain; charset=utf-8",
                "404 page not found\n".to_string(),
            ),
        };
        let mut response = http::Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() = http::StatusCode::from_u16(status).unwrap_or_default();
        let h = response.headers_mut();
        for (name, value) in &self.headers {
            h.append(name, value.clone());
        }
        h.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static(content_type),
        );
        if status == 404 {
            h.insert(
                http::header::X_CONTENT_TYPE_OPTIONS,
                http::HeaderValue::from_static("nosniff"),
            );
        }
        response
    }
}

/// `a=b&c=d` with `%XX` and `+` decoded, as Go's `url.ParseQuery`.
fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (unescape(k), unescape(v))
        })
        .collect()
}

fn unescape(s: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(hi), Some(lo)) => {
                    out.push((hi * 16 + lo) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
