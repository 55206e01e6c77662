//! `memory_limiter`: refuses data while the collector uses too much memory, so that clients
//! retry instead of the process being killed (upstream core `memorylimiterprocessor`,
//! collector-semantics.md §4, rust-stack.md §1.6).
//!
//! - `config.rs`: keys, defaults, validation, and the limits in bytes.
//! - `total_memory.rs`: the cgroup limit or total memory, for `limit_percentage`.
//! - `source.rs`: jemalloc `stats.allocated` and the resident set size; purging.
//! - `limiter.rs`: the periodic check shared by all pipelines of one id.
//! - `processor.rs`: the per-pipeline consumer and its counters.

pub mod config;
mod limiter;
mod processor;
pub mod source;
#[cfg(test)]
mod tests;
pub mod total_memory;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Weak};

use component::{
    AnyConfig, AnyConsumer, Component, ComponentId, ConfigError, CreateContext, CreateError,
    FactoryInfo, Kind, ProcessorFactory, Signal, Stability,
};
use parking_lot::Mutex;
use pdata::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};

pub use config::{Limits, MemoryLimiterConfig};
pub use limiter::{DATA_REFUSED, MemoryLimiter};
pub use source::{AllocatorMemory, MemorySource, MemoryUsage};

use crate::signal::SignalRequest;
use processor::MemoryLimiterProcessor;

/// Makes `memory_limiter` processors. One limiter (and one measurement task) per processor id,
/// shared by every pipeline that uses the id, as upstream shares it per config.
pub struct MemoryLimiterFactory {
    source: Arc<dyn MemorySource>,
    total_memory: fn() -> Result<u64, String>,
    limiters: Mutex<HashMap<ComponentId, Weak<MemoryLimiter>>>,
}

/// The `memory_limiter` factory, for `components.rs`: measures the allocator and the process.
pub fn factory() -> Arc<dyn ProcessorFactory> {
    Arc::new(MemoryLimiterFactory::new(Arc::new(AllocatorMemory)))
}

fn system_total_memory() -> Result<u64, String> {
    total_memory::total_memory(Path::new("/"))
}

impl MemoryLimiterFactory {
    /// A factory whose limiters measure `source` (tests inject their own).
    pub fn new(source: Arc<dyn MemorySource>) -> Self {
        MemoryLimiterFactory {
            source,
            total_memory: system_total_memory,
            limiters: Mutex::new(HashMap::new()),
        }
    }

    /// Replaces where `limit_percentage` finds the total memory (tests).
    pub fn with_total_memory(mut self, total_memory: fn() -> Result<u64, String>) -> Self {
        self.total_memory = total_memory;
        self
    }

    /// The limiter of `id`: the running one when its config is unchanged (another pipeline, or
    /// the next graph of a reload), otherwise a new one.
    pub fn limiter(
        &self,
        id: &ComponentId,
        config: &MemoryLimiterConfig,
    ) -> Result<Arc<MemoryLimiter>, CreateError> {
        let mut limiters = self.limiters.lock();
        limiters.retain(|_, l| l.strong_count() > 0);
        if let Some(existing) = limiters.get(id).and_then(Weak::upgrade)
            && existing.config == *config
        {
            return Ok(existing);
        }
        let limits = Limits::from_config(config, self.total_memory).map_err(CreateError)?;
        let limiter = Arc::new(MemoryLimiter::new(
            &id.to_string(),
            config,
            limits,
            self.source.clone(),
        ));
        limiters.insert(id.clone(), Arc::downgrade(&limiter));
        Ok(limiter)
    }
}

impl FactoryInfo for MemoryLimiterFactory {
    fn kind(&self) -> Kind {
        "memory_limiter"
    }

    fn decode_config(&self, node: Option<&confmap::Node>) -> Result<AnyConfig, ConfigError> {
        component::config::decode::<MemoryLimiterConfig>(node)
    }
}

impl ProcessorFactory for MemoryLimiterFactory {
    fn stability(&self, _signal: Signal) -> Option<Stability> {
        Some(Stability::Beta)
    }

    fn create(
        &self,
        ctx: CreateContext,
        config: &AnyConfig,
        next: AnyConsumer,
    ) -> Result<(Arc<dyn Component>, AnyConsumer), CreateError> {
        let limiter = self.limiter(&ctx.id, config.get::<MemoryLimiterConfig>())?;
        Ok(match next.signal() {
            Signal::Traces => build::<ExportTraceServiceRequest>(&ctx.id, limiter, next),
            Signal::Metrics => build::<ExportMetricsServiceRequest>(&ctx.id, limiter, next),
            Signal::Logs => build::<ExportLogsServiceRequest>(&ctx.id, limiter, next),
        })
    }
}

fn build<M: SignalRequest>(
    id: &ComponentId,
    limiter: Arc<MemoryLimiter>,
    next: AnyConsumer,
) -> (Arc<dyn Component>, AnyConsumer) {
    let next = M::typed_consumer(next).expect("dispatched on the consumer's own signal");
    let processor = Arc::new(MemoryLimiterProcessor::<M>::new(id, limiter, next));
    (processor.clone(), M::erase_consumer(processor))
}
