//! YAML text → [`Node`] tree, reproducing what Go's `yaml.v3` gives the collector when it
//! unmarshals a config into `interface{}`.
//!
//! We drive `saphyr-parser` (the event parser under `saphyr` 0.3) ourselves instead of using
//! `saphyr`'s loader, because the loader resolves scalars with the YAML 1.2 core schema and
//! compares duplicate keys after that resolution, while upstream uses `yaml.v3`'s rules. Choices,
//! all taken from `yaml.v3` v3.0.4 `resolve.go` / `decode.go`:
//!
//! - Booleans are only `true|True|TRUE|false|False|FALSE`. YAML 1.1's `yes`, `no`, `on`, `off`,
//!   `y`, `n` stay **strings** (yaml.v3 only maps them to bool when the Go target is a typed
//!   `bool`, and confmap always decodes into `interface{}` first; mapstructure then refuses a
//!   string for a bool field, and so does our decoder).
//! - Null is an empty plain scalar, `~`, `null`, `Null`, `NULL`.
//! - Integers are parsed like Go's `strconv.ParseInt(s, 0, 64)` after removing `_`: so `017` is
//!   **octal 15** (YAML 1.1 style, kept by yaml.v3), `0o17` is 15, `0x1F` is 31, `0b101` is 5,
//!   `+5` is 5. A number that fits no `i64` but fits `u64` (yaml.v3's `uint64`) is stored as a
//!   float whose source text is kept, so a `u64` field still gets the exact value.
//! - Floats match `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`, plus `.inf`, `-.inf`,
//!   `.nan` spellings; `08` (invalid octal) therefore becomes the float 8, as in yaml.v3.
//! - Timestamps (`2001-12-14`) stay strings. yaml.v3 would produce a `time.Time`, which no
//!   collector config field accepts anyway; a string is the useful reading.
//! - Duplicate keys (same scalar text, quoted or not) are an error naming both lines, with
//!   yaml.v3's wording: `yaml: unmarshal errors:\n  line 3: mapping key "a" already defined at
//!   line 1`.
//! - Merge keys `<<: *anchor` (a map or a list of maps): explicit keys win over merged ones, and
//!   earlier merge sources win over later ones, as in yaml.v3.
//! - Only the first document of a multi-document stream is read (`yaml.Unmarshal` does the same).
//! - Map keys are kept as their source text (`1: x` has the key `"1"`).
//!
//! Guards against hostile input: nesting deeper than [`MAX_DEPTH`] and alias expansion beyond
//! [`MAX_ALIAS_NODES`] are errors, and a panic inside the third-party parser is caught and
//! reported as an error instead of taking the process down.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};

use crate::node::{Map, Mark, Node, Value};

/// Deepest nesting of collections we accept; deeper input is an error, not a stack overflow.
pub const MAX_DEPTH: usize = 256;
/// Most nodes that alias expansion may create in one document ("billion laughs" guard).
pub const MAX_ALIAS_NODES: usize = 100_000;

/// A YAML syntax or structure error, with yaml.v3-like wording (`yaml: line N: ...`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct YamlError {
    pub message: String,
    pub line: Option<usize>,
}

impl YamlError {
    fn at(line: usize, msg: impl std::fmt::Display) -> Self {
        YamlError {
            message: format!("yaml: line {line}: {msg}"),
            line: Some(line),
        }
    }
    fn plain(msg: impl Into<String>) -> Self {
        YamlError {
            message: msg.into(),
            line: None,
        }
    }
}

/// Parses the first document of `text`. `Ok(None)` means the document is empty (Go's `nil`).
pub fn parse(text: &str) -> Result<Option<Node>, YamlError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parse_inner(text))) {
        Ok(r) => r,
        Err(_) => Err(YamlError::plain("yaml: internal error while parsing")),
    }
}

fn mark_of(span: &Span) -> Mark {
    Mark {
        line: span.start.line(),
        column: span.start.col() + 1,
    }
}

/// A map key as yaml.v3 compares it: scalar text plus where it was.
struct Key {
    text: String,
    mark: Mark,
    is_merge: bool,
}

enum Frame {
    Seq {
        anchor: usize,
        mark: Mark,
        items: Vec<Node>,
    },
    Map {
        anchor: usize,
        mark: Mark,
        entries: Vec<(Key, Node)>,
        pending: Option<Key>,
        seen: HashMap<String, usize>,
    },
}

struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    alias_budget: usize,
    root: Option<Node>,
    /// Duplicate-key messages; yaml.v3 collects them all and reports them together.
    errors: Vec<String>,
}

fn parse_inner(text: &str) -> Result<Option<Node>, YamlError> {
    let mut parser = Parser::new_from_str(text);
    let mut b = Builder {
        stack: Vec::new(),
        anchors: HashMap::new(),
        alias_budget: MAX_ALIAS_NODES,
        root: None,
        errors: Vec::new(),
    };
    let mut in_doc = false;
    while let Some(ev) = parser.next_event() {
        let (ev, span) = ev.map_err(|e| YamlError::at(e.marker().line(), e.info()))?;
        let mark = mark_of(&span);
        match ev {
            Event::StreamStart | Event::Nothing => {}
            Event::StreamEnd => break,
            Event::DocumentStart(_) => in_doc = true,
            Event::DocumentEnd => {
                if in_doc {
                    break;
                }
            }
            Event::SequenceStart(anchor, _tag) => {
                b.check_depth(mark)?;
                b.stack.push(Frame::Seq {
                    anchor,
                    mark,
                    items: Vec::new(),
                });
            }
            Event::MappingStart(anchor, _tag) => {
                b.check_depth(mark)?;
                b.stack.push(Frame::Map {
                    anchor,
                    mark,
                    entries: Vec::new(),
                    pending: None,
                    seen: HashMap::new(),
                });
            }
            Event::SequenceEnd => {
                let Some(Frame::Seq {
                    anchor,
                    mark,
                    items,
                }) = b.stack.pop()
                else {
                    return Err(YamlError::at(mark.line, "unbalanced sequence end"));
                };
                let node = Node::new(Value::Seq(items)).with_mark(Some(mark));
                b.complete(node, anchor, None)?;
            }
            Event::MappingEnd => {
                let Some(Frame::Map {
                    anchor,
                    mark,
                    entries,
                    ..
                }) = b.stack.pop()
                else {
                    return Err(YamlError::at(mark.line, "unbalanced mapping end"));
                };
                let node = build_map(entries, mark)?;
                b.complete(node, anchor, None)?;
            }
            Event::Scalar(value, style, anchor, tag) => {
                let node = scalar_node(&value, style, tag.as_deref(), mark)?;
                let key_text = value.into_owned();
                let is_merge = style == ScalarStyle::Plain
                    && key_text == "<<"
                    && tag.as_deref().is_none_or(is_merge_tag);
                b.complete(node, anchor, Some((key_text, is_merge)))?;
            }
            Event::Alias(id) => {
                let Some(node) = b.anchors.get(&id) else {
                    return Err(YamlError::at(mark.line, "unknown anchor"));
                };
                let size = count_nodes(node);
                if size > b.alias_budget {
                    return Err(YamlError::plain(
                        "yaml: document contains excessive aliasing",
                    ));
                }
                b.alias_budget -= size;
                let node = node.clone();
                let key = node.as_text().map(|t| (t.to_string(), false));
                b.complete(node, 0, key)?;
            }
        }
    }
    if !b.errors.is_empty() {
        return Err(YamlError {
            message: format!("yaml: unmarshal errors:\n  {}", b.errors.join("\n  ")),
            line: None,
        });
    }
    // A document that is only `---` or comments is null, which yaml.v3 returns as nil.
    Ok(b.root.filter(|n| !n.is_null()))
}

fn is_merge_tag(t: &Tag) -> bool {
    (t.handle == "!" && t.suffix.is_empty()) || (is_core(t) && t.suffix == "merge")
}

fn is_core(t: &Tag) -> bool {
    t.handle == "tag:yaml.org,2002:" || t.handle == "!!"
}

fn count_nodes(n: &Node) -> usize {
    1 + match &n.value {
        Value::Seq(s) => s.iter().map(count_nodes).sum(),
        Value::Map(m) => m.iter().map(|(_, v)| count_nodes(v)).sum(),
        _ => 0,
    }
}

impl Builder {
    fn check_depth(&self, mark: Mark) -> Result<(), YamlError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(YamlError::at(
                mark.line,
                format!("exceeded max depth of {MAX_DEPTH}"),
            ));
        }
        Ok(())
    }

    /// Places a finished node into its parent (or as the root). `key` is the scalar text used
    /// when the node turns out to be a map key.
    fn complete(
        &mut self,
        node: Node,
        anchor: usize,
        key: Option<(String, bool)>,
    ) -> Result<(), YamlError> {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        let mark = node.mark.unwrap_or(Mark { line: 0, column: 0 });
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                pending,
                seen,
                ..
            }) => match pending.take() {
                None => {
                    let Some((text, is_merge)) = key else {
                        return Err(YamlError::at(mark.line, "invalid map key: not a scalar"));
                    };
                    if let Some(first) = seen.get(&text) {
                        self.errors.push(format!(
                            "line {}: mapping key {} already defined at line {}",
                            mark.line,
                            go_quote(&text),
                            first
                        ));
                    } else {
                        seen.insert(text.clone(), mark.line);
                    }
                    *pending = Some(Key {
                        text,
                        mark,
                        is_merge,
                    });
                }
                Some(k) => entries.push((k, node)),
            },
        }
        Ok(())
    }
}

/// Builds a map node from parsed entries, applying `<<` merge keys the way yaml.v3 does.
fn build_map(entries: Vec<(Key, Node)>, mark: Mark) -> Result<Node, YamlError> {
    let mut map = Map::new();
    let mut merges = Vec::new();
    for (k, v) in entries {
        if k.is_merge {
            merges.push((k.mark, v));
        } else {
            map.insert_marked(k.text, Some(k.mark), v);
        }
    }
    for (kmark, source) in merges {
        let sources: Vec<Node> = match source.value {
            Value::Map(_) => vec![source],
            Value::Seq(items) => items,
            _ => return Err(merge_error(kmark)),
        };
        for src in sources {
            let Value::Map(m) = src.value else {
                return Err(merge_error(kmark));
            };
            for e in m.entries() {
                if !map.contains_key(&e.key) {
                    map.insert_marked(e.key.clone(), e.key_mark, e.value.clone());
                }
            }
        }
    }
    Ok(Node::new(Value::Map(map)).with_mark(Some(mark)))
}

fn merge_error(mark: Mark) -> YamlError {
    YamlError::at(
        mark.line,
        "map merge requires map or sequence of maps as the value",
    )
}

/// Go's `%q` for the strings that appear in yaml.v3 messages.
pub(crate) fn go_quote(s: &str) -> String {
    // JSON string escaping is a close match to Go's %q for printable text.
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

fn scalar_node(
    text: &str,
    style: ScalarStyle,
    tag: Option<&Tag>,
    mark: Mark,
) -> Result<Node, YamlError> {
    let core_tag = tag.filter(|t| is_core(t)).map(|t| t.suffix.as_str());
    let other_tag = tag.is_some() && core_tag.is_none();
    let value = match core_tag {
        Some("str") | Some("binary") | Some("timestamp") => Value::String(text.to_string()),
        Some(t @ ("int" | "float" | "bool" | "null")) => {
            let v = resolve_plain(text);
            match (t, v) {
                ("int", v @ Value::Int(_)) => v,
                ("float", Value::Int(i)) => Value::Float(i as f64),
                ("float", v @ Value::Float(_)) => v,
                ("bool", v @ Value::Bool(_)) => v,
                ("null", v @ Value::Null) => v,
                (t, v) => {
                    return Err(YamlError::at(
                        mark.line,
                        format!("cannot decode !!{} `{}` as a !!{}", tag_name(&v), text, t),
                    ));
                }
            }
        }
        Some(_) => Value::String(text.to_string()),
        None if other_tag || style != ScalarStyle::Plain => Value::String(text.to_string()),
        None => resolve_plain(text),
    };
    let keep_text = !matches!(value, Value::String(_) | Value::Null);
    let node = Node::new(value).with_mark(Some(mark));
    Ok(if keep_text {
        node.with_text(Some(text.to_string()))
    } else {
        node
    })
}

fn tag_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Float(_) => "float",
        Value::String(_) => "str",
        Value::Seq(_) => "seq",
        Value::Map(_) => "map",
    }
}

/// yaml.v3's implicit typing of a plain scalar.
pub(crate) fn resolve_plain(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        _ => {}
    }
    let first = s.as_bytes()[0];
    if first == b'.' {
        if is_yaml_float(s)
            && let Ok(f) = s.parse::<f64>()
        {
            return Value::Float(f);
        }
        return Value::String(s.to_string());
    }
    if !(first.is_ascii_digit() || first == b'+' || first == b'-') {
        return Value::String(s.to_string());
    }
    if looks_like_timestamp(s) {
        return Value::String(s.to_string());
    }
    let plain: String = s.chars().filter(|&c| c != '_').collect();
    if let Some(i) = parse_go_int(&plain) {
        return Value::Int(i);
    }
    if let Some(u) = parse_go_uint(&plain) {
        // Beyond i64: yaml.v3 yields uint64. The node keeps its text, so u64 fields get the
        // exact value.
        return Value::Float(u as f64);
    }
    if is_yaml_float(&plain)
        && let Ok(f) = plain.parse::<f64>()
    {
        return Value::Float(f);
    }
    Value::String(s.to_string())
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$` without a regex.
fn is_yaml_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            digits(&mut i);
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// yaml.v3 only tries timestamps on `DDDD-...`; we keep those as strings (see module docs),
/// which also keeps `2001-12-14` from being read as an integer expression.
fn looks_like_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() > 4 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-'
}

/// Splits an optional sign and a Go base prefix (`0x`, `0o`, `0b`, leading `0` = octal).
fn split_go_int(s: &str) -> Option<(bool, u32, &str)> {
    let (neg, rest) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = rest.get(..2).map(|p| p.to_ascii_lowercase());
    let (radix, digits) = match lower.as_deref() {
        Some("0x") => (16, &rest[2..]),
        Some("0o") => (8, &rest[2..]),
        Some("0b") => (2, &rest[2..]),
        _ if rest.len() > 1 && rest.starts_with('0') => (8, &rest[1..]),
        _ => (10, rest),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    Some((neg, radix, digits))
}

/// Go's `strconv.ParseInt(s, 0, 64)` (underscores already removed).
pub(crate) fn parse_go_int(s: &str) -> Option<i64> {
    let (neg, radix, digits) = split_go_int(s)?;
    let mag = u64::from_str_radix(digits, radix).ok()?;
    if neg {
        if mag <= i64::MAX as u64 + 1 {
            Some((mag as i128).wrapping_neg() as i64)
        } else {
            None
        }
    } else {
        i64::try_from(mag).ok()
    }
}

/// Go's `strconv.ParseUint(s, 0, 64)` (no sign accepted).
pub(crate) fn parse_go_uint(s: &str) -> Option<u64> {
    if s.starts_with('-') || s.starts_with('+') {
        return None;
    }
    let (_, radix, digits) = split_go_int(s)?;
    u64::from_str_radix(digits, radix).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Node {
        parse(text).expect("parse").expect("non-empty")
    }

    #[test]
    fn implicit_types_follow_yaml_v3() {
        let cases: &[(&str, Value)] = &[
            ("a: on", Value::String("on".into())),
            ("a: yes", Value::String("yes".into())),
            ("a: off", Value::String("off".into())),
            ("a: y", Value::String("y".into())),
            ("a: True", Value::Bool(true)),
            ("a: FALSE", Value::Bool(false)),
            ("a: 017", Value::Int(15)),
            ("a: 0o17", Value::Int(15)),
            ("a: 0x1F", Value::Int(31)),
            ("a: 0b101", Value::Int(5)),
            ("a: -0x10", Value::Int(-16)),
            ("a: +5", Value::Int(5)),
            ("a: 1_000", Value::Int(1000)),
            ("a: 08", Value::Float(8.0)),
            ("a: 1.10", Value::Float(1.1)),
            ("a: .5", Value::Float(0.5)),
            ("a: 1e3", Value::Float(1000.0)),
            ("a: -.inf", Value::Float(f64::NEG_INFINITY)),
            ("a: ~", Value::Null),
            ("a: NULL", Value::Null),
            ("a:", Value::Null),
            ("a: 2001-12-14", Value::String("2001-12-14".into())),
            ("a: '123'", Value::String("123".into())),
            ("a: \"true\"", Value::String("true".into())),
            ("a: !!str 123", Value::String("123".into())),
            ("a: !!float 1", Value::Float(1.0)),
            ("a: 1.2.3", Value::String("1.2.3".into())),
            ("a: 0x", Value::String("0x".into())),
            ("a: -x", Value::String("-x".into())),
            (
                "a: 9223372036854775807",
                Value::Int(9_223_372_036_854_775_807),
            ),
            ("a: -9223372036854775808", Value::Int(i64::MIN)),
            ("a: localhost:4317", Value::String("localhost:4317".into())),
        ];
        for (text, want) in cases {
            let n = one(text);
            let got = &n.get("a").expect("a").value;
            match (got, want) {
                (Value::Float(g), Value::Float(w)) if g.is_nan() || w.is_nan() => {
                    assert!(g.is_nan() && w.is_nan(), "{text}")
                }
                _ => assert_eq!(got, want, "{text}"),
            }
        }
    }

    #[test]
    fn plain_scalars_keep_their_text() {
        let n = one("a: 0123\nb: 1.10\nc: true\nd: text\n");
        assert_eq!(n.get("a").and_then(Node::as_text), Some("0123"));
        assert_eq!(n.get("b").and_then(Node::as_text), Some("1.10"));
        assert_eq!(n.get("c").and_then(Node::as_text), Some("true"));
        assert_eq!(n.get("d").and_then(Node::as_text), Some("text"));
    }

    #[test]
    fn uint64_beyond_i64_keeps_exact_text() {
        let n = one("a: 18446744073709551615");
        let a = n.get("a").expect("a");
        assert!(matches!(a.value, Value::Float(_)));
        assert_eq!(a.as_text(), Some("18446744073709551615"));
    }

    #[test]
    fn marks_are_one_based() {
        let n = one("x: 1\nservice:\n  pipelines: {}\n");
        let p = n.get_path(&["service", "pipelines"]).expect("pipelines");
        assert_eq!(
            p.mark,
            Some(Mark {
                line: 3,
                column: 14
            })
        );
        let m = n.get("service").and_then(Node::as_map).expect("map");
        assert_eq!(m.key_mark("pipelines"), Some(Mark { line: 3, column: 3 }));
    }

    #[test]
    fn duplicate_keys_name_both_lines() {
        let err = parse("a: 1\nb:\n  c: 1\n  c: 2\na: 3\n").unwrap_err();
        assert_eq!(
            err.message,
            "yaml: unmarshal errors:\n  line 4: mapping key \"c\" already defined at line 3\n  line 5: mapping key \"a\" already defined at line 1"
        );
    }

    #[test]
    fn quoted_and_plain_keys_are_the_same_key() {
        let err = parse("a: 1\n\"a\": 2\n").unwrap_err();
        assert!(
            err.message
                .contains("line 2: mapping key \"a\" already defined at line 1")
        );
        // But 1 and 01 differ in text, so they are different keys (as in yaml.v3).
        assert!(parse("1: a\n01: b\n").is_ok());
    }

    #[test]
    fn merge_keys_and_aliases() {
        let n = one(
            "base: &base\n  a: 1\n  b: 2\nother: &other\n  b: 20\n  c: 30\n\
             x:\n  <<: *base\n  b: 3\ny:\n  <<: [*other, *base]\nz: *base\n",
        );
        let x = n.get("x").expect("x");
        assert_eq!(x.get("a"), Some(&Node::from(1)));
        assert_eq!(x.get("b"), Some(&Node::from(3)), "explicit key wins");
        assert!(x.get("<<").is_none());
        let y = n.get("y").expect("y");
        assert_eq!(y.get("b"), Some(&Node::from(20)), "first merge source wins");
        assert_eq!(y.get("a"), Some(&Node::from(1)));
        assert_eq!(y.get("c"), Some(&Node::from(30)));
        assert_eq!(n.get("z"), n.get("base"));
        // A quoted "<<" is an ordinary key.
        let q = one("m:\n  '<<': 1\n");
        assert_eq!(q.get_path(&["m", "<<"]), Some(&Node::from(1)));
    }

    #[test]
    fn merge_of_a_scalar_is_an_error() {
        let err = parse("a: &a 1\nb:\n  <<: *a\n").unwrap_err();
        assert!(
            err.message
                .contains("map merge requires map or sequence of maps as the value"),
            "{err}"
        );
        assert_eq!(err.line, Some(3));
    }

    #[test]
    fn syntax_errors_carry_a_line() {
        let err = parse("a: b\nc: [1, 2\n").unwrap_err();
        assert!(err.message.starts_with("yaml: line "), "{err}");
        assert!(err.line.is_some());
        let err = parse("a: *nope\n").unwrap_err();
        assert!(err.message.contains("unknown anchor"), "{err}");
    }

    #[test]
    fn empty_and_comment_only_documents_are_nil() {
        assert_eq!(parse("").expect("ok"), None);
        assert_eq!(parse("# just a comment\n").expect("ok"), None);
        assert_eq!(parse("---\n").expect("ok"), None);
    }

    #[test]
    fn only_the_first_document_is_read() {
        let n = one("a: 1\n---\nb: [\n");
        assert_eq!(n.get("a"), Some(&Node::from(1)));
        assert!(n.get("b").is_none());
    }

    #[test]
    fn deep_nesting_and_alias_bombs_are_refused() {
        let deep = "[".repeat(MAX_DEPTH + 10);
        let err = parse(&deep).unwrap_err();
        // saphyr-parser has its own, lower, limit for flow collections.
        assert!(err.message.contains("recursion limit exceeded"), "{err}");
        let deep = "a:\n".to_string()
            + &(1..MAX_DEPTH + 10)
                .map(|i| format!("{}a:\n", " ".repeat(i)))
                .collect::<String>();
        let err = parse(&deep).unwrap_err();
        assert!(err.message.contains("exceeded max depth"), "{err}");
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 0..8 {
            let prev = if i == 0 {
                "a".to_string()
            } else {
                format!("a{}", i - 1)
            };
            bomb.push_str(&format!(
                "a{i}: &a{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
        }
        assert!(
            parse(&bomb)
                .unwrap_err()
                .message
                .contains("excessive aliasing")
        );
    }

    #[test]
    fn go_int_parsing() {
        assert_eq!(parse_go_int("0"), Some(0));
        assert_eq!(parse_go_int("-0"), Some(0));
        assert_eq!(parse_go_int("0777"), Some(511));
        assert_eq!(parse_go_int("0X1f"), Some(31));
        assert_eq!(parse_go_int("09"), None);
        assert_eq!(parse_go_int("9223372036854775808"), None);
        assert_eq!(parse_go_uint("9223372036854775808"), Some(1 << 63));
    }
}
