//! Generated prost types for OTLP and the few `google.rpc` messages the receivers answer with.
//! Regenerate with `cargo run -p xtask -- gen-proto`; never edit the generated files by hand.
#![allow(clippy::all, missing_docs, rustdoc::all)]

pub mod common {
    pub mod v1 {
        include!("opentelemetry.proto.common.v1.rs");
    }
}
pub mod resource {
    pub mod v1 {
        include!("opentelemetry.proto.resource.v1.rs");
    }
}
pub mod trace {
    pub mod v1 {
        include!("opentelemetry.proto.trace.v1.rs");
    }
}
pub mod metrics {
    pub mod v1 {
        include!("opentelemetry.proto.metrics.v1.rs");
    }
}
pub mod logs {
    pub mod v1 {
        include!("opentelemetry.proto.logs.v1.rs");
    }
}
pub mod collector {
    pub mod trace {
        pub mod v1 {
            include!("opentelemetry.proto.collector.trace.v1.rs");
        }
    }
    pub mod metrics {
        pub mod v1 {
            include!("opentelemetry.proto.collector.metrics.v1.rs");
        }
    }
    pub mod logs {
        pub mod v1 {
            include!("opentelemetry.proto.collector.logs.v1.rs");
        }
    }
}
pub mod rpc {
    include!("google.rpc.rs");
}
