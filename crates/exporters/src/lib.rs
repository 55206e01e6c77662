//! Exporters: one folder per component, each behind its own cargo feature.

use std::sync::Arc;

use component::ExporterFactory;

#[cfg(feature = "debug")]
pub mod debug;
#[cfg(feature = "file")]
pub mod file;
#[cfg(feature = "nop")]
pub mod nop;
mod shared;

/// `debug`: prints received data.
#[cfg(feature = "debug")]
pub fn debug_factory() -> Arc<dyn ExporterFactory> {
    Arc::new(debug::DebugFactory)
}

/// `nop`: accepts and discards everything.
#[cfg(feature = "nop")]
pub fn nop_factory() -> Arc<dyn ExporterFactory> {
    Arc::new(nop::NopFactory)
}

/// `file`: writes OTLP JSON lines or length-prefixed protobuf to a file.
#[cfg(feature = "file")]
pub fn file_factory() -> Arc<dyn ExporterFactory> {
    Arc::new(file::FileFactory)
}
