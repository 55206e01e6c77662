//! The Prometheus round trip, end to end against real peers: Debian's `prometheus-node-exporter`
//! → ferrocol's `prometheus` receiver → `prometheus_remote_write` → Debian's `prometheus`, which
//! also scrapes the same node_exporter output itself. Every series Prometheus stores from its own
//! scrape must arrive through ferrocol with the same name, labels and value.
//!
//! Both scrape a frozen snapshot of node_exporter's `/metrics` (`tests/python/frozen_metrics.py`),
//! so that counters which move between two scrapes of the live endpoint compare exactly.
//!
//! The documented job/instance handling: Prometheus' own job is `node`, ferrocol's is `ferro`;
//! both scrape the same `instance`. The comparison therefore ignores `job`. It also ignores
//! the synthetic `scrape_duration_seconds` and `scrape_series_added` values (each scraper measures
//! its own), and allows the extra `target_info` series remote write adds for the resource.

mod common;
mod prom_peer;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Collector, free_port, wait_for_port};
use prom_peer::Prometheus;

/// A child process killed when the test ends.
struct Peer(Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn node_exporter_bin() -> PathBuf {
    std::env::var_os("FERROCOL_TEST_NODE_EXPORTER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/prometheus-node-exporter"))
}

type Series = BTreeMap<BTreeMap<String, String>, f64>;

/// Every series of `job` Prometheus holds now, keyed by its labels without `job`.
fn series_of(prom: &Prometheus, job: &str) -> Series {
    prom.query(&format!("{{job=\"{job}\"}}"))
        .into_iter()
        .map(|s| {
            let mut labels: BTreeMap<String, String> =
                serde_json::from_value(s["metric"].clone()).expect("labels");
            labels.remove("job");
            let value: f64 = s["value"][1].as_str().unwrap().parse().unwrap();
            (labels, value)
        })
        .collect()
}

fn same(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

#[test]
fn node_exporter_through_ferrocol_matches_prometheus_own_scrape() {
    let dir = tempfile::tempdir().unwrap();
    let node_port = free_port();
    let bin = node_exporter_bin();
    assert!(
        bin.exists(),
        "{} not found (set FERROCOL_TEST_NODE_EXPORTER or install prometheus-node-exporter; scripts/test.sh does)",
        bin.display()
    );
    let _node = Peer(
        Command::new(&bin)
            .arg(format!("--web.listen-address=127.0.0.1:{node_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start node_exporter"),
    );
    assert!(wait_for_port(node_port, Duration::from_secs(20)));

    let frozen_port = free_port();
    let _frozen = Peer(
        Command::new(common::python())
            .arg(common::repo_root().join("tests/python/frozen_metrics.py"))
            .args(["--listen", &frozen_port.to_string(), "--source"])
            .arg(format!("node=http://127.0.0.1:{node_port}/metrics"))
            .stdout(Stdio::null())
            .spawn()
            .expect("start frozen_metrics.py"),
    );
    assert!(wait_for_port(frozen_port, Duration::from_secs(30)));
    let target = format!("127.0.0.1:{frozen_port}");

    let prom = Prometheus::start_with(
        dir.path(),
        &format!(
            "scrape_configs:\n  - job_name: node\n    scrape_interval: 2s\n    metrics_path: /node\n    \
             static_configs: [{{targets: ['{target}']}}]\n"
        ),
    );

    let metrics_port = free_port();
    let yaml = format!(
        r#"
receivers:
  prometheus:
    config:
      scrape_configs:
        - job_name: ferro
          scrape_interval: 2s
          metrics_path: /node
          static_configs:
            - targets: ['{target}']
exporters:
  prometheus_remote_write:
    endpoint: {write_url}
service:
  telemetry:
    metrics:
      address: 127.0.0.1:{metrics_port}
  pipelines:
    metrics:
      receivers: [prometheus]
      exporters: [prometheus_remote_write]
"#,
        write_url = prom.write_url()
    );
    let mut collector = Collector::start(&yaml);
    collector.wait_ready();

    // Wait until both have delivered a full scrape: as many ferro series as node series.
    let deadline = Instant::now() + Duration::from_secs(60);
    let (node, ferro) = loop {
        let node = series_of(&prom, "node");
        let ferro = series_of(&prom, "ferro");
        if node.len() > 300 && ferro.len() >= node.len() {
            break (node, ferro);
        }
        assert!(
            Instant::now() < deadline,
            "series: node {} ferro {}\n{}\n{}",
            node.len(),
            ferro.len(),
            collector.logs(),
            prom.log()
        );
        std::thread::sleep(Duration::from_millis(500));
    };

    let measured = ["scrape_duration_seconds", "scrape_series_added"];
    let mut mismatches = Vec::new();
    for (labels, value) in &node {
        let name = labels.get("__name__").map(String::as_str).unwrap_or("");
        match ferro.get(labels) {
            None => mismatches.push(format!("missing {labels:?}")),
            Some(v) if !measured.contains(&name) && !same(*v, *value) => {
                mismatches.push(format!("{labels:?}: prometheus {value}, ferrocol {v}"))
            }
            Some(_) => {}
        }
    }
    for labels in ferro.keys() {
        let name = labels.get("__name__").map(String::as_str).unwrap_or("");
        if name != "target_info" && !node.contains_key(labels) {
            mismatches.push(format!("extra {labels:?}"));
        }
    }
    eprintln!(
        "round trip: {} series from Prometheus' own scrape, {} through ferrocol, {} mismatches",
        node.len(),
        ferro.len(),
        mismatches.len()
    );
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    assert!(collector.stop().success());
}
