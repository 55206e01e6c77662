//! One log record → one CloudWatch Logs event: the JSON wrapper upstream writes (`cwLogBody`),
//! or with `raw_log` the body as a string, whose EMF metadata may choose the log group and
//! stream.
//!
//! JSON is written as Go's `encoding/json` writes it (sorted map keys, `<>&` escaped, Go float
//! formatting) through `aws::xray::document`'s writer, so CloudWatch receives the same bytes as
//! from upstream. One difference: a NaN or infinite double becomes the string `"NaN"`/`"+Inf"`/
//! `"-Inf"` where Go's encoder fails and upstream drops the whole record.

use std::collections::BTreeMap;

use aws::gojson::{self, Numbers};
use base64::Engine as _;
use pdata::proto::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value::Value as V};
use pdata::proto::logs::v1::LogRecord;
use serde_json::Value;

/// pcommon `AsRaw()` as JSON. Later duplicate keys win, as ranging into a Go map does.
pub fn as_raw(v: &AnyValue) -> Value {
    match &v.value {
        None => Value::Null,
        Some(V::StringValue(s)) => Value::String(s.clone()),
        Some(V::BoolValue(b)) => Value::Bool(*b),
        Some(V::IntValue(i)) => Value::from(*i),
        Some(V::DoubleValue(d)) => double(*d),
        Some(V::BytesValue(b)) => {
            Value::String(base64::engine::general_purpose::STANDARD.encode(b))
        }
        Some(V::ArrayValue(a)) => Value::Array(a.values.iter().map(as_raw).collect()),
        Some(V::KvlistValue(kv)) => Value::Object(attrs_map(&kv.values)),
    }
}

fn double(d: f64) -> Value {
    match serde_json::Number::from_f64(d) {
        Some(n) => Value::Number(n),
        None => Value::String(
            if d.is_nan() {
                "NaN"
            } else if d > 0.0 {
                "+Inf"
            } else {
                "-Inf"
            }
            .to_string(),
        ),
    }
}

fn attrs_map(kvs: &[KeyValue]) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    for kv in kvs {
        let v = kv.value.as_ref().map(as_raw).unwrap_or(Value::Null);
        m.insert(kv.key.clone(), v);
    }
    m
}

/// pcommon `AsString()`: strings as they are, scalars formatted as Go does, bytes in base64,
/// maps and slices as JSON, empty as "".
pub fn as_string(v: Option<&AnyValue>) -> String {
    let Some(v) = v else { return String::new() };
    match &v.value {
        None => String::new(),
        Some(V::StringValue(s)) => s.clone(),
        Some(V::BoolValue(b)) => b.to_string(),
        Some(V::IntValue(i)) => i.to_string(),
        Some(V::DoubleValue(d)) => {
            // strconv.FormatFloat(v, 'f', -1, 64): Rust's Display is the same shortest form.
            if d.is_nan() {
                "NaN".into()
            } else if d.is_infinite() {
                if *d > 0.0 {
                    "+Inf".into()
                } else {
                    "-Inf".into()
                }
            } else {
                d.to_string()
            }
        }
        Some(V::BytesValue(b)) => base64::engine::general_purpose::STANDARD.encode(b),
        Some(_) => {
            let mut s = String::new();
            gojson::value(&mut s, &as_raw(v), Numbers::Exact);
            s
        }
    }
}

/// The resource attributes as upstream hands them to every record (`nil` when empty).
pub fn resource_map(attrs: &[KeyValue]) -> Option<Value> {
    (!attrs.is_empty()).then(|| Value::Object(attrs_map(attrs)))
}

/// Upstream's `cwLogBody`, fields in its order, `omitempty` as Go applies it.
pub fn wrapped(
    resource: Option<&Value>,
    scope: Option<&InstrumentationScope>,
    r: &LogRecord,
) -> String {
    let mut out = String::with_capacity(128);
    out.push('{');
    let mut first = true;
    let mut key = |out: &mut String, k: &str| {
        if !first {
            out.push(',');
        }
        first = false;
        gojson::string(out, k);
        out.push(':');
    };
    // `any` is omitted only when nil: an empty value, not an empty string or map.
    if let Some(body) = r.body.as_ref().filter(|b| b.value.is_some()) {
        key(&mut out, "body");
        gojson::value(&mut out, &as_raw(body), Numbers::Exact);
    }
    if r.severity_number != 0 {
        key(&mut out, "severity_number");
        out.push_str(&r.severity_number.to_string());
    }
    if !r.severity_text.is_empty() {
        key(&mut out, "severity_text");
        gojson::string(&mut out, &r.severity_text);
    }
    if r.dropped_attributes_count != 0 {
        key(&mut out, "dropped_attributes_count");
        out.push_str(&r.dropped_attributes_count.to_string());
    }
    if r.flags != 0 {
        key(&mut out, "flags");
        out.push_str(&r.flags.to_string());
    }
    if r.trace_id.iter().any(|b| *b != 0) {
        key(&mut out, "trace_id");
        gojson::string(&mut out, &hex::encode(&r.trace_id));
    }
    if r.span_id.iter().any(|b| *b != 0) {
        key(&mut out, "span_id");
        gojson::string(&mut out, &hex::encode(&r.span_id));
    }
    if !r.attributes.is_empty() {
        key(&mut out, "attributes");
        gojson::value(
            &mut out,
            &Value::Object(attrs_map(&r.attributes)),
            Numbers::Exact,
        );
    }
    if let Some(scope) = scope.filter(|s| !s.name.is_empty()) {
        key(&mut out, "scope");
        out.push_str("{\"name\":");
        gojson::string(&mut out, &scope.name);
        if !scope.version.is_empty() {
            out.push_str(",\"version\":");
            gojson::string(&mut out, &scope.version);
        }
        if !scope.attributes.is_empty() {
            out.push_str(",\"attributes\":");
            gojson::value(
                &mut out,
                &Value::Object(attrs_map(&scope.attributes)),
                Numbers::Exact,
            );
        }
        out.push('}');
    }
    if let Some(resource) = resource {
        key(&mut out, "resource");
        gojson::value(&mut out, resource, Numbers::Exact);
    }
    out.push('}');
    out
}

/// Where an EMF body asks to go: `_aws.LogGroupName`/`LogStreamName` (EMF v1) or
/// `log_group_name`/`log_stream_name` (v0). `None` when the body is not JSON or names no
/// group (with `emf_only`, such a record is dropped, as in the fork upstream).
pub fn emf_destination(body: &str) -> Option<(String, Option<String>)> {
    let trimmed = body.trim_start();
    if !trimmed.starts_with('{') {
        return None;
    }
    let doc: BTreeMap<String, Value> = serde_json::from_str(trimmed).ok()?;
    let text = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    if let Some(Value::Object(aws)) = doc.get("_aws")
        && let Some(group) = text(aws.get("LogGroupName"))
    {
        return Some((group, text(aws.get("LogStreamName"))));
    }
    let group = text(doc.get("log_group_name"))?;
    Some((group, text(doc.get("log_stream_name"))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pdata::proto::common::v1::{ArrayValue, KeyValueList};

    fn s(v: &str) -> AnyValue {
        AnyValue {
            value: Some(V::StringValue(v.into())),
        }
    }

    fn kv(k: &str, v: AnyValue) -> KeyValue {
        KeyValue {
            key: k.into(),
            value: Some(v),
        }
    }

    #[test]
    fn the_wrapper_has_upstreams_fields_order_and_omissions() {
        let record = LogRecord {
            time_unix_nano: 1_700_000_000_123_000_000,
            severity_number: 9,
            severity_text: "INFO".into(),
            body: Some(s("hello <world> & you")),
            attributes: vec![
                kv("z", s("last")),
                kv(
                    "a",
                    AnyValue {
                        value: Some(V::IntValue(1)),
                    },
                ),
            ],
            flags: 1,
            trace_id: vec![0x4b; 16].into(),
            span_id: vec![0; 8].into(),
            ..Default::default()
        };
        let scope = InstrumentationScope {
            name: "lib".into(),
            version: "1.0".into(),
            ..Default::default()
        };
        let resource = resource_map(&[kv("service.name", s("checkout"))]);
        assert_eq!(
            wrapped(resource.as_ref(), Some(&scope), &record),
            r#"{"body":"hello \u003cworld\u003e \u0026 you","severity_number":9,"severity_text":"INFO","flags":1,"trace_id":"4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b","attributes":{"a":1,"z":"last"},"scope":{"name":"lib","version":"1.0"},"resource":{"service.name":"checkout"}}"#
        );
        // Nothing set: an empty object (no scope without a name, no resource when empty).
        assert_eq!(
            wrapped(
                None,
                Some(&InstrumentationScope::default()),
                &LogRecord::default()
            ),
            "{}"
        );
    }

    #[test]
    fn bodies_keep_their_types() {
        let map = AnyValue {
            value: Some(V::KvlistValue(KeyValueList {
                values: vec![
                    kv(
                        "b",
                        AnyValue {
                            value: Some(V::DoubleValue(0.5)),
                        },
                    ),
                    kv(
                        "a",
                        AnyValue {
                            value: Some(V::ArrayValue(ArrayValue {
                                values: vec![
                                    s("x"),
                                    AnyValue {
                                        value: Some(V::BoolValue(true)),
                                    },
                                ],
                            })),
                        },
                    ),
                    kv(
                        "n",
                        AnyValue {
                            value: Some(V::DoubleValue(f64::NAN)),
                        },
                    ),
                ],
            })),
        };
        let record = LogRecord {
            body: Some(map.clone()),
            ..Default::default()
        };
        assert_eq!(
            wrapped(None, None, &record),
            r#"{"body":{"a":["x",true],"b":0.5,"n":"NaN"}}"#
        );
        assert_eq!(
            as_string(Some(&map)),
            r#"{"a":["x",true],"b":0.5,"n":"NaN"}"#
        );
        assert_eq!(
            as_string(Some(&AnyValue {
                value: Some(V::DoubleValue(1e21))
            })),
            "1000000000000000000000"
        );
        assert_eq!(
            as_string(Some(&AnyValue {
                value: Some(V::BytesValue(b"hi".to_vec().into()))
            })),
            "aGk="
        );
        assert_eq!(as_string(None), "");
        let empty_string = LogRecord {
            body: Some(s("")),
            ..Default::default()
        };
        assert_eq!(wrapped(None, None, &empty_string), r#"{"body":""}"#);
    }

    #[test]
    fn emf_metadata_picks_the_destination() {
        let v1 = r#"{"_aws":{"Timestamp":1,"LogGroupName":"g1","LogStreamName":"s1","CloudWatchMetrics":[]},"x":1}"#;
        assert_eq!(emf_destination(v1), Some(("g1".into(), Some("s1".into()))));
        let v1_group_only = r#"{"_aws":{"LogGroupName":"g1"}}"#;
        assert_eq!(emf_destination(v1_group_only), Some(("g1".into(), None)));
        let v0 = r#"{"log_group_name":"g0","log_stream_name":"s0","CloudWatchMetrics":[]}"#;
        assert_eq!(emf_destination(v0), Some(("g0".into(), Some("s0".into()))));
        assert_eq!(
            emf_destination(r#"{"_aws":{"CloudWatchMetrics":[]}}"#),
            None
        );
        assert_eq!(emf_destination("plain text"), None);
        assert_eq!(emf_destination("{broken"), None);
    }
}
