//! `debug` configuration (core `exporter/debugexporter/config.go`, `factory.go`).

use component::ComponentConfig;
use helpers::QueueConfig;
use serde::{Deserialize, Deserializer};

/// How much the exporter prints (configtelemetry levels; `none` parses but is refused).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verbosity {
    None,
    Basic,
    Normal,
    Detailed,
}

impl Verbosity {
    /// configtelemetry's `Level.String()`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verbosity::None => "None",
            Verbosity::Basic => "Basic",
            Verbosity::Normal => "Normal",
            Verbosity::Detailed => "Detailed",
        }
    }
}

impl<'de> Deserialize<'de> for Verbosity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        // configtelemetry compares case-insensitively.
        match s.to_ascii_lowercase().as_str() {
            "none" => Ok(Verbosity::None),
            "basic" => Ok(Verbosity::Basic),
            "normal" => Ok(Verbosity::Normal),
            "detailed" => Ok(Verbosity::Detailed),
            _ => Err(serde::de::Error::custom(format!(
                "unknown metrics level \"{s}\""
            ))),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DebugConfig {
    pub verbosity: Verbosity,
    /// Messages logged per second before sampling starts (zap sampler `first`).
    pub sampling_initial: i64,
    /// After that, one message in this many is logged, per second (zap sampler `thereafter`).
    pub sampling_thereafter: i64,
    /// Log through the collector's logger (`tracing`, INFO); otherwise print to `output_paths`.
    pub use_internal_logger: bool,
    /// Where to print when `use_internal_logger` is false: `stdout`, `stderr` or file paths.
    pub output_paths: Option<Vec<String>>,
    pub sending_queue: QueueConfig,
}

impl Default for DebugConfig {
    fn default() -> Self {
        DebugConfig {
            verbosity: Verbosity::Basic,
            sampling_initial: 2,
            sampling_thereafter: 1,
            use_internal_logger: true,
            output_paths: None,
            sending_queue: QueueConfig::default(),
        }
    }
}

impl ComponentConfig for DebugConfig {
    fn validate(&self) -> Result<(), String> {
        if self.verbosity == Verbosity::None {
            return Err(format!(
                "verbosity level \"{}\" is not supported",
                self.verbosity.as_str()
            ));
        }
        if self.use_internal_logger && self.output_paths.is_some() {
            return Err("output_paths is not supported when use_internal_logger is true".into());
        }
        if !self.use_internal_logger && self.output_paths.as_ref().is_some_and(Vec::is_empty) {
            return Err("output_paths must not be empty when use_internal_logger is false".into());
        }
        self.sending_queue.validate()
    }
}
