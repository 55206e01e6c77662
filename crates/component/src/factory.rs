//! Factories: everything the service needs to know about one kind of component, and the
//! [`Factories`] list the binary builds in `components.rs`.

use std::any::Any;
use std::sync::Arc;
use std::time::Instant;

use futures::future::BoxFuture;

use crate::config::{AnyConfig, ConfigError};
use crate::consumer::{AnyConsumer, LogsConsumer, MetricsConsumer, TracesConsumer};
use crate::host::Host;
use crate::id::{ComponentId, Kind, Signal, Stability};

/// A component failed to start (bind a port, open a file, reach an extension).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StartError(pub String);

/// A component could not be created from its (valid) config.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CreateError(pub String);

/// What the service does with every component: start it, and stop it.
pub trait Component: Send + Sync + 'static {
    /// Starts the component: bind sockets, spawn tasks. Called extensions → exporters →
    /// processors → receivers, so that a started component's consumers are already running.
    fn start<'a>(&'a self, host: &'a Host) -> BoxFuture<'a, Result<(), StartError>>;

    /// Stops accepting new data, finishes or hands on what is in flight, and returns by
    /// `deadline`. Called in the reverse order of `start`.
    fn shutdown(&self, deadline: Instant) -> BoxFuture<'_, ()>;
}

/// Where a receiver sends what it receives: one consumer per signal that a pipeline takes from it.
#[derive(Clone, Default)]
pub struct ReceiverConsumers {
    pub traces: Option<TracesConsumer>,
    pub metrics: Option<MetricsConsumer>,
    pub logs: Option<LogsConsumer>,
}

impl ReceiverConsumers {
    pub fn signals(&self) -> Vec<Signal> {
        let mut s = Vec::new();
        if self.traces.is_some() {
            s.push(Signal::Traces);
        }
        if self.metrics.is_some() {
            s.push(Signal::Metrics);
        }
        if self.logs.is_some() {
            s.push(Signal::Logs);
        }
        s
    }
}

/// Context handed to every constructor.
#[derive(Clone)]
pub struct CreateContext {
    /// The component's configured id (with the alias resolved to the current type).
    pub id: ComponentId,
    /// Version of the collector, for user agents and self-telemetry.
    pub build_version: &'static str,
}

/// The parts every factory shares.
pub trait FactoryInfo: Send + Sync {
    /// The type name used in config, e.g. `otlp_grpc`.
    fn kind(&self) -> Kind;
    /// Older names still accepted, with one deprecation warning.
    fn deprecated_kinds(&self) -> &'static [Kind] {
        &[]
    }
    /// Where the implementation lives, for `ferrocol components`.
    fn module(&self) -> String {
        format!("ferrocol/{}", self.kind())
    }
    /// Decodes and validates the component's config section (None = section absent or null).
    fn decode_config(&self, node: Option<&confmap::Node>) -> Result<AnyConfig, ConfigError>;
}

/// Makes receivers.
pub trait ReceiverFactory: FactoryInfo {
    /// Stability per signal; `None` means the signal is not supported.
    fn stability(&self, signal: Signal) -> Option<Stability>;
    /// One receiver instance per configured id, serving every signal that has a consumer.
    fn create(
        &self,
        ctx: CreateContext,
        config: &AnyConfig,
        next: ReceiverConsumers,
    ) -> Result<Arc<dyn Component>, CreateError>;
}

/// Makes processors: one instance per (pipeline, id), for that pipeline's signal.
pub trait ProcessorFactory: FactoryInfo {
    fn stability(&self, signal: Signal) -> Option<Stability>;
    /// Returns the component and the consumer that feeds it; `next` has the pipeline's signal.
    fn create(
        &self,
        ctx: CreateContext,
        config: &AnyConfig,
        next: AnyConsumer,
    ) -> Result<(Arc<dyn Component>, AnyConsumer), CreateError>;
}

/// A created exporter: its lifecycle and a consumer for each signal it was created for.
pub struct Exporter {
    pub component: Arc<dyn Component>,
    pub traces: Option<TracesConsumer>,
    pub metrics: Option<MetricsConsumer>,
    pub logs: Option<LogsConsumer>,
}

impl Exporter {
    pub fn consumer(&self, signal: Signal) -> Option<AnyConsumer> {
        match signal {
            Signal::Traces => self.traces.clone().map(AnyConsumer::Traces),
            Signal::Metrics => self.metrics.clone().map(AnyConsumer::Metrics),
            Signal::Logs => self.logs.clone().map(AnyConsumer::Logs),
        }
    }
}

/// Makes exporters: one instance per id, shared by every pipeline that names it (fan-in).
pub trait ExporterFactory: FactoryInfo {
    fn stability(&self, signal: Signal) -> Option<Stability>;
    fn create(
        &self,
        ctx: CreateContext,
        config: &AnyConfig,
        signals: &[Signal],
    ) -> Result<Exporter, CreateError>;
}

/// A running extension. Other components find it through the [`Host`] and downcast it to the
/// capability they need (storage, authentication) via [`Extension::as_any`].
pub trait Extension: Component {
    fn as_any(&self) -> &dyn Any;
}

/// Makes extensions.
pub trait ExtensionFactory: FactoryInfo {
    fn stability(&self) -> Stability;
    fn create(
        &self,
        ctx: CreateContext,
        config: &AnyConfig,
    ) -> Result<Arc<dyn Extension>, CreateError>;
}

/// Every factory compiled into the binary: the one list `components.rs` builds.
#[derive(Default, Clone)]
pub struct Factories {
    pub receivers: Vec<Arc<dyn ReceiverFactory>>,
    pub processors: Vec<Arc<dyn ProcessorFactory>>,
    pub exporters: Vec<Arc<dyn ExporterFactory>>,
    pub extensions: Vec<Arc<dyn ExtensionFactory>>,
}

/// The result of looking up a type among factories of one kind.
pub enum Lookup<'a, F: ?Sized> {
    Found(&'a Arc<F>),
    /// Found under a deprecated name; the caller warns once and uses the current type.
    Deprecated(&'a Arc<F>),
    NotFound,
}

/// Looks a type up among factories, by current name first and deprecated aliases second.
pub fn lookup<'a, F: FactoryInfo + ?Sized>(list: &'a [Arc<F>], ty: &str) -> Lookup<'a, F> {
    if let Some(f) = list.iter().find(|f| f.kind() == ty) {
        return Lookup::Found(f);
    }
    match list.iter().find(|f| f.deprecated_kinds().contains(&ty)) {
        Some(f) => Lookup::Deprecated(f),
        None => Lookup::NotFound,
    }
}

/// The sorted type names of a factory list, for `unknown type` errors.
pub fn kinds<F: FactoryInfo + ?Sized>(list: &[Arc<F>]) -> Vec<&'static str> {
    let mut v: Vec<_> = list.iter().map(|f| f.kind()).collect();
    v.sort_unstable();
    v
}
