//! `env:NAME` and `env:NAME:-default` (upstream `envprovider`).
//!
//! The default applies only when the variable is unset; set-but-empty yields an empty value.
//! An unset variable without default is nil and logs a warning. The value is parsed as YAML.
//! The environment is read through an [`EnvLookup`] so tests need not mutate the process
//! environment (which is `unsafe` in edition 2024).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use regex::Regex;

use super::{BoxFuture, Provider, strip_scheme};
use crate::error::ConfmapError;
use crate::retrieved::Retrieved;

/// Valid variable names, upstream's `envvar.ValidationPattern`.
pub const ENV_NAME_PATTERN: &str = "^[a-zA-Z_][a-zA-Z0-9_]*$";
static ENV_NAME_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(ENV_NAME_PATTERN).expect("constant regex"));

/// Reads one variable; `None` means unset.
pub type EnvLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

#[derive(Clone)]
pub struct EnvProvider {
    lookup: EnvLookup,
}

impl std::fmt::Debug for EnvProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EnvProvider")
    }
}

impl EnvProvider {
    /// Reads the process environment (values that are not UTF-8 are converted lossily).
    pub fn from_process() -> Self {
        EnvProvider {
            lookup: Arc::new(|name| {
                std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
            }),
        }
    }

    /// Reads a fixed set of variables (tests, or an environment captured elsewhere).
    pub fn from_map<K: Into<String>, V: Into<String>>(
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        let vars: HashMap<String, String> = vars
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        EnvProvider {
            lookup: Arc::new(move |name| vars.get(name).cloned()),
        }
    }

    pub fn from_lookup(lookup: EnvLookup) -> Self {
        EnvProvider { lookup }
    }

    fn retrieve_now(&self, uri: &str) -> Result<Retrieved, ConfmapError> {
        let rest = strip_scheme(uri, "env")?;
        let (name, default) = match rest.split_once(":-") {
            Some((n, d)) => (n, Some(d)),
            None => (rest, None),
        };
        if !ENV_NAME_RE.is_match(name) {
            return Err(ConfmapError::new(format!(
                "environment variable {} has invalid name: must match regex {ENV_NAME_PATTERN}",
                crate::yaml::go_quote(name)
            )));
        }
        let value = match ((self.lookup)(name), default) {
            (Some(v), _) => {
                if v.is_empty() {
                    tracing::info!(name, "Configuration references empty environment variable");
                }
                v
            }
            (None, Some("")) => return Ok(Retrieved::from_string("")),
            (None, Some(d)) => d.to_string(),
            (None, None) => {
                tracing::warn!(name, "Configuration references unset environment variable");
                String::new()
            }
        };
        Ok(Retrieved::from_yaml(value.as_bytes()))
    }
}

impl Provider for EnvProvider {
    fn scheme(&self) -> &str {
        "env"
    }

    fn retrieve<'a>(&'a self, uri: &'a str) -> BoxFuture<'a, Result<Retrieved, ConfmapError>> {
        Box::pin(async move { self.retrieve_now(uri) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Node;

    fn env() -> EnvProvider {
        EnvProvider::from_map([("PORT", "4317"), ("EMPTY", ""), ("NAME", "otlp")])
    }

    #[test]
    fn values_are_yaml() {
        let r = env().retrieve_now("env:PORT").expect("ok");
        assert_eq!(r.raw(), Some(&Node::from(4317)));
        assert_eq!(r.as_string().expect("s"), "4317");
    }

    #[test]
    fn default_only_when_unset() {
        let e = env();
        assert_eq!(
            e.retrieve_now("env:EMPTY:-foo")
                .expect("ok")
                .as_string()
                .expect("s"),
            ""
        );
        assert_eq!(e.retrieve_now("env:EMPTY:-foo").expect("ok").raw(), None);
        let r = e.retrieve_now("env:MISSING:-foo").expect("ok");
        assert_eq!(r.raw(), Some(&Node::from("foo")));
        let r = e.retrieve_now("env:MISSING:-").expect("ok");
        assert_eq!(r.raw(), Some(&Node::from("")));
        let r = e.retrieve_now("env:MISSING:-a:-b").expect("ok");
        assert_eq!(r.raw(), Some(&Node::from("a:-b")));
    }

    #[test]
    fn unset_without_default_is_nil() {
        let r = env().retrieve_now("env:MISSING").expect("ok");
        assert_eq!(r.raw(), None);
        assert_eq!(r.as_string().expect("s"), "");
    }

    #[test]
    fn invalid_names() {
        let err = env().retrieve_now("env:hello.world").unwrap_err();
        assert_eq!(
            err.to_string(),
            "environment variable \"hello.world\" has invalid name: must match regex ^[a-zA-Z_][a-zA-Z0-9_]*$"
        );
        assert!(env().retrieve_now("env:1ABC").is_err());
        assert!(env().retrieve_now("env:").is_err());
    }
}
