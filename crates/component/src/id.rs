//! Identifiers: component ids `type[/name]`, pipeline ids `signal[/name]`, signals and stability
//! levels, validated with upstream's rules and error strings (collector-semantics.md §1.1–1.2).

use std::fmt;
use std::sync::LazyLock;

use regex::Regex;

/// Which of the three kinds of telemetry data a pipeline carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Signal {
    Traces,
    Metrics,
    Logs,
}

impl Signal {
    pub const ALL: [Signal; 3] = [Signal::Traces, Signal::Metrics, Signal::Logs];

    /// The name used in pipeline ids and config (`traces`, `metrics`, `logs`).
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::Traces => "traces",
            Signal::Metrics => "metrics",
            Signal::Logs => "logs",
        }
    }

    /// The item the signal counts in self-metrics (`spans`, `metric_points`, `log_records`).
    pub fn item_name(self) -> &'static str {
        match self {
            Signal::Traces => "spans",
            Signal::Metrics => "metric_points",
            Signal::Logs => "log_records",
        }
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How mature a component is for one signal, as `ferrocol components` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stability {
    Development,
    Alpha,
    Beta,
    Stable,
    Deprecated,
}

impl Stability {
    pub fn as_str(self) -> &'static str {
        match self {
            Stability::Development => "Development",
            Stability::Alpha => "Alpha",
            Stability::Beta => "Beta",
            Stability::Stable => "Stable",
            Stability::Deprecated => "Deprecated",
        }
    }
}

/// A component type such as `otlp` or `batch`.
pub type Kind = &'static str;

/// The id of a configured component: `type[/name]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ComponentId {
    ty: String,
    name: Option<String>,
}

/// Why a string is not a valid id. Messages are upstream's.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("id must not be empty")]
    Empty,
    #[error("in \"{0}\" id: the part after / should not be empty")]
    EmptyName(String),
    #[error("invalid character(s) in type \"{0}\"")]
    InvalidType(String),
    #[error("invalid character(s) in name \"{0}\"")]
    InvalidName(String),
    #[error("name \"{0}\" is longer than 1024 characters")]
    NameTooLong(String),
    #[error("unknown pipeline signal: \"{0}\"")]
    UnknownSignal(String),
}

static TYPE_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-zA-Z][0-9a-zA-Z_]{0,62}$").expect("static regex"));
// Letters, marks, numbers and punctuation: anything but separators (Z), control/other (C) and
// symbols (S), as upstream's name rule.
static NAME_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[^\pZ\pC\pS]+$").expect("static regex"));

impl ComponentId {
    /// Parses `type[/name]`. Whitespace around the parts is trimmed as upstream does.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let (ty, name) = match s.split_once('/') {
            Some((t, n)) => (t.trim(), Some(n.trim())),
            None => (s.trim(), None),
        };
        if ty.is_empty() {
            return Err(IdError::Empty);
        }
        if !TYPE_RE.is_match(ty) {
            return Err(IdError::InvalidType(ty.to_string()));
        }
        let name = match name {
            None => None,
            Some("") => return Err(IdError::EmptyName(s.to_string())),
            Some(n) if n.chars().count() > 1024 => {
                return Err(IdError::NameTooLong(n.to_string()));
            }
            Some(n) if !NAME_RE.is_match(n) => return Err(IdError::InvalidName(n.to_string())),
            Some(n) => Some(n.to_string()),
        };
        Ok(ComponentId {
            ty: ty.to_string(),
            name,
        })
    }

    /// An id from a type and optional name already known to be valid.
    pub fn new(ty: &str, name: Option<&str>) -> Self {
        ComponentId {
            ty: ty.to_string(),
            name: name.map(str::to_string),
        }
    }

    /// The component type.
    pub fn ty(&self) -> &str {
        &self.ty
    }

    /// The part after `/`, if any.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The same id with another type: used when a deprecated alias resolves to its new type.
    pub fn with_type(&self, ty: &str) -> Self {
        ComponentId {
            ty: ty.to_string(),
            name: self.name.clone(),
        }
    }
}

impl fmt::Display for ComponentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(n) => write!(f, "{}/{}", self.ty, n),
            None => f.write_str(&self.ty),
        }
    }
}

/// The id of a pipeline: `traces|metrics|logs[/name]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PipelineId {
    pub signal: Signal,
    name: Option<String>,
}

impl PipelineId {
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let (sig, name) = match s.split_once('/') {
            Some((t, n)) => (t.trim(), Some(n.trim())),
            None => (s.trim(), None),
        };
        if sig.is_empty() {
            return Err(IdError::Empty);
        }
        let signal = match sig {
            "traces" => Signal::Traces,
            "metrics" => Signal::Metrics,
            "logs" => Signal::Logs,
            other => return Err(IdError::UnknownSignal(other.to_string())),
        };
        let name = match name {
            None => None,
            Some("") => return Err(IdError::EmptyName(s.to_string())),
            Some(n) if !NAME_RE.is_match(n) => return Err(IdError::InvalidName(n.to_string())),
            Some(n) => Some(n.to_string()),
        };
        Ok(PipelineId { signal, name })
    }

    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
}

impl fmt::Display for PipelineId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(n) => write!(f, "{}/{}", self.signal, n),
            None => f.write_str(self.signal.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn component_ids() {
        let id = ComponentId::parse("otlp/2").unwrap();
        assert_eq!((id.ty(), id.name()), ("otlp", Some("2")));
        assert_eq!(id.to_string(), "otlp/2");
        assert_eq!(ComponentId::parse("batch").unwrap().name(), None);
        assert_eq!(
            ComponentId::parse("batch/ traces ").unwrap().to_string(),
            "batch/traces"
        );
        for (input, err) in [
            ("", "id must not be empty"),
            ("/x", "id must not be empty"),
            ("x/", "in \"x/\" id: the part after / should not be empty"),
            ("1abc", "invalid character(s) in type \"1abc\""),
            ("a-b", "invalid character(s) in type \"a-b\""),
            ("a/b c", "invalid character(s) in name \"b c\""),
            ("a/b$", "invalid character(s) in name \"b$\""),
        ] {
            assert_eq!(
                ComponentId::parse(input).unwrap_err().to_string(),
                err,
                "{input}"
            );
        }
        assert!(ComponentId::parse(&format!("a{}", "b".repeat(62))).is_ok());
        assert!(ComponentId::parse(&format!("a{}", "b".repeat(63))).is_err());
        assert!(ComponentId::parse("x/名前.v1-2_3").is_ok());
    }

    #[test]
    fn pipeline_ids() {
        let p = PipelineId::parse("traces/agent").unwrap();
        assert_eq!((p.signal, p.name()), (Signal::Traces, Some("agent")));
        assert_eq!(PipelineId::parse("logs").unwrap().to_string(), "logs");
        assert_eq!(
            PipelineId::parse("foo").unwrap_err().to_string(),
            "unknown pipeline signal: \"foo\""
        );
        assert_eq!(
            PipelineId::parse("profiles/x").unwrap_err().to_string(),
            "unknown pipeline signal: \"profiles\""
        );
    }
}
