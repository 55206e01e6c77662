//! One `scrape_configs` entry: the YAML shape ([`ScrapeConfig`]) and what it means once the
//! `global` defaults are applied and Prometheus' checks pass ([`ScrapeJob`]).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::byte_size::ByteSize;
use super::global::{ESCAPING_SCHEMES, ResolvedGlobal, set, validation_scheme};
use super::protocol::{
    DEFAULT_SCRAPE_PROTOCOLS, PROTO_FIRST_SCRAPE_PROTOCOLS, ProtocolName, ScrapeProtocol,
    parse_protocols,
};
use crate::discovery::LabelSet;
use crate::discovery::file::FileSdConfig;
use crate::discovery::http_client::{HttpClientConfig, default_true};
use crate::discovery::kubernetes::KubernetesSdConfig;
use crate::discovery::static_config::StaticConfig;
use crate::discovery::{Discoverer, TargetDefaults};
use crate::duration::PromDuration;
use crate::relabel::{NameValidation, RawRelabelConfig, RelabelConfig};
use crate::scrape::oauth2::OAuth2;
use crate::scrape::proxy::{ProxySettings, validate_proxy_config};

fn default_metrics_path() -> String {
    "/metrics".to_string()
}

fn default_scheme() -> String {
    "http".to_string()
}

/// One entry of `http_headers` (prometheus/common `Header`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpHeader {
    pub values: Vec<String>,
    pub secrets: Vec<String>,
    pub files: Vec<String>,
}

/// Service discovery mechanisms Prometheus has and ferrocol does not (yet): named so that a
/// config using one fails with a clear message instead of "invalid keys".
const UNSUPPORTED_SD: [&str; 12] = [
    "ec2_sd_configs",
    "aws_sd_configs",
    "lightsail_sd_configs",
    "http_sd_configs",
    "dns_sd_configs",
    "consul_sd_configs",
    "azure_sd_configs",
    "gce_sd_configs",
    "docker_sd_configs",
    "dockerswarm_sd_configs",
    "eureka_sd_configs",
    "openstack_sd_configs",
];

crate::with_http_client_fields! {
    /// A `scrape_configs` entry as written. Settings that inherit from `global` are `None` (or
    /// `0`) when not given.
    #[derive(Debug, Clone, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct ScrapeConfig {
        #[serde(default)]
        pub job_name: String,
        #[serde(default)]
        pub honor_labels: bool,
        #[serde(default = "default_true")]
        pub honor_timestamps: bool,
        #[serde(default)]
        pub track_timestamps_staleness: bool,
        #[serde(default)]
        pub params: BTreeMap<String, Vec<String>>,
        #[serde(default)]
        pub scrape_interval: Option<PromDuration>,
        #[serde(default)]
        pub scrape_timeout: Option<PromDuration>,
        #[serde(default)]
        pub scrape_protocols: Option<Vec<ProtocolName>>,
        #[serde(default)]
        pub fallback_scrape_protocol: Option<ProtocolName>,
        #[serde(default)]
        pub scrape_native_histograms: Option<bool>,
        #[serde(default)]
        pub always_scrape_classic_histograms: Option<bool>,
        #[serde(default)]
        pub convert_classic_histograms_to_nhcb: Option<bool>,
        #[serde(default)]
        pub scrape_failure_log_file: String,
        #[serde(default = "default_metrics_path")]
        pub metrics_path: String,
        #[serde(default = "default_scheme")]
        pub scheme: String,
        #[serde(default = "default_true")]
        pub enable_compression: bool,
        #[serde(default)]
        pub body_size_limit: ByteSize,
        #[serde(default)]
        pub sample_limit: u64,
        #[serde(default)]
        pub target_limit: u64,
        #[serde(default)]
        pub label_limit: u64,
        #[serde(default)]
        pub label_name_length_limit: u64,
        #[serde(default)]
        pub label_value_length_limit: u64,
        #[serde(default)]
        pub native_histogram_bucket_limit: u64,
        #[serde(default)]
        pub native_histogram_min_bucket_factor: f64,
        #[serde(default)]
        pub keep_dropped_targets: u64,
        #[serde(default)]
        pub metric_name_validation_scheme: String,
        #[serde(default)]
        pub metric_name_escaping_scheme: String,
        #[serde(default)]
        pub extra_scrape_metrics: Option<bool>,
        // HTTP client settings the shared struct does not carry: they only concern scraping.
        #[serde(default)]
        pub proxy_url: String,
        #[serde(default)]
        pub no_proxy: String,
        #[serde(default)]
        pub proxy_from_environment: bool,
        #[serde(default)]
        pub proxy_connect_header: BTreeMap<String, Vec<String>>,
        #[serde(default)]
        pub http_headers: BTreeMap<String, HttpHeader>,
        #[serde(default)]
        pub oauth2: Option<OAuth2>,
        // Service discovery.
        #[serde(default)]
        pub static_configs: Vec<StaticConfig>,
        #[serde(default)]
        pub file_sd_configs: Vec<FileSdConfig>,
        #[serde(default)]
        pub kubernetes_sd_configs: Vec<KubernetesSdConfig>,
        #[serde(default)]
        pub ec2_sd_configs: Option<IgnoredAny>,
        #[serde(default)]
        pub aws_sd_configs: Option<IgnoredAny>,
        #[serde(default)]
        pub lightsail_sd_configs: Option<IgnoredAny>,
        #[serde(default)]
        pub http_sd_configs: Option<IgnoredAny>,
        #[serde(default)]
        pub dns_sd_configs: Option<IgnoredAny>,
        #[serde(default)]
        pub consul_sd_configs: Option<IgnoredAny>,
        #[serde(default)]
        pub azure_sd_configs: Option<IgnoredAny>,
        #[serde(default)]
        pub gce_sd_configs: Option<IgnoredAny>,
        #[serde(default)]
        pub docker_sd_configs: Option<IgnoredAny>,
        #[serde(default)]
        pub dockerswarm_sd_configs: Option<IgnoredAny>,
        #[serde(default)]
        pub eureka_sd_configs: Option<IgnoredAny>,
        #[serde(default)]
        pub openstack_sd_configs: Option<IgnoredAny>,
        // Relabelling; a null rule is an error, as in Prometheus.
        #[serde(default)]
        pub relabel_configs: Vec<Option<RawRelabelConfig>>,
        #[serde(default)]
        pub metric_relabel_configs: Vec<Option<RawRelabelConfig>>,
    }
}

/// A scrape config with every default applied and every check passed: what the scrape
/// manager runs.
#[derive(Debug, Clone)]
pub struct ScrapeJob {
    pub job_name: String,
    pub honor_labels: bool,
    pub honor_timestamps: bool,
    pub track_timestamps_staleness: bool,
    pub params: Vec<(String, Vec<String>)>,
    pub scrape_interval: PromDuration,
    pub scrape_timeout: PromDuration,
    pub scrape_protocols: Vec<ScrapeProtocol>,
    /// What a body with a missing or unknown `Content-Type` is parsed as. The receiver
    /// defaults it to `PrometheusText0.0.4` (Prometheus 3 itself would fail the scrape).
    pub fallback_scrape_protocol: ScrapeProtocol,
    pub metrics_path: String,
    pub scheme: String,
    pub enable_compression: bool,
    /// Bytes; 0 = no limit.
    pub body_size_limit: u64,
    pub sample_limit: u64,
    pub target_limit: u64,
    pub label_limit: u64,
    pub label_name_length_limit: u64,
    pub label_value_length_limit: u64,
    pub keep_dropped_targets: u64,
    pub name_validation: NameValidation,
    /// The `escaping=` value of the `Accept` header.
    pub name_escaping: String,
    pub extra_scrape_metrics: bool,
    pub http_client: HttpClientConfig,
    /// The client-credentials grant whose token the scrapes carry.
    pub oauth2: Option<OAuth2>,
    /// `proxy_url` with `no_proxy` and `proxy_connect_header`.
    pub proxy: Option<ProxySettings>,
    pub http_headers: BTreeMap<String, HttpHeader>,
    pub static_configs: Vec<StaticConfig>,
    pub file_sd_configs: Vec<FileSdConfig>,
    pub kubernetes_sd_configs: Vec<KubernetesSdConfig>,
    pub relabel_configs: Vec<RelabelConfig>,
    pub metric_relabel_configs: Vec<RelabelConfig>,
    /// `global.external_labels`, added to every sample the job scrapes.
    pub external_labels: LabelSet,
}

/// Headers the scrape client sets itself (prometheus/common `reservedHeaders`).
const RESERVED_HEADERS: [&str; 11] = [
    "authorization",
    "host",
    "content-encoding",
    "content-length",
    "content-type",
    "user-agent",
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "www-authenticate",
];

impl ScrapeConfig {
    /// Prometheus' `ScrapeConfig.UnmarshalYAML` checks and `Validate(global)`, in its order,
    /// plus the settings ferrocol refuses.
    pub fn resolve(&self, global: &ResolvedGlobal) -> Result<ScrapeJob, String> {
        let job = &self.job_name;
        if job.is_empty() {
            return Err("job_name is empty".to_string());
        }
        let http_client = self.http_client_config();
        http_client.validate()?;
        crate::scrape::oauth2::validate(&http_client, self.oauth2.as_ref())?;
        for name in UNSUPPORTED_SD {
            if self.unsupported_sd(name) {
                return Err(format!(
                    "{name} is not supported by ferrocol yet (scrape config with job name {job:?}); supported: static_configs, file_sd_configs, kubernetes_sd_configs"
                ));
            }
        }
        if self.relabel_configs.is_empty() {
            for sc in &self.static_configs {
                sc.validate()?;
            }
        } else {
            for sc in &self.static_configs {
                crate::discovery::validate_label_set(&sc.labels)?;
            }
        }
        for c in &self.file_sd_configs {
            c.validate()?;
        }
        for c in &self.kubernetes_sd_configs {
            c.validate()?;
        }
        if self.relabel_configs.iter().any(Option::is_none) {
            return Err("empty or null target relabeling rule in scrape config".to_string());
        }
        if self.metric_relabel_configs.iter().any(Option::is_none) {
            return Err("empty or null metric relabeling rule in scrape config".to_string());
        }
        self.check_proxy_and_headers()?;

        let scrape_interval = set(self.scrape_interval).unwrap_or(global.scrape_interval);
        let timeout = set(self.scrape_timeout);
        if timeout.is_some_and(|t| t > scrape_interval) {
            return Err(format!(
                "scrape timeout greater than scrape interval for scrape config with job name {job:?}"
            ));
        }
        let scrape_timeout = timeout.unwrap_or(global.scrape_timeout.min(scrape_interval));
        let or_global = |v: u64, g: u64| if v == 0 { g } else { v };
        let native = self
            .scrape_native_histograms
            .unwrap_or(global.scrape_native_histograms);
        let scrape_protocols = match (&self.scrape_protocols, &global.scrape_protocols) {
            (Some(names), _) => parse_protocols(names),
            (None, Some(g)) => Ok(g.clone()),
            (None, None) if native => Ok(PROTO_FIRST_SCRAPE_PROTOCOLS.to_vec()),
            (None, None) => Ok(DEFAULT_SCRAPE_PROTOCOLS.to_vec()),
        }
        .map_err(|e| format!("{e} for scrape config with job name {job:?}"))?;
        let fallback = match &self.fallback_scrape_protocol {
            Some(name) if !name.0.is_empty() => ScrapeProtocol::parse(&name.0).map_err(|e| {
                format!(
                    "invalid fallback_scrape_protocol for scrape config with job name {job:?}: {e}"
                )
            })?,
            _ => ScrapeProtocol::PrometheusText004,
        };
        let local_validation = validation_scheme(&self.metric_name_validation_scheme)
            .ok_or_else(|| {
                format!(
                    "unknown scrape config name validation method specified, must be either '', 'legacy' or 'utf8', got {}",
                    self.metric_name_validation_scheme
                )
            })?;
        let name_validation = local_validation.unwrap_or(global.name_validation);
        let global_escaping = match global.name_escaping.as_str() {
            "" if global.name_validation == NameValidation::Legacy => "underscores",
            "" => "allow-utf-8",
            other => other,
        };
        let name_escaping = match self.metric_name_escaping_scheme.as_str() {
            "" if local_validation.is_none() => global_escaping,
            "" if name_validation == NameValidation::Legacy => "underscores",
            "" => "allow-utf-8",
            other => other,
        }
        .to_string();
        if !ESCAPING_SCHEMES.contains(&name_escaping.as_str()) {
            return Err(format!(
                "unknown scrape config name escaping method specified, must be one of 'allow-utf-8', 'underscores', 'dots', or 'values', got {name_escaping:?}"
            ));
        }
        if name_escaping == "allow-utf-8" && name_validation != NameValidation::Utf8 {
            return Err(
                "utf8 metric names requested but validation scheme is not set to UTF8".to_string(),
            );
        }
        let relabel = |rules: &[Option<RawRelabelConfig>]| -> Result<Vec<RelabelConfig>, String> {
            rules
                .iter()
                .flatten()
                .map(|r| r.clone().into_config(name_validation).map_err(|e| e.0))
                .collect()
        };
        let relabel_configs = relabel(&self.relabel_configs)?;
        let metric_relabel_configs = relabel(&self.metric_relabel_configs)?;

        // What ferrocol cannot do yet is refused rather than silently ignored.
        if scrape_protocols.contains(&ScrapeProtocol::PrometheusProto)
            || fallback == ScrapeProtocol::PrometheusProto
        {
            return Err(format!(
                "the PrometheusProto scrape protocol (native histograms) is not supported by ferrocol yet (scrape config with job name {job:?})"
            ));
        }
        if self
            .convert_classic_histograms_to_nhcb
            .unwrap_or(global.convert_classic_histograms_to_nhcb)
        {
            return Err(format!(
                "convert_classic_histograms_to_nhcb is not supported by ferrocol yet (scrape config with job name {job:?})"
            ));
        }
        let failure_log = if self.scrape_failure_log_file.is_empty() {
            &global.scrape_failure_log_file
        } else {
            &self.scrape_failure_log_file
        };
        if !failure_log.is_empty() {
            return Err(format!(
                "scrape_failure_log_file is not supported by ferrocol yet (scrape config with job name {job:?}); scrape failures are logged by the collector"
            ));
        }

        Ok(ScrapeJob {
            job_name: job.clone(),
            honor_labels: self.honor_labels,
            honor_timestamps: self.honor_timestamps,
            track_timestamps_staleness: self.track_timestamps_staleness,
            params: self
                .params
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            scrape_interval,
            scrape_timeout,
            scrape_protocols,
            fallback_scrape_protocol: fallback,
            metrics_path: self.metrics_path.clone(),
            scheme: self.scheme.clone(),
            enable_compression: self.enable_compression,
            body_size_limit: or_global(self.body_size_limit.0, global.body_size_limit.0),
            sample_limit: or_global(self.sample_limit, global.sample_limit),
            target_limit: or_global(self.target_limit, global.target_limit),
            label_limit: or_global(self.label_limit, global.label_limit),
            label_name_length_limit: or_global(
                self.label_name_length_limit,
                global.label_name_length_limit,
            ),
            label_value_length_limit: or_global(
                self.label_value_length_limit,
                global.label_value_length_limit,
            ),
            keep_dropped_targets: or_global(self.keep_dropped_targets, global.keep_dropped_targets),
            name_validation,
            name_escaping,
            extra_scrape_metrics: self
                .extra_scrape_metrics
                .unwrap_or(global.extra_scrape_metrics),
            http_client,
            oauth2: self.oauth2.clone(),
            proxy: ProxySettings::new(&self.proxy_url, &self.no_proxy, &self.proxy_connect_header)?,
            http_headers: self.http_headers.clone(),
            static_configs: self.static_configs.clone(),
            file_sd_configs: self.file_sd_configs.clone(),
            kubernetes_sd_configs: self.kubernetes_sd_configs.clone(),
            relabel_configs,
            metric_relabel_configs,
            external_labels: global.external_labels.clone(),
        })
    }

    fn unsupported_sd(&self, name: &str) -> bool {
        let field = match name {
            "ec2_sd_configs" => &self.ec2_sd_configs,
            "aws_sd_configs" => &self.aws_sd_configs,
            "lightsail_sd_configs" => &self.lightsail_sd_configs,
            "http_sd_configs" => &self.http_sd_configs,
            "dns_sd_configs" => &self.dns_sd_configs,
            "consul_sd_configs" => &self.consul_sd_configs,
            "azure_sd_configs" => &self.azure_sd_configs,
            "gce_sd_configs" => &self.gce_sd_configs,
            "docker_sd_configs" => &self.docker_sd_configs,
            "dockerswarm_sd_configs" => &self.dockerswarm_sd_configs,
            "eureka_sd_configs" => &self.eureka_sd_configs,
            _ => &self.openstack_sd_configs,
        };
        field.is_some()
    }

    /// prometheus/common's proxy and header checks, plus the proxies ferrocol supports.
    fn check_proxy_and_headers(&self) -> Result<(), String> {
        validate_proxy_config(
            &self.proxy_url,
            &self.no_proxy,
            self.proxy_from_environment,
            &self.proxy_connect_header,
        )?;
        for name in self.http_headers.keys() {
            let lower = name.to_ascii_lowercase();
            if RESERVED_HEADERS.contains(&lower.as_str()) {
                return Err(format!(
                    "invalid http_headers: {name} is a reserved header. It must not be changed"
                ));
            }
            if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
                return Err(format!(
                    "invalid http_headers: invalid header name {name:?}"
                ));
            }
        }
        Ok(())
    }
}

impl ScrapeJob {
    /// What the job contributes to each discovered target before relabelling.
    pub fn target_defaults(&self) -> TargetDefaults {
        TargetDefaults {
            job_name: self.job_name.clone(),
            scrape_interval: self.scrape_interval,
            scrape_timeout: self.scrape_timeout,
            metrics_path: self.metrics_path.clone(),
            scheme: self.scheme.clone(),
            params: self.params.clone(),
        }
    }

    /// One discoverer per configured mechanism. A Kubernetes discoverer that cannot be
    /// created (no API server reachable by configuration) is logged and skipped, as
    /// Prometheus' discovery manager does; the job's other mechanisms still run.
    pub fn discoverers(&self) -> Vec<Box<dyn Discoverer>> {
        let mut out = Vec::new();
        if !self.static_configs.is_empty() {
            out.push(crate::discovery::static_config::discoverer(
                &self.static_configs,
            ));
        }
        for c in &self.file_sd_configs {
            out.push(c.discoverer());
        }
        for c in &self.kubernetes_sd_configs {
            match c.discoverer() {
                Ok(d) => out.push(d),
                Err(e) => tracing::error!(
                    job = %self.job_name,
                    error = %e,
                    "Cannot create service discovery (kubernetes_sd_configs)"
                ),
            }
        }
        out
    }

    /// The contrib receiver's file checks: `authorization.credentials_file` (which
    /// `bearer_token_file` becomes), `tls_config.cert_file` and `key_file` must exist.
    pub fn check_files(&self) -> Result<(), String> {
        check_client_files(&self.http_client)?;
        for k in &self.kubernetes_sd_configs {
            check_client_files(&k.http_client_config())?;
        }
        Ok(())
    }
}

fn check_client_files(c: &HttpClientConfig) -> Result<(), String> {
    let creds = c
        .authorization
        .as_ref()
        .map(|a| a.credentials_file.as_str())
        .filter(|f| !f.is_empty())
        .unwrap_or(c.bearer_token_file.as_str());
    check_file(creds)
        .map_err(|e| format!("error checking authorization credentials file {creds:?}: {e}"))?;
    let t = &c.tls_config;
    check_file(&t.cert_file)
        .map_err(|e| format!("error checking client cert file {:?}: {e}", t.cert_file))?;
    check_file(&t.key_file)
        .map_err(|e| format!("error checking client key file {:?}: {e}", t.key_file))?;
    Ok(())
}

/// Go's `os.Stat` error text.
fn check_file(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Ok(());
    }
    std::fs::metadata(path)
        .map(|_| ())
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => format!("stat {path}: no such file or directory"),
            std::io::ErrorKind::PermissionDenied => format!("stat {path}: permission denied"),
            _ => format!("stat {path}: {e}"),
        })
}
