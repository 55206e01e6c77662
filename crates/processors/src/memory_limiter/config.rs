//! `memory_limiter` configuration: upstream's keys, defaults and validation messages
//! (`internal/memorylimiter/config.go`).
//!
//! The `*_gc_interval_*` keys are accepted with upstream's defaults and rules. There is no garbage
//! collector to force here; ferrocol uses them to rate-limit the purge it asks of the allocator
//! instead (see `limiter.rs`).

use std::time::Duration;

use component::ComponentConfig;
use serde::Deserialize;

pub(crate) const MIB: u64 = 1024 * 1024;

/// How much memory the collector may use before it refuses data.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MemoryLimiterConfig {
    /// Time between measurements. Required (> 0); 1s is the usual choice.
    pub check_interval: confmap::Duration,
    /// Hard limit in MiB. Wins over `limit_percentage` when both are set.
    pub limit_mib: u32,
    /// Headroom below the hard limit, in MiB: data is refused above `limit_mib -
    /// spike_limit_mib` (the soft limit). 0 = 20% of the limit.
    pub spike_limit_mib: u32,
    /// Hard limit as a percentage of the cgroup memory limit, or of total memory when the cgroup
    /// has none.
    pub limit_percentage: u32,
    /// Headroom as a percentage of the same total. 0 = 20% of the limit.
    pub spike_limit_percentage: u32,
    /// Least time between two purges while above the soft limit.
    pub min_gc_interval_when_soft_limited: confmap::Duration,
    /// Least time between two purges while above the hard limit.
    pub min_gc_interval_when_hard_limited: confmap::Duration,
    /// Cap of the back-off between ineffective purges above the soft limit (0 = no back-off).
    pub max_gc_interval_when_soft_limited: confmap::Duration,
    /// Cap of the back-off between ineffective purges above the hard limit (0 = no back-off).
    pub max_gc_interval_when_hard_limited: confmap::Duration,
}

impl Default for MemoryLimiterConfig {
    /// Upstream's defaults, which do not validate: `check_interval` and a limit must be set.
    fn default() -> Self {
        MemoryLimiterConfig {
            check_interval: confmap::Duration::from_secs(0),
            limit_mib: 0,
            spike_limit_mib: 0,
            limit_percentage: 0,
            spike_limit_percentage: 0,
            min_gc_interval_when_soft_limited: confmap::Duration::from_secs(10),
            min_gc_interval_when_hard_limited: confmap::Duration::from_secs(0),
            max_gc_interval_when_soft_limited: confmap::Duration::from_secs(30),
            max_gc_interval_when_hard_limited: confmap::Duration::from_secs(30),
        }
    }
}

/// The purge rate limits, as std durations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PurgeIntervals {
    pub(crate) min_soft: Duration,
    pub(crate) min_hard: Duration,
    pub(crate) max_soft: Duration,
    pub(crate) max_hard: Duration,
}

impl MemoryLimiterConfig {
    pub fn check_interval(&self) -> Duration {
        self.check_interval.to_std_saturating()
    }

    pub(crate) fn purge_intervals(&self) -> PurgeIntervals {
        PurgeIntervals {
            min_soft: self.min_gc_interval_when_soft_limited.to_std_saturating(),
            min_hard: self.min_gc_interval_when_hard_limited.to_std_saturating(),
            max_soft: self.max_gc_interval_when_soft_limited.to_std_saturating(),
            max_hard: self.max_gc_interval_when_hard_limited.to_std_saturating(),
        }
    }
}

impl ComponentConfig for MemoryLimiterConfig {
    /// Upstream's checks, in upstream's order, on signed durations as Go has them.
    fn validate(&self) -> Result<(), String> {
        let min_soft = self.min_gc_interval_when_soft_limited;
        let min_hard = self.min_gc_interval_when_hard_limited;
        let max_soft = self.max_gc_interval_when_soft_limited;
        let max_hard = self.max_gc_interval_when_hard_limited;
        let positive = |d: confmap::Duration| !d.is_zero() && !d.is_negative();
        let err = |s: &str| Err(s.to_string());
        if !positive(self.check_interval) {
            return err("'check_interval' must be greater than zero");
        }
        if min_soft < min_hard {
            return err(
                "'min_gc_interval_when_soft_limited' should be larger than 'min_gc_interval_when_hard_limited'",
            );
        }
        if max_soft.is_negative() {
            return err("'max_gc_interval_when_soft_limited' must be non-negative");
        }
        if max_hard.is_negative() {
            return err("'max_gc_interval_when_hard_limited' must be non-negative");
        }
        if positive(max_soft) && max_soft < min_soft {
            return err(
                "'max_gc_interval_when_soft_limited' must be greater than or equal to 'min_gc_interval_when_soft_limited' (or 0 to disable)",
            );
        }
        if positive(max_hard) && max_hard < min_hard {
            return err(
                "'max_gc_interval_when_hard_limited' must be greater than or equal to 'min_gc_interval_when_hard_limited' (or 0 to disable)",
            );
        }
        if positive(max_soft) && positive(max_hard) && max_soft < max_hard {
            return err(
                "'max_gc_interval_when_soft_limited' should be larger than or equal to 'max_gc_interval_when_hard_limited' (when both are set)",
            );
        }
        if self.limit_mib == 0 && self.limit_percentage == 0 {
            return err("'limit_mib' or 'limit_percentage' must be greater than zero");
        }
        if self.limit_percentage > 100 || self.spike_limit_percentage > 100 {
            return err(
                "'limit_percentage' and 'spike_limit_percentage' must be greater than zero and less than or equal to hundred",
            );
        }
        if self.limit_mib > 0 && self.limit_mib <= self.spike_limit_mib {
            return err("'spike_limit_mib' must be smaller than 'limit_mib'");
        }
        if self.limit_percentage > 0 && self.limit_percentage <= self.spike_limit_percentage {
            return err("'spike_limit_percentage' must be smaller than 'limit_percentage'");
        }
        Ok(())
    }
}

/// The limits in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Above this, the limiter purges hard.
    pub hard: u64,
    /// Headroom below `hard`; above `hard - spike` (the soft limit) data is refused.
    pub spike: u64,
}

impl Limits {
    pub fn soft(&self) -> u64 {
        self.hard.saturating_sub(self.spike)
    }

    /// The limits a (validated) config asks for. `total_memory` is consulted only for the
    /// percentage settings, so a fixed `limit_mib` works where no memory total can be read.
    pub fn from_config(
        config: &MemoryLimiterConfig,
        total_memory: impl FnOnce() -> Result<u64, String>,
    ) -> Result<Limits, String> {
        if config.limit_mib != 0 {
            return Ok(Limits::with_default_spike(
                u64::from(config.limit_mib) * MIB,
                u64::from(config.spike_limit_mib) * MIB,
            ));
        }
        let total = total_memory().map_err(|e| {
            format!("failed to get total memory, use fixed memory settings (limit_mib): {e}")
        })?;
        tracing::info!(
            total_memory_mib = total / MIB,
            limit_percentage = config.limit_percentage,
            spike_limit_percentage = config.spike_limit_percentage,
            "Using percentage memory limiter"
        );
        Ok(Limits::with_default_spike(
            u64::from(config.limit_percentage) * total / 100,
            u64::from(config.spike_limit_percentage) * total / 100,
        ))
    }

    /// An unset spike (0) is 20% of the limit.
    fn with_default_spike(hard: u64, spike: u64) -> Limits {
        let spike = if spike == 0 { hard / 5 } else { spike };
        Limits { hard, spike }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(yaml: &str) -> Result<MemoryLimiterConfig, component::ConfigError> {
        let node = confmap::parse_yaml(yaml).expect("yaml");
        component::config::decode_typed::<MemoryLimiterConfig>(node.as_ref())
    }

    #[test]
    fn decodes_upstream_yaml() {
        let c = decode(
            "check_interval: 1s\nlimit_mib: 4000\nspike_limit_mib: 800\n\
             min_gc_interval_when_soft_limited: 20s\nmax_gc_interval_when_soft_limited: 1m\n",
        )
        .unwrap();
        assert_eq!(c.check_interval(), Duration::from_secs(1));
        assert_eq!((c.limit_mib, c.spike_limit_mib), (4000, 800));
        assert_eq!(c.purge_intervals().min_soft, Duration::from_secs(20));
        assert_eq!(c.purge_intervals().max_soft, Duration::from_secs(60));
        assert_eq!(c.purge_intervals().max_hard, Duration::from_secs(30));
        let c = decode("check_interval: 1s\nlimit_percentage: 75\nspike_limit_percentage: 15\n")
            .unwrap();
        assert_eq!((c.limit_percentage, c.spike_limit_percentage), (75, 15));
        assert_eq!(
            decode("check_interval: 1s\n").unwrap_err(),
            component::ConfigError::Invalid(
                "'limit_mib' or 'limit_percentage' must be greater than zero".into()
            )
        );
        assert_eq!(
            decode("check_interval: 1s\nlimit_mib: 100\nspike_limit_mib: 100\n").unwrap_err(),
            component::ConfigError::Invalid(
                "'spike_limit_mib' must be smaller than 'limit_mib'".into()
            )
        );
        assert!(matches!(
            decode("check_interval: 1s\nlimit_mb: 100\n").unwrap_err(),
            component::ConfigError::Decode(_)
        ));
    }
}
