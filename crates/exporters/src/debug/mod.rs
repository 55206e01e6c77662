//! `debug` (core `exporter/debugexporter`, alpha): prints what it receives — counts at `basic`,
//! one line per item at `normal`, everything at `detailed` — in upstream's text formats.

mod config;
mod counts;
mod detailed;
mod exporter;
mod gofmt;
mod normal;
mod sampler;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use component::{
    AnyConfig, ConfigError, CreateContext, CreateError, Exporter, ExporterFactory, FactoryInfo,
    Kind, Signal, Stability,
};
use helpers::RetryConfig;

pub use config::{DebugConfig, Verbosity};

use crate::shared::helped::{self, Backend, HelperSettings, Senders};

pub struct DebugFactory;

impl FactoryInfo for DebugFactory {
    fn kind(&self) -> Kind {
        "debug"
    }

    fn decode_config(&self, node: Option<&confmap::Node>) -> Result<AnyConfig, ConfigError> {
        component::config::decode::<DebugConfig>(node)
    }
}

/// Nothing to connect or close: output goes to the logger or to writers flushed per line.
struct NoBackend;
impl Backend for NoBackend {}

impl ExporterFactory for DebugFactory {
    fn stability(&self, _signal: Signal) -> Option<Stability> {
        Some(Stability::Alpha)
    }

    fn create(
        &self,
        ctx: CreateContext,
        config: &AnyConfig,
        signals: &[Signal],
    ) -> Result<Exporter, CreateError> {
        let config: &DebugConfig = config.get();
        let printer = exporter::Printer::new(ctx.id.to_string(), config).map_err(CreateError)?;
        let sender = Arc::new(exporter::DebugSender {
            printer: Arc::new(printer),
        });
        // Upstream: no timeout, no retry, the configured queue.
        let settings = HelperSettings {
            timeout: Duration::ZERO,
            queue: config.sending_queue.clone(),
            retry: RetryConfig {
                enabled: false,
                ..RetryConfig::default()
            },
        };
        helped::build(
            &ctx.id,
            settings,
            Senders::all(sender, signals),
            Arc::new(NoBackend),
        )
    }
}
