//! The `awsxray` receiver (contrib `receiver/awsxrayreceiver`): what the X-Ray daemon does —
//! segment documents from the X-Ray SDKs over UDP ([`udp`], default `localhost:2000`) become
//! OTLP spans ([`translate`]) — plus the daemon's TCP proxy for the sampling APIs
//! (`proxy_server`, default `localhost:2000`), which signs the SDKs' `GetSamplingRules` and
//! `GetSamplingTargets` calls with the collector's AWS credentials
//! ([`aws::xray::proxy`]).
//!
//! Counted as `otelcol_receiver_accepted_spans`/`refused_spans` with `transport="udp"`.

pub mod config;
pub mod translate;
pub mod udp;

use std::sync::Arc;
use std::time::Instant;

use component::{
    AnyConfig, BoxFuture, Component, ComponentId, ConfigError, CreateContext, CreateError,
    FactoryInfo, Host, Kind, ReceiverConsumers, ReceiverFactory, Signal, Stability, StartError,
};
use parking_lot::Mutex;
use telemetry::obs::ReceiverObs;

pub use config::AwsXrayReceiverConfig;

/// Makes `awsxray` receivers.
#[derive(Debug, Default)]
pub struct AwsXrayReceiverFactory;

impl FactoryInfo for AwsXrayReceiverFactory {
    fn kind(&self) -> Kind {
        "awsxray"
    }

    fn decode_config(&self, node: Option<&confmap::Node>) -> Result<AnyConfig, ConfigError> {
        component::config::decode::<AwsXrayReceiverConfig>(node)
    }
}

impl ReceiverFactory for AwsXrayReceiverFactory {
    fn stability(&self, signal: Signal) -> Option<Stability> {
        (signal == Signal::Traces).then_some(Stability::Beta)
    }

    fn create(
        &self,
        ctx: CreateContext,
        config: &AnyConfig,
        next: ReceiverConsumers,
    ) -> Result<Arc<dyn Component>, CreateError> {
        let consumer = next
            .traces
            .ok_or_else(|| CreateError("the awsxray receiver only produces traces".to_string()))?;
        Ok(Arc::new(AwsXrayReceiver {
            id: ctx.id,
            config: config.get::<AwsXrayReceiverConfig>().clone(),
            consumer,
            running: Mutex::new(None),
        }))
    }
}

struct Running {
    udp: udp::UdpServer,
    proxy: aws::xray::proxy::ProxyServer,
}

pub struct AwsXrayReceiver {
    id: ComponentId,
    config: AwsXrayReceiverConfig,
    consumer: component::TracesConsumer,
    running: Mutex<Option<Running>>,
}

impl Component for AwsXrayReceiver {
    fn start<'a>(&'a self, _host: &'a Host) -> BoxFuture<'a, Result<(), StartError>> {
        Box::pin(async move {
            let proxy = aws::xray::proxy::ProxyServer::start(&self.config.proxy_server)
                .await
                .map_err(|e| StartError(format!("failed to start the X-Ray proxy server: {e}")))?;
            let obs = ReceiverObs::new(&self.id, "udp");
            let udp = match udp::UdpServer::start(&self.config.endpoint, self.consumer.clone(), obs)
                .await
            {
                Ok(u) => u,
                Err(e) => {
                    proxy.shutdown(tokio::time::Instant::now()).await;
                    return Err(StartError(e));
                }
            };
            tracing::info!(
                receiver = %self.id, udp = %udp.local_addr, proxy = %proxy.local_addr,
                "X-Ray receiver listening for segments and proxying sampling requests"
            );
            *self.running.lock() = Some(Running { udp, proxy });
            Ok(())
        })
    }

    fn shutdown(&self, deadline: Instant) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let running = self.running.lock().take();
            if let Some(r) = running {
                let deadline = tokio::time::Instant::from_std(deadline);
                r.udp.shutdown(deadline).await;
                r.proxy.shutdown(deadline).await;
            }
        })
    }
}
