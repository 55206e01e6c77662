//! The collector's own telemetry: its logs (`service.telemetry.logs`) and the `otelcol_*` metrics
//! users alert on (`service.telemetry.metrics`).

mod format;
pub mod logs;
pub mod metrics;
pub mod obs;
pub mod ratelimit;
pub mod runtime;
pub mod server;
