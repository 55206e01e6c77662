//! Merging configs from several URIs, left to right (upstream uses koanf's `maps.Merge`).
//!
//! - A map merges into a map key by key, recursively.
//! - Anything else replaces: lists are **replaced**, not appended, and an explicit null in a
//!   later source **erases** the earlier value (`processors:` with nothing after it wipes the
//!   processors of earlier files; write `{}` for an empty map).
//!
//! Keys written `a::b::c` are split into nested maps, as koanf's `::` delimiter does upstream
//! (that is how `--set` / `yaml:processors::batch::timeout: 2s` reaches `processors.batch`).

use crate::node::{Map, Node, Value};

/// The key delimiter of upstream's koanf.
pub const KEY_DELIMITER: &str = "::";

/// Merges `src` into `dst`.
pub fn merge_maps(dst: &mut Map, src: Map) {
    for e in src.entries().iter().cloned() {
        merge_entry(dst, e.key, e.key_mark, e.value);
    }
}

fn merge_entry(dst: &mut Map, key: String, key_mark: Option<crate::Mark>, value: Node) {
    match (dst.get_mut(&key), value) {
        (
            Some(Node {
                value: Value::Map(existing),
                ..
            }),
            Node {
                value: Value::Map(incoming),
                ..
            },
        ) => merge_maps(existing, incoming),
        (_, value) => {
            dst.insert_marked(key, key_mark, value);
        }
    }
}

/// Splits `a::b` keys into nested maps, at every depth. When a split key meets an existing key
/// of the same name, the two are merged with [`merge_maps`] rules, in source order.
pub fn split_delimited_keys(node: Node) -> Node {
    let Node { value, mark, text } = node;
    let value = match value {
        Value::Map(m) => Value::Map(split_map(m)),
        Value::Seq(items) => Value::Seq(items.into_iter().map(split_delimited_keys).collect()),
        other => other,
    };
    Node { value, mark, text }
}

pub fn split_map(m: Map) -> Map {
    let mut out = Map::new();
    for e in m.entries().iter().cloned() {
        let value = split_delimited_keys(e.value);
        if !e.key.contains(KEY_DELIMITER) {
            merge_entry(&mut out, e.key, e.key_mark, value);
            continue;
        }
        let parts: Vec<&str> = e.key.split(KEY_DELIMITER).collect();
        // Build the nested value from the innermost key outwards, then merge it in.
        let mut nested = value;
        for part in parts[1..].iter().rev() {
            let mut inner = Map::new();
            inner.insert_marked(*part, e.key_mark, nested);
            nested = Node::new(Value::Map(inner)).with_mark(e.key_mark);
        }
        merge_entry(&mut out, parts[0].to_string(), e.key_mark, nested);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse;

    fn map(text: &str) -> Map {
        match parse(text).expect("yaml").map(|n| n.value) {
            Some(Value::Map(m)) => m,
            None => Map::new(),
            other => panic!("not a map: {other:?}"),
        }
    }

    #[test]
    fn maps_merge_deeply_and_lists_are_replaced() {
        let mut dst = map("a:\n  b: 1\n  c: [1, 2]\n  d: {x: 1}\ne: keep\n");
        merge_maps(&mut dst, map("a:\n  c: [3]\n  d: {y: 2}\n  f: new\n"));
        let want = map("a:\n  b: 1\n  c: [3]\n  d: {x: 1, y: 2}\n  f: new\ne: keep\n");
        assert_eq!(dst, want);
        // Existing keys keep their place, new keys are appended.
        let keys: Vec<&str> = dst
            .get("a")
            .and_then(Node::as_map)
            .expect("a")
            .keys()
            .collect();
        assert_eq!(keys, ["b", "c", "d", "f"]);
    }

    #[test]
    fn null_erases_an_earlier_map() {
        let mut dst = map("processors:\n  batch: {}\nexporters:\n  debug: {}\n");
        merge_maps(&mut dst, map("processors:\nexporters: {}\n"));
        assert!(dst.get("processors").expect("present").is_null());
        // {} merges (keeps), null erases.
        assert_eq!(dst.get("exporters"), Some(&Node::from(map("debug: {}"))));
    }

    #[test]
    fn scalar_replaces_map_and_map_replaces_scalar() {
        let mut dst = map("a: {b: 1}\nc: 1\n");
        merge_maps(&mut dst, map("a: 2\nc: {d: 1}\n"));
        assert_eq!(dst, map("a: 2\nc: {d: 1}\n"));
    }

    #[test]
    fn delimited_keys_become_nested_maps() {
        let m = split_map(map(
            "processors::batch::timeout: 2s\nx:\n  y::z: 1\n  y:\n    w: 2\n",
        ));
        assert_eq!(
            m,
            map("processors:\n  batch:\n    timeout: 2s\nx:\n  y:\n    z: 1\n    w: 2\n")
        );
    }
}
