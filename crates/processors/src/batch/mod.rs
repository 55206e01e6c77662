//! `batch`: groups requests into larger ones before the next component (upstream core
//! `batchprocessor`, collector-semantics.md §4).
//!
//! - `config.rs`: keys, defaults and validation.
//! - `processor.rs`: one batcher per metadata value combination; `consume` returns once the
//!   batcher has the data.
//! - `batcher.rs`: the batcher task (size trigger, timeout, shutdown flush).
//! - `pending.rs`: merging and cutting encoded requests without decoding them.
//! - cutting requests by items (the one decode batch may do) is [`pdata::split`], shared with
//!   the exporter helper's queue batching.
//! - `telemetry.rs`: `otelcol_processor_batch_*`.

mod batcher;
pub mod config;
mod pending;
mod processor;
mod telemetry;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use component::{
    AnyConfig, AnyConsumer, Component, ConfigError, CreateContext, CreateError, FactoryInfo, Kind,
    ProcessorFactory, Signal, Stability,
};
use pdata::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};

pub use config::BatchConfig;
pub use pdata::split::SplitItems;
pub use pending::PendingBatch;
pub use processor::TOO_MANY_BATCHERS;

use crate::signal::SignalRequest;
use processor::BatchProcessor;

/// Makes `batch` processors.
pub struct BatchFactory;

/// The `batch` factory, for `components.rs`.
pub fn factory() -> Arc<dyn ProcessorFactory> {
    Arc::new(BatchFactory)
}

impl FactoryInfo for BatchFactory {
    fn kind(&self) -> Kind {
        "batch"
    }

    fn decode_config(&self, node: Option<&confmap::Node>) -> Result<AnyConfig, ConfigError> {
        component::config::decode::<BatchConfig>(node)
    }
}

impl ProcessorFactory for BatchFactory {
    fn stability(&self, _signal: Signal) -> Option<Stability> {
        Some(Stability::Beta)
    }

    fn create(
        &self,
        ctx: CreateContext,
        config: &AnyConfig,
        next: AnyConsumer,
    ) -> Result<(Arc<dyn Component>, AnyConsumer), CreateError> {
        let config = config.get::<BatchConfig>();
        Ok(match next.signal() {
            Signal::Traces => build::<ExportTraceServiceRequest>(&ctx, config, next),
            Signal::Metrics => build::<ExportMetricsServiceRequest>(&ctx, config, next),
            Signal::Logs => build::<ExportLogsServiceRequest>(&ctx, config, next),
        })
    }
}

fn build<M: SignalRequest + SplitItems>(
    ctx: &CreateContext,
    config: &BatchConfig,
    next: AnyConsumer,
) -> (Arc<dyn Component>, AnyConsumer) {
    let next = M::typed_consumer(next).expect("dispatched on the consumer's own signal");
    let processor = Arc::new(BatchProcessor::<M>::new(&ctx.id, config, next));
    (processor.clone(), M::erase_consumer(processor))
}
