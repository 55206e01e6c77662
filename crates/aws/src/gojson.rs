//! JSON text exactly as Go's `encoding/json` writes it, which is what CloudWatch Logs (EMF) and
//! X-Ray have always been sent by the Go exporters: HTML-safe string escapes and Go's shortest
//! float forms (`5`, `0.1`, `1e+21`, `1e-7`). Writers append to one `String`, so a whole event
//! or segment costs one allocation.

use std::fmt::Write as _;

use serde_json::Value;

/// A JSON string, escaped as `encoding/json` does since Go 1.22: `\b` and `\f` short forms,
/// `<`, `>`, `&`, U+2028 and U+2029 as `\uXXXX`, other control characters as `\u00XX`
/// (invalid UTF-8 cannot occur in a Rust string).
pub fn string(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let short: Option<&str> = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            '\u{8}' => Some("\\b"),
            '\u{c}' => Some("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => None,
            c if (c as u32) < 0x20 => None,
            _ => continue,
        };
        out.push_str(&s[start..i]);
        match short {
            Some(e) => out.push_str(e),
            None => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
        }
        start = i + c.len_utf8();
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// A float64 as `encoding/json` writes it: the shortest representation that round-trips, in
/// fixed notation for 1e-6 <= |f| < 1e21 (and zero), otherwise exponent notation with a signed
/// exponent of at least one digit (`1e+21`, `1.5e-7`; Go cleans `e-07` up to `e-7`).
///
/// Go refuses to encode NaN and infinities; callers decide what those become (EMF drops them,
/// X-Ray quotes them). Should one slip through here it is written as `null`, never as invalid
/// JSON.
pub fn float(out: &mut String, f: f64) {
    if !f.is_finite() {
        out.push_str("null");
        return;
    }
    let abs = f.abs();
    if abs == 0.0 || (1e-6..1e21).contains(&abs) {
        // Rust's Display is the shortest round-trip form in fixed notation, like Go's 'f', -1
        // (`-0` included).
        let _ = write!(out, "{f}");
        return;
    }
    // Rust's LowerExp has the shortest mantissa and an unpadded exponent (`1.5e-7`, `1e21`):
    // only the `+` of a positive exponent is missing.
    let s = format!("{f:e}");
    match s.split_once('e') {
        Some((mantissa, exp)) if !exp.starts_with('-') => {
            let _ = write!(out, "{mantissa}e+{exp}");
        }
        _ => out.push_str(&s),
    }
}

/// An unsigned integer.
pub fn uint(out: &mut String, n: u64) {
    let _ = write!(out, "{n}");
}

/// An array of floats.
pub fn floats(out: &mut String, values: &[f64]) {
    out.push('[');
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        float(out, *v);
    }
    out.push(']');
}

/// How [`value`] writes numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Numbers {
    /// As float64, the way Go writes a number it decoded into `any` (EMF's JSON-encoded labels).
    Float64,
    /// Integers as written, others as float64 (X-Ray metadata kept as raw JSON).
    Exact,
}

/// A `serde_json` value with Go's escaping and number forms; object keys come out sorted, as Go
/// writes a `map[string]any` (whatever map type serde_json was built with).
pub fn value(out: &mut String, v: &Value, numbers: Numbers) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match (numbers, n.as_i64(), n.as_u64()) {
            (Numbers::Exact, Some(i), _) => {
                let _ = write!(out, "{i}");
            }
            (Numbers::Exact, None, Some(u)) => uint(out, u),
            _ => float(out, n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                value(out, item, numbers);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_unstable();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                string(out, k);
                out.push(':');
                value(out, &map[k], numbers);
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(x: f64) -> String {
        let mut s = String::new();
        float(&mut s, x);
        s
    }

    #[test]
    fn floats_look_like_go() {
        assert_eq!(f(5.0), "5");
        assert_eq!(f(0.1), "0.1");
        assert_eq!(f(-2.5), "-2.5");
        assert_eq!(f(0.0), "0");
        assert_eq!(f(0.000001), "0.000001");
        assert_eq!(f(1_479_843_478.106_287), "1479843478.106287");
        assert_eq!(f(123456789.0), "123456789");
        assert_eq!(f(1e20), "100000000000000000000");
        assert_eq!(f(1e21), "1e+21");
        assert_eq!(f(1.5e22), "1.5e+22");
        assert_eq!(f(2.5e300), "2.5e+300");
        // Go: strconv gives 1.5e-07, encoding/json cleans it to 1.5e-7.
        assert_eq!(f(1.5e-7), "1.5e-7");
        assert_eq!(f(1e-7), "1e-7");
        assert_eq!(f(-3e-300), "-3e-300");
        assert_eq!(f(f64::NAN), "null");
    }

    #[test]
    fn strings_are_html_safe() {
        let mut s = String::new();
        string(&mut s, "a<b>&\"c\\\n\u{1}\u{8}\u{c}\u{2028}é");
        assert_eq!(s, r#""a\u003cb\u003e\u0026\"c\\\n\u0001\b\f\u2028é""#);
    }

    #[test]
    fn values_sort_keys_and_write_numbers_as_asked() {
        let v: Value = serde_json::from_str(
            r#"{"b":1,"a":{"z":true,"c":[1.5,"x",null,12345678901234567890]}}"#,
        )
        .expect("valid json");
        let mut exact = String::new();
        value(&mut exact, &v, Numbers::Exact);
        assert_eq!(
            exact,
            r#"{"a":{"c":[1.5,"x",null,12345678901234567890],"z":true},"b":1}"#
        );
        let mut go = String::new();
        value(&mut go, &v, Numbers::Float64);
        assert_eq!(
            go,
            r#"{"a":{"c":[1.5,"x",null,12345678901234567000],"z":true},"b":1}"#
        );
    }
}
