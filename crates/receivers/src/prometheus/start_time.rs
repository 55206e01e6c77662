//! The start-time adjuster: contrib's `initialPointAdjuster` (`metrics_adjuster.go`), which
//! collectors up to v0.120 (and so ADOT, based on v0.115) ran on every scrape. Current upstream
//! removed it (gate `receiver.prometheusreceiver.RemoveStartTimeAdjustment`, stable), so it
//! runs only when that gate is switched off (`reference/prometheus.md` §2.3).
//!
//! Cumulative points without a start time get one invented from what was seen before:
//! * state is kept per (job, instance) — the resource's `service.name` and
//!   `service.instance.id` — and per series: metric name, point attributes, metric type and,
//!   unlike upstream, the scope (two scopes may expose the same name and labels; upstream would
//!   take one for a reset of the other);
//! * the first point of a series starts at its own timestamp; its start, value (or count and
//!   sum) are remembered; later points get the remembered start;
//! * a reset (a sum's value, or a histogram's or summary's count or sum, decreases) starts the
//!   series again at the point's own timestamp;
//! * a stale point (NoRecordedValue) gets the remembered start and never resets;
//! * gauges are left alone, and so are points whose start came from `_created`;
//! * a series not seen between two collections, which run every
//!   max(2 min, largest scrape interval + 1 min), is forgotten, and so is a (job, instance)
//!   with no series seen: churning series cannot grow the state without bound.
//!
//! Each scrape loop delivers one target, so the per-target maps have their own locks and
//! scrapes of different targets never wait for each other; the shared map is locked only to
//! find a target's map and to collect. Series are keyed by a 64-bit hash of their identity
//! rather than by the identity itself (std's SipHash; a folded-multiply hash gave no consistent
//! gain in the bench, most of the cost being memory access), so a steady scrape allocates only
//! its target's key. Cost (`benches/prometheus_convert.rs`, 2-core VM): ~8 µs per
//! node_exporter-sized scrape (~2% of its conversion), ~12 ms per 100k-sample scrape (~10%).

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use pdata::ExportMetricsServiceRequest;
use pdata::proto::common::v1::{InstrumentationScope, KeyValue, any_value};
use pdata::proto::metrics::v1::{
    AggregationTemporality, DataPointFlags, ResourceMetrics, metric, number_data_point,
};
use prometheus::prehashed::PrehashedMap;

/// Upstream's `defaultGCInterval` and `gcIntervalDelta`.
const MIN_GC_INTERVAL: Duration = Duration::from_secs(120);
const GC_INTERVAL_DELTA: Duration = Duration::from_secs(60);

const NO_RECORDED_VALUE: u32 = DataPointFlags::NoRecordedValueMask as u32;

/// How often unseen series are collected: max(2 min, largest scrape interval + 1 min), as
/// upstream's `gcInterval`.
pub fn gc_interval(largest_scrape_interval: Duration) -> Duration {
    MIN_GC_INTERVAL.max(largest_scrape_interval + GC_INTERVAL_DELTA)
}

/// What is remembered of one series.
struct SeriesInfo {
    start: u64,
    /// A sum's value, or a histogram's or summary's count.
    value: f64,
    /// A histogram's or summary's sum.
    sum: f64,
    /// Seen since the last collection.
    marked: bool,
}

/// The series of one (job, instance).
#[derive(Default)]
struct TargetSeries {
    series: PrehashedMap<SeriesInfo>,
    marked: bool,
}

struct Targets {
    by_target: HashMap<String, Arc<Mutex<TargetSeries>>>,
    last_gc: Instant,
}

/// One per receiver, shared by all its scrape loops.
pub struct StartTimeAdjuster {
    gc_interval: Duration,
    targets: Mutex<Targets>,
}

/// The kinds of cumulative data, as part of a series' identity.
#[derive(Clone, Copy, Hash)]
enum Type {
    Sum,
    Histogram,
    Summary,
}

/// What a point says, for the rules above.
struct Observed {
    time: u64,
    start: u64,
    stale: bool,
    value: f64,
    sum: f64,
}

impl StartTimeAdjuster {
    /// Forgets series unseen for a whole `gc_interval` (see [`gc_interval`]).
    pub fn new(gc_interval: Duration, now: Instant) -> Self {
        StartTimeAdjuster {
            gc_interval,
            targets: Mutex::new(Targets {
                by_target: HashMap::new(),
                last_gc: now,
            }),
        }
    }

    /// Sets the start times of `request`'s cumulative points (one scrape's conversion).
    pub fn adjust(&self, request: &mut ExportMetricsServiceRequest) {
        self.adjust_at(request, Instant::now());
    }

    /// [`Self::adjust`] with the clock passed in, so that collection can be tested.
    pub fn adjust_at(&self, request: &mut ExportMetricsServiceRequest, now: Instant) {
        for rm in &mut request.resource_metrics {
            let Some(target) = self.target(rm) else {
                // The converter always sets both; a resource without them has nothing to
                // key its series by and is left as it is (upstream fails the whole batch).
                continue;
            };
            let mut target = target.lock();
            target.marked = true;
            adjust_resource(&mut target, rm);
        }
        self.maybe_collect(now);
    }

    /// How many series are remembered, over all targets.
    pub fn series(&self) -> usize {
        let targets = self.targets.lock();
        targets
            .by_target
            .values()
            .map(|t| t.lock().series.len())
            .sum()
    }

    /// How many (job, instance) pairs are remembered.
    pub fn targets(&self) -> usize {
        self.targets.lock().by_target.len()
    }

    fn target(&self, rm: &ResourceMetrics) -> Option<Arc<Mutex<TargetSeries>>> {
        let attrs = &rm.resource.as_ref()?.attributes;
        let job = string_attr(attrs, "service.name")?;
        let instance = string_attr(attrs, "service.instance.id")?;
        let mut key = String::with_capacity(job.len() + instance.len() + 1);
        key.push_str(job);
        key.push('\0');
        key.push_str(instance);
        let mut targets = self.targets.lock();
        Some(targets.by_target.entry(key).or_default().clone())
    }

    /// Upstream's mark-and-sweep: every `gc_interval`, forget what was not seen since the
    /// previous collection and unmark the rest. A series therefore lives between one and two
    /// intervals after its last sighting.
    fn maybe_collect(&self, now: Instant) {
        let mut targets = self.targets.lock();
        if now.saturating_duration_since(targets.last_gc) <= self.gc_interval {
            return;
        }
        targets.last_gc = now;
        targets.by_target.retain(|_, target| {
            let mut target = target.lock();
            if !target.marked {
                return false;
            }
            target.marked = false;
            target.series.retain(|_, s| std::mem::take(&mut s.marked));
            true
        });
    }
}

fn string_attr<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a str> {
    attrs.iter().find(|kv| kv.key == key).and_then(|kv| {
        match kv.value.as_ref()?.value.as_ref()? {
            any_value::Value::StringValue(s) => Some(s.as_str()),
            _ => None,
        }
    })
}

/// The hash every series of a scope starts from.
fn scope_seed(scope: Option<&InstrumentationScope>) -> DefaultHasher {
    let mut h = DefaultHasher::new();
    if let Some(s) = scope {
        s.name.hash(&mut h);
        s.version.hash(&mut h);
    }
    h
}

/// A series' identity: scope, metric name, type and attributes (strings, as the converter
/// makes them; the type tag keeps other values apart).
fn series_key(seed: &DefaultHasher, name: &str, kind: Type, attrs: &[KeyValue]) -> u64 {
    let mut h = seed.clone();
    name.hash(&mut h);
    kind.hash(&mut h);
    for kv in attrs {
        kv.key.hash(&mut h);
        match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
            Some(any_value::Value::StringValue(s)) => s.hash(&mut h),
            other => format!("{other:?}").hash(&mut h),
        }
    }
    h.finish()
}

fn adjust_resource(target: &mut TargetSeries, rm: &mut ResourceMetrics) {
    for sm in &mut rm.scope_metrics {
        let seed = scope_seed(sm.scope.as_ref());
        for m in &mut sm.metrics {
            let name = m.name.as_str();
            match m.data.as_mut() {
                Some(metric::Data::Sum(s))
                    if s.aggregation_temporality == AggregationTemporality::Cumulative as i32 =>
                {
                    for p in &mut s.data_points {
                        let key = series_key(&seed, name, Type::Sum, &p.attributes);
                        let value = match p.value {
                            Some(number_data_point::Value::AsDouble(v)) => v,
                            Some(number_data_point::Value::AsInt(v)) => v as f64,
                            None => 0.0,
                        };
                        let observed = Observed {
                            time: p.time_unix_nano,
                            start: p.start_time_unix_nano,
                            stale: p.flags & NO_RECORDED_VALUE != 0,
                            value,
                            sum: 0.0,
                        };
                        if let Some(start) = target.adjust(key, &observed) {
                            p.start_time_unix_nano = start;
                        }
                    }
                }
                Some(metric::Data::Histogram(h))
                    if h.aggregation_temporality == AggregationTemporality::Cumulative as i32 =>
                {
                    for p in &mut h.data_points {
                        let key = series_key(&seed, name, Type::Histogram, &p.attributes);
                        let observed = Observed {
                            time: p.time_unix_nano,
                            start: p.start_time_unix_nano,
                            stale: p.flags & NO_RECORDED_VALUE != 0,
                            value: p.count as f64,
                            sum: p.sum.unwrap_or(0.0),
                        };
                        if let Some(start) = target.adjust(key, &observed) {
                            p.start_time_unix_nano = start;
                        }
                    }
                }
                Some(metric::Data::Summary(s)) => {
                    for p in &mut s.data_points {
                        let key = series_key(&seed, name, Type::Summary, &p.attributes);
                        let observed = Observed {
                            time: p.time_unix_nano,
                            start: p.start_time_unix_nano,
                            stale: p.flags & NO_RECORDED_VALUE != 0,
                            value: p.count as f64,
                            sum: p.sum,
                        };
                        if let Some(start) = target.adjust(key, &observed) {
                            p.start_time_unix_nano = start;
                        }
                    }
                }
                // Gauges need no start; delta data (never produced here) keeps its own.
                _ => {}
            }
        }
    }
}

impl TargetSeries {
    /// The start time the point gets, or `None` to leave it as it is.
    fn adjust(&mut self, key: u64, p: &Observed) -> Option<u64> {
        // A start from `_created` (earlier than the point) is the target's own word.
        if !p.stale && p.start != 0 && p.start < p.time {
            return None;
        }
        let Some(info) = self.series.get_mut(&key) else {
            self.series.insert(
                key,
                SeriesInfo {
                    start: p.time,
                    value: p.value,
                    sum: p.sum,
                    marked: true,
                },
            );
            return Some(p.time);
        };
        info.marked = true;
        if p.stale {
            return Some(info.start);
        }
        // `<` is false for NaN, so a NaN neither causes nor hides a reset by itself.
        if p.value < info.value || p.sum < info.sum {
            info.start = p.time;
        }
        info.value = p.value;
        info.sum = p.sum;
        Some(info.start)
    }
}
