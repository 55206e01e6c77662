//! What a running component may ask of the service: the extensions it may use, the
//! collector's overall status (for `health_check`) and a read-only description of the running
//! graph (for `zpages`).

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::watch;

use crate::factory::Extension;
use crate::id::ComponentId;

/// The collector's lifecycle as health checks report it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CollectorStatus {
    /// Building and starting the pipelines: not ready.
    Starting,
    /// Every component started: ready.
    Ready,
    /// Reloading the configuration: not ready until the new pipelines run.
    Reloading,
    /// Draining and stopping: not ready.
    ShuttingDown,
}

/// What is running, as the service built it: for pages that show the live configuration
/// (zpages' `/debug/servicez`, `/debug/pipelinez`, `/debug/extensionz`, `/debug/featurez`).
/// Plain strings, so that a reader needs nothing from the service.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GraphDescription {
    /// The command the collector runs as (`ferrocol`), upstream's `BuildInfo.Command`.
    pub command: String,
    /// The collector's version, upstream's `BuildInfo.Version`.
    pub version: String,
    /// Every pipeline, in configuration order.
    pub pipelines: Vec<PipelineDescription>,
    /// The ids of the extensions enabled in `service::extensions`, in start order.
    pub extensions: Vec<String>,
    /// The feature gates the collector knows, when the service was told them.
    pub feature_gates: Vec<FeatureGateDescription>,
}

impl GraphDescription {
    /// Whether a feature gate is enabled. Every gate a component reads is on by default, so a
    /// gate the service was not told about (tests, embedders) counts as enabled.
    pub fn gate_enabled(&self, id: &str) -> bool {
        self.feature_gates
            .iter()
            .find(|g| g.id == id)
            .is_none_or(|g| g.enabled)
    }
}

/// One running pipeline.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PipelineDescription {
    /// The pipeline id, `signal[/name]`.
    pub id: String,
    /// The signal it carries (`traces`, `metrics`, `logs`).
    pub signal: String,
    /// Component ids, in configuration order.
    pub receivers: Vec<String>,
    pub processors: Vec<String>,
    pub exporters: Vec<String>,
}

/// One feature gate as `featurez` lists it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FeatureGateDescription {
    pub id: String,
    pub enabled: bool,
    pub stage: String,
    pub description: String,
}

/// Shared by every component of one running service.
#[derive(Clone)]
pub struct Host {
    extensions: Arc<BTreeMap<ComponentId, Arc<dyn Extension>>>,
    status: watch::Receiver<CollectorStatus>,
    graph: Arc<GraphDescription>,
}

impl Host {
    pub fn new(
        extensions: BTreeMap<ComponentId, Arc<dyn Extension>>,
        status: watch::Receiver<CollectorStatus>,
    ) -> Self {
        Host {
            extensions: Arc::new(extensions),
            status,
            graph: Arc::new(GraphDescription::default()),
        }
    }

    /// The same host, describing the running graph as `graph`.
    pub fn with_graph(mut self, graph: GraphDescription) -> Self {
        self.graph = Arc::new(graph);
        self
    }

    /// A started extension by id: storage, authenticators and the like look each other up here.
    pub fn extension(&self, id: &ComponentId) -> Option<&Arc<dyn Extension>> {
        self.extensions.get(id)
    }

    /// The collector's status, updated as it starts, reloads and stops.
    pub fn status(&self) -> watch::Receiver<CollectorStatus> {
        self.status.clone()
    }

    /// What is running: pipelines, extensions, build and feature gates (empty when the service
    /// did not describe it).
    pub fn graph_description(&self) -> Arc<GraphDescription> {
        self.graph.clone()
    }
}
