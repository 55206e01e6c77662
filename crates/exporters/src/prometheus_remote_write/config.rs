//! `prometheus_remote_write` configuration: contrib `prometheusremotewriteexporter.Config`
//! (v0.115, plus the newer `translation_strategy`) with upstream's defaults
//! (`factory.go createDefaultConfig`) and validation messages (`config.go Validate`).

use std::collections::BTreeMap;
use std::time::Duration;

use component::ComponentConfig;
use confmap::Optional;
use helpers::RetryConfig;
use helpers::tls::TlsClientConfig;
use prometheus::naming::{TranslationStrategy, normalize_label};
use serde::Deserialize;

use crate::shared::otlp::{AuthConfig, Headers, validate_extension_refs};

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct PrometheusRemoteWriteConfig {
    /// The remote-write URL, e.g. `https://aps-workspaces.<region>.amazonaws.com/workspaces/<id>/api/v1/remote_write`.
    pub endpoint: String,
    pub tls: TlsClientConfig,
    /// Added to every request (they cannot replace the remote-write headers).
    pub headers: Headers,
    /// Bounds each HTTP request, response included (default 5s).
    pub timeout: confmap::Duration,
    /// A client authenticator extension (`basicauth`, `bearertokenauth`, `sigv4auth`).
    pub auth: Optional<AuthConfig>,
    /// Go's connection buffers: hyper sizes its own, so accepted without effect.
    pub read_buffer_size: i64,
    pub write_buffer_size: i64,
    /// Idle connections kept per host (0 = 100) and how long (default 90s; 0 = forever).
    pub max_idle_conns: i64,
    pub max_idle_conns_per_host: i64,
    pub idle_conn_timeout: confmap::Duration,
    /// Retries of each request: 5xx, 429 (waiting at least its `Retry-After`) and transport
    /// errors; other statuses are permanent. `initial_interval` defaults to 50ms here.
    pub retry_on_failure: RetryConfig,
    pub namespace: String,
    /// Added to every series that has no label of that name.
    pub external_labels: BTreeMap<String, String>,
    pub resource_to_telemetry_conversion: EnabledFlag,
    pub target_info: EnabledFlag,
    /// Deprecated upstream (v0.115): a `<name>_created` series for counters, histograms and
    /// summaries that have a start time.
    pub export_created_metric: EnabledFlag,
    /// Deprecated upstream in favour of `translation_strategy`, which wins when set.
    pub add_metric_suffixes: bool,
    pub translation_strategy: Option<TranslationStrategy>,
    /// Sends `MetricMetadata` (type, help, unit) in requests of their own after the series.
    pub send_metadata: bool,
    /// The largest uncompressed request body; 0 means the default (3000000).
    pub max_batch_size_bytes: i64,
    pub remote_write_queue: RemoteWriteQueue,
    /// A write-ahead log under `wal.directory`: translated requests are stored before they are
    /// sent and survive a restart.
    pub wal: Optional<WalConfig>,
}

/// `{enabled: bool}` sections.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct EnabledFlag {
    pub enabled: bool,
}

impl EnabledFlag {
    const fn new(enabled: bool) -> Self {
        EnabledFlag { enabled }
    }
}

impl Default for EnabledFlag {
    fn default() -> Self {
        EnabledFlag::new(false)
    }
}

/// `remote_write_queue:` — the exporter's queue (one consumer, as upstream) and how many
/// requests of one batch are sent at once (`num_consumers`).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct RemoteWriteQueue {
    pub enabled: bool,
    pub queue_size: i64,
    pub num_consumers: i64,
}

impl Default for RemoteWriteQueue {
    fn default() -> Self {
        RemoteWriteQueue {
            enabled: true,
            queue_size: 10000,
            num_consumers: 5,
        }
    }
}

/// `wal:`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct WalConfig {
    pub directory: String,
    /// Requests read from the log and sent per round (default 300).
    pub buffer_size: i64,
    /// How often sent requests are cut from the front of the log (default 1m).
    pub truncate_frequency: confmap::Duration,
}

impl Default for WalConfig {
    fn default() -> Self {
        WalConfig {
            directory: String::new(),
            buffer_size: 300,
            truncate_frequency: confmap::Duration::from_secs(60),
        }
    }
}

/// Upstream `maxBatchByteSize`.
pub const DEFAULT_MAX_BATCH_SIZE_BYTES: i64 = 3_000_000;

impl Default for PrometheusRemoteWriteConfig {
    fn default() -> Self {
        PrometheusRemoteWriteConfig {
            endpoint: "http://some.url:9411/api/prom/push".into(),
            tls: TlsClientConfig::default(),
            headers: Headers::default(),
            timeout: confmap::Duration::from_secs(5),
            auth: Optional::none(),
            read_buffer_size: 0,
            write_buffer_size: 512 * 1024,
            max_idle_conns: 100,
            max_idle_conns_per_host: 0,
            idle_conn_timeout: confmap::Duration::from_secs(90),
            retry_on_failure: RetryConfig {
                initial_interval: confmap::Duration::from_std(Duration::from_millis(50)),
                ..RetryConfig::default()
            },
            namespace: String::new(),
            external_labels: BTreeMap::new(),
            resource_to_telemetry_conversion: EnabledFlag::new(false),
            target_info: EnabledFlag::new(true),
            export_created_metric: EnabledFlag::new(false),
            add_metric_suffixes: true,
            translation_strategy: None,
            send_metadata: false,
            max_batch_size_bytes: DEFAULT_MAX_BATCH_SIZE_BYTES,
            remote_write_queue: RemoteWriteQueue::default(),
            wal: Optional::none(),
        }
    }
}

impl PrometheusRemoteWriteConfig {
    /// The naming strategy: `translation_strategy` when set, else what `add_metric_suffixes`
    /// implies.
    pub fn strategy(&self) -> TranslationStrategy {
        match self.translation_strategy {
            Some(s) => s,
            None if self.add_metric_suffixes => TranslationStrategy::UnderscoreEscapingWithSuffixes,
            None => TranslationStrategy::UnderscoreEscapingWithoutSuffixes,
        }
    }

    /// `max_batch_size_bytes`, 0 meaning the default.
    pub fn max_batch_bytes(&self) -> usize {
        match self.max_batch_size_bytes {
            0 => DEFAULT_MAX_BATCH_SIZE_BYTES as usize,
            n => usize::try_from(n).unwrap_or(usize::MAX),
        }
    }

    /// External labels with normalised names, sorted (upstream
    /// `validateAndSanitizeExternalLabels`).
    pub fn sanitized_external_labels(&self) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = self
            .external_labels
            .iter()
            .map(|(k, v)| (normalize_label(k), v.clone()))
            .collect();
        v.sort();
        v.dedup_by(|a, b| a.0 == b.0);
        v
    }

    /// How many requests of one batch are sent at once.
    pub fn concurrency(&self) -> usize {
        usize::try_from(self.remote_write_queue.num_consumers)
            .unwrap_or(1)
            .max(1)
    }

    pub fn endpoint_uri(&self) -> Result<http::Uri, String> {
        let uri: http::Uri = self
            .endpoint
            .parse()
            .map_err(|_| "invalid endpoint".to_string())?;
        match uri.scheme_str() {
            Some("http") | Some("https") if uri.authority().is_some() => Ok(uri),
            _ => Err("invalid endpoint".into()),
        }
    }
}

impl ComponentConfig for PrometheusRemoteWriteConfig {
    fn validate(&self) -> Result<(), String> {
        let q = &self.remote_write_queue;
        if q.queue_size < 0 {
            return Err("remote write queue size can't be negative".into());
        }
        if q.enabled && q.queue_size == 0 {
            return Err("a 0 size queue will drop all the data".into());
        }
        if q.num_consumers < 0 {
            return Err("remote write consumer number can't be negative".into());
        }
        if self.max_batch_size_bytes < 0 {
            return Err("max_batch_byte_size must be greater than 0".into());
        }
        for (k, v) in &self.external_labels {
            if k.is_empty() || v.is_empty() {
                return Err("prometheus remote write: external labels configuration contains an empty key or value".into());
            }
        }
        if self.timeout.is_negative() {
            return Err("'timeout' must be non-negative".into());
        }
        self.retry_on_failure.validate_at("retry_on_failure")?;
        self.tls.validate().map_err(|e| format!("tls: {e}"))?;
        self.headers
            .validate()
            .map_err(|e| format!("headers: {e}"))?;
        for (name, value) in self.headers.iter() {
            http::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("headers: invalid header name {name:?}"))?;
            http::HeaderValue::from_str(value)
                .map_err(|_| format!("headers: invalid value for {name:?}"))?;
        }
        validate_extension_refs(self.auth.get(), &[])?;
        if let Some(wal) = self.wal.get() {
            if wal.directory.is_empty() {
                return Err("wal: directory must be set".into());
            }
            if wal.buffer_size <= 0 {
                return Err("wal: buffer_size must be greater than 0".into());
            }
            if wal.truncate_frequency.is_negative() || wal.truncate_frequency.as_nanos() == 0 {
                return Err("wal: truncate_frequency must be greater than 0".into());
            }
        }
        self.endpoint_uri()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(yaml: &str) -> Result<PrometheusRemoteWriteConfig, String> {
        let node = confmap::parse_yaml(yaml).unwrap();
        component::config::decode_typed::<PrometheusRemoteWriteConfig>(node.as_ref())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_are_upstreams() {
        let c = PrometheusRemoteWriteConfig::default();
        assert_eq!(c.timeout, confmap::Duration::from_secs(5));
        assert_eq!(
            c.retry_on_failure.initial_interval.to_std_saturating(),
            Duration::from_millis(50)
        );
        assert_eq!(
            c.remote_write_queue,
            RemoteWriteQueue {
                enabled: true,
                queue_size: 10000,
                num_consumers: 5
            }
        );
        assert!(c.target_info.enabled);
        assert!(c.add_metric_suffixes);
        assert!(!c.send_metadata);
        assert_eq!(c.max_batch_bytes(), 3_000_000);
        assert_eq!(
            c.strategy(),
            TranslationStrategy::UnderscoreEscapingWithSuffixes
        );
        let w = WalConfig::default();
        assert_eq!(
            (w.buffer_size, w.truncate_frequency),
            (300, confmap::Duration::from_secs(60))
        );
    }

    #[test]
    fn every_key_decodes() {
        let c = decode(
            r#"
endpoint: https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write
tls: {insecure_skip_verify: true}
headers: {x-scope-orgid: tenant}
timeout: 10s
auth: {authenticator: sigv4auth}
namespace: ns
external_labels: {cluster: c1, "collector.id": a}
resource_to_telemetry_conversion: {enabled: true}
target_info: {enabled: false}
export_created_metric: {enabled: true}
add_metric_suffixes: false
translation_strategy: NoUTF8EscapingWithSuffixes
send_metadata: true
max_batch_size_bytes: 1000
remote_write_queue: {enabled: true, queue_size: 5, num_consumers: 2}
retry_on_failure: {enabled: true, initial_interval: 1s}
wal: {directory: /tmp/x, buffer_size: 10, truncate_frequency: 30s}
"#,
        )
        .unwrap();
        assert_eq!(
            c.strategy(),
            TranslationStrategy::NoUTF8EscapingWithSuffixes
        );
        assert_eq!(
            c.sanitized_external_labels(),
            vec![
                ("cluster".into(), "c1".into()),
                ("collector_id".into(), "a".into())
            ]
        );
        assert_eq!(c.concurrency(), 2);
        assert_eq!(c.wal.get().unwrap().buffer_size, 10);
        let c = decode("{endpoint: 'http://x/y', add_metric_suffixes: false}").unwrap();
        assert_eq!(
            c.strategy(),
            TranslationStrategy::UnderscoreEscapingWithoutSuffixes
        );
    }

    #[test]
    fn invalid_configs_say_why_as_upstream() {
        let err = |y: &str| decode(y).unwrap_err();
        assert_eq!(
            err("{remote_write_queue: {queue_size: 0}}"),
            "a 0 size queue will drop all the data"
        );
        assert_eq!(
            err("{remote_write_queue: {queue_size: -1}}"),
            "remote write queue size can't be negative"
        );
        assert_eq!(
            err("{remote_write_queue: {num_consumers: -1}}"),
            "remote write consumer number can't be negative"
        );
        assert_eq!(
            err("{max_batch_size_bytes: -1}"),
            "max_batch_byte_size must be greater than 0"
        );
        assert_eq!(
            err("{external_labels: {a: ''}}"),
            "prometheus remote write: external labels configuration contains an empty key or value"
        );
        assert_eq!(err("{endpoint: 'not a url'}"), "invalid endpoint");
        assert_eq!(err("{wal: {buffer_size: 3}}"), "wal: directory must be set");
        assert!(err("{translation_strategy: Bogus}").contains("Bogus"));
        assert!(err("{nope: 1}").contains("nope"));
        // A disabled queue may have size 0.
        decode("{remote_write_queue: {enabled: false, queue_size: 0}}").unwrap();
        assert_eq!(
            decode("{max_batch_size_bytes: 0}")
                .unwrap()
                .max_batch_bytes(),
            3_000_000
        );
    }
}
