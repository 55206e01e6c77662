//! One scrape's samples → one OTLP metrics request: contrib's `transaction` (Appender v1 path)
//! and `metricFamily`, per `reference/prometheus.md` §2.
//!
//! * One ResourceMetrics per (job, instance) ([`resource`]); `target_info` adds resource
//!   attributes; `otel_scope_*` labels select the scope, else the receiver's own scope.
//! * Samples group into families by metadata ([`family`]) and into points by their labels
//!   without `__name__`, `job`, `instance`, `__scheme__`, `__metrics_path__`, `otel_scope_*`
//!   and `le`/`quantile`. Everything keeps the order of first appearance, so output is
//!   reproducible (upstream iterates Go maps).
//! * Start times come only from `_created` samples (unless
//!   [`ConvertOptions::ignore_created_metric`]): current upstream invents none
//!   (`RemoveStartTimeAdjustment` is stable) and leaves the rest to the `metricstarttime`
//!   processor, or to [`super::start_time`] when that gate is off.
//! * Samples that cannot become points are dropped, counted by reason in [`Drops`] and logged
//!   at debug level by the caller; nothing here fails a whole scrape.
//! * `global.external_labels` are already on the samples: the scrape loop adds them.

pub mod exemplar;
pub mod family;
pub mod names;
pub mod resource;

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use pdata::ExportMetricsServiceRequest;
use pdata::proto::common::v1::{InstrumentationScope, KeyValue, any_value};
use pdata::proto::metrics::v1::{
    AggregationTemporality, DataPointFlags, Gauge, Histogram, HistogramDataPoint, Metric,
    NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum, Summary, SummaryDataPoint, metric,
    number_data_point, summary_data_point::ValueAtQuantile,
};
use pdata::proto::resource::v1::Resource;
use prometheus::scrape::ScrapeBatch;
use prometheus::scrape::batch::is_stale_nan;

use exemplar::ms_to_nanos;
use family::{Family, Kind};
use resource::{put_str, string_kv};

/// The scope of metrics that carry no `otel_scope_name`: the receiver's Go import path, as
/// upstream's `metadata.ScopeName`; its version is the collector's.
pub const SCOPE_NAME: &str =
    "github.com/open-telemetry/opentelemetry-collector-contrib/receiver/prometheusreceiver";

const TARGET_INFO: &str = "target_info";
const SCOPE_INFO: &str = "otel_scope_info";
const SCOPE_PREFIX: &str = "otel_scope_";
const SCOPE_NAME_LABEL: &str = "otel_scope_name";
const SCOPE_VERSION_LABEL: &str = "otel_scope_version";
const SCOPE_SCHEMA_URL_LABEL: &str = "otel_scope_schema_url";
/// `metric.metadata` key holding the Prometheus type (contrib `MetricMetadataTypeKey`).
pub const TYPE_METADATA_KEY: &str = "prometheus.type";

const NO_RECORDED_VALUE: u32 = DataPointFlags::NoRecordedValueMask as u32;

/// How batches are converted.
#[derive(Clone, Debug, Default)]
pub struct ConvertOptions {
    /// `trim_metric_suffixes`: drop `_total` from sums and the unit from every name.
    pub trim_metric_suffixes: bool,
    /// The version of the default scope (the collector's version).
    pub scope_version: String,
    /// `_created` samples are consumed but give no start time: the gate
    /// `receiver.prometheusreceiver.UseCreatedMetric` is off.
    pub ignore_created_metric: bool,
}

/// Samples that did not become points, by reason.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Drops {
    /// Neither the sample nor the target has both `job` and `instance`.
    pub no_job_instance: usize,
    /// Two labels of the same name ("invalid sample: non-unique label names").
    pub duplicate_labels: usize,
    /// No `__name__`.
    pub no_name: usize,
    /// Gauge histogram series (no OTLP equivalent).
    pub gauge_histogram: usize,
    /// A histogram/summary sample whose `le`/`quantile` is missing, empty or not a number.
    pub bad_boundary: usize,
    /// A sample whose timestamp differs from the rest of its point.
    pub inconsistent_timestamps: usize,
    /// Samples of histogram or summary points that could not be built: no `_count`, or (for
    /// histograms) no bucket or no `+Inf` bucket.
    pub incomplete_points: usize,
}

impl Drops {
    pub fn total(&self) -> usize {
        self.no_job_instance
            + self.duplicate_labels
            + self.no_name
            + self.gauge_histogram
            + self.bad_boundary
            + self.inconsistent_timestamps
            + self.incomplete_points
    }

    /// `(reason, count)` for every non-zero reason, for logs and self-metrics.
    pub fn reasons(&self) -> impl Iterator<Item = (&'static str, usize)> {
        [
            ("no_job_instance", self.no_job_instance),
            ("duplicate_labels", self.duplicate_labels),
            ("no_name", self.no_name),
            ("gauge_histogram", self.gauge_histogram),
            ("bad_boundary", self.bad_boundary),
            ("inconsistent_timestamps", self.inconsistent_timestamps),
            ("incomplete_points", self.incomplete_points),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
    }
}

/// What one batch became.
#[derive(Clone, Debug, Default)]
pub struct Converted {
    pub request: ExportMetricsServiceRequest,
    /// Data points in `request`.
    pub points: usize,
    pub drops: Drops,
    /// `up` samples with value 0 (failed scrapes), for the receiver's warning.
    pub failed_scrapes: usize,
}

/// Converts one scrape batch (contrib `transaction.Append` for every sample, then `Commit`).
pub fn convert(batch: &ScrapeBatch, options: &ConvertOptions) -> Converted {
    let mut builder = Builder {
        batch,
        options,
        resources: Vec::new(),
        last_resource: 0,
        families: Vec::new(),
        family_index: HashMap::new(),
        drops: Drops::default(),
        failed_scrapes: 0,
    };
    for sample in &batch.samples {
        builder.add(
            &sample.labels,
            sample.timestamp_ms,
            sample.value,
            sample.exemplar.as_ref(),
        );
    }
    builder.finish()
}

fn label<'l>(labels: &'l [(String, String)], name: &str) -> Option<&'l str> {
    labels
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// The scope a sample belongs to: `otel_scope_name`/`_version`/`_schema_url`, and every other
/// `otel_scope_<x>` label as attribute `<x>` (sorted, so equal scopes compare equal).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct ScopeId {
    name: String,
    version: String,
    schema_url: String,
    attributes: Vec<(String, String)>,
}

impl ScopeId {
    fn of(labels: &[(String, String)]) -> ScopeId {
        let mut id = ScopeId::default();
        for (n, v) in labels {
            match n.as_str() {
                SCOPE_NAME_LABEL => id.name.clone_from(v),
                SCOPE_VERSION_LABEL => id.version.clone_from(v),
                SCOPE_SCHEMA_URL_LABEL => id.schema_url.clone_from(v),
                _ => {
                    if let Some(attr) = n.strip_prefix(SCOPE_PREFIX) {
                        id.attributes.push((attr.to_string(), v.clone()));
                    }
                }
            }
        }
        id
    }

    fn is_empty(&self) -> bool {
        self.name.is_empty()
            && self.version.is_empty()
            && self.schema_url.is_empty()
            && self.attributes.is_empty()
    }

    /// Whether `labels` select this scope, without allocating.
    fn matches(&self, labels: &[(String, String)]) -> bool {
        let mut attrs = self.attributes.iter();
        let (mut name, mut version, mut schema) = ("", "", "");
        for (n, v) in labels {
            match n.as_str() {
                SCOPE_NAME_LABEL => name = v,
                SCOPE_VERSION_LABEL => version = v,
                SCOPE_SCHEMA_URL_LABEL => schema = v,
                _ => {
                    if let Some(attr) = n.strip_prefix(SCOPE_PREFIX) {
                        match attrs.next() {
                            Some((an, av)) if an == attr && av == v => {}
                            _ => return false,
                        }
                    }
                }
            }
        }
        attrs.next().is_none()
            && self.name == name
            && self.version == version
            && self.schema_url == schema
    }
}

/// `otel_scope_info` labels for the scope they name: added as scope attributes, where the
/// scope's own `otel_scope_*` labels win (upstream's legacy mode, the default while the
/// `RemoveScopeInfo` gate is alpha).
struct ScopeInfo {
    name: String,
    version: String,
    schema_url: String,
    attributes: Vec<(String, String)>,
}

struct ResourceBuild {
    job: String,
    instance: String,
    attributes: Vec<KeyValue>,
    scopes: Vec<ScopeBuild>,
    scope_infos: Vec<ScopeInfo>,
}

struct ScopeBuild {
    id: ScopeId,
    /// Families in order of first appearance, and their index by OTLP name.
    families: Vec<FamilyBuild>,
    index: HashMap<String, usize>,
}

struct FamilyBuild {
    /// Index into the builder's resolved families.
    family: usize,
    groups: Vec<Group>,
    /// First group by label hash; further groups of the same hash chain through `Group::next`.
    index: HashMap<u64, usize>,
}

/// The samples of one point.
struct Group {
    attributes: Vec<KeyValue>,
    timestamp_ms: i64,
    value: f64,
    count: Option<f64>,
    sum: Option<f64>,
    /// `_created`, in seconds since the epoch (0 = none, as upstream).
    created: f64,
    /// (`le` or `quantile`, value).
    bounds: Vec<(f64, f64)>,
    /// Samples folded in, so that an unbuildable point counts what it drops.
    samples: usize,
    exemplars: Vec<pdata::proto::metrics::v1::Exemplar>,
    next: Option<usize>,
}

struct Builder<'b> {
    batch: &'b ScrapeBatch,
    options: &'b ConvertOptions,
    resources: Vec<ResourceBuild>,
    last_resource: usize,
    /// Families resolved in this batch, by sample name.
    families: Vec<Family>,
    family_index: HashMap<String, usize>,
    drops: Drops,
    failed_scrapes: usize,
}

/// Labels that never become point attributes: they are the resource, the scope, the metric
/// name, or the bucket/quantile that positions a sample inside its point.
fn is_point_label(name: &str, kind: Kind) -> bool {
    !(matches!(
        name,
        "__name__" | "job" | "instance" | "__scheme__" | "__metrics_path__"
    ) || name.starts_with(SCOPE_PREFIX)
        || (kind == Kind::Histogram && name == "le")
        || (kind == Kind::Summary && name == "quantile"))
}

fn point_labels(
    labels: &[(String, String)],
    kind: Kind,
) -> impl Iterator<Item = &(String, String)> + Clone {
    labels
        .iter()
        .filter(move |(n, v)| !v.is_empty() && is_point_label(n, kind))
}

fn string_value(kv: &KeyValue) -> &str {
    match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => s,
        _ => "",
    }
}

impl<'b> Builder<'b> {
    fn add(
        &mut self,
        labels: &[(String, String)],
        timestamp_ms: i64,
        value: f64,
        exemplar: Option<&prometheus::scrape::Exemplar>,
    ) {
        // Labels are sorted by name, so a repeated name is adjacent.
        if labels.windows(2).any(|w| w[0].0 == w[1].0) {
            self.drops.duplicate_labels += 1;
            return;
        }
        let name = match label(labels, "__name__") {
            Some(n) if !n.is_empty() => n,
            _ => {
                self.drops.no_name += 1;
                return;
            }
        };
        let Some(r) = self.resource_for(labels) else {
            self.drops.no_job_instance += 1;
            return;
        };
        if name == "up" && value == 0.0 {
            self.failed_scrapes += 1;
        }
        if name == TARGET_INFO {
            let attrs = &mut self.resources[r].attributes;
            for (n, v) in labels {
                if !matches!(n.as_str(), "job" | "instance" | "__name__") {
                    put_str(attrs, n, v);
                }
            }
            return;
        }
        if name == SCOPE_INFO {
            self.add_scope_info(r, labels);
            return;
        }
        let f = self.resolve(name);
        let family = &self.families[f];
        let kind = family.kind;
        if kind == Kind::Dropped {
            self.drops.gauge_histogram += 1;
            return;
        }
        // Where this sample goes inside its point.
        enum Role {
            Value,
            Sum,
            Count,
            Created,
            Bound(f64),
        }
        let created_name = |key: &str| {
            name.len() == key.len() + 8 && name.starts_with(key) && name.ends_with("_created")
        };
        let role = match kind {
            Kind::Sum { .. } if created_name(&family.key) => Role::Created,
            Kind::Histogram | Kind::Summary => {
                if name.ends_with("_sum") {
                    Role::Sum
                } else if name.ends_with("_count") {
                    Role::Count
                } else if created_name(&family.key) {
                    Role::Created
                } else {
                    let bound_label = if kind == Kind::Histogram {
                        "le"
                    } else {
                        "quantile"
                    };
                    match label(labels, bound_label)
                        .filter(|v| !v.is_empty())
                        .and_then(|v| v.trim().parse::<f64>().ok())
                    {
                        Some(b) => Role::Bound(b),
                        None => {
                            self.drops.bad_boundary += 1;
                            return;
                        }
                    }
                }
            }
            _ => Role::Value,
        };

        let s = self.scope_for(r, labels);
        let family_name = &self.families[f].name;
        let scope = &mut self.resources[r].scopes[s];
        let fi = match scope.index.get(family_name.as_str()) {
            Some(&i) => i,
            None => {
                scope
                    .index
                    .insert(family_name.clone(), scope.families.len());
                scope.families.push(FamilyBuild {
                    family: f,
                    groups: Vec::new(),
                    index: HashMap::new(),
                });
                scope.families.len() - 1
            }
        };
        let fam = &mut scope.families[fi];
        // A family name is the same for the same kind of samples; a later family resolving to
        // the same OTLP name with another kind (pathological) shares the first one's kind.
        let kind = self.families[fam.family].kind;
        let g = group_for(fam, labels, kind, timestamp_ms);
        let group = &mut fam.groups[g];
        if group.timestamp_ms != timestamp_ms {
            self.drops.inconsistent_timestamps += 1;
            return;
        }
        group.samples += 1;
        match role {
            Role::Value => group.value = value,
            Role::Sum => group.sum = Some(value),
            Role::Count => group.count = Some(value),
            Role::Created => {
                if !self.options.ignore_created_metric {
                    group.created = value;
                }
            }
            Role::Bound(b) => group.bounds.push((b, value)),
        }
        if let Some(e) = exemplar {
            group.exemplars.push(exemplar::convert(e));
        }
    }

    /// The resource of the sample's (job, instance), falling back to the target's labels (a
    /// federated series may lack them), created on first use.
    fn resource_for(&mut self, labels: &[(String, String)]) -> Option<usize> {
        let target = &self.batch.target.labels;
        let job = label(labels, "job")
            .filter(|v| !v.is_empty())
            .or_else(|| target.get("job").map(String::as_str))
            .filter(|v| !v.is_empty())?;
        let instance = label(labels, "instance")
            .filter(|v| !v.is_empty())
            .or_else(|| target.get("instance").map(String::as_str))
            .filter(|v| !v.is_empty())?;
        let is = |r: &ResourceBuild| r.job == job && r.instance == instance;
        if self.resources.get(self.last_resource).is_some_and(is) {
            return Some(self.last_resource);
        }
        let r = match self.resources.iter().position(is) {
            Some(r) => r,
            None => {
                self.resources.push(ResourceBuild {
                    job: job.to_string(),
                    instance: instance.to_string(),
                    attributes: resource::resource_attributes(
                        job,
                        instance,
                        &self.batch.target.discovered_labels,
                    ),
                    scopes: Vec::new(),
                    scope_infos: Vec::new(),
                });
                self.resources.len() - 1
            }
        };
        self.last_resource = r;
        Some(r)
    }

    fn scope_for(&mut self, r: usize, labels: &[(String, String)]) -> usize {
        let scopes = &mut self.resources[r].scopes;
        if let Some(s) = scopes.iter().position(|s| s.id.matches(labels)) {
            return s;
        }
        scopes.push(ScopeBuild {
            id: ScopeId::of(labels),
            families: Vec::new(),
            index: HashMap::new(),
        });
        scopes.len() - 1
    }

    fn add_scope_info(&mut self, r: usize, labels: &[(String, String)]) {
        let mut info = ScopeInfo {
            name: String::new(),
            version: String::new(),
            schema_url: String::new(),
            attributes: Vec::new(),
        };
        for (n, v) in labels {
            match n.as_str() {
                "job" | "instance" | "__name__" => {}
                SCOPE_NAME_LABEL => info.name.clone_from(v),
                SCOPE_VERSION_LABEL => info.version.clone_from(v),
                SCOPE_SCHEMA_URL_LABEL => info.schema_url.clone_from(v),
                _ => info.attributes.push((n.clone(), v.clone())),
            }
        }
        self.resources[r].scope_infos.push(info);
    }

    fn resolve(&mut self, name: &str) -> usize {
        if let Some(&f) = self.family_index.get(name) {
            return f;
        }
        self.families
            .push(family::resolve(name, &self.batch.metadata));
        let f = self.families.len() - 1;
        self.family_index.insert(name.to_string(), f);
        f
    }

    fn finish(mut self) -> Converted {
        let mut resource_metrics = Vec::with_capacity(self.resources.len());
        let mut points = 0;
        for r in std::mem::take(&mut self.resources) {
            let mut scope_metrics = Vec::with_capacity(r.scopes.len());
            for scope in r.scopes {
                let mut metrics = Vec::with_capacity(scope.families.len());
                for fam in scope.families {
                    let family = &self.families[fam.family];
                    if let Some((m, n)) =
                        build_metric(family, fam.groups, self.options, &mut self.drops)
                    {
                        points += n;
                        metrics.push(m);
                    }
                }
                if metrics.is_empty() {
                    continue;
                }
                scope_metrics.push(ScopeMetrics {
                    scope: Some(self.scope(&scope.id, &r.scope_infos)),
                    schema_url: scope.id.schema_url.clone(),
                    metrics,
                });
            }
            if scope_metrics.is_empty() {
                continue;
            }
            resource_metrics.push(ResourceMetrics {
                resource: Some(Resource {
                    attributes: r.attributes,
                    ..Default::default()
                }),
                scope_metrics,
                schema_url: String::new(),
            });
        }
        Converted {
            request: ExportMetricsServiceRequest { resource_metrics },
            points,
            drops: self.drops,
            failed_scrapes: self.failed_scrapes,
        }
    }

    fn scope(&self, id: &ScopeId, infos: &[ScopeInfo]) -> InstrumentationScope {
        if id.is_empty() {
            return InstrumentationScope {
                name: SCOPE_NAME.to_string(),
                version: self.options.scope_version.clone(),
                ..Default::default()
            };
        }
        let mut attributes = Vec::new();
        for info in infos.iter().filter(|i| {
            i.name == id.name && i.version == id.version && i.schema_url == id.schema_url
        }) {
            for (k, v) in &info.attributes {
                put_str(&mut attributes, k, v);
            }
        }
        for (k, v) in &id.attributes {
            put_str(&mut attributes, k, v);
        }
        InstrumentationScope {
            name: id.name.clone(),
            version: id.version.clone(),
            attributes,
            dropped_attributes_count: 0,
        }
    }
}

/// The group of `labels` in `fam`, created (with its attributes) on first sight.
fn group_for(fam: &mut FamilyBuild, labels: &[(String, String)], kind: Kind, ts: i64) -> usize {
    let identity = point_labels(labels, kind);
    let mut hasher = DefaultHasher::new();
    for (n, v) in identity.clone() {
        n.hash(&mut hasher);
        v.hash(&mut hasher);
    }
    let hash = hasher.finish();
    let same = |g: &Group| {
        g.attributes.len() == identity.clone().count()
            && g.attributes
                .iter()
                .zip(identity.clone())
                .all(|(kv, (n, v))| kv.key == *n && string_value(kv) == v)
    };
    let mut at = fam.index.get(&hash).copied();
    let mut last = None;
    while let Some(g) = at {
        if same(&fam.groups[g]) {
            return g;
        }
        last = Some(g);
        at = fam.groups[g].next;
    }
    let g = fam.groups.len();
    fam.groups.push(Group {
        attributes: identity
            .map(|(n, v)| string_kv(n.clone(), v.clone()))
            .collect(),
        timestamp_ms: ts,
        value: 0.0,
        count: None,
        sum: None,
        created: 0.0,
        bounds: Vec::new(),
        samples: 0,
        exemplars: Vec::new(),
        next: None,
    });
    match last {
        Some(l) => fam.groups[l].next = Some(g),
        None => {
            fam.index.insert(hash, g);
        }
    }
    g
}

/// upstream `timestampFromFloat64`: whole seconds and the truncated fraction, in nanoseconds.
fn seconds_to_nanos(s: f64) -> u64 {
    let secs = s as i64;
    let nanos = ((s - secs as f64) * 1e9) as i64;
    secs.wrapping_mul(1_000_000_000).wrapping_add(nanos) as u64
}

fn start_time(created: f64) -> u64 {
    if created != 0.0 {
        seconds_to_nanos(created)
    } else {
        0
    }
}

/// Builds the metric of one family; `None` when no point could be built.
fn build_metric(
    family: &Family,
    groups: Vec<Group>,
    options: &ConvertOptions,
    drops: &mut Drops,
) -> Option<(Metric, usize)> {
    let kind = family.kind;
    let (data, points) = match kind {
        Kind::Gauge | Kind::Sum { .. } => {
            let data_points: Vec<NumberDataPoint> = groups
                .into_iter()
                .map(|g| number_point(g, matches!(kind, Kind::Sum { .. })))
                .collect();
            let n = data_points.len();
            let data = match kind {
                Kind::Sum { monotonic } => metric::Data::Sum(Sum {
                    data_points,
                    aggregation_temporality: AggregationTemporality::Cumulative as i32,
                    is_monotonic: monotonic,
                }),
                _ => metric::Data::Gauge(Gauge { data_points }),
            };
            (data, n)
        }
        Kind::Histogram => {
            let mut data_points = Vec::with_capacity(groups.len());
            for g in groups {
                let samples = g.samples;
                match histogram_point(g) {
                    Some(p) => data_points.push(p),
                    None => drops.incomplete_points += samples,
                }
            }
            let n = data_points.len();
            (
                metric::Data::Histogram(Histogram {
                    data_points,
                    aggregation_temporality: AggregationTemporality::Cumulative as i32,
                }),
                n,
            )
        }
        Kind::Summary => {
            let mut data_points = Vec::with_capacity(groups.len());
            for g in groups {
                let samples = g.samples;
                match summary_point(g) {
                    Some(p) => data_points.push(p),
                    None => drops.incomplete_points += samples,
                }
            }
            let n = data_points.len();
            (metric::Data::Summary(Summary { data_points }), n)
        }
        Kind::Dropped => return None,
    };
    if points == 0 {
        return None;
    }
    let name = if options.trim_metric_suffixes {
        names::trim_prom_suffixes(&family.name, matches!(kind, Kind::Sum { .. }), &family.unit)
    } else {
        family.name.clone()
    };
    Some((
        Metric {
            name,
            description: family.help.clone(),
            unit: names::unit_word_to_ucum(&family.unit),
            metadata: vec![string_kv(TYPE_METADATA_KEY, family.type_name)],
            data: Some(data),
        },
        points,
    ))
}

fn number_point(g: Group, cumulative: bool) -> NumberDataPoint {
    let stale = is_stale_nan(g.value);
    NumberDataPoint {
        attributes: g.attributes,
        start_time_unix_nano: if cumulative { start_time(g.created) } else { 0 },
        time_unix_nano: ms_to_nanos(g.timestamp_ms),
        exemplars: g.exemplars,
        // A staleness marker is a point with no value and the NoRecordedValue flag.
        flags: if stale { NO_RECORDED_VALUE } else { 0 },
        value: (!stale).then_some(number_data_point::Value::AsDouble(g.value)),
    }
}

/// contrib `toDistributionPoint`: needs `_count` and buckets ending in `+Inf`; bucket counts are
/// the differences of the cumulative values; a stale point keeps its bounds with zero counts.
fn histogram_point(mut g: Group) -> Option<HistogramDataPoint> {
    let count = g.count?;
    g.bounds.sort_by(|a, b| a.0.total_cmp(&b.0));
    let last = g.bounds.last()?;
    if last.0 != f64::INFINITY {
        return None;
    }
    let stale = is_stale_nan(count) || g.sum.is_some_and(is_stale_nan);
    let explicit_bounds = g.bounds[..g.bounds.len() - 1].iter().map(|b| b.0).collect();
    let bucket_counts = g
        .bounds
        .iter()
        .enumerate()
        .map(|(i, &(_, cumulative))| {
            if stale {
                0
            } else if i == 0 {
                cumulative as u64
            } else {
                (cumulative - g.bounds[i - 1].1) as u64
            }
        })
        .collect();
    Some(HistogramDataPoint {
        attributes: g.attributes,
        start_time_unix_nano: start_time(g.created),
        time_unix_nano: ms_to_nanos(g.timestamp_ms),
        count: if stale { 0 } else { count as u64 },
        sum: if stale { None } else { g.sum },
        bucket_counts,
        explicit_bounds,
        exemplars: g.exemplars,
        flags: if stale { NO_RECORDED_VALUE } else { 0 },
        min: None,
        max: None,
    })
}

/// contrib `toSummaryPoint`: needs `_count`; quantiles sorted; a stale point keeps its quantiles
/// with zero values.
fn summary_point(mut g: Group) -> Option<SummaryDataPoint> {
    let count = g.count?;
    g.bounds.sort_by(|a, b| a.0.total_cmp(&b.0));
    let stale = is_stale_nan(count) || g.sum.is_some_and(is_stale_nan);
    Some(SummaryDataPoint {
        attributes: g.attributes,
        start_time_unix_nano: start_time(g.created),
        time_unix_nano: ms_to_nanos(g.timestamp_ms),
        count: if stale { 0 } else { count as u64 },
        sum: if stale { 0.0 } else { g.sum.unwrap_or(0.0) },
        quantile_values: g
            .bounds
            .iter()
            .map(|&(quantile, value)| ValueAtQuantile {
                quantile,
                value: if stale { 0.0 } else { value },
            })
            .collect(),
        flags: if stale { NO_RECORDED_VALUE } else { 0 },
    })
}
