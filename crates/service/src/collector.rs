//! The running collector: builds the service from the resolved config, starts it, and reacts to
//! signals — SIGTERM/SIGINT drain and stop, SIGHUP reloads.
//!
//! Reload is safer than upstream's (which shuts down first and exits if the new config fails):
//! the new configuration is resolved, decoded, validated and its graph built before anything
//! stops, so a bad config is logged and the running pipelines keep running. Only then does the old
//! service drain and stop, and the new one start; if the new one fails to start (a port taken by
//! another process, say), the old configuration is started again.

use std::sync::Arc;
use std::time::{Duration, Instant};

use component::{CollectorStatus, Factories, GraphDescription, Host, PipelineDescription};
use futures::future::BoxFuture;
use telemetry::logs::LogHandle;
use telemetry::server::{MetricsServer, ServiceIdentity};
use tokio::sync::watch;

use crate::config::Config;
use crate::graph::Graph;

/// How long shutdown (or a reload) may take to drain in-flight data.
pub const DRAIN_DEADLINE: Duration = Duration::from_secs(20);

/// Resolves the configuration tree again: called at start and on every reload, so that files,
/// environment variables and remote sources are read afresh.
pub type Resolve = Arc<dyn Fn() -> BoxFuture<'static, Result<confmap::Node, String>> + Send + Sync>;

pub struct Settings {
    pub factories: Factories,
    pub resolve: Resolve,
    pub identity: ServiceIdentity,
    pub logs: Option<LogHandle>,
    /// The feature gates the binary knows, with their state, for zpages' `/debug/featurez`.
    pub feature_gates: Vec<component::host::FeatureGateDescription>,
}

/// Resolves and checks a configuration completely, starting nothing: `ferrocol validate`, and the
/// first step of start and reload.
pub async fn load(settings: &Settings) -> Result<(Config, Graph), String> {
    let root = (settings.resolve)().await?;
    let config = Config::from_node(&root, &settings.factories).map_err(|e| e.to_string())?;
    config
        .telemetry
        .metrics
        .endpoints()
        .map_err(|e| format!("invalid configuration: {e}"))?;
    let graph = Graph::build(&config).map_err(|e| e.to_string())?;
    Ok((config, graph))
}

/// One started configuration.
struct Running {
    config: Config,
    graph: Graph,
    metrics: Vec<MetricsServer>,
}

impl Running {
    async fn start(
        config: Config,
        graph: Graph,
        settings: &Settings,
        status: &watch::Receiver<CollectorStatus>,
    ) -> Result<Running, String> {
        for (old, new) in &config.deprecated {
            tracing::warn!("\"{old}\" alias is deprecated; use \"{new}\" instead");
        }
        if let Some(logs) = &settings.logs {
            logs.set_level(config.telemetry.logs.level);
        }
        let identity = settings.identity.with_resource(&config.telemetry.resource);
        let mut metrics = Vec::new();
        for endpoint in config.telemetry.metrics.endpoints()? {
            match MetricsServer::start(&endpoint, identity.clone()).await {
                Ok(s) => metrics.push(s),
                Err(e) => {
                    metrics.iter().for_each(MetricsServer::stop);
                    return Err(e);
                }
            }
        }
        let host =
            Host::new(graph.extensions(), status.clone()).with_graph(describe(&config, settings));
        if let Err(e) = graph.start(&host, Instant::now() + DRAIN_DEADLINE).await {
            metrics.iter().for_each(MetricsServer::stop);
            return Err(e);
        }
        Ok(Running {
            config,
            graph,
            metrics,
        })
    }

    async fn shutdown(self, deadline: Instant) -> Config {
        self.graph.shutdown(deadline).await;
        self.metrics.iter().for_each(MetricsServer::stop);
        self.config
    }
}

/// What zpages shows of a started configuration: build, pipelines and extensions, as configured
/// and validated. Feature gates are not known to the service, so none are listed.
fn describe(config: &Config, settings: &Settings) -> GraphDescription {
    let identity = &settings.identity;
    let ids = |ids: &[component::ComponentId]| ids.iter().map(ToString::to_string).collect();
    GraphDescription {
        command: identity.service_name.clone(),
        version: identity.service_version.clone(),
        pipelines: config
            .pipelines
            .iter()
            .map(|p| PipelineDescription {
                id: p.id.to_string(),
                signal: p.id.signal.to_string(),
                receivers: ids(&p.receivers),
                processors: ids(&p.processors),
                exporters: ids(&p.exporters),
            })
            .collect(),
        extensions: ids(&config.service_extensions),
        feature_gates: settings.feature_gates.clone(),
    }
}

/// Runs until SIGTERM or SIGINT. Returns an error when the first configuration cannot start, or
/// when a reload failed and the previous configuration could not be started again.
pub async fn run(settings: Settings) -> Result<(), String> {
    let (status_tx, status) = watch::channel(CollectorStatus::Starting);
    let (config, graph) = load(&settings).await?;
    let mut running = Running::start(config, graph, &settings, &status).await?;
    status_tx.send_replace(CollectorStatus::Ready);
    tracing::info!("Everything is ready. Begin running and processing data.");

    let mut signals = Signals::new()?;
    loop {
        match signals.next().await {
            Signal::Stop(name) => {
                tracing::info!(signal = name, "Received signal from OS");
                break;
            }
            Signal::Reload => {
                tracing::info!("Received SIGHUP, reloading the configuration");
                running = match reload(running, &settings, &status_tx, &status).await {
                    Ok(r) => r,
                    Err(e) => {
                        status_tx.send_replace(CollectorStatus::ShuttingDown);
                        return Err(e);
                    }
                };
            }
        }
    }
    tracing::info!("Starting shutdown...");
    status_tx.send_replace(CollectorStatus::ShuttingDown);
    running.shutdown(Instant::now() + DRAIN_DEADLINE).await;
    tracing::info!("Shutdown complete.");
    Ok(())
}

async fn reload(
    running: Running,
    settings: &Settings,
    status_tx: &watch::Sender<CollectorStatus>,
    status: &watch::Receiver<CollectorStatus>,
) -> Result<Running, String> {
    let (config, graph) = match load(settings).await {
        Ok(loaded) => loaded,
        Err(e) => {
            tracing::error!(
                error = %e,
                "Config reload failed; the running configuration stays in place"
            );
            return Ok(running);
        }
    };
    status_tx.send_replace(CollectorStatus::Reloading);
    let old = running.shutdown(Instant::now() + DRAIN_DEADLINE).await;
    match Running::start(config, graph, settings, status).await {
        Ok(new) => {
            status_tx.send_replace(CollectorStatus::Ready);
            tracing::info!(
                "Config reloaded. Everything is ready. Begin running and processing data."
            );
            Ok(new)
        }
        Err(e) => {
            tracing::error!(error = %e, "The reloaded configuration failed to start; restarting the previous one");
            let graph = Graph::build(&old).map_err(|e| e.to_string())?;
            let restored = Running::start(old, graph, settings, status)
                .await
                .map_err(|e| format!("the previous configuration failed to start again: {e}"))?;
            status_tx.send_replace(CollectorStatus::Ready);
            Ok(restored)
        }
    }
}

enum Signal {
    Stop(&'static str),
    Reload,
}

struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> Result<Self, String> {
        use tokio::signal::unix::{SignalKind, signal};
        let make = |k| signal(k).map_err(|e| format!("cannot install signal handler: {e}"));
        Ok(Signals {
            term: make(SignalKind::terminate())?,
            int: make(SignalKind::interrupt())?,
            hup: make(SignalKind::hangup())?,
        })
    }

    async fn next(&mut self) -> Signal {
        tokio::select! {
            _ = self.term.recv() => Signal::Stop("terminated"),
            _ = self.int.recv() => Signal::Stop("interrupt"),
            _ = self.hup.recv() => Signal::Reload,
        }
    }
}
