//! The `awsxray` receiver end to end: the real aws-xray-sdk (Python) sends a trace over UDP —
//! once with its subsegments embedded, once streamed as independent subsegment documents — and
//! the `file` exporter must write the spans with the right ids, parents, kinds, attributes and
//! statuses; bad datagrams are counted as refused; and the `proxy_server` forwards an SDK-style
//! unsigned call to X-Ray (moto, with SigV4 verification on) signed.

mod common;
mod e2e_awsxray_common;

use std::time::{Duration, Instant};

use common::moto::Moto;
use common::{Collector, free_port, http, metric, python_script};
use e2e_awsxray_common::{batch_get_traces, collector_env};
use pdata::ExportTraceServiceRequest;
use pdata::proto::common::v1::{KeyValue, any_value::Value as V};
use pdata::proto::trace::v1::{Span, span::SpanKind, status::StatusCode};
use prost::Message;

struct Setup {
    collector: Collector,
    udp: u16,
    metrics: u16,
    out: std::path::PathBuf,
}

fn start(proxy: u16, aws_endpoint: &str, env: &[(String, String)]) -> Setup {
    let udp = free_port();
    let metrics = free_port();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("traces.bin");
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
      aws_endpoint: {aws_endpoint}
exporters:
  file:
    path: {out}
    format: proto
service:
  telemetry:
    metrics:
      address: 127.0.0.1:{metrics}
  pipelines:
    traces:
      receivers: [awsxray]
      exporters: [file]
"#,
        out = out.display()
    );
    let config = dir.path().join("config.yaml");
    std::fs::write(&config, yaml).unwrap();
    let config = config.to_string_lossy().into_owned();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let collector = Collector::start_in(dir, &["--config", &config], &env);
    collector.wait_ready();
    Setup {
        collector,
        udp,
        metrics,
        out,
    }
}

fn spans_written(path: &std::path::Path) -> Vec<(Vec<KeyValue>, Span)> {
    let data = std::fs::read(path).unwrap_or_default();
    let mut out = Vec::new();
    let mut b = &data[..];
    while b.len() >= 4 {
        let len = u32::from_be_bytes(b[..4].try_into().unwrap()) as usize;
        if b.len() < 4 + len {
            break;
        }
        let req = ExportTraceServiceRequest::decode(&b[4..4 + len]).expect("valid protobuf");
        for rs in req.resource_spans {
            let res = rs.resource.map(|r| r.attributes).unwrap_or_default();
            for ss in rs.scope_spans {
                for s in ss.spans {
                    out.push((res.clone(), s));
                }
            }
        }
        b = &b[4 + len..];
    }
    out
}

fn wait_for_spans(path: &std::path::Path, n: usize) -> Vec<(Vec<KeyValue>, Span)> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let spans = spans_written(path);
        if spans.len() >= n || Instant::now() > deadline {
            return spans;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn attr<'a>(kvs: &'a [KeyValue], key: &str) -> Option<&'a V> {
    kvs.iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref()?.value.as_ref())
}

fn str_attr(kvs: &[KeyValue], key: &str) -> Option<String> {
    match attr(kvs, key) {
        Some(V::StringValue(s)) => Some(s.clone()),
        _ => None,
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn by_id<'a>(spans: &'a [(Vec<KeyValue>, Span)], id: &str) -> &'a (Vec<KeyValue>, Span) {
    spans
        .iter()
        .find(|(_, s)| hex(&s.span_id) == id)
        .unwrap_or_else(|| panic!("no span {id}"))
}

/// Checks the four spans of one SDK trace.
fn check_trace(spans: &[(Vec<KeyValue>, Span)], ids: &serde_json::Value) {
    // `1-<8 hex>-<24 hex>`: strip the version once (a `1-` can also end the time part).
    let trace_hex = ids["trace_id"]
        .as_str()
        .unwrap()
        .strip_prefix("1-")
        .expect("an X-Ray trace id")
        .replace('-', "");
    let id = |k: &str| ids[k].as_str().unwrap().to_string();
    let mine: Vec<_> = spans
        .iter()
        .filter(|(_, s)| hex(&s.trace_id) == trace_hex)
        .cloned()
        .collect();
    assert_eq!(mine.len(), 4, "spans of trace {trace_hex}: {mine:#?}");

    let (res, seg) = by_id(&mine, &id("segment"));
    assert_eq!(seg.name, "checkout");
    assert!(seg.parent_span_id.is_empty());
    assert_eq!(
        seg.kind,
        SpanKind::Server as i32,
        "a client IP makes a server span"
    );
    assert!(seg.end_time_unix_nano > seg.start_time_unix_nano);
    let a = &seg.attributes;
    assert_eq!(str_attr(a, "http.method").as_deref(), Some("POST"));
    assert_eq!(
        str_attr(a, "http.url").as_deref(),
        Some("http://shop.example.com/checkout")
    );
    assert_eq!(str_attr(a, "http.client_ip").as_deref(), Some("10.1.2.3"));
    assert_eq!(attr(a, "http.status_code"), Some(&V::IntValue(500)));
    assert_eq!(str_attr(a, "order_id").as_deref(), Some("A-17"));
    assert_eq!(attr(a, "items"), Some(&V::IntValue(3)));
    assert_eq!(
        str_attr(a, "aws.xray.metadata.shop").as_deref(),
        Some(r#"{"cart":{"currency":"EUR","total":12.5}}"#)
    );
    let status = seg.status.clone().unwrap();
    assert_eq!(status.code, StatusCode::Error as i32);
    // The exception was recorded on the child; the segment's cause is its id.
    assert_eq!(status.message.len(), 16, "{status:?}");
    assert_eq!(str_attr(res, "cloud.provider").as_deref(), Some("aws"));
    assert_eq!(
        str_attr(res, "telemetry.sdk.name").as_deref(),
        Some("X-Ray for Python")
    );

    let (_, inv) = by_id(&mine, &id("inventory"));
    assert_eq!(inv.name, "inventory");
    assert_eq!(inv.parent_span_id, seg.span_id);
    assert_eq!(inv.kind, SpanKind::Client as i32);
    assert_eq!(
        attr(&inv.attributes, "http.status_code"),
        Some(&V::IntValue(503))
    );
    assert_eq!(inv.status.as_ref().unwrap().code, StatusCode::Error as i32);
    assert_eq!(inv.events.len(), 1);
    let ev = &inv.events[0].attributes;
    assert_eq!(
        str_attr(ev, "exception.type").as_deref(),
        Some("ValueError")
    );
    assert_eq!(
        str_attr(ev, "exception.message").as_deref(),
        Some("no stock for A-17")
    );
    assert_eq!(
        attr(ev, "aws.xray.exception.remote"),
        Some(&V::BoolValue(true))
    );
    assert_eq!(
        str_attr(ev, "aws.xray.exception.id").as_deref(),
        Some(status.message.as_str())
    );
    let stack = str_attr(ev, "exception.stacktrace").unwrap();
    assert!(
        stack.starts_with("ValueError: no stock for A-17\n\tat "),
        "{stack}"
    );
    assert!(stack.contains("xray_sdk_udp.py"), "{stack}");

    let (_, db) = by_id(&mine, &id("db"));
    assert_eq!(db.parent_span_id, seg.span_id);
    assert_eq!(
        str_attr(&db.attributes, "db.connection_string").as_deref(),
        Some("postgresql://db.example.com:5432")
    );
    assert_eq!(
        str_attr(&db.attributes, "db.name").as_deref(),
        Some("orders")
    );
    assert_eq!(
        str_attr(&db.attributes, "db.statement").as_deref(),
        Some("INSERT INTO orders VALUES (?)")
    );
    let (_, nested) = by_id(&mine, &id("nested"));
    assert_eq!(nested.parent_span_id, db.span_id);
    assert_eq!(nested.name, "pool-acquire");
    assert_eq!(nested.kind, SpanKind::Internal as i32);
}

#[test]
fn sdk_segments_embedded_and_streamed_become_spans() {
    let s = start(free_port(), "http://127.0.0.1:9", &[]);
    let address = format!("127.0.0.1:{}", s.udp);
    let embedded = python_script("xray_sdk_udp.py", &[&address, "embedded"]);
    let embedded: serde_json::Value = serde_json::from_slice(&embedded.stdout).unwrap();
    let spans = wait_for_spans(&s.out, 4);
    check_trace(&spans, &embedded);

    let streamed = python_script("xray_sdk_udp.py", &[&address, "streamed"]);
    let streamed: serde_json::Value = serde_json::from_slice(&streamed.stdout).unwrap();
    let spans = wait_for_spans(&s.out, 8);
    check_trace(&spans, &streamed);

    let labels = [("receiver", "awsxray"), ("transport", "udp")];
    assert_eq!(
        metric(s.metrics, "otelcol_receiver_accepted_spans", &labels),
        Some(8.0)
    );

    // Garbage and a segment without a trace id are refused, counted and logged.
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.send_to(b"no header here", &address).unwrap();
    sock.send_to(
        b"{\"format\":\"json\",\"version\":1}\n{\"name\":\"a\",\"id\":\"1111111111111111\",\"start_time\":1,\"subsegments\":[{\"name\":\"b\",\"id\":\"2222222222222222\",\"start_time\":1}]}",
        &address,
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while metric(s.metrics, "otelcol_receiver_refused_spans", &labels) != Some(3.0)
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        metric(s.metrics, "otelcol_receiver_refused_spans", &labels),
        Some(3.0)
    );
    assert!(
        s.collector
            .logs()
            .contains("Dropping an invalid X-Ray segment"),
        "{}",
        s.collector.logs()
    );
    assert_eq!(spans_written(&s.out).len(), 8);
}

#[test]
fn proxy_server_signs_what_it_forwards() {
    let moto = Moto::start();
    let proxy = free_port();
    let s = start(proxy, &moto.endpoint, &collector_env(&moto));
    assert!(common::wait_for_port(proxy, Duration::from_secs(5)));

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let trace = format!("1-{:08x}-0123456789abcdef01234567", now as u64);
    let doc = format!(
        r#"{{"name":"via-proxy","id":"0102030405060708","trace_id":"{trace}","start_time":{now},"end_time":{end}}}"#,
        end = now + 0.5
    );
    let body = serde_json::json!({ "TraceSegmentDocuments": [doc] }).to_string();
    // An SDK's call: unsigned.
    let r = http(
        proxy,
        "POST",
        "/TraceSegments",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )
    .expect("proxy answers");
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        r.text().contains("UnprocessedTraceSegments"),
        "{}",
        r.text()
    );

    let traces = batch_get_traces(&moto, &[&trace]);
    assert_eq!(traces.len(), 1, "{traces:?}");
    assert_eq!(traces[0]["Segments"][0]["name"], "via-proxy");
    drop(s);
}
