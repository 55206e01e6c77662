//! Service discovery: where the scrape manager learns its targets.
//!
//! Every mechanism (`static_configs`, `file_sd_configs`, `kubernetes_sd_configs`) is a
//! [`Discoverer`] that, while it runs, sends [`TargetGroup`] updates on a channel, as
//! Prometheus' `discovery.Discoverer` does:
//! - an update carries the complete current content of each group it names (identified by
//!   `source`), replacing what was sent before for that source;
//! - a group that has gone is sent once with no targets;
//! - the first update after start carries every group the discoverer knows (possibly none, so
//!   that the scrape manager knows the discoverer has synced).
//!
//! The scrape manager combines the groups of all discoverers of one `job_name`, applies target
//! relabelling, and starts or stops one scrape loop per resulting target.

use std::collections::BTreeMap;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Label names and values of a target or group, sorted by name.
pub type LabelSet = BTreeMap<String, String>;

/// A group of targets sharing labels (Prometheus' `targetgroup.Group`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetGroup {
    /// Identifies the group within its discoverer, e.g. `<file path>:<index>` for file_sd or
    /// `pod/<namespace>/<name>` for Kubernetes; a later group with the same source replaces it.
    pub source: String,
    /// One label set per target; each has at least `__address__`.
    pub targets: Vec<LabelSet>,
    /// Labels common to all targets (a target's own label of the same name wins).
    pub labels: LabelSet,
}

/// A running discovery mechanism.
pub trait Discoverer: Send + 'static {
    /// Runs until `cancel` fires, sending updates on `updates`. Errors (an unreadable file, an
    /// unreachable API server) are logged and retried by the discoverer itself; they never end
    /// the run, as in Prometheus.
    fn run(
        self: Box<Self>,
        updates: mpsc::Sender<Vec<TargetGroup>>,
        cancel: CancellationToken,
    ) -> futures::future::BoxFuture<'static, ()>;
}
