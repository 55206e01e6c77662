//! The one list of every component compiled into ferrocol (core-api.md, invariant 5).
//! `ferrocol components` prints exactly this list; a component that is not finished is not here.

use component::Factories;

pub fn factories() -> Factories {
    Factories {
        receivers: vec![
            receivers::awsxray_factory(),
            receivers::otlp_factory(),
            receivers::prometheus_factory(),
        ],
        processors: vec![
            processors::batch_factory(),
            processors::memory_limiter_factory(),
        ],
        exporters: vec![
            exporters::awscloudwatchlogs_factory(),
            exporters::awsemf_factory(),
            exporters::awsxray_factory(),
            exporters::debug_factory(),
            exporters::file_factory(),
            exporters::nop_factory(),
            exporters::otlp_grpc_factory(),
            exporters::otlp_http_factory(),
            exporters::prometheus_factory(),
            exporters::prometheus_remote_write_factory(),
        ],
        extensions: vec![
            extensions::awsproxy_factory(),
            extensions::basicauth_factory(),
            extensions::bearertokenauth_factory(),
            extensions::file_storage_factory(),
            extensions::health_check_factory(),
            extensions::pprof_factory(),
            extensions::sigv4auth_factory(),
            extensions::zpages_factory(),
        ],
    }
}

/// The configuration providers (URI schemes) `--config` and `${scheme:...}` accept.
pub const PROVIDERS: [&str; 7] = ["env", "file", "http", "https", "s3", "ssm", "yaml"];
