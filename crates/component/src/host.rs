//! What a running component may ask of the service: the extensions it may use and the
//! collector's overall status (for `health_check`).

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

/// Shared by every component of one running service.
#[derive(Clone)]
pub struct Host {
    extensions: Arc<BTreeMap<ComponentId, Arc<dyn Extension>>>,
    status: watch::Receiver<CollectorStatus>,
}

impl Host {
    pub fn new(
        extensions: BTreeMap<ComponentId, Arc<dyn Extension>>,
        status: watch::Receiver<CollectorStatus>,
    ) -> Self {
        Host {
            extensions: Arc::new(extensions),
            status,
        }
    }

    /// A started extension by id: storage, authenticators and the like look each other up here.
    pub fn extension(&self, id: &ComponentId) -> Option<&Arc<dyn Extension>> {
        self.extensions.get(id)
    }

    /// The collector's status, updated as it starts, reloads and stops.
    pub fn status(&self) -> watch::Receiver<CollectorStatus> {
        self.status.clone()
    }
}
