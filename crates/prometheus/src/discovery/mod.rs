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
//! relabelling ([`populate_labels`]), and starts or stops one scrape loop per resulting target.
//!
//! Mechanisms: [`static_config`], [`file`](mod@file) (`file_sd_configs`), [`kubernetes`]
//! (`kubernetes_sd_configs`). [`http_client`] holds Prometheus' HTTP client settings
//! (`basic_auth`, `authorization`, `bearer_token(_file)`, `tls_config`), shared with scrape
//! configs through [`with_http_client_fields!`](crate::with_http_client_fields).

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub mod file;
pub mod http_client;
pub mod kubernetes;
pub mod static_config;
pub mod target;

pub use target::{PopulatedTarget, TargetDefaults, populate_labels};

/// `__address__`: the `host:port` to scrape.
pub const ADDRESS_LABEL: &str = "__address__";
/// Labels starting with this are removed after target relabelling.
pub const META_LABEL_PREFIX: &str = "__meta_";

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
    /// unreachable API server) are logged, reported to the [`DiscoveryErrors`] given to
    /// [`Discoverer::report_errors_to`], and retried by the discoverer itself; they never end
    /// the run, as in Prometheus.
    fn run(
        self: Box<Self>,
        updates: mpsc::Sender<Vec<TargetGroup>>,
        cancel: CancellationToken,
    ) -> futures::future::BoxFuture<'static, ()>;

    /// Where to count failed refreshes from now on. Mechanisms that cannot fail (static
    /// configs) keep the default, which ignores it.
    fn report_errors_to(&mut self, _errors: DiscoveryErrors) {}
}

/// Counts a discoverer's failed refreshes: a file that cannot be read or parsed, a failed
/// LIST or WATCH (Prometheus' `prometheus_sd_file_read_errors_total` and
/// `prometheus_sd_kubernetes_failures_total`). The owner of the scrape pool decides what a
/// report does (the receiver turns it into a self-metric); the default does nothing, so the
/// library needs no telemetry of its own.
#[derive(Clone, Default)]
pub struct DiscoveryErrors(Option<Arc<dyn Fn(&'static str) + Send + Sync>>);

impl DiscoveryErrors {
    /// Reports go to `sink`, with the mechanism (`file`, `kubernetes`) that failed.
    pub fn new(sink: impl Fn(&'static str) + Send + Sync + 'static) -> Self {
        DiscoveryErrors(Some(Arc::new(sink)))
    }

    /// One failed refresh of `mechanism`.
    pub fn report(&self, mechanism: &'static str) {
        if let Some(sink) = &self.0 {
            sink(mechanism);
        }
    }
}

impl std::fmt::Debug for DiscoveryErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("DiscoveryErrors")
            .field(&self.0.is_some())
            .finish()
    }
}

/// Prometheus' `model.LabelName.IsValid` (legacy scheme): `[a-zA-Z_][a-zA-Z0-9_]*`.
pub fn is_valid_label_name(name: &str) -> bool {
    crate::relabel::is_legacy_label_name(name)
}

/// Checks every name of a label set, with Prometheus' message
/// (`"<name>" is not a valid label name`).
pub fn validate_label_set(labels: &LabelSet) -> Result<(), String> {
    match labels.keys().find(|n| !is_valid_label_name(n)) {
        Some(bad) => Err(format!("{bad:?} is not a valid label name")),
        None => Ok(()),
    }
}

/// Prometheus' `strutil.SanitizeLabelName`: every character outside `[a-zA-Z0-9_]` becomes
/// `_` (per character, so a multi-byte character gives one `_`). Discovered Kubernetes label
/// and annotation names go through this before they become part of a `__meta_` label name.
pub fn sanitize_label_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod helper_tests {
    use super::*;

    #[test]
    fn sanitizes_like_prometheus() {
        assert_eq!(
            sanitize_label_name("app.kubernetes.io/name"),
            "app_kubernetes_io_name"
        );
        assert_eq!(sanitize_label_name("ünï"), "_n_");
        assert_eq!(sanitize_label_name("ok_1"), "ok_1");
    }

    #[test]
    fn label_set_validation() {
        assert!(validate_label_set(&LabelSet::from([("a_1".into(), "v".into())])).is_ok());
        assert_eq!(
            validate_label_set(&LabelSet::from([("a-b".into(), "v".into())])).unwrap_err(),
            r#""a-b" is not a valid label name"#
        );
    }
}
