//! The memory_limiter processor of one pipeline: refuses data while its shared limiter says so,
//! otherwise hands it on unchanged.

use std::sync::Arc;
use std::time::Instant;

use component::{
    BoxFuture, Component, ComponentId, ConsumeError, Consumer, Host, Signal, StartError,
};
use pdata::Payload;
use telemetry::metrics::{Counter, global};

use super::limiter::{DATA_REFUSED, MemoryLimiter};
use crate::signal::SignalRequest;

pub(crate) struct MemoryLimiterProcessor<M: SignalRequest> {
    limiter: Arc<MemoryLimiter>,
    next: Arc<dyn Consumer<Payload<M>>>,
    accepted: Counter,
    refused: Counter,
}

/// A counter's name and help text.
type Instrument = (&'static str, &'static str);

/// `otelcol_processor_memory_limiter_{accepted,refused}_<items>` for a signal, with upstream's
/// descriptions (`processor/memorylimiterprocessor/documentation.md`).
fn instruments(signal: Signal) -> (Instrument, Instrument) {
    match signal {
        Signal::Traces => (
            (
                "otelcol_processor_memory_limiter_accepted_spans",
                "Number of spans successfully pushed into the next component in the pipeline.",
            ),
            (
                "otelcol_processor_memory_limiter_refused_spans",
                "Number of spans that were rejected by the next component in the pipeline.",
            ),
        ),
        Signal::Metrics => (
            (
                "otelcol_processor_memory_limiter_accepted_metric_points",
                "Number of metric points successfully pushed into the next component in the pipeline.",
            ),
            (
                "otelcol_processor_memory_limiter_refused_metric_points",
                "Number of metric points that were rejected by the next component in the pipeline.",
            ),
        ),
        Signal::Logs => (
            (
                "otelcol_processor_memory_limiter_accepted_log_records",
                "Number of log records successfully pushed into the next component in the pipeline.",
            ),
            (
                "otelcol_processor_memory_limiter_refused_log_records",
                "Number of log records that were rejected by the next component in the pipeline.",
            ),
        ),
    }
}

impl<M: SignalRequest> MemoryLimiterProcessor<M> {
    pub(crate) fn new(
        id: &ComponentId,
        limiter: Arc<MemoryLimiter>,
        next: Arc<dyn Consumer<Payload<M>>>,
    ) -> Self {
        let ((accepted, accepted_help), (refused, refused_help)) = instruments(M::SIGNAL);
        let labels = || vec![("processor", id.to_string())];
        MemoryLimiterProcessor {
            limiter,
            next,
            accepted: global().counter(accepted, accepted_help, labels()),
            refused: global().counter(refused, refused_help, labels()),
        }
    }

    async fn process(&self, data: Payload<M>) -> Result<(), ConsumeError> {
        // otelcol_processor_incoming/outgoing_items are counted by the graph around every
        // processor; only the limiter's own accepted/refused counts are kept here.
        let items = data.items() as u64;
        if !self.limiter.admit(data.encoded_len() as u64) {
            self.refused.add(items);
            return Err(ConsumeError::retryable(DATA_REFUSED));
        }
        // Counted as accepted even if the next component then fails, as upstream.
        self.accepted.add(items);
        self.next.consume(data).await
    }
}

impl<M: SignalRequest> Consumer<Payload<M>> for MemoryLimiterProcessor<M> {
    fn consume(&self, data: Payload<M>) -> BoxFuture<'_, Result<(), ConsumeError>> {
        Box::pin(self.process(data))
    }
}

impl<M: SignalRequest> Component for MemoryLimiterProcessor<M> {
    fn start<'a>(&'a self, _host: &'a Host) -> BoxFuture<'a, Result<(), StartError>> {
        Box::pin(async move {
            self.limiter.start();
            Ok(())
        })
    }

    fn shutdown(&self, _deadline: Instant) -> BoxFuture<'_, ()> {
        // Stopping the measurement task is immediate; there is nothing to drain.
        Box::pin(self.limiter.shutdown())
    }
}
