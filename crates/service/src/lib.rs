//! The service: turns a resolved configuration into running pipelines and keeps them running.
//!
//! - [`config`]: decoding and validating the configuration with upstream's messages;
//! - [`graph`]: the component instances and how their consumers connect;
//! - [`collector`]: start, signals, reload and shutdown.
//!
//! Nothing here knows a specific component: factories come from the binary's `components.rs`.

pub mod collector;
pub mod config;
mod fanout;
pub mod graph;
mod obs_consumer;

pub use collector::{Resolve, Settings, load, run};
pub use config::{Config, ConfigError};
pub use graph::Graph;
