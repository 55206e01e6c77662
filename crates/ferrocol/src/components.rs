//! The one list of every component compiled into ferrocol (core-api.md, invariant 5).
//! `ferrocol components` prints exactly this list; a component that is not finished is not here.

use component::Factories;

pub fn factories() -> Factories {
    Factories {
        receivers: vec![receivers::otlp_factory()],
        processors: vec![
            processors::batch_factory(),
            processors::memory_limiter_factory(),
        ],
        exporters: vec![
            exporters::debug_factory(),
            exporters::file_factory(),
            exporters::nop_factory(),
            exporters::otlp_grpc_factory(),
            exporters::otlp_http_factory(),
        ],
        extensions: vec![
            extensions::file_storage_factory(),
            extensions::health_check_factory(),
            extensions::pprof_factory(),
            extensions::zpages_factory(),
        ],
    }
}

/// The configuration providers (URI schemes) `--config` and `${scheme:...}` accept.
pub const PROVIDERS: [&str; 5] = ["env", "file", "http", "https", "yaml"];
