//! Typed decoding: a `serde::Deserializer` over [`Node`] that behaves like the collector's
//! mapstructure setup (`confmap/internal/decoder.go`: `ErrorUnused`, `WeaklyTypedInput=false`,
//! case-sensitive names, the `StringToSlice(",")` and `StringToTimeDuration` hooks).
//!
//! Rules:
//! - Config structs use `#[serde(default, deny_unknown_fields)]`; all unknown keys of a map are
//!   reported together, sorted: `'protocols' has invalid keys: htttp, thrift`.
//! - No weak typing: a string never becomes a number or bool. Numbers from `${env:PORT}` are
//!   typed by YAML, so they decode into ints. Floats truncate into integer fields (Go's
//!   conversion); out-of-range integers are errors (Go would wrap them silently).
//! - String fields accept any scalar and receive its source text (`0123` stays `0123`).
//! - Null gives the zero value: `None`, an empty list or map, the struct's defaults, `""`,
//!   `0`, `false`. (Upstream leaves the field's default for a literal null in a file; for a
//!   scalar field whose default is not zero this differs.)
//! - A string decoding into a list is split at commas (`a,b` → `[a, b]`), as upstream's hook.
//! - Errors read like mapstructure's: `decoding failed due to the following error(s):\n\n'a.b[0]'
//!   expected type 'int', got unconvertible type 'string'`, with ` (line N)` appended when the
//!   position is known (our addition).

use std::fmt;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};

use crate::node::{Entry, Node, Value};

/// Decodes `node` into `T`.
pub fn decode<T: DeserializeOwned>(node: &Node) -> Result<T, DecodeError> {
    T::deserialize(NodeDeserializer::new(node))
}

/// One step of a path: a struct field (`a.b`), a map key (`a[b]`) or a list index (`a[0]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSegment {
    Field(String),
    Key(String),
    Index(usize),
}

impl PathSegment {
    pub fn name(&self) -> String {
        match self {
            PathSegment::Field(s) | PathSegment::Key(s) => s.clone(),
            PathSegment::Index(i) => i.to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Message,
    /// Raised by serde's `deny_unknown_fields`; turned into `InvalidKeys` by the struct.
    UnknownField,
    InvalidKeys,
}

/// A typed-decoding error, naming the path of the offending value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    message: String,
    kind: Kind,
    path: Vec<PathSegment>,
    /// mapstructure's name for the value, when it is not derived from `path` (a top-level
    /// struct's invalid keys are reported under the struct's type name).
    name: Option<String>,
    line: Option<usize>,
    located: bool,
}

impl DecodeError {
    fn new(message: impl Into<String>) -> Self {
        DecodeError {
            message: message.into(),
            kind: Kind::Message,
            path: Vec::new(),
            name: None,
            line: None,
            located: false,
        }
    }

    fn locate(mut self, path: &[PathSegment], node: &Node) -> Self {
        if !self.located {
            self.located = true;
            self.path = path.to_vec();
            if self.line.is_none() {
                self.line = node.mark.map(|m| m.line);
            }
        }
        self
    }

    /// Path of the offending value: map keys / field names, and list indexes as decimals.
    pub fn path(&self) -> Vec<String> {
        self.path.iter().map(PathSegment::name).collect()
    }

    pub fn segments(&self) -> &[PathSegment] {
        &self.path
    }

    /// 1-based source line, when the value came from YAML text.
    pub fn line(&self) -> Option<usize> {
        self.line
    }

    /// The message without the name and location (`has invalid keys: a, b`).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// mapstructure's name for the value: `protocols.grpc`, `[otlp]`, `exporters[0]`.
    pub fn mapstructure_name(&self) -> String {
        if let Some(n) = &self.name {
            return n.clone();
        }
        let mut out = String::new();
        for seg in &self.path {
            match seg {
                PathSegment::Field(f) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(f);
                }
                PathSegment::Key(k) => {
                    out.push('[');
                    out.push_str(k);
                    out.push(']');
                }
                PathSegment::Index(i) => {
                    out.push_str(&format!("[{i}]"));
                }
            }
        }
        out
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // mapstructure joins the errors found inside maps, structs and lists under this header.
        if !self.path.is_empty() || self.kind == Kind::InvalidKeys {
            f.write_str("decoding failed due to the following error(s):\n\n")?;
        }
        write!(f, "'{}' {}", self.mapstructure_name(), self.message)?;
        if let Some(line) = self.line {
            write!(f, " (line {line})")?;
        }
        Ok(())
    }
}

impl std::error::Error for DecodeError {}

impl de::Error for DecodeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DecodeError::new(msg.to_string())
    }

    fn invalid_type(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        let got = match unexp {
            de::Unexpected::Bool(_) => "bool",
            de::Unexpected::Signed(_) | de::Unexpected::Unsigned(_) => "int",
            de::Unexpected::Float(_) => "float64",
            de::Unexpected::Str(_) | de::Unexpected::Char(_) => "string",
            de::Unexpected::Seq => "[]interface {}",
            de::Unexpected::Map => "map[string]interface {}",
            de::Unexpected::Unit | de::Unexpected::Option => "<nil>",
            _ => "unknown",
        };
        DecodeError::new(format!(
            "expected type '{exp}', got unconvertible type '{got}'"
        ))
    }

    fn unknown_field(field: &str, _expected: &'static [&'static str]) -> Self {
        DecodeError {
            kind: Kind::UnknownField,
            ..DecodeError::new(format!("has invalid keys: {field}"))
        }
    }

    fn missing_field(field: &'static str) -> Self {
        DecodeError::new(format!("has unset fields: {field}"))
    }
}

/// The deserializer over one node, knowing its path for error messages.
#[derive(Clone)]
pub struct NodeDeserializer<'a> {
    node: &'a Node,
    path: Vec<PathSegment>,
}

impl<'a> NodeDeserializer<'a> {
    pub fn new(node: &'a Node) -> Self {
        NodeDeserializer {
            node,
            path: Vec::new(),
        }
    }

    fn child(&self, node: &'a Node, seg: PathSegment) -> NodeDeserializer<'a> {
        let mut path = self.path.clone();
        path.push(seg);
        NodeDeserializer { node, path }
    }

    fn error(&self, msg: impl Into<String>) -> DecodeError {
        DecodeError::new(msg).locate(&self.path, self.node)
    }

    fn unconvertible(&self, expected: &str) -> DecodeError {
        self.error(format!(
            "expected type '{expected}', got unconvertible type '{}'",
            self.node.go_type()
        ))
    }

    fn locate<T>(&self, r: Result<T, DecodeError>) -> Result<T, DecodeError> {
        r.map_err(|e| e.locate(&self.path, self.node))
    }

    /// An integer for a field of Go type `go`, within `[min, max]`.
    fn integer(&self, go: &str, min: i128, max: i128) -> Result<i128, DecodeError> {
        let v: i128 = match &self.node.value {
            Value::Null => 0,
            Value::Int(i) => i128::from(*i),
            Value::Float(f) => {
                // A uint64 beyond i64 is stored as a float with its exact text.
                if let Some(u) = self
                    .node
                    .text
                    .as_deref()
                    .and_then(|t| crate::yaml::parse_go_uint(&t.replace('_', "")))
                {
                    i128::from(u)
                } else if f.is_finite() && f.abs() < 1.7e38 {
                    f.trunc() as i128
                } else {
                    return Err(self.error(format!(
                        "cannot parse value as '{go}': strconv.ParseInt: value out of range"
                    )));
                }
            }
            _ => return Err(self.unconvertible(go)),
        };
        if v < min {
            if min == 0 {
                return Err(self.error(format!("cannot parse value as '{go}': {v} overflows uint")));
            }
            return Err(self.error(format!(
                "cannot parse value as '{go}': strconv.ParseInt: value out of range"
            )));
        }
        if v > max {
            let func = if min == 0 { "ParseUint" } else { "ParseInt" };
            return Err(self.error(format!(
                "cannot parse value as '{go}': strconv.{func}: value out of range"
            )));
        }
        Ok(v)
    }

    fn float(&self, go: &str) -> Result<f64, DecodeError> {
        match &self.node.value {
            Value::Null => Ok(0.0),
            Value::Int(i) => Ok(*i as f64),
            Value::Float(f) => Ok(*f),
            _ => Err(self.unconvertible(go)),
        }
    }

    fn text(&self) -> Result<String, DecodeError> {
        match (&self.node.value, self.node.as_text()) {
            (_, Some(t)) => Ok(t.to_string()),
            (Value::Null, None) => Ok(String::new()),
            _ => Err(self.unconvertible("string")),
        }
    }
}

macro_rules! deserialize_int {
    ($method:ident, $visit:ident, $t:ty, $go:literal) => {
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
            let v = self.integer($go, i128::from(<$t>::MIN), i128::from(<$t>::MAX))?;
            // In range by construction.
            let v = <$t>::try_from(v).map_err(|_| self.error("integer out of range"))?;
            self.locate(visitor.$visit(v))
        }
    };
}

impl<'de, 'a> de::Deserializer<'de> for NodeDeserializer<'a> {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        let r = match &self.node.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Int(i) => visitor.visit_i64(*i),
            Value::Float(f) => visitor.visit_f64(*f),
            Value::String(s) => visitor.visit_str(s),
            Value::Seq(items) => visitor.visit_seq(SeqDe::new(&self, items)),
            Value::Map(_) => visitor.visit_map(MapDe::new(&self, false)),
        };
        self.locate(r)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        let b = match self.node.value {
            Value::Bool(b) => b,
            Value::Null => false,
            _ => return Err(self.unconvertible("bool")),
        };
        self.locate(visitor.visit_bool(b))
    }

    deserialize_int!(deserialize_i8, visit_i8, i8, "int8");
    deserialize_int!(deserialize_i16, visit_i16, i16, "int16");
    deserialize_int!(deserialize_i32, visit_i32, i32, "int32");
    deserialize_int!(deserialize_i64, visit_i64, i64, "int");
    deserialize_int!(deserialize_u8, visit_u8, u8, "uint8");
    deserialize_int!(deserialize_u16, visit_u16, u16, "uint16");
    deserialize_int!(deserialize_u32, visit_u32, u32, "uint32");
    deserialize_int!(deserialize_u64, visit_u64, u64, "uint64");

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        let f = self.float("float32")?;
        self.locate(visitor.visit_f32(f as f32))
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        let f = self.float("float64")?;
        self.locate(visitor.visit_f64(f))
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        let s = self.text()?;
        let mut chars = s.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => self.locate(visitor.visit_char(c)),
            _ => Err(self.unconvertible("rune")),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        let s = self.text()?;
        self.locate(visitor.visit_str(&s))
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        let s = self.text()?;
        self.locate(visitor.visit_string(s))
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match &self.node.value {
            Value::Seq(_) => self.deserialize_seq(visitor),
            _ => {
                let s = self.text()?;
                self.locate(visitor.visit_bytes(s.as_bytes()))
            }
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        if self.node.is_null() {
            return self.locate(visitor.visit_none());
        }
        let node = self.node;
        let path = self.path.clone();
        visitor.visit_some(self).map_err(|e| e.locate(&path, node))
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.node.value {
            Value::Null => self.locate(visitor.visit_unit()),
            _ => Err(self.unconvertible("struct {}")),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        match &self.node.value {
            Value::Null => self.locate(visitor.visit_unit()),
            Value::Map(m) if m.is_empty() => self.locate(visitor.visit_unit()),
            _ => Err(self.unconvertible("struct {}")),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        let node = self.node;
        let path = self.path.clone();
        visitor
            .visit_newtype_struct(self)
            .map_err(|e| e.locate(&path, node))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match &self.node.value {
            Value::Seq(items) => {
                let r = visitor.visit_seq(SeqDe::new(&self, items));
                self.locate(r)
            }
            Value::Null => self.locate(visitor.visit_seq(SeqDe::new(&self, &[]))),
            Value::String(s) => {
                // mapstructure.StringToSliceHookFunc(","): "" is an empty list.
                let parts: Vec<Node> = if s.is_empty() {
                    Vec::new()
                } else {
                    s.split(',')
                        .map(|p| Node::from(p).with_mark(self.node.mark))
                        .collect()
                };
                let r = visitor.visit_seq(SeqDe::new(&self, &parts));
                self.locate(r)
            }
            _ => Err(self.error(format!(
                "source data must be an array or slice, got {}",
                self.node.go_kind()
            ))),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match &self.node.value {
            Value::Map(_) | Value::Null => {
                let r = visitor.visit_map(MapDe::new(&self, false));
                self.locate(r)
            }
            _ => Err(self.unconvertible("map[string]interface {}")),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        let entries: &[Entry] = match &self.node.value {
            Value::Map(m) => m.entries(),
            Value::Null => &[],
            _ => {
                return Err(self.error(format!(
                    "expected a map or struct, got \"{}\"",
                    self.node.go_kind()
                )));
            }
        };
        match visitor.visit_map(MapDe::new(&self, true)) {
            Err(e) if e.kind == Kind::UnknownField && !e.located => {
                // Report every unknown key, sorted, as mapstructure's ErrorUnused does.
                let unknown: Vec<&Entry> = entries
                    .iter()
                    .filter(|e| !fields.contains(&e.key.as_str()))
                    .collect();
                let mut keys: Vec<&str> = unknown.iter().map(|e| e.key.as_str()).collect();
                keys.sort_unstable();
                let line = unknown
                    .first()
                    .and_then(|e| e.key_mark.or(e.value.mark))
                    .map(|m| m.line);
                let mut err = DecodeError {
                    kind: Kind::InvalidKeys,
                    line,
                    name: self.path.is_empty().then(|| name.to_string()),
                    ..DecodeError::new(if keys.is_empty() {
                        e.message.clone()
                    } else {
                        format!("has invalid keys: {}", keys.join(", "))
                    })
                };
                err = err.locate(&self.path, self.node);
                Err(err)
            }
            r => self.locate(r),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        let r = match &self.node.value {
            Value::String(s) => visitor.visit_enum(s.as_str().into_deserializer()),
            Value::Map(m) if m.len() == 1 => match m.entries().first() {
                Some(e) => visitor.visit_enum(EnumDe {
                    variant: &e.key,
                    value: self.child(&e.value, PathSegment::Key(e.key.clone())),
                }),
                None => Err(self.unconvertible("string")),
            },
            _ => match self.node.as_text() {
                Some(t) => visitor.visit_enum(t.into_deserializer()),
                None => return Err(self.unconvertible("string")),
            },
        };
        self.locate(r)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_unit()
    }
}

struct SeqDe<'p> {
    path: &'p [PathSegment],
    items: &'p [Node],
    index: usize,
}

impl<'p> SeqDe<'p> {
    fn new(parent: &'p NodeDeserializer<'_>, items: &'p [Node]) -> Self {
        SeqDe {
            path: &parent.path,
            items,
            index: 0,
        }
    }
}

impl<'de> SeqAccess<'de> for SeqDe<'_> {
    type Error = DecodeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DecodeError> {
        let Some(item) = self.items.get(self.index) else {
            return Ok(None);
        };
        let mut path = self.path.to_vec();
        path.push(PathSegment::Index(self.index));
        self.index += 1;
        seed.deserialize(NodeDeserializer { node: item, path })
            .map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len() - self.index)
    }
}

struct MapDe<'a, 'p> {
    parent: &'p NodeDeserializer<'a>,
    entries: &'a [Entry],
    index: usize,
    is_struct: bool,
}

impl<'a, 'p> MapDe<'a, 'p> {
    fn new(parent: &'p NodeDeserializer<'a>, is_struct: bool) -> Self {
        let entries = match &parent.node.value {
            Value::Map(m) => m.entries(),
            _ => &[],
        };
        MapDe {
            parent,
            entries,
            index: 0,
            is_struct,
        }
    }
}

impl<'de, 'a> MapAccess<'de> for MapDe<'a, '_> {
    type Error = DecodeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DecodeError> {
        let Some(e) = self.entries.get(self.index) else {
            return Ok(None);
        };
        seed.deserialize(KeyDeserializer { key: &e.key }).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, DecodeError> {
        let Some(e) = self.entries.get(self.index) else {
            return Err(DecodeError::new("value requested past the end of a map"));
        };
        self.index += 1;
        let seg = if self.is_struct {
            PathSegment::Field(e.key.clone())
        } else {
            PathSegment::Key(e.key.clone())
        };
        seed.deserialize(self.parent.child(&e.value, seg))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len() - self.index)
    }
}

/// Map keys are strings; numeric key types parse them.
struct KeyDeserializer<'k> {
    key: &'k str,
}

macro_rules! key_int {
    ($method:ident, $visit:ident, $t:ty) => {
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
            match self.key.parse::<$t>() {
                Ok(v) => visitor.$visit(v),
                Err(_) => Err(DecodeError::new(format!(
                    "cannot parse map key {} as '{}'",
                    crate::yaml::go_quote(self.key),
                    stringify!($t)
                ))),
            }
        }
    };
}

impl<'de> de::Deserializer<'de> for KeyDeserializer<'_> {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_str(self.key)
    }

    key_int!(deserialize_i8, visit_i8, i8);
    key_int!(deserialize_i16, visit_i16, i16);
    key_int!(deserialize_i32, visit_i32, i32);
    key_int!(deserialize_i64, visit_i64, i64);
    key_int!(deserialize_u8, visit_u8, u8);
    key_int!(deserialize_u16, visit_u16, u16);
    key_int!(deserialize_u32, visit_u32, u32);
    key_int!(deserialize_u64, visit_u64, u64);

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        visitor.visit_enum(self.key.into_deserializer())
    }

    serde::forward_to_deserialize_any! {
        bool f32 f64 char str string bytes byte_buf unit unit_struct seq tuple tuple_struct
        map struct identifier ignored_any
    }
}

struct EnumDe<'a, 'k> {
    variant: &'k str,
    value: NodeDeserializer<'a>,
}

impl<'de, 'a> EnumAccess<'de> for EnumDe<'a, '_> {
    type Error = DecodeError;
    type Variant = NodeDeserializer<'a>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Self::Variant), DecodeError> {
        let v = seed.deserialize(KeyDeserializer { key: self.variant })?;
        Ok((v, self.value))
    }
}

impl<'de> VariantAccess<'de> for NodeDeserializer<'_> {
    type Error = DecodeError;

    fn unit_variant(self) -> Result<(), DecodeError> {
        match self.node.value {
            Value::Null => Ok(()),
            _ => Err(self.unconvertible("struct {}")),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<T::Value, DecodeError> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        de::Deserializer::deserialize_seq(self, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        de::Deserializer::deserialize_struct(self, "", fields, visitor)
    }
}

/// Lets a config keep a raw sub-tree (`serde` decoding into [`Node`]); positions and source
/// texts are not carried through serde, so decode such fields with [`decode`] later only if
/// line numbers do not matter.
impl<'de> de::Deserialize<'de> for Node {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct NodeVisitor;
        impl<'de> Visitor<'de> for NodeVisitor {
            type Value = Node;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_unit<E>(self) -> Result<Node, E> {
                Ok(Node::null())
            }
            fn visit_none<E>(self) -> Result<Node, E> {
                Ok(Node::null())
            }
            fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
                <Node as de::Deserialize>::deserialize(d)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
                Ok(Node::from(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
                Ok(Node::from(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
                Ok(i64::try_from(v).map_or_else(|_| Node::from(v as f64), Node::from))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
                Ok(Node::from(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Node, E> {
                Ok(Node::from(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Node, A::Error> {
                let mut items = Vec::new();
                while let Some(n) = a.next_element::<Node>()? {
                    items.push(n);
                }
                Ok(Node::from(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Node, A::Error> {
                let mut m = crate::node::Map::new();
                while let Some((k, v)) = a.next_entry::<String, Node>()? {
                    m.insert(k, v);
                }
                Ok(Node::from(m))
            }
        }
        d.deserialize_any(NodeVisitor)
    }
}
