//! Code shared by receivers and exporters: how errors map to gRPC and HTTP statuses and back,
//! TLS settings, request compression.

pub mod compression;
pub mod exporter;
pub mod grpc_codec;
pub mod status;
pub mod tls;

pub use exporter::{ExporterHelper, QueueConfig, RetryConfig, Sender, TimeoutConfig};
