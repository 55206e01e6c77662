//! JSON text exactly as Go's `encoding/json` writes it, which is what CloudWatch has always
//! been sent: HTML-safe string escapes and Go's shortest float form (`5`, `0.1`, `1e+21`,
//! `1e-07`). Writing directly into one `String` keeps the per-event cost to one allocation.

use std::fmt::Write;

/// A JSON string, escaped as `encoding/json` does (`<`, `>`, `&`, U+2028 and U+2029 as
/// `\u00XX`; invalid UTF-8 cannot occur in a Rust string).
pub fn string(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let escape: Option<&str> = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            _ => None,
        };
        let needs_unicode =
            matches!(c, '<' | '>' | '&' | '\u{2028}' | '\u{2029}') || (c as u32) < 0x20;
        if escape.is_none() && !needs_unicode {
            continue;
        }
        out.push_str(&s[start..i]);
        match escape {
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

/// A finite float as Go's `encoding/json` writes a float64: the shortest representation that
/// round-trips, in fixed notation for 1e-6 <= |f| < 1e21 and exponent notation (`1e+21`,
/// `1.5e-07`) outside. Callers drop NaN and infinities before they get here; should one slip
/// through it is written as `null` rather than producing invalid JSON.
pub fn float(out: &mut String, f: f64) {
    if !f.is_finite() {
        out.push_str("null");
        return;
    }
    let abs = f.abs();
    if abs == 0.0 || (1e-6..1e21).contains(&abs) {
        // Rust's Display is the shortest round-trip form in fixed notation, like Go's 'f', -1.
        let _ = write!(out, "{f}");
        return;
    }
    // Rust's LowerExp gives the shortest mantissa (`1.5e-7`); Go writes the exponent with a
    // sign and at least two digits (`1.5e-07`, `1e+21`).
    let s = format!("{f:e}");
    let (mantissa, exp) = s.split_once('e').expect("LowerExp has an exponent");
    let (sign, digits) = match exp.strip_prefix('-') {
        Some(d) => ('-', d),
        None => ('+', exp),
    };
    out.push_str(mantissa);
    out.push('e');
    out.push(sign);
    if digits.len() < 2 {
        out.push('0');
    }
    out.push_str(digits);
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

/// A `serde_json` value (a label parsed by `parse_json_encoded_attr_values`) with Go's escaping
/// and number forms; object keys come out sorted, as Go writes a decoded `map[string]any`.
pub fn value(out: &mut String, v: &serde_json::Value) {
    match v {
        serde_json::Value::Null => out.push_str("null"),
        serde_json::Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        // Go decodes every JSON number into a float64.
        serde_json::Value::Number(n) => float(out, n.as_f64().unwrap_or(0.0)),
        serde_json::Value::String(s) => string(out, s),
        serde_json::Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                value(out, item);
            }
            out.push(']');
        }
        serde_json::Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                string(out, k);
                out.push(':');
                value(out, &map[k]);
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
        assert_eq!(f(1e21), "1e+21");
        assert_eq!(f(1.5e-7), "1.5e-07");
        assert_eq!(f(123456789.0), "123456789");
        assert_eq!(f(1e20), "100000000000000000000");
        assert_eq!(f(2.5e300), "2.5e+300");
        assert_eq!(f(f64::NAN), "null");
    }

    #[test]
    fn strings_are_html_safe() {
        let mut s = String::new();
        string(&mut s, "a<b>&\"c\\\n\u{1}é");
        assert_eq!(s, r#""a\u003cb\u003e\u0026\"c\\\n\u0001é""#);
    }
}
