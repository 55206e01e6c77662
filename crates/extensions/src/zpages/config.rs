//! `zpages` configuration: upstream's keys and defaults (core
//! `extension/zpagesextension/config.go` and `factory.go`, on top of confighttp's
//! `ServerConfig`).

use std::collections::BTreeMap;

use component::ComponentConfig;
use confmap::Duration;
use serde::Deserialize;
use serde::de::IgnoredAny;

/// Where and how the pages are served.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ZpagesConfig {
    /// `host:port` to listen on; `:port` listens on every interface.
    pub endpoint: String,
    /// confignet's transport: `tcp`, `tcp4` or `tcp6`.
    pub transport: String,
    /// confignet's dialer settings: accepted, a server dials nothing.
    pub dialer: DialerConfig,
    /// Serve HTTPS with these certificates.
    pub tls: Option<helpers::tls::TlsServerConfig>,
    /// `/debug/expvarz`: upstream serves Go's expvar variables there.
    pub expvar: ExpvarConfig,
    /// Headers added to every response (confighttp `response_headers`).
    pub response_headers: BTreeMap<String, String>,
    /// confighttp timeouts. `read_header_timeout` bounds how long a client may take to send its
    /// request head; the others are accepted for compatibility (a page is rendered in memory
    /// and written at once).
    pub read_timeout: Option<Duration>,
    pub read_header_timeout: Duration,
    pub write_timeout: Duration,
    pub idle_timeout: Duration,
    pub keep_alives_enabled: bool,
    /// Accepted because confighttp accepts them; they change nothing for GET-only pages.
    pub max_request_body_size: i64,
    pub include_metadata: bool,
    pub compression_algorithms: Option<Vec<String>>,
    /// confighttp features ferrocol's zpages does not implement: present → rejected.
    pub cors: Option<IgnoredAny>,
    pub auth: Option<IgnoredAny>,
    pub middlewares: Option<IgnoredAny>,
}

/// `dialer:` of `confignet.AddrConfig`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DialerConfig {
    pub timeout: Duration,
}

/// `expvar:`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct ExpvarConfig {
    /// Serve `/debug/expvarz`. ferrocol has no Go runtime, so the document holds what applies
    /// to any process: `cmdline`.
    pub enabled: bool,
}

impl Default for ZpagesConfig {
    fn default() -> Self {
        ZpagesConfig {
            endpoint: "localhost:55679".to_string(),
            transport: "tcp".to_string(),
            dialer: DialerConfig::default(),
            tls: None,
            expvar: ExpvarConfig::default(),
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

impl ComponentConfig for ZpagesConfig {
    fn validate(&self) -> Result<(), String> {
        // Upstream's message.
        if self.endpoint.is_empty() {
            return Err("\"endpoint\" is required when using the \"zpages\" extension".into());
        }
        if !matches!(self.transport.as_str(), "tcp" | "tcp4" | "tcp6") {
            return Err(format!(
                "unsupported transport {:?}: zpages serves HTTP over tcp, tcp4 or tcp6",
                self.transport
            ));
        }
        if let Some(tls) = &self.tls {
            tls.validate().map_err(|e| format!("tls: {e}"))?;
        }
        for (name, value) in &self.response_headers {
            http::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("response_headers: invalid header name {name:?}"))?;
            http::HeaderValue::from_str(value)
                .map_err(|_| format!("response_headers: invalid value for {name:?}"))?;
        }
        for (key, present) in [
            ("cors", self.cors.is_some()),
            ("auth", self.auth.is_some()),
            ("middlewares", self.middlewares.is_some()),
        ] {
            if present {
                return Err(format!("'{key}' is not supported by ferrocol's zpages"));
            }
        }
        Ok(())
    }
}
