//! awsemf with `output_destination: cloudwatch` (the default): OpenTelemetry Python SDK metrics
//! → otlp receiver → awsemf → CloudWatch Logs in moto (SigV4 verification on), read back with
//! boto3's GetLogEvents and checked as EMF. The log group named with a `{ServiceName}`
//! placeholder is created by the exporter with the configured retention and tags.

mod common;

use std::time::{Duration, Instant};

use common::moto::{MOTO_REGION, Moto};
use common::{Collector, free_port, metric, python_script, wait_for_port};
use serde_json::Value;

#[test]
fn sdk_metrics_land_in_cloudwatch_logs_as_emf() {
    let moto = Moto::start();
    let (http_port, metrics_port) = (free_port(), free_port());
    let yaml = format!(
        "receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:{http_port}\n\
         exporters:\n  awsemf:\n    region: {MOTO_REGION}\n    endpoint: {endpoint}\n\
         \x20   log_group_name: /ferrocol/emf/{{ServiceName}}\n    log_stream_name: e2e\n\
         \x20   dimension_rollup_option: NoDimensionRollup\n    log_retention: 7\n    tags: {{team: observability}}\n\
         service:\n  telemetry:\n    metrics:\n      address: 127.0.0.1:{metrics_port}\n\
         \x20 pipelines:\n    metrics:\n      receivers: [otlp]\n      exporters: [awsemf]\n",
        endpoint = moto.endpoint
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.yaml");
    std::fs::write(&path, &yaml).expect("write config");
    let path = path.to_string_lossy().into_owned();
    let c = Collector::start_in(
        dir,
        &["--config", &path],
        &[
            ("AWS_ACCESS_KEY_ID", &moto.access_key),
            ("AWS_SECRET_ACCESS_KEY", &moto.secret_key),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ],
    );
    c.wait_ready();
    assert!(wait_for_port(http_port, Duration::from_secs(10)));
    python_script(
        "emf_metrics.py",
        &["--endpoint", &format!("127.0.0.1:{http_port}")],
    );

    // 3 exports → 8 EMF events (see e2e_awsemf_stdout), all to one group and stream.
    let group = "/ferrocol/emf/emf-e2e";
    let deadline = Instant::now() + Duration::from_secs(30);
    let events: Vec<Value> = loop {
        let out = moto.peer_output(&["log-events", group, "e2e"]);
        if out.status.success() {
            let events: Vec<Value> = serde_json::from_slice(&out.stdout).expect("events");
            if events.len() >= 8 {
                break events;
            }
        }
        assert!(
            Instant::now() < deadline,
            "EMF events did not arrive\ncollector log:\n{}\nmoto log:\n{}",
            c.logs(),
            moto.log_text()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(events.len(), 8);
    let emf: Vec<Value> = events
        .iter()
        .map(|e| {
            let m = e["message"].as_str().expect("message");
            if let Err(err) = exporters::awsemf::spec::validate(m) {
                panic!("invalid EMF ({err}): {m}");
            }
            let v: Value = serde_json::from_str(m).expect("EMF JSON");
            // The event timestamp is the EMF timestamp.
            assert_eq!(e["timestamp"], v["_aws"]["Timestamp"]);
            v
        })
        .collect();
    let orders: Vec<f64> = emf
        .iter()
        .filter_map(|v| v.get("orders").and_then(Value::as_f64))
        .collect();
    assert_eq!(orders, [7.0, 0.0]);
    assert!(
        emf.iter()
            .all(|v| v["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "shop/emf-e2e")
    );

    // Created by the exporter, with retention and tags.
    let info: Value = serde_json::from_str(moto.peer(&["log-group", group]).trim()).expect("group");
    assert_eq!(info["retention"], 7);
    assert_eq!(info["tags"]["team"], "observability");

    assert_eq!(
        metric(
            metrics_port,
            "otelcol_exporter_sent_metric_points",
            &[("exporter", "awsemf")]
        ),
        Some(9.0)
    );
    assert_eq!(
        metric(
            metrics_port,
            "otelcol_exporter_awsemf_distinct_metrics",
            &[("exporter", "awsemf")]
        ),
        Some(3.0)
    );
}

#[test]
fn a_wrong_secret_is_refused_and_counted_as_failed() {
    let moto = Moto::start();
    let (http_port, metrics_port) = (free_port(), free_port());
    let yaml = format!(
        "receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:{http_port}\n\
         exporters:\n  awsemf:\n    region: {MOTO_REGION}\n    endpoint: {endpoint}\n    max_retries: 0\n\
         service:\n  telemetry:\n    metrics:\n      address: 127.0.0.1:{metrics_port}\n\
         \x20 pipelines:\n    metrics:\n      receivers: [otlp]\n      exporters: [awsemf]\n",
        endpoint = moto.endpoint
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.yaml");
    std::fs::write(&path, &yaml).expect("write config");
    let path = path.to_string_lossy().into_owned();
    let c = Collector::start_in(
        dir,
        &["--config", &path],
        &[
            ("AWS_ACCESS_KEY_ID", &moto.access_key),
            ("AWS_SECRET_ACCESS_KEY", "wrong-secret"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ],
    );
    c.wait_ready();
    assert!(wait_for_port(http_port, Duration::from_secs(10)));
    // The SDK logs the refused export and carries on; the script itself succeeds.
    python_script(
        "emf_metrics.py",
        &["--endpoint", &format!("127.0.0.1:{http_port}")],
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while metric(
        metrics_port,
        "otelcol_exporter_send_failed_metric_points",
        &[("exporter", "awsemf")],
    )
    .unwrap_or(0.0)
        < 9.0
    {
        assert!(
            Instant::now() < deadline,
            "no failure counted:\n{}",
            c.logs()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(c.logs().contains("PutLogEvents failed"), "{}", c.logs());
}
