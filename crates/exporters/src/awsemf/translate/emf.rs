//! One group → EMF events (`metric_translator.go`: `translateGroupedMetricToCWMetric`,
//! `groupedMetricToCWMeasurement*`, `translateCWMetricToEMF`).
//!
//! The JSON is upstream's: top-level members sorted byte-wise (Go writes a map), labels as
//! strings (or parsed JSON for `parse_json_encoded_attr_values`), metrics as numbers or objects,
//! and the directive as `{"Namespace","Dimensions","Metrics":[{"Name","Unit","StorageResolution"}]}`.
//!
//! Unlike upstream, a group with more than 100 metrics in its directives is written as several
//! events of at most 100 metrics each (CloudWatch ignores a directive with more than 100 metric
//! definitions), every event carrying the group's labels; and a dimension set with more than 30
//! names is left out of the directive (CloudWatch would refuse the directive).

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{DefaultHasher, Hash, Hasher};

use aws::gojson;

use super::datapoint::MetricValue;
use super::dimensions::{self, MAX_DIMENSIONS};
use super::{EmfEvent, Group, GroupKey, GroupedMetric, Rules, Translation};

/// CloudWatch ignores a directive with more metric definitions than this.
pub const MAX_METRICS_PER_DIRECTIVE: usize = 100;

/// One directive (`CloudWatchMetrics[]` entry) before it is written.
#[derive(Debug, PartialEq)]
struct Measurement<'a> {
    dimensions: Vec<Vec<String>>,
    metrics: Vec<&'a str>,
}

/// Writes the events of one group into `out`.
pub fn render(rules: &Rules, key: &GroupKey, group: &Group, out: &mut Translation) {
    let parsed = parsed_json_labels(rules, group);
    let mut measurements = measurements(rules, group, &parsed);
    for m in &mut measurements {
        let before = m.dimensions.len();
        m.dimensions.retain(|set| set.len() <= MAX_DIMENSIONS);
        let removed = before - m.dimensions.len();
        if removed > 0 {
            out.oversized_dimension_sets += removed;
            tracing::warn!(
                namespace = %key.namespace,
                removed,
                "Dimension sets with more than {MAX_DIMENSIONS} dimensions left out of the EMF directive (CloudWatch refuses them)"
            );
        }
    }
    measurements.retain(|m| !m.dimensions.is_empty() && !m.metrics.is_empty());

    // Split the metrics named by directives into chunks of at most 100; the metrics no
    // directive names (filtered out by declarations) ride along with the first chunk.
    let directed: BTreeSet<&str> = measurements
        .iter()
        .flat_map(|m| m.metrics.iter().copied())
        .collect();
    let directed: Vec<&str> = directed.into_iter().collect();
    if directed.len() <= MAX_METRICS_PER_DIRECTIVE {
        let all: Vec<&str> = group.metrics.keys().map(String::as_str).collect();
        out.events
            .push(event(rules, key, group, &parsed, &all, &measurements));
        return;
    }
    for (i, chunk) in directed.chunks(MAX_METRICS_PER_DIRECTIVE).enumerate() {
        let in_chunk: BTreeSet<&str> = chunk.iter().copied().collect();
        let mut names: Vec<&str> = chunk.to_vec();
        if i == 0 {
            names.extend(
                group
                    .metrics
                    .keys()
                    .map(String::as_str)
                    .filter(|n| directed.binary_search(n).is_err()),
            );
        }
        let parts: Vec<Measurement<'_>> = measurements
            .iter()
            .map(|m| Measurement {
                dimensions: m.dimensions.clone(),
                metrics: m
                    .metrics
                    .iter()
                    .copied()
                    .filter(|n| in_chunk.contains(n))
                    .collect(),
            })
            .filter(|m| !m.metrics.is_empty())
            .collect();
        out.events
            .push(event(rules, key, group, &parsed, &names, &parts));
    }
}

/// The `parse_json_encoded_attr_values` labels of a group that hold JSON, parsed.
fn parsed_json_labels(rules: &Rules, group: &Group) -> BTreeMap<String, serde_json::Value> {
    let mut parsed = BTreeMap::new();
    for key in &rules.parse_json {
        let Some(text) = group.labels.get(key) else {
            continue;
        };
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(v) => {
                parsed.insert(key.clone(), v);
            }
            Err(error) => {
                tracing::debug!(label = %key, %error, "Failed to parse json-encoded string")
            }
        }
    }
    parsed
}

/// The directives of a group, before the 30-dimension and 100-metric limits.
///
/// A label written as parsed JSON is not a string, and CloudWatch refuses a dimension that is
/// not: such labels are left out of the full set and the rollup, and declared sets naming them
/// are skipped (upstream sends them and CloudWatch drops the directive).
fn measurements<'a>(
    rules: &Rules,
    group: &'a Group,
    parsed: &BTreeMap<String, serde_json::Value>,
) -> Vec<Measurement<'a>> {
    let stripped;
    let labels = if parsed.is_empty() {
        &group.labels
    } else {
        stripped = group
            .labels
            .iter()
            .filter(|(k, _)| !parsed.contains_key(*k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        &stripped
    };
    let names = || group.metrics.keys().map(String::as_str);
    let Some(declarations) = &rules.declarations else {
        return vec![Measurement {
            dimensions: dimensions::without_declarations(rules.rollup, labels),
            metrics: names().collect(),
        }];
    };
    let matching: Vec<_> = declarations
        .iter()
        .filter(|d| d.matches_labels(&group.labels))
        .collect();
    if matching.is_empty() {
        tracing::debug!(
            ?labels,
            "Dropped batch of metrics: no metric declaration matched labels"
        );
        return Vec::new();
    }
    // Metrics matched by the same declarations share a directive.
    let mut by_declarations: BTreeMap<Vec<usize>, Vec<&str>> = BTreeMap::new();
    for name in names() {
        let which: Vec<usize> = matching
            .iter()
            .enumerate()
            .filter(|(_, d)| d.matches_name(name))
            .map(|(i, _)| i)
            .collect();
        if which.is_empty() {
            tracing::debug!(
                metric = name,
                "Dropped metric: no metric declaration matched metric name"
            );
            continue;
        }
        by_declarations.entry(which).or_default().push(name);
    }
    let rollup = dimensions::rollup(rules.rollup, labels);
    by_declarations
        .into_iter()
        .filter_map(|(which, metrics)| {
            let mut sets: Vec<Vec<String>> = Vec::new();
            for i in which {
                for set in matching[i].sets_for(labels) {
                    dimensions::push_unique(&mut sets, set);
                }
            }
            for set in &rollup {
                dimensions::push_unique(&mut sets, set);
            }
            (!sets.is_empty()).then_some(Measurement {
                dimensions: sets,
                metrics,
            })
        })
        .collect()
}

/// A top-level member of the event.
enum Field<'a> {
    Label(&'a str),
    Json(&'a serde_json::Value),
    Metric(&'a MetricValue),
    Text(&'static str),
    Aws,
    Directives,
    TimestampText,
}

fn event<'a>(
    rules: &Rules,
    key: &GroupKey,
    group: &'a Group,
    parsed: &'a BTreeMap<String, serde_json::Value>,
    names: &[&'a str],
    measurements: &[Measurement<'_>],
) -> EmfEvent {
    // Go's map: a later member of the same name replaces an earlier one, and members come out
    // sorted.
    let mut fields: BTreeMap<&str, Field<'_>> = BTreeMap::new();
    for (k, v) in &group.labels {
        let field = match parsed.get(k) {
            Some(json) => Field::Json(json),
            None => Field::Label(v),
        };
        fields.insert(k, field);
    }
    for name in names {
        fields.insert(name, Field::Metric(&group.metrics[*name].value));
    }
    if group.from_prometheus {
        fields.insert("prom_metric_type", Field::Text(key.kind.prometheus_type()));
    }
    let has_directives = !measurements.is_empty();
    if rules.version_0 {
        fields.insert("Timestamp", Field::TimestampText);
        if has_directives {
            fields.insert("Version", Field::Text("0"));
            fields.insert("CloudWatchMetrics", Field::Directives);
        }
    } else if has_directives {
        fields.insert("Version", Field::Text("1"));
        fields.insert("_aws", Field::Aws);
    }

    let mut s = String::with_capacity(256 + 48 * fields.len());
    s.push('{');
    for (i, (name, field)) in fields.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        gojson::string(&mut s, name);
        s.push(':');
        match field {
            Field::Label(v) => gojson::string(&mut s, v),
            Field::Json(v) => gojson::value(&mut s, v, gojson::Numbers::Float64),
            Field::Metric(v) => metric_value(&mut s, v),
            Field::Text(t) => gojson::string(&mut s, t),
            Field::TimestampText => gojson::string(&mut s, &key.timestamp_ms.to_string()),
            Field::Directives => directives(&mut s, &key.namespace, group, measurements),
            Field::Aws => {
                s.push_str("{\"CloudWatchMetrics\":");
                directives(&mut s, &key.namespace, group, measurements);
                s.push_str(",\"Timestamp\":");
                s.push_str(&key.timestamp_ms.to_string());
                s.push('}');
            }
        }
    }
    s.push('}');

    EmfEvent {
        log_group: key.log_group.clone(),
        log_stream: key.log_stream.clone(),
        timestamp_ms: key.timestamp_ms,
        message: s,
        metric_ids: metric_ids(&key.namespace, group, measurements),
    }
}

fn directives(s: &mut String, namespace: &str, group: &Group, measurements: &[Measurement<'_>]) {
    s.push('[');
    for (i, m) in measurements.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str("{\"Namespace\":");
        gojson::string(s, namespace);
        s.push_str(",\"Dimensions\":[");
        for (j, set) in m.dimensions.iter().enumerate() {
            if j > 0 {
                s.push(',');
            }
            s.push('[');
            for (k, d) in set.iter().enumerate() {
                if k > 0 {
                    s.push(',');
                }
                gojson::string(s, d);
            }
            s.push(']');
        }
        s.push_str("],\"Metrics\":[");
        for (j, name) in m.metrics.iter().enumerate() {
            if j > 0 {
                s.push(',');
            }
            let GroupedMetric {
                unit,
                storage_resolution,
                ..
            } = &group.metrics[*name];
            s.push_str("{\"Name\":");
            gojson::string(s, name);
            s.push_str(",\"Unit\":");
            gojson::string(s, unit);
            s.push_str(",\"StorageResolution\":");
            s.push_str(&storage_resolution.to_string());
            s.push('}');
        }
        s.push_str("]}");
    }
    s.push(']');
}

fn metric_value(s: &mut String, v: &MetricValue) {
    match v {
        MetricValue::Number(n) => gojson::float(s, *n),
        MetricValue::Stats {
            max,
            min,
            count,
            sum,
        } => {
            s.push_str("{\"Max\":");
            gojson::float(s, *max);
            s.push_str(",\"Min\":");
            gojson::float(s, *min);
            s.push_str(",\"Count\":");
            gojson::uint(s, *count);
            s.push_str(",\"Sum\":");
            gojson::float(s, *sum);
            s.push('}');
        }
        MetricValue::Buckets {
            values,
            counts,
            max,
            min,
            count,
            sum,
        } => {
            s.push_str("{\"Values\":");
            gojson::floats(s, values);
            s.push_str(",\"Counts\":");
            gojson::floats(s, counts);
            s.push_str(",\"Max\":");
            gojson::float(s, *max);
            s.push_str(",\"Min\":");
            gojson::float(s, *min);
            s.push_str(",\"Count\":");
            gojson::uint(s, *count);
            s.push_str(",\"Sum\":");
            gojson::float(s, *sum);
            s.push('}');
        }
    }
}

/// One hash per CloudWatch metric the directives define: namespace, metric name, and the
/// names and values of one dimension set.
fn metric_ids(namespace: &str, group: &Group, measurements: &[Measurement<'_>]) -> Vec<u64> {
    let mut ids = Vec::new();
    for m in measurements {
        for set in &m.dimensions {
            let mut base = DefaultHasher::new();
            namespace.hash(&mut base);
            for d in set {
                d.hash(&mut base);
                group.labels.get(d).hash(&mut base);
            }
            for name in &m.metrics {
                let mut h = base.clone();
                name.hash(&mut h);
                ids.push(h.finish());
            }
        }
    }
    ids
}
