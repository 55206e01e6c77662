//! The `prometheus` exporter scraped by Debian's real Prometheus 2.42: metrics from the
//! OpenTelemetry Python SDK (and a raw summary and delta sum) go through ferrocol's OTLP
//! receiver into the exporter; Prometheus scrapes it every second (asking for OpenMetrics first,
//! as it does by default) and the test reads the stored series back with `/api/v1/query`.
//! A plain scrape without OpenMetrics in `Accept` gets text 0.0.4.

mod common;
mod prom_peer;

use std::time::{Duration, Instant};

use common::{Collector, free_port, python_script};
use prom_peer::Prometheus;

#[test]
fn prometheus_scrapes_what_the_sdk_sent() {
    let dir = tempfile::tempdir().unwrap();
    let (otlp, exporter, metrics) = (free_port(), free_port(), free_port());
    let yaml = format!(
        r#"
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:{otlp}
exporters:
  prometheus:
    endpoint: 127.0.0.1:{exporter}
    namespace: app
    const_labels: {{env: e2e}}
    enable_open_metrics: true
service:
  telemetry:
    metrics:
      address: 127.0.0.1:{metrics}
  pipelines:
    metrics:
      receivers: [otlp]
      exporters: [prometheus]
"#
    );
    let c = Collector::start(&yaml);
    c.wait_ready();
    let prom = Prometheus::start_with(
        dir.path(),
        &format!(
            "scrape_configs:\n  - job_name: ferrocol\n    scrape_interval: 1s\n    honor_labels: true\n    static_configs: [{{targets: ['127.0.0.1:{exporter}']}}]\n"
        ),
    );
    python_script(
        "prw_metrics.py",
        &["sdk", "--endpoint", &format!("http://127.0.0.1:{otlp}")],
    );

    // What a scraper without OpenMetrics gets: text 0.0.4.
    let text = common::http(
        exporter,
        "GET",
        "/metrics",
        &[("Accept", "text/plain")],
        b"",
    )
    .unwrap();
    assert_eq!(text.status, 200);
    assert_eq!(
        text.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let body = text.text();
    assert!(
        body.contains("# TYPE app_prw_requests_total counter\n"),
        "{body}"
    );
    // With OpenMetrics asked for: the counter's family has no `_total`, and `# EOF` ends it.
    let om = common::http(
        exporter,
        "GET",
        "/metrics",
        &[("Accept", "application/openmetrics-text;version=1.0.0")],
        b"",
    )
    .unwrap();
    assert!(
        om.header("content-type")
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    assert!(
        om.text().contains("# TYPE app_prw_requests counter\n") && om.text().ends_with("# EOF\n"),
        "{}",
        om.text()
    );
    assert_eq!(
        common::http(exporter, "GET", "/other", &[], b"")
            .unwrap()
            .status,
        404
    );

    let sel =
        r#"job="shop/prwtest",instance="inst-1",env="e2e",otel_scope_name="ferrocol.e2e.prw""#;
    let v = |q: &str| {
        prom.value(q).unwrap_or_else(|| {
            panic!(
                "{q} not in Prometheus\nexposition:\n{}\ncollector:\n{}\nprometheus:\n{}",
                common::http(exporter, "GET", "/metrics", &[], b"")
                    .map(|r| r.text())
                    .unwrap_or_default(),
                c.logs(),
                prom.log()
            )
        })
    };
    assert_eq!(
        v(&format!(
            r#"app_prw_requests_total{{{sel},http_method="GET"}}"#
        )),
        7.0
    );
    assert_eq!(
        v(&format!(
            r#"app_prw_requests_total{{{sel},http_method="POST"}}"#
        )),
        1.0
    );
    assert_eq!(v(&format!("app_prw_queue_depth{{{sel}}}")), 3.0);
    assert_eq!(
        v(&format!(r#"app_prw_temperature_celsius{{{sel},room="a"}}"#)),
        21.5
    );
    assert_eq!(
        v(&format!(
            r#"app_prw_latency_milliseconds_bucket{{{sel},le="10.0"}}"#
        )),
        2.0
    );
    assert_eq!(
        v(&format!(
            r#"app_prw_latency_milliseconds_bucket{{{sel},le="+Inf"}}"#
        )),
        4.0
    );
    assert_eq!(
        v(&format!("app_prw_latency_milliseconds_sum{{{sel}}}")),
        300.0
    );
    let raw =
        r#"job="shop/prwtest",instance="inst-1",env="e2e",otel_scope_name="ferrocol.e2e.prw.raw""#;
    assert_eq!(
        v(&format!(r#"app_prw_rpc_seconds{{{raw},quantile="0.99"}}"#)),
        1.25
    );
    assert_eq!(v(&format!("app_prw_rpc_seconds_count{{{raw}}}")), 10.0);
    // The monotonic delta sum is served as a counter.
    assert_eq!(v(&format!("app_prw_delta_total{{{raw}}}")), 5.0);
    // One target_info per resource: the SDK's (with telemetry.sdk.*) and the raw requests'.
    assert_eq!(
        v(
            r#"app_target_info{job="shop/prwtest",instance="inst-1",host_name="h1",telemetry_sdk_language="python"}"#
        ),
        1.0
    );
    assert_eq!(prom.query("app_target_info").len(), 2);
    // Scrapes succeed.
    let deadline = Instant::now() + Duration::from_secs(10);
    while prom.value(r#"up{job="ferrocol"}"#) != Some(1.0) {
        assert!(
            Instant::now() < deadline,
            "the target is not up:\n{}",
            prom.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}
