//! `awscloudwatchlogs` end to end: OTLP/HTTP logs → ferrocol → CloudWatch Logs in moto (SigV4
//! verification on), read back with boto3. Also: EMF bodies with `raw_log`/`emf_only`, a wrong
//! secret refused and counted, and the missing-region startup error.

mod common;

use std::time::{Duration, Instant};

use common::moto::{MOTO_REGION, Moto};
use common::{Collector, free_port, http, metric, wait_for_port};
use serde_json::{Value, json};

fn now_ns() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// An OTLP/JSON logs request: one resource (`service.name: e2e`), one scope, these bodies.
fn logs_request(bodies: &[&str], t_ns: u128) -> Vec<u8> {
    let records: Vec<Value> = bodies
        .iter()
        .enumerate()
        .map(|(i, b)| {
            json!({
                "timeUnixNano": (t_ns + i as u128 * 1_000_000).to_string(),
                "severityNumber": 9,
                "severityText": "INFO",
                "body": {"stringValue": b},
                "attributes": [{"key": "n", "value": {"intValue": i.to_string()}}],
            })
        })
        .collect();
    json!({"resourceLogs": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "e2e"}}]},
        "scopeLogs": [{"scope": {"name": "e2e-scope"}, "logRecords": records}],
    }]})
    .to_string()
    .into_bytes()
}

fn config(moto: &Moto, http_port: u16, metrics_port: u16, exporter_extra: &str) -> String {
    format!(
        "receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:{http_port}\n\
         exporters:\n  awscloudwatchlogs:\n    region: {MOTO_REGION}\n    endpoint: {endpoint}\n    log_group_name: /ferrocol/e2e\n    log_stream_name: s1\n{exporter_extra}\
         service:\n  telemetry:\n    metrics:\n      address: 127.0.0.1:{metrics_port}\n\
         \x20 pipelines:\n    logs:\n      receivers: [otlp]\n      exporters: [awscloudwatchlogs]\n",
        endpoint = moto.endpoint
    )
}

fn start(moto: &Moto, yaml: &str, secret: &str) -> Collector {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.yaml");
    std::fs::write(&path, yaml).unwrap();
    let path = path.to_string_lossy().into_owned();
    let c = Collector::start_in(
        dir,
        &["--config", &path],
        &[
            ("AWS_ACCESS_KEY_ID", &moto.access_key),
            ("AWS_SECRET_ACCESS_KEY", secret),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ],
    );
    c.wait_ready();
    c
}

fn post_logs(port: u16, body: &[u8]) {
    assert!(wait_for_port(port, Duration::from_secs(10)));
    let r = http(
        port,
        "POST",
        "/v1/logs",
        &[("Content-Type", "application/json")],
        body,
    )
    .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
}

/// Polls `log-events` until `n` events are there.
fn wait_events(moto: &Moto, group: &str, stream: &str, n: usize, c: &Collector) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let out = moto.peer_output(&["log-events", group, stream]);
        if out.status.success() {
            let events: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
            if events.len() >= n {
                return events;
            }
        }
        assert!(
            Instant::now() < deadline,
            "{n} events did not arrive in {group}/{stream}\ncollector log:\n{}\nmoto log:\n{}",
            c.logs(),
            moto.log_text()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn otlp_logs_land_in_cloudwatch_logs_as_upstreams_json() {
    let moto = Moto::start();
    let (http_port, metrics_port) = (free_port(), free_port());
    let yaml = config(
        &moto,
        http_port,
        metrics_port,
        "    log_retention: 14\n    tags: {team: observability}\n",
    );
    let c = start(&moto, &yaml, &moto.secret_key);
    let t = now_ns();
    post_logs(http_port, &logs_request(&["hello <world>", "second"], t));

    let events = wait_events(&moto, "/ferrocol/e2e", "s1", 2, &c);
    assert_eq!(events.len(), 2);
    let t_ms = (t / 1_000_000) as i64;
    assert_eq!(events[0]["timestamp"], t_ms);
    assert_eq!(events[1]["timestamp"], t_ms + 1);
    assert_eq!(
        events[0]["message"],
        r#"{"body":"hello \u003cworld\u003e","severity_number":9,"severity_text":"INFO","attributes":{"n":0},"scope":{"name":"e2e-scope"},"resource":{"service.name":"e2e"}}"#
    );
    let group: Value = serde_json::from_str(&moto.peer(&["log-group", "/ferrocol/e2e"])).unwrap();
    assert_eq!(group["retention"], 14);
    assert_eq!(group["tags"], json!({"team": "observability"}));

    let labels = [("exporter", "awscloudwatchlogs")];
    let deadline = Instant::now() + Duration::from_secs(10);
    while metric(metrics_port, "otelcol_exporter_sent_log_records", &labels) != Some(2.0) {
        assert!(
            Instant::now() < deadline,
            "sent_log_records never reached 2"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn raw_emf_bodies_go_to_the_group_they_name_and_emf_only_drops_the_rest() {
    let moto = Moto::start();
    let (http_port, metrics_port) = (free_port(), free_port());
    let yaml = config(
        &moto,
        http_port,
        metrics_port,
        "    raw_log: true\n    emf_only: true\n",
    );
    let c = start(&moto, &yaml, &moto.secret_key);
    let emf = r#"{"_aws":{"Timestamp":1700000000000,"LogGroupName":"/emf/app","CloudWatchMetrics":[{"Namespace":"NS","Dimensions":[["svc"]],"Metrics":[{"Name":"latency","Unit":"Milliseconds"}]}]},"svc":"checkout","latency":12.5}"#;
    post_logs(
        http_port,
        &logs_request(&[emf, "plain text, not EMF"], now_ns()),
    );

    let events = wait_events(&moto, "/emf/app", "s1", 1, &c);
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0]["message"], emf,
        "the EMF document is sent byte for byte"
    );
    let dropped = [("exporter", "awscloudwatchlogs"), ("reason", "not_emf")];
    let deadline = Instant::now() + Duration::from_secs(10);
    while metric(
        metrics_port,
        "otelcol_exporter_awscloudwatchlogs_dropped_log_records",
        &dropped,
    ) != Some(1.0)
    {
        assert!(
            Instant::now() < deadline,
            "the non-EMF record was not counted\n{}",
            c.logs()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // Nothing went to the configured group.
    assert!(
        !moto
            .peer_output(&["log-events", "/ferrocol/e2e", "s1"])
            .status
            .success()
    );
}

#[test]
fn a_wrong_secret_is_refused_counted_and_logged() {
    let moto = Moto::start();
    let (http_port, metrics_port) = (free_port(), free_port());
    let yaml = config(&moto, http_port, metrics_port, "");
    let c = start(&moto, &yaml, "not-the-secret");
    post_logs(http_port, &logs_request(&["a", "b", "c"], now_ns()));

    let labels = [("exporter", "awscloudwatchlogs")];
    let deadline = Instant::now() + Duration::from_secs(15);
    while metric(
        metrics_port,
        "otelcol_exporter_send_failed_log_records",
        &labels,
    ) != Some(3.0)
    {
        assert!(
            Instant::now() < deadline,
            "the refusal was not counted\n{}",
            c.logs()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        metric(metrics_port, "otelcol_exporter_sent_log_records", &labels),
        Some(0.0)
    );
    assert!(
        c.wait_for_log("SignatureDoesNotMatch", Duration::from_secs(5)),
        "the log does not say why: {}",
        c.logs()
    );
}

#[test]
fn no_region_fails_start_with_upstreams_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.yaml");
    std::fs::write(
        &path,
        "receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:0\n\
         exporters:\n  awscloudwatchlogs:\n    local_mode: true\n    log_group_name: g\n    log_stream_name: s\n\
         service:\n  telemetry:\n    metrics:\n      level: none\n\
         \x20 pipelines:\n    logs:\n      receivers: [otlp]\n      exporters: [awscloudwatchlogs]\n",
    )
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(common::bin())
        .args(["--config", &path.to_string_lossy()])
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env_remove("AWS_PROFILE")
        .env_remove("AOT_CONFIG_CONTENT")
        .env("HOME", home.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "Cannot fetch region variable from config file, environment variables and ec2 metadata."
        ),
        "{stderr}"
    );
}
