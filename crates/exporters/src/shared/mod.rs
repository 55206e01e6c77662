//! What several exporters of this crate share: wrapping a sender in the exporter helper per
//! signal, and the Go-compatible bits of HTTP/gRPC clients.

pub mod helped;
#[cfg(any(feature = "otlp_http", feature = "prometheus_remote_write"))]
pub mod https;
#[cfg(any(
    feature = "otlp_grpc",
    feature = "otlp_http",
    feature = "prometheus_remote_write"
))]
pub mod otlp;
#[cfg(any(feature = "prometheus_remote_write", feature = "prometheus"))]
pub mod prom_attr;
