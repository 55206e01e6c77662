//! What a provider returns: a parsed value plus the text it came from.
//!
//! Mirrors upstream's `confmap.Retrieved` / `NewRetrievedFromYAML`: the text is parsed as YAML;
//! if it is not valid YAML, or parses to a string, the value is the raw text itself (so
//! `${env:X}` with `X='"0123"'` yields `"0123"` with its quotes, as upstream does). The raw text
//! is kept as the "string representation" used when the reference is embedded in a longer
//! string or the target field is a string.

use crate::error::ConfmapError;
use crate::node::{Map, Node, Value};

#[derive(Debug, Clone, PartialEq)]
pub struct Retrieved {
    raw: Option<Node>,
    string_repr: Option<String>,
    error_hint: Option<String>,
}

impl Retrieved {
    /// A value without a text form (upstream `NewRetrieved`). `None` is Go's `nil`.
    pub fn new(raw: Option<Node>) -> Self {
        Retrieved {
            raw,
            string_repr: None,
            error_hint: None,
        }
    }

    /// A plain string value.
    pub fn from_string(s: impl Into<String>) -> Self {
        Retrieved::new(Some(Node::new(Value::String(s.into()))))
    }

    /// Parses provider output as YAML (upstream `NewRetrievedFromYAML`). Never fails: text
    /// that is not valid YAML becomes a string, and the parse error is kept as a hint for
    /// [`Retrieved::into_conf`].
    pub fn from_yaml(bytes: &[u8]) -> Self {
        let text = String::from_utf8_lossy(bytes).into_owned();
        match crate::yaml::parse(&text) {
            Err(e) => Retrieved {
                raw: Some(Node::new(Value::String(text.clone()))),
                string_repr: Some(text),
                error_hint: Some(format!(
                    "assuming string type since contents are not valid YAML: {e}"
                )),
            },
            Ok(Some(node)) if matches!(node.value, Value::String(_)) => Retrieved {
                raw: Some(Node::new(Value::String(text.clone()))),
                string_repr: Some(text),
                error_hint: None,
            },
            Ok(raw) => Retrieved {
                raw,
                string_repr: Some(text),
                error_hint: None,
            },
        }
    }

    /// The parsed value; `None` is nil (an empty document, an unset variable).
    pub fn raw(&self) -> Option<&Node> {
        self.raw.as_ref()
    }

    /// The text form (upstream `AsString`).
    pub fn as_string(&self) -> Result<String, ConfmapError> {
        if let Some(s) = &self.string_repr {
            return Ok(s.clone());
        }
        match &self.raw {
            Some(Node {
                value: Value::String(s),
                ..
            }) => Ok(s.clone()),
            Some(n) => Err(ConfmapError::new(format!(
                "retrieved value does not have unambiguous string representation: {n}"
            ))),
            None => Err(ConfmapError::new(
                "retrieved value does not have unambiguous string representation: <nil>",
            )),
        }
    }

    /// The value as a config map (upstream `AsConf`): nil is an empty map, anything but a map
    /// is an error.
    pub fn into_conf(self) -> Result<Map, ConfmapError> {
        match self.raw {
            None => Ok(Map::new()),
            Some(Node {
                value: Value::Map(m),
                ..
            }) => Ok(m),
            Some(other) => {
                let mut msg = format!(
                    "retrieved value (type={}) cannot be used as a Conf",
                    other.go_type()
                );
                if let Some(hint) = self.error_hint {
                    msg = format!("{msg}: {hint}");
                }
                Err(ConfmapError::new(msg))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_keep_raw_text() {
        let r = Retrieved::from_yaml(b"\"0123\"");
        assert_eq!(r.raw(), Some(&Node::from("\"0123\"")));
        let r = Retrieved::from_yaml(b"!!str 0123");
        assert_eq!(r.raw(), Some(&Node::from("!!str 0123")));
    }

    #[test]
    fn typed_values_keep_text_form() {
        let r = Retrieved::from_yaml(b"0123");
        assert_eq!(r.raw(), Some(&Node::from(83)));
        assert_eq!(r.as_string().expect("text"), "0123");
    }

    #[test]
    fn invalid_yaml_is_a_string_with_a_hint() {
        let r = Retrieved::from_yaml(b"[\"a\",");
        assert_eq!(r.raw(), Some(&Node::from("[\"a\",")));
        let err = r.into_conf().unwrap_err();
        assert!(
            err.message().starts_with(
                "retrieved value (type=string) cannot be used as a Conf: assuming string type since contents are not valid YAML: yaml: line"
            ),
            "{err}"
        );
    }

    #[test]
    fn empty_is_nil_and_an_empty_conf() {
        let r = Retrieved::from_yaml(b"");
        assert_eq!(r.raw(), None);
        assert_eq!(r.as_string().expect("text"), "");
        assert!(r.into_conf().expect("conf").is_empty());
    }

    #[test]
    fn non_map_is_not_a_conf() {
        let err = Retrieved::from_yaml(b"[1, 2]").into_conf().unwrap_err();
        assert_eq!(
            err.to_string(),
            "retrieved value (type=[]interface {}) cannot be used as a Conf"
        );
        assert!(
            Retrieved::new(Some(Node::from(vec![])))
                .as_string()
                .is_err()
        );
    }
}
