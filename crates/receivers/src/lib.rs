//! Receivers: one module per component, each behind its own cargo feature, and one factory
//! function per component for `components.rs`.

use std::sync::Arc;

#[cfg(feature = "otlp")]
pub mod otlp;

/// The `otlp` receiver's factory.
#[cfg(feature = "otlp")]
pub fn otlp_factory() -> Arc<dyn component::ReceiverFactory> {
    Arc::new(otlp::OtlpReceiverFactory)
}
