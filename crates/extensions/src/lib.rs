//! Extensions: one folder per component, each behind its own cargo feature.

use std::sync::Arc;

use component::ExtensionFactory;

#[cfg(any(feature = "health_check", feature = "zpages", feature = "pprof"))]
mod http_server;

#[cfg(feature = "file_storage")]
pub mod file_storage;

/// The `file_storage` extension: durable storage for persistent sending queues.
#[cfg(feature = "file_storage")]
pub fn file_storage_factory() -> Arc<dyn ExtensionFactory> {
    Arc::new(file_storage::FileStorageFactory)
}

#[cfg(feature = "health_check")]
pub mod health_check;

/// The `health_check` extension: an HTTP endpoint that says whether the collector is ready.
#[cfg(feature = "health_check")]
pub fn health_check_factory() -> Arc<dyn ExtensionFactory> {
    Arc::new(health_check::HealthCheckFactory)
}

#[cfg(feature = "pprof")]
pub mod pprof;

/// The `pprof` extension: CPU (and, with `heap-profiling`, heap) profiles over HTTP in the
/// format Go's `net/http/pprof` serves.
#[cfg(feature = "pprof")]
pub fn pprof_factory() -> Arc<dyn ExtensionFactory> {
    Arc::new(pprof::PprofFactory)
}

#[cfg(feature = "zpages")]
pub mod zpages;

/// The `zpages` extension: HTML pages describing the running collector.
#[cfg(feature = "zpages")]
pub fn zpages_factory() -> Arc<dyn ExtensionFactory> {
    Arc::new(zpages::ZpagesFactory)
}

#[cfg(feature = "basicauth")]
pub mod basicauth;

/// The `basicauth` extension: HTTP Basic authentication for exporters (client side).
#[cfg(feature = "basicauth")]
pub fn basicauth_factory() -> Arc<dyn ExtensionFactory> {
    Arc::new(basicauth::BasicAuthFactory)
}

#[cfg(feature = "bearertokenauth")]
pub mod bearertokenauth;

/// The `bearertokenauth` extension: a bearer token header for exporters (client side).
#[cfg(feature = "bearertokenauth")]
pub fn bearertokenauth_factory() -> Arc<dyn ExtensionFactory> {
    Arc::new(bearertokenauth::BearerTokenAuthFactory)
}

#[cfg(feature = "sigv4auth")]
pub mod sigv4auth;

/// The `sigv4auth` extension: AWS SigV4 signing for HTTP exporters (e.g. remote write to
/// Amazon Managed Service for Prometheus).
#[cfg(feature = "sigv4auth")]
pub fn sigv4auth_factory() -> Arc<dyn ExtensionFactory> {
    Arc::new(sigv4auth::SigV4AuthFactory)
}

#[cfg(feature = "awsproxy")]
pub mod awsproxy;

/// The `awsproxy` extension: a local SigV4-signing proxy to AWS X-Ray for X-Ray SDKs.
#[cfg(feature = "awsproxy")]
pub fn awsproxy_factory() -> Arc<dyn ExtensionFactory> {
    Arc::new(awsproxy::AwsProxyFactory)
}
