//! `pprof` (contrib `extension/pprofextension`, beta): profiles of the running collector over
//! HTTP, on `localhost:1777` by default, at the paths of Go's `net/http/pprof` so that
//! `go tool pprof http://localhost:1777/debug/pprof/profile?seconds=30` and Google's `pprof`
//! work unchanged.
//!
//! - `/debug/pprof/` — an index of what is served here.
//! - `/debug/pprof/profile?seconds=N` — a CPU profile over N seconds (default 30, as Go),
//!   gzip-compressed pprof protobuf, symbolized in-process (see [`profile::cpu_profile`]).
//!   One CPU profile runs at a time per process, as in Go: a second request, or any request
//!   while `save_to_file` records, gets Go's 500 "Could not enable CPU profiling: cpu profiling
//!   already in use".
//! - `/debug/pprof/heap` and `/debug/pprof/allocs` — the in-use heap from jemalloc's sampling
//!   profiler, only in a binary built with the `heap-profiling` cargo feature
//!   (`cargo build --release -p ferrocol --features heap-profiling`) and started with
//!   `_RJEM_MALLOC_CONF=prof:true,prof_active:false`; otherwise 501 with a text saying so. Why a
//!   feature: jemalloc's profiler must be compiled into the allocator (`--enable-prof`) and
//!   switched on before the first allocation, and the converter adds about 30 crates; the
//!   default build stays without it. With the feature and `prof_active:false`, allocation pays
//!   only a branch until a `pprof` extension starts and activates sampling (512 KiB mean
//!   interval); shutting the extension down deactivates it.
//! - `/debug/pprof/cmdline` — the command line, NUL-separated, as Go.
//! - `block`, `mutex`, `goroutine`, `threadcreate`, `trace` and `symbol` are Go runtime
//!   features with no Rust counterpart: 501 with an explanation (see
//!   [`PprofConfig::block_profile_fraction`]).
//!
//! As upstream, only one `pprof` extension may run per process.

mod config;
mod cpu;
#[cfg(feature = "heap-profiling")]
mod heap;
mod profile;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use component::{
    AnyConfig, Component, ConfigError, CreateContext, CreateError, Extension, ExtensionFactory,
    FactoryInfo, Host, Kind, Stability, StartError,
};
use futures::future::BoxFuture;
use http_body_util::Full;
use parking_lot::Mutex;
use tokio::task::JoinHandle;

use crate::http_server;

pub use config::{DialerConfig, PprofConfig};
use cpu::CpuProfile;

/// Makes `pprof` extensions.
pub struct PprofFactory;

impl FactoryInfo for PprofFactory {
    fn kind(&self) -> Kind {
        "pprof"
    }

    fn decode_config(&self, node: Option<&confmap::Node>) -> Result<AnyConfig, ConfigError> {
        component::config::decode::<PprofConfig>(node)
    }
}

impl ExtensionFactory for PprofFactory {
    fn stability(&self) -> Stability {
        Stability::Beta
    }

    fn create(
        &self,
        ctx: CreateContext,
        config: &AnyConfig,
    ) -> Result<Arc<dyn Extension>, CreateError> {
        let config: &PprofConfig = config.get();
        Ok(Arc::new(Pprof {
            id: ctx.id.to_string(),
            config: config.clone(),
            state: Mutex::new(None),
        }))
    }
}

/// One `pprof` extension per process (upstream's rule: the profilers are process-wide).
static RUNNING: AtomicBool = AtomicBool::new(false);

/// A `pprof` extension.
pub struct Pprof {
    id: String,
    config: PprofConfig,
    state: Mutex<Option<Running>>,
}

/// What a started extension holds.
struct Running {
    /// The accept loop; aborted on shutdown, which closes the port and every connection.
    task: JoinHandle<()>,
    /// The lifetime profile for `save_to_file`, with the file it goes to.
    save: Option<(CpuProfile, std::fs::File)>,
}

impl Pprof {
    async fn start_serving(&self) -> Result<(), StartError> {
        if RUNNING.swap(true, Ordering::SeqCst) {
            return Err(StartError(
                "only a single pprof extension instance can be running per process".into(),
            ));
        }
        match self.try_start().await {
            Ok(running) => {
                *self.state.lock() = Some(running);
                Ok(())
            }
            Err(e) => {
                RUNNING.store(false, Ordering::SeqCst);
                Err(StartError(e))
            }
        }
    }

    async fn try_start(&self) -> Result<Running, String> {
        let listener = http_server::bind(&self.config.endpoint, "tcp").await?;
        for (key, value) in [
            ("block_profile_fraction", self.config.block_profile_fraction),
            ("mutex_profile_fraction", self.config.mutex_profile_fraction),
        ] {
            if value > 0 {
                tracing::warn!(extension = %self.id, key, value,
                    "pprof: Go's block and mutex profilers have no Rust counterpart; this setting has no effect");
            }
        }
        #[cfg(feature = "heap-profiling")]
        if let Err(e) = heap::activate().await {
            tracing::warn!(extension = %self.id, error = %e, "pprof: heap profiles are unavailable");
        }
        let save = if self.config.save_to_file.is_empty() {
            None
        } else {
            let path = &self.config.save_to_file;
            let file = std::fs::File::create(path).map_err(|e| format!("open {path}: {e}"))?;
            Some((CpuProfile::start()?, file))
        };
        tracing::info!(extension = %self.id, endpoint = %self.config.endpoint,
            "Starting net/http/pprof server");
        let handler: http_server::Handler = Arc::new(|req| Box::pin(respond(req.uri().clone())));
        let options = http_server::ServeOptions {
            name: "pprof",
            // Go's pprof server sets no timeouts; this only bounds an idle half-sent request.
            read_header_timeout: Duration::from_secs(60),
            keep_alive: true,
        };
        let task = tokio::spawn(http_server::serve(listener, None, handler, options));
        Ok(Running { task, save })
    }

    async fn stop(&self) {
        let Some(running) = self.state.lock().take() else {
            return;
        };
        running.task.abort();
        let _ = running.task.await;
        if let Some((profile, file)) = running.save {
            let path = self.config.save_to_file.clone();
            match profile.finish().await {
                Ok(bytes) => {
                    let write = tokio::task::spawn_blocking(move || {
                        use std::io::Write;
                        let mut file = file;
                        file.write_all(&bytes).and_then(|()| file.sync_all())
                    })
                    .await;
                    match write {
                        Ok(Ok(())) => {
                            tracing::info!(extension = %self.id, file = %path, "CPU profile saved");
                        }
                        Ok(Err(e)) => {
                            tracing::warn!(extension = %self.id, file = %path, error = %e, "could not write the CPU profile");
                        }
                        Err(e) => {
                            tracing::warn!(extension = %self.id, file = %path, error = %e, "could not write the CPU profile");
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(extension = %self.id, file = %path, error = %e, "could not build the CPU profile");
                }
            }
        }
        #[cfg(feature = "heap-profiling")]
        heap::deactivate().await;
        RUNNING.store(false, Ordering::SeqCst);
    }
}

impl Component for Pprof {
    fn start<'a>(&'a self, _host: &'a Host) -> BoxFuture<'a, Result<(), StartError>> {
        Box::pin(self.start_serving())
    }

    fn shutdown(&self, _deadline: Instant) -> BoxFuture<'_, ()> {
        Box::pin(self.stop())
    }
}

impl Extension for Pprof {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

type Response = http::Response<Full<Bytes>>;

const PREFIX: &str = "/debug/pprof/";

/// Go's `net/http/pprof` routes as `http.DefaultServeMux` serves them.
async fn respond(uri: http::Uri) -> Response {
    let path = uri.path();
    if path == "/debug/pprof" {
        // ServeMux redirects a subtree's root without its slash.
        let mut r = text(301, "");
        r.headers_mut().insert(
            http::header::LOCATION,
            http::HeaderValue::from_static(PREFIX),
        );
        return r;
    }
    let Some(name) = path.strip_prefix(PREFIX) else {
        let mut r = text(404, "404 page not found\n");
        nosniff(&mut r);
        return r;
    };
    match name {
        "" => html(index()),
        "profile" => cpu_profile(seconds(uri.query())).await,
        "heap" | "allocs" => heap_profile(name).await,
        "cmdline" => {
            let args: Vec<String> = std::env::args().collect();
            let mut r = text(200, &args.join("\0"));
            nosniff(&mut r);
            r
        }
        "block" | "mutex" => go_error(
            501,
            &format!(
                "{name} profiles come from Go's runtime; Rust has no {name} profiler, so \
                 {name}_profile_fraction is accepted without effect. Use /debug/pprof/profile."
            ),
        ),
        "goroutine" | "threadcreate" | "trace" | "symbol" => go_error(
            501,
            &format!(
                "/debug/pprof/{name} is a Go runtime feature with no counterpart in ferrocol. \
                 CPU profiles (/debug/pprof/profile) are symbolized already."
            ),
        ),
        _ => go_error(404, "Unknown profile"),
    }
}

/// `seconds`, as Go reads it: absent, unparsable or not positive → 30.
fn seconds(query: Option<&str>) -> u64 {
    query
        .unwrap_or("")
        .split('&')
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| *k == "seconds")
        .and_then(|(_, v)| v.parse::<i64>().ok())
        .filter(|&s| s > 0)
        .map_or(30, |s| s as u64)
}

async fn cpu_profile(seconds: u64) -> Response {
    let running = match CpuProfile::start() {
        Ok(p) => p,
        Err(e) => return go_error(500, &format!("Could not enable CPU profiling: {e}")),
    };
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    match running.finish().await {
        Ok(bytes) => profile_response("profile", bytes),
        Err(e) => go_error(500, &format!("Could not build the CPU profile: {e}")),
    }
}

#[cfg(feature = "heap-profiling")]
async fn heap_profile(name: &str) -> Response {
    match heap::dump().await {
        Ok(bytes) => profile_response(name, bytes),
        Err(e) => go_error(500, &format!("Could not dump the heap profile: {e}")),
    }
}

#[cfg(not(feature = "heap-profiling"))]
async fn heap_profile(_name: &str) -> Response {
    go_error(
        501,
        "heap profiles are not built into this ferrocol: build it with \
         `cargo build --release -p ferrocol --features heap-profiling` and start it with \
         _RJEM_MALLOC_CONF=prof:true,prof_active:false to serve /debug/pprof/heap",
    )
}

/// A profile download, with Go's headers.
fn profile_response(name: &str, bytes: Vec<u8>) -> Response {
    let mut r = http::Response::new(Full::new(Bytes::from(bytes)));
    let h = r.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/octet-stream"),
    );
    if let Ok(v) = http::HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(http::header::CONTENT_DISPOSITION, v);
    }
    nosniff(&mut r);
    r
}

fn text(status: u16, body: &str) -> Response {
    let mut r = http::Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = http::StatusCode::from_u16(status).unwrap_or_default();
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

fn html(body: String) -> Response {
    let mut r = http::Response::new(Full::new(Bytes::from(body)));
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}

fn nosniff(r: &mut Response) {
    r.headers_mut().insert(
        http::header::X_CONTENT_TYPE_OPTIONS,
        http::HeaderValue::from_static("nosniff"),
    );
}

/// Go's `serveError`: the status, plain text and `X-Go-Pprof: 1`.
fn go_error(status: u16, message: &str) -> Response {
    let mut r = text(status, &format!("{message}\n"));
    nosniff(&mut r);
    r.headers_mut()
        .insert("x-go-pprof", http::HeaderValue::from_static("1"));
    r
}

/// The index: what this server offers and how to fetch it.
fn index() -> String {
    let heap = if cfg!(feature = "heap-profiling") {
        "the in-use heap, sampled by jemalloc (needs prof:true in _RJEM_MALLOC_CONF)"
    } else {
        "not built in: needs the heap-profiling cargo feature (answers 501)"
    };
    let rows = [
        ("allocs", heap),
        ("heap", heap),
        ("cmdline", "the command line of this process, NUL-separated"),
        (
            "profile",
            "CPU profile; ?seconds=N (default 30). Fetch with `go tool pprof` or `pprof`",
        ),
    ];
    let mut out = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head>\n<meta charset=\"utf-8\">\n\
         <title>/debug/pprof/</title>\n</head>\n<body>\n/debug/pprof/\n<br>\n\
         <p>Profiles served by ferrocol, in Go's pprof format:</p>\n<table>\n",
    );
    for (name, what) in rows {
        out.push_str(&format!(
            "<tr><td><a href=\"{name}\">{name}</a></td><td>{what}</td></tr>\n"
        ));
    }
    out.push_str(
        "</table>\n<p>block, mutex, goroutine, threadcreate, trace and symbol are Go runtime \
         profiles with no Rust counterpart.</p>\n</body>\n</html>\n",
    );
    out
}
