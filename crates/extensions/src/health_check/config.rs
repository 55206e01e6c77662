//! `health_check` configuration: upstream's keys and defaults
//! (contrib `extension/healthcheckextension/config.go` and `factory.go`, on top of confighttp's
//! `ServerConfig`).

use std::collections::BTreeMap;

use component::ComponentConfig;
use confmap::Duration;
use serde::Deserialize;
use serde::de::IgnoredAny;

/// Where and how the health endpoint is served.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HealthCheckConfig {
    /// `host:port` to listen on.
    pub endpoint: String,
    /// confignet's transport; only `tcp` makes sense for an HTTP server.
    pub transport: String,
    /// Serve HTTPS with these certificates.
    pub tls: Option<helpers::tls::TlsServerConfig>,
    /// The path answered; a path ending in `/` answers its whole subtree, as Go's `ServeMux`.
    pub path: String,
    /// Static bodies replacing the JSON status document.
    pub response_body: Option<ResponseBody>,
    /// Parsed for compatibility and ignored: upstream documents it as not working.
    pub check_collector_pipeline: CheckCollectorPipeline,
    /// Headers added to every response (confighttp `response_headers`).
    pub response_headers: BTreeMap<String, String>,
    /// confighttp timeouts. `read_header_timeout` bounds how long a client may take to send its
    /// request head; the others are accepted for compatibility (a health response is a few
    /// bytes written at once, so they have nothing to bound).
    pub read_timeout: Option<Duration>,
    pub read_header_timeout: Duration,
    pub write_timeout: Duration,
    pub idle_timeout: Duration,
    pub keep_alives_enabled: bool,
    /// Accepted because confighttp accepts them; they do not change a GET-only health endpoint.
    pub max_request_body_size: i64,
    pub include_metadata: bool,
    pub compression_algorithms: Option<Vec<String>>,
    /// confighttp features ferrocol's health endpoint does not implement: present → rejected.
    pub cors: Option<IgnoredAny>,
    pub auth: Option<IgnoredAny>,
    pub middlewares: Option<IgnoredAny>,
}

/// `response_body`: what to answer instead of the JSON document.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct ResponseBody {
    pub healthy: String,
    pub unhealthy: String,
}

/// `check_collector_pipeline`: kept so that existing configurations load.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CheckCollectorPipeline {
    pub enabled: bool,
    pub interval: Duration,
    pub exporter_failure_threshold: i64,
}

impl Default for CheckCollectorPipeline {
    fn default() -> Self {
        CheckCollectorPipeline {
            enabled: false,
            interval: Duration::from_std(std::time::Duration::from_secs(300)),
            exporter_failure_threshold: 5,
        }
    }
}

impl Default for HealthCheckConfig {
    fn default() -> Self {
        HealthCheckConfig {
            endpoint: "localhost:13133".to_string(),
            transport: "tcp".to_string(),
            tls: None,
            path: "/".to_string(),
            response_body: None,
            check_collector_pipeline: CheckCollectorPipeline::default(),
            response_headers: BTreeMap::new(),
            read_timeout: None,
            // confighttp.NewDefaultServerConfig.
            read_header_timeout: Duration::from_std(std::time::Duration::from_secs(60)),
            write_timeout: Duration::from_std(std::time::Duration::from_secs(30)),
            idle_timeout: Duration::from_std(std::time::Duration::from_secs(60)),
            keep_alives_enabled: true,
            max_request_body_size: 0,
            include_metadata: false,
            compression_algorithms: None,
            cors: None,
            auth: None,
            middlewares: None,
        }
    }
}

impl ComponentConfig for HealthCheckConfig {
    fn validate(&self) -> Result<(), String> {
        // Upstream's messages, in upstream's order.
        if self.endpoint.is_empty() {
            return Err("bad config: endpoint must be specified".into());
        }
        if self.check_collector_pipeline.exporter_failure_threshold <= 0 {
            return Err("bad config: exporter_failure_threshold expects a positive number".into());
        }
        if !self.path.starts_with('/') {
            return Err("bad config: path must start with /".into());
        }
        if self.transport != "tcp" {
            return Err(format!(
                "unsupported transport {:?}: the health check serves HTTP over tcp",
                self.transport
            ));
        }
        for (key, present) in [
            ("cors", self.cors.is_some()),
            ("auth", self.auth.is_some()),
            ("middlewares", self.middlewares.is_some()),
        ] {
            if present {
                return Err(format!(
                    "'{key}' is not supported by ferrocol's health_check"
                ));
            }
        }
        Ok(())
    }
}
