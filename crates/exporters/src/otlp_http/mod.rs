//! `otlp_http` (core `exporter/otlphttpexporter`, stable; deprecated alias `otlphttp`): sends
//! every signal to an OTLP/HTTP backend.
//!
//! - `encoding: proto` (default) posts the payload's protobuf exactly as received
//!   (`Payload::bytes()`): no decode, no re-encode (DESIGN.md §3). `encoding: json` decodes
//!   and writes Go-compatible OTLP/JSON.
//! - The client is hyper's pooled client over rustls, with TCP_NODELAY; it connects on the
//!   first request, so a backend that is down at start does not fail start.
//! - Responses as upstream: a 2xx body is read (up to 64 KiB) for its partial success,
//!   protobuf or JSON by `Content-Type` (an empty body is fine, one that does not parse is a
//!   permanent error); any other status is classified by `helpers::status::classify_http_response`
//!   with the body read as a `google.rpc.Status` (429/502/503/504 retry, `Retry-After` honoured
//!   on 429/503, everything else permanent); a failed connection or exchange is retryable.
//!
//! Differences from upstream: redirects are not followed (a 3xx is a permanent error with its
//! status code); an error body is read as JSON when its `Content-Type` says so (upstream reads
//! it as protobuf only); the `Content-Type` of a 2xx body is compared without its parameters
//! (`application/json; charset=utf-8` is JSON here, unknown upstream).

mod client;
mod config;

use std::sync::Arc;

use component::{
    AnyConfig, ConfigError, CreateContext, CreateError, Exporter, ExporterFactory, FactoryInfo,
    Kind, Signal, Stability,
};

pub use config::{BodyEncoding, CompressionParams, CookiesConfig, OtlpHttpConfig};

use crate::shared::helped::{self, HelperSettings, Senders};
use client::HttpClient;

pub struct OtlpHttpFactory;

impl FactoryInfo for OtlpHttpFactory {
    fn kind(&self) -> Kind {
        "otlp_http"
    }

    fn deprecated_kinds(&self) -> &'static [Kind] {
        &["otlphttp"]
    }

    fn decode_config(&self, node: Option<&confmap::Node>) -> Result<AnyConfig, ConfigError> {
        component::config::decode::<OtlpHttpConfig>(node)
    }
}

impl ExporterFactory for OtlpHttpFactory {
    fn stability(&self, _signal: Signal) -> Option<Stability> {
        Some(Stability::Stable)
    }

    fn create(
        &self,
        ctx: CreateContext,
        config: &AnyConfig,
        signals: &[Signal],
    ) -> Result<Exporter, CreateError> {
        let config: &OtlpHttpConfig = config.get();
        let client = Arc::new(HttpClient::new(&ctx, config, signals).map_err(CreateError)?);
        // Upstream disables exporterhelper's timeout and bounds the exchange with the HTTP
        // client's `timeout`; one bound per attempt either way.
        let settings = HelperSettings {
            timeout: config.timeout.to_std_saturating(),
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
