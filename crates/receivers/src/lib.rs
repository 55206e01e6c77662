//! Receivers: one module per component, each behind its own cargo feature, and one factory
//! function per component for `components.rs`.

use std::sync::Arc;

#[cfg(feature = "awsxray")]
pub mod awsxray;
#[cfg(feature = "otlp")]
pub mod otlp;
#[cfg(feature = "prometheus")]
pub mod prometheus;

/// The `otlp` receiver's factory.
#[cfg(feature = "otlp")]
pub fn otlp_factory() -> Arc<dyn component::ReceiverFactory> {
    Arc::new(otlp::OtlpReceiverFactory)
}

/// The `prometheus` receiver's factory.
#[cfg(feature = "prometheus")]
pub fn prometheus_factory() -> Arc<dyn component::ReceiverFactory> {
    Arc::new(prometheus::PrometheusReceiverFactory)
}

/// The `awsxray` receiver's factory.
#[cfg(feature = "awsxray")]
pub fn awsxray_factory() -> Arc<dyn component::ReceiverFactory> {
    Arc::new(awsxray::AwsXrayReceiverFactory)
}
