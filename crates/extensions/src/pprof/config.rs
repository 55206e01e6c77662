//! `pprof` configuration: upstream's keys and defaults (contrib
//! `extension/pprofextension/config.go` and `factory.go`, on top of confignet's
//! `TCPAddrConfig`).

use component::ComponentConfig;
use confmap::Duration;
use serde::Deserialize;

/// Where the profiles are served and what is profiled.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct PprofConfig {
    /// `host:port` to listen on; `:port` listens on every interface.
    pub endpoint: String,
    /// confignet's dialer settings: accepted, a server dials nothing.
    pub dialer: DialerConfig,
    /// Go: the fraction of blocking events (channel waits, `sync.Cond`, `select`) recorded in
    /// `/debug/pprof/block`, via `runtime.SetBlockProfileRate`.
    ///
    /// Rust has no runtime that sees every blocking operation, so there is no block profiler to
    /// configure: the value is accepted so that existing configurations load, a positive value
    /// is logged as having no effect, and `/debug/pprof/block` answers 501. Waiting shows up in a
    /// CPU profile only as time spent in the futex and epoll calls.
    pub block_profile_fraction: i64,
    /// Go: the fraction of mutex contention events recorded in `/debug/pprof/mutex`, via
    /// `runtime.SetMutexProfileFraction`.
    ///
    /// Accepted and without effect for the same reason: Rust's locks (std, parking_lot) keep no
    /// contention statistics. A positive value is logged as having no effect and
    /// `/debug/pprof/mutex` answers 501.
    pub mutex_profile_fraction: i64,
    /// Profile the CPU from start to shutdown and write the profile to this file on shutdown,
    /// in the same gzip-compressed pprof format as `/debug/pprof/profile`. The file is created
    /// (truncated) at start, so a path that cannot be written fails the start, as upstream.
    /// While it runs, `/debug/pprof/profile` answers that profiling is already in use (one CPU
    /// profiler per process, as Go's).
    pub save_to_file: String,
}

/// `dialer:` of `confignet.TCPAddrConfig`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DialerConfig {
    pub timeout: Duration,
}

impl Default for PprofConfig {
    fn default() -> Self {
        PprofConfig {
            endpoint: "localhost:1777".to_string(),
            dialer: DialerConfig::default(),
            block_profile_fraction: 0,
            mutex_profile_fraction: 0,
            save_to_file: String::new(),
        }
    }
}

impl ComponentConfig for PprofConfig {
    fn validate(&self) -> Result<(), String> {
        // Upstream's message (its factory refuses an empty endpoint).
        if self.endpoint.is_empty() {
            return Err("\"endpoint\" is required when using the \"pprof\" extension".into());
        }
        Ok(())
    }
}
