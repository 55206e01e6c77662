//! The pipeline graph built from a validated [`Config`]: which component instances exist, how
//! their consumers connect, and the order in which they start and stop.
//!
//! Instances follow upstream (collector-semantics.md §1.3): one receiver per id (serving every
//! signal it is used for, each signal fanning out to the pipelines that name it), one processor per
//! (pipeline, id), one exporter per id shared by every pipeline that names it (fan-in). Only
//! components a pipeline or `service::extensions` references are created.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Instant;

use component::{
    AnyConsumer, Component, ComponentId, CreateContext, Extension, Host, PipelineId,
    ReceiverConsumers, Signal,
};
use telemetry::obs::ProcessorObs;

use crate::config::Config;
use crate::fanout::fanout;
use crate::obs_consumer::counting;

/// A graph that could not be built from a valid config.
#[derive(Debug, thiserror::Error)]
#[error("failed to build pipelines: {0}")]
pub struct BuildError(pub String);

/// A component instance with a name for logs.
struct Node {
    label: String,
    component: Arc<dyn Component>,
}

/// Every created instance, in start order.
pub struct Graph {
    extensions: Vec<(ComponentId, Arc<dyn Extension>)>,
    exporters: Vec<Node>,
    processors: Vec<Node>,
    receivers: Vec<Node>,
}

pub const BUILD_VERSION: &str = env!("CARGO_PKG_VERSION");

fn ctx(id: &ComponentId) -> CreateContext {
    CreateContext {
        id: id.clone(),
        build_version: BUILD_VERSION,
    }
}

impl Graph {
    /// Creates every referenced component and connects them. Nothing is started, so a graph
    /// that fails to build leaves no socket or task behind.
    pub fn build(config: &Config) -> Result<Graph, BuildError> {
        let mut extensions = Vec::new();
        for id in &config.service_extensions {
            let c = &config.extensions[id];
            let ext = c
                .factory
                .create(ctx(id), &c.config)
                .map_err(|e| BuildError(format!("failed to create extension \"{id}\": {e}")))?;
            extensions.push((id.clone(), ext));
        }

        // Exporters: one instance per id, created for the union of its pipelines' signals.
        let mut exporter_signals: BTreeMap<&ComponentId, BTreeSet<Signal>> = BTreeMap::new();
        for p in &config.pipelines {
            for id in &p.exporters {
                exporter_signals.entry(id).or_default().insert(p.id.signal);
            }
        }
        let mut exporters = Vec::new();
        let mut exporter_instances = BTreeMap::new();
        for (id, signals) in exporter_signals {
            let c = &config.exporters[id];
            for s in signals.iter() {
                if c.factory.stability(*s).is_none() {
                    return Err(BuildError(format!(
                        "failed to create \"{}\" exporter for data type \"{s}\": telemetry type is not supported",
                        c.written_id
                    )));
                }
            }
            let signals: Vec<Signal> = signals.into_iter().collect();
            let exp = c
                .factory
                .create(ctx(id), &c.config, &signals)
                .map_err(|e| BuildError(format!("failed to create \"{id}\" exporter: {e}")))?;
            exporters.push(Node {
                label: format!("exporter {id}"),
                component: exp.component.clone(),
            });
            exporter_instances.insert(id.clone(), exp);
        }

        // Processors, per pipeline, built from the exporters backwards. `heads` holds each
        // pipeline's first consumer, which its receivers feed.
        let mut processors = Vec::new();
        let mut heads: BTreeMap<&PipelineId, AnyConsumer> = BTreeMap::new();
        for p in &config.pipelines {
            let signal = p.id.signal;
            let mut outputs = Vec::new();
            for id in &p.exporters {
                let consumer = exporter_instances[id].consumer(signal).ok_or_else(|| {
                    BuildError(format!(
                        "exporter \"{id}\" has no consumer for data type \"{signal}\""
                    ))
                })?;
                outputs.push(consumer);
            }
            let mut next = fanout(outputs);
            let mut chain = Vec::new();
            for id in p.processors.iter().rev() {
                let c = &config.processors[id];
                if c.factory.stability(signal).is_none() {
                    return Err(BuildError(format!(
                        "failed to create \"{}\" processor, in pipeline \"{}\": telemetry type is not supported",
                        c.written_id, p.id
                    )));
                }
                let obs = ProcessorObs::new(id, signal);
                let (component, consumer) = c
                    .factory
                    .create(ctx(id), &c.config, counting(obs.outgoing, next))
                    .map_err(|e| {
                        BuildError(format!(
                            "failed to create \"{id}\" processor, in pipeline \"{}\": {e}",
                            p.id
                        ))
                    })?;
                if consumer.signal() != signal {
                    return Err(BuildError(format!(
                        "processor \"{id}\" returned a consumer for another data type"
                    )));
                }
                next = counting(obs.incoming, consumer);
                chain.push(Node {
                    label: format!("processor {id} in pipeline {}", p.id),
                    component,
                });
            }
            // Start order is processors closest to the exporters first.
            processors.extend(chain);
            heads.insert(&p.id, next);
        }

        // Receivers: one instance per id; per signal, a fan-out to every pipeline naming it.
        let mut receiver_heads: BTreeMap<&ComponentId, BTreeMap<Signal, Vec<AnyConsumer>>> =
            BTreeMap::new();
        for p in &config.pipelines {
            for id in &p.receivers {
                receiver_heads
                    .entry(id)
                    .or_default()
                    .entry(p.id.signal)
                    .or_default()
                    .push(heads[&p.id].clone());
            }
        }
        let mut receivers = Vec::new();
        for (id, per_signal) in receiver_heads {
            let c = &config.receivers[id];
            let mut next = ReceiverConsumers::default();
            for (signal, consumers) in per_signal {
                if c.factory.stability(signal).is_none() {
                    return Err(BuildError(format!(
                        "failed to create \"{}\" receiver for data type \"{signal}\": telemetry type is not supported",
                        c.written_id
                    )));
                }
                match fanout(consumers) {
                    AnyConsumer::Traces(t) => next.traces = Some(t),
                    AnyConsumer::Metrics(m) => next.metrics = Some(m),
                    AnyConsumer::Logs(l) => next.logs = Some(l),
                }
            }
            let component = c
                .factory
                .create(ctx(id), &c.config, next)
                .map_err(|e| BuildError(format!("failed to create \"{id}\" receiver: {e}")))?;
            receivers.push(Node {
                label: format!("receiver {id}"),
                component,
            });
        }

        Ok(Graph {
            extensions,
            exporters,
            processors,
            receivers,
        })
    }

    /// The created extensions, for the [`Host`].
    pub fn extensions(&self) -> BTreeMap<ComponentId, Arc<dyn Extension>> {
        self.extensions.iter().cloned().collect()
    }

    /// Starts extensions → exporters → processors → receivers. On the first failure, what was
    /// started is shut down again (by `deadline`) and the error returned.
    pub async fn start(&self, host: &Host, deadline: Instant) -> Result<(), String> {
        let mut started: Vec<(&str, Arc<dyn Component>)> = Vec::new();
        let ext_labels: Vec<String> = self
            .extensions
            .iter()
            .map(|(id, _)| format!("extension {id}"))
            .collect();
        let all = self
            .extensions
            .iter()
            .zip(&ext_labels)
            .map(|((_, e), label)| (label.as_str(), e.clone() as Arc<dyn Component>))
            .chain(
                [&self.exporters, &self.processors, &self.receivers]
                    .into_iter()
                    .flatten()
                    .map(|n| (n.label.as_str(), n.component.clone())),
            );
        for (label, component) in all {
            tracing::debug!(component = label, "Starting component");
            if let Err(e) = component.start(host).await {
                for (_, c) in started.iter().rev() {
                    c.shutdown(deadline).await;
                }
                return Err(format!("failed to start {label}: {e}"));
            }
            started.push((label, component));
        }
        Ok(())
    }

    /// Stops receivers → processors → exporters → extensions, each draining by `deadline`.
    pub async fn shutdown(&self, deadline: Instant) {
        for n in self
            .receivers
            .iter()
            .chain(self.processors.iter().rev())
            .chain(self.exporters.iter())
        {
            tracing::debug!(component = %n.label, "Stopping component");
            n.component.shutdown(deadline).await;
        }
        for (id, e) in self.extensions.iter().rev() {
            tracing::debug!(component = %id, "Stopping extension");
            e.shutdown(deadline).await;
        }
    }
}
