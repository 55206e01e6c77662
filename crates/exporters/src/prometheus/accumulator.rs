//! The latest value of every series the exporter has seen, as contrib's `accumulator.go` keeps
//! them: gauges, cumulative sums, histograms and summaries replace older points of the same
//! series; monotonic *delta* sums and delta histograms are added up into a cumulative value when
//! each point starts where the previous one ended (otherwise the point starts the series anew);
//! points older than the stored one are ignored. Non-monotonic delta sums and exponential
//! histograms (the text formats cannot carry native histograms) are dropped, counted and logged
//! once per metric name. Series not updated for `metric_expiration` are forgotten at the next
//! scrape.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use ::prometheus::naming::{self, MetricKind, TranslationStrategy};
use pdata::ExportMetricsServiceRequest;
use pdata::proto::common::v1::KeyValue;
use pdata::proto::metrics::v1::metric::Data;
use pdata::proto::metrics::v1::number_data_point::Value as NumberValue;
use pdata::proto::metrics::v1::{AggregationTemporality, NumberDataPoint};

use crate::shared::prom_attr::as_string;

/// The family type, as the exposition's `# TYPE` line says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FamilyType {
    Counter,
    Gauge,
    Histogram,
    Summary,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Number(f64),
    /// Cumulative counts per upper bound (without `+Inf`), count and sum.
    Histogram {
        bounds: Vec<f64>,
        counts: Vec<u64>,
        count: u64,
        sum: f64,
    },
    Summary {
        quantiles: Vec<(f64, f64)>,
        count: u64,
        sum: f64,
    },
}

/// One series.
#[derive(Clone, Debug)]
pub struct Series {
    pub value: Value,
    pub time_nanos: u64,
    pub start_nanos: u64,
    updated: Instant,
}

/// One metric family: its type, help and series by (sorted) label set.
#[derive(Clone, Debug)]
pub struct Family {
    pub kind: FamilyType,
    pub help: String,
    pub series: BTreeMap<Vec<(String, String)>, Series>,
}

/// Translation settings.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub namespace: String,
    pub strategy: TranslationStrategy,
    pub resource_to_telemetry: bool,
    pub without_scope_info: bool,
    pub const_labels: Vec<(String, String)>,
}

#[derive(Default)]
pub struct Accumulator {
    pub families: BTreeMap<String, Family>,
    /// target_info label sets, with when they were last seen.
    pub targets: HashMap<Vec<(String, String)>, Instant>,
    warned: HashSet<String>,
    /// Points dropped since start (all reasons).
    pub dropped: u64,
}

fn find(attrs: &[KeyValue], key: &str) -> Option<String> {
    attrs
        .iter()
        .find(|kv| kv.key == key)
        .map(|kv| as_string(kv.value.as_ref()))
}

fn number(p: &NumberDataPoint) -> f64 {
    match p.value {
        Some(NumberValue::AsDouble(d)) => d,
        Some(NumberValue::AsInt(i)) => i as f64,
        None => 0.0,
    }
}

/// job and instance from the resource, as upstream `extractJob`/`extractInstance`.
fn job_instance(resource: &[KeyValue]) -> (Option<String>, Option<String>) {
    let job =
        find(resource, "service.name").map(|name| match find(resource, "service.namespace") {
            Some(ns) => format!("{ns}/{name}"),
            None => name,
        });
    (job, find(resource, "service.instance.id"))
}

struct Scope<'a> {
    name: &'a str,
    version: &'a str,
    schema_url: &'a str,
}

impl Accumulator {
    /// Takes in one request.
    pub fn accumulate(
        &mut self,
        request: &ExportMetricsServiceRequest,
        s: &Settings,
        now: Instant,
    ) {
        for rm in &request.resource_metrics {
            let resource: &[KeyValue] = rm.resource.as_ref().map_or(&[], |r| &r.attributes);
            let (job, instance) = job_instance(resource);
            if job.is_some() || instance.is_some() {
                self.targets
                    .insert(target_labels(resource, s, &job, &instance), now);
            }
            for sm in &rm.scope_metrics {
                let scope = Scope {
                    name: sm.scope.as_ref().map_or("", |s| s.name.as_str()),
                    version: sm.scope.as_ref().map_or("", |s| s.version.as_str()),
                    schema_url: &sm.schema_url,
                };
                for metric in &sm.metrics {
                    let labels = |attrs: &[KeyValue]| {
                        series_labels(attrs, resource, s, &scope, &job, &instance)
                    };
                    let name_for = |kind| {
                        naming::metric_name(
                            &metric.name,
                            &metric.unit,
                            kind,
                            &s.namespace,
                            s.strategy,
                        )
                    };
                    match &metric.data {
                        Some(Data::Gauge(g)) => {
                            let name = name_for(MetricKind::Gauge);
                            for p in &g.data_points {
                                self.store(
                                    &name,
                                    FamilyType::Gauge,
                                    &metric.description,
                                    labels(&p.attributes),
                                    Value::Number(number(p)),
                                    p,
                                    now,
                                    false,
                                );
                            }
                        }
                        Some(Data::Sum(sum)) => {
                            let delta =
                                sum.aggregation_temporality == AggregationTemporality::Delta as i32;
                            if delta && !sum.is_monotonic {
                                self.drop_points(
                                    &metric.name,
                                    sum.data_points.len(),
                                    "non-monotonic delta sums cannot be exposed",
                                );
                                continue;
                            }
                            let (kind, ty) = if sum.is_monotonic {
                                (MetricKind::MonotonicSum, FamilyType::Counter)
                            } else {
                                (MetricKind::NonMonotonicSum, FamilyType::Gauge)
                            };
                            let name = name_for(kind);
                            for p in &sum.data_points {
                                self.store(
                                    &name,
                                    ty,
                                    &metric.description,
                                    labels(&p.attributes),
                                    Value::Number(number(p)),
                                    p,
                                    now,
                                    delta,
                                );
                            }
                        }
                        Some(Data::Histogram(h)) => {
                            let delta =
                                h.aggregation_temporality == AggregationTemporality::Delta as i32;
                            let name = name_for(MetricKind::Histogram);
                            for p in &h.data_points {
                                let mut cumulative = 0u64;
                                let counts = p
                                    .explicit_bounds
                                    .iter()
                                    .enumerate()
                                    .map(|(i, _)| {
                                        cumulative += p.bucket_counts.get(i).copied().unwrap_or(0);
                                        cumulative
                                    })
                                    .collect();
                                let value = Value::Histogram {
                                    bounds: p.explicit_bounds.clone(),
                                    counts,
                                    count: p.count,
                                    sum: p.sum.unwrap_or(0.0),
                                };
                                let family =
                                    self.family(&name, FamilyType::Histogram, &metric.description);
                                let Some(family) = family else {
                                    self.drop_points(
                                        &metric.name,
                                        1,
                                        "the name is already used by a metric of another type",
                                    );
                                    continue;
                                };
                                upsert(
                                    family,
                                    labels(&p.attributes),
                                    value,
                                    p.time_unix_nano,
                                    p.start_time_unix_nano,
                                    now,
                                    delta,
                                );
                            }
                        }
                        Some(Data::Summary(sm)) => {
                            let name = name_for(MetricKind::Summary);
                            for p in &sm.data_points {
                                let value = Value::Summary {
                                    quantiles: p
                                        .quantile_values
                                        .iter()
                                        .map(|q| (q.quantile, q.value))
                                        .collect(),
                                    count: p.count,
                                    sum: p.sum,
                                };
                                let Some(family) =
                                    self.family(&name, FamilyType::Summary, &metric.description)
                                else {
                                    self.drop_points(
                                        &metric.name,
                                        1,
                                        "the name is already used by a metric of another type",
                                    );
                                    continue;
                                };
                                upsert(
                                    family,
                                    labels(&p.attributes),
                                    value,
                                    p.time_unix_nano,
                                    p.start_time_unix_nano,
                                    now,
                                    false,
                                );
                            }
                        }
                        Some(Data::ExponentialHistogram(h)) => {
                            self.drop_points(
                                &metric.name,
                                h.data_points.len(),
                                "exponential histograms cannot be exposed in the text formats",
                            );
                        }
                        None => {}
                    }
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn store(
        &mut self,
        name: &str,
        ty: FamilyType,
        help: &str,
        labels: Vec<(String, String)>,
        value: Value,
        p: &NumberDataPoint,
        now: Instant,
        delta: bool,
    ) {
        match self.family(name, ty, help) {
            Some(family) => upsert(
                family,
                labels,
                value,
                p.time_unix_nano,
                p.start_time_unix_nano,
                now,
                delta,
            ),
            None => self.drop_points(
                name,
                1,
                "the name is already used by a metric of another type",
            ),
        }
    }

    /// The family `name`, created if new; None when it exists with another type.
    fn family(&mut self, name: &str, kind: FamilyType, help: &str) -> Option<&mut Family> {
        let f = self
            .families
            .entry(name.to_string())
            .or_insert_with(|| Family {
                kind,
                help: help.to_string(),
                series: BTreeMap::new(),
            });
        (f.kind == kind).then_some(f)
    }

    fn drop_points(&mut self, metric: &str, n: usize, why: &str) {
        self.dropped += n as u64;
        if self.warned.insert(format!("{metric}\u{0}{why}")) {
            tracing::warn!(
                metric,
                dropped_data_points = n,
                "prometheus exporter: dropping points: {why} (logged once per metric)"
            );
        }
    }

    /// Forgets series (and targets) not updated within `expiration`, and empty families.
    pub fn expire(&mut self, now: Instant, expiration: Duration) {
        if expiration.is_zero() {
            return;
        }
        let alive = |t: Instant| now.saturating_duration_since(t) <= expiration;
        for f in self.families.values_mut() {
            f.series.retain(|_, s| alive(s.updated));
        }
        self.families.retain(|_, f| !f.series.is_empty());
        self.targets.retain(|_, t| alive(*t));
    }
}

/// Stores a point: replaces an older one; adds a contiguous delta to it.
fn upsert(
    family: &mut Family,
    labels: Vec<(String, String)>,
    value: Value,
    time: u64,
    start: u64,
    now: Instant,
    delta: bool,
) {
    match family.series.get_mut(&labels) {
        Some(existing) if time < existing.time_nanos => {}
        Some(existing) if delta && start == existing.time_nanos && start != 0 => {
            let merged = match (&existing.value, value.clone()) {
                (Value::Number(a), Value::Number(b)) => Some(Value::Number(a + b)),
                (
                    Value::Histogram {
                        bounds: b1,
                        counts: c1,
                        count: n1,
                        sum: s1,
                    },
                    Value::Histogram {
                        bounds: b2,
                        counts: c2,
                        count: n2,
                        sum: s2,
                    },
                ) if *b1 == b2 => Some(Value::Histogram {
                    bounds: b2,
                    counts: c1.iter().zip(c2).map(|(a, b)| a + b).collect(),
                    count: n1 + n2,
                    sum: s1 + s2,
                }),
                _ => None,
            };
            existing.start_nanos = if merged.is_some() {
                existing.start_nanos
            } else {
                start
            };
            existing.value = merged.unwrap_or(value);
            existing.time_nanos = time;
            existing.updated = now;
        }
        _ => {
            family.series.insert(
                labels,
                Series {
                    value,
                    time_nanos: time,
                    start_nanos: start,
                    updated: now,
                },
            );
        }
    }
}

/// A series' labels: attributes (and resource attributes with resource_to_telemetry), names
/// normalised and colliding values joined with `;`, scope labels, job and instance, const
/// labels; sorted by name.
fn series_labels(
    attrs: &[KeyValue],
    resource: &[KeyValue],
    s: &Settings,
    scope: &Scope<'_>,
    job: &Option<String>,
    instance: &Option<String>,
) -> Vec<(String, String)> {
    let mut raw: Vec<(&str, String)> = attrs
        .iter()
        .filter(|kv| !s.resource_to_telemetry || !resource.iter().any(|r| r.key == kv.key))
        .map(|kv| (kv.key.as_str(), as_string(kv.value.as_ref())))
        .collect();
    if s.resource_to_telemetry {
        raw.extend(
            resource
                .iter()
                .map(|kv| (kv.key.as_str(), as_string(kv.value.as_ref()))),
        );
    }
    raw.sort_by(|a, b| a.0.cmp(b.0));
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in raw {
        let name = naming::label_name(k, s.strategy);
        out.entry(name)
            .and_modify(|e| {
                e.push(';');
                e.push_str(&v);
            })
            .or_insert(v);
    }
    if !s.without_scope_info {
        out.insert("otel_scope_name".into(), scope.name.to_string());
        out.insert("otel_scope_version".into(), scope.version.to_string());
        out.insert("otel_scope_schema_url".into(), scope.schema_url.to_string());
    }
    if let Some(j) = job {
        out.insert("job".into(), j.clone());
    }
    if let Some(i) = instance {
        out.insert("instance".into(), i.clone());
    }
    for (k, v) in &s.const_labels {
        out.insert(k.clone(), v.clone());
    }
    // An empty value is the same as no label to Prometheus.
    out.into_iter().filter(|(_, v)| !v.is_empty()).collect()
}

/// `target_info`'s labels: the resource attributes other than the service ones, job, instance.
fn target_labels(
    resource: &[KeyValue],
    s: &Settings,
    job: &Option<String>,
    instance: &Option<String>,
) -> Vec<(String, String)> {
    let mut raw: Vec<(&str, String)> = resource
        .iter()
        .filter(|kv| {
            !matches!(
                kv.key.as_str(),
                "service.name" | "service.namespace" | "service.instance.id"
            )
        })
        .map(|kv| (kv.key.as_str(), as_string(kv.value.as_ref())))
        .collect();
    raw.sort_by(|a, b| a.0.cmp(b.0));
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in raw {
        out.entry(naming::label_name(k, s.strategy))
            .and_modify(|e| {
                e.push(';');
                e.push_str(&v);
            })
            .or_insert(v);
    }
    if let Some(j) = job {
        out.insert("job".into(), j.clone());
    }
    if let Some(i) = instance {
        out.insert("instance".into(), i.clone());
    }
    out.into_iter().filter(|(_, v)| !v.is_empty()).collect()
}
