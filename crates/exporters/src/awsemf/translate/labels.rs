//! Labels (point attributes as strings), the CloudWatch namespace and the log group/stream
//! placeholders (`util.go`: `getNamespace`, `getLogInfo`, `replacePatterns`).

use std::collections::BTreeMap;

use base64::Engine;
use pdata::proto::common::v1::{AnyValue, KeyValue, any_value::Value};

use aws::gojson;

/// Label names and values, sorted: the EMF fields and the group key both want them in order.
pub type Labels = BTreeMap<String, String>;

/// pcommon `Value.AsString()`: strings as they are, numbers and booleans in Go's text form,
/// bytes as base64, maps and slices as JSON.
pub fn as_string(v: Option<&AnyValue>) -> String {
    match v.and_then(|v| v.value.as_ref()) {
        None => String::new(),
        Some(Value::StringValue(s)) => s.clone(),
        Some(Value::BoolValue(b)) => b.to_string(),
        Some(Value::IntValue(i)) => i.to_string(),
        Some(Value::DoubleValue(d)) => {
            let mut s = String::new();
            gojson::float(&mut s, *d);
            s
        }
        Some(Value::BytesValue(b)) => base64::engine::general_purpose::STANDARD.encode(b),
        Some(other) => {
            let mut s = String::new();
            write_raw(&mut s, Some(other));
            s
        }
    }
}

/// `encoding/json` of a value's `AsRaw()`: maps with sorted keys, the last duplicate winning.
fn write_raw(out: &mut String, v: Option<&Value>) {
    match v {
        None => out.push_str("null"),
        Some(Value::StringValue(s)) => gojson::string(out, s),
        Some(Value::BoolValue(b)) => out.push_str(if *b { "true" } else { "false" }),
        Some(Value::IntValue(i)) => out.push_str(&i.to_string()),
        Some(Value::DoubleValue(d)) => gojson::float(out, *d),
        Some(Value::BytesValue(b)) => {
            gojson::string(out, &base64::engine::general_purpose::STANDARD.encode(b))
        }
        Some(Value::ArrayValue(a)) => {
            out.push('[');
            for (i, item) in a.values.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_raw(out, item.value.as_ref());
            }
            out.push(']');
        }
        Some(Value::KvlistValue(kv)) => {
            let sorted: BTreeMap<&str, Option<&Value>> = kv
                .values
                .iter()
                .map(|KeyValue { key, value }| {
                    (key.as_str(), value.as_ref().and_then(|v| v.value.as_ref()))
                })
                .collect();
            out.push('{');
            for (i, (k, v)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                gojson::string(out, k);
                out.push(':');
                write_raw(out, v);
            }
            out.push('}');
        }
    }
}

/// Attributes as labels; a repeated key keeps its last value, as pcommon's map does on decode.
pub fn attributes(attrs: &[KeyValue], into: &mut Labels) {
    for kv in attrs {
        into.insert(kv.key.clone(), as_string(kv.value.as_ref()));
    }
}

/// A string attribute's value; other types do not count (upstream reads `.Str()` only).
fn string_attr<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a str> {
    attrs.iter().rev().find(|kv| kv.key == key).and_then(|kv| {
        match kv.value.as_ref()?.value.as_ref()? {
            Value::StringValue(s) => Some(s.as_str()),
            _ => None,
        }
    })
}

/// The resource's `receiver` attribute is `prometheus`: adds `prom_metric_type` and makes
/// summaries cumulative.
pub fn is_from_prometheus(resource: &[KeyValue]) -> bool {
    string_attr(resource, "receiver") == Some("prometheus")
}

/// The namespace: the configured one, else `service.namespace/service.name`, `service.name`,
/// `service.namespace`, `default`.
pub fn namespace(configured: &str, resource: &[KeyValue]) -> String {
    if !configured.is_empty() {
        return configured.to_string();
    }
    let name = string_attr(resource, "service.name").filter(|s| !s.is_empty());
    let ns = string_attr(resource, "service.namespace").filter(|s| !s.is_empty());
    match (ns, name) {
        (Some(ns), Some(name)) => format!("{ns}/{name}"),
        (None, Some(name)) => name.to_string(),
        (Some(ns), None) => ns.to_string(),
        (None, None) => "default".to_string(),
    }
}

/// Placeholders that fall back to an OpenTelemetry attribute when the key itself is absent.
const PLACEHOLDER_ATTRIBUTES: [(&str, &str); 7] = [
    ("ClusterName", "aws.ecs.cluster.name"),
    ("TaskId", "aws.ecs.task.id"),
    ("NodeName", "k8s.node.name"),
    ("PodName", "pod"),
    ("ServiceName", "service.name"),
    ("ContainerInstanceId", "aws.ecs.container.instance.id"),
    ("TaskDefinitionFamily", "aws.ecs.task.family"),
];

/// Replaces every `{Key}` of `pattern` with the value of `Key`, or of the attribute the
/// placeholder stands for; a missing or empty value becomes `undefined` and makes the second
/// result false. Text without placeholders comes back as it is.
pub fn replace_placeholders(pattern: &str, lookup: &Labels) -> (String, bool) {
    let mut out = String::with_capacity(pattern.len());
    let mut ok = true;
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        let Some(len) = rest[open + 1..].find('}') else {
            break;
        };
        let key = &rest[open + 1..open + 1 + len];
        // Go's `\{(\w+)\}`: word characters only, else the braces are literal text.
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            out.push_str(&rest[..open + 1]);
            rest = &rest[open + 1..];
            continue;
        }
        out.push_str(&rest[..open]);
        let value = lookup.get(key).filter(|v| !v.is_empty()).or_else(|| {
            PLACEHOLDER_ATTRIBUTES
                .iter()
                .find(|(k, _)| *k == key)
                .and_then(|(_, attr)| lookup.get(*attr))
                .filter(|v| !v.is_empty())
        });
        match value {
            Some(v) => out.push_str(v),
            None => {
                ok = false;
                out.push_str("undefined");
            }
        }
        rest = &rest[open + 2 + len..];
    }
    out.push_str(rest);
    (out, ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn placeholders_use_the_key_then_the_attribute() {
        let l = labels(&[("aws.ecs.cluster.name", "prod"), ("TaskId", "t-1")]);
        assert_eq!(
            replace_placeholders("/aws/ecs/{ClusterName}/{TaskId}", &l),
            ("/aws/ecs/prod/t-1".to_string(), true)
        );
        assert_eq!(
            replace_placeholders("/x/{NodeName}", &l),
            ("/x/undefined".to_string(), false)
        );
        assert_eq!(
            replace_placeholders("plain {not a key} {", &l),
            ("plain {not a key} {".to_string(), true)
        );
    }

    #[test]
    fn namespace_falls_back_on_service_attributes() {
        let kv = |k: &str, v: &str| KeyValue {
            key: k.into(),
            value: Some(AnyValue {
                value: Some(Value::StringValue(v.into())),
            }),
        };
        assert_eq!(namespace("mine", &[kv("service.name", "a")]), "mine");
        assert_eq!(
            namespace("", &[kv("service.name", "a"), kv("service.namespace", "n")]),
            "n/a"
        );
        assert_eq!(namespace("", &[kv("service.namespace", "n")]), "n");
        assert_eq!(namespace("", &[]), "default");
    }
}
