//! A small registry of counters and gauges, rendered as Prometheus text.
//!
//! Components hold cheap handles ([`Counter`], [`Gauge`]) that are plain atomics, so counting on
//! the hot path is one relaxed add. Asking twice for the same counter returns the same handle, so
//! a reloaded pipeline keeps counting where the old one stopped, as a scrape expects.
//!
//! Gauges are different: each registration is its own contribution to the series, and a series
//! shows the sum (or, for [`GaugeMerge::Max`], the largest) of the contributions whose handles
//! are still alive. A component that stops and is dropped therefore takes its part of the gauge
//! with it (upstream's observable gauges are callbacks that end with the component), and during a
//! reload, when the old and the new instance of one component briefly coexist, their queues add
//! up instead of overwriting each other. A gauge series with no live handle is not rendered.
//!
//! Every family has a level (`service.telemetry.metrics.level`) below which it is not rendered:
//! [`min_level`] holds the rules, in one place, after upstream's default views.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Weak};

use parking_lot::Mutex;
use serde::Deserialize;

/// `service.telemetry.metrics.level` (upstream `configtelemetry.Level`).
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Nothing is served.
    None,
    Basic,
    #[default]
    Normal,
    Detailed,
}

/// The lowest level at which the family `name` is served: upstream's default views
/// (`service/internal/metricviews/views.go`) expressed as name rules. Upstream selects by meter
/// (instrumentation scope) and instrument name; our families are named after the same
/// instruments, so a name prefix selects the same set.
///
/// | Level needed | Families | Upstream rule |
/// |---|---|---|
/// | `detailed` | `otelcol_processor_batch_batch_send_size_bytes*` | batch meter, below detailed |
/// | `normal` | every other `otelcol_processor_batch_*` (ours includes `_send_failed_*`) | batch meter, below normal |
/// | `detailed` | `otelcol_processor_internal_duration*`, `otelcol_exporter_queue_batch_send_size*`, `otelcol_exporter_enqueue_size*`, `rpc_*`, `http_*` | below detailed |
/// | `basic` | everything else | — |
///
/// Of the `detailed` families ferrocol emits none today (no histograms of sizes or durations, no
/// otelgrpc/otelhttp instrumentation); the rules are here so that adding one cannot leak it into
/// lower levels. Upstream also strips the `error.type` and `error.permanent` attributes from
/// `otelcol_exporter_send_failed_*` below detailed; ferrocol never sets them.
pub fn min_level(name: &str) -> Level {
    const RULES: &[(&str, Level)] = &[
        (
            "otelcol_processor_batch_batch_send_size_bytes",
            Level::Detailed,
        ),
        ("otelcol_processor_batch_", Level::Normal),
        ("otelcol_processor_internal_duration", Level::Detailed),
        ("otelcol_exporter_queue_batch_send_size", Level::Detailed),
        ("otelcol_exporter_enqueue_size", Level::Detailed),
        ("rpc_", Level::Detailed),
        ("http_", Level::Detailed),
    ];
    RULES
        .iter()
        .find(|(prefix, _)| name.starts_with(prefix))
        .map_or(Level::Basic, |(_, level)| *level)
}

/// A monotonic count.
#[derive(Clone, Debug, Default)]
pub struct Counter(Arc<AtomicU64>);

impl Counter {
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A value that goes up and down: one contribution to a gauge series, which lives as long as a
/// clone of the handle does.
#[derive(Clone, Debug, Default)]
pub struct Gauge(Arc<AtomicI64>, Option<Arc<AtomicI64>>);

impl Gauge {
    pub fn set(&self, v: i64) {
        self.0.store(v, Ordering::Relaxed);
    }
    pub fn add(&self, v: i64) {
        self.0.fetch_add(v, Ordering::Relaxed);
    }
    /// This contribution's value (not the series total).
    pub fn get(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
    /// This handle, also keeping `other`'s contribution alive: for a fixed value (a capacity)
    /// set once by a component that keeps only the handle it updates.
    pub fn keeping(mut self, other: &Gauge) -> Gauge {
        self.1 = Some(other.0.clone());
        self
    }
}

/// How the live contributions to one gauge series combine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GaugeMerge {
    /// Amounts held by each instance (queued batches, batchers): they add up.
    Sum,
    /// Readings of one shared thing (the process's memory) by several instances: the largest.
    Max,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricType {
    Counter,
    Gauge,
}

/// Labels as ordered (name, value) pairs.
pub type Labels = Vec<(&'static str, String)>;

enum Cell {
    Counter(Counter),
    Gauge(GaugeMerge, Vec<Weak<AtomicI64>>),
}

impl Cell {
    /// The value to render; `None` for a gauge without a live contribution.
    fn value(&self) -> Option<i128> {
        match self {
            Cell::Counter(c) => Some(c.get() as i128),
            Cell::Gauge(merge, parts) => {
                let live = parts
                    .iter()
                    .filter_map(Weak::upgrade)
                    .map(|a| a.load(Ordering::Relaxed) as i128);
                match merge {
                    GaugeMerge::Sum => live.reduce(|a, b| a + b),
                    GaugeMerge::Max => live.max(),
                }
            }
        }
    }
}

struct Family {
    help: &'static str,
    kind: MetricType,
    min_level: Level,
    series: BTreeMap<Labels, Cell>,
}

/// A set of metric families.
#[derive(Default)]
pub struct Registry {
    families: Mutex<BTreeMap<&'static str, Family>>,
}

static GLOBAL: LazyLock<Registry> = LazyLock::new(Registry::default);

/// The process-wide registry served on the self-metrics endpoint.
pub fn global() -> &'static Registry {
    &GLOBAL
}

impl Registry {
    fn family<'a>(
        fams: &'a mut BTreeMap<&'static str, Family>,
        name: &'static str,
        help: &'static str,
        kind: MetricType,
    ) -> &'a mut Family {
        fams.entry(name).or_insert_with(|| Family {
            help,
            kind,
            min_level: min_level(name),
            series: BTreeMap::new(),
        })
    }

    /// The counter `name{labels}`, created at zero on first use.
    pub fn counter(&self, name: &'static str, help: &'static str, labels: Labels) -> Counter {
        let mut fams = self.families.lock();
        let fam = Self::family(&mut fams, name, help, MetricType::Counter);
        match fam
            .series
            .entry(labels)
            .or_insert_with(|| Cell::Counter(Counter::default()))
        {
            Cell::Counter(c) => c.clone(),
            // A name registered as both kinds is a programming error; hand out a detached
            // counter rather than crash a running collector.
            Cell::Gauge(..) => Counter::default(),
        }
    }

    /// A new contribution, at zero, to the gauge `name{labels}`, whose value is the sum of the
    /// live contributions.
    pub fn gauge(&self, name: &'static str, help: &'static str, labels: Labels) -> Gauge {
        self.gauge_merged(name, help, labels, GaugeMerge::Sum)
    }

    /// A new contribution, at zero, to the gauge `name{labels}`, merged as `merge` says (the
    /// first registration of a series decides).
    pub fn gauge_merged(
        &self,
        name: &'static str,
        help: &'static str,
        labels: Labels,
        merge: GaugeMerge,
    ) -> Gauge {
        let mut fams = self.families.lock();
        let fam = Self::family(&mut fams, name, help, MetricType::Gauge);
        match fam
            .series
            .entry(labels)
            .or_insert_with(|| Cell::Gauge(merge, Vec::new()))
        {
            Cell::Gauge(_, parts) => {
                parts.retain(|w| w.strong_count() > 0);
                let gauge = Gauge::default();
                parts.push(Arc::downgrade(&gauge.0));
                gauge
            }
            Cell::Counter(_) => Gauge::default(),
        }
    }

    /// Reads one series, for tests: `None` when it was never created, or is a gauge that no live
    /// component contributes to.
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<i128> {
        let fams = self.families.lock();
        let fam = fams.get(name)?;
        fam.series.iter().find_map(|(l, cell)| {
            let matches = labels
                .iter()
                .all(|(k, v)| l.iter().any(|(lk, lv)| lk == k && lv == v));
            if matches { cell.value() } else { None }
        })
    }

    /// Prometheus text exposition 0.0.4 of the families `level` includes, with `extra` labels
    /// (the service's identity) on every series.
    pub fn render(&self, level: Level, extra: &[(&str, String)]) -> String {
        let mut fams = self.families.lock();
        let mut out = String::new();
        for (name, fam) in fams.iter_mut() {
            if level == Level::None || fam.min_level > level {
                continue;
            }
            // Forget gauge series nothing contributes to any more.
            fam.series.retain(|_, cell| match cell {
                Cell::Counter(_) => true,
                Cell::Gauge(_, parts) => {
                    parts.retain(|w| w.strong_count() > 0);
                    !parts.is_empty()
                }
            });
            let rows: Vec<(&Labels, i128)> = fam
                .series
                .iter()
                .filter_map(|(labels, cell)| cell.value().map(|v| (labels, v)))
                .collect();
            if rows.is_empty() {
                continue;
            }
            let kind = match fam.kind {
                MetricType::Counter => "counter",
                MetricType::Gauge => "gauge",
            };
            let _ = writeln!(out, "# HELP {name} {}", fam.help);
            let _ = writeln!(out, "# TYPE {name} {kind}");
            for (labels, value) in rows {
                out.push_str(name);
                out.push('{');
                let all = labels
                    .iter()
                    .map(|(k, v)| (*k, v.as_str()))
                    .chain(extra.iter().map(|(k, v)| (*k, v.as_str())));
                for (i, (k, v)) in all.enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    let _ = write!(out, "{k}=\"{}\"", escape_label(v));
                }
                out.push('}');
                let _ = writeln!(out, " {value}");
            }
        }
        out
    }
}

/// Escapes a label value for the text exposition.
pub fn escape_label(v: &str) -> String {
    v.replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_series_same_handle_and_rendering() {
        let r = Registry::default();
        let a = r.counter("otelcol_x", "help x", vec![("receiver", "otlp".into())]);
        let b = r.counter("otelcol_x", "help x", vec![("receiver", "otlp".into())]);
        a.add(2);
        b.add(3);
        assert_eq!(r.value("otelcol_x", &[("receiver", "otlp")]), Some(5));
        let q = r.gauge("otelcol_q", "help q", vec![]);
        q.set(-1);
        let text = r.render(Level::Normal, &[("service_name", "ferrocol".into())]);
        assert_eq!(
            text,
            "# HELP otelcol_q help q\n# TYPE otelcol_q gauge\notelcol_q{service_name=\"ferrocol\"} -1\n\
             # HELP otelcol_x help x\n# TYPE otelcol_x counter\notelcol_x{receiver=\"otlp\",service_name=\"ferrocol\"} 5\n"
        );
    }

    #[test]
    fn gauges_follow_their_live_handles() {
        let r = Registry::default();
        let labels = || vec![("exporter", "otlp".to_string())];
        let old = r.gauge("otelcol_exporter_queue_size", "h", labels());
        old.set(7);
        // A reload: the new instance registers before the old one is gone; both count.
        let new = r.gauge("otelcol_exporter_queue_size", "h", labels());
        new.set(2);
        assert_eq!(r.value("otelcol_exporter_queue_size", &[]), Some(9));
        let old_clone = old.clone();
        drop(old);
        assert_eq!(r.value("otelcol_exporter_queue_size", &[]), Some(9));
        drop(old_clone);
        assert_eq!(r.value("otelcol_exporter_queue_size", &[]), Some(2));
        let capacity = r.gauge("otelcol_exporter_queue_capacity", "h", labels());
        capacity.set(100);
        let new = new.keeping(&capacity);
        drop(capacity);
        assert_eq!(r.value("otelcol_exporter_queue_capacity", &[]), Some(100));
        drop(new);
        assert_eq!(r.value("otelcol_exporter_queue_size", &[]), None);
        assert_eq!(r.value("otelcol_exporter_queue_capacity", &[]), None);
        assert_eq!(r.render(Level::Detailed, &[]), "");

        let a = r.gauge_merged("m", "h", vec![], GaugeMerge::Max);
        let b = r.gauge_merged("m", "h", vec![], GaugeMerge::Max);
        a.set(10);
        b.set(12);
        assert_eq!(r.value("m", &[]), Some(12));
    }

    #[test]
    fn levels_drop_what_upstreams_views_drop() {
        let r = Registry::default();
        r.counter("otelcol_receiver_accepted_spans", "h", vec![])
            .add(1);
        r.counter("otelcol_processor_batch_timeout_trigger_send", "h", vec![])
            .add(1);
        r.counter(
            "otelcol_processor_batch_batch_send_size_bytes_sum",
            "h",
            vec![],
        )
        .add(1);
        r.counter("otelcol_exporter_enqueue_size", "h", vec![])
            .add(1);
        let names = |level| {
            r.render(level, &[])
                .lines()
                .filter(|l| !l.starts_with('#'))
                .map(|l| l.split(['{', ' ']).next().unwrap_or_default().to_string())
                .collect::<Vec<_>>()
        };
        assert!(names(Level::None).is_empty());
        assert_eq!(names(Level::Basic), ["otelcol_receiver_accepted_spans"]);
        assert_eq!(
            names(Level::Normal),
            [
                "otelcol_processor_batch_timeout_trigger_send",
                "otelcol_receiver_accepted_spans"
            ]
        );
        assert_eq!(names(Level::Detailed).len(), 4);
    }
}
