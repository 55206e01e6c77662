//! The scrape manager: one loop per target, and what each scrape hands on.
//!
//! A scrape loop sends one [`ScrapeBatch`] per scrape to an [`Appender`], as Prometheus' scrape
//! loop calls `storage.Appender` once per sample and `Commit` once per scrape. The receiver's
//! appender turns batches into OTLP metrics.

pub mod batch;

pub use batch::{Appender, Exemplar, MetricMetadata, MetricType, Sample, ScrapeBatch, TargetInfo};
