//! awsemf with `output_destination: stdout`: OpenTelemetry Python SDK metrics → otlp receiver →
//! awsemf → the collector's stdout, read back as EMF and checked against the EMF specification
//! rules and the translation rules (cumulative → delta with the first value dropped, histogram
//! statistics, units, namespace from the resource, dimensions).

mod common;

use std::time::{Duration, Instant};

use common::{Collector, free_port, metric, python_script, wait_for_port};
use serde_json::Value;

fn emf_lines(logs: &str) -> Vec<Value> {
    logs.lines()
        .filter(|l| l.starts_with('{') && l.contains("\"_aws\""))
        .map(|l| {
            if let Err(e) = exporters::awsemf::spec::validate(l) {
                panic!("invalid EMF ({e}): {l}");
            }
            serde_json::from_str(l).expect("EMF line is JSON")
        })
        .collect()
}

#[test]
fn sdk_metrics_come_out_as_emf_lines_on_stdout() {
    let (http_port, metrics_port) = (free_port(), free_port());
    let yaml = format!(
        "receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:{http_port}\n\
         exporters:\n  awsemf:\n    output_destination: stdout\n    dimension_rollup_option: NoDimensionRollup\n\
         service:\n  telemetry:\n    metrics:\n      address: 127.0.0.1:{metrics_port}\n\
         \x20 pipelines:\n    metrics:\n      receivers: [otlp]\n      exporters: [awsemf]\n"
    );
    let c = Collector::start(&yaml);
    c.wait_ready();
    assert!(wait_for_port(http_port, Duration::from_secs(10)));
    python_script(
        "emf_metrics.py",
        &["--endpoint", &format!("127.0.0.1:{http_port}")],
    );

    // Three exports (two collections and the one at the SDK's shutdown): latency and the gauge
    // three times, orders only from the second on: 8 EMF lines from 9 data points.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut lines = emf_lines(&c.logs());
    while lines.len() < 8 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        lines = emf_lines(&c.logs());
    }
    assert_eq!(lines.len(), 8, "EMF lines:\n{lines:#?}\nlog:\n{}", c.logs());

    let with =
        |name: &str| -> Vec<&Value> { lines.iter().filter(|l| l.get(name).is_some()).collect() };
    let orders = with("orders");
    let values: Vec<f64> = orders.iter().filter_map(|o| o["orders"].as_f64()).collect();
    assert_eq!(
        values,
        [7.0, 0.0],
        "the first cumulative value is the baseline"
    );
    let o = orders[0];
    assert_eq!(o["route"], "/orders");
    assert_eq!(o["OTelLib"], "ferrocol.e2e.emf");
    assert_eq!(o["Version"], "1");
    let directive = &o["_aws"]["CloudWatchMetrics"][0];
    assert_eq!(directive["Namespace"], "shop/emf-e2e");
    assert_eq!(
        directive["Dimensions"],
        serde_json::json!([["OTelLib", "route"]])
    );
    assert_eq!(
        directive["Metrics"],
        serde_json::json!([{"Name": "orders", "Unit": "", "StorageResolution": 60}])
    );
    assert!(
        o["_aws"]["Timestamp"]
            .as_u64()
            .is_some_and(|t| t > 1_600_000_000_000)
    );

    let latency = with("checkout.latency");
    assert_eq!(latency.len(), 3);
    for l in &latency {
        let v = &l["checkout.latency"];
        assert_eq!(
            (v["Count"].as_u64(), v["Sum"].as_f64()),
            (Some(2), Some(42.0))
        );
        assert_eq!(
            (v["Min"].as_f64(), v["Max"].as_f64()),
            (Some(12.0), Some(30.0))
        );
        assert_eq!(
            l["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"],
            "Milliseconds"
        );
    }
    let gauge = with("queue.depth");
    assert_eq!(gauge.len(), 3);
    assert_eq!(gauge[0]["queue.depth"], 3.0);
    assert_eq!(gauge[0]["queue"], "payments");

    // Three distinct CloudWatch metrics (one dimension set each); 9 points sent.
    assert_eq!(
        metric(
            metrics_port,
            "otelcol_exporter_awsemf_distinct_metrics",
            &[("exporter", "awsemf")]
        ),
        Some(3.0)
    );
    assert_eq!(
        metric(
            metrics_port,
            "otelcol_exporter_sent_metric_points",
            &[("exporter", "awsemf")]
        ),
        Some(9.0)
    );
}

#[test]
fn an_unknown_emf_version_is_a_config_error() {
    // Upstream accepts any version and then writes events without metadata; ferrocol refuses.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("c.yaml");
    std::fs::write(
        &path,
        "receivers:\n  otlp:\n    protocols:\n      http:\n\
         exporters:\n  awsemf:\n    output_destination: stdout\n    version: \"3\"\n\
         service:\n  pipelines:\n    metrics:\n      receivers: [otlp]\n      exporters: [awsemf]\n",
    )
    .expect("write");
    let out = common::run(&["validate", "--config", &path.to_string_lossy()], &[]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("version: \"3\" is not one of \"0\", \"1\""),
        "{err}"
    );
}
