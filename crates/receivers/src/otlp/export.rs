//! What both transports do with a request once its bytes are in hand: validate (protobuf) or
//! decode (JSON) it, hand it to the signal's pipeline and count the outcome — the equivalent of
//! upstream's `internal/{trace,metrics,logs}.Receiver.Export`.

use std::sync::Arc;

use bytes::Bytes;
use component::{ConsumeError, Consumer, ReceiverConsumers, Signal};
use pdata::payload::Request;
use pdata::{Payload, RequestMeta};
use prost::Message;
use telemetry::obs::ReceiverObs;

/// The signal a route serves.
pub(crate) fn service_name(signal: Signal) -> &'static str {
    match signal {
        Signal::Traces => "opentelemetry.proto.collector.trace.v1.TraceService",
        Signal::Metrics => "opentelemetry.proto.collector.metrics.v1.MetricsService",
        Signal::Logs => "opentelemetry.proto.collector.logs.v1.LogsService",
    }
}

/// Why an export failed.
#[derive(Debug)]
pub(crate) enum ExportError {
    /// The request could not be read: malformed protobuf or JSON. Never reached the pipeline.
    Decode(String),
    /// The pipeline refused it.
    Pipeline(ConsumeError),
}

/// The consumers of one receiver, with its counters for one transport.
#[derive(Clone)]
pub(crate) struct Exporter {
    consumers: ReceiverConsumers,
    obs: ReceiverObs,
}

impl Exporter {
    pub fn new(consumers: ReceiverConsumers, obs: ReceiverObs) -> Self {
        Exporter { consumers, obs }
    }

    /// Whether a pipeline takes this signal from the receiver.
    pub fn serves(&self, signal: Signal) -> bool {
        match signal {
            Signal::Traces => self.consumers.traces.is_some(),
            Signal::Metrics => self.consumers.metrics.is_some(),
            Signal::Logs => self.consumers.logs.is_some(),
        }
    }

    /// Protobuf bytes, validated without decoding and forwarded as they are.
    pub async fn export_proto(
        &self,
        signal: Signal,
        bytes: Bytes,
        meta: RequestMeta,
    ) -> Result<(), ExportError> {
        match signal {
            Signal::Traces => {
                self.proto(&self.consumers.traces, signal, bytes, meta)
                    .await
            }
            Signal::Metrics => {
                self.proto(&self.consumers.metrics, signal, bytes, meta)
                    .await
            }
            Signal::Logs => self.proto(&self.consumers.logs, signal, bytes, meta).await,
        }
    }

    /// OTLP/JSON, decoded with the Go-compatible codec.
    pub async fn export_json(
        &self,
        signal: Signal,
        body: &[u8],
        meta: RequestMeta,
    ) -> Result<(), ExportError> {
        let decode_err = |e: pdata::json::JsonError| ExportError::Decode(e.to_string());
        match signal {
            Signal::Traces => {
                let m = pdata::json::decode_traces(body).map_err(decode_err)?;
                self.deliver(
                    &self.consumers.traces,
                    signal,
                    Payload::from_message(m, meta),
                )
                .await
            }
            Signal::Metrics => {
                let m = pdata::json::decode_metrics(body).map_err(decode_err)?;
                self.deliver(
                    &self.consumers.metrics,
                    signal,
                    Payload::from_message(m, meta),
                )
                .await
            }
            Signal::Logs => {
                let m = pdata::json::decode_logs(body).map_err(decode_err)?;
                self.deliver(&self.consumers.logs, signal, Payload::from_message(m, meta))
                    .await
            }
        }
    }

    async fn proto<M: Request>(
        &self,
        consumer: &Option<Arc<dyn Consumer<Payload<M>>>>,
        signal: Signal,
        bytes: Bytes,
        meta: RequestMeta,
    ) -> Result<(), ExportError> {
        let payload = Payload::<M>::from_bytes(bytes, meta)
            .map_err(|e| ExportError::Decode(e.to_string()))?;
        self.deliver(consumer, signal, payload).await
    }

    async fn deliver<M: Request>(
        &self,
        consumer: &Option<Arc<dyn Consumer<Payload<M>>>>,
        signal: Signal,
        payload: Payload<M>,
    ) -> Result<(), ExportError> {
        let Some(consumer) = consumer else {
            // Routes exist only for served signals; this is a programming error, answered as
            // upstream answers an unknown route.
            return Err(ExportError::Pipeline(ConsumeError::permanent(
                "signal not served",
            )));
        };
        let items = payload.items();
        // Upstream answers an empty request with success without touching the pipeline.
        if items == 0 {
            return Ok(());
        }
        match consumer.consume(payload).await {
            Ok(()) => {
                self.obs.accepted(signal, items);
                Ok(())
            }
            Err(e) => {
                self.obs.refused(signal, items, &e);
                Err(ExportError::Pipeline(e))
            }
        }
    }
}

/// The success response upstream sends: an `Export*ServiceResponse` whose `partial_success` is
/// present but empty (Go pdata always writes it: protobuf `0a 00`, JSON `{"partialSuccess":{}}`).
pub(crate) fn success_body(signal: Signal, json: bool) -> Vec<u8> {
    use pdata::proto::collector::{logs, metrics, trace};
    match signal {
        Signal::Traces => {
            let r = trace::v1::ExportTraceServiceResponse {
                partial_success: Some(Default::default()),
            };
            if json {
                pdata::json::encode_trace_response(&r)
            } else {
                r.encode_to_vec()
            }
        }
        Signal::Metrics => {
            let r = metrics::v1::ExportMetricsServiceResponse {
                partial_success: Some(Default::default()),
            };
            if json {
                pdata::json::encode_metrics_response(&r)
            } else {
                r.encode_to_vec()
            }
        }
        Signal::Logs => {
            let r = logs::v1::ExportLogsServiceResponse {
                partial_success: Some(Default::default()),
            };
            if json {
                pdata::json::encode_logs_response(&r)
            } else {
                r.encode_to_vec()
            }
        }
    }
}
