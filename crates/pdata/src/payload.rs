//! [`Payload`]: one export request travelling through a pipeline.
//!
//! A receiver wraps the protobuf bytes it got ([`Payload::from_bytes`]); nothing decodes them until a
//! component asks for the message ([`Payload::message`] / [`Payload::make_mut`]), and then only once.
//! An OTLP → OTLP pipeline therefore forwards the received bytes untouched (DESIGN.md §3).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use prost::Message;

use crate::wire::{self, SignalKind, WireError};
use crate::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};

/// An OTLP export request message of one signal.
pub trait Request: Message + Default + Clone + Send + Sync + 'static {
    /// Which signal the message carries.
    const KIND: SignalKind;
    /// Spans, metric data points or log records in the message.
    fn item_count(&self) -> usize;
}

impl Request for ExportTraceServiceRequest {
    const KIND: SignalKind = SignalKind::Traces;
    fn item_count(&self) -> usize {
        self.resource_spans
            .iter()
            .flat_map(|rs| &rs.scope_spans)
            .map(|ss| ss.spans.len())
            .sum()
    }
}

impl Request for ExportMetricsServiceRequest {
    const KIND: SignalKind = SignalKind::Metrics;
    fn item_count(&self) -> usize {
        use crate::proto::metrics::v1::metric::Data;
        self.resource_metrics
            .iter()
            .flat_map(|rm| &rm.scope_metrics)
            .flat_map(|sm| &sm.metrics)
            .map(|m| match &m.data {
                Some(Data::Gauge(g)) => g.data_points.len(),
                Some(Data::Sum(s)) => s.data_points.len(),
                Some(Data::Histogram(h)) => h.data_points.len(),
                Some(Data::ExponentialHistogram(h)) => h.data_points.len(),
                Some(Data::Summary(s)) => s.data_points.len(),
                None => 0,
            })
            .sum()
    }
}

impl Request for ExportLogsServiceRequest {
    const KIND: SignalKind = SignalKind::Logs;
    fn item_count(&self) -> usize {
        self.resource_logs
            .iter()
            .flat_map(|rl| &rl.scope_logs)
            .map(|sl| sl.log_records.len())
            .sum()
    }
}

/// Facts about the request that carried a payload, for processors that route or enrich by client
/// (`include_metadata`, `from_context`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestMeta {
    /// The peer address of the client connection.
    pub client_addr: Option<SocketAddr>,
    /// Request headers or gRPC metadata, lower-cased keys; filled only when the receiver has
    /// `include_metadata: true`.
    pub metadata: BTreeMap<String, Vec<String>>,
}

/// How many times any payload was decoded from bytes in this process. Tests and benchmarks read it
/// to prove that a pass-through pipeline never decodes.
pub fn decode_count() -> u64 {
    DECODES.load(Ordering::Relaxed)
}
static DECODES: AtomicU64 = AtomicU64::new(0);

/// An error decoding a payload's bytes into its message.
#[derive(Debug, thiserror::Error)]
#[error("failed to decode OTLP protobuf: {0}")]
pub struct DecodeError(#[from] prost::DecodeError);

/// One export request of one signal.
#[derive(Clone)]
pub struct Payload<M: Request> {
    repr: Repr<M>,
    items: OnceLock<usize>,
    meta: Arc<RequestMeta>,
}

#[derive(Clone)]
enum Repr<M> {
    /// As received; decoded at most once, on demand.
    Encoded {
        bytes: Bytes,
        decoded: OnceLock<Arc<M>>,
    },
    /// Built or changed in memory; encoded at most once, on demand.
    Decoded {
        message: Arc<M>,
        encoded: OnceLock<Bytes>,
    },
}

/// Traces as they travel through a pipeline.
pub type Traces = Payload<ExportTraceServiceRequest>;
/// Metrics as they travel through a pipeline.
pub type Metrics = Payload<ExportMetricsServiceRequest>;
/// Logs as they travel through a pipeline.
pub type Logs = Payload<ExportLogsServiceRequest>;

impl<M: Request> Payload<M> {
    /// Wraps bytes that [`wire::validate`] accepted, with their item count.
    pub fn from_validated_bytes(bytes: Bytes, items: usize, meta: RequestMeta) -> Self {
        Payload {
            repr: Repr::Encoded {
                bytes,
                decoded: OnceLock::new(),
            },
            items: OnceLock::from(items),
            meta: Arc::new(meta),
        }
    }

    /// Validates protobuf bytes without decoding them and wraps them.
    pub fn from_bytes(bytes: Bytes, meta: RequestMeta) -> Result<Self, WireError> {
        let items = wire::validate(M::KIND, &bytes)?;
        Ok(Self::from_validated_bytes(bytes, items, meta))
    }

    /// Wraps a message built in memory.
    pub fn from_message(message: M, meta: RequestMeta) -> Self {
        Payload {
            repr: Repr::Decoded {
                message: Arc::new(message),
                encoded: OnceLock::new(),
            },
            items: OnceLock::new(),
            meta: Arc::new(meta),
        }
    }

    /// The request metadata.
    pub fn meta(&self) -> &RequestMeta {
        &self.meta
    }

    /// True while the payload is still the bytes it was received as.
    pub fn is_encoded(&self) -> bool {
        matches!(self.repr, Repr::Encoded { .. })
    }

    /// The protobuf encoding: a cheap clone when the payload is still encoded.
    pub fn bytes(&self) -> Bytes {
        match &self.repr {
            Repr::Encoded { bytes, .. } => bytes.clone(),
            Repr::Decoded { message, encoded } => encoded
                .get_or_init(|| Bytes::from(message.encode_to_vec()))
                .clone(),
        }
    }

    /// The size of the protobuf encoding in bytes.
    pub fn encoded_len(&self) -> usize {
        match &self.repr {
            Repr::Encoded { bytes, .. } => bytes.len(),
            Repr::Decoded { message, encoded } => encoded
                .get()
                .map_or_else(|| message.encoded_len(), Bytes::len),
        }
    }

    /// A read-only view of the message, decoded once and cached.
    pub fn message(&self) -> Result<Arc<M>, DecodeError> {
        match &self.repr {
            Repr::Decoded { message, .. } => Ok(message.clone()),
            Repr::Encoded { bytes, decoded } => {
                if let Some(m) = decoded.get() {
                    return Ok(m.clone());
                }
                let m = Arc::new(decode::<M>(bytes)?);
                Ok(decoded.get_or_init(|| m).clone())
            }
        }
    }

    /// A mutable message. Copies only when the message is shared with another payload
    /// (copy-on-write); drops the cached encoding and item count, which the change invalidates.
    pub fn make_mut(&mut self) -> Result<&mut M, DecodeError> {
        if let Repr::Encoded { bytes, decoded } = &mut self.repr {
            let message = match decoded.take() {
                Some(m) => m,
                None => Arc::new(decode::<M>(bytes)?),
            };
            self.repr = Repr::Decoded {
                message,
                encoded: OnceLock::new(),
            };
        }
        self.items = OnceLock::new();
        match &mut self.repr {
            Repr::Decoded { message, encoded } => {
                *encoded = OnceLock::new();
                Ok(Arc::make_mut(message))
            }
            Repr::Encoded { .. } => unreachable!("converted to Decoded above"),
        }
    }

    /// Spans, data points or log records: counted by walking the bytes when encoded, so counting
    /// never decodes.
    pub fn items(&self) -> usize {
        *self.items.get_or_init(|| match &self.repr {
            // Bytes that reach a payload were validated, so counting cannot fail; a failure would
            // mean a bug in the walker, and 0 is the honest count of what can be read then.
            Repr::Encoded { bytes, .. } => wire::count_items(M::KIND, bytes).unwrap_or(0),
            Repr::Decoded { message, .. } => message.item_count(),
        })
    }

    /// Concatenates requests into one. Protobuf repeated fields concatenate, so encoded requests
    /// merge without decoding; the first payload's metadata is kept.
    pub fn merge(parts: Vec<Self>) -> Option<Self> {
        let meta = parts.first()?.meta.clone();
        // Size the buffer once: growing it while copying costs reallocations and page faults
        // that dominated merging 100 requests.
        let total: usize = parts.iter().map(Self::encoded_len).sum();
        let mut items = 0;
        let mut buf = bytes::BytesMut::with_capacity(total);
        for p in &parts {
            items += p.items();
            buf.extend_from_slice(&p.bytes());
        }
        Some(Payload {
            repr: Repr::Encoded {
                bytes: buf.freeze(),
                decoded: OnceLock::new(),
            },
            items: OnceLock::from(items),
            meta,
        })
    }
}

fn decode<M: Request>(bytes: &Bytes) -> Result<M, DecodeError> {
    DECODES.fetch_add(1, Ordering::Relaxed);
    Ok(M::decode(bytes.clone())?)
}

impl<M: Request> std::fmt::Debug for Payload<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Payload")
            .field("kind", &M::KIND)
            .field("encoded", &self.is_encoded())
            .field("items", &self.items())
            .field("bytes", &self.encoded_len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::common::v1::{AnyValue, KeyValue, any_value};
    use crate::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};

    fn request(spans: usize, name: &str) -> ExportTraceServiceRequest {
        ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                scope_spans: vec![ScopeSpans {
                    spans: (0..spans)
                        .map(|i| Span {
                            name: format!("{name}-{i}"),
                            trace_id: Bytes::from(vec![1; 16]),
                            span_id: Bytes::from(vec![2; 8]),
                            attributes: vec![KeyValue {
                                key: "k".into(),
                                value: Some(AnyValue {
                                    value: Some(any_value::Value::IntValue(i as i64)),
                                }),
                            }],
                            ..Default::default()
                        })
                        .collect(),
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
    }

    fn encoded(spans: usize, name: &str) -> Traces {
        let bytes = Bytes::from(request(spans, name).encode_to_vec());
        Traces::from_bytes(bytes, RequestMeta::default()).expect("valid")
    }

    #[test]
    fn counting_and_forwarding_do_not_decode() {
        let p = encoded(7, "a");
        let before = decode_count();
        assert_eq!(p.items(), 7);
        let same = p.bytes();
        assert_eq!(same, Bytes::from(request(7, "a").encode_to_vec()));
        assert!(p.is_encoded());
        // Other tests run in parallel and may decode; this payload must not have been.
        let Repr::Encoded { decoded, .. } = &p.repr else {
            panic!("encoded")
        };
        assert!(decoded.get().is_none());
        let _ = before;
    }

    #[test]
    fn message_is_decoded_once_and_cached() {
        let p = encoded(3, "b");
        let a = p.message().unwrap();
        let b = p.message().unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(*a, request(3, "b"));
    }

    #[test]
    fn make_mut_is_copy_on_write() {
        let original = encoded(2, "c");
        let mut copy = original.clone();
        copy.make_mut().unwrap().resource_spans[0].scope_spans[0]
            .spans
            .pop();
        assert_eq!(copy.items(), 1);
        assert_eq!(original.items(), 2);
        assert_eq!(*original.message().unwrap(), request(2, "c"));
        // The changed payload re-encodes to what it now holds.
        let reencoded = ExportTraceServiceRequest::decode(copy.bytes()).unwrap();
        assert_eq!(reencoded.resource_spans[0].scope_spans[0].spans.len(), 1);
    }

    #[test]
    fn merge_concatenates_encoded_requests() {
        let merged = Payload::merge(vec![encoded(2, "x"), encoded(3, "y")]).unwrap();
        assert_eq!(merged.items(), 5);
        let m = merged.message().unwrap();
        assert_eq!(m.resource_spans.len(), 2);
        assert_eq!(m.item_count(), 5);
        let mixed = Payload::merge(vec![
            merged.clone(),
            Traces::from_message(request(1, "z"), RequestMeta::default()),
        ])
        .unwrap();
        assert_eq!(mixed.items(), 6);
        assert_eq!(mixed.message().unwrap().resource_spans.len(), 3);
    }

    #[test]
    fn invalid_bytes_are_rejected_up_front() {
        let mut bytes = request(2, "t").encode_to_vec();
        bytes.truncate(bytes.len() - 3);
        assert!(Traces::from_bytes(Bytes::from(bytes), RequestMeta::default()).is_err());
    }
}
