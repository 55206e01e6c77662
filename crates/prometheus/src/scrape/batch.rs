//! The unit of work between a scrape loop and its consumer: everything one scrape of one target
//! produced, after metric relabelling and limits, with the synthetic series and staleness
//! markers Prometheus would append.

use std::collections::HashMap;
use std::sync::Arc;

use futures::future::BoxFuture;

use crate::discovery::LabelSet;

/// Prometheus' staleness marker: a NaN with this exact bit pattern (`value.StaleNaN`).
pub const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;

/// Whether `v` is the staleness marker (not just any NaN).
pub fn is_stale_nan(v: f64) -> bool {
    v.to_bits() == STALE_NAN_BITS
}

/// The metric family type from `# TYPE` (Prometheus `model.MetricType`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum MetricType {
    Counter,
    Gauge,
    Histogram,
    GaugeHistogram,
    Summary,
    Info,
    StateSet,
    #[default]
    Unknown,
}

/// What `# TYPE`, `# HELP` and `# UNIT` said about one metric family.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetricMetadata {
    pub metric_type: MetricType,
    pub help: String,
    pub unit: String,
}

/// An exemplar attached to a sample (OpenMetrics).
#[derive(Debug, Clone, PartialEq)]
pub struct Exemplar {
    pub labels: Vec<(String, String)>,
    pub value: f64,
    /// Milliseconds since the epoch, when the exemplar carried a timestamp.
    pub timestamp_ms: Option<i64>,
}

/// One sample as the TSDB would store it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Every label including `__name__`, after target labels were attached (honoring
    /// `honor_labels`) and metric relabelling ran; sorted by name.
    pub labels: Vec<(String, String)>,
    /// The sample's own timestamp when `honor_timestamps` kept it, otherwise the scrape's.
    pub timestamp_ms: i64,
    /// The value; a staleness marker is [`STALE_NAN_BITS`].
    pub value: f64,
    pub exemplar: Option<Exemplar>,
}

impl Sample {
    /// The value of a label, if present.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The metric name (`__name__`).
    pub fn name(&self) -> &str {
        self.label("__name__").unwrap_or("")
    }
}

/// The target a batch came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetInfo {
    /// `job_name` of the scrape config.
    pub job: String,
    /// The target's labels after target relabelling (`job`, `instance`, and any others; the
    /// `__`-prefixed ones removed), as attached to every sample.
    pub labels: LabelSet,
    /// The labels the target was discovered with, before relabelling (`__address__`,
    /// `__scheme__`, `__metrics_path__`, `__meta_*`, ...): the receiver derives resource
    /// attributes such as `url.scheme` and Kubernetes attributes from them.
    pub discovered_labels: LabelSet,
    /// The URL that was scraped.
    pub url: String,
}

/// Everything one scrape produced.
#[derive(Debug, Clone)]
pub struct ScrapeBatch {
    pub target: Arc<TargetInfo>,
    /// When the scrape started, in milliseconds since the epoch: the timestamp of the synthetic
    /// series and of samples without their own.
    pub scrape_timestamp_ms: i64,
    /// Samples in exposition order, then staleness markers for series that disappeared, then the
    /// synthetic `up`, `scrape_duration_seconds`, `scrape_samples_scraped`,
    /// `scrape_samples_post_metric_relabeling` and `scrape_series_added`. A failed scrape carries
    /// staleness markers for the previous scrape's series and `up` 0.
    pub samples: Vec<Sample>,
    /// Metadata by metric family name as exposed (before metric relabelling, as Prometheus keys
    /// its metadata cache). Families without `# TYPE` are absent: their samples are unknown-typed.
    pub metadata: HashMap<String, MetricMetadata>,
}

/// Where scrape loops deliver batches (Prometheus' `storage.Appendable`). The scrape loop
/// awaits the result before its next scrape; an error is logged and counted by the loop, and
/// the batch is not retried (a scrape is a snapshot; the next one supersedes it).
pub trait Appender: Send + Sync + 'static {
    fn append(&self, batch: ScrapeBatch) -> BoxFuture<'_, Result<(), String>>;
}
