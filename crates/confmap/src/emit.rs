//! [`Node`] → YAML text, for `print-config`.
//!
//! The layout follows what Go's `yaml.v3` `Marshal` prints (4-space indentation, sequences
//! indented under their key, `{}`/`[]` for empty collections), except that keys keep the
//! config's order instead of being sorted. Strings are written plain when reading them back
//! gives the same string, and double-quoted otherwise, so the output always re-parses to the
//! same tree.

use std::fmt::Write;

use crate::node::{Node, Value};
use crate::yaml::resolve_plain;

const INDENT: usize = 4;

pub(crate) fn to_yaml(node: &Node) -> String {
    let mut out = String::new();
    match &node.value {
        Value::Map(m) if !m.is_empty() => write_map(&mut out, node, 0),
        Value::Seq(s) if !s.is_empty() => write_seq(&mut out, node, 0),
        _ => {
            out.push_str(&scalar(node));
            out.push('\n');
        }
    }
    out
}

fn pad(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

fn is_block(n: &Node) -> bool {
    match &n.value {
        Value::Map(m) => !m.is_empty(),
        Value::Seq(s) => !s.is_empty(),
        _ => false,
    }
}

fn write_map(out: &mut String, node: &Node, indent: usize) {
    let Value::Map(m) = &node.value else { return };
    for (k, v) in m.iter() {
        pad(out, indent);
        out.push_str(&string_scalar(k));
        out.push(':');
        write_value(out, v, indent + INDENT);
    }
}

fn write_seq(out: &mut String, node: &Node, indent: usize) {
    let Value::Seq(s) = &node.value else { return };
    for v in s {
        pad(out, indent);
        out.push('-');
        match &v.value {
            Value::Map(m) if !m.is_empty() => {
                // First entry on the dash line, the rest aligned under it.
                let mut first = true;
                for (k, child) in m.iter() {
                    if first {
                        out.push_str(&" ".repeat(INDENT - 1));
                        first = false;
                    } else {
                        pad(out, indent + INDENT);
                    }
                    out.push_str(&string_scalar(k));
                    out.push(':');
                    write_value(out, child, indent + 2 * INDENT);
                }
            }
            _ => write_value(out, v, indent + INDENT),
        }
    }
}

/// Writes what follows `key:` or `-`: a scalar on the same line, or a nested block.
fn write_value(out: &mut String, v: &Node, child_indent: usize) {
    if is_block(v) {
        out.push('\n');
        match &v.value {
            Value::Map(_) => write_map(out, v, child_indent),
            _ => write_seq(out, v, child_indent),
        }
    } else {
        out.push(' ');
        out.push_str(&scalar(v));
        out.push('\n');
    }
}

fn scalar(n: &Node) -> String {
    match &n.value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) if f.is_nan() => ".nan".to_string(),
        Value::Float(f) if f.is_infinite() => {
            if *f > 0.0 {
                ".inf".to_string()
            } else {
                "-.inf".to_string()
            }
        }
        // Debug formatting always keeps a '.' or exponent, so the value re-reads as a float.
        Value::Float(f) => format!("{f:?}"),
        Value::String(s) => string_scalar(s),
        Value::Seq(_) => "[]".to_string(),
        Value::Map(_) => "{}".to_string(),
    }
}

fn string_scalar(s: &str) -> String {
    if plain_is_safe(s) {
        s.to_string()
    } else {
        double_quoted(s)
    }
}

/// Whether `s` written plain reads back as the same string.
fn plain_is_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if !matches!(resolve_plain(s), Value::String(_)) {
        return false;
    }
    if s.starts_with(' ') || s.ends_with(' ') || s.ends_with(':') {
        return false;
    }
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        // "-x" or "?x" would be fine in YAML, but quoting them is simpler and still valid.
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s.contains('\t') {
        return false;
    }
    if s == "<<" {
        return false;
    }
    s.chars().all(|c| !c.is_control() && c != '\u{feff}')
}

fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || c == '\u{feff}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse;

    #[test]
    fn layout_matches_yaml_v3_style() {
        let n = parse(
            "receivers:\n  otlp:\n    protocols:\n      grpc:\n      http: {}\nservice:\n  pipelines:\n    traces:\n      receivers: [otlp]\n  list:\n    - a: 1\n      b: x\n    - 2\n",
        )
        .expect("ok")
        .expect("some");
        let text = to_yaml(&n);
        assert_eq!(
            text,
            "receivers:\n    otlp:\n        protocols:\n            grpc: null\n            http: {}\nservice:\n    pipelines:\n        traces:\n            receivers:\n                - otlp\n    list:\n        -   a: 1\n            b: x\n        - 2\n"
        );
        assert_eq!(parse(&text).expect("ok"), Some(n));
    }

    #[test]
    fn strings_round_trip() {
        for s in [
            "",
            "0123",
            "true",
            "on",
            "a: b",
            "x #y",
            " lead",
            "trail ",
            "-",
            "- x",
            "[x]",
            "line\nbreak",
            "tab\there",
            "quote\"s",
            "back\\slash",
            "null",
            "~",
            "1.5",
            "é ü",
            "<<",
            "*star",
            "a:",
            "%p",
            "2001-12-14",
            "\u{7}",
        ] {
            let mut m = crate::node::Map::new();
            m.insert(s, Node::from(s));
            let text = to_yaml(&Node::from(m));
            let back = parse(&text).expect("re-parses").expect("some");
            assert_eq!(back.get(s), Some(&Node::from(s)), "{s:?} -> {text}");
        }
    }

    #[test]
    fn floats_stay_floats() {
        for f in [1.0, 0.5, 1e300, -2.0, f64::INFINITY, f64::NEG_INFINITY] {
            let text = to_yaml(&Node::from(f));
            let back = parse(&text).expect("ok").expect("some");
            assert_eq!(back, Node::from(f), "{text}");
        }
    }
}
