//! One OTLP metric's data points → the values EMF carries (`datapoint.go`).
//!
//! - gauge: the value; sum: the value when delta, the delta of a cumulative sum (monotonic or
//!   not) through [`DeltaCalculator`];
//! - histogram: `{Max, Min, Count, Sum}` only, never delta'd (upstream issue #18245);
//! - exponential histogram: `{Values, Counts, Max, Min, Count, Sum}` with bucket midpoints,
//!   split into several points of at most 100 buckets;
//! - summary: `{Max: last quantile, Min: first quantile, Count, Sum}`, or with
//!   `detailed_metrics` `<name>_sum`, `<name>_count` and one `<name>` per quantile labelled
//!   `quantile`; count and sum are delta'd only for Prometheus-scraped resources.
//!
//! Points with the "no recorded value" flag and points carrying NaN or an infinity are dropped
//! (CloudWatch rejects them) and counted by the caller.

use std::time::Instant;

use pdata::proto::metrics::v1::{
    AggregationTemporality, ExponentialHistogramDataPoint, HistogramDataPoint, Metric,
    NumberDataPoint, SummaryDataPoint, metric::Data, number_data_point,
};

use super::delta::{DeltaCalculator, Reading, SeriesKey};
use super::labels::{self, Labels};

/// At most this many `Values` per exponential-histogram object, as CloudWatch's
/// `PutMetricData` takes at most 100 distinct values per datum (newer upstream, PR #36336).
pub const MAX_BUCKETS_PER_VALUE: usize = 100;

const FLAG_NO_RECORDED_VALUE: u32 = 1;

/// The value of one metric in one EMF event.
#[derive(Clone, Debug, PartialEq)]
pub enum MetricValue {
    Number(f64),
    Stats {
        max: f64,
        min: f64,
        count: u64,
        sum: f64,
    },
    Buckets {
        values: Vec<f64>,
        counts: Vec<f64>,
        max: f64,
        min: f64,
        count: u64,
        sum: f64,
    },
}

/// The OTLP type of a metric: part of the group key, and `prom_metric_type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Gauge,
    Sum,
    Histogram,
    ExponentialHistogram,
    Summary,
}

impl Kind {
    /// `prom_metric_type`; upstream's table has no entry for exponential histograms.
    pub fn prometheus_type(self) -> &'static str {
        match self {
            Kind::Gauge => "gauge",
            Kind::Sum => "counter",
            Kind::Histogram => "histogram",
            Kind::Summary => "summary",
            Kind::ExponentialHistogram => "",
        }
    }
}

/// One value ready to be grouped.
#[derive(Clone, Debug)]
pub struct Point {
    pub name: String,
    pub value: MetricValue,
    pub labels: Labels,
    /// Milliseconds since the epoch; 0 when the point has none.
    pub timestamp_ms: i64,
    /// Which piece of a split exponential histogram this is (0 otherwise).
    pub split: usize,
}

/// Why points were not emitted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Dropped {
    pub no_recorded_value: usize,
    pub not_finite: usize,
}

/// What every point of one metric shares.
pub struct Context<'a> {
    pub scope_name: &'a str,
    /// Resource attributes, when `resource_to_telemetry_conversion` makes them labels.
    pub resource_labels: Option<&'a Labels>,
    pub namespace: &'a str,
    pub log_group: &'a str,
    pub log_stream: &'a str,
    pub from_prometheus: bool,
    pub detailed: bool,
}

impl Context<'_> {
    fn labels(&self, attrs: &[pdata::proto::common::v1::KeyValue]) -> Labels {
        let mut l = self.resource_labels.cloned().unwrap_or_default();
        labels::attributes(attrs, &mut l);
        if !self.scope_name.is_empty() {
            l.insert("OTelLib".to_string(), self.scope_name.to_string());
        }
        l
    }

    fn key(&self, name: &str, labels: &Labels) -> SeriesKey {
        SeriesKey::new(
            name,
            self.namespace,
            self.log_group,
            self.log_stream,
            labels,
        )
    }
}

fn ms(nanos: u64) -> i64 {
    (nanos / 1_000_000) as i64
}

fn no_value(flags: u32) -> bool {
    flags & FLAG_NO_RECORDED_VALUE != 0
}

/// Appends the points of `metric` to `out`.
pub fn points(
    metric: &Metric,
    ctx: &Context<'_>,
    calc: &mut DeltaCalculator,
    now: Instant,
    out: &mut Vec<Point>,
    dropped: &mut Dropped,
) -> Option<Kind> {
    let cumulative = AggregationTemporality::Cumulative as i32;
    match metric.data.as_ref()? {
        Data::Gauge(g) => {
            for dp in &g.data_points {
                number(metric, dp, false, ctx, calc, now, out, dropped);
            }
            Some(Kind::Gauge)
        }
        Data::Sum(s) => {
            let to_delta = s.aggregation_temporality == cumulative;
            for dp in &s.data_points {
                number(metric, dp, to_delta, ctx, calc, now, out, dropped);
            }
            Some(Kind::Sum)
        }
        Data::Histogram(h) => {
            for dp in &h.data_points {
                histogram(metric, dp, ctx, out, dropped);
            }
            Some(Kind::Histogram)
        }
        Data::ExponentialHistogram(h) => {
            for dp in &h.data_points {
                exponential(metric, dp, ctx, out, dropped);
            }
            Some(Kind::ExponentialHistogram)
        }
        Data::Summary(s) => {
            for dp in &s.data_points {
                summary(metric, dp, ctx, calc, now, out, dropped);
            }
            Some(Kind::Summary)
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn number(
    metric: &Metric,
    dp: &NumberDataPoint,
    to_delta: bool,
    ctx: &Context<'_>,
    calc: &mut DeltaCalculator,
    now: Instant,
    out: &mut Vec<Point>,
    dropped: &mut Dropped,
) {
    if no_value(dp.flags) {
        dropped.no_recorded_value += 1;
        return;
    }
    let value = match dp.value {
        Some(number_data_point::Value::AsDouble(d)) => d,
        Some(number_data_point::Value::AsInt(i)) => i as f64,
        None => 0.0,
    };
    if !value.is_finite() {
        dropped.not_finite += 1;
        return;
    }
    let labels = ctx.labels(&dp.attributes);
    let value = if to_delta {
        match calc.delta(ctx.key(&metric.name, &labels), Reading::Value(value), now) {
            Some(Reading::Value(v)) => v,
            _ => return,
        }
    } else {
        value
    };
    out.push(Point {
        name: metric.name.clone(),
        value: MetricValue::Number(value),
        labels,
        timestamp_ms: ms(dp.time_unix_nano),
        split: 0,
    });
}

fn finite(v: Option<f64>) -> bool {
    v.is_none_or(f64::is_finite)
}

fn histogram(
    metric: &Metric,
    dp: &HistogramDataPoint,
    ctx: &Context<'_>,
    out: &mut Vec<Point>,
    dropped: &mut Dropped,
) {
    if no_value(dp.flags) {
        dropped.no_recorded_value += 1;
        return;
    }
    if !(finite(dp.sum) && finite(dp.min) && finite(dp.max)) {
        dropped.not_finite += 1;
        return;
    }
    out.push(Point {
        name: metric.name.clone(),
        value: MetricValue::Stats {
            max: dp.max.unwrap_or(0.0),
            min: dp.min.unwrap_or(0.0),
            count: dp.count,
            sum: dp.sum.unwrap_or(0.0),
        },
        labels: ctx.labels(&dp.attributes),
        timestamp_ms: ms(dp.time_unix_nano),
        split: 0,
    });
}

/// One exponential-histogram bucket: its midpoint, count and bounds.
struct Bucket {
    value: f64,
    count: u64,
    lower: f64,
    upper: f64,
}

/// The buckets with a count, in upstream's order: positive by index, the zero bucket, then
/// negative by index. Bucket `i` covers `[base^i, base^(i+1))`, `base = 2^(2^-scale)`.
fn buckets(dp: &ExponentialHistogramDataPoint) -> Vec<Bucket> {
    let step = (-(dp.scale as f64)).exp2();
    let bound = |i: i64| (i as f64 * step).exp2();
    let mut out = Vec::new();
    if let Some(p) = &dp.positive {
        for (k, &count) in p.bucket_counts.iter().enumerate() {
            if count > 0 {
                let i = p.offset as i64 + k as i64;
                let (lower, upper) = (bound(i), bound(i + 1));
                out.push(Bucket {
                    value: (lower + upper) / 2.0,
                    count,
                    lower,
                    upper,
                });
            }
        }
    }
    if dp.zero_count > 0 {
        out.push(Bucket {
            value: 0.0,
            count: dp.zero_count,
            lower: 0.0,
            upper: 0.0,
        });
    }
    if let Some(n) = &dp.negative {
        for (k, &count) in n.bucket_counts.iter().enumerate() {
            if count > 0 {
                let i = n.offset as i64 + k as i64;
                let (lower, upper) = (-bound(i + 1), -bound(i));
                out.push(Bucket {
                    value: (lower + upper) / 2.0,
                    count,
                    lower,
                    upper,
                });
            }
        }
    }
    out
}

fn exponential(
    metric: &Metric,
    dp: &ExponentialHistogramDataPoint,
    ctx: &Context<'_>,
    out: &mut Vec<Point>,
    dropped: &mut Dropped,
) {
    if no_value(dp.flags) {
        dropped.no_recorded_value += 1;
        return;
    }
    if !(finite(dp.sum) && finite(dp.min) && finite(dp.max)) {
        dropped.not_finite += 1;
        return;
    }
    let labels = ctx.labels(&dp.attributes);
    let timestamp_ms = ms(dp.time_unix_nano);
    let all = buckets(dp);
    let sum = dp.sum.unwrap_or(0.0);
    if all.len() <= MAX_BUCKETS_PER_VALUE {
        out.push(Point {
            name: metric.name.clone(),
            value: MetricValue::Buckets {
                values: all.iter().map(|b| b.value).collect(),
                counts: all.iter().map(|b| b.count as f64).collect(),
                max: dp.max.unwrap_or(0.0),
                min: dp.min.unwrap_or(0.0),
                count: dp.count,
                sum,
            },
            labels,
            timestamp_ms,
            split: 0,
        });
        return;
    }
    // Several pieces: each carries its own buckets' count and bounds; the total sum goes on
    // the first piece only (CloudWatch adds the pieces up), and the recorded min and max go on
    // the pieces holding the lowest and the highest bucket.
    let lowest = all.iter().map(|b| b.lower).fold(f64::INFINITY, f64::min);
    let highest = all
        .iter()
        .map(|b| b.upper)
        .fold(f64::NEG_INFINITY, f64::max);
    for (split, chunk) in all.chunks(MAX_BUCKETS_PER_VALUE).enumerate() {
        let mut min = chunk.iter().map(|b| b.lower).fold(f64::INFINITY, f64::min);
        let mut max = chunk
            .iter()
            .map(|b| b.upper)
            .fold(f64::NEG_INFINITY, f64::max);
        if min == lowest {
            min = dp.min.unwrap_or(min);
        }
        if max == highest {
            max = dp.max.unwrap_or(max);
        }
        out.push(Point {
            name: metric.name.clone(),
            value: MetricValue::Buckets {
                values: chunk.iter().map(|b| b.value).collect(),
                counts: chunk.iter().map(|b| b.count as f64).collect(),
                max,
                min,
                count: chunk.iter().map(|b| b.count).sum(),
                sum: if split == 0 { sum } else { 0.0 },
            },
            labels: labels.clone(),
            timestamp_ms,
            split,
        });
    }
}

/// Go's `strconv.FormatFloat(q, 'g', -1, 64)` for a quantile.
fn quantile_label(q: f64) -> String {
    let exp = if q == 0.0 {
        0
    } else {
        q.abs().log10().floor() as i32
    };
    if !(-4..21).contains(&exp) {
        let s = format!("{q:e}");
        let (m, e) = s.split_once('e').expect("LowerExp has an exponent");
        let (sign, digits) = e.strip_prefix('-').map_or(('+', e), |d| ('-', d));
        format!("{m}e{sign}{digits:0>2}")
    } else {
        format!("{q}")
    }
}

fn summary(
    metric: &Metric,
    dp: &SummaryDataPoint,
    ctx: &Context<'_>,
    calc: &mut DeltaCalculator,
    now: Instant,
    out: &mut Vec<Point>,
    dropped: &mut Dropped,
) {
    if no_value(dp.flags) {
        dropped.no_recorded_value += 1;
        return;
    }
    if !dp.sum.is_finite() || dp.quantile_values.iter().any(|q| !q.value.is_finite()) {
        dropped.not_finite += 1;
        return;
    }
    let labels = ctx.labels(&dp.attributes);
    let timestamp_ms = ms(dp.time_unix_nano);
    let (sum, count) = if ctx.from_prometheus {
        let raw = Reading::SumCount(dp.sum, dp.count);
        match calc.delta(ctx.key(&metric.name, &labels), raw, now) {
            Some(Reading::SumCount(s, c)) => (s, c),
            _ => return,
        }
    } else {
        (dp.sum, dp.count)
    };
    if !ctx.detailed {
        let first = dp.quantile_values.first().map_or(0.0, |q| q.value);
        let last = dp.quantile_values.last().map_or(0.0, |q| q.value);
        out.push(Point {
            name: metric.name.clone(),
            value: MetricValue::Stats {
                max: last,
                min: first,
                count,
                sum,
            },
            labels,
            timestamp_ms,
            split: 0,
        });
        return;
    }
    let plain = |name: String, v: f64, labels: Labels| Point {
        name,
        value: MetricValue::Number(v),
        labels,
        timestamp_ms,
        split: 0,
    };
    out.push(plain(format!("{}_sum", metric.name), sum, labels.clone()));
    out.push(plain(
        format!("{}_count", metric.name),
        count as f64,
        labels.clone(),
    ));
    for q in &dp.quantile_values {
        let mut l = labels.clone();
        l.insert("quantile".to_string(), quantile_label(q.quantile));
        out.push(plain(metric.name.clone(), q.value, l));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pdata::proto::metrics::v1::exponential_histogram_data_point::Buckets;

    #[test]
    fn exponential_buckets_are_midpoints_in_upstream_order() {
        let dp = ExponentialHistogramDataPoint {
            scale: 0,
            zero_count: 4,
            positive: Some(Buckets {
                offset: 0,
                bucket_counts: vec![1, 2, 3],
            }),
            negative: Some(Buckets {
                offset: 0,
                bucket_counts: vec![1, 0, 2],
            }),
            ..Default::default()
        };
        let b = buckets(&dp);
        let values: Vec<f64> = b.iter().map(|b| b.value).collect();
        let counts: Vec<u64> = b.iter().map(|b| b.count).collect();
        assert_eq!(values, [1.5, 3.0, 6.0, 0.0, -1.5, -6.0]);
        assert_eq!(counts, [1, 2, 3, 4, 1, 2]);
    }

    #[test]
    fn quantile_labels_are_go_g_format() {
        assert_eq!(quantile_label(0.5), "0.5");
        assert_eq!(quantile_label(0.99), "0.99");
        assert_eq!(quantile_label(1.0), "1");
        assert_eq!(quantile_label(0.0), "0");
        assert_eq!(quantile_label(0.00001), "1e-05");
    }
}
