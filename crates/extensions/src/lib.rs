//! Extensions: one folder per component, each behind its own cargo feature.

use std::sync::Arc;

use component::ExtensionFactory;

#[cfg(feature = "health_check")]
pub mod health_check;

/// The `health_check` extension: an HTTP endpoint that says whether the collector is ready.
#[cfg(feature = "health_check")]
pub fn health_check_factory() -> Arc<dyn ExtensionFactory> {
    Arc::new(health_check::HealthCheckFactory)
}
