//! The component model: what a receiver, processor, exporter or extension is, how they pass data
//! to each other, and what they may ask of the running service.
//!
//! Components never name each other (core-api.md, invariant 4): they meet through [`consumer`]s
//! created by the service, through the [`Host`] and through the configuration.

pub mod auth;
pub mod config;
pub mod consumer;
pub mod factory;
pub mod host;
pub mod id;
pub mod storage;

pub use config::{AnyConfig, ComponentConfig, ConfigError};
pub use consumer::{
    AnyConsumer, BoxError, ConsumeError, Consumer, LogsConsumer, MetricsConsumer, TracesConsumer,
};
pub use factory::{
    Component, CreateContext, CreateError, Exporter, ExporterFactory, Extension, ExtensionFactory,
    Factories, FactoryInfo, ProcessorFactory, ReceiverConsumers, ReceiverFactory, StartError,
};
pub use host::{
    CollectorStatus, FeatureGateDescription, GraphDescription, Host, PipelineDescription,
};
pub use id::{ComponentId, IdError, Kind, PipelineId, Signal, Stability};

pub use futures::future::BoxFuture;
