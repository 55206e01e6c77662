//! A small registry of counters and gauges, rendered as Prometheus text.
//!
//! Components hold cheap handles ([`Counter`], [`Gauge`]) that are plain atomics, so counting on
//! the hot path is one relaxed add. Asking twice for the same name and labels returns the same
//! handle, so a reloaded pipeline keeps counting where the old one stopped, as a scrape expects.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};

use parking_lot::Mutex;

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

/// A value that goes up and down.
#[derive(Clone, Debug, Default)]
pub struct Gauge(Arc<AtomicI64>);

impl Gauge {
    pub fn set(&self, v: i64) {
        self.0.store(v, Ordering::Relaxed);
    }
    pub fn add(&self, v: i64) {
        self.0.fetch_add(v, Ordering::Relaxed);
    }
    pub fn get(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
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
    Gauge(Gauge),
}

struct Family {
    help: &'static str,
    kind: MetricType,
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
    /// The counter `name{labels}`, created at zero on first use.
    pub fn counter(&self, name: &'static str, help: &'static str, labels: Labels) -> Counter {
        let mut fams = self.families.lock();
        let fam = fams.entry(name).or_insert_with(|| Family {
            help,
            kind: MetricType::Counter,
            series: BTreeMap::new(),
        });
        match fam
            .series
            .entry(labels)
            .or_insert_with(|| Cell::Counter(Counter::default()))
        {
            Cell::Counter(c) => c.clone(),
            // A name registered as both kinds is a programming error; hand out a detached
            // counter rather than crash a running collector.
            Cell::Gauge(_) => Counter::default(),
        }
    }

    /// The gauge `name{labels}`, created at zero on first use.
    pub fn gauge(&self, name: &'static str, help: &'static str, labels: Labels) -> Gauge {
        let mut fams = self.families.lock();
        let fam = fams.entry(name).or_insert_with(|| Family {
            help,
            kind: MetricType::Gauge,
            series: BTreeMap::new(),
        });
        match fam
            .series
            .entry(labels)
            .or_insert_with(|| Cell::Gauge(Gauge::default()))
        {
            Cell::Gauge(g) => g.clone(),
            Cell::Counter(_) => Gauge::default(),
        }
    }

    /// Reads one series, for tests: `None` when it was never created.
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<i128> {
        let fams = self.families.lock();
        let fam = fams.get(name)?;
        fam.series.iter().find_map(|(l, cell)| {
            let matches = labels
                .iter()
                .all(|(k, v)| l.iter().any(|(lk, lv)| lk == k && lv == v));
            matches.then(|| match cell {
                Cell::Counter(c) => c.get() as i128,
                Cell::Gauge(g) => g.get() as i128,
            })
        })
    }

    /// Prometheus text exposition 0.0.4, with `extra` labels (the service's identity) on every
    /// series.
    pub fn render(&self, extra: &[(&str, String)]) -> String {
        let fams = self.families.lock();
        let mut out = String::new();
        for (name, fam) in fams.iter() {
            let kind = match fam.kind {
                MetricType::Counter => "counter",
                MetricType::Gauge => "gauge",
            };
            let _ = writeln!(out, "# HELP {name} {}", fam.help);
            let _ = writeln!(out, "# TYPE {name} {kind}");
            for (labels, cell) in &fam.series {
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
                let _ = match cell {
                    Cell::Counter(c) => writeln!(out, " {}", c.get()),
                    Cell::Gauge(g) => writeln!(out, " {}", g.get()),
                };
            }
        }
        out
    }
}

fn escape_label(v: &str) -> String {
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
        r.gauge("otelcol_q", "help q", vec![]).set(-1);
        let text = r.render(&[("service_name", "ferrocol".into())]);
        assert_eq!(
            text,
            "# HELP otelcol_q help q\n# TYPE otelcol_q gauge\notelcol_q{service_name=\"ferrocol\"} -1\n\
             # HELP otelcol_x help x\n# TYPE otelcol_x counter\notelcol_x{receiver=\"otlp\",service_name=\"ferrocol\"} 5\n"
        );
    }
}
