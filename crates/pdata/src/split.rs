//! Cutting requests by items, shared by the `batch` processor and the exporter helper's queue
//! batching.
//!
//! [`split_payload`] cuts an *encoded* request after its first `n` items: whole resource records
//! are cut on the bytes ([`wire::resource_records`]); only the one record that straddles the cut
//! is decoded and divided with [`SplitItems`]. [`split_into`] cuts a request into pieces of at
//! most `max` items.
//!
//! Each container that straddles the cut (resource, scope, metric) appears on both sides with its
//! own fields (resource, scope, schema URL, metric name/unit/type/temporality) copied, so both
//! halves are complete, valid requests.

use std::ops::Range;

use bytes::{Bytes, BytesMut};

use crate::payload::{Payload, Request, RequestMeta};
use crate::proto::logs::v1::{ResourceLogs, ScopeLogs};
use crate::proto::metrics::v1::{Metric, ResourceMetrics, ScopeMetrics, metric::Data};
use crate::proto::trace::v1::{ResourceSpans, ScopeSpans};
use crate::wire::{self, Record, SignalKind};
use crate::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};

/// A request that can be cut after its first `n` items.
pub trait SplitItems: Sized {
    /// Returns (the first `n` items, the rest), in order. Containers with no items stay on the
    /// side where they appear in order: before the cut while items are still owed to the head.
    fn split_items(self, n: usize) -> (Self, Self);
}

/// Moves the first `n` items of `list` (whose elements hold `count(e)` items each) to the head;
/// the element that straddles the cut is divided by `split_one(element, items_for_head)`.
fn split_list<T>(
    list: Vec<T>,
    mut n: usize,
    count: impl Fn(&T) -> usize,
    split_one: impl Fn(T, usize) -> (T, T),
) -> (Vec<T>, Vec<T>) {
    let mut head = Vec::new();
    let mut tail = Vec::new();
    for element in list {
        if n == 0 {
            tail.push(element);
            continue;
        }
        let c = count(&element);
        if c <= n {
            n -= c;
            head.push(element);
        } else {
            let (h, t) = split_one(element, n);
            n = 0;
            head.push(h);
            tail.push(t);
        }
    }
    (head, tail)
}

/// Splits a vector of leaf items.
fn split_vec<T>(mut items: Vec<T>, n: usize) -> (Vec<T>, Vec<T>) {
    let rest = items.split_off(n);
    (items, rest)
}

fn spans_in(rs: &ResourceSpans) -> usize {
    rs.scope_spans.iter().map(|s| s.spans.len()).sum()
}

impl SplitItems for ExportTraceServiceRequest {
    fn split_items(self, n: usize) -> (Self, Self) {
        let (head, tail) = split_list(self.resource_spans, n, spans_in, |mut rs, k| {
            let scopes = std::mem::take(&mut rs.scope_spans);
            let (h, t) = split_list(
                scopes,
                k,
                |ss| ss.spans.len(),
                |mut ss, k| {
                    let (h, t) = split_vec(std::mem::take(&mut ss.spans), k);
                    (
                        ScopeSpans {
                            spans: h,
                            ..ss.clone()
                        },
                        ScopeSpans { spans: t, ..ss },
                    )
                },
            );
            (
                ResourceSpans {
                    scope_spans: h,
                    ..rs.clone()
                },
                ResourceSpans {
                    scope_spans: t,
                    ..rs
                },
            )
        });
        (
            ExportTraceServiceRequest {
                resource_spans: head,
            },
            ExportTraceServiceRequest {
                resource_spans: tail,
            },
        )
    }
}

fn log_records_in(rl: &ResourceLogs) -> usize {
    rl.scope_logs.iter().map(|s| s.log_records.len()).sum()
}

impl SplitItems for ExportLogsServiceRequest {
    fn split_items(self, n: usize) -> (Self, Self) {
        let (head, tail) = split_list(self.resource_logs, n, log_records_in, |mut rl, k| {
            let scopes = std::mem::take(&mut rl.scope_logs);
            let (h, t) = split_list(
                scopes,
                k,
                |sl| sl.log_records.len(),
                |mut sl, k| {
                    let (h, t) = split_vec(std::mem::take(&mut sl.log_records), k);
                    (
                        ScopeLogs {
                            log_records: h,
                            ..sl.clone()
                        },
                        ScopeLogs {
                            log_records: t,
                            ..sl
                        },
                    )
                },
            );
            (
                ResourceLogs {
                    scope_logs: h,
                    ..rl.clone()
                },
                ResourceLogs {
                    scope_logs: t,
                    ..rl
                },
            )
        });
        (
            ExportLogsServiceRequest {
                resource_logs: head,
            },
            ExportLogsServiceRequest {
                resource_logs: tail,
            },
        )
    }
}

/// Data points of one metric, counted as Go's `DataPointCount` does.
fn points_in_metric(m: &Metric) -> usize {
    match &m.data {
        Some(Data::Gauge(g)) => g.data_points.len(),
        Some(Data::Sum(s)) => s.data_points.len(),
        Some(Data::Histogram(h)) => h.data_points.len(),
        Some(Data::ExponentialHistogram(h)) => h.data_points.len(),
        Some(Data::Summary(s)) => s.data_points.len(),
        None => 0,
    }
}

fn points_in_scope(sm: &ScopeMetrics) -> usize {
    sm.metrics.iter().map(points_in_metric).sum()
}

fn points_in_resource(rm: &ResourceMetrics) -> usize {
    rm.scope_metrics.iter().map(points_in_scope).sum()
}

/// Cuts one metric's data points; both halves keep the metric's identity and, for sums and
/// histograms, its temporality and monotonicity.
fn split_metric(mut metric: Metric, k: usize) -> (Metric, Metric) {
    // With the data taken out, cloning the metric copies only its descriptive fields.
    let data = metric.data.take();
    let shell = metric;
    // Each arm moves the points out, clones the (now point-less) variant for the head, and
    // gives each side its part.
    macro_rules! cut {
        ($variant:ident, $value:expr) => {{
            let mut tail_value = $value;
            let (h, t) = split_vec(std::mem::take(&mut tail_value.data_points), k);
            let mut head_value = tail_value.clone();
            head_value.data_points = h;
            tail_value.data_points = t;
            (Data::$variant(head_value), Data::$variant(tail_value))
        }};
    }
    let (head_data, tail_data) = match data {
        Some(Data::Gauge(g)) => cut!(Gauge, g),
        Some(Data::Sum(s)) => cut!(Sum, s),
        Some(Data::Histogram(h)) => cut!(Histogram, h),
        Some(Data::ExponentialHistogram(h)) => cut!(ExponentialHistogram, h),
        Some(Data::Summary(s)) => cut!(Summary, s),
        // A metric without data has no items, so `split_list` never asks to cut one.
        None => return (shell.clone(), shell),
    };
    (
        Metric {
            data: Some(head_data),
            ..shell.clone()
        },
        Metric {
            data: Some(tail_data),
            ..shell
        },
    )
}

impl SplitItems for ExportMetricsServiceRequest {
    fn split_items(self, n: usize) -> (Self, Self) {
        let (head, tail) = split_list(self.resource_metrics, n, points_in_resource, |mut rm, k| {
            let scopes = std::mem::take(&mut rm.scope_metrics);
            let (h, t) = split_list(scopes, k, points_in_scope, |mut sm, k| {
                let metrics = std::mem::take(&mut sm.metrics);
                let (h, t) = split_list(metrics, k, points_in_metric, split_metric);
                (
                    ScopeMetrics {
                        metrics: h,
                        ..sm.clone()
                    },
                    ScopeMetrics { metrics: t, ..sm },
                )
            });
            (
                ResourceMetrics {
                    scope_metrics: h,
                    ..rm.clone()
                },
                ResourceMetrics {
                    scope_metrics: t,
                    ..rm
                },
            )
        });
        (
            ExportMetricsServiceRequest {
                resource_metrics: head,
            },
            ExportMetricsServiceRequest {
                resource_metrics: tail,
            },
        )
    }
}

/// A request cut in two by [`split_payload`].
pub struct Split<M: Request> {
    /// The first `n` items (more when the cut could not be made exactly: see `inexact`).
    pub head: Payload<M>,
    /// The rest.
    pub tail: Payload<M>,
    /// `None` when `head` holds exactly the items asked for; otherwise why it holds more. Bytes
    /// that reached a payload were validated (or encoded by prost), so this would mean a codec
    /// bug; the caller logs it, and nothing is lost either way.
    pub inexact: Option<&'static str>,
}

/// Cuts `payload` after its first `n` items (`0 < n < payload.items()`), keeping the metadata on
/// both halves. Whole resource records are cut on the encoded bytes; only the one record that
/// straddles the cut is decoded (the only decode here), so both halves stay valid requests.
pub fn split_payload<M: Request>(payload: Payload<M>, n: usize) -> Split<M> {
    let bytes = payload.bytes();
    let meta = payload.meta().clone();
    let total = payload.items();
    let records = match wire::resource_records(M::KIND, &bytes) {
        Ok(records) => records,
        Err(_) => {
            return Split {
                head: payload,
                tail: Payload::from_message(M::default(), meta),
                inexact: Some("could not find resource records"),
            };
        }
    };
    let mut before = 0;
    let Some(straddling) = records.iter().position(|r| {
        if before + r.items > n {
            return true;
        }
        before += r.items;
        false
    }) else {
        // Asked for all items or more: nothing to cut.
        return Split {
            head: payload,
            tail: Payload::from_message(M::default(), meta),
            inexact: None,
        };
    };
    let ranges = |rs: &[Record]| rs.iter().map(|r| r.range.clone()).collect::<Vec<_>>();
    let (head_bytes, tail_bytes) = if before == n {
        (
            concat(&bytes, &ranges(&records[..straddling])),
            concat(&bytes, &ranges(&records[straddling..])),
        )
    } else {
        let record = &records[straddling];
        match split_record(M::KIND, &bytes, record, n - before) {
            Some((head_part, tail_part)) => {
                let mut head = BytesMut::from(concat(&bytes, &ranges(&records[..straddling])));
                head.extend_from_slice(&head_part);
                let mut tail = BytesMut::from(tail_part.as_slice());
                tail.extend_from_slice(&concat(&bytes, &ranges(&records[straddling + 1..])));
                (head.freeze(), tail.freeze())
            }
            None => {
                let head_items = before + record.items;
                return Split {
                    head: Payload::from_validated_bytes(
                        concat(&bytes, &ranges(&records[..=straddling])),
                        head_items,
                        meta.clone(),
                    ),
                    tail: Payload::from_validated_bytes(
                        concat(&bytes, &ranges(&records[straddling + 1..])),
                        total - head_items,
                        meta.clone(),
                    ),
                    inexact: Some("could not split a resource record"),
                };
            }
        }
    };
    Split {
        head: Payload::from_validated_bytes(head_bytes, n, meta.clone()),
        tail: Payload::from_validated_bytes(tail_bytes, total - n, meta.clone()),
        inexact: None,
    }
}

/// Cuts `payload` into pieces of at most `max` items each, in order (`max == 0`: no limit).
/// Returns the pieces and the reasons of any inexact cut (see [`Split::inexact`]).
pub fn split_into<M: Request>(
    payload: Payload<M>,
    max: usize,
) -> (Vec<Payload<M>>, Vec<&'static str>) {
    let mut pieces = Vec::new();
    let mut problems = Vec::new();
    let mut rest = payload;
    while max > 0 && rest.items() > max {
        let before = rest.items();
        let split = split_payload(rest, max);
        if let Some(why) = split.inexact {
            problems.push(why);
        }
        let progressed = split.tail.items() < before;
        pieces.push(split.head);
        rest = split.tail;
        if !progressed {
            break;
        }
    }
    if rest.items() > 0 || pieces.is_empty() {
        pieces.push(rest);
    }
    (pieces, problems)
}

/// Decodes one resource record of a request of `kind` (as a request of its own), cuts it after
/// `n` items and encodes both halves, each a complete field-1 record with the resource and scope
/// repeated.
fn split_record(
    kind: SignalKind,
    bytes: &Bytes,
    record: &Record,
    n: usize,
) -> Option<(Vec<u8>, Vec<u8>)> {
    match kind {
        SignalKind::Traces => split_record_as::<ExportTraceServiceRequest>(bytes, record, n),
        SignalKind::Metrics => split_record_as::<ExportMetricsServiceRequest>(bytes, record, n),
        SignalKind::Logs => split_record_as::<ExportLogsServiceRequest>(bytes, record, n),
    }
}

fn split_record_as<R: Request + SplitItems>(
    bytes: &Bytes,
    record: &Record,
    n: usize,
) -> Option<(Vec<u8>, Vec<u8>)> {
    // Going through `Payload` keeps `decode_count()` honest about this decode.
    let mut one = Payload::<R>::from_validated_bytes(
        bytes.slice(record.range.clone()),
        record.items,
        RequestMeta::default(),
    );
    let message = std::mem::take(one.make_mut().ok()?);
    let (head, tail) = message.split_items(n);
    Some((head.encode_to_vec(), tail.encode_to_vec()))
}

/// The bytes of `ranges` joined: a zero-copy slice when they are adjacent (the usual case: a
/// request without unknown top-level fields), a copy otherwise.
fn concat(bytes: &Bytes, ranges: &[Range<usize>]) -> Bytes {
    let (Some(first), Some(last)) = (ranges.first(), ranges.last()) else {
        return Bytes::new();
    };
    if ranges.windows(2).all(|w| w[0].end == w[1].start) {
        return bytes.slice(first.start..last.end);
    }
    let mut out = BytesMut::with_capacity(ranges.iter().map(|r| r.len()).sum());
    for r in ranges {
        out.extend_from_slice(&bytes[r.clone()]);
    }
    out.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::trace::v1::Span;
    use prost::Message;

    fn traces(resources: &[usize]) -> Payload<ExportTraceServiceRequest> {
        let mut k = 0;
        let request = ExportTraceServiceRequest {
            resource_spans: resources
                .iter()
                .map(|&n| ResourceSpans {
                    scope_spans: vec![ScopeSpans {
                        spans: (0..n)
                            .map(|_| {
                                k += 1;
                                Span {
                                    name: format!("s{k}"),
                                    ..Default::default()
                                }
                            })
                            .collect(),
                        ..Default::default()
                    }],
                    ..Default::default()
                })
                .collect(),
        };
        Payload::from_bytes(Bytes::from(request.encode_to_vec()), RequestMeta::default())
            .expect("valid")
    }

    fn names(p: &Payload<ExportTraceServiceRequest>) -> Vec<String> {
        let m = ExportTraceServiceRequest::decode(p.bytes()).expect("valid");
        m.resource_spans
            .iter()
            .flat_map(|r| &r.scope_spans)
            .flat_map(|s| &s.spans)
            .map(|s| s.name.clone())
            .collect()
    }

    #[test]
    fn splits_exactly_at_and_inside_records() {
        let p = traces(&[3, 4, 2]);
        let at_boundary = split_payload(p.clone(), 3);
        assert!(at_boundary.inexact.is_none());
        assert_eq!(names(&at_boundary.head), ["s1", "s2", "s3"]);
        assert_eq!(at_boundary.tail.items(), 6);
        let inside = split_payload(p.clone(), 5);
        assert_eq!(inside.head.items(), 5);
        assert_eq!(names(&inside.head), ["s1", "s2", "s3", "s4", "s5"]);
        assert_eq!(names(&inside.tail), ["s6", "s7", "s8", "s9"]);
    }

    #[test]
    fn split_into_makes_pieces_of_at_most_max_in_order() {
        let p = traces(&[3, 4, 2]);
        let (pieces, problems) = split_into(p.clone(), 4);
        assert!(problems.is_empty());
        assert_eq!(
            pieces.iter().map(Payload::items).collect::<Vec<_>>(),
            [4, 4, 1]
        );
        let all: Vec<String> = pieces.iter().flat_map(names).collect();
        assert_eq!(all, names(&p));
        let (whole, _) = split_into(p.clone(), 0);
        assert_eq!(whole.len(), 1);
        let (whole, _) = split_into(p, 9);
        assert_eq!(whole.len(), 1);
    }
}
