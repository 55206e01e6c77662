//! Splitting a *decoded* request after its first `n` items (spans, metric data points, log
//! records). Used only for the one resource record that straddles `send_batch_max_size`; every
//! other cut happens on the encoded bytes (see `pending.rs`).
//!
//! Each container that straddles the cut (resource, scope, metric) appears on both sides with its
//! own fields (resource, scope, schema URL, metric name/unit/type/temporality) copied, so both
//! halves are complete, valid requests.

use pdata::proto::logs::v1::{ResourceLogs, ScopeLogs};
use pdata::proto::metrics::v1::{Metric, ResourceMetrics, ScopeMetrics, metric::Data};
use pdata::proto::trace::v1::{ResourceSpans, ScopeSpans};
use pdata::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};

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
