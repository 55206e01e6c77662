//! Reading OTLP attributes the way upstream's Go translator reads pdata: `Str()` is empty for a
//! non-string, `AsString()` renders any value, `AsRaw()` turns a value into plain JSON.

use base64::Engine as _;
use pdata::proto::common::v1::{AnyValue, KeyValue, any_value::Value as V};
use serde_json::Value;

/// A span's (or resource's) attributes as a working set that translation steps take keys out
/// of, as the Go translator passes a shrinking `map[string]pcommon.Value` from step to step.
/// The first of duplicated keys wins, as `pcommon.Map.Get`.
#[derive(Clone, Debug, Default)]
pub struct Attrs<'a> {
    items: Vec<(&'a str, &'a AnyValue)>,
}

static EMPTY: AnyValue = AnyValue { value: None };

impl<'a> Attrs<'a> {
    pub fn new(kvs: &'a [KeyValue]) -> Self {
        let mut items: Vec<(&'a str, &'a AnyValue)> = Vec::with_capacity(kvs.len());
        for kv in kvs {
            if !items.iter().any(|(k, _)| *k == kv.key) {
                items.push((kv.key.as_str(), kv.value.as_ref().unwrap_or(&EMPTY)));
            }
        }
        Attrs { items }
    }

    pub fn get(&self, key: &str) -> Option<&'a AnyValue> {
        self.items.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Takes a key out of the working set.
    pub fn remove(&mut self, key: &str) -> Option<&'a AnyValue> {
        let i = self.items.iter().position(|(k, _)| *k == key)?;
        Some(self.items.remove(i).1)
    }

    /// Keeps only the entries for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &AnyValue) -> bool) {
        self.items.retain(|(k, v)| keep(k, v));
    }

    /// Adds an entry unless the key is present.
    pub fn insert(&mut self, key: &'a str, value: &'a AnyValue) {
        if !self.contains(key) {
            self.items.push((key, value));
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &'a AnyValue)> + '_ {
        self.items.iter().copied()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// Looks a key up in a raw attribute list (first wins).
pub fn get<'a>(kvs: &'a [KeyValue], key: &str) -> Option<&'a AnyValue> {
    kvs.iter()
        .find(|kv| kv.key == key)
        .map(|kv| kv.value.as_ref().unwrap_or(&EMPTY))
}

/// pcommon `Str()`: the string, or empty for any other type.
pub fn str_of(v: &AnyValue) -> &str {
    match &v.value {
        Some(V::StringValue(s)) => s,
        _ => "",
    }
}

/// The string value of `key`, empty when absent or not a string.
pub fn get_str<'a>(kvs: &'a [KeyValue], key: &str) -> &'a str {
    get(kvs, key).map(str_of).unwrap_or("")
}

/// An integer: an int value, or a string holding one (Go reads only ints; SDKs that send the
/// status code as a string would otherwise get status 0).
pub fn int_of(v: &AnyValue) -> Option<i64> {
    match &v.value {
        Some(V::IntValue(i)) => Some(*i),
        Some(V::StringValue(s)) => s.trim().parse().ok(),
        Some(V::DoubleValue(d)) if d.fract() == 0.0 && d.is_finite() => Some(*d as i64),
        _ => None,
    }
}

/// pcommon `AsString()`.
pub fn as_string(v: &AnyValue) -> String {
    match &v.value {
        None => String::new(),
        Some(V::StringValue(s)) => s.clone(),
        Some(V::BoolValue(b)) => b.to_string(),
        Some(V::IntValue(i)) => i.to_string(),
        Some(V::DoubleValue(d)) => go_float_string(*d),
        Some(V::BytesValue(b)) => base64::engine::general_purpose::STANDARD.encode(b),
        Some(_) => {
            let mut s = String::new();
            aws::xray::document::write_value(&mut s, &as_raw(v));
            s
        }
    }
}

fn go_float_string(d: f64) -> String {
    let mut s = String::new();
    aws::xray::document::write_f64(&mut s, d);
    s.trim_matches('"').to_string()
}

/// pcommon `AsRaw()` as JSON: `None` for an empty value (Go's `nil`, which upstream skips).
/// A NaN or infinite double becomes the string `"NaN"`, `"+Inf"` or `"-Inf"` (Go's encoder
/// would fail the whole document).
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
        Some(V::KvlistValue(kv)) => {
            let mut m = serde_json::Map::new();
            for e in &kv.values {
                let val = e.value.as_ref().map(as_raw).unwrap_or(Value::Null);
                m.entry(e.key.clone()).or_insert(val);
            }
            Value::Object(m)
        }
    }
}

/// A double as JSON; non-finite values as strings.
pub fn double(d: f64) -> Value {
    match serde_json::Number::from_f64(d) {
        Some(n) => Value::Number(n),
        None => Value::String(go_float_string(d)),
    }
}

/// The value as an annotation: only strings, ints, doubles and bools qualify.
pub fn annotation_value(v: &AnyValue) -> Option<Value> {
    match &v.value {
        Some(V::StringValue(s)) => Some(Value::String(s.clone())),
        Some(V::IntValue(i)) => Some(Value::from(*i)),
        Some(V::DoubleValue(d)) => Some(double(*d)),
        Some(V::BoolValue(b)) => Some(Value::Bool(*b)),
        _ => None,
    }
}

/// A string slice value's strings (non-strings skipped); `None` for any other type.
pub fn string_slice(v: &AnyValue) -> Option<Vec<&str>> {
    match &v.value {
        Some(V::ArrayValue(a)) => Some(
            a.values
                .iter()
                .filter_map(|x| match &x.value {
                    Some(V::StringValue(s)) => Some(s.as_str()),
                    _ => None,
                })
                .collect(),
        ),
        _ => None,
    }
}
