//! The OTLP specification's JSON examples (shared/conformance/otlp-json) must decode, survive
//! JSON -> proto -> protobuf bytes -> proto -> JSON with every field, and come out in Go's shape.
//!
//! The comparison normalizes both sides the documented ways: ids lowercase hex, numbers compared
//! as doubles (`5` and `5.0` are the same double), and fields at their default dropped (the
//! writer omits them) except oneof members and optional doubles, which are kept.

use std::path::PathBuf;

use pdata::json;
use prost::Message;
use serde_json::Value;

fn corpus(name: &str) -> Vec<u8> {
    let dir = std::env::var_os("OTLP_JSON_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/shared/conformance/otlp-json"));
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("reading {name}: {e}"))
}

/// Keys whose value is significant even when it is a default (oneof members, optional doubles).
const PRESENCE: &[&str] = &[
    "stringValue",
    "boolValue",
    "intValue",
    "doubleValue",
    "bytesValue",
    "arrayValue",
    "kvlistValue",
    "asDouble",
    "asInt",
    "sum",
    "min",
    "max",
    "gauge",
    "histogram",
    "exponentialHistogram",
    "summary",
    "value",
    "body",
    "resource",
    "scope",
    "status",
    "positive",
    "negative",
];
const IDS: &[&str] = &["traceId", "spanId", "parentSpanId"];

fn is_default(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty() || s == "0",
        Value::Array(a) => a.is_empty(),
        Value::Object(_) => false,
    }
}

fn normalize(v: &Value, key: &str) -> Value {
    match v {
        Value::Number(n) => Value::from(n.as_f64().expect("finite number")),
        Value::String(s) if IDS.contains(&key) => Value::String(s.to_ascii_lowercase()),
        Value::Array(a) => Value::Array(a.iter().map(|e| normalize(e, key)).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, v)| PRESENCE.contains(&k.as_str()) || !is_default(v))
                .map(|(k, v)| (k.clone(), normalize(v, k)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn assert_no_null(v: &Value, path: &str) {
    match v {
        Value::Null => panic!("null written at {path}"),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, e)| assert_no_null(e, &format!("{path}[{i}]"))),
        Value::Object(m) => m
            .iter()
            .for_each(|(k, e)| assert_no_null(e, &format!("{path}.{k}"))),
        _ => {}
    }
}

/// Decode, go through protobuf bytes, encode, and compare with the input.
fn check<M: Message + Default + PartialEq + std::fmt::Debug>(
    name: &str,
    decode: fn(&[u8]) -> Result<M, json::JsonError>,
    encode: fn(&M) -> Vec<u8>,
) {
    let input = corpus(name);
    let decoded = decode(&input).unwrap_or_else(|e| panic!("{name}: {e}"));
    let wire = decoded.encode_to_vec();
    let reparsed = M::decode(wire.as_slice()).expect("protobuf round trip");
    assert_eq!(
        reparsed, decoded,
        "{name}: protobuf round trip changed the request"
    );
    let output = encode(&reparsed);

    let out_value: Value = serde_json::from_slice(&output).expect("writer output is JSON");
    assert_no_null(&out_value, name);
    let in_value: Value = serde_json::from_slice(&input).expect("corpus is JSON");
    assert_eq!(
        normalize(&out_value, ""),
        normalize(&in_value, ""),
        "{name}: output differs from input\noutput: {}",
        String::from_utf8_lossy(&output)
    );
    // And the output reads back to the same request.
    assert_eq!(
        decode(&output).expect("re-decode"),
        decoded,
        "{name}: re-decode differs"
    );
}

#[test]
fn trace_json() {
    check("trace.json", json::decode_traces, json::encode_traces);
}

#[test]
fn metrics_json() {
    check("metrics.json", json::decode_metrics, json::encode_metrics);
}

#[test]
fn logs_json() {
    check("logs.json", json::decode_logs, json::encode_logs);
}

#[test]
fn events_json() {
    check("events.json", json::decode_logs, json::encode_logs);
}

/// Spot checks that the decoder really filled the fields (the comparison above would also pass
/// if both sides lost the same thing).
#[test]
fn corpus_values_land_in_the_right_fields() {
    use pdata::proto::common::v1::any_value::Value as Av;
    use pdata::proto::metrics::v1::metric::Data;

    let t = json::decode_traces(&corpus("trace.json")).unwrap();
    let span = &t.resource_spans[0].scope_spans[0].spans[0];
    assert_eq!(
        hex::encode(&span.trace_id),
        "5b8efff798038103d269b633813fc60c"
    );
    assert_eq!(hex::encode(&span.parent_span_id), "eee19b7ec3c1b173");
    assert_eq!(span.kind, 2);
    assert_eq!(span.end_time_unix_nano, 1_544_712_661_000_000_000);

    let m = json::decode_metrics(&corpus("metrics.json")).unwrap();
    let metrics = &m.resource_metrics[0].scope_metrics[0].metrics;
    let Some(Data::ExponentialHistogram(eh)) = &metrics[3].data else {
        panic!("exp histogram")
    };
    let dp = &eh.data_points[0];
    assert_eq!(
        (dp.count, dp.zero_count, dp.sum, dp.max),
        (3, 1, Some(10.0), Some(5.0))
    );
    let pos = dp.positive.as_ref().unwrap();
    assert_eq!((pos.offset, pos.bucket_counts.as_slice()), (1, &[0, 2][..]));

    let l = json::decode_logs(&corpus("events.json")).unwrap();
    let rec = &l.resource_logs[0].scope_logs[0].log_records[0];
    assert_eq!(rec.event_name, "browser.page_view");
    let Some(Av::KvlistValue(kv)) = &rec.body.as_ref().unwrap().value else {
        panic!("kvlist")
    };
    assert_eq!(
        kv.values[0].value.as_ref().unwrap().value,
        Some(Av::IntValue(0))
    );
}
