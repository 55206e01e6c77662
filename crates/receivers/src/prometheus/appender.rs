//! Where scrape loops deliver: converts each batch ([`super::convert`]), hands it to the metrics
//! pipeline and counts the outcome (contrib `transaction.Commit` with `obsreport`).

use std::sync::Arc;

use component::{MetricsConsumer, Signal};
use futures::future::BoxFuture;
use pdata::{Payload, RequestMeta};
use prometheus::scrape::{Appender, ScrapeBatch};
use telemetry::metrics::{Counter, global};
use telemetry::obs::ReceiverObs;
use telemetry::ratelimit::DropLog;

use super::convert::{self, ConvertOptions};
use super::start_time::StartTimeAdjuster;

/// The receiver's appender: one per receiver, shared by all its scrape loops.
pub struct PipelineAppender {
    options: ConvertOptions,
    next: MetricsConsumer,
    obs: ReceiverObs,
    id: String,
    dropped: Counter,
    drop_log: DropLog,
    refuse_log: DropLog,
    /// Invents start times when the `RemoveStartTimeAdjustment` gate is off.
    adjuster: Option<StartTimeAdjuster>,
}

impl PipelineAppender {
    /// `obs` should be the receiver's `ReceiverObs` with transport `http`, as upstream's
    /// prometheus receiver reports.
    pub fn new(
        id: &component::ComponentId,
        options: ConvertOptions,
        next: MetricsConsumer,
    ) -> Self {
        PipelineAppender {
            options,
            next,
            obs: ReceiverObs::new(id, "http"),
            id: id.to_string(),
            dropped: global().counter(
                "otelcol_receiver_prometheus_dropped_samples",
                "Scraped samples the prometheus receiver could not turn into data points.",
                vec![("receiver", id.to_string())],
            ),
            drop_log: DropLog::default(),
            refuse_log: DropLog::default(),
            adjuster: None,
        }
    }

    /// Runs every converted scrape through `adjuster` before handing it on.
    pub fn with_start_time_adjuster(mut self, adjuster: StartTimeAdjuster) -> Self {
        self.adjuster = Some(adjuster);
        self
    }

    async fn deliver(&self, batch: ScrapeBatch) -> Result<(), String> {
        let mut converted = convert::convert(&batch, &self.options);
        if let Some(adjuster) = &self.adjuster {
            adjuster.adjust(&mut converted.request);
        }
        let dropped = converted.drops.total();
        if dropped > 0 {
            self.dropped.add(dropped as u64);
            if let Some(held) = self.drop_log.admit(dropped as u64) {
                let reasons: Vec<String> = converted
                    .drops
                    .reasons()
                    .map(|(r, n)| format!("{r}={n}"))
                    .collect();
                tracing::debug!(
                    receiver = %self.id, target = %batch.target.url, dropped,
                    reasons = %reasons.join(","), suppressed_events = held.events,
                    suppressed_samples = held.items,
                    "dropped samples that cannot become OTLP data points"
                );
            }
        }
        if converted.failed_scrapes > 0 {
            tracing::warn!(
                receiver = %self.id, target = %batch.target.url,
                scrape_timestamp = batch.scrape_timestamp_ms,
                "Failed to scrape Prometheus endpoint"
            );
        }
        let points = converted.points;
        // Upstream commits nothing when a scrape produced no data point.
        if points == 0 {
            return Ok(());
        }
        let payload = Payload::from_message(converted.request, RequestMeta::default());
        match self.next.consume(payload).await {
            Ok(()) => {
                self.obs.accepted(Signal::Metrics, points);
                Ok(())
            }
            Err(e) => {
                // A scrape is a snapshot: the next one supersedes it, so a refused batch is
                // counted and logged, never retried.
                self.obs.refused(Signal::Metrics, points, &e);
                if let Some(held) = self.refuse_log.admit(points as u64) {
                    tracing::warn!(
                        receiver = %self.id, target = %batch.target.url, points, error = %e,
                        suppressed_events = held.events, suppressed_points = held.items,
                        "the pipeline refused a scrape's metrics; they are dropped"
                    );
                }
                Err(e.to_string())
            }
        }
    }
}

impl Appender for PipelineAppender {
    fn append(&self, batch: ScrapeBatch) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(self.deliver(batch))
    }
}

/// Shares one appender between the scrape manager and the receiver.
pub fn shared(appender: PipelineAppender) -> Arc<dyn Appender> {
    Arc::new(appender)
}
