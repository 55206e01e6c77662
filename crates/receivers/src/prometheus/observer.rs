//! The receiver's failure self-metrics, fed by the scrape pools ([`ScrapeObserver`]):
//!
//! * `otelcol_receiver_prometheus_failed_scrapes{receiver, scrape_job}`: scrapes that ended
//!   with `up` 0 (fetch error, a limit exceeded, a parse error, `target_limit`);
//! * `otelcol_receiver_prometheus_sd_errors{receiver, mechanism}`: failed discovery refreshes
//!   (`file`: a file that cannot be read or parsed; `kubernetes`: a failed LIST or WATCH);
//! * `otelcol_receiver_prometheus_targets{receiver, scrape_job}`: the targets each job scrapes.
//!
//! The job label is `scrape_job`, not `job`: Prometheus scraping the collector's own
//! `:8888` would rename a `job` label to `exported_job`. Upstream has none of these (it
//! logs failures only); the names follow `otelcol_receiver_prometheus_dropped_samples`.

use std::sync::Arc;

use prometheus::scrape::pool::{JobObserver, ScrapeObserver};
use telemetry::metrics::{Counter, Gauge, global};

/// One per running receiver.
pub struct ReceiverObserver {
    receiver: String,
    sd_file: Counter,
    sd_kubernetes: Counter,
}

/// The discovery error counter of one mechanism; both known ones start at zero with the
/// receiver, so that `rate()` sees the first failure.
fn sd_errors(receiver: &str, mechanism: &str) -> Counter {
    global().counter(
        "otelcol_receiver_prometheus_sd_errors",
        "Service discovery refreshes of the prometheus receiver that failed (a file that cannot \
         be read or parsed, a failed Kubernetes LIST or WATCH).",
        vec![
            ("receiver", receiver.to_string()),
            ("mechanism", mechanism.to_string()),
        ],
    )
}

impl ReceiverObserver {
    pub fn new(receiver: &component::ComponentId) -> Self {
        let receiver = receiver.to_string();
        ReceiverObserver {
            sd_file: sd_errors(&receiver, "file"),
            sd_kubernetes: sd_errors(&receiver, "kubernetes"),
            receiver,
        }
    }
}

impl ScrapeObserver for ReceiverObserver {
    fn job(&self, job: &str) -> Arc<dyn JobObserver> {
        let labels = vec![
            ("receiver", self.receiver.clone()),
            ("scrape_job", job.to_string()),
        ];
        Arc::new(ObservedJob {
            failed: global().counter(
                "otelcol_receiver_prometheus_failed_scrapes",
                "Scrapes of the prometheus receiver that failed (up 0): the target could not be \
                 fetched, a limit was exceeded, the body did not parse, or target_limit was hit.",
                labels.clone(),
            ),
            targets: global().gauge(
                "otelcol_receiver_prometheus_targets",
                "Targets the prometheus receiver scrapes, per scrape job.",
                labels,
            ),
            sd_file: self.sd_file.clone(),
            sd_kubernetes: self.sd_kubernetes.clone(),
            receiver: self.receiver.clone(),
        })
    }
}

/// One job's handles, pre-labelled so that each event is one atomic operation.
struct ObservedJob {
    failed: Counter,
    /// This pool's contribution: it goes away with the pool, so a stopped receiver (or the old
    /// one after a reload) no longer counts its targets.
    targets: Gauge,
    sd_file: Counter,
    sd_kubernetes: Counter,
    receiver: String,
}

impl JobObserver for ObservedJob {
    fn scrape_failed(&self) {
        self.failed.add(1);
    }

    fn active_targets(&self, active: usize) {
        self.targets.set(active as i64);
    }

    fn discovery_failed(&self, mechanism: &'static str) {
        match mechanism {
            "file" => self.sd_file.add(1),
            "kubernetes" => self.sd_kubernetes.add(1),
            // A mechanism added later: counted under its own name (the registry hands out
            // the same counter for the same labels).
            other => sd_errors(&self.receiver, other).add(1),
        }
    }
}
