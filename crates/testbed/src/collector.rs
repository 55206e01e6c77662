//! The collector under test: a child process started from a command-line template whose
//! placeholders are filled with the run's ports, stopped with SIGTERM.
//!
//! Placeholders: `{grpc_port}`, `{http_port}`, `{metrics_port}` (the collector's own listeners),
//! `{backend_grpc_port}`, `{backend_http_port}` (the mock backend), `{config}` (a generated
//! ferrocol config file).

use std::fs::File;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::scenario::{Processors, Scenario};

/// The ports of one run.
#[derive(Clone, Copy, Debug)]
pub struct Ports {
    pub grpc: u16,
    pub http: u16,
    pub metrics: u16,
    pub backend_grpc: u16,
    pub backend_http: u16,
}

impl Ports {
    /// Free ports for the collector's listeners, and the backend's.
    pub fn allocate(backend_grpc: SocketAddr, backend_http: SocketAddr) -> std::io::Result<Ports> {
        // Hold all three at once so they differ, then release them for the collector.
        let l: Vec<TcpListener> = (0..3)
            .map(|_| TcpListener::bind("127.0.0.1:0"))
            .collect::<Result<_, _>>()?;
        let port = |i: usize| l[i].local_addr().map(|a| a.port());
        Ok(Ports {
            grpc: port(0)?,
            http: port(1)?,
            metrics: port(2)?,
            backend_grpc: backend_grpc.port(),
            backend_http: backend_http.port(),
        })
    }

    /// The template with its placeholders filled.
    pub fn fill(&self, template: &str, config: &Path) -> String {
        template
            .replace("{grpc_port}", &self.grpc.to_string())
            .replace("{http_port}", &self.http.to_string())
            .replace("{metrics_port}", &self.metrics.to_string())
            .replace("{backend_grpc_port}", &self.backend_grpc.to_string())
            .replace("{backend_http_port}", &self.backend_http.to_string())
            .replace("{config}", &config.to_string_lossy())
    }
}

/// Which collector, and how to start it for a scenario.
#[derive(Clone, Debug)]
pub enum CollectorKind {
    /// ferrocol with a generated config (otlp receiver → [batch] → otlp exporter → backend).
    Ferrocol { bin: PathBuf },
    /// Rotel through `peer-rotel.sh start` with its OTLP (gRPC) exporter to the backend.
    Rotel { script: PathBuf },
}

impl CollectorKind {
    pub fn name(&self) -> &'static str {
        match self {
            CollectorKind::Ferrocol { .. } => "ferrocol",
            CollectorKind::Rotel { .. } => "rotel",
        }
    }

    /// The command-line template for a scenario, or why this collector cannot run it.
    pub fn template(&self, scenario: &Scenario) -> Result<Vec<String>, String> {
        match self {
            CollectorKind::Ferrocol { bin } => Ok(vec![
                bin.to_string_lossy().into_owned(),
                "--config".into(),
                "{config}".into(),
            ]),
            CollectorKind::Rotel { script } => {
                if let Some(reason) = scenario.rotel_unsupported {
                    return Err(reason.to_string());
                }
                let mut args = vec![
                    script.to_string_lossy().into_owned(),
                    "start".into(),
                    "{grpc_port}".into(),
                    "{http_port}".into(),
                    "--exporter".into(),
                    "otlp".into(),
                    "--otlp-exporter-endpoint".into(),
                    "http://127.0.0.1:{backend_grpc_port}".into(),
                ];
                // Rotel batches by default (8192 items / 200 ms, like `batch`); a scenario
                // without processors turns it off.
                if scenario.processors == Processors::None {
                    args.push("--disable-batching".into());
                }
                Ok(args)
            }
        }
    }

    /// ferrocol's config for a scenario: upstream collector YAML.
    pub fn ferrocol_config(scenario: &Scenario, ports: &Ports) -> String {
        let signal = match scenario.signal {
            loadgen::Signal::Traces => "traces",
            loadgen::Signal::Metrics => "metrics",
            loadgen::Signal::Logs => "logs",
        };
        let (processors_block, processors_list) = match scenario.processors {
            Processors::Batch => ("processors:\n  batch:\n", "[batch]"),
            Processors::None => ("", "[]"),
        };
        format!(
            "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:{grpc}\n      http:\n        endpoint: 127.0.0.1:{http}\n\
             {processors_block}\
             exporters:\n  otlp:\n    endpoint: 127.0.0.1:{backend}\n    tls:\n      insecure: true\n\
             service:\n  telemetry:\n    logs:\n      level: warn\n    metrics:\n      address: 127.0.0.1:{metrics}\n\
             \x20 pipelines:\n    {signal}:\n      receivers: [otlp]\n      processors: {processors_list}\n      exporters: [otlp]\n",
            grpc = ports.grpc,
            http = ports.http,
            backend = ports.backend_grpc,
            metrics = ports.metrics,
        )
    }
}

/// A started collector; killed if still running when dropped.
pub struct RunningCollector {
    child: Option<Child>,
    pub log: PathBuf,
    pub ports: Ports,
    pub kind: CollectorKind,
    _dir: tempfile::TempDir,
}

impl RunningCollector {
    /// Starts `kind` for `scenario` and waits until its OTLP ports accept connections.
    pub fn start(
        kind: &CollectorKind,
        scenario: &Scenario,
        ports: Ports,
    ) -> Result<RunningCollector, String> {
        let template = kind.template(scenario)?;
        let dir = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
        let config = dir.path().join("config.yaml");
        std::fs::write(&config, CollectorKind::ferrocol_config(scenario, &ports))
            .map_err(|e| format!("writing {}: {e}", config.display()))?;
        let args: Vec<String> = template.iter().map(|a| ports.fill(a, &config)).collect();
        let log = dir.path().join("collector.log");
        let out = File::create(&log).map_err(|e| format!("log file: {e}"))?;
        let err = out.try_clone().map_err(|e| format!("log file: {e}"))?;
        let child = Command::new(&args[0])
            .args(&args[1..])
            .env_remove("AOT_CONFIG_CONTENT")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("starting {}: {e}", args[0]))?;
        let mut running = RunningCollector {
            child: Some(child),
            log,
            ports,
            kind: kind.clone(),
            _dir: dir,
        };
        // Rotel may install itself on first use; allow for it.
        let deadline = Instant::now() + Duration::from_secs(120);
        for port in [ports.grpc, ports.http] {
            while TcpStream::connect(("127.0.0.1", port)).is_err() {
                if !running.is_running() {
                    return Err(format!(
                        "{} exited before listening on {port}:\n{}",
                        kind.name(),
                        running.logs()
                    ));
                }
                if Instant::now() > deadline {
                    return Err(format!(
                        "{} did not listen on {port} within 120 s:\n{}",
                        kind.name(),
                        running.logs()
                    ));
                }
                std::thread::sleep(Duration::from_millis(25));
            }
        }
        Ok(running)
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// What the collector printed so far (its last 4 KiB, for error messages).
    pub fn logs(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let cut = text.len().saturating_sub(4096);
        let cut = (cut..text.len())
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(text.len());
        text[cut..].to_string()
    }

    /// SIGTERM, then SIGKILL after `grace`. Returns whether it exited by itself.
    pub fn stop(&mut self, grace: Duration) -> bool {
        let Some(mut child) = self.child.take() else {
            return true;
        };
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        false
    }
}

impl Drop for RunningCollector {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Reads one metric from a Prometheus text endpoint, summed over its series.
pub fn scrape_metric(port: u16, name: &str) -> Result<f64, String> {
    use std::io::{Read, Write};
    let mut tcp = TcpStream::connect(("127.0.0.1", port))
        .map_err(|e| format!("self-metrics on {port}: {e}"))?;
    tcp.set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    write!(
        tcp,
        "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut text = String::new();
    tcp.read_to_string(&mut text).map_err(|e| e.to_string())?;
    sum_metric(&text, name).ok_or_else(|| format!("{name} not in the self-metrics"))
}

/// The sum of every series of `name` in Prometheus text.
pub fn sum_metric(text: &str, name: &str) -> Option<f64> {
    let mut found = None;
    for line in text.lines() {
        let Some(rest) = line.strip_prefix(name) else {
            continue;
        };
        // The name must end here: `foo` must not match `foo_total`.
        if !(rest.starts_with('{') || rest.starts_with(' ')) {
            continue;
        }
        let value = rest
            .rsplit('}')
            .next()
            .unwrap_or(rest)
            .split_whitespace()
            .next();
        if let Some(v) = value.and_then(|v| v.parse::<f64>().ok()) {
            *found.get_or_insert(0.0) += v;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_series_and_ignores_longer_names() {
        let text = "# HELP x\nferrocol_payload_decodes{signal=\"traces\"} 3\nferrocol_payload_decodes{signal=\"logs\"} 4\nferrocol_payload_decodes_total 99\n";
        assert_eq!(sum_metric(text, "ferrocol_payload_decodes"), Some(7.0));
        assert_eq!(sum_metric("up 1\n", "up"), Some(1.0));
        assert_eq!(sum_metric("other 1\n", "up"), None);
    }

    #[test]
    fn templates_fill_every_placeholder() {
        let ports = Ports {
            grpc: 1,
            http: 2,
            metrics: 3,
            backend_grpc: 4,
            backend_http: 5,
        };
        let filled = ports.fill(
            "{grpc_port} {http_port} {metrics_port} {backend_grpc_port} {backend_http_port} {config}",
            Path::new("/c.yaml"),
        );
        assert_eq!(filled, "1 2 3 4 5 /c.yaml");
    }
}
