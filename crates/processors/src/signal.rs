//! What the processors need to know about each signal, so that one generic implementation serves
//! traces, metrics and logs.

use std::sync::Arc;

use component::{AnyConsumer, Consumer, Signal};
use pdata::payload::Request;
use pdata::{
    ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest, Payload,
};

/// An export request type together with its pipeline signal and consumer plumbing.
pub(crate) trait SignalRequest: Request {
    /// The pipeline signal that carries this request.
    const SIGNAL: Signal;

    /// The typed consumer inside `any`, when `any` is for this signal.
    fn typed_consumer(any: AnyConsumer) -> Option<Arc<dyn Consumer<Payload<Self>>>>;

    /// Erases a typed consumer for the factory interface.
    fn erase_consumer(consumer: Arc<dyn Consumer<Payload<Self>>>) -> AnyConsumer;
}

impl SignalRequest for ExportTraceServiceRequest {
    const SIGNAL: Signal = Signal::Traces;

    fn typed_consumer(any: AnyConsumer) -> Option<Arc<dyn Consumer<Payload<Self>>>> {
        match any {
            AnyConsumer::Traces(c) => Some(c),
            _ => None,
        }
    }

    fn erase_consumer(consumer: Arc<dyn Consumer<Payload<Self>>>) -> AnyConsumer {
        AnyConsumer::Traces(consumer)
    }
}

impl SignalRequest for ExportMetricsServiceRequest {
    const SIGNAL: Signal = Signal::Metrics;

    fn typed_consumer(any: AnyConsumer) -> Option<Arc<dyn Consumer<Payload<Self>>>> {
        match any {
            AnyConsumer::Metrics(c) => Some(c),
            _ => None,
        }
    }

    fn erase_consumer(consumer: Arc<dyn Consumer<Payload<Self>>>) -> AnyConsumer {
        AnyConsumer::Metrics(consumer)
    }
}

impl SignalRequest for ExportLogsServiceRequest {
    const SIGNAL: Signal = Signal::Logs;

    fn typed_consumer(any: AnyConsumer) -> Option<Arc<dyn Consumer<Payload<Self>>>> {
        match any {
            AnyConsumer::Logs(c) => Some(c),
            _ => None,
        }
    }

    fn erase_consumer(consumer: Arc<dyn Consumer<Payload<Self>>>) -> AnyConsumer {
        AnyConsumer::Logs(consumer)
    }
}
