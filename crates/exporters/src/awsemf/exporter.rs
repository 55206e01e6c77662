//! The running exporter: translate each request, then hand the events to the destination.
//!
//! As upstream, the exporter has no sending queue and no retries of its own: each request is
//! translated and written within the consume call (the CloudWatch Logs client retries per its
//! own rules), and the exporter helper only does the `otelcol_exporter_*` accounting.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::sync::{Arc, LazyLock};

use component::{BoxFuture, ConsumeError};
use parking_lot::Mutex;
use pdata::ExportMetricsServiceRequest;
use pdata::payload::Payload;
use telemetry::metrics::{Counter, global};
use telemetry::ratelimit::DropLog;

use super::sink::Sink;
use super::translate::{EmfEvent, Translation, Translator};

/// The hashes of the CloudWatch metrics one exporter has written.
type SeenMetrics = Arc<Mutex<HashSet<u64>>>;

/// The distinct CloudWatch metrics each exporter id has written, kept across reloads so that a
/// reloaded exporter does not count its metrics again.
static DISTINCT: LazyLock<Mutex<HashMap<String, SeenMetrics>>> = LazyLock::new(Default::default);

/// `otelcol_exporter_awsemf_*`: what the translation did beyond the helper's counts.
pub struct EmfObs {
    /// Distinct CloudWatch metrics (namespace, name, dimension names and values) written: what
    /// CloudWatch bills as custom metrics.
    distinct_metrics: Counter,
    seen: SeenMetrics,
    no_recorded_value: Counter,
    not_finite: Counter,
    duplicate: Counter,
    oversized_dimension_sets: Counter,
    drop_log: DropLog,
}

impl EmfObs {
    pub fn new(id: &str) -> Self {
        let r = global();
        let labels = || vec![("exporter", id.to_string())];
        let dropped = |reason: &str| {
            let mut l = labels();
            l.push(("reason", reason.to_string()));
            r.counter(
                "otelcol_exporter_awsemf_dropped_metric_points",
                "Data points the awsemf exporter did not write, by reason.",
                l,
            )
        };
        EmfObs {
            distinct_metrics: r.counter(
                "otelcol_exporter_awsemf_distinct_metrics",
                "Distinct CloudWatch metrics (namespace, name, dimension values) the awsemf exporter has written.",
                labels(),
            ),
            seen: DISTINCT.lock().entry(id.to_string()).or_default().clone(),
            no_recorded_value: dropped("no_recorded_value"),
            not_finite: dropped("nan_or_infinity"),
            duplicate: dropped("duplicate_name"),
            oversized_dimension_sets: r.counter(
                "otelcol_exporter_awsemf_dropped_dimension_sets",
                "Dimension sets left out of EMF directives for naming more than 30 dimensions.",
                labels(),
            ),
            drop_log: DropLog::default(),
        }
    }

    fn record(&self, id: &str, t: &Translation) {
        let mut new = 0u64;
        {
            let mut seen = self.seen.lock();
            for event in &t.events {
                for m in &event.metric_ids {
                    new += u64::from(seen.insert(*m));
                }
            }
        }
        self.distinct_metrics.add(new);
        let d = t.dropped;
        self.no_recorded_value.add(d.no_recorded_value as u64);
        self.not_finite.add(d.not_finite as u64);
        self.duplicate.add(t.duplicates as u64);
        self.oversized_dimension_sets
            .add(t.oversized_dimension_sets as u64);
        let skipped = d.no_recorded_value + d.not_finite;
        if skipped > 0
            && let Some(held) = self.drop_log.admit(skipped as u64)
        {
            tracing::warn!(
                exporter = id,
                no_recorded_value = d.no_recorded_value,
                nan_or_infinity = d.not_finite,
                suppressed_events = held.events,
                suppressed_points = held.items,
                "Dropped data points CloudWatch cannot take"
            );
        }
    }
}

pub struct EmfExporter {
    id: String,
    translator: Translator,
    sink: Sink,
    obs: EmfObs,
}

impl EmfExporter {
    pub fn new(id: String, translator: Translator, sink: Sink) -> Self {
        let obs = EmfObs::new(&id);
        EmfExporter {
            id,
            translator,
            sink,
            obs,
        }
    }

    pub fn sink(&self) -> &Sink {
        &self.sink
    }

    /// Translates one request and counts what the translation dropped.
    pub fn translate(&self, request: &ExportMetricsServiceRequest) -> Vec<EmfEvent> {
        let t = self.translator.translate(request);
        self.obs.record(&self.id, &t);
        t.events
    }
}

impl helpers::Sender<ExportMetricsServiceRequest> for EmfExporter {
    fn send(
        &self,
        data: Payload<ExportMetricsServiceRequest>,
    ) -> BoxFuture<'_, Result<(), ConsumeError>> {
        Box::pin(async move {
            let request = data
                .message()
                .map_err(|e| ConsumeError::permanent(format!("undecodable metrics: {e}")))?;
            let events = self.translate(&request);
            if events.is_empty() {
                return Ok(());
            }
            self.sink.write(events).await
        })
    }
}

/// Writes events as EMF lines, one per event, in one write so that lines of concurrent
/// requests do not interleave.
pub fn write_lines(out: &mut impl Write, events: &[EmfEvent]) -> std::io::Result<()> {
    let mut buf = String::with_capacity(events.iter().map(|e| e.message.len() + 1).sum());
    for e in events {
        buf.push_str(&e.message);
        buf.push('\n');
    }
    out.write_all(buf.as_bytes())?;
    out.flush()
}
