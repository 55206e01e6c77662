//! `service.telemetry.logs`: the collector's own log output.

use std::collections::BTreeMap;

use serde::Deserialize;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::reload;
use tracing_subscriber::util::SubscriberInitExt;

/// Upstream's `service::telemetry::logs` keys. `level`, `encoding`, `initial_fields` and the first
/// of `output_paths` (`stderr`, `stdout` or a file) are honoured; zap's `development`,
/// `disable_caller`, `disable_stacktrace` and `sampling` are accepted so existing configs load, and
/// change nothing (we print no stack traces and never sample away log lines). OTel log
/// `processors` are not supported and rejected as an unknown key.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LogsConfig {
    pub level: Level,
    pub development: bool,
    pub encoding: Encoding,
    pub disable_caller: bool,
    pub disable_stacktrace: bool,
    pub sampling: Option<SamplingConfig>,
    pub output_paths: Vec<String>,
    pub error_output_paths: Vec<String>,
    pub initial_fields: BTreeMap<String, serde_json::Value>,
    pub disable_zap_resource: bool,
}

/// Zap's log sampling settings; kept for compatibility.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct SamplingConfig {
    pub enabled: bool,
    pub tick: String,
    pub initial: u64,
    pub thereafter: u64,
}

impl Default for SamplingConfig {
    fn default() -> Self {
        SamplingConfig {
            enabled: true,
            tick: "10s".into(),
            initial: 10,
            thereafter: 100,
        }
    }
}

impl Default for LogsConfig {
    fn default() -> Self {
        LogsConfig {
            level: Level::Info,
            development: false,
            encoding: Encoding::Console,
            disable_caller: false,
            disable_stacktrace: false,
            sampling: None,
            output_paths: vec!["stderr".into()],
            error_output_paths: vec!["stderr".into()],
            initial_fields: BTreeMap::new(),
            disable_zap_resource: false,
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Debug,
    Info,
    Warn,
    Error,
    Dpanic,
    Panic,
    Fatal,
}

impl Level {
    fn filter(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            _ => "error",
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    Console,
    Json,
}

/// Handle to change the log level of a running collector (on reload).
pub struct LogHandle {
    filter: reload::Handle<EnvFilter, tracing_subscriber::Registry>,
}

impl LogHandle {
    /// Applies a new level; the encoding and output stay as they were at start (upstream
    /// rebuilds its logger on reload; changing the output of a running process is rarely wanted).
    pub fn set_level(&self, level: Level) {
        let _ = self.filter.modify(|f| *f = filter_for(level));
    }
}

fn filter_for(level: Level) -> EnvFilter {
    // RUST_LOG, when set, refines the configured level (useful when debugging one module).
    let base = level.filter();
    match std::env::var("RUST_LOG") {
        Ok(extra) if !extra.is_empty() => EnvFilter::new(format!("{base},{extra}")),
        _ => EnvFilter::new(base),
    }
}

/// Installs the process-wide logger. Called once, before the config is known (with defaults),
/// so that config errors are logged; [`LogHandle::set_level`] applies the configured level later.
pub fn init(config: &LogsConfig) -> Result<LogHandle, String> {
    let (filter, handle) = reload::Layer::new(filter_for(config.level));
    let writer = crate::format::Output::open(config.output_paths.first().map(String::as_str))?;
    let fmt = tracing_subscriber::fmt::layer()
        .event_format(crate::format::ZapFormat::new(
            config.encoding,
            config.initial_fields.clone(),
        ))
        .with_writer(writer);
    tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .try_init()
        .map_err(|e| e.to_string())?;
    Ok(LogHandle { filter: handle })
}
