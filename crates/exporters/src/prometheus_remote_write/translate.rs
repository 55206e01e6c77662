//! OTLP metrics → Prometheus remote-write series, as contrib's
//! `pkg/translator/prometheusremotewrite` (`FromMetrics`, `helper.go`) builds them:
//!
//! - names from [`prometheus::naming::metric_name`] (units, `_total`, `_ratio`, namespace);
//! - labels: the point's attributes (and the resource's with
//!   `resource_to_telemetry_conversion`), names normalised, sorted, values of attributes that
//!   collide after normalising joined with `;` in key order; `job` from
//!   `service.namespace/service.name`, `instance` from `service.instance.id`; external labels
//!   only where no label of that name exists; then `__name__` and `le`/`quantile`;
//! - gauges and sums → one sample per point; histograms → `_bucket{le}` (cumulative, `+Inf` =
//!   count), `_sum` (when set), `_count`; summaries → `_sum`, `_count`, `{quantile}`;
//!   exponential histograms → native histograms;
//! - points flagged "no recorded value" become Prometheus' stale marker;
//! - delta sums and histograms cannot be represented and are refused with
//!   `invalid temporality and type combination for metric "<name>"`, the rest is still sent;
//! - `target_info` (value 1) per resource with attributes other than the service ones, at the
//!   resource's latest point time;
//! - samples sorted by timestamp within each series.

use std::collections::HashMap;

use pdata::ExportMetricsServiceRequest;
use pdata::proto::common::v1::KeyValue;
use pdata::proto::metrics::v1::metric::Data;
use pdata::proto::metrics::v1::number_data_point::Value as NumberValue;
use pdata::proto::metrics::v1::{AggregationTemporality, Metric, NumberDataPoint};
use pdata::proto::resource::v1::Resource;
use prometheus::naming::{self, MetricKind, TranslationStrategy, format_float_label};
use prometheus::remote::{
    Histogram, Label, MetricMetadata, MetricType, STALE_NAN_BITS, Sample, TimeSeries,
};

use super::native_histogram;
use crate::shared::prom_attr::as_string;

const SERVICE_NAME: &str = "service.name";
const SERVICE_NAMESPACE: &str = "service.namespace";
const SERVICE_INSTANCE_ID: &str = "service.instance.id";
const NO_RECORDED_VALUE: u32 = 1;

/// How metrics are translated (from the exporter's config).
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub namespace: String,
    /// Already normalised, sorted by name.
    pub external_labels: Vec<(String, String)>,
    pub strategy: TranslationStrategy,
    pub resource_to_telemetry: bool,
    pub target_info: bool,
    pub send_metadata: bool,
    /// `export_created_metric`: a `<name>_created` series with the start time of cumulative
    /// counters, histograms and summaries.
    pub export_created: bool,
}

/// The series and metadata of one OTLP request, and what could not be translated.
#[derive(Debug, Default)]
pub struct Translated {
    pub series: Vec<TimeSeries>,
    pub metadata: Vec<MetricMetadata>,
    /// One message per metric that was dropped (or partly dropped).
    pub errors: Vec<String>,
    /// OTLP data points that were dropped.
    pub dropped_points: usize,
}

/// Collects samples into series keyed by their (sorted) label set. The label sets live only
/// in the index until [`SeriesSet::finish`] moves them into their series, so a new series costs
/// no copy of its labels.
///
/// Hashing the label sets is most of the translation's cost: foldhash (seeded per process, so
/// crafted attributes cannot force collisions cheaply) is several times faster than SipHash.
#[derive(Default)]
struct SeriesSet {
    index: HashMap<Vec<Label>, usize, foldhash::fast::RandomState>,
    series: Vec<TimeSeries>,
}

impl SeriesSet {
    fn entry(&mut self, labels: Vec<Label>) -> &mut TimeSeries {
        let next = self.series.len();
        let i = *self.index.entry(labels).or_insert(next);
        if i == next {
            self.series.push(TimeSeries::default());
        }
        &mut self.series[i]
    }

    fn add_sample(&mut self, labels: Vec<Label>, value: f64, timestamp: i64) {
        self.entry(labels).samples.push(Sample { value, timestamp });
    }

    fn add_histogram(&mut self, labels: Vec<Label>, h: Histogram) {
        self.entry(labels).histograms.push(h);
    }

    fn finish(mut self) -> Vec<TimeSeries> {
        for (labels, i) in self.index {
            self.series[i].labels = labels;
        }
        for ts in &mut self.series {
            // Prometheus refuses a sample older than one it already stored in the same series.
            ts.samples.sort_by_key(|s| s.timestamp);
            ts.histograms.sort_by_key(|h| h.timestamp);
        }
        self.series
    }
}

/// One series' labels: a point's shared labels plus `__name__` and, for buckets and quantiles,
/// `le` or `quantile` — what [`LabelBase::labels`] gives with those as extras, without
/// re-deriving the shared part for every bucket.
fn series_labels(point: &[Label], name: &str, extra: Option<(&str, &str)>) -> Vec<Label> {
    let mut out = Vec::with_capacity(point.len() + 2);
    out.extend_from_slice(point);
    set_sorted(&mut out, "__name__", name);
    if let Some((n, v)) = extra {
        set_sorted(&mut out, n, v);
    }
    out
}

/// Sets a label in a sorted label set; an empty value removes it (Prometheus: an empty label is
/// an absent one).
fn set_sorted(labels: &mut Vec<Label>, name: &str, value: &str) {
    match labels.binary_search_by(|l| l.name.as_str().cmp(name)) {
        Ok(i) if value.is_empty() => {
            labels.remove(i);
        }
        Ok(i) => value.clone_into(&mut labels[i].value),
        Err(_) if value.is_empty() => {}
        Err(i) => labels.insert(
            i,
            Label {
                name: name.to_string(),
                value: value.to_string(),
            },
        ),
    }
}

/// The attributes of one point's label set, before `__name__` and the extras.
struct LabelBase<'a> {
    settings: &'a Settings,
    resource: &'a [KeyValue],
}

impl LabelBase<'_> {
    /// Upstream `createAttributes`: `extras` are (name, value) pairs set last, overriding.
    fn labels(
        &self,
        attributes: &[KeyValue],
        ignore: &[&str],
        extras: &[(&str, &str)],
    ) -> Vec<Label> {
        let strategy = self.settings.strategy;
        let mut raw: Vec<(&str, String)> = Vec::with_capacity(attributes.len() + 4);
        let resource_attrs: &[KeyValue] = if self.settings.resource_to_telemetry {
            self.resource
        } else {
            &[]
        };
        // Resource attributes copied into the point replace the point's own of the same key.
        for kv in attributes {
            if ignore.contains(&kv.key.as_str()) || resource_attrs.iter().any(|r| r.key == kv.key) {
                continue;
            }
            raw.push((kv.key.as_str(), as_string(kv.value.as_ref())));
        }
        for kv in resource_attrs {
            if !ignore.contains(&kv.key.as_str()) {
                raw.push((kv.key.as_str(), as_string(kv.value.as_ref())));
            }
        }
        raw.sort_by(|a, b| a.0.cmp(b.0));
        let mut out: Vec<Label> = Vec::with_capacity(raw.len() + 4);
        for (key, value) in raw {
            let name = naming::label_name(key, strategy);
            match out.iter_mut().find(|l| l.name == name) {
                Some(existing) => {
                    existing.value.push(';');
                    existing.value.push_str(&value);
                }
                None => out.push(Label { name, value }),
            }
        }
        let set = |out: &mut Vec<Label>, name: &str, value: String| match out
            .iter_mut()
            .find(|l| l.name == name)
        {
            Some(l) => l.value = value,
            None => out.push(Label {
                name: name.to_string(),
                value,
            }),
        };
        if let Some(service) = find(self.resource, SERVICE_NAME) {
            let job = match find(self.resource, SERVICE_NAMESPACE) {
                Some(ns) => format!("{ns}/{service}"),
                None => service,
            };
            set(&mut out, "job", job);
        }
        if let Some(instance) = find(self.resource, SERVICE_INSTANCE_ID) {
            set(&mut out, "instance", instance);
        }
        for (name, value) in &self.settings.external_labels {
            if !out.iter().any(|l| &l.name == name) {
                out.push(Label {
                    name: name.clone(),
                    value: value.clone(),
                });
            }
        }
        for (name, value) in extras {
            let reserved = name.len() > 4 && name.starts_with("__") && name.ends_with("__");
            let name = if reserved {
                name.to_string()
            } else {
                naming::label_name(name, strategy)
            };
            set(&mut out, &name, value.to_string());
        }
        // Prometheus expects the labels of a series sorted by name, and empty values are
        // the same as absent labels.
        out.retain(|l| !l.value.is_empty());
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }
}

impl LabelBase<'_> {
    /// The labels every series of one point shares (all but `__name__` and `le`/`quantile`).
    fn point(&self, attributes: &[KeyValue]) -> Vec<Label> {
        self.labels(attributes, &[], &[])
    }
}

fn find(attrs: &[KeyValue], key: &str) -> Option<String> {
    attrs
        .iter()
        .find(|kv| kv.key == key)
        .map(|kv| as_string(kv.value.as_ref()))
}

fn ms(nanos: u64) -> i64 {
    (nanos / 1_000_000) as i64
}

fn number(p: &NumberDataPoint) -> f64 {
    if p.flags & NO_RECORDED_VALUE != 0 {
        return f64::from_bits(STALE_NAN_BITS);
    }
    match p.value {
        Some(NumberValue::AsDouble(d)) => d,
        Some(NumberValue::AsInt(i)) => i as f64,
        None => 0.0,
    }
}

fn stale_or(flags: u32, v: f64) -> f64 {
    if flags & NO_RECORDED_VALUE != 0 {
        f64::from_bits(STALE_NAN_BITS)
    } else {
        v
    }
}

fn is_cumulative(temporality: i32) -> bool {
    temporality == AggregationTemporality::Cumulative as i32
}

/// The points of a metric (for counting what is dropped).
fn point_count(m: &Metric) -> usize {
    match &m.data {
        Some(Data::Gauge(g)) => g.data_points.len(),
        Some(Data::Sum(s)) => s.data_points.len(),
        Some(Data::Histogram(h)) => h.data_points.len(),
        Some(Data::ExponentialHistogram(h)) => h.data_points.len(),
        Some(Data::Summary(s)) => s.data_points.len(),
        None => 0,
    }
}

/// Translates a whole request.
pub fn translate(request: &ExportMetricsServiceRequest, settings: &Settings) -> Translated {
    let mut out = Translated::default();
    let mut set = SeriesSet::default();
    let mut metadata: HashMap<String, MetricMetadata> = HashMap::new();
    for rm in &request.resource_metrics {
        let empty = Resource::default();
        let resource = rm.resource.as_ref().unwrap_or(&empty);
        let base = LabelBase {
            settings,
            resource: &resource.attributes,
        };
        let mut latest = 0u64;
        for sm in &rm.scope_metrics {
            for metric in &sm.metrics {
                match translate_metric(metric, &base, &mut set, &mut latest) {
                    Ok(Some(meta)) if settings.send_metadata => {
                        metadata
                            .entry(meta.metric_family_name.clone())
                            .or_insert(meta);
                    }
                    Ok(_) => {}
                    Err((error, dropped)) => {
                        out.errors.push(error);
                        out.dropped_points += dropped;
                    }
                }
            }
        }
        if settings.target_info {
            target_info(&base, latest, &mut set);
        }
    }
    out.series = set.finish();
    let mut metadata: Vec<_> = metadata.into_values().collect();
    metadata.sort_by(|a, b| a.metric_family_name.cmp(&b.metric_family_name));
    out.metadata = metadata;
    out
}

/// Upstream `addResourceTargetInfo`.
fn target_info(base: &LabelBase<'_>, latest: u64, set: &mut SeriesSet) {
    let identifying = [SERVICE_NAMESPACE, SERVICE_NAME, SERVICE_INSTANCE_ID];
    if latest == 0
        || base
            .resource
            .iter()
            .all(|kv| identifying.contains(&kv.key.as_str()))
    {
        return;
    }
    let name = if base.settings.namespace.is_empty() {
        "target_info".to_string()
    } else {
        format!("{}_target_info", base.settings.namespace)
    };
    // Resource attributes are the labels here, whatever resource_to_telemetry says.
    let plain = Settings {
        resource_to_telemetry: false,
        ..base.settings.clone()
    };
    let labels = LabelBase {
        settings: &plain,
        resource: base.resource,
    }
    .labels(base.resource, &identifying, &[("__name__", &name)]);
    if !labels
        .iter()
        .any(|l| l.name == "job" || l.name == "instance")
    {
        return;
    }
    set.add_sample(labels, 1.0, ms(latest));
}

type MetricError = (String, usize);

fn translate_metric(
    metric: &Metric,
    base: &LabelBase<'_>,
    set: &mut SeriesSet,
    latest: &mut u64,
) -> Result<Option<MetricMetadata>, MetricError> {
    let invalid = || {
        (
            format!(
                "invalid temporality and type combination for metric {:?}",
                metric.name
            ),
            point_count(metric),
        )
    };
    let settings = base.settings;
    let kind = match &metric.data {
        None => {
            return Err((
                format!("unknown metric type for metric {:?}", metric.name),
                0,
            ));
        }
        Some(Data::Gauge(_)) => MetricKind::Gauge,
        Some(Data::Sum(s)) if !is_cumulative(s.aggregation_temporality) => return Err(invalid()),
        Some(Data::Sum(s)) if s.is_monotonic => MetricKind::MonotonicSum,
        Some(Data::Sum(_)) => MetricKind::NonMonotonicSum,
        Some(Data::Histogram(h)) if !is_cumulative(h.aggregation_temporality) => {
            return Err(invalid());
        }
        Some(Data::Histogram(_)) => MetricKind::Histogram,
        Some(Data::ExponentialHistogram(h)) if !is_cumulative(h.aggregation_temporality) => {
            return Err(invalid());
        }
        Some(Data::ExponentialHistogram(_)) => MetricKind::ExponentialHistogram,
        Some(Data::Summary(_)) => MetricKind::Summary,
    };
    if point_count(metric) == 0 {
        return Err((format!("empty data points. {} is dropped", metric.name), 0));
    }
    let name = naming::metric_name(
        &metric.name,
        &metric.unit,
        kind,
        &settings.namespace,
        settings.strategy,
    );
    let suffixed = |suffix: &str| format!("{name}{suffix}");
    let created = |attrs: &[Label], start: u64, ts: i64, set: &mut SeriesSet| {
        if settings.export_created && start != 0 {
            let created_name = suffixed("_created");
            let labels = series_labels(attrs, &created_name, None);
            set.add_sample(labels, ms(start) as f64, ts);
        }
    };
    let metric_type = match &metric.data {
        Some(Data::Gauge(g)) => {
            for p in &g.data_points {
                *latest = (*latest).max(p.time_unix_nano);
                let labels = series_labels(&base.point(&p.attributes), &name, None);
                set.add_sample(labels, number(p), ms(p.time_unix_nano));
            }
            MetricType::Gauge
        }
        Some(Data::Sum(s)) => {
            for p in &s.data_points {
                *latest = (*latest).max(p.time_unix_nano);
                let point = base.point(&p.attributes);
                set.add_sample(
                    series_labels(&point, &name, None),
                    number(p),
                    ms(p.time_unix_nano),
                );
                if s.is_monotonic {
                    created(&point, p.start_time_unix_nano, ms(p.time_unix_nano), set);
                }
            }
            if s.is_monotonic {
                MetricType::Counter
            } else {
                MetricType::Gauge
            }
        }
        Some(Data::Histogram(h)) => {
            let (sum_name, count_name, bucket_name) =
                (suffixed("_sum"), suffixed("_count"), suffixed("_bucket"));
            for p in &h.data_points {
                *latest = (*latest).max(p.time_unix_nano);
                let ts = ms(p.time_unix_nano);
                let point = base.point(&p.attributes);
                if let Some(sum) = p.sum {
                    let labels = series_labels(&point, &sum_name, None);
                    set.add_sample(labels, stale_or(p.flags, sum), ts);
                }
                let labels = series_labels(&point, &count_name, None);
                set.add_sample(labels, stale_or(p.flags, p.count as f64), ts);
                let mut cumulative = 0u64;
                for (i, bound) in p.explicit_bounds.iter().enumerate() {
                    cumulative += p.bucket_counts.get(i).copied().unwrap_or(0);
                    let le = format_float_label(*bound);
                    let labels = series_labels(&point, &bucket_name, Some(("le", &le)));
                    set.add_sample(labels, stale_or(p.flags, cumulative as f64), ts);
                }
                let labels = series_labels(&point, &bucket_name, Some(("le", "+Inf")));
                set.add_sample(labels, stale_or(p.flags, p.count as f64), ts);
                created(&point, p.start_time_unix_nano, ts, set);
            }
            MetricType::Histogram
        }
        Some(Data::ExponentialHistogram(h)) => {
            let mut failed = None;
            let mut dropped = 0;
            for p in &h.data_points {
                *latest = (*latest).max(p.time_unix_nano);
                match native_histogram::convert(p, ms(p.time_unix_nano)) {
                    Ok(native) => {
                        let labels = series_labels(&base.point(&p.attributes), &name, None);
                        set.add_histogram(labels, native);
                    }
                    Err(e) => {
                        dropped += 1;
                        failed = Some(e);
                    }
                }
            }
            if let Some(e) = failed {
                return Err((format!("metric {:?}: {e}", metric.name), dropped));
            }
            MetricType::Histogram
        }
        Some(Data::Summary(s)) => {
            let (sum_name, count_name) = (suffixed("_sum"), suffixed("_count"));
            for p in &s.data_points {
                *latest = (*latest).max(p.time_unix_nano);
                let ts = ms(p.time_unix_nano);
                let point = base.point(&p.attributes);
                let labels = series_labels(&point, &sum_name, None);
                set.add_sample(labels, stale_or(p.flags, p.sum), ts);
                let labels = series_labels(&point, &count_name, None);
                set.add_sample(labels, stale_or(p.flags, p.count as f64), ts);
                for q in &p.quantile_values {
                    let quantile = format_float_label(q.quantile);
                    let labels = series_labels(&point, &name, Some(("quantile", &quantile)));
                    set.add_sample(labels, stale_or(p.flags, q.value), ts);
                }
                created(&point, p.start_time_unix_nano, ts, set);
            }
            MetricType::Summary
        }
        None => MetricType::Unknown,
    };
    Ok(Some(MetricMetadata {
        r#type: metric_type as i32,
        metric_family_name: name,
        help: metric.description.clone(),
        unit: metric.unit.clone(),
    }))
}

#[cfg(test)]
#[path = "translate_tests.rs"]
mod tests;
