//! The `awsxray` exporter end to end: the OpenTelemetry Python SDK sends a trace over OTLP, the
//! exporter sends it to X-Ray (moto, with SigV4 verification on and an IAM user's keys), and
//! boto3's BatchGetTraces must return the segments with the trace id in X-Ray form,
//! parent/child links, annotations and metadata, and the fault/error/throttle flags. A second
//! test sends X-Ray SDK segments through the `awsxray` receiver and exporter (the ADOT default
//! traces pipeline) and reads them back from X-Ray.

mod common;
mod e2e_awsxray_common;

use common::moto::Moto;
use common::{Collector, free_port, metric, python_script};
use e2e_awsxray_common::{collector_env, wait_for_segments};
use serde_json::Value;

fn start(yaml: &str, moto: &Moto) -> Collector {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    std::fs::write(&config, yaml).unwrap();
    let config = config.to_string_lossy().into_owned();
    let env = collector_env(moto);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let c = Collector::start_in(dir, &["--config", &config], &env);
    c.wait_ready();
    c
}

fn by_id<'a>(segments: &'a [Value], id: &str) -> &'a Value {
    segments
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no segment {id} in {segments:#?}"))
}

#[test]
fn sdk_spans_reach_xray_as_linked_segments() {
    let moto = Moto::start();
    let http = free_port();
    let metrics = free_port();
    let yaml = format!(
        r#"
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:{http}
exporters:
  awsxray:
    region: us-east-1
    endpoint: {endpoint}
    local_mode: true
    indexed_attributes: [order.id, otel.resource.service.name]
    aws_log_groups: [/ecs/orders-api]
service:
  telemetry:
    metrics:
      address: 127.0.0.1:{metrics}
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [awsxray]
"#,
        endpoint = moto.endpoint
    );
    let c = start(&yaml, &moto);
    let out = python_script("xray_otel_traces.py", &[&http.to_string()]);
    let ids: Value = serde_json::from_slice(&out.stdout).unwrap();
    let trace_id = ids["trace_id"].as_str().unwrap();
    let id = |k: &str| ids[k].as_str().unwrap().to_string();

    let segments = wait_for_segments(&moto, trace_id, 5);
    assert_eq!(segments.len(), 5, "{segments:#?}\n{}", c.logs());
    for s in &segments {
        assert_eq!(s["trace_id"], trace_id);
        // Upstream always writes the three flags.
        assert!(s["fault"].is_boolean() && s["error"].is_boolean() && s["throttle"].is_boolean());
    }

    let server = by_id(&segments, &id("server"));
    assert_eq!(server["name"], "orders-api");
    assert!(server.get("parent_id").is_none());
    assert!(server.get("type").is_none(), "a server span is a segment");
    assert_eq!(
        server["http"]["request"]["url"],
        "https://shop.example.com/orders/17"
    );
    assert_eq!(server["http"]["response"]["status"], 200);
    assert_eq!(
        server["annotations"],
        serde_json::json!({"order.id": "A-17", "otel.resource.service.name": "orders-api"})
    );
    assert_eq!(server["metadata"]["default"]["customer.tier"], "gold");
    assert_eq!(
        server["metadata"]["default"]["otel.resource.deployment.environment"],
        "e2e"
    );
    assert_eq!(server["service"]["version"], "2.1.0");
    assert_eq!(
        server["aws"]["cloudwatch_logs"],
        serde_json::json!([{"log_group": "/ecs/orders-api"}])
    );
    assert_eq!(server["aws"]["xray"]["sdk"], "opentelemetry for python");
    assert_eq!(
        (server["fault"].as_bool(), server["error"].as_bool()),
        (Some(false), Some(false))
    );

    let client = by_id(&segments, &id("http_client"));
    assert_eq!(client["parent_id"], id("server"));
    assert_eq!(client["type"], "subsegment");
    assert_eq!(client["name"], "inventory");
    assert_eq!(client["namespace"], "remote");
    assert_eq!(client["http"]["request"]["method"], "POST");
    assert_eq!(
        client["http"]["request"]["url"],
        "http://inventory.internal/reserve?id=17"
    );
    assert_eq!(client["http"]["response"]["status"], 503);
    assert_eq!(client["fault"], true);
    // Subsegments carry no resource; what no block used stays as metadata.
    assert_eq!(
        client["metadata"],
        serde_json::json!({"default": {"peer.service": "inventory"}})
    );

    let db = by_id(&segments, &id("db"));
    assert_eq!(db["parent_id"], id("server"));
    assert_eq!(db["name"], "orders@db.example.com");
    assert_eq!(db["sql"]["database_type"], "postgresql");
    assert_eq!(
        db["sql"]["sanitized_query"],
        "INSERT INTO orders VALUES ($1)"
    );
    assert_eq!(
        db["sql"]["connection_string"],
        "postgresql://db.example.com:5432/orders"
    );

    let failing = by_id(&segments, &id("failing"));
    assert_eq!(failing["parent_id"], id("server"));
    assert_eq!(failing["fault"], true);
    assert_eq!(failing["error"], false);
    let exc = &failing["cause"]["exceptions"][0];
    assert_eq!(exc["type"], "ValueError");
    assert_eq!(exc["message"], "order A-17 is invalid");
    assert_eq!(exc["remote"], false);
    let stack = exc["stack"].as_array().expect("a parsed Python stack");
    assert!(
        stack.iter().any(|f| f["path"]
            .as_str()
            .unwrap_or("")
            .ends_with("xray_otel_traces.py")
            && f["label"] == "main"),
        "{stack:#?}"
    );

    let throttled = by_id(&segments, &id("throttled"));
    assert_eq!(
        (
            throttled["fault"].as_bool(),
            throttled["error"].as_bool(),
            throttled["throttle"].as_bool()
        ),
        (Some(false), Some(true), Some(true))
    );

    assert_eq!(
        metric(
            metrics,
            "otelcol_exporter_sent_spans",
            &[("exporter", "awsxray")]
        ),
        Some(5.0)
    );
}

#[test]
fn xray_sdk_segments_round_trip_through_receiver_and_exporter() {
    let moto = Moto::start();
    let udp = free_port();
    let proxy = free_port();
    let yaml = format!(
        r#"
receivers:
  awsxray:
    endpoint: 127.0.0.1:{udp}
    transport: udp
    proxy_server:
      endpoint: 127.0.0.1:{proxy}
      region: us-east-1
      local_mode: true
      aws_endpoint: {endpoint}
processors:
  batch/traces:
    timeout: 1s
    send_batch_size: 50
exporters:
  awsxray:
    region: us-east-1
    endpoint: {endpoint}
    local_mode: true
service:
  telemetry:
    metrics:
      address: 127.0.0.1:{metrics}
  pipelines:
    traces:
      receivers: [awsxray]
      processors: [batch/traces]
      exporters: [awsxray]
"#,
        endpoint = moto.endpoint,
        metrics = free_port()
    );
    let _c = start(&yaml, &moto);
    let out = python_script(
        "xray_sdk_udp.py",
        &[&format!("127.0.0.1:{udp}"), "embedded"],
    );
    let ids: Value = serde_json::from_slice(&out.stdout).unwrap();
    let trace_id = ids["trace_id"].as_str().unwrap();
    let id = |k: &str| ids[k].as_str().unwrap().to_string();
    let segments = wait_for_segments(&moto, trace_id, 4);
    assert_eq!(segments.len(), 4, "{segments:#?}");

    let seg = by_id(&segments, &id("segment"));
    assert_eq!(seg["name"], "checkout");
    assert_eq!(seg["http"]["request"]["client_ip"], "10.1.2.3");
    assert_eq!(seg["http"]["response"]["status"], 500);
    assert_eq!(seg["fault"], true);
    // Annotations come back as annotations, metadata namespaces as namespaces.
    assert_eq!(
        seg["annotations"],
        serde_json::json!({"items": 3, "order_id": "A-17"})
    );
    assert_eq!(
        seg["metadata"]["shop"],
        serde_json::json!({"cart": {"currency": "EUR", "total": 12.5}})
    );
    let inv = by_id(&segments, &id("inventory"));
    assert_eq!(inv["parent_id"], id("segment"));
    assert_eq!(inv["http"]["response"]["status"], 503);
    assert_eq!(inv["cause"]["exceptions"][0]["type"], "ValueError");
    let db = by_id(&segments, &id("db"));
    assert_eq!(db["parent_id"], id("segment"));
    // The SDK's `database_type` (`PostgreSQL`) comes back as `db.system`, which upstream's
    // exporter matches case-sensitively against the OpenTelemetry values (`postgresql`): no
    // `sql` block, the query is metadata and the name is `<db>@<host>`.
    assert_eq!(db["name"], "orders@db.example.com");
    assert!(db.get("sql").is_none());
    assert_eq!(
        db["metadata"]["default"]["db.statement"],
        "INSERT INTO orders VALUES (?)"
    );
    let nested = by_id(&segments, &id("nested"));
    assert_eq!(nested["parent_id"], id("db"));
}
