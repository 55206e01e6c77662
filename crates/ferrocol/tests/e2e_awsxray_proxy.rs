//! The `awsproxy` extension end to end, against moto with SigV4 verification on: an unsigned
//! X-Ray API call made to the proxy reaches X-Ray signed with the collector's credentials, and
//! an answer X-Ray refuses (wrong secret) is relayed as it is.

mod common;
mod e2e_awsxray_common;

use std::time::Duration;

use common::moto::Moto;
use common::{Collector, free_port, http, wait_for_port};
use e2e_awsxray_common::{batch_get_traces, collector_env};

fn start(moto: &Moto, env: &[(String, String)]) -> (Collector, u16) {
    let proxy = free_port();
    let yaml = format!(
        r#"
extensions:
  awsproxy:
    endpoint: 127.0.0.1:{proxy}
    region: us-east-1
    local_mode: true
    aws_endpoint: {endpoint}
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:{otlp}
exporters:
  nop:
service:
  telemetry:
    metrics:
      address: 127.0.0.1:{metrics}
  extensions: [awsproxy]
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [nop]
"#,
        endpoint = moto.endpoint,
        otlp = free_port(),
        metrics = free_port()
    );
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    std::fs::write(&config, yaml).unwrap();
    let config = config.to_string_lossy().into_owned();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let c = Collector::start_in(dir, &["--config", &config], &env);
    c.wait_ready();
    assert!(wait_for_port(proxy, Duration::from_secs(5)));
    (c, proxy)
}

fn put_segment(proxy: u16, trace: &str, name: &str) -> common::Response {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let doc = format!(
        r#"{{"name":"{name}","id":"0a0b0c0d01020304","trace_id":"{trace}","start_time":{now},"end_time":{end}}}"#,
        end = now + 0.25
    );
    let body = serde_json::json!({ "TraceSegmentDocuments": [doc] }).to_string();
    http(
        proxy,
        "POST",
        "/TraceSegments",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )
    .expect("proxy answers")
}

#[test]
fn unsigned_calls_are_forwarded_signed_and_refusals_relayed() {
    let moto = Moto::start();
    let (_c, proxy) = start(&moto, &collector_env(&moto));
    let trace = "1-5f187253-0123456789abcdef01234567";
    let r = put_segment(proxy, trace, "via-awsproxy");
    assert_eq!(r.status, 200, "{}", r.text());
    let traces = batch_get_traces(&moto, &[trace]);
    assert_eq!(traces[0]["Segments"][0]["name"], "via-awsproxy");

    // The same call with a wrong secret: X-Ray's 403 comes back through the proxy.
    let mut wrong = collector_env(&moto);
    for (k, v) in &mut wrong {
        if k == "AWS_SECRET_ACCESS_KEY" {
            *v = "not-the-secret".into();
        }
    }
    let (_c2, proxy2) = start(&moto, &wrong);
    let r = put_segment(proxy2, "1-5f187253-0123456789abcdef0123456a", "refused");
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains("SignatureDoesNotMatch"), "{}", r.text());
}
