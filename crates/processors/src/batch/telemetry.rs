//! The batch processor's self-metrics, with upstream's names and `processor` label
//! (`processor/batchprocessor/documentation.md`), plus one ferrocol addition.
//!
//! Upstream's `otelcol_processor_batch_batch_send_size` is a histogram. Our registry has
//! counters and gauges only, so the histogram is exposed as the three counter families a
//! Prometheus histogram consists of: `_bucket{le=…}` (cumulative, upstream's bucket bounds),
//! `_sum` and `_count`. Queries on those series (`histogram_quantile`, `rate(_sum)/rate(_count)`)
//! work unchanged; only the `# TYPE` lines say `counter` instead of one `histogram` family.
//! `_batch_send_size_bytes` is emitted upstream only at the `detailed` level, which our registry
//! does not model, so it is left out.
//!
//! Upstream logs a failed export (`Sender failed`) and counts nothing, so the batch is lost without
//! a trace in the metrics. We also count those items in
//! `otelcol_processor_batch_send_failed_{spans,metric_points,log_records}`.

use component::{ComponentId, Signal};
use telemetry::metrics::{Counter, Gauge, global};

/// Upstream's bucket bounds for `otelcol_processor_batch_batch_send_size` (`metadata.yaml`).
const SEND_SIZE_BOUNDS: [u64; 22] = [
    10, 25, 50, 75, 100, 250, 500, 750, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000,
    10000, 20000, 30000, 50000, 100000,
];
const SEND_SIZE_HELP: &str = "Number of units in the batch";

/// Why a batch was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Trigger {
    /// `send_batch_size` reached, or no timer (`timeout: 0`).
    Size,
    /// `timeout` elapsed, or shutdown flushed the rest (upstream counts that as a timeout too).
    Timeout,
}

/// A histogram made of cumulative counters, one per bucket, plus `_sum` and `_count`.
#[derive(Clone, Debug)]
struct CounterHistogram {
    /// `(bound, counter)` ascending; the last has bound `u64::MAX` and stands for `+Inf`.
    buckets: Vec<(u64, Counter)>,
    sum: Counter,
    count: Counter,
}

impl CounterHistogram {
    fn send_size(processor: &str) -> Self {
        let r = global();
        let bucket = |le: String| {
            r.counter(
                "otelcol_processor_batch_batch_send_size_bucket",
                SEND_SIZE_HELP,
                vec![("processor", processor.to_string()), ("le", le)],
            )
        };
        let mut buckets: Vec<(u64, Counter)> = SEND_SIZE_BOUNDS
            .iter()
            .map(|b| (*b, bucket(b.to_string())))
            .collect();
        buckets.push((u64::MAX, bucket("+Inf".to_string())));
        let labels = || vec![("processor", processor.to_string())];
        CounterHistogram {
            buckets,
            sum: r.counter(
                "otelcol_processor_batch_batch_send_size_sum",
                SEND_SIZE_HELP,
                labels(),
            ),
            count: r.counter(
                "otelcol_processor_batch_batch_send_size_count",
                SEND_SIZE_HELP,
                labels(),
            ),
        }
    }

    fn record(&self, value: u64) {
        for (bound, counter) in &self.buckets {
            if value <= *bound {
                counter.add(1);
            }
        }
        self.sum.add(value);
        self.count.add(1);
    }
}

/// Instruments of one batch processor id, shared by its pipeline instances (same series, as
/// upstream, whose instruments carry only the `processor` attribute).
#[derive(Clone, Debug)]
pub(crate) struct BatchTelemetry {
    processor: String,
    send_size: CounterHistogram,
    size_trigger: Counter,
    timeout_trigger: Counter,
    /// Batchers alive for this id (upstream: an asynchronous up-down counter).
    pub(crate) cardinality: Gauge,
    send_failed: Counter,
}

impl BatchTelemetry {
    pub(crate) fn new(id: &ComponentId, signal: Signal) -> Self {
        let processor = id.to_string();
        let r = global();
        let labels = || vec![("processor", processor.clone())];
        let send_failed_name = match signal {
            Signal::Traces => "otelcol_processor_batch_send_failed_spans",
            Signal::Metrics => "otelcol_processor_batch_send_failed_metric_points",
            Signal::Logs => "otelcol_processor_batch_send_failed_log_records",
        };
        BatchTelemetry {
            send_size: CounterHistogram::send_size(&processor),
            size_trigger: r.counter(
                "otelcol_processor_batch_batch_size_trigger_send",
                "Number of times the batch was sent due to a size trigger",
                labels(),
            ),
            timeout_trigger: r.counter(
                "otelcol_processor_batch_timeout_trigger_send",
                "Number of times the batch was sent due to a timeout trigger",
                labels(),
            ),
            cardinality: r.gauge(
                "otelcol_processor_batch_metadata_cardinality",
                "Number of distinct metadata value combinations being processed",
                labels(),
            ),
            send_failed: r.counter(
                send_failed_name,
                "Number of items the batch processor could not hand to the next component (export failed or shutdown deadline passed)",
                labels(),
            ),
            processor,
        }
    }

    pub(crate) fn processor(&self) -> &str {
        &self.processor
    }

    /// A batch was handed on successfully. Like upstream, failed sends record no trigger or size.
    pub(crate) fn sent(&self, trigger: Trigger, items: usize) {
        match trigger {
            Trigger::Size => self.size_trigger.add(1),
            Trigger::Timeout => self.timeout_trigger.add(1),
        }
        self.send_size.record(items as u64);
    }

    /// Items that will never reach the next component.
    pub(crate) fn send_failed(&self, items: usize) {
        self.send_failed.add(items as u64);
    }
}
