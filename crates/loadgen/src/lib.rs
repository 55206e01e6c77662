//! A telemetrygen-like OTLP load generator.
//!
//! Requests are generated and encoded (and gzip-compressed, and gRPC-framed) once, into a pool
//! of distinct requests; workers then cycle through the pool, each on its own connection with
//! one request in flight, paced by a token bucket for its share of the rate. The [`Summary`]
//! says what was sent, what the server acknowledged and what failed, by status code.
//!
//! The testbed drives it in-process through [`Generator`]; the `loadgen` binary is the same
//! thing behind a CLI.

pub mod config;
pub mod generate;
pub mod pacing;
pub mod pool;
pub mod run;
pub mod summary;
pub mod transport;

pub use config::{Encoding, LoadConfig, Protocol, Shape, Signal};
pub use run::{Generator, LoadError};
pub use summary::Summary;
pub use tokio_util::sync::CancellationToken;
