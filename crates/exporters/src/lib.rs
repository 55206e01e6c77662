//! Exporters: one folder per component, each behind its own cargo feature.

use std::sync::Arc;

use component::ExporterFactory;

#[cfg(feature = "awscloudwatchlogs")]
pub mod awscloudwatchlogs;
#[cfg(feature = "awsemf")]
pub mod awsemf;
#[cfg(feature = "awsxray")]
pub mod awsxray;
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
#[cfg(feature = "prometheus")]
pub mod prometheus;
#[cfg(feature = "prometheus_remote_write")]
pub mod prometheus_remote_write;
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

/// `awsemf`: writes metrics as CloudWatch Embedded Metric Format events (CloudWatch Logs or stdout).
#[cfg(feature = "awsemf")]
pub fn awsemf_factory() -> Arc<dyn ExporterFactory> {
    Arc::new(awsemf::AwsEmfFactory)
}

/// `prometheus_remote_write` (alias `prometheusremotewrite`): OTLP metrics to Prometheus remote
/// write 1.0.
#[cfg(feature = "prometheus_remote_write")]
pub fn prometheus_remote_write_factory() -> Arc<dyn ExporterFactory> {
    prometheus_remote_write::factory()
}

/// `awscloudwatchlogs`: sends log records to CloudWatch Logs with PutLogEvents.
#[cfg(feature = "awscloudwatchlogs")]
pub fn awscloudwatchlogs_factory() -> Arc<dyn ExporterFactory> {
    Arc::new(awscloudwatchlogs::AwsCloudWatchLogsFactory)
}

/// `prometheus`: serves the latest value of every metric for Prometheus to scrape.
#[cfg(feature = "prometheus")]
pub fn prometheus_factory() -> Arc<dyn ExporterFactory> {
    Arc::new(prometheus::PrometheusExporterFactory)
}

/// `awsxray`: sends spans to AWS X-Ray as segment documents (PutTraceSegments).
#[cfg(feature = "awsxray")]
pub fn awsxray_factory() -> Arc<dyn ExporterFactory> {
    Arc::new(awsxray::AwsXrayFactory)
}
