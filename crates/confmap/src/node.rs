//! The untyped configuration tree.
//!
//! Every stage of resolution (parsing, merging, `${...}` expansion) works on [`Node`]s, and
//! typed decoding reads them. A node remembers where it came from ([`Mark`]) so that errors can
//! point at a line, and plain scalars remember their source text so that a string-typed field
//! receives `0123` or `1.10` exactly as written (upstream applies that rule to expanded values;
//! we apply it to every plain scalar, which only accepts more configurations, never fewer).

use std::fmt;

/// A position in a YAML source, both 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Mark {
    pub line: usize,
    pub column: usize,
}

/// The value of a node.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    Seq(Vec<Node>),
    Map(Map),
}

/// One node of the configuration tree.
#[derive(Debug, Clone)]
pub struct Node {
    pub value: Value,
    pub mark: Option<Mark>,
    /// Text a string-typed field receives when the value is not itself a string: the source text
    /// of a plain YAML scalar (`0123`, `1.10`, `true`) or the raw text a `${...}` reference
    /// expanded from. `None` for strings and for nodes built in code.
    pub(crate) text: Option<String>,
}

/// Equality compares values only: where a value came from does not change what it means.
impl PartialEq for Node {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

/// One entry of a [`Map`]: the key, where the key was written, and the value.
#[derive(Debug, Clone)]
pub struct Entry {
    pub key: String,
    pub key_mark: Option<Mark>,
    pub value: Node,
}

/// A mapping that keeps insertion order (YAML order), so that printed configs and error lists
/// follow the user's file. Lookups are linear: configuration maps are small.
#[derive(Debug, Clone, Default)]
pub struct Map {
    entries: Vec<Entry>,
}

impl PartialEq for Map {
    /// Order-insensitive, like the Go maps upstream compares.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .entries
                .iter()
                .all(|e| other.get(&e.key).is_some_and(|v| *v == e.value))
    }
}

impl Map {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.entries
            .iter_mut()
            .find(|e| e.key == key)
            .map(|e| &mut e.value)
    }

    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.key == key)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.entry(key).is_some()
    }

    /// Where `key` was written, if known.
    pub fn key_mark(&self, key: &str) -> Option<Mark> {
        self.entry(key).and_then(|e| e.key_mark)
    }

    /// Inserts or replaces; a replaced key keeps its position. Returns the old value.
    pub fn insert(&mut self, key: impl Into<String>, value: Node) -> Option<Node> {
        self.insert_marked(key, None, value)
    }

    /// Like [`Map::insert`], recording where the key was written.
    pub fn insert_marked(
        &mut self,
        key: impl Into<String>,
        key_mark: Option<Mark>,
        value: Node,
    ) -> Option<Node> {
        let key = key.into();
        if let Some(e) = self.entries.iter_mut().find(|e| e.key == key) {
            if key_mark.is_some() {
                e.key_mark = key_mark;
            }
            return Some(std::mem::replace(&mut e.value, value));
        }
        self.entries.push(Entry {
            key,
            key_mark,
            value,
        });
        None
    }

    pub fn remove(&mut self, key: &str) -> Option<Node> {
        let idx = self.entries.iter().position(|e| e.key == key)?;
        Some(self.entries.remove(idx).value)
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.key.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Node)> {
        self.entries.iter().map(|e| (e.key.as_str(), &e.value))
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&str, &mut Node)> {
        self.entries
            .iter_mut()
            .map(|e| (e.key.as_str(), &mut e.value))
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub(crate) fn entries_mut(&mut self) -> &mut Vec<Entry> {
        &mut self.entries
    }
}

impl FromIterator<(String, Node)> for Map {
    fn from_iter<I: IntoIterator<Item = (String, Node)>>(iter: I) -> Self {
        let mut m = Map::new();
        for (k, v) in iter {
            m.insert(k, v);
        }
        m
    }
}

impl<'a> IntoIterator for &'a Map {
    type Item = (&'a str, &'a Node);
    type IntoIter = Box<dyn Iterator<Item = (&'a str, &'a Node)> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

/// What [`Node::redact`] writes in place of a secret, as upstream's `configopaque` does.
pub const REDACTED: &str = "[REDACTED]";

impl Node {
    pub fn new(value: Value) -> Self {
        Node {
            value,
            mark: None,
            text: None,
        }
    }

    pub fn null() -> Self {
        Node::new(Value::Null)
    }

    pub fn empty_map() -> Self {
        Node::new(Value::Map(Map::new()))
    }

    pub fn with_mark(mut self, mark: Option<Mark>) -> Self {
        self.mark = mark;
        self
    }

    pub(crate) fn with_text(mut self, text: Option<String>) -> Self {
        self.text = text;
        self
    }

    /// The text a string-typed field would receive, if the node has one: the string itself, or
    /// the source text of a plain scalar / expanded reference.
    pub fn as_text(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => self.text.as_deref(),
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    pub fn as_map(&self) -> Option<&Map> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_map_mut(&mut self) -> Option<&mut Map> {
        match &mut self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self.value {
            Value::Int(i) => Some(i),
            _ => None,
        }
    }

    /// The child under `key` when this node is a map.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?.get(key)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.as_map_mut()?.get_mut(key)
    }

    /// Follows map keys; `get_path(&["service", "pipelines"])`.
    pub fn get_path<S: AsRef<str>>(&self, path: &[S]) -> Option<&Node> {
        path.iter().try_fold(self, |n, k| n.get(k.as_ref()))
    }

    /// Children in order: map values with their keys, or sequence items with their index as key.
    pub fn children(&self) -> Vec<(String, &Node)> {
        match &self.value {
            Value::Map(m) => m.iter().map(|(k, v)| (k.to_string(), v)).collect(),
            Value::Seq(s) => s
                .iter()
                .enumerate()
                .map(|(i, v)| (i.to_string(), v))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Replaces every non-null node whose path (map keys, and sequence indexes as decimal
    /// strings) satisfies `should_redact` with the string `[REDACTED]`. Null stays null so a
    /// printed config does not pretend an unset secret is set.
    pub fn redact(&mut self, should_redact: impl Fn(&[String]) -> bool) {
        let mut path = Vec::new();
        self.redact_at(&mut path, &should_redact);
    }

    fn redact_at(&mut self, path: &mut Vec<String>, f: &dyn Fn(&[String]) -> bool) {
        if !path.is_empty() && !self.is_null() && f(path) {
            self.value = Value::String(REDACTED.to_string());
            self.text = None;
            return;
        }
        match &mut self.value {
            Value::Map(m) => {
                for e in m.entries_mut() {
                    path.push(e.key.clone());
                    e.value.redact_at(path, f);
                    path.pop();
                }
            }
            Value::Seq(s) => {
                for (i, n) in s.iter_mut().enumerate() {
                    path.push(i.to_string());
                    n.redact_at(path, f);
                    path.pop();
                }
            }
            _ => {}
        }
    }

    /// Go-style name of the dynamic type, as upstream error messages print it.
    pub(crate) fn go_type(&self) -> &'static str {
        match self.value {
            Value::Null => "<nil>",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float64",
            Value::String(_) => "string",
            Value::Seq(_) => "[]interface {}",
            Value::Map(_) => "map[string]interface {}",
        }
    }

    /// Go `reflect.Kind` name, used by mapstructure's struct and slice errors.
    pub(crate) fn go_kind(&self) -> &'static str {
        match self.value {
            Value::Null => "invalid",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float64",
            Value::String(_) => "string",
            Value::Seq(_) => "slice",
            Value::Map(_) => "map",
        }
    }

    /// Sets `mark` on this node and every descendant: values that came from a `${...}`
    /// reference are reported at the reference.
    pub(crate) fn set_mark_deep(&mut self, mark: Option<Mark>) {
        self.mark = mark;
        match &mut self.value {
            Value::Map(m) => {
                for e in m.entries_mut() {
                    e.key_mark = mark;
                    e.value.set_mark_deep(mark);
                }
            }
            Value::Seq(s) => s.iter_mut().for_each(|n| n.set_mark_deep(mark)),
            _ => {}
        }
    }

    /// The YAML text of this node (see [`crate::emit`]).
    pub fn to_yaml_string(&self) -> String {
        crate::emit::to_yaml(self)
    }

    /// The node as JSON. Maps become objects with sorted keys (as Go's `json.Marshal` prints
    /// maps); NaN and infinities, which JSON cannot hold, become null.
    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::Seq(s) => serde_json::Value::Array(s.iter().map(Node::to_json).collect()),
            Value::Map(m) => serde_json::Value::Object(
                m.iter()
                    .map(|(k, v)| (k.to_string(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// Pretty-printed JSON text.
    pub fn to_json_string(&self) -> String {
        // Serializing a serde_json::Value to a String cannot fail.
        serde_json::to_string_pretty(&self.to_json()).unwrap_or_default()
    }
}

impl fmt::Display for Node {
    /// Go's `%v`-like rendering, used inside error messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Value::Null => f.write_str("<nil>"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::String(s) => f.write_str(s),
            Value::Seq(s) => {
                f.write_str("[")?;
                for (i, n) in s.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{n}")?;
                }
                f.write_str("]")
            }
            Value::Map(m) => {
                f.write_str("map[")?;
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{k}:{v}")?;
                }
                f.write_str("]")
            }
        }
    }
}

macro_rules! from_scalar {
    ($($t:ty => $variant:ident as $conv:ty),* $(,)?) => {
        $(impl From<$t> for Node {
            fn from(v: $t) -> Self {
                Node::new(Value::$variant(<$conv>::from(v)))
            }
        })*
    };
}

from_scalar! {
    bool => Bool as bool,
    i32 => Int as i64,
    i64 => Int as i64,
    u32 => Int as i64,
    f64 => Float as f64,
    String => String as String,
    &str => String as String,
}

impl From<Map> for Node {
    fn from(m: Map) -> Self {
        Node::new(Value::Map(m))
    }
}

impl From<Vec<Node>> for Node {
    fn from(s: Vec<Node>) -> Self {
        Node::new(Value::Seq(s))
    }
}

impl From<Value> for Node {
    fn from(v: Value) -> Self {
        Node::new(v)
    }
}
