//! Builds OTLP export requests of a given [`Shape`]. Every request of a pool gets its own ids and
//! values (from its `seed`), so a backend that deduplicates or a compressor that remembers the
//! previous request sees realistic, distinct data.

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use pdata::proto::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use pdata::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use pdata::proto::metrics::v1::{
    AggregationTemporality, Gauge, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum,
    metric, number_data_point,
};
use pdata::proto::resource::v1::Resource;
use pdata::proto::trace::v1::{ResourceSpans, ScopeSpans, Span, Status, span, status};
use pdata::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};
use prost::Message;

use crate::config::{Encoding, Shape, Signal};

/// Metric data points per metric: two, so both the metric and the data-point loops of a
/// consumer are exercised (upstream's testbed also puts several points in one metric).
pub const POINTS_PER_METRIC: usize = 2;

/// A small, fast, deterministic generator (SplitMix64): values differ per request and per item
/// without a dependency on `rand`.
#[derive(Clone, Debug)]
pub struct SplitMix(u64);

impl SplitMix {
    pub fn new(seed: u64) -> Self {
        SplitMix(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// `len` printable ASCII characters (a string attribute must be UTF-8).
    pub fn text(&mut self, len: usize) -> String {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut s = String::with_capacity(len);
        let mut bits = 0u64;
        let mut left = 0;
        for _ in 0..len {
            if left == 0 {
                bits = self.next_u64();
                left = 10;
            }
            s.push(ALPHABET[(bits & 63) as usize] as char);
            bits >>= 6;
            left -= 1;
        }
        s
    }
}

/// One generated request, in the message type of its signal.
#[derive(Clone, Debug, PartialEq)]
pub enum Request {
    Traces(ExportTraceServiceRequest),
    Metrics(ExportMetricsServiceRequest),
    Logs(ExportLogsServiceRequest),
}

impl Request {
    /// The protobuf or OTLP/JSON body.
    pub fn encode(&self, encoding: Encoding) -> Bytes {
        let bytes = match (self, encoding) {
            (Request::Traces(r), Encoding::Proto) => r.encode_to_vec(),
            (Request::Metrics(r), Encoding::Proto) => r.encode_to_vec(),
            (Request::Logs(r), Encoding::Proto) => r.encode_to_vec(),
            (Request::Traces(r), Encoding::Json) => pdata::json::encode_traces(r),
            (Request::Metrics(r), Encoding::Json) => pdata::json::encode_metrics(r),
            (Request::Logs(r), Encoding::Json) => pdata::json::encode_logs(r),
        };
        Bytes::from(bytes)
    }
}

/// Builds a request of `items` items of `signal`, shaped by `shape` (its `batch_size` is ignored
/// in favour of `items`, so a final short request can be built too).
pub fn build(signal: Signal, shape: &Shape, items: usize, seed: u64) -> Request {
    let mut rng = SplitMix::new(seed);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let per_resource = split(items, shape.resources.min(items.max(1)));
    match signal {
        Signal::Traces => Request::Traces(ExportTraceServiceRequest {
            resource_spans: per_resource
                .iter()
                .enumerate()
                .map(|(r, &n)| ResourceSpans {
                    resource: Some(resource(r)),
                    scope_spans: vec![ScopeSpans {
                        scope: Some(scope()),
                        spans: (0..n)
                            .map(|i| span(&mut rng, shape, seed, i, now))
                            .collect(),
                        schema_url: String::new(),
                    }],
                    schema_url: String::new(),
                })
                .collect(),
        }),
        Signal::Metrics => Request::Metrics(ExportMetricsServiceRequest {
            resource_metrics: per_resource
                .iter()
                .enumerate()
                .map(|(r, &n)| ResourceMetrics {
                    resource: Some(resource(r)),
                    scope_metrics: vec![ScopeMetrics {
                        scope: Some(scope()),
                        metrics: metrics(&mut rng, shape, seed, n, now),
                        schema_url: String::new(),
                    }],
                    schema_url: String::new(),
                })
                .collect(),
        }),
        Signal::Logs => Request::Logs(ExportLogsServiceRequest {
            resource_logs: per_resource
                .iter()
                .enumerate()
                .map(|(r, &n)| ResourceLogs {
                    resource: Some(resource(r)),
                    scope_logs: vec![ScopeLogs {
                        scope: Some(scope()),
                        log_records: (0..n).map(|i| log(&mut rng, shape, i, now)).collect(),
                        schema_url: String::new(),
                    }],
                    schema_url: String::new(),
                })
                .collect(),
        }),
    }
}

/// `total` split into `parts` nearly equal counts.
fn split(total: usize, parts: usize) -> Vec<usize> {
    let parts = parts.max(1);
    (0..parts)
        .map(|p| total / parts + usize::from(p < total % parts))
        .collect()
}

fn string_kv(key: impl Into<String>, value: String) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value)),
        }),
    }
}

fn int_kv(key: &str, value: i64) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::IntValue(value)),
        }),
    }
}

fn resource(index: usize) -> Resource {
    Resource {
        attributes: vec![
            string_kv("service.name", "loadgen".into()),
            int_kv("loadgen.resource", index as i64),
        ],
        ..Default::default()
    }
}

fn scope() -> InstrumentationScope {
    InstrumentationScope {
        name: "ferrocol-loadgen".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        ..Default::default()
    }
}

fn attributes(rng: &mut SplitMix, shape: &Shape) -> Vec<KeyValue> {
    (0..shape.attributes)
        .map(|a| string_kv(format!("attr.{a}"), rng.text(shape.attribute_size)))
        .collect()
}

fn span(rng: &mut SplitMix, shape: &Shape, seed: u64, index: usize, now: u64) -> Span {
    let trace = (u128::from(seed) << 64) | u128::from(rng.next_u64());
    let id = rng.next_u64() | 1;
    Span {
        trace_id: Bytes::copy_from_slice(&trace.to_be_bytes()),
        span_id: Bytes::copy_from_slice(&id.to_be_bytes()),
        name: format!("loadgen-span-{}", index % 16),
        kind: span::SpanKind::Server as i32,
        start_time_unix_nano: now,
        end_time_unix_nano: now + 1_000_000,
        attributes: attributes(rng, shape),
        status: Some(Status {
            message: String::new(),
            code: status::StatusCode::Ok as i32,
        }),
        ..Default::default()
    }
}

fn metrics(rng: &mut SplitMix, shape: &Shape, seed: u64, points: usize, now: u64) -> Vec<Metric> {
    split(points, points.div_ceil(POINTS_PER_METRIC))
        .into_iter()
        .enumerate()
        .map(|(m, n)| {
            let data_points: Vec<NumberDataPoint> = (0..n)
                .map(|p| {
                    let mut attrs = attributes(rng, shape);
                    attrs.push(int_kv("loadgen.point", p as i64));
                    NumberDataPoint {
                        attributes: attrs,
                        start_time_unix_nano: now - 60_000_000_000,
                        time_unix_nano: now,
                        value: Some(number_data_point::Value::AsDouble(
                            (rng.next_u64() % 10_000) as f64 / 10.0,
                        )),
                        ..Default::default()
                    }
                })
                .collect();
            // Alternate gauges and cumulative sums, the two kinds most pipelines carry.
            let data = if m % 2 == 0 {
                metric::Data::Gauge(Gauge { data_points })
            } else {
                metric::Data::Sum(Sum {
                    data_points,
                    aggregation_temporality: AggregationTemporality::Cumulative as i32,
                    is_monotonic: true,
                })
            };
            Metric {
                name: format!("loadgen.metric.{}", (seed as usize + m) % shape.series),
                unit: "1".into(),
                data: Some(data),
                ..Default::default()
            }
        })
        .collect()
}

fn log(rng: &mut SplitMix, shape: &Shape, index: usize, now: u64) -> LogRecord {
    LogRecord {
        time_unix_nano: now,
        observed_time_unix_nano: now,
        severity_number: 9,
        severity_text: "INFO".into(),
        body: Some(AnyValue {
            value: Some(any_value::Value::StringValue(format!(
                "loadgen log record {index} {}",
                rng.next_u64()
            ))),
        }),
        attributes: attributes(rng, shape),
        trace_id: Bytes::copy_from_slice(&u128::from(rng.next_u64()).to_be_bytes()),
        span_id: Bytes::copy_from_slice(&rng.next_u64().to_be_bytes()),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(signal: Signal, bytes: &[u8]) -> usize {
        pdata::wire::validate(signal.wire_kind(), bytes).expect("valid OTLP")
    }

    #[test]
    fn requests_hold_exactly_the_items_asked_for() {
        let shape = Shape {
            resources: 3,
            attributes: 4,
            attribute_size: 10,
            ..Shape::default()
        };
        for signal in [Signal::Traces, Signal::Metrics, Signal::Logs] {
            for items in [1, 7, 100] {
                let body = build(signal, &shape, items, 1).encode(Encoding::Proto);
                assert_eq!(count(signal, &body), items, "{signal:?} {items}");
            }
        }
    }

    #[test]
    fn seeds_give_distinct_ids_and_json_round_trips() {
        let shape = Shape::default();
        let a = build(Signal::Traces, &shape, 10, 1);
        let b = build(Signal::Traces, &shape, 10, 2);
        assert_ne!(a.encode(Encoding::Proto), b.encode(Encoding::Proto));
        let Request::Traces(ta) = &a else { panic!() };
        let json = a.encode(Encoding::Json);
        assert_eq!(&pdata::json::decode_traces(&json).unwrap(), ta);
    }

    #[test]
    fn attribute_values_have_the_requested_size() {
        let shape = Shape {
            attributes: 2,
            attribute_size: 5000,
            ..Shape::default()
        };
        let Request::Logs(r) = build(Signal::Logs, &shape, 1, 9) else {
            panic!()
        };
        let rec = &r.resource_logs[0].scope_logs[0].log_records[0];
        assert_eq!(rec.attributes.len(), 2);
        for kv in &rec.attributes {
            let Some(any_value::Value::StringValue(s)) =
                kv.value.as_ref().and_then(|v| v.value.as_ref())
            else {
                panic!("string attribute")
            };
            assert_eq!(s.len(), 5000);
        }
    }

    #[test]
    fn split_spreads_evenly() {
        assert_eq!(split(10, 3), vec![4, 3, 3]);
        assert_eq!(split(2, 2), vec![1, 1]);
        assert_eq!(split(0, 1), vec![0]);
    }
}
