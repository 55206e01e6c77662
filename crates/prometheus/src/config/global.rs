//! `global:`: the defaults every scrape config inherits (Prometheus' `GlobalConfig`).

use serde::Deserialize;

use super::byte_size::ByteSize;
use super::protocol::{ProtocolName, ScrapeProtocol, parse_protocols};
use crate::discovery::LabelSet;
use crate::duration::PromDuration;
use crate::relabel::NameValidation;

/// `global:` as written. Durations of `0` mean "not set", as in Prometheus.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GlobalConfig {
    pub scrape_interval: Option<PromDuration>,
    pub scrape_timeout: Option<PromDuration>,
    pub scrape_protocols: Option<Vec<ProtocolName>>,
    /// Accepted for compatibility; a receiver evaluates no rules.
    pub evaluation_interval: Option<PromDuration>,
    pub rule_query_offset: Option<PromDuration>,
    /// Accepted for compatibility; there is no query engine to log.
    pub query_log_file: String,
    pub scrape_failure_log_file: String,
    pub external_labels: LabelSet,
    pub body_size_limit: ByteSize,
    pub sample_limit: u64,
    pub target_limit: u64,
    pub label_limit: u64,
    pub label_name_length_limit: u64,
    pub label_value_length_limit: u64,
    pub keep_dropped_targets: u64,
    pub metric_name_validation_scheme: String,
    pub metric_name_escaping_scheme: String,
    pub scrape_native_histograms: Option<bool>,
    pub convert_classic_histograms_to_nhcb: bool,
    pub always_scrape_classic_histograms: bool,
    pub extra_scrape_metrics: Option<bool>,
}

/// `global:` after Prometheus' `GlobalConfig.UnmarshalYAML` defaults and checks.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedGlobal {
    pub scrape_interval: PromDuration,
    pub scrape_timeout: PromDuration,
    pub scrape_protocols: Option<Vec<ScrapeProtocol>>,
    pub external_labels: LabelSet,
    pub body_size_limit: ByteSize,
    pub sample_limit: u64,
    pub target_limit: u64,
    pub label_limit: u64,
    pub label_name_length_limit: u64,
    pub label_value_length_limit: u64,
    pub keep_dropped_targets: u64,
    pub scrape_failure_log_file: String,
    pub name_validation: NameValidation,
    /// Empty: derived from the validation scheme.
    pub name_escaping: String,
    pub scrape_native_histograms: bool,
    pub convert_classic_histograms_to_nhcb: bool,
    pub always_scrape_classic_histograms: bool,
    pub extra_scrape_metrics: bool,
}

/// Prometheus' default `scrape_interval`.
pub const DEFAULT_SCRAPE_INTERVAL: PromDuration = PromDuration(std::time::Duration::from_secs(60));
/// Prometheus' default `scrape_timeout` (capped at the interval).
pub const DEFAULT_SCRAPE_TIMEOUT: PromDuration = PromDuration(std::time::Duration::from_secs(10));

/// A duration that is unset when absent or `0`.
pub(super) fn set(d: Option<PromDuration>) -> Option<PromDuration> {
    d.filter(|d| !d.0.is_zero())
}

/// `metric_name_validation_scheme`: `""` means "inherit" (`None`).
pub(super) fn validation_scheme(s: &str) -> Option<Option<NameValidation>> {
    match s {
        "" => Some(None),
        "utf8" => Some(Some(NameValidation::Utf8)),
        "legacy" => Some(Some(NameValidation::Legacy)),
        _ => None,
    }
}

/// The escaping schemes Prometheus knows (`model.AllowUTF8`, ...).
pub(super) const ESCAPING_SCHEMES: [&str; 4] = ["allow-utf-8", "underscores", "dots", "values"];

impl GlobalConfig {
    pub fn resolve(&self) -> Result<ResolvedGlobal, String> {
        // An unknown validation scheme falls back to the default (UTF-8), as Prometheus does
        // for `global`.
        let name_validation = validation_scheme(&self.metric_name_validation_scheme)
            .flatten()
            .unwrap_or(NameValidation::Utf8);
        for (name, value) in &self.external_labels {
            if !name_validation.is_valid_label_name(name) {
                return Err(format!("{name:?} is not a valid label name"));
            }
            // Rust strings are always valid UTF-8, so `LabelValue.IsValid` cannot fail.
            let _ = value;
        }
        let scrape_interval = set(self.scrape_interval).unwrap_or(DEFAULT_SCRAPE_INTERVAL);
        let timeout = set(self.scrape_timeout);
        if timeout.is_some_and(|t| t > scrape_interval) {
            return Err("global scrape timeout greater than scrape interval".to_string());
        }
        let scrape_timeout = timeout.unwrap_or(DEFAULT_SCRAPE_TIMEOUT.min(scrape_interval));
        let scrape_protocols = match &self.scrape_protocols {
            Some(names) => {
                Some(parse_protocols(names).map_err(|e| format!("{e} for global config"))?)
            }
            None => None,
        };
        let esc = self.metric_name_escaping_scheme.as_str();
        if !esc.is_empty() && !ESCAPING_SCHEMES.contains(&esc) {
            return Err(format!(
                "unknown global name escaping method specified, must be one of 'allow-utf-8', 'underscores', 'dots', or 'values', got {esc:?}"
            ));
        }
        Ok(ResolvedGlobal {
            scrape_interval,
            scrape_timeout,
            scrape_protocols,
            external_labels: self.external_labels.clone(),
            body_size_limit: self.body_size_limit,
            sample_limit: self.sample_limit,
            target_limit: self.target_limit,
            label_limit: self.label_limit,
            label_name_length_limit: self.label_name_length_limit,
            label_value_length_limit: self.label_value_length_limit,
            keep_dropped_targets: self.keep_dropped_targets,
            scrape_failure_log_file: self.scrape_failure_log_file.clone(),
            name_validation,
            name_escaping: esc.to_string(),
            scrape_native_histograms: self.scrape_native_histograms.unwrap_or(false),
            convert_classic_histograms_to_nhcb: self.convert_classic_histograms_to_nhcb,
            always_scrape_classic_histograms: self.always_scrape_classic_histograms,
            extra_scrape_metrics: self.extra_scrape_metrics.unwrap_or(false),
        })
    }
}
