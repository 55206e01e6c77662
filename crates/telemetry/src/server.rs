//! `service.telemetry.metrics`: where the `otelcol_*` metrics are served.
//!
//! Accepts both the current form (`readers: [{pull: {exporter: {prometheus: {host, port}}}}]`)
//! and the legacy `address: host:port`, which upstream stopped honouring in v0.123 but which
//! operators' configs (and ADOT guides) still carry: we honour it, since that is what its author
//! meant. The default is `localhost:8888`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};
use serde::Deserialize;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::metrics::{Level, escape_label, global};

/// `none`, `basic`, `normal` (default) or `detailed`: which families each endpoint serves
/// (see [`crate::metrics::min_level`]). `none` serves no endpoint at all.
pub use crate::metrics::Level as MetricsLevel;

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    pub level: MetricsLevel,
    /// Legacy endpoint form, e.g. `0.0.0.0:8888`.
    pub address: Option<String>,
    pub readers: Vec<ReaderConfig>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ReaderConfig {
    pub pull: Option<PullReader>,
    /// Push readers (`periodic` with an OTLP exporter) are not implemented; a config that has
    /// one is rejected by [`MetricsConfig::endpoints`] rather than silently ignored.
    pub periodic: Option<serde_json::Value>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct PullReader {
    pub exporter: PullExporter,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct PullExporter {
    pub prometheus: Option<PrometheusReader>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct PrometheusReader {
    pub host: String,
    pub port: u16,
    /// Upstream (since v0.152) defaults all three to true for explicit readers as for the
    /// implicit one: names without `_total`, without unit suffixes, no `otel_scope_*` labels.
    pub without_type_suffix: bool,
    pub without_units: bool,
    pub without_scope_info: bool,
    pub with_resource_constant_labels: Option<serde_json::Value>,
}

impl Default for PrometheusReader {
    fn default() -> Self {
        PrometheusReader {
            host: "localhost".into(),
            port: 8888,
            without_type_suffix: true,
            without_units: true,
            without_scope_info: true,
            with_resource_constant_labels: None,
        }
    }
}

/// One Prometheus endpoint to serve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub address: String,
    /// Append `_total` to counter names.
    pub type_suffix: bool,
    /// The families served, applied at render time as upstream's views are.
    pub level: Level,
}

impl Default for Endpoint {
    fn default() -> Self {
        Endpoint {
            address: "localhost:8888".into(),
            type_suffix: false,
            level: Level::Normal,
        }
    }
}

impl MetricsConfig {
    /// The endpoints to serve, or why the config cannot be honoured.
    pub fn endpoints(&self) -> Result<Vec<Endpoint>, String> {
        if self.level == MetricsLevel::None {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for (i, r) in self.readers.iter().enumerate() {
            if r.periodic.is_some() {
                return Err(format!(
                    "service::telemetry::metrics::readers::{i}: periodic readers are not supported; use a pull reader with a prometheus exporter"
                ));
            }
            match r.pull.as_ref().and_then(|p| p.exporter.prometheus.as_ref()) {
                Some(p) => out.push(Endpoint {
                    address: join_host_port(&p.host, p.port),
                    type_suffix: !p.without_type_suffix,
                    level: self.level,
                }),
                None => {
                    return Err(format!(
                        "service::telemetry::metrics::readers::{i}: a reader must be pull with exporter prometheus"
                    ));
                }
            }
        }
        if out.is_empty() {
            out.push(Endpoint {
                address: self
                    .address
                    .clone()
                    .unwrap_or_else(|| "localhost:8888".into()),
                type_suffix: false,
                level: self.level,
            });
        }
        Ok(out)
    }
}

fn join_host_port(host: &str, port: u16) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// The labels every self-metric carries (upstream, since v0.148).
#[derive(Clone, Debug)]
pub struct ServiceIdentity {
    pub service_name: String,
    pub service_instance_id: String,
    pub service_version: String,
}

impl ServiceIdentity {
    /// Applies `service::telemetry::resource`: a value replaces the automatic one, `null`
    /// removes it (upstream's legacy resource map semantics).
    pub fn with_resource(
        &self,
        resource: &std::collections::BTreeMap<String, Option<String>>,
    ) -> ServiceIdentity {
        let pick = |key: &str, current: &str| match resource.get(key) {
            Some(Some(v)) => v.clone(),
            Some(None) => String::new(),
            None => current.to_string(),
        };
        ServiceIdentity {
            service_name: pick("service.name", &self.service_name),
            service_instance_id: pick("service.instance.id", &self.service_instance_id),
            service_version: pick("service.version", &self.service_version),
        }
    }

    /// The labels, leaving out any that `null` removed.
    fn labels(&self) -> Vec<(&'static str, String)> {
        [
            ("service_instance_id", &self.service_instance_id),
            ("service_name", &self.service_name),
            ("service_version", &self.service_version),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k, v.clone()))
        .collect()
    }
}

static START: std::sync::LazyLock<(Instant, SystemTime)> =
    std::sync::LazyLock::new(|| (Instant::now(), SystemTime::now()));

/// Marks the process start for `otelcol_process_uptime`; call early in `main`.
pub fn mark_process_start() {
    std::sync::LazyLock::force(&START);
}

/// The full exposition for one endpoint: the registered metrics its level includes, plus the
/// process metrics read at scrape time (upstream registers those at every level but `none`).
pub fn render(identity: &ServiceIdentity, endpoint: &Endpoint) -> String {
    if endpoint.level == Level::None {
        return String::new();
    }
    let labels = identity.labels();
    let mut text = global().render(endpoint.level, &labels);
    if endpoint.type_suffix {
        text = add_total_suffix(&text);
    }
    text.push_str(&process_metrics(&labels, endpoint.type_suffix));
    text
}

fn add_total_suffix(text: &str) -> String {
    let mut counters = std::collections::BTreeSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ")
            && let Some(name) = rest.strip_suffix(" counter")
        {
            counters.insert(name.to_string());
        }
    }
    let mut out = String::with_capacity(text.len() + counters.len() * 16);
    for line in text.lines() {
        let name_end = if let Some(rest) = line
            .strip_prefix("# HELP ")
            .or(line.strip_prefix("# TYPE "))
        {
            let prefix_len = line.len() - rest.len();
            prefix_len + rest.find(' ').unwrap_or(rest.len())
        } else {
            line.find(['{', ' ']).unwrap_or(line.len())
        };
        let (head, tail) = line.split_at(name_end);
        let name = head.rsplit(' ').next().unwrap_or(head);
        out.push_str(head);
        if counters.contains(name) {
            out.push_str("_total");
        }
        out.push_str(tail);
        out.push('\n');
    }
    out
}

fn process_metrics(labels: &[(&'static str, String)], type_suffix: bool) -> String {
    let l = labels
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
        .collect::<Vec<_>>()
        .join(",");
    let total = if type_suffix { "_total" } else { "" };
    let mut out = String::new();
    let uptime = START.0.elapsed().as_secs_f64();
    out.push_str(&format!(
        "# HELP otelcol_process_uptime{total} Uptime of the process\n# TYPE otelcol_process_uptime{total} counter\notelcol_process_uptime{total}{{{l}}} {uptime}\n"
    ));
    // Not an upstream metric: how many payloads were decoded from protobuf. A pass-through
    // pipeline keeps it at zero; benchmarks and operators can check that it does.
    out.push_str(&format!(
        "# HELP ferrocol_payload_decodes{total} Payloads decoded from protobuf since start\n# TYPE ferrocol_payload_decodes{total} counter\nferrocol_payload_decodes{total}{{{l}}} {}\n",
        pdata::decode_count()
    ));
    if let Some((cpu, rss)) = read_proc_self() {
        out.push_str(&format!(
            "# HELP otelcol_process_cpu_seconds{total} Total CPU user and system time in seconds\n# TYPE otelcol_process_cpu_seconds{total} counter\notelcol_process_cpu_seconds{total}{{{l}}} {cpu}\n\
             # HELP otelcol_process_memory_rss Total physical memory (resident set size)\n# TYPE otelcol_process_memory_rss gauge\notelcol_process_memory_rss{{{l}}} {rss}\n"
        ));
    }
    // Left out entirely when jemalloc is not the global allocator (see `runtime`).
    if let Some(m) = crate::runtime::read() {
        out.push_str(&format!(
            "# HELP otelcol_process_runtime_heap_alloc_bytes Bytes of allocated heap objects (jemalloc stats.allocated)\n# TYPE otelcol_process_runtime_heap_alloc_bytes gauge\notelcol_process_runtime_heap_alloc_bytes{{{l}}} {}\n",
            m.heap_alloc
        ));
        if let Some(total_alloc) = m.total_alloc {
            out.push_str(&format!(
                "# HELP otelcol_process_runtime_total_alloc_bytes{total} Cumulative bytes allocated for heap objects (jemalloc size classes: nmalloc x size)\n# TYPE otelcol_process_runtime_total_alloc_bytes{total} counter\notelcol_process_runtime_total_alloc_bytes{total}{{{l}}} {total_alloc}\n"
            ));
        }
        out.push_str(&format!(
            "# HELP otelcol_process_runtime_total_sys_memory_bytes Total bytes of memory obtained from the OS (jemalloc stats.mapped)\n# TYPE otelcol_process_runtime_total_sys_memory_bytes gauge\notelcol_process_runtime_total_sys_memory_bytes{{{l}}} {}\n",
            m.sys
        ));
    }
    out
}

/// CPU seconds (user + system) and RSS bytes of this process, from `/proc/self`.
pub fn read_proc_self() -> Option<(f64, u64)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may contain spaces.
    let after = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    let rss_pages: u64 = fields.get(21)?.parse().ok()?;
    // Linux reports both in clock ticks and pages; USER_HZ is 100 and pages 4 KiB on every
    // platform we ship for (x86_64, aarch64 with 4K pages).
    Some(((utime + stime) / 100.0, rss_pages * 4096))
}

/// How long `start` retries an address still held by a stopping endpoint.
const REBIND_GRACE: Duration = Duration::from_secs(2);

/// A running self-metrics endpoint; dropping the handle does not stop it, `stop` does.
pub struct MetricsServer {
    stop: watch::Sender<bool>,
    pub local_addr: SocketAddr,
}

impl MetricsServer {
    pub async fn start(endpoint: &Endpoint, identity: ServiceIdentity) -> Result<Self, String> {
        // On a reload the previous endpoint on this address was just told to stop, and its
        // accept loop drops the listener a moment later: wait for that rather than fail the
        // reload (and, with the same address, the restart of the previous configuration).
        let give_up = Instant::now() + REBIND_GRACE;
        let listener = loop {
            match TcpListener::bind(&endpoint.address).await {
                Ok(l) => break l,
                Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && Instant::now() < give_up => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                Err(e) => {
                    return Err(format!(
                        "failed to listen on {} for self-metrics: {e}",
                        endpoint.address
                    ));
                }
            }
        };
        let local_addr = listener.local_addr().map_err(|e| e.to_string())?;
        let (stop, mut stopped) = watch::channel(false);
        let endpoint = endpoint.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = stopped.changed() => break,
                    accepted = listener.accept() => {
                        let Ok((stream, _)) = accepted else { continue };
                        let _ = stream.set_nodelay(true);
                        let identity = identity.clone();
                        let endpoint = endpoint.clone();
                        tokio::spawn(async move {
                            let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
                                let identity = identity.clone();
                                let endpoint = endpoint.clone();
                                async move { Ok::<_, Infallible>(respond(&req, &identity, &endpoint)) }
                            });
                            let io = hyper_util::rt::TokioIo::new(stream);
                            let _ = hyper::server::conn::http1::Builder::new()
                                .serve_connection(io, svc)
                                .await;
                        });
                    }
                }
            }
        });
        Ok(MetricsServer { stop, local_addr })
    }

    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }
}

fn respond(
    req: &Request<Incoming>,
    identity: &ServiceIdentity,
    endpoint: &Endpoint,
) -> Response<Full<Bytes>> {
    let reply = |status: u16, ctype: &str, body: String| {
        Response::builder()
            .status(status)
            .header("content-type", ctype)
            .body(Full::new(Bytes::from(body)))
            .expect("static response parts are valid")
    };
    match (req.method().as_str(), req.uri().path()) {
        ("GET" | "HEAD", "/metrics") => reply(
            200,
            "text/plain; version=0.0.4; charset=utf-8",
            render(identity, endpoint),
        ),
        _ => reply(
            404,
            "text/plain; charset=utf-8",
            "404 page not found\n".into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_from_each_form() {
        let default = MetricsConfig::default();
        assert_eq!(default.endpoints().unwrap()[0].address, "localhost:8888");
        let legacy = MetricsConfig {
            address: Some("0.0.0.0:8888".into()),
            ..Default::default()
        };
        assert_eq!(legacy.endpoints().unwrap()[0].address, "0.0.0.0:8888");
        let readers = MetricsConfig {
            readers: vec![ReaderConfig {
                pull: Some(PullReader {
                    exporter: PullExporter {
                        prometheus: Some(PrometheusReader {
                            host: "0.0.0.0".into(),
                            port: 9999,
                            without_type_suffix: false,
                            ..Default::default()
                        }),
                    },
                }),
                periodic: None,
            }],
            ..Default::default()
        };
        assert_eq!(
            readers.endpoints().unwrap(),
            vec![Endpoint {
                address: "0.0.0.0:9999".into(),
                type_suffix: true,
                level: Level::Normal,
            }]
        );
        let none = MetricsConfig {
            level: MetricsLevel::None,
            ..Default::default()
        };
        assert!(none.endpoints().unwrap().is_empty());
    }

    #[test]
    fn resource_overrides_and_removes_identity_labels() {
        let id = ServiceIdentity {
            service_name: "ferrocol".into(),
            service_instance_id: "abc".into(),
            service_version: "1".into(),
        };
        let resource = [
            (
                "service.name".to_string(),
                Some("aws-otel-collector".to_string()),
            ),
            ("service.instance.id".to_string(), None),
        ]
        .into_iter()
        .collect();
        let labels = id.with_resource(&resource).labels();
        assert_eq!(
            labels,
            vec![
                ("service_name", "aws-otel-collector".to_string()),
                ("service_version", "1".to_string())
            ]
        );
    }

    #[test]
    fn total_suffix_only_on_counters() {
        let text = "# HELP a_b help\n# TYPE a_b counter\na_b{x=\"1\"} 2\n# HELP g help\n# TYPE g gauge\ng 1\n";
        assert_eq!(
            add_total_suffix(text),
            "# HELP a_b_total help\n# TYPE a_b_total counter\na_b_total{x=\"1\"} 2\n# HELP g help\n# TYPE g gauge\ng 1\n"
        );
    }

    #[test]
    fn proc_self_is_readable() {
        let (cpu, rss) = read_proc_self().expect("linux /proc");
        assert!(cpu >= 0.0);
        assert!(rss > 1024 * 1024);
    }
}
