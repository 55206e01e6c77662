//! Processors: components that sit between receivers and exporters in a pipeline.
//!
//! Each processor lives in its own folder (`config.rs`, `mod.rs` with the factory, the
//! implementation and its tests) behind a cargo feature of the same name, on by default.
//! `components.rs` in the binary is the only list that registers them.

#[cfg(any(feature = "batch", feature = "memory_limiter"))]
mod signal;

#[cfg(feature = "batch")]
pub mod batch;
#[cfg(feature = "memory_limiter")]
pub mod memory_limiter;

#[cfg(feature = "batch")]
pub use batch::factory as batch_factory;
#[cfg(feature = "memory_limiter")]
pub use memory_limiter::factory as memory_limiter_factory;
