//! pcommon `Value.AsString()` for label values: strings as they are, numbers and booleans as Go
//! prints them, bytes as base64, maps and slices as JSON (map keys sorted, as `encoding/json`).

use base64::Engine;
use pdata::proto::common::v1::AnyValue;
use pdata::proto::common::v1::any_value::Value;
use prometheus::naming::format_float_label;

pub fn as_string(v: Option<&AnyValue>) -> String {
    match v.and_then(|v| v.value.as_ref()) {
        None => String::new(),
        Some(Value::StringValue(s)) => s.clone(),
        Some(other) => {
            let mut out = String::new();
            write(&mut out, Some(other), false);
            out
        }
    }
}

fn write(out: &mut String, v: Option<&Value>, quoted: bool) {
    match v {
        None => out.push_str(if quoted { "null" } else { "" }),
        Some(Value::StringValue(s)) if quoted => json_string(out, s),
        Some(Value::StringValue(s)) => out.push_str(s),
        Some(Value::BoolValue(b)) => out.push_str(if *b { "true" } else { "false" }),
        Some(Value::IntValue(i)) => out.push_str(&i.to_string()),
        Some(Value::DoubleValue(d)) => out.push_str(&format_float_label(*d)),
        Some(Value::BytesValue(b)) => {
            let s = base64::engine::general_purpose::STANDARD.encode(b);
            if quoted {
                json_string(out, &s)
            } else {
                out.push_str(&s)
            }
        }
        Some(Value::ArrayValue(a)) => {
            out.push('[');
            for (i, item) in a.values.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(out, item.value.as_ref(), true);
            }
            out.push(']');
        }
        Some(Value::KvlistValue(kv)) => {
            let mut entries: Vec<_> = kv.values.iter().collect();
            entries.sort_by(|a, b| a.key.cmp(&b.key));
            out.push('{');
            for (i, e) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_string(out, &e.key);
                out.push(':');
                write(out, e.value.as_ref().and_then(|v| v.value.as_ref()), true);
            }
            out.push('}');
        }
    }
}

fn json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // encoding/json escapes HTML-sensitive characters too.
            '<' | '>' | '&' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}
