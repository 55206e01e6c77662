//! Exporters: one folder per component, each behind its own cargo feature.

use std::sync::Arc;

use component::ExporterFactory;

#[cfg(feature = "debug")]
pub mod debug;
#[cfg(feature = "file")]
pub mod file;
#[cfg(feature = "nop")]
pub mod nop;
#[cfg(feature = "otlp_grpc")]
pub mod otlp_grpc;
#[cfg(feature = "otlp_http")]
pub mod otlp_http;
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

/// `otlp_grpc` (alias `otlp`): sends OTLP over gRPC, forwarding received protobuf untouched.
#[cfg(feature = "otlp_grpc")]
pub fn otlp_grpc_factory() -> Arc<dyn ExporterFactory> {
    Arc::new(otlp_grpc::OtlpGrpcFactory)
}

/// `otlp_http` (alias `otlphttp`): sends OTLP over HTTP, as protobuf (untouched) or JSON.
#[cfg(feature = "otlp_http")]
pub fn otlp_http_factory() -> Arc<dyn ExporterFactory> {
    Arc::new(otlp_http::OtlpHttpFactory)
}
