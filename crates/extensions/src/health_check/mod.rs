//! `health_check` (contrib `extension/healthcheckextension`, beta): an HTTP endpoint that
//! answers 200 while the collector is ready and 503 otherwise, for liveness and readiness
//! probes and ADOT's `/healthcheck` binary.

mod config;
mod go_format;
mod handler;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Instant;

use component::{
    AnyConfig, CollectorStatus, Component, ConfigError, CreateContext, CreateError, Extension,
    ExtensionFactory, FactoryInfo, Host, Kind, Stability, StartError,
};
use futures::future::BoxFuture;
use parking_lot::Mutex;
use tokio::task::JoinHandle;

pub use config::{CheckCollectorPipeline, HealthCheckConfig, ResponseBody};
use handler::{Handler, Readiness};

use crate::http_server;

/// Makes `health_check` extensions.
pub struct HealthCheckFactory;

impl FactoryInfo for HealthCheckFactory {
    fn kind(&self) -> Kind {
        "health_check"
    }

    fn decode_config(&self, node: Option<&confmap::Node>) -> Result<AnyConfig, ConfigError> {
        component::config::decode::<HealthCheckConfig>(node)
    }
}

impl ExtensionFactory for HealthCheckFactory {
    fn stability(&self) -> Stability {
        Stability::Beta
    }

    fn create(
        &self,
        ctx: CreateContext,
        config: &AnyConfig,
    ) -> Result<Arc<dyn Extension>, CreateError> {
        let config: &HealthCheckConfig = config.get();
        let handler = Handler::new(
            &config.path,
            config.response_body.clone(),
            &config.response_headers,
        )
        .map_err(CreateError)?;
        Ok(Arc::new(HealthCheck {
            id: ctx.id.to_string(),
            config: config.clone(),
            handler: Arc::new(handler),
            readiness: Arc::new(Readiness::default()),
            tasks: Mutex::new(Vec::new()),
        }))
    }
}

/// A running `health_check`.
pub struct HealthCheck {
    id: String,
    config: HealthCheckConfig,
    handler: Arc<Handler>,
    readiness: Arc<Readiness>,
    /// The accept loop and the status watcher; aborted on shutdown.
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl HealthCheck {
    async fn start_serving(&self, host: &Host) -> Result<(), StartError> {
        tracing::info!(extension = %self.id, endpoint = %self.config.endpoint, path = %self.config.path,
            "Starting health_check extension");
        if self.config.check_collector_pipeline.enabled {
            tracing::warn!(extension = %self.id,
                "check_collector_pipeline is enabled but not honoured: upstream documents it as not working as expected, so health follows the collector's readiness only");
        }
        let tls = match &self.config.tls {
            Some(tls) => Some(tls_acceptor(tls).map_err(StartError)?),
            None => None,
        };
        let listener = http_server::bind(&self.config.endpoint, &self.config.transport)
            .await
            .map_err(StartError)?;
        let options = http_server::ServeOptions {
            name: "health_check",
            read_header_timeout: self.config.read_header_timeout.to_std_saturating(),
            keep_alive: self.config.keep_alives_enabled,
        };
        let (handler, readiness) = (self.handler.clone(), self.readiness.clone());
        let handler: http_server::Handler = Arc::new(move |req| {
            let response = handler.respond(req.uri().path(), &readiness);
            Box::pin(async move { response })
        });
        let serve = tokio::spawn(http_server::serve(listener, tls, handler, options));
        let watch = tokio::spawn(follow_status(
            self.id.clone(),
            host.status(),
            self.readiness.clone(),
        ));
        self.tasks.lock().extend([serve, watch]);
        Ok(())
    }
}

/// Mirrors the collector's status into the readiness the handler reports.
async fn follow_status(
    id: String,
    mut status: tokio::sync::watch::Receiver<CollectorStatus>,
    readiness: Arc<Readiness>,
) {
    loop {
        let ready = *status.borrow_and_update() == CollectorStatus::Ready;
        if readiness.set(ready) {
            let status = if ready { "ready" } else { "unavailable" };
            tracing::info!(extension = %id, status, "Health Check state change");
        }
        if status.changed().await.is_err() {
            // The service is gone: nothing is ready any more.
            if readiness.set(false) {
                tracing::info!(extension = %id, status = "unavailable", "Health Check state change");
            }
            return;
        }
    }
}

fn tls_acceptor(tls: &helpers::tls::TlsServerConfig) -> Result<tokio_rustls::TlsAcceptor, String> {
    let config = tls
        .build(&[b"h2", b"http/1.1"])
        .map_err(|e| e.to_string())?;
    Ok(tokio_rustls::TlsAcceptor::from(config))
}

impl Component for HealthCheck {
    fn start<'a>(&'a self, host: &'a Host) -> BoxFuture<'a, Result<(), StartError>> {
        Box::pin(self.start_serving(host))
    }

    fn shutdown(&self, _deadline: Instant) -> BoxFuture<'_, ()> {
        let tasks: Vec<_> = self.tasks.lock().drain(..).collect();
        Box::pin(async move {
            for t in &tasks {
                t.abort();
            }
            for t in tasks {
                let _ = t.await;
            }
            self.readiness.set(false);
        })
    }
}

impl Extension for HealthCheck {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
