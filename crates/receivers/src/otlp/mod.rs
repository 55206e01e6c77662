//! The `otlp` receiver: OTLP over gRPC (`localhost:4317`) and HTTP (`localhost:4318`), one
//! instance serving every signal a pipeline takes from it, as upstream's shared component.
//!
//! Layout: [`config`] (upstream keys and defaults), [`server`] (bind, accept, TLS, connection
//! limits, graceful shutdown), [`grpc`] and [`http`] (the two transports), [`export`] (validate or
//! decode, hand to the pipeline, count), [`cors`] and [`metadata`] (HTTP details).

pub mod config;
mod cors;
mod export;
mod grpc;
mod http;
mod metadata;
mod server;

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Instant;

use component::{
    AnyConfig, BoxFuture, Component, ComponentId, ConfigError, CreateContext, CreateError,
    FactoryInfo, Host, Kind, ReceiverConsumers, ReceiverFactory, Signal, Stability, StartError,
};
use parking_lot::Mutex;
use telemetry::obs::ReceiverObs;

pub use config::OtlpReceiverConfig;
use config::{GrpcConfig, HttpConfig};
use export::Exporter;
use server::{ConnOptions, Server};

/// Makes `otlp` receivers.
#[derive(Debug, Default)]
pub struct OtlpReceiverFactory;

impl FactoryInfo for OtlpReceiverFactory {
    fn kind(&self) -> Kind {
        "otlp"
    }

    fn decode_config(&self, node: Option<&confmap::Node>) -> Result<AnyConfig, ConfigError> {
        component::config::decode::<OtlpReceiverConfig>(node)
    }
}

impl ReceiverFactory for OtlpReceiverFactory {
    fn stability(&self, _signal: Signal) -> Option<Stability> {
        Some(Stability::Stable)
    }

    fn create(
        &self,
        ctx: CreateContext,
        config: &AnyConfig,
        next: ReceiverConsumers,
    ) -> Result<Arc<dyn Component>, CreateError> {
        Ok(Arc::new(OtlpReceiver::new(
            ctx.id,
            config.get::<OtlpReceiverConfig>().clone(),
            next,
        )))
    }
}

/// A configured `otlp` receiver.
pub struct OtlpReceiver {
    id: ComponentId,
    config: OtlpReceiverConfig,
    consumers: ReceiverConsumers,
    servers: Mutex<Vec<Server>>,
}

impl OtlpReceiver {
    pub fn new(id: ComponentId, config: OtlpReceiverConfig, consumers: ReceiverConsumers) -> Self {
        OtlpReceiver {
            id,
            config,
            consumers,
            servers: Mutex::new(Vec::new()),
        }
    }

    /// The addresses actually bound (gRPC first, then HTTP, for the protocols configured);
    /// useful with port 0.
    pub fn local_addrs(&self) -> Vec<std::net::SocketAddr> {
        self.servers.lock().iter().map(|s| s.local_addr).collect()
    }

    async fn start_grpc(&self, host: &Host, cfg: &GrpcConfig) -> Result<Server, StartError> {
        if let Some(auth) = cfg.auth.get() {
            return Err(StartError(missing_authenticator(host, &auth.authenticator)));
        }
        let tls = match cfg.tls.get() {
            Some(t) => Some(t.build(&[b"h2"]).map_err(|e| StartError(e.to_string()))?),
            None => None,
        };
        let listener = server::bind(&cfg.endpoint, &cfg.transport)
            .await
            .map_err(StartError)?;
        let params = cfg.keepalive_params();
        let idle = params.max_connection_idle.to_std_saturating();
        let age = params.max_connection_age.to_std_saturating();
        let grace = params.max_connection_age_grace.to_std_saturating();
        let opts = ConnOptions {
            tls,
            http2_only: true,
            h2_max_concurrent_streams: Some(cfg.max_concurrent_streams).filter(|n| *n > 0),
            h2_keepalive: Some(cfg.ping()),
            h2_max_send_buf: usize::try_from(cfg.write_buffer_size)
                .ok()
                .filter(|n| *n > 0),
            h1_keep_alive: true,
            h1_header_read_timeout: None,
            idle_timeout: Some(idle).filter(|d| !d.is_zero()),
            max_age: Some(age)
                .filter(|d| !d.is_zero())
                .map(|a| (a, Some(grace).filter(|g| !g.is_zero()))),
        };
        let exporter = Exporter::new(self.consumers.clone(), ReceiverObs::new(&self.id, "grpc"));
        let max_recv_msg_size = cfg.max_recv_msg_size();
        let include_metadata = cfg.include_metadata;
        let server = Server::spawn(listener, opts, move |peer| grpc::GrpcService {
            exporter: exporter.clone(),
            max_recv_msg_size,
            include_metadata,
            peer,
        });
        tracing::info!(receiver = %self.id, endpoint = %server.local_addr, "Starting GRPC server");
        Ok(server)
    }

    async fn start_http(&self, host: &Host, cfg: &HttpConfig) -> Result<Server, StartError> {
        if let Some(auth) = cfg.auth.get() {
            return Err(StartError(missing_authenticator(host, &auth.authenticator)));
        }
        let tls = match cfg.tls.get() {
            Some(t) => Some(
                t.build(&[b"h2", b"http/1.1"])
                    .map_err(|e| StartError(e.to_string()))?,
            ),
            None => None,
        };
        let listener = server::bind(&cfg.endpoint, &cfg.transport)
            .await
            .map_err(StartError)?;
        let nonzero = |d: confmap::Duration| Some(d.to_std_saturating()).filter(|d| !d.is_zero());
        let read_timeout = nonzero(cfg.read_timeout);
        let opts = ConnOptions {
            tls,
            http2_only: false,
            h2_max_concurrent_streams: None,
            h2_keepalive: None,
            h2_max_send_buf: None,
            h1_keep_alive: cfg.keep_alives_enabled,
            // Go: ReadHeaderTimeout, else ReadTimeout, else none.
            h1_header_read_timeout: nonzero(cfg.read_header_timeout).or(read_timeout),
            // Go: IdleTimeout, else ReadTimeout, else none.
            idle_timeout: nonzero(cfg.idle_timeout).or(read_timeout),
            max_age: None,
        };
        let response_headers = cfg
            .response_headers
            .iter()
            .filter_map(|(k, v)| {
                Some((
                    ::http::HeaderName::from_bytes(k.as_bytes()).ok()?,
                    ::http::HeaderValue::from_str(v).ok()?,
                ))
            })
            .collect();
        let shared = Arc::new(http::HttpShared {
            exporter: Exporter::new(self.consumers.clone(), ReceiverObs::new(&self.id, "http")),
            paths: cfg.paths(),
            max_body: cfg.max_request_body_size(),
            algorithms: cfg.compression_algorithms(),
            include_metadata: cfg.include_metadata,
            response_headers,
            cors: cfg.cors.get().and_then(cors::Cors::new),
            read_timeout,
            write_timeout: nonzero(cfg.write_timeout),
        });
        let server = Server::spawn(listener, opts, move |peer| http::HttpService {
            shared: shared.clone(),
            peer,
        });
        tracing::info!(receiver = %self.id, endpoint = %server.local_addr, "Starting HTTP server");
        Ok(server)
    }
}

/// upstream `configauth.GetServerAuthenticator`'s errors. No server authenticator extension
/// exists in ferrocol yet, so an extension found under that id cannot be one.
fn missing_authenticator(host: &Host, id: &str) -> String {
    match ComponentId::parse(id) {
        Ok(cid) if host.extension(&cid).is_some() => {
            "requested authenticator is not a server authenticator".to_string()
        }
        _ => format!("failed to resolve authenticator {id:?}: authenticator not found"),
    }
}

impl Component for OtlpReceiver {
    fn start<'a>(&'a self, host: &'a Host) -> BoxFuture<'a, Result<(), StartError>> {
        Box::pin(async move {
            let mut started = Vec::new();
            if let Some(cfg) = self.config.protocols.grpc.get() {
                started.push(self.start_grpc(host, cfg).await?);
            }
            if let Some(cfg) = self.config.protocols.http.get() {
                match self.start_http(host, cfg).await {
                    Ok(s) => started.push(s),
                    Err(e) => {
                        // Do not leave the gRPC server running when the HTTP one cannot start.
                        for s in &started {
                            s.shutdown(tokio::time::Instant::now()).await;
                        }
                        return Err(e);
                    }
                }
            }
            self.servers.lock().extend(started);
            Ok(())
        })
    }

    fn shutdown(&self, deadline: Instant) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let servers = std::mem::take(&mut *self.servers.lock());
            let deadline = tokio::time::Instant::from_std(deadline);
            futures::future::join_all(servers.iter().map(|s| s.shutdown(deadline))).await;
        })
    }
}
