//! `${scheme:opaque}` expansion, after parsing and merging (upstream `confmap/expand.go`).
//!
//! Per string value (map keys are never expanded):
//! - The innermost reference is found first (first `}`, last `${` before it), so
//!   `${env:${env:NAME}}` resolves `NAME` and then the outer reference on the next pass.
//! - `${VAR}` without a scheme uses the default scheme (`env`); `${VAR:-x}` has a `:`, so `VAR`
//!   is taken as a scheme and fails with `scheme "VAR" is not supported for uri "VAR:-x"`, as
//!   upstream. Use `${env:VAR:-x}`.
//! - A value that is exactly one reference takes the referenced value's YAML type (an int, a
//!   map...) and remembers the referenced text for string-typed fields; a reference embedded
//!   in a longer string is replaced by the referenced text.
//! - `$${...}` is an escaped reference: upstream stops expanding the whole string when the first
//!   reference it finds is escaped, and so do we. After expansion, every `$$` becomes `$`.
//! - Passes repeat until nothing changes, at most 1000 times (`too many recursive expansions`).
//! - A `$` inside the opaque part is refused. Bash-style `$VAR` is left alone.

use crate::error::ConfmapError;
use crate::node::{Map, Mark, Node, Value};
use crate::providers::{BoxFuture, Providers};
use crate::uri::Location;
use crate::yaml::go_quote;

/// Most expansion passes over one value.
pub const MAX_EXPANSION_PASSES: usize = 1000;

pub(crate) struct Expander<'a> {
    pub providers: &'a Providers,
    pub default_scheme: &'a str,
}

impl Expander<'_> {
    /// Expands every value of `map`, then turns `$$` into `$`.
    pub async fn expand_map(&self, map: Map) -> Result<Map, ConfmapError> {
        let mut path = Vec::new();
        self.expand_map_at(map, &mut path).await
    }

    fn expand_map_at<'s>(
        &'s self,
        map: Map,
        path: &'s mut Vec<String>,
    ) -> BoxFuture<'s, Result<Map, ConfmapError>> {
        Box::pin(async move {
            let mut out = Map::new();
            for e in map.entries().iter().cloned() {
                path.push(e.key.clone());
                let value = match e.value.value {
                    // Non-empty maps are walked; every other value is a leaf, as the flattened
                    // keys upstream iterates over.
                    Value::Map(m) if !m.is_empty() && e.value.text.is_none() => {
                        let mark = e.value.mark;
                        Node::new(Value::Map(self.expand_map_at(m, path).await?)).with_mark(mark)
                    }
                    _ => {
                        let expanded = self.expand_recursively(e.value, path).await?;
                        escape_dollars(expanded)
                    }
                };
                path.pop();
                out.insert_marked(e.key, e.key_mark, value);
            }
            Ok(out)
        })
    }

    async fn expand_recursively(
        &self,
        mut node: Node,
        path: &mut Vec<String>,
    ) -> Result<Node, ConfmapError> {
        let line = node.mark.map(|m| m.line);
        for _ in 0..MAX_EXPANSION_PASSES {
            let (next, changed) = self.expand_value(node, path).await?;
            if !changed {
                return Ok(next);
            }
            node = next;
        }
        Err(ConfmapError::new("too many recursive expansions").at(path, line))
    }

    /// One pass over a value; returns the new value and whether anything was expanded.
    fn expand_value<'s>(
        &'s self,
        node: Node,
        path: &'s mut Vec<String>,
    ) -> BoxFuture<'s, Result<(Node, bool), ConfmapError>> {
        Box::pin(async move {
            let mark = node.mark;
            let text = node.text.clone();
            let (expanded, changed) = match node.value {
                Value::String(s) => {
                    if !(s.contains("${") && s.contains('}')) {
                        return Ok((Node::new(Value::String(s)).with_mark(mark), false));
                    }
                    return self.find_and_expand(&s, mark, path).await;
                }
                Value::Seq(items) => {
                    let mut out = Vec::with_capacity(items.len());
                    let mut changed = false;
                    for (i, item) in items.into_iter().enumerate() {
                        path.push(i.to_string());
                        let (v, c) = self.expand_value(item, path).await?;
                        path.pop();
                        out.push(v);
                        changed |= c;
                    }
                    (Node::new(Value::Seq(out)).with_mark(mark), changed)
                }
                Value::Map(m) => {
                    let mut out = Map::new();
                    let mut changed = false;
                    for e in m.entries().iter().cloned() {
                        path.push(e.key.clone());
                        let (v, c) = self.expand_value(e.value, path).await?;
                        path.pop();
                        out.insert_marked(e.key, e.key_mark, v);
                        changed |= c;
                    }
                    (Node::new(Value::Map(out)).with_mark(mark), changed)
                }
                scalar => (Node::new(scalar).with_mark(mark), false),
            };
            // A value that came from a whole-value reference also carries the referenced text;
            // expand it too, since the target type is not known yet. If that fails, the typed
            // value alone survives (upstream's rule).
            let Some(original) = text else {
                return Ok((expanded, changed));
            };
            if !(original.contains("${") && original.contains('}')) {
                return Ok((expanded.with_text(Some(original)), changed));
            }
            match self.find_and_expand(&original, mark, path).await {
                Ok((
                    Node {
                        value: Value::String(s),
                        ..
                    },
                    c,
                )) => Ok((expanded.with_text(Some(s)), changed || c)),
                _ => Ok((expanded, changed)),
            }
        })
    }

    /// Finds and expands the first expandable reference in `input`.
    async fn find_and_expand(
        &self,
        input: &str,
        mark: Option<Mark>,
        path: &[String],
    ) -> Result<(Node, bool), ConfmapError> {
        let line = mark.map(|m| m.line);
        let Some(uri) = self.find_uri(input) else {
            return Ok((
                Node::new(Value::String(input.to_string())).with_mark(mark),
                false,
            ));
        };
        if uri == input {
            let ret = self.expand_uri(input).await.map_err(|e| e.at(path, line))?;
            let text = ret.as_string().ok();
            let mut node = ret.raw().cloned().unwrap_or_else(Node::null);
            node.set_mark_deep(mark);
            // Strings carry their own text; anything else keeps the referenced text.
            let node = match node.value {
                Value::String(_) => node.with_text(None),
                _ => node.with_text(text),
            };
            return Ok((node, true));
        }
        let ret = self.expand_uri(uri).await.map_err(|e| e.at(path, line))?;
        let repl = ret
            .as_string()
            .map_err(|e| e.context(format!("expanding {uri}")).at(path, line))?;
        Ok((
            Node::new(Value::String(input.replace(uri, &repl))).with_mark(mark),
            true,
        ))
    }

    /// The first reference that can be expanded, or `None` (also when the first one found is
    /// escaped with `$$`, which stops expansion of the whole string, as upstream).
    fn find_uri<'i>(&self, input: &'i str) -> Option<&'i str> {
        let close = input.find('}')?;
        let remaining = &input[close + 1..];
        let head = &input[..=close];
        let open = head.rfind("${");
        let open = match open {
            Some(o) if !self.default_scheme.is_empty() || head[o..].contains(':') => o,
            _ => {
                if !remaining.contains('}') {
                    return None;
                }
                return self.find_uri(remaining);
            }
        };
        let dollars = input.as_bytes()[..open]
            .iter()
            .rev()
            .take_while(|&&b| b == b'$')
            .count();
        if dollars % 2 == 1 {
            return None;
        }
        Some(&input[open..=close])
    }

    /// Retrieves one `${...}` reference.
    async fn expand_uri(
        &self,
        reference: &str,
    ) -> Result<crate::retrieved::Retrieved, ConfmapError> {
        let inner = &reference[2..reference.len() - 1];
        let uri = if inner.contains(':') {
            inner.to_string()
        } else {
            format!("{}:{inner}", self.default_scheme)
        };
        let loc = Location::parse(&uri)?;
        if loc.opaque.contains('$') {
            return Err(ConfmapError::new(format!(
                "the uri {} contains unsupported characters ('$')",
                go_quote(&loc.as_uri())
            )));
        }
        let provider = self.providers.get(&loc.scheme).ok_or_else(|| {
            ConfmapError::new(format!(
                "scheme {} is not supported for uri {}",
                go_quote(&loc.scheme),
                go_quote(&loc.as_uri())
            ))
        })?;
        provider.retrieve(&loc.as_uri()).await
    }
}

/// `$$` → `$` in strings and remembered texts, everywhere under `node`.
pub(crate) fn escape_dollars(node: Node) -> Node {
    let Node { value, mark, text } = node;
    let value = match value {
        Value::String(s) => Value::String(s.replace("$$", "$")),
        Value::Seq(items) => Value::Seq(items.into_iter().map(escape_dollars).collect()),
        Value::Map(m) => {
            let mut out = Map::new();
            for e in m.entries().iter().cloned() {
                out.insert_marked(e.key, e.key_mark, escape_dollars(e.value));
            }
            Value::Map(out)
        }
        other => other,
    };
    Node {
        value,
        mark,
        text: text.map(|t| t.replace("$$", "$")),
    }
}
