//! The `prometheus` receiver's config: contrib's `prometheusreceiver.Config` (reference
//! `prometheus.md` §1.1).
//!
//! `config:` is a Prometheus configuration ([`PromConfig`]); confmap has already expanded
//! `${env:...}` and turned `$$` into `$` in it, so `replacement: $$1:9100` reaches relabelling as
//! `$1:9100`. `target_allocator` and an enabled `api_server` are not implemented and are refused
//! with a clear error rather than silently ignored; the options upstream removed are refused
//! with the replacement upstream recommends.

use component::ComponentConfig;
use prometheus::config::PromConfig;
use serde::Deserialize;
use serde::de::IgnoredAny;

/// `receivers: prometheus:`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrometheusReceiverConfig {
    /// The embedded Prometheus configuration (`global`, `scrape_configs`,
    /// `scrape_config_files`).
    pub config: Option<PromConfig>,
    /// Drop `_total` from counters and the `# UNIT` from names (`TrimPromSuffixes`).
    pub trim_metric_suffixes: bool,
    /// Not supported: refused by [`ComponentConfig::validate`].
    pub target_allocator: Option<IgnoredAny>,
    pub api_server: Option<ApiServerConfig>,
    /// Removed upstream in v0.143 (#44180); refused.
    pub use_start_time_metric: Option<IgnoredAny>,
    /// Removed upstream in v0.143 (#44180); refused.
    pub start_time_metric_regex: Option<IgnoredAny>,
    /// Removed upstream in v0.149 (now the `receiver.prometheusreceiver.EnableReportExtraScrapeMetrics`
    /// feature gate); refused.
    pub report_extra_scrape_metrics: Option<IgnoredAny>,
}

/// `api_server:` — accepted only disabled.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ApiServerConfig {
    pub enabled: bool,
    pub server_config: Option<IgnoredAny>,
}

impl ComponentConfig for PrometheusReceiverConfig {
    fn validate(&self) -> Result<(), String> {
        if self.use_start_time_metric.is_some() {
            return Err(removed(
                "use_start_time_metric",
                "v0.143.0",
                "use the metricstarttime processor instead",
            ));
        }
        if self.start_time_metric_regex.is_some() {
            return Err(removed(
                "start_time_metric_regex",
                "v0.143.0",
                "use the metricstarttime processor instead",
            ));
        }
        if self.report_extra_scrape_metrics.is_some() {
            return Err(removed(
                "report_extra_scrape_metrics",
                "v0.149.0",
                "it is now the feature gate receiver.prometheusreceiver.EnableReportExtraScrapeMetrics",
            ));
        }
        if self.target_allocator.is_some() {
            return Err(
                "target_allocator is not supported by ferrocol's prometheus receiver; \
                        list the targets in scrape_configs (static, file or Kubernetes discovery) \
                        instead"
                    .to_string(),
            );
        }
        if self.api_server.as_ref().is_some_and(|a| a.enabled) {
            return Err(
                "api_server is not supported by ferrocol's prometheus receiver; remove it or set \
                 api_server::enabled to false"
                    .to_string(),
            );
        }
        let Some(config) = &self.config else {
            return Err("no Prometheus scrape_configs or target_allocator set".to_string());
        };
        config.validate()?;
        if !config.has_scrape_configs() {
            return Err("no Prometheus scrape_configs or target_allocator set".to_string());
        }
        Ok(())
    }
}

fn removed(key: &str, version: &str, instead: &str) -> String {
    format!("'{key}' was removed from the prometheus receiver in {version}: {instead}")
}
