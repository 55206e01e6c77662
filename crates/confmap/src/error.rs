//! The error type of resolution (providers, merge, expansion).
//!
//! Messages are upstream's (confmap `resolver.go`, `expand.go`, `provider.go` and the core
//! providers), so that users and scripts see what the Go collector prints. When an error
//! belongs to a place in the config (an expansion inside `receivers::otlp::endpoint`), we add
//! ` (at receivers::otlp::endpoint, line 12)` after upstream's text; the text itself is
//! unchanged, so searching for upstream's wording still finds it.

use std::fmt;

/// An error while resolving a configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfmapError {
    message: String,
    path: Vec<String>,
    line: Option<usize>,
}

impl ConfmapError {
    pub fn new(message: impl Into<String>) -> Self {
        ConfmapError {
            message: message.into(),
            path: Vec::new(),
            line: None,
        }
    }

    /// Prefixes the message, Go `fmt.Errorf("context: %w", err)` style.
    pub fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }

    /// Records where in the config the error happened, unless already recorded.
    pub fn at(mut self, path: &[String], line: Option<usize>) -> Self {
        if self.path.is_empty() {
            self.path = path.to_vec();
            self.line = line;
        }
        self
    }

    /// Upstream's message, without our location suffix.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Config path (map keys, list indexes) of the value that failed, if any.
    pub fn path(&self) -> &[String] {
        &self.path
    }

    pub fn line(&self) -> Option<usize> {
        self.line
    }
}

impl fmt::Display for ConfmapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if !self.path.is_empty() {
            write!(f, " (at {}", self.path.join("::"))?;
            if let Some(line) = self.line {
                write!(f, ", line {line}")?;
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfmapError {}

impl From<crate::yaml::YamlError> for ConfmapError {
    fn from(e: crate::yaml::YamlError) -> Self {
        ConfmapError {
            message: e.message,
            path: Vec::new(),
            line: e.line,
        }
    }
}
