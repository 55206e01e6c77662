//! What one scrape turns into: the body is parsed, each sample gets its target labels
//! (`honor_labels`), metric relabelling and the limits, and the batch gets staleness markers
//! and the synthetic series — Prometheus' `scrapeLoop.append` and `report`, without a TSDB.
//!
//! [`SeriesState`] is the per-target memory between scrapes (Prometheus' scrape cache): the
//! series of the last successful scrape, to know which disappeared (staleness markers) and
//! which are new (`scrape_series_added`). It only clones a series' labels when the series is
//! first seen, so a steady target allocates only the batch itself.

use std::collections::HashMap;
use std::sync::Arc;

use crate::discovery::LabelSet;
use crate::exposition::{self, Entry, Format, Strictness};
use crate::relabel::{self, Labels, RelabelConfig};

use super::batch::{
    Exemplar, MetricMetadata, MetricType, STALE_NAN_BITS, Sample, ScrapeBatch, TargetInfo,
};

/// `up`, `scrape_duration_seconds`, ...: the series every scrape reports.
pub const SYNTHETIC_SERIES: [&str; 5] = [
    "up",
    "scrape_duration_seconds",
    "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling",
    "scrape_series_added",
];

/// With `extra_scrape_metrics`.
pub const EXTRA_SYNTHETIC_SERIES: [&str; 3] = [
    "scrape_timeout_seconds",
    "scrape_sample_limit",
    "scrape_body_size_bytes",
];

/// The job settings that shape a scrape's samples.
#[derive(Debug, Clone, Default)]
pub struct AppendSettings {
    pub honor_labels: bool,
    pub honor_timestamps: bool,
    pub track_timestamps_staleness: bool,
    pub sample_limit: u64,
    pub label_limit: u64,
    pub label_name_length_limit: u64,
    pub label_value_length_limit: u64,
    pub metric_relabel_configs: Arc<[RelabelConfig]>,
    /// Added to every sample that lacks the label (as the receiver's appender does).
    pub external_labels: LabelSet,
    pub extra_scrape_metrics: bool,
    pub scrape_timeout_seconds: f64,
}

/// What the scrape delivered, or why it failed before parsing.
pub enum ScrapeInput<'a> {
    Body {
        text: &'a str,
        format: Format,
        /// Uncompressed bytes read (`scrape_body_size_bytes`).
        body_size: usize,
    },
    Failed,
}

/// The counts Prometheus reports for a scrape, and the error that made it fail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppendReport {
    pub samples_scraped: u64,
    pub samples_post_relabel: u64,
    pub series_added: u64,
    pub stale_markers: u64,
    /// Later samples of a series already in this scrape, dropped (the TSDB would reject them
    /// as duplicates for the same timestamp).
    pub duplicates: u64,
    pub error: Option<String>,
}

struct Series {
    labels: PackedLabels,
    /// The generation (scrape number) that last contained the series.
    seen: u64,
    /// Whether its disappearance gets a staleness marker.
    tracked: bool,
}

type SeriesMap = crate::prehashed::PrehashedMap<Series>;

/// A series' labels in one allocation: length-prefixed names and values. The staleness tracker
/// keeps one per series between scrapes and reads it back only when the series goes stale, so
/// it stores them in one allocation instead of two per label plus the vector: for typical
/// series well under half the memory of a `Vec<(String, String)>`.
struct PackedLabels(Box<[u8]>);

impl PackedLabels {
    fn pack(labels: &[(String, String)]) -> Self {
        let size = labels.iter().map(|(n, v)| 8 + n.len() + v.len()).sum();
        let mut out = Vec::with_capacity(size);
        for (n, v) in labels {
            for part in [n, v] {
                out.extend_from_slice(&(part.len() as u32).to_le_bytes());
                out.extend_from_slice(part.as_bytes());
            }
        }
        PackedLabels(out.into_boxed_slice())
    }

    fn unpack(&self) -> Vec<(String, String)> {
        let mut labels = Vec::new();
        let mut rest: &[u8] = &self.0;
        // Packed from `String`s, so every part is whole and valid UTF-8; the lossy decoding
        // only keeps this free of a panic path.
        let next = |rest: &mut &[u8]| -> Option<String> {
            let (len, tail) = rest.split_first_chunk::<4>()?;
            let len = u32::from_le_bytes(*len) as usize;
            let part = tail.get(..len)?;
            *rest = &tail[len..];
            Some(String::from_utf8_lossy(part).into_owned())
        };
        while let (Some(n), Some(v)) = (next(&mut rest), next(&mut rest)) {
            labels.push((n, v));
        }
        labels
    }
}

/// Per-target memory between scrapes.
#[derive(Default)]
pub struct SeriesState {
    series: SeriesMap,
    generation: u64,
    /// Whether the last scrape reported synthetic series (so that a removed target gets
    /// staleness markers for them).
    reported: bool,
    /// Reused between samples.
    scratch: Vec<(String, String)>,
    conflicts: Vec<(String, String)>,
    /// Series first seen in the current scrape (forgotten again if it fails).
    added: Vec<u64>,
}

/// FNV-1a over names and values with separators, as the series identity.
pub fn hash_labels(labels: &[(String, String)]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    };
    for (n, v) in labels {
        feed(n.as_bytes());
        feed(v.as_bytes());
    }
    h
}

fn metric_type(t: exposition::MetricType) -> MetricType {
    match t {
        exposition::MetricType::Counter => MetricType::Counter,
        exposition::MetricType::Gauge => MetricType::Gauge,
        exposition::MetricType::Histogram => MetricType::Histogram,
        exposition::MetricType::GaugeHistogram => MetricType::GaugeHistogram,
        exposition::MetricType::Summary => MetricType::Summary,
        exposition::MetricType::Info => MetricType::Info,
        exposition::MetricType::StateSet => MetricType::StateSet,
        exposition::MetricType::Unknown => MetricType::Unknown,
    }
}

/// Go's `%.50s`: at most 50 characters.
fn trunc50(s: &str) -> &str {
    match s.char_indices().nth(50) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

fn find<'a>(labels: &'a [(String, String)], name: &str) -> Option<&'a str> {
    labels
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

impl SeriesState {
    pub fn new() -> Self {
        Self::default()
    }

    /// How many series the last successful scrape had.
    pub fn len(&self) -> usize {
        self.series.len()
    }

    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    /// Builds the batch of one scrape that started at `timestamp_ms` and took
    /// `duration_seconds` until now.
    pub fn append(
        &mut self,
        target: &Arc<TargetInfo>,
        settings: &AppendSettings,
        input: ScrapeInput<'_>,
        timestamp_ms: i64,
        duration_seconds: impl FnOnce() -> f64,
    ) -> (ScrapeBatch, AppendReport) {
        let mut report = AppendReport::default();
        let mut batch = ScrapeBatch {
            target: target.clone(),
            scrape_timestamp_ms: timestamp_ms,
            samples: Vec::new(),
            metadata: HashMap::new(),
        };
        self.generation += 1;
        self.added.clear();
        let mut body_size = 0usize;
        let mut failed = true;
        if let ScrapeInput::Body {
            text,
            format,
            body_size: size,
        } = input
        {
            body_size = size;
            match self.parse(
                target,
                settings,
                text,
                format,
                timestamp_ms,
                &mut batch,
                &mut report,
            ) {
                Ok(()) => failed = false,
                Err(e) => report.error = Some(e),
            }
        }
        if failed {
            // Prometheus rolls the scrape back and appends an empty one: every series of the
            // previous scrape gets a staleness marker; the rolled-back new ones never existed.
            batch.samples.clear();
            for hash in self.added.drain(..) {
                self.series.remove(&hash);
            }
            report.series_added = 0;
            self.generation += 1;
        }
        self.mark_stale(settings, timestamp_ms, &mut batch, &mut report);
        let up = if failed { 0.0 } else { 1.0 };
        let mut values = vec![
            up,
            duration_seconds(),
            report.samples_scraped as f64,
            report.samples_post_relabel as f64,
            report.series_added as f64,
        ];
        if settings.extra_scrape_metrics {
            values.extend([
                settings.scrape_timeout_seconds,
                settings.sample_limit as f64,
                body_size as f64,
            ]);
        }
        self.push_synthetic(target, settings, &values, timestamp_ms, &mut batch);
        self.reported = true;
        (batch, report)
    }

    /// The markers for a target that left discovery: every series of its last scrape and its
    /// synthetic series, at `timestamp_ms`. Empty if the target never reported.
    pub fn end_of_run(
        &mut self,
        target: &Arc<TargetInfo>,
        settings: &AppendSettings,
        timestamp_ms: i64,
    ) -> Option<ScrapeBatch> {
        if !self.reported && self.series.is_empty() {
            return None;
        }
        let mut batch = ScrapeBatch {
            target: target.clone(),
            scrape_timestamp_ms: timestamp_ms,
            samples: Vec::new(),
            metadata: HashMap::new(),
        };
        let mut report = AppendReport::default();
        self.generation += 1;
        self.mark_stale(settings, timestamp_ms, &mut batch, &mut report);
        if self.reported {
            let n = if settings.extra_scrape_metrics { 8 } else { 5 };
            let stale = vec![f64::from_bits(STALE_NAN_BITS); n];
            self.push_synthetic(target, settings, &stale, timestamp_ms, &mut batch);
            self.reported = false;
        }
        Some(batch)
    }

    #[allow(clippy::too_many_arguments)]
    fn parse(
        &mut self,
        target: &Arc<TargetInfo>,
        settings: &AppendSettings,
        text: &str,
        format: Format,
        timestamp_ms: i64,
        batch: &mut ScrapeBatch,
        report: &mut AppendReport,
    ) -> Result<(), String> {
        let mut sample_limit_err = false;
        for entry in exposition::Parser::new(text, format, Strictness::Prometheus) {
            let entry = entry.map_err(|e| e.to_string())?;
            let sample = match entry {
                Entry::Family(f) => {
                    batch.metadata.insert(
                        f.name.to_string(),
                        MetricMetadata {
                            metric_type: metric_type(f.metric_type),
                            help: f.help.map(|h| h.into_owned()).unwrap_or_default(),
                            unit: f.unit.unwrap_or_default().to_string(),
                        },
                    );
                    continue;
                }
                Entry::Sample(s) => s,
            };
            report.samples_scraped += 1;
            let Some(labels) = self.sample_labels(&target.labels, settings, &sample)? else {
                continue;
            };
            check_limits(&labels, settings)?;
            let explicit_ts = sample.timestamp_ms.filter(|_| settings.honor_timestamps);
            let hash = hash_labels(&labels);
            // Series with their own timestamps get no staleness markers unless asked
            // (`track_timestamps_staleness`), as in Prometheus.
            let tracked = explicit_ts.is_none() || settings.track_timestamps_staleness;
            match self.series.get_mut(&hash) {
                Some(s) if s.seen == self.generation => {
                    report.duplicates += 1;
                    continue;
                }
                Some(s) => {
                    s.seen = self.generation;
                    s.tracked = tracked;
                }
                None => {
                    report.series_added += 1;
                    self.added.push(hash);
                    self.series.insert(
                        hash,
                        Series {
                            labels: PackedLabels::pack(&labels),
                            seen: self.generation,
                            tracked,
                        },
                    );
                }
            }
            report.samples_post_relabel += 1;
            if settings.sample_limit > 0 && report.samples_post_relabel > settings.sample_limit {
                // Prometheus keeps parsing to count the scraped samples, then fails.
                sample_limit_err = true;
                continue;
            }
            let exemplar = sample.exemplar.map(|e| Exemplar {
                labels: e
                    .labels
                    .iter()
                    .map(|(n, v)| (n.to_string(), v.into_owned()))
                    .collect(),
                value: e.value,
                timestamp_ms: e.timestamp_ms,
            });
            let mut labels = labels;
            add_external_labels(&mut labels, &settings.external_labels);
            batch.samples.push(Sample {
                labels,
                timestamp_ms: explicit_ts.unwrap_or(timestamp_ms),
                value: sample.value,
                exemplar,
            });
        }
        if sample_limit_err {
            return Err("sample limit exceeded".to_string());
        }
        Ok(())
    }

    /// The sample's labels after target labels and metric relabelling (`mutateSampleLabels`);
    /// `None` when relabelling dropped it.
    fn sample_labels(
        &mut self,
        target: &LabelSet,
        settings: &AppendSettings,
        sample: &exposition::Sample<'_>,
    ) -> Result<Option<Vec<(String, String)>>, String> {
        let out = &mut self.scratch;
        out.clear();
        out.push(("__name__".to_string(), sample.name.to_string()));
        for (n, v) in sample.labels.iter() {
            if v.is_empty() {
                continue;
            }
            if out.iter().any(|(o, _)| o == n) {
                return Err(format!("invalid sample: non-unique label names: {:?}", n));
            }
            out.push((n.to_string(), v.into_owned()));
        }
        let scraped = out.len();
        if settings.honor_labels {
            for (n, v) in target {
                if !out[..scraped].iter().any(|(o, _)| o == n) {
                    out.push((n.clone(), v.clone()));
                }
            }
        } else {
            let conflicts = &mut self.conflicts;
            conflicts.clear();
            for (n, v) in target {
                match out[..scraped].iter_mut().find(|(o, _)| o == n) {
                    Some(existing) => {
                        conflicts.push((n.clone(), std::mem::replace(&mut existing.1, v.clone())));
                    }
                    None => out.push((n.clone(), v.clone())),
                }
            }
            // Shorter names first, each prefixed until the name is free.
            conflicts.sort_by_key(|(n, _)| n.len());
            for (name, value) in conflicts.drain(..) {
                let mut new_name = name;
                loop {
                    new_name = format!("exported_{new_name}");
                    if find(out, &new_name).is_none() {
                        out.push((new_name, value));
                        break;
                    }
                }
            }
        }
        let labels = if settings.metric_relabel_configs.is_empty() {
            let mut v = std::mem::take(out);
            v.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            // Give the scratch buffer its capacity back for the next sample.
            *out = Vec::with_capacity(v.len());
            v
        } else {
            let mut lb = Labels::from_pairs(out.drain(..scraped));
            lb.commit();
            for (n, v) in out.drain(..) {
                lb.set(n, v);
            }
            if !relabel::process(&mut lb, &settings.metric_relabel_configs) {
                return Ok(None);
            }
            lb.into_vec()
        };
        if labels.is_empty() {
            return Ok(None);
        }
        if find(&labels, "__name__").is_none() {
            return Err("missing metric name (__name__ label)".to_string());
        }
        Ok(Some(labels))
    }

    /// Staleness markers for tracked series not seen in the current generation, with the
    /// external labels their samples carried.
    fn mark_stale(
        &mut self,
        settings: &AppendSettings,
        timestamp_ms: i64,
        batch: &mut ScrapeBatch,
        report: &mut AppendReport,
    ) {
        let generation = self.generation;
        let stale = f64::from_bits(STALE_NAN_BITS);
        let mut gone: Vec<Vec<(String, String)>> = Vec::new();
        self.series.retain(|_, s| {
            if s.seen == generation {
                true
            } else {
                if s.tracked {
                    gone.push(s.labels.unpack());
                }
                false
            }
        });
        // Deterministic order (the map's is not).
        gone.sort_unstable();
        for mut labels in gone {
            add_external_labels(&mut labels, &settings.external_labels);
            report.stale_markers += 1;
            batch.samples.push(Sample {
                labels,
                timestamp_ms,
                value: stale,
                exemplar: None,
            });
        }
    }

    fn push_synthetic(
        &mut self,
        target: &Arc<TargetInfo>,
        settings: &AppendSettings,
        values: &[f64],
        timestamp_ms: i64,
        batch: &mut ScrapeBatch,
    ) {
        let names = SYNTHETIC_SERIES.iter().chain(EXTRA_SYNTHETIC_SERIES.iter());
        for (name, &value) in names.zip(values) {
            let mut labels: Vec<(String, String)> = Vec::with_capacity(target.labels.len() + 1);
            labels.push(("__name__".to_string(), (*name).to_string()));
            labels.extend(target.labels.iter().map(|(n, v)| (n.clone(), v.clone())));
            add_external_labels(&mut labels, &settings.external_labels);
            labels.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            batch.samples.push(Sample {
                labels,
                timestamp_ms,
                value,
                exemplar: None,
            });
        }
    }
}

fn add_external_labels(labels: &mut Vec<(String, String)>, external: &LabelSet) {
    if external.is_empty() {
        return;
    }
    for (n, v) in external {
        if find(labels, n).is_none() {
            labels.push((n.clone(), v.clone()));
        }
    }
    labels.sort_unstable_by(|a, b| a.0.cmp(&b.0));
}

/// Prometheus' `verifyLabelLimits`, with its messages.
fn check_limits(labels: &[(String, String)], s: &AppendSettings) -> Result<(), String> {
    if s.label_limit == 0 && s.label_name_length_limit == 0 && s.label_value_length_limit == 0 {
        return Ok(());
    }
    let metric = trunc50(find(labels, "__name__").unwrap_or(""));
    if s.label_limit > 0 && labels.len() as u64 > s.label_limit {
        return Err(format!(
            "label_limit exceeded (metric: {metric}, number of labels: {}, limit: {})",
            labels.len(),
            s.label_limit
        ));
    }
    if s.label_name_length_limit == 0 && s.label_value_length_limit == 0 {
        return Ok(());
    }
    for (name, value) in labels {
        if s.label_name_length_limit > 0 && name.len() as u64 > s.label_name_length_limit {
            return Err(format!(
                "label_name_length_limit exceeded (metric: {metric}, label name: {}, length: {}, limit: {})",
                trunc50(name),
                name.len(),
                s.label_name_length_limit
            ));
        }
        if s.label_value_length_limit > 0 && value.len() as u64 > s.label_value_length_limit {
            return Err(format!(
                "label_value_length_limit exceeded (metric: {metric}, label name: {}, value: {:?}, length: {}, limit: {})",
                trunc50(name),
                trunc50(value),
                value.len(),
                s.label_value_length_limit
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod packed_tests {
    use super::PackedLabels;

    #[test]
    fn packed_labels_read_back_exactly() {
        let cases: [&[(&str, &str)]; 4] = [
            &[],
            &[("__name__", "up")],
            &[("a", ""), ("", "b"), ("nul", "x\0y"), ("utf8", "é—🦀")],
            &[("long", &"v".repeat(70_000)), ("z", "1")],
        ];
        for case in cases {
            let labels: Vec<(String, String)> = case
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect();
            assert_eq!(PackedLabels::pack(&labels).unpack(), labels);
        }
    }
}
