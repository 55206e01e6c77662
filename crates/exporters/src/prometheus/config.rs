//! `prometheus` exporter configuration: contrib `prometheusexporter.Config` with upstream's
//! defaults (`metric_expiration` 5m, `add_metric_suffixes` true).

use std::collections::BTreeMap;

use ::prometheus::naming::{TranslationStrategy, normalize_label};
use component::ComponentConfig;
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct PrometheusExporterConfig {
    /// Where `/metrics` is served, e.g. `0.0.0.0:8889`.
    pub endpoint: String,
    pub namespace: String,
    /// Added to every series.
    pub const_labels: BTreeMap<String, String>,
    /// Samples carry the point's timestamp.
    pub send_timestamps: bool,
    /// A series not updated for this long is no longer served (default 5m).
    pub metric_expiration: confmap::Duration,
    pub resource_to_telemetry_conversion: Enabled,
    /// Serve OpenMetrics 1.0 to scrapers that accept it.
    pub enable_open_metrics: bool,
    pub add_metric_suffixes: bool,
    /// Overrides `add_metric_suffixes` when set.
    pub translation_strategy: Option<TranslationStrategy>,
    /// Leaves out the `otel_scope_name`, `otel_scope_version` and `otel_scope_schema_url` labels.
    pub without_scope_info: bool,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct Enabled {
    pub enabled: bool,
}

impl Default for PrometheusExporterConfig {
    fn default() -> Self {
        PrometheusExporterConfig {
            endpoint: String::new(),
            namespace: String::new(),
            const_labels: BTreeMap::new(),
            send_timestamps: false,
            metric_expiration: confmap::Duration::from_secs(300),
            resource_to_telemetry_conversion: Enabled::default(),
            enable_open_metrics: false,
            add_metric_suffixes: true,
            translation_strategy: None,
            without_scope_info: false,
        }
    }
}

impl PrometheusExporterConfig {
    pub fn strategy(&self) -> TranslationStrategy {
        match self.translation_strategy {
            Some(s) => s,
            None if self.add_metric_suffixes => TranslationStrategy::UnderscoreEscapingWithSuffixes,
            None => TranslationStrategy::UnderscoreEscapingWithoutSuffixes,
        }
    }

    /// `const_labels` with valid names, sorted.
    pub fn const_labels(&self) -> Vec<(String, String)> {
        self.const_labels
            .iter()
            .map(|(k, v)| (normalize_label(k), v.clone()))
            .collect()
    }
}

impl ComponentConfig for PrometheusExporterConfig {
    fn validate(&self) -> Result<(), String> {
        if self.endpoint.is_empty() {
            return Err("endpoint must be specified".into());
        }
        if self.metric_expiration.is_negative() {
            return Err("metric_expiration must be non-negative".into());
        }
        for k in self.const_labels.keys() {
            let valid = k
                .chars()
                .enumerate()
                .all(|(i, c)| c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit()));
            if k.is_empty() || !valid {
                return Err(format!("const_labels: {k:?} is not a valid label name"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(yaml: &str) -> Result<PrometheusExporterConfig, String> {
        let node = confmap::parse_yaml(yaml).unwrap();
        component::config::decode_typed::<PrometheusExporterConfig>(node.as_ref())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_and_keys() {
        let c = decode(
            "{endpoint: '0.0.0.0:8889', namespace: ns, const_labels: {env: prod}, send_timestamps: true, metric_expiration: 1m, resource_to_telemetry_conversion: {enabled: true}, enable_open_metrics: true, add_metric_suffixes: false}",
        )
        .unwrap();
        assert_eq!(
            c.strategy(),
            TranslationStrategy::UnderscoreEscapingWithoutSuffixes
        );
        assert_eq!(c.metric_expiration, confmap::Duration::from_secs(60));
        let d = PrometheusExporterConfig::default();
        assert_eq!(d.metric_expiration, confmap::Duration::from_secs(300));
        assert!(d.add_metric_suffixes);
        assert_eq!(decode("{}").unwrap_err(), "endpoint must be specified");
        assert!(decode("{endpoint: x, const_labels: {'a-b': c}}").is_err());
        assert!(decode("{endpoint: x, tls: {}}").is_err());
    }
}
