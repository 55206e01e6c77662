//! The scenarios, modelled on the upstream collector's testbed (`testbed/tests`): a steady rate
//! with 100 items per request over one connection, checked for exact delivery; plus a
//! saturation run and ferrocol's pass-through figure.

use loadgen::{Protocol, Shape, Signal};
use serde::Serialize;

/// What runs between the receiver and the exporter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Processors {
    /// `batch` with upstream defaults (8192 items, 200 ms).
    Batch,
    /// Nothing: receiver → exporter.
    None,
}

/// How the load is applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Load {
    /// A fixed rate in items/s over `workers` connections.
    Steady { rate: u64 },
    /// As fast as the collector answers, over `workers` connections.
    Saturate,
}

#[derive(Clone, Debug, Serialize)]
pub struct Scenario {
    pub name: &'static str,
    pub signal: Signal,
    pub protocol: Protocol,
    pub gzip: bool,
    pub load: Load,
    pub workers: usize,
    pub batch_size: usize,
    pub attributes: usize,
    pub attribute_size: usize,
    pub processors: Processors,
    /// Why Rotel cannot run this scenario, if it cannot.
    pub rotel_unsupported: Option<&'static str>,
}

impl Scenario {
    const fn steady(name: &'static str, signal: Signal, protocol: Protocol, gzip: bool) -> Self {
        Scenario {
            name,
            signal,
            protocol,
            gzip,
            load: Load::Steady { rate: 10_000 },
            workers: 1,
            batch_size: 100,
            attributes: 0,
            attribute_size: 0,
            processors: Processors::Batch,
            rotel_unsupported: None,
        }
    }

    /// Upstream's `Scenario1kSPSWithAttrs`: 1k spans/s in requests of 10 spans (so that 20
    /// attributes of 5000 B stay far below the 4 MiB gRPC message limit).
    const fn with_attrs(name: &'static str, attributes: usize, attribute_size: usize) -> Self {
        let mut s = Scenario::steady(name, Signal::Traces, Protocol::Grpc, false);
        s.load = Load::Steady { rate: 1_000 };
        s.batch_size = 10;
        s.attributes = attributes;
        s.attribute_size = attribute_size;
        s
    }

    const fn no_processors(mut self) -> Self {
        self.processors = Processors::None;
        self
    }

    /// The request shape the load generator uses.
    pub fn shape(&self) -> Shape {
        Shape {
            batch_size: self.batch_size,
            attributes: self.attributes,
            attribute_size: self.attribute_size,
            ..Shape::default()
        }
    }

    pub fn is_saturation(&self) -> bool {
        self.load == Load::Saturate
    }
}

/// Every scenario, in report order.
pub fn all() -> Vec<Scenario> {
    use Protocol::{Grpc, Http};
    use Signal::{Logs, Metrics, Traces};
    let saturate = |name, processors, rotel_unsupported| Scenario {
        name,
        signal: Traces,
        protocol: Grpc,
        gzip: false,
        load: Load::Saturate,
        // Several connections keep the collector busy while one request waits for its answer.
        workers: 4,
        batch_size: 100,
        attributes: 0,
        attribute_size: 0,
        processors,
        rotel_unsupported,
    };
    vec![
        Scenario::steady("Trace10kSPS/OTLP-gRPC", Traces, Grpc, false),
        Scenario::steady("Trace10kSPS/OTLP-gRPC-gzip", Traces, Grpc, true),
        Scenario::steady("Trace10kSPS/OTLP-HTTP", Traces, Http, false),
        Scenario::steady("Trace10kSPS/OTLP-HTTP-gzip", Traces, Http, true),
        // Upstream's TestMetric10kDPS has no processors.
        Scenario::steady("Metric10kDPS/OTLP-gRPC", Metrics, Grpc, false).no_processors(),
        Scenario::steady("Metric10kDPS/OTLP-HTTP", Metrics, Http, false).no_processors(),
        Scenario::steady("Log10kDPS/OTLP-gRPC", Logs, Grpc, false),
        Scenario::steady("Log10kDPS/OTLP-HTTP", Logs, Http, false),
        Scenario::with_attrs("Trace1kSPSWithAttrs/0x0B", 0, 0),
        Scenario::with_attrs("Trace1kSPSWithAttrs/10x1000B", 10, 1000),
        Scenario::with_attrs("Trace1kSPSWithAttrs/100x50B", 100, 50),
        Scenario::with_attrs("Trace1kSPSWithAttrs/20x5000B", 20, 5000),
        saturate("Saturation/OTLP-gRPC-batch", Processors::Batch, None),
        saturate(
            "PassThrough/OTLP-gRPC",
            Processors::None,
            Some(
                "ferrocol-only figure: it shows that OTLP → OTLP never decodes, which needs ferrocol's decode counter",
            ),
        ),
    ]
}

/// Scenarios named by `filters` (all when empty): a whole name (`Trace10kSPS/OTLP-gRPC`, which
/// does not select `Trace10kSPS/OTLP-gRPC-gzip`) or a family (`Trace10kSPS`).
pub fn select(filters: &[String]) -> Vec<Scenario> {
    let matches = |name: &str, f: &str| {
        let f = f.trim().trim_end_matches('/');
        name == f
            || name
                .strip_prefix(f)
                .is_some_and(|rest| rest.starts_with('/'))
    };
    all()
        .into_iter()
        .filter(|s| filters.is_empty() || filters.iter().any(|f| matches(s.name, f)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_selection_is_by_prefix() {
        let all = all();
        let mut names: Vec<_> = all.iter().map(|s| s.name).collect();
        names.dedup();
        assert_eq!(names.len(), all.len());
        let sel = select(&["Trace10kSPS".into()]);
        assert_eq!(sel.len(), 4);
        assert_eq!(select(&["Log10kDPS/OTLP-HTTP".into()]).len(), 1);
        assert_eq!(select(&["Trace10kSPS/OTLP-gRPC".into()]).len(), 1);
        assert_eq!(select(&["Trace10k".into()]).len(), 0);
        assert_eq!(select(&[]).len(), all.len());
    }

    #[test]
    fn shapes_carry_the_attribute_sizes() {
        let s = select(&["Trace1kSPSWithAttrs/20x5000B".into()]).remove(0);
        assert_eq!(s.shape().attributes, 20);
        assert_eq!(s.shape().attribute_size, 5000);
        assert_eq!(s.load, Load::Steady { rate: 1_000 });
    }
}
