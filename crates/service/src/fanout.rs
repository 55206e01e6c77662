//! Fan-out: one output feeding several consumers, as upstream's fanoutconsumer. Consumers are
//! called one after the other and their errors combined for the caller.
//!
//! Upstream clones the data for every mutating consumer but the last. A [`Payload`] clone shares
//! the bytes or message behind an `Arc`, and `make_mut` copies only while it is shared, so giving
//! every consumer a clone has the same effect: a mutating consumer pays for a copy only when
//! another consumer still holds the data, and read-only consumers never copy.

use std::sync::Arc;

use component::{AnyConsumer, BoxFuture, ConsumeError, Consumer};
use pdata::payload::{Payload, Request};

/// A consumer of one signal's payloads.
type ConsumerOf<M> = Arc<dyn Consumer<Payload<M>>>;

pub struct Fanout<M: Request> {
    consumers: Vec<ConsumerOf<M>>,
}

impl<M: Request> Consumer<Payload<M>> for Fanout<M> {
    fn mutates_data(&self) -> bool {
        false
    }

    fn consume(&self, data: Payload<M>) -> BoxFuture<'_, Result<(), ConsumeError>> {
        Box::pin(async move {
            let mut errors = Vec::new();
            let last = self.consumers.len().saturating_sub(1);
            let mut data = Some(data);
            for (i, c) in self.consumers.iter().enumerate() {
                let item = if i == last {
                    data.take().expect("the last consumer takes the original")
                } else {
                    data.clone().expect("present until the last consumer")
                };
                if let Err(e) = c.consume(item).await {
                    errors.push(e);
                }
            }
            ConsumeError::combine(errors).map_or(Ok(()), Err)
        })
    }
}

/// One consumer for several: the consumer itself when there is one, a [`Fanout`] otherwise.
/// All consumers must carry the same signal; the graph builder guarantees it.
pub fn fanout(consumers: Vec<AnyConsumer>) -> AnyConsumer {
    fn collect<M: Request>(
        list: Vec<AnyConsumer>,
        pick: fn(AnyConsumer) -> Option<ConsumerOf<M>>,
    ) -> ConsumerOf<M> {
        let mut consumers: Vec<_> = list.into_iter().filter_map(pick).collect();
        if consumers.len() == 1 {
            return consumers.remove(0);
        }
        Arc::new(Fanout { consumers })
    }
    match consumers.first() {
        Some(AnyConsumer::Traces(_)) | None => {
            AnyConsumer::Traces(collect(consumers, |c| match c {
                AnyConsumer::Traces(t) => Some(t),
                _ => None,
            }))
        }
        Some(AnyConsumer::Metrics(_)) => AnyConsumer::Metrics(collect(consumers, |c| match c {
            AnyConsumer::Metrics(t) => Some(t),
            _ => None,
        })),
        Some(AnyConsumer::Logs(_)) => AnyConsumer::Logs(collect(consumers, |c| match c {
            AnyConsumer::Logs(t) => Some(t),
            _ => None,
        })),
    }
}
