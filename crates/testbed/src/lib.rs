//! The testbed: mock OTLP backends, a process sampler, and load scenarios modelled on the
//! upstream collector's testbed, run against ferrocol and a peer collector side by side.
//!
//! - [`mock_backend`]: counts what arrives, can fail or slow down on demand.
//! - [`sampler`]: CPU seconds and RSS of a child process, from /proc.
//! - [`collector`]: the collector under test, started from a command-line template.
//! - [`scenario`] and [`runner`]: what a scenario is and how one runs, with its delivery check.
//! - [`compare`] and [`report`]: ferrocol and Rotel alternately; the Markdown table,
//!   results.json and bench/RESULTS.md. [`machine`] describes where it ran.

pub mod collector;
pub mod compare;
pub mod machine;
pub mod mock_backend;
pub mod report;
pub mod runner;
pub mod sampler;
pub mod scenario;
