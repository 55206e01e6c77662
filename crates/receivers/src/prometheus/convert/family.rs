//! Which metric family a sample belongs to, and what OTLP type that family becomes (contrib
//! `metadataForMetric`, `normalizeMetricName`, `convToMetricType`).

use prometheus::scrape::{MetricMetadata, MetricType};
use std::collections::HashMap;

/// The OTLP shape of a family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Cumulative Sum: counters (monotonic), info and stateset (not monotonic).
    Sum { monotonic: bool },
    /// Gauge: gauges and unknown/untyped metrics.
    Gauge,
    /// Cumulative explicit-bounds histogram from `_bucket`/`_sum`/`_count`.
    Histogram,
    /// Summary from quantile samples, `_sum` and `_count`.
    Summary,
    /// Gauge histograms: OTLP has no such type and the OpenTelemetry specification says to drop
    /// them, which the reference's mapping follows.
    Dropped,
}

/// A sample's family, resolved once per name per batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Family {
    /// The OTLP metric name before `trim_metric_suffixes`: counters keep the full name
    /// (`x_total`), histograms and summaries use the base name.
    pub name: String,
    /// The name the metadata was found under (Prometheus' `MetricFamily`); a `<key>_created`
    /// sample carries the family's start time.
    pub key: String,
    pub kind: Kind,
    /// `metric.metadata["prometheus.type"]`: the type as Prometheus named it.
    pub type_name: &'static str,
    pub help: String,
    pub unit: String,
}

/// The suffixes stripped, in this order, to find a family's metadata when the sample's own name
/// has none (upstream's `trimmableSuffixes`).
const TRIMMABLE_SUFFIXES: [&str; 6] = ["_bucket", "_count", "_sum", "_total", "_info", "_created"];

/// upstream `normalizeMetricName`: the name without the first trimmable suffix it ends with
/// (never trimmed to nothing).
pub fn normalize_name(name: &str) -> &str {
    for s in TRIMMABLE_SUFFIXES {
        if name != s
            && let Some(base) = name.strip_suffix(s)
        {
            return base;
        }
    }
    name
}

/// The synthetic series every scrape adds; the receiver fixes their metadata (contrib
/// `internalMetricMetadata`).
fn internal_metadata(name: &str) -> Option<(&'static str, &'static str)> {
    Some(match name {
        "up" => ("The scraping was successful", ""),
        "scrape_duration_seconds" => ("Duration of the scrape", "seconds"),
        "scrape_samples_scraped" => ("The number of samples the target exposed", ""),
        "scrape_series_added" => ("The approximate number of new series in this scrape", ""),
        "scrape_samples_post_metric_relabeling" => (
            "The number of samples remaining after metric relabeling was applied",
            "",
        ),
        _ => return None,
    })
}

fn kind_of(t: MetricType) -> Kind {
    match t {
        MetricType::Counter => Kind::Sum { monotonic: true },
        MetricType::Info | MetricType::StateSet => Kind::Sum { monotonic: false },
        MetricType::Gauge | MetricType::Unknown => Kind::Gauge,
        MetricType::Histogram => Kind::Histogram,
        MetricType::Summary => Kind::Summary,
        MetricType::GaugeHistogram => Kind::Dropped,
    }
}

/// Prometheus' `model.MetricType` strings (`untyped` is `unknown` since Prometheus 2).
pub fn type_name(t: MetricType) -> &'static str {
    match t {
        MetricType::Counter => "counter",
        MetricType::Gauge => "gauge",
        MetricType::Histogram => "histogram",
        MetricType::GaugeHistogram => "gaugehistogram",
        MetricType::Summary => "summary",
        MetricType::Info => "info",
        MetricType::StateSet => "stateset",
        MetricType::Unknown => "unknown",
    }
}

fn family(name: &str, key: &str, meta: &MetricMetadata) -> Family {
    Family {
        name: name.to_string(),
        key: key.to_string(),
        kind: kind_of(meta.metric_type),
        type_name: type_name(meta.metric_type),
        help: meta.help.clone(),
        unit: meta.unit.clone(),
    }
}

/// Resolves the family of the sample named `name` from the scrape's metadata (keyed by family
/// name as exposed).
///
/// Upstream's rules, with one deliberate difference: a name that only matches a *gauge* or
/// *unknown* family after stripping a suffix (an untyped `foo_sum` next to a gauge `foo`) is its
/// own unknown-typed metric here. Upstream merges it into the gauge family, where its points
/// overwrite the gauge's own (same labels once the name is ignored).
pub fn resolve(name: &str, metadata: &HashMap<String, MetricMetadata>) -> Family {
    if let Some((help, unit)) = internal_metadata(name) {
        return Family {
            name: name.to_string(),
            key: name.to_string(),
            kind: Kind::Gauge,
            type_name: "gauge",
            help: help.to_string(),
            unit: unit.to_string(),
        };
    }
    if let Some(meta) = metadata.get(name) {
        return family(name, name, meta);
    }
    // OpenMetrics gauge histograms: `_gcount`/`_gsum` are not among upstream's trimmable
    // suffixes, but they belong to the dropped family as much as its `_bucket` series do.
    for suffix in ["_gcount", "_gsum"] {
        if let Some(base) = name.strip_suffix(suffix)
            && let Some(meta) = metadata.get(base)
            && meta.metric_type == MetricType::GaugeHistogram
        {
            return family(base, base, meta);
        }
    }
    let base = normalize_name(name);
    if base != name
        && let Some(meta) = metadata.get(base)
    {
        return match meta.metric_type {
            // An OpenMetrics counter `x` exposes `x_total` and `x_created`: both are `x_total`.
            MetricType::Counter if name.ends_with("_created") => {
                family(&format!("{base}_total"), base, meta)
            }
            MetricType::Counter => family(name, base, meta),
            MetricType::Gauge | MetricType::Unknown => unknown(name),
            _ => family(base, base, meta),
        };
    }
    unknown(name)
}

fn unknown(name: &str) -> Family {
    Family {
        name: name.to_string(),
        key: name.to_string(),
        kind: Kind::Gauge,
        type_name: "unknown",
        help: String::new(),
        unit: String::new(),
    }
}
