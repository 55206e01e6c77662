//! Pre-labelled `otelcol_*` instruments per component, with upstream's names and labels
//! (collector-semantics.md §2.1). Each place that counts an event also logs it, so the two never
//! disagree.

use std::sync::Arc;

use component::{ComponentId, Signal};

use crate::metrics::{Counter, Gauge, global};
use crate::ratelimit::DropLog;

/// One counter per signal.
#[derive(Clone, Debug)]
pub struct PerSignal {
    traces: Counter,
    metrics: Counter,
    logs: Counter,
}

impl PerSignal {
    fn new(
        names: [&'static str; 3],
        help: &'static str,
        labels: impl Fn() -> crate::metrics::Labels,
    ) -> Self {
        let r = global();
        PerSignal {
            traces: r.counter(names[0], help, labels()),
            metrics: r.counter(names[1], help, labels()),
            logs: r.counter(names[2], help, labels()),
        }
    }

    pub fn get(&self, signal: Signal) -> &Counter {
        match signal {
            Signal::Traces => &self.traces,
            Signal::Metrics => &self.metrics,
            Signal::Logs => &self.logs,
        }
    }

    pub fn add(&self, signal: Signal, n: usize) {
        self.get(signal).add(n as u64);
    }
}

/// `otelcol_receiver_*` for one receiver and transport (`grpc`, `http`, `udp`, ...).
#[derive(Clone, Debug)]
pub struct ReceiverObs {
    pub id: String,
    pub transport: &'static str,
    accepted: PerSignal,
    refused: PerSignal,
}

impl ReceiverObs {
    pub fn new(id: &ComponentId, transport: &'static str) -> Self {
        let labels = || {
            vec![
                ("receiver", id.to_string()),
                ("transport", transport.to_string()),
            ]
        };
        ReceiverObs {
            id: id.to_string(),
            transport,
            accepted: PerSignal::new(
                [
                    "otelcol_receiver_accepted_spans",
                    "otelcol_receiver_accepted_metric_points",
                    "otelcol_receiver_accepted_log_records",
                ],
                "Number of items successfully pushed into the pipeline.",
                labels,
            ),
            refused: PerSignal::new(
                [
                    "otelcol_receiver_refused_spans",
                    "otelcol_receiver_refused_metric_points",
                    "otelcol_receiver_refused_log_records",
                ],
                "Number of items that could not be pushed into the pipeline.",
                labels,
            ),
        }
    }

    /// The pipeline took `items`.
    pub fn accepted(&self, signal: Signal, items: usize) {
        self.accepted.add(signal, items);
    }

    /// The pipeline refused `items`; logged at debug because the client is told and may retry.
    pub fn refused(&self, signal: Signal, items: usize, reason: &dyn std::fmt::Display) {
        self.refused.add(signal, items);
        tracing::debug!(
            receiver = %self.id, transport = self.transport, signal = %signal, items,
            error = %reason, "pipeline refused data"
        );
    }
}

/// `otelcol_exporter_*` for one exporter.
#[derive(Clone, Debug)]
pub struct ExporterObs {
    pub id: String,
    sent: PerSignal,
    send_failed: PerSignal,
    enqueue_failed: PerSignal,
    /// Appended to `Exporting failed. Dropping data.` (see [`ExporterObs::with_failure_hint`]).
    failure_hint: &'static str,
    send_failed_log: Arc<DropLog>,
    enqueue_failed_log: Arc<DropLog>,
}

impl ExporterObs {
    pub fn new(id: &ComponentId) -> Self {
        let labels = || vec![("exporter", id.to_string())];
        ExporterObs {
            id: id.to_string(),
            sent: PerSignal::new(
                [
                    "otelcol_exporter_sent_spans",
                    "otelcol_exporter_sent_metric_points",
                    "otelcol_exporter_sent_log_records",
                ],
                "Number of items successfully sent to destination.",
                labels,
            ),
            send_failed: PerSignal::new(
                [
                    "otelcol_exporter_send_failed_spans",
                    "otelcol_exporter_send_failed_metric_points",
                    "otelcol_exporter_send_failed_log_records",
                ],
                "Number of items in failed attempts to send to destination.",
                labels,
            ),
            enqueue_failed: PerSignal::new(
                [
                    "otelcol_exporter_enqueue_failed_spans",
                    "otelcol_exporter_enqueue_failed_metric_points",
                    "otelcol_exporter_enqueue_failed_log_records",
                ],
                "Number of items failed to be added to the sending queue.",
                labels,
            ),
            failure_hint: "",
            send_failed_log: Arc::default(),
            enqueue_failed_log: Arc::default(),
        }
    }

    /// Upstream's advice appended to the drop message (`BaseExporter.ExportFailureMessage`):
    /// `" Try enabling retry_on_failure config option to retry on retryable errors."` when retries
    /// are off, `" Try enabling sending_queue to survive temporary failures."` when the queue is
    /// off, both when both are; empty otherwise.
    pub fn with_failure_hint(mut self, hint: &'static str) -> Self {
        self.failure_hint = hint;
        self
    }

    pub fn sent(&self, signal: Signal, items: usize) {
        self.sent.add(signal, items);
    }

    /// An export attempt whose data is given up (permanent error or retries exhausted): every item
    /// counted, and logged at error as upstream's queue consumer does (`Exporting failed. Dropping
    /// data.` plus the hint, fields `error` and `dropped_items`), at most once per
    /// [`crate::ratelimit::DROP_LOG_INTERVAL`]; a line after held-back ones says how many with
    /// `suppressed_logs` / `suppressed_items`.
    pub fn send_failed(&self, signal: Signal, items: usize, error: &dyn std::fmt::Display) {
        self.send_failed.add(signal, items);
        let Some(held) = self.send_failed_log.admit(items as u64) else {
            return;
        };
        if held.events == 0 {
            tracing::error!(
                exporter = %self.id, signal = %signal, error = %error, dropped_items = items,
                "Exporting failed. Dropping data.{}", self.failure_hint
            );
        } else {
            tracing::error!(
                exporter = %self.id, signal = %signal, error = %error, dropped_items = items,
                suppressed_logs = held.events, suppressed_items = held.items,
                "Exporting failed. Dropping data.{}", self.failure_hint
            );
        }
    }

    /// Data refused because the sending queue is full: every item counted, the line (upstream's
    /// historical wording, field `dropped_items`) rate-limited as for [`Self::send_failed`].
    pub fn enqueue_failed(&self, signal: Signal, items: usize) {
        self.enqueue_failed.add(signal, items);
        let Some(held) = self.enqueue_failed_log.admit(items as u64) else {
            return;
        };
        if held.events == 0 {
            tracing::warn!(
                exporter = %self.id, signal = %signal, dropped_items = items,
                "Dropping data because sending_queue is full. Try increasing queue_size."
            );
        } else {
            tracing::warn!(
                exporter = %self.id, signal = %signal, dropped_items = items,
                suppressed_logs = held.events, suppressed_items = held.items,
                "Dropping data because sending_queue is full. Try increasing queue_size."
            );
        }
    }

    /// `otelcol_exporter_queue_size` and `_queue_capacity` for one signal's queue: this queue's
    /// contribution, which leaves the series when the queue (every clone of the handles) is
    /// dropped. While a reload briefly runs the old and the new queue of one exporter side by
    /// side, the series show their sum. The size handle keeps the capacity alive too, so a queue
    /// need only hold the one it updates.
    pub fn queue_gauges(&self, signal: Signal) -> (Gauge, Gauge) {
        let labels = || {
            vec![
                ("data_type", signal.to_string()),
                ("exporter", self.id.clone()),
            ]
        };
        let r = global();
        let capacity = r.gauge(
            "otelcol_exporter_queue_capacity",
            "Fixed capacity of the retry queue (in batches).",
            labels(),
        );
        let size = r
            .gauge(
                "otelcol_exporter_queue_size",
                "Current size of the retry queue (in batches).",
                labels(),
            )
            .keeping(&capacity);
        (size, capacity)
    }
}

/// `otelcol_processor_incoming_items` / `outgoing_items` for one processor in one pipeline.
#[derive(Clone, Debug)]
pub struct ProcessorObs {
    pub incoming: Counter,
    pub outgoing: Counter,
}

impl ProcessorObs {
    pub fn new(id: &ComponentId, signal: Signal) -> Self {
        let labels = || {
            vec![
                ("otel_signal", signal.to_string()),
                ("processor", id.to_string()),
            ]
        };
        let r = global();
        ProcessorObs {
            incoming: r.counter(
                "otelcol_processor_incoming_items",
                "Number of items passed to the processor.",
                labels(),
            ),
            outgoing: r.counter(
                "otelcol_processor_outgoing_items",
                "Number of items emitted from the processor.",
                labels(),
            ),
        }
    }
}
