//! The scrape manager against a real peer: Debian's `prometheus-node-exporter` 1.5 on a free
//! loopback port (`FERROCOL_TEST_NODE_EXPORTER`, else `PATH`). The test fails, never skips,
//! when the binary is missing.

use std::collections::BTreeSet;
use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::FutureExt as _;
use futures::future::BoxFuture;
use prometheus::config::PromConfig;
use prometheus::exposition::{Entry, Format, Parser, Strictness};
use prometheus::scrape::batch::is_stale_nan;
use prometheus::scrape::{Appender, ScrapeBatch, ScrapeManager, ScrapeOptions};

struct Exporter(Child);

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn start_exporter(port: u16) -> Exporter {
    let bin = std::env::var("FERROCOL_TEST_NODE_EXPORTER")
        .unwrap_or_else(|_| "prometheus-node-exporter".to_string());
    let child = Command::new(&bin)
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start {bin:?} ({e}): install Debian's prometheus-node-exporter \
                 (scripts/test.sh does) or set FERROCOL_TEST_NODE_EXPORTER"
            )
        });
    let exporter = Exporter(child);
    let deadline = Instant::now() + Duration::from_secs(15);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "node_exporter did not listen on {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    exporter
}

/// A plain HTTP/1.0 GET, independent of the scraper under test.
fn fetch(port: u16) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(s, "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out.split_once("\r\n\r\n").unwrap().1.to_string()
}

#[derive(Default)]
struct Collect(Mutex<Vec<ScrapeBatch>>, tokio::sync::Notify);

impl Appender for Collect {
    fn append(&self, batch: ScrapeBatch) -> BoxFuture<'_, Result<(), String>> {
        self.0.lock().unwrap().push(batch);
        self.1.notify_waiters();
        async { Ok(()) }.boxed()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scrapes_node_exporter() {
    let port = free_port();
    let _exporter = start_exporter(port);
    let yaml = format!(
        "scrape_configs:\n- job_name: node\n  scrape_interval: 2s\n  static_configs: [{{targets: ['127.0.0.1:{port}']}}]\n"
    );
    let node = confmap::parse_yaml(&yaml).unwrap().unwrap();
    let config: PromConfig = confmap::decode(&node).unwrap();
    config.validate().unwrap();
    let sink = Arc::new(Collect::default());
    let options = ScrapeOptions {
        user_agent: "ferrocol-test".into(),
    };
    let running = ScrapeManager::with_options(&config, sink.clone(), options)
        .unwrap()
        .start();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let notified = sink.1.notified();
        if !sink.0.lock().unwrap().is_empty() {
            break;
        }
        tokio::select! {
            _ = notified => {}
            _ = tokio::time::sleep_until(deadline) => panic!("no scrape within 20s"),
        }
    }
    running.shutdown().await;
    let batch = sink.0.lock().unwrap()[0].clone();

    let value = |name: &str| {
        batch
            .samples
            .iter()
            .find(|s| s.name() == name)
            .unwrap_or_else(|| panic!("no {name}"))
            .value
    };
    assert_eq!(value("up"), 1.0);
    let scraped = value("scrape_samples_scraped");
    let exposed: Vec<_> = batch
        .samples
        .iter()
        .filter(|s| !s.name().starts_with("scrape_") && s.name() != "up")
        .collect();
    assert_eq!(exposed.len() as f64, scraped);
    assert_eq!(value("scrape_samples_post_metric_relabeling"), scraped);
    assert_eq!(value("scrape_series_added"), scraped);
    assert!(
        (400.0..=700.0).contains(&scraped),
        "~500 samples, got {scraped}"
    );
    assert!(exposed.iter().all(|s| !is_stale_nan(s.value)));

    // Every sample carries the target labels; its other labels and its name are the
    // exposition's (checked against an independent fetch, parsed separately).
    let instance = format!("127.0.0.1:{port}");
    let body = fetch(port);
    let mut families = BTreeSet::new();
    let mut series = BTreeSet::new();
    for entry in Parser::new(&body, Format::Text004, Strictness::Prometheus) {
        if let Entry::Sample(s) = entry.unwrap() {
            families.insert(s.name.to_string());
            let labels: Vec<String> = s.labels.iter().map(|(n, v)| format!("{n}={v}")).collect();
            series.insert(format!("{}{{{}}}", s.name, labels.join(",")));
        }
    }
    let mut matched = 0;
    for s in &exposed {
        assert_eq!(s.label("job"), Some("node"));
        assert_eq!(s.label("instance"), Some(instance.as_str()));
        assert!(families.contains(s.name()), "{} not exposed", s.name());
        let own: Vec<String> = s
            .labels
            .iter()
            .filter(|(n, _)| n != "__name__" && n != "job" && n != "instance")
            .map(|(n, v)| format!("{n}={v}"))
            .collect();
        let mut sorted_exposed = own.clone();
        sorted_exposed.sort();
        if series.iter().any(|e| {
            let Some((name, rest)) = e.split_once('{') else {
                return false;
            };
            if name != s.name() {
                return false;
            }
            let mut labels: Vec<String> = rest
                .trim_end_matches('}')
                .split(',')
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect();
            labels.sort();
            labels == sorted_exposed
        }) {
            matched += 1;
        }
    }
    // A few series (e.g. per-scrape collector durations) may differ between two scrapes.
    assert!(
        matched as f64 >= exposed.len() as f64 * 0.95,
        "{matched} of {} series match the exposition",
        exposed.len()
    );
    let build = exposed
        .iter()
        .find(|s| s.name() == "node_exporter_build_info")
        .expect("build info");
    assert_eq!(build.label("version"), Some("1.5.0"));
    assert_eq!(build.value, 1.0);
    let meta = &batch.metadata["node_exporter_build_info"];
    assert_eq!(meta.metric_type, prometheus::scrape::MetricType::Gauge);
    assert!(meta.help.starts_with("A metric with a constant '1' value"));
}
