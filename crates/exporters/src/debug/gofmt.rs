//! Values printed the way Go's `fmt` and pdata print them, so that the debug output is the text
//! users of the Go collector already grep for.

use base64::Engine;
use pdata::proto::common::v1::{AnyValue, KeyValue, any_value::Value};

/// The shortest round-trip digits of `v` and its decimal exponent (`d.ddd × 10^exp`).
fn shortest_digits(v: f64) -> (String, i32) {
    let sci = format!("{:e}", v.abs());
    let (mantissa, exp) = sci.split_once('e').expect("{:e} always has an exponent");
    (
        mantissa.replace('.', ""),
        exp.parse().expect("integer exponent"),
    )
}

fn specials(v: f64) -> Option<&'static str> {
    if v.is_nan() {
        Some("NaN")
    } else if v == f64::INFINITY {
        Some("+Inf")
    } else if v == f64::NEG_INFINITY {
        Some("-Inf")
    } else {
        None
    }
}

/// `d.ddde±XX` with Go's at-least-two-digit exponent.
fn exponent_form(v: f64, min_exp_digits: usize) -> String {
    let (digits, exp) = shortest_digits(v);
    let sign = if v.is_sign_negative() { "-" } else { "" };
    let mantissa = if digits.len() > 1 {
        format!("{}.{}", &digits[..1], &digits[1..])
    } else {
        digits
    };
    let exp_sign = if exp < 0 { '-' } else { '+' };
    format!(
        "{sign}{mantissa}e{exp_sign}{:0min_exp_digits$}",
        exp.unsigned_abs()
    )
}

/// Go `%v` for a float64: `strconv.FormatFloat(f, 'g', -1, 64)`, i.e. the shortest digits in
/// exponent form when the decimal exponent is < -4 or >= 6 (strconv's fixed precision 6 for the
/// shortest case), e.g. `1e+06`, `1.234567e+06`, `0.0001`, `1e-05`.
pub fn v(f: f64) -> String {
    if let Some(s) = specials(f) {
        return s.to_string();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let (_, exp) = shortest_digits(f);
    if !(-4..6).contains(&exp) {
        exponent_form(f, 2)
    } else {
        format!("{f}")
    }
}

/// Go `%f`: six decimals.
pub fn f6(f: f64) -> String {
    match specials(f) {
        Some(s) => s.to_string(),
        None => format!("{f:.6}"),
    }
}

/// pdata's float-to-string (`Value.AsString`, and floats inside JSON): like JavaScript, fixed
/// notation between 1e-6 and 1e21, otherwise exponent form without a padded exponent.
pub fn es6(f: f64) -> String {
    if let Some(s) = specials(f) {
        // encoding/json refuses these; pdata then prints the error text.
        let g = match s {
            "NaN" => "NaN",
            "+Inf" => "+Inf",
            _ => "-Inf",
        };
        return format!("json: unsupported value: {g}");
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        exponent_form(f, 2).replace("e-0", "e-")
    } else {
        format!("{f}")
    }
}

/// pcommon `ValueType.String()`.
pub fn value_type(v: Option<&AnyValue>) -> &'static str {
    match v.and_then(|v| v.value.as_ref()) {
        None => "Empty",
        Some(Value::StringValue(_)) => "Str",
        Some(Value::BoolValue(_)) => "Bool",
        Some(Value::IntValue(_)) => "Int",
        Some(Value::DoubleValue(_)) => "Double",
        Some(Value::KvlistValue(_)) => "Map",
        Some(Value::ArrayValue(_)) => "Slice",
        Some(Value::BytesValue(_)) => "Bytes",
    }
}

/// pcommon `Value.AsString()`: maps and slices as JSON (keys sorted, as `encoding/json` does).
pub fn as_string(v: Option<&AnyValue>) -> String {
    match v.and_then(|v| v.value.as_ref()) {
        None => String::new(),
        Some(Value::StringValue(s)) => s.clone(),
        Some(Value::BoolValue(b)) => b.to_string(),
        Some(Value::IntValue(i)) => i.to_string(),
        Some(Value::DoubleValue(d)) => es6(*d),
        Some(Value::BytesValue(b)) => base64::engine::general_purpose::STANDARD.encode(b),
        Some(other) => {
            let mut out = String::new();
            write_json(&mut out, Some(other));
            out
        }
    }
}

/// `encoding/json` of a value's `AsRaw()`.
fn write_json(out: &mut String, v: Option<&Value>) {
    match v {
        None => out.push_str("null"),
        Some(Value::StringValue(s)) => write_json_string(out, s),
        Some(Value::BoolValue(b)) => out.push_str(if *b { "true" } else { "false" }),
        Some(Value::IntValue(i)) => out.push_str(&i.to_string()),
        Some(Value::DoubleValue(d)) => out.push_str(&es6(*d)),
        Some(Value::BytesValue(b)) => {
            write_json_string(out, &base64::engine::general_purpose::STANDARD.encode(b))
        }
        Some(Value::ArrayValue(a)) => {
            out.push('[');
            for (i, item) in a.values.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(out, item.value.as_ref());
            }
            out.push(']');
        }
        Some(Value::KvlistValue(kv)) => {
            // A Go map: the last duplicate key wins and keys come out sorted.
            let mut sorted = std::collections::BTreeMap::new();
            for KeyValue { key, value } in &kv.values {
                sorted.insert(key.as_str(), value.as_ref().and_then(|v| v.value.as_ref()));
            }
            out.push('{');
            for (i, (k, v)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(out, k);
                out.push(':');
                write_json(out, v);
            }
            out.push('}');
        }
    }
}

/// A JSON string as `encoding/json` writes it, HTML-safe escapes included.
fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `Type(AsString)`, as otlptext prints attribute values.
pub fn typed(v: Option<&AnyValue>) -> String {
    format!("{}({})", value_type(v), as_string(v))
}

/// pcommon `TraceID`/`SpanID.String()`: lower-case hex, empty for an all-zero or absent id.
pub fn id(bytes: &[u8]) -> String {
    if bytes.iter().all(|b| *b == 0) {
        String::new()
    } else {
        hex::encode(bytes)
    }
}

/// pcommon `Timestamp.String()`: Go's `time.Time.String()` in UTC.
pub fn timestamp(nanos: u64) -> String {
    // Go converts with int64(ts); values past 2262 wrap the same way.
    let t = chrono::DateTime::from_timestamp_nanos(nanos as i64);
    let frac = t.timestamp_subsec_nanos();
    let frac = if frac == 0 {
        String::new()
    } else {
        format!(".{}", format!("{frac:09}").trim_end_matches('0'))
    };
    format!("{}{frac} +0000 UTC", t.format("%Y-%m-%d %H:%M:%S"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_v_matches_go() {
        for (x, s) in [
            (0.0, "0"),
            (1.0, "1"),
            (1.5, "1.5"),
            (-2.25, "-2.25"),
            (0.1, "0.1"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (999999.0, "999999"),
            (1e6, "1e+06"),
            (1234567.0, "1.234567e+06"),
            (1e100, "1e+100"),
            (std::f64::consts::SQRT_2, "1.4142135623730951"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
        ] {
            assert_eq!(v(x), s, "{x}");
        }
    }

    #[test]
    fn es6_matches_pdata() {
        for (x, s) in [
            (1.5, "1.5"),
            (1e-7, "1e-7"),
            (1e21, "1e+21"),
            (123456789.0, "123456789"),
            (0.000001, "0.000001"),
        ] {
            assert_eq!(es6(x), s, "{x}");
        }
        assert_eq!(f6(1.23), "1.230000");
        assert_eq!(f6(f64::NEG_INFINITY), "-Inf");
    }

    #[test]
    fn timestamps_match_go() {
        assert_eq!(timestamp(0), "1970-01-01 00:00:00 +0000 UTC");
        assert_eq!(
            timestamp(1_581_452_773_000_000_789),
            "2020-02-11 20:26:13.000000789 +0000 UTC"
        );
    }
}
