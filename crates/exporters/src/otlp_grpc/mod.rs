//! `otlp_grpc` (core `exporter/otlpexporter`, stable; deprecated alias `otlp`): sends every
//! signal to an OTLP/gRPC backend.
//!
//! - The request is the payload's protobuf exactly as received (`Payload::bytes()`), written by
//!   a pass-through tonic codec: an OTLP → OTLP pipeline never decodes or re-encodes
//!   (DESIGN.md §3). Only the small response is decoded, for its partial success.
//! - The connection is made lazily, with TCP_NODELAY: a backend that is down at start does not
//!   fail start; sends fail retryably until it is up.
//! - Errors are classified as upstream's `shouldRetry` (`helpers::status::classify_grpc_status`);
//!   a partial success is logged at WARN and counts as sent.
//!
//! Differences from upstream, on purpose or for now:
//! - `balancer_name: round_robin` spreads calls over the addresses of the endpoint's name in
//!   grpc-go; here one HTTP/2 connection is made to the first address that answers (as
//!   `pick_first`), and calls are multiplexed on it.
//! - `compression: snappy` and `unix://` endpoints are refused by validation.
//! - `read_buffer_size` / `write_buffer_size` are accepted without effect (hyper sizes its own
//!   buffers).

mod client;
mod config;

use std::sync::Arc;
use std::time::Duration;

use component::{
    AnyConfig, ConfigError, CreateContext, CreateError, Exporter, ExporterFactory, FactoryInfo,
    Kind, Signal, Stability,
};

pub use config::{GrpcCompression, KeepaliveClientConfig, OtlpGrpcConfig, Target};

use crate::shared::helped::{self, HelperSettings, Senders};
use client::GrpcClient;

pub struct OtlpGrpcFactory;

impl FactoryInfo for OtlpGrpcFactory {
    fn kind(&self) -> Kind {
        "otlp_grpc"
    }

    fn deprecated_kinds(&self) -> &'static [Kind] {
        &["otlp"]
    }

    fn decode_config(&self, node: Option<&confmap::Node>) -> Result<AnyConfig, ConfigError> {
        component::config::decode::<OtlpGrpcConfig>(node)
    }
}

impl ExporterFactory for OtlpGrpcFactory {
    fn stability(&self, _signal: Signal) -> Option<Stability> {
        Some(Stability::Stable)
    }

    fn create(
        &self,
        ctx: CreateContext,
        config: &AnyConfig,
        signals: &[Signal],
    ) -> Result<Exporter, CreateError> {
        let config: &OtlpGrpcConfig = config.get();
        let client = Arc::new(GrpcClient::new(&ctx, config).map_err(CreateError)?);
        let settings = HelperSettings {
            timeout: timeout_of(config),
            queue: config.sending_queue.clone(),
            retry: config.retry_on_failure.clone(),
        };
        helped::build(
            &ctx.id,
            settings,
            Senders::all(client.clone(), signals),
            client,
        )
    }
}

fn timeout_of(config: &OtlpGrpcConfig) -> Duration {
    config.timeout.to_std_saturating()
}
