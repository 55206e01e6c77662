//! The scrape manager: one loop per target, and what each scrape hands on.
//!
//! A scrape loop sends one [`ScrapeBatch`] per scrape to an [`Appender`], as Prometheus' scrape
//! loop calls `storage.Appender` once per sample and `Commit` once per scrape. The receiver's
//! appender turns batches into OTLP metrics.
//!
//! [`ScrapeManager::new`] takes a validated [`crate::config::PromConfig`]; [`ScrapeManager::start`]
//! spawns it and [`RunningScrapeManager::shutdown`] stops it.

pub mod append;
pub mod batch;
mod connector;
pub mod http;
mod manager;
pub mod oauth2;
pub mod pool;
pub mod proxy;
mod scrape_loop;
pub mod target;
mod tunnel;

#[cfg(test)]
mod tests;

pub use append::{AppendReport, AppendSettings, ScrapeInput, SeriesState};
pub use batch::{Appender, Exemplar, MetricMetadata, MetricType, Sample, ScrapeBatch, TargetInfo};
pub use manager::{RunningScrapeManager, ScrapeManager, ScrapeOptions};
pub use target::ScrapeTarget;
