//! Prometheus support for ferrocol.
//!
//! * [`exposition`]: a zero-copy pull parser for the Prometheus text format 0.0.4 and
//!   OpenMetrics 1.0, with a Prometheus-2.42-compatible mode and a spec-strict mode.
//! * [`relabel`]: Prometheus relabelling.
//! * [`discovery`]: service discovery (the [`discovery::Discoverer`] interface).
//! * [`duration`]: Prometheus' duration syntax.
//! * [`naming`]: OTLP → Prometheus metric and label names (units, `_total`, `_ratio`).
//! * [`prehashed`]: maps keyed by label-set hashes.
//! * [`remote`]: remote write 1.0 (`prompb` messages, snappy block bodies, size-bounded batches).
//! * [`scrape`]: the scrape manager and the [`scrape::ScrapeBatch`] each scrape produces.

pub mod config;
pub mod discovery;
pub mod duration;
pub mod exposition;
pub mod naming;
pub mod prehashed;
pub mod relabel;
pub mod remote;
pub mod scrape;
