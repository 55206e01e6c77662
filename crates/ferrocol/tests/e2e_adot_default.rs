//! ADOT's own default configuration (`examples/seeds/adot-default.yaml`), unchanged, against
//! moto with SigV4 verification on: only `AWS_*` environment variables point it there. Its
//! traces half takes OTLP from the OpenTelemetry Python SDK (OTLP/HTTP on 4318) and segments from
//! the X-Ray Python SDK's UDP emitter (2000), and both traces must come back from X-Ray's
//! BatchGetTraces with their parent/child structure.
//!
//! The seed binds the default ports; `.config/nextest.toml` keeps this test apart from the other
//! one that does (`e2e_default_config`).

mod common;
mod e2e_awsxray_common;

use common::moto::Moto;
use common::{Collector, python_script, wait_for_port};
use e2e_awsxray_common::{collector_env, wait_for_segments};
use serde_json::Value;
use std::time::Duration;

#[test]
fn adot_default_config_sends_otlp_and_xray_sdk_traces_to_xray() {
    let moto = Moto::start();
    let seed = common::shared_dir().join("examples/seeds/adot-default.yaml");
    let mut env = collector_env(&moto);
    env.push(("AWS_ENDPOINT_URL".to_string(), moto.endpoint.clone()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let dir = tempfile::tempdir().unwrap();
    let mut c = Collector::start_in(dir, &["--config", seed.to_str().unwrap()], &env);
    c.wait_ready();
    assert!(wait_for_port(4318, Duration::from_secs(10)));

    // OTLP from the OpenTelemetry SDK: a server span with HTTP-client, database, failing and
    // throttled children.
    let out = python_script("xray_otel_traces.py", &["4318"]);
    let ids: Value = serde_json::from_slice(&out.stdout).unwrap();
    let trace_id = ids["trace_id"].as_str().unwrap();
    let segments = wait_for_segments(&moto, trace_id, 5);
    assert_eq!(segments.len(), 5, "{segments:#?}\n{}", c.logs());
    let server = ids["server"].as_str().unwrap();
    for child in ["http_client", "db", "failing"] {
        let id = ids[child].as_str().unwrap();
        let s = segments
            .iter()
            .find(|s| s["id"] == id)
            .unwrap_or_else(|| panic!("no {child} segment in {segments:#?}"));
        assert_eq!(s["parent_id"], server, "{child}");
    }

    // Segments from the X-Ray SDK's UDP emitter, through the awsxray receiver.
    let out = python_script("xray_sdk_udp.py", &["127.0.0.1:2000", "embedded"]);
    let ids: Value = serde_json::from_slice(&out.stdout).unwrap();
    let trace_id = ids["trace_id"].as_str().unwrap();
    let segments = wait_for_segments(&moto, trace_id, 4);
    assert_eq!(segments.len(), 4, "{segments:#?}\n{}", c.logs());
    let root = ids["segment"].as_str().unwrap();
    let inv = segments
        .iter()
        .find(|s| s["id"] == ids["inventory"])
        .expect("inventory subsegment");
    assert_eq!(inv["parent_id"], root);

    assert!(c.stop().success(), "{}", c.logs());
}
