//! Counting wrappers the graph puts around every processor, so that each one reports
//! `otelcol_processor_incoming_items` and `outgoing_items` without writing a line for it.

use std::sync::Arc;

use component::{AnyConsumer, BoxFuture, ConsumeError, Consumer};
use pdata::payload::{Payload, Request};
use telemetry::metrics::Counter;

struct Counting<M: Request> {
    counter: Counter,
    inner: Arc<dyn Consumer<Payload<M>>>,
}

impl<M: Request> Consumer<Payload<M>> for Counting<M> {
    fn mutates_data(&self) -> bool {
        self.inner.mutates_data()
    }

    fn consume(&self, data: Payload<M>) -> BoxFuture<'_, Result<(), ConsumeError>> {
        self.counter.add(data.items() as u64);
        self.inner.consume(data)
    }
}

/// `consumer`, counting every item that passes into `counter`.
pub fn counting(counter: Counter, consumer: AnyConsumer) -> AnyConsumer {
    match consumer {
        AnyConsumer::Traces(inner) => AnyConsumer::Traces(Arc::new(Counting { counter, inner })),
        AnyConsumer::Metrics(inner) => AnyConsumer::Metrics(Arc::new(Counting { counter, inner })),
        AnyConsumer::Logs(inner) => AnyConsumer::Logs(Arc::new(Counting { counter, inner })),
    }
}
