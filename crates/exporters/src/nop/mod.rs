//! `nop` (core `exporter/nopexporter`, beta): accepts every signal and discards it without
//! reading it — no decode, no count.

mod config;

use std::sync::Arc;
use std::time::Instant;

use component::{
    AnyConfig, BoxFuture, Component, ConfigError, ConsumeError, Consumer, CreateContext,
    CreateError, Exporter, ExporterFactory, FactoryInfo, Host, Kind, Signal, Stability, StartError,
};
use pdata::payload::{Payload, Request};

pub use config::NopConfig;

pub struct NopFactory;

impl FactoryInfo for NopFactory {
    fn kind(&self) -> Kind {
        "nop"
    }

    fn decode_config(&self, node: Option<&confmap::Node>) -> Result<AnyConfig, ConfigError> {
        component::config::decode::<NopConfig>(node)
    }
}

impl ExporterFactory for NopFactory {
    fn stability(&self, _signal: Signal) -> Option<Stability> {
        Some(Stability::Beta)
    }

    fn create(
        &self,
        _ctx: CreateContext,
        _config: &AnyConfig,
        signals: &[Signal],
    ) -> Result<Exporter, CreateError> {
        let nop = Arc::new(Nop);
        let has = |s| signals.contains(&s);
        let traces: component::TracesConsumer = nop.clone();
        let metrics: component::MetricsConsumer = nop.clone();
        let logs: component::LogsConsumer = nop.clone();
        Ok(Exporter {
            component: nop,
            traces: has(Signal::Traces).then_some(traces),
            metrics: has(Signal::Metrics).then_some(metrics),
            logs: has(Signal::Logs).then_some(logs),
        })
    }
}

/// Drops what it is given.
struct Nop;

impl Component for Nop {
    fn start<'a>(&'a self, _host: &'a Host) -> BoxFuture<'a, Result<(), StartError>> {
        Box::pin(async { Ok(()) })
    }

    fn shutdown(&self, _deadline: Instant) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

impl<M: Request> Consumer<Payload<M>> for Nop {
    fn consume(&self, _data: Payload<M>) -> BoxFuture<'_, Result<(), ConsumeError>> {
        Box::pin(async { Ok(()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use pdata::payload::RequestMeta;
    use prost::Message;

    #[tokio::test]
    async fn accepts_everything_and_decodes_nothing() {
        let exporter = NopFactory
            .create(
                CreateContext {
                    id: component::ComponentId::new("nop", None),
                    build_version: "test",
                },
                &NopFactory.decode_config(None).unwrap(),
                &Signal::ALL,
            )
            .unwrap();
        let req = pdata::ExportTraceServiceRequest {
            resource_spans: vec![Default::default()],
        };
        let p = pdata::Traces::from_bytes(Bytes::from(req.encode_to_vec()), RequestMeta::default())
            .unwrap();
        let kept = p.clone();
        exporter.traces.as_ref().unwrap().consume(p).await.unwrap();
        assert!(exporter.metrics.is_some() && exporter.logs.is_some());
        // The payload shares its cache with `kept`: still encoded, never decoded.
        assert!(kept.is_encoded());
        for s in Signal::ALL {
            assert_eq!(NopFactory.stability(s), Some(Stability::Beta));
        }
    }
}
