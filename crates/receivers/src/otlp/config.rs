//! The `otlp` receiver's config: upstream's `otlpreceiver.Config` with `configgrpc.ServerConfig`
//! and `confighttp.ServerConfig`, same keys and defaults (collector-semantics.md §5).
//!
//! Keys our stack cannot honour exactly are accepted and mapped to the nearest real behaviour;
//! each says how next to its field.

use std::collections::BTreeMap;
use std::time::Duration;

use component::ComponentConfig;
use confmap::Optional;
use helpers::compression::{DEFAULT_SERVER_ALGORITHMS, Encoding};
use helpers::tls::TlsServerConfig;
use serde::Deserialize;

/// grpc-go's default maximum received message size, which upstream keeps when
/// `max_recv_msg_size_mib` is unset.
pub const DEFAULT_MAX_RECV_MSG_SIZE: usize = 4 * 1024 * 1024;
/// confighttp's default `max_request_body_size`.
pub const DEFAULT_MAX_REQUEST_BODY_SIZE: usize = 20 * 1024 * 1024;
/// grpc-go's server keepalive defaults (`keepalive.ServerParameters`): ping after two hours of
/// inactivity, wait 20 s for the answer.
const GRPC_KEEPALIVE_TIME: Duration = Duration::from_secs(2 * 60 * 60);
const GRPC_KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(20);

/// `receivers: otlp:`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct OtlpReceiverConfig {
    pub protocols: Protocols,
}

/// `protocols:` — a protocol is served only when its key is present (even empty).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Protocols {
    pub grpc: Optional<GrpcConfig>,
    pub http: Optional<HttpConfig>,
}

impl ComponentConfig for OtlpReceiverConfig {
    fn validate(&self) -> Result<(), String> {
        let grpc = self.protocols.grpc.get();
        let http = self.protocols.http.get();
        if grpc.is_none() && http.is_none() {
            return Err("must specify at least one protocol when using the OTLP receiver".into());
        }
        if let Some(g) = grpc {
            g.validate().map_err(|e| format!("protocols::grpc: {e}"))?;
        }
        if let Some(h) = http {
            h.validate().map_err(|e| format!("protocols::http: {e}"))?;
        }
        Ok(())
    }
}

/// `protocols.grpc` (`configgrpc.ServerConfig`).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct GrpcConfig {
    pub endpoint: String,
    /// `tcp`, `tcp4` or `tcp6`; upstream's `unix` and `npipe` are refused by validation.
    pub transport: String,
    /// Accepted for compatibility with `confignet.AddrConfig`; a listener never dials.
    pub dialer: DialerConfig,
    pub tls: Optional<TlsServerConfig>,
    /// 0 = grpc-go's 4 MiB.
    pub max_recv_msg_size_mib: i64,
    /// HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS; 0 = hyper's default (200), where grpc-go has no
    /// limit: a client with more streams in flight waits instead of failing.
    pub max_concurrent_streams: u32,
    /// grpc-go's read buffer: our HTTP/2 stack sizes its reads itself, so this only validates.
    pub read_buffer_size: i64,
    /// grpc-go's write buffer: mapped to the HTTP/2 per-stream send buffer when set.
    pub write_buffer_size: i64,
    pub keepalive: Optional<KeepaliveServerConfig>,
    pub auth: Optional<AuthConfig>,
    pub include_metadata: bool,
}

impl Default for GrpcConfig {
    fn default() -> Self {
        GrpcConfig {
            endpoint: "localhost:4317".into(),
            transport: "tcp".into(),
            dialer: DialerConfig::default(),
            tls: Optional::default(),
            max_recv_msg_size_mib: 0,
            max_concurrent_streams: 0,
            // Upstream's otlp factory: "We almost write 0 bytes, so no need to tune WriteBufferSize."
            read_buffer_size: 512 * 1024,
            write_buffer_size: 0,
            keepalive: Optional::default(),
            auth: Optional::default(),
            include_metadata: false,
        }
    }
}

impl GrpcConfig {
    fn validate(&self) -> Result<(), String> {
        validate_transport(&self.transport)?;
        if self.max_recv_msg_size_mib < 0
            || self
                .max_recv_msg_size_mib
                .checked_mul(1024 * 1024)
                .is_none()
        {
            return Err(format!(
                "invalid max_recv_msg_size_mib value, must be between 1 and {}: {}",
                i64::MAX / 1024 / 1024,
                self.max_recv_msg_size_mib
            ));
        }
        if self.read_buffer_size < 0 {
            return Err(format!(
                "invalid read_buffer_size value: {}",
                self.read_buffer_size
            ));
        }
        if self.write_buffer_size < 0 {
            return Err(format!(
                "invalid write_buffer_size value: {}",
                self.write_buffer_size
            ));
        }
        if let Some(tls) = self.tls.get() {
            tls.validate().map_err(|e| format!("tls: {e}"))?;
        }
        Ok(())
    }

    /// The decoded-message limit in bytes.
    pub fn max_recv_msg_size(&self) -> usize {
        match self.max_recv_msg_size_mib {
            n if n > 0 => usize::try_from(n).unwrap_or(usize::MAX / (1024 * 1024)) * 1024 * 1024,
            _ => DEFAULT_MAX_RECV_MSG_SIZE,
        }
    }

    /// The keepalive server parameters, grpc-go defaults for what is unset.
    pub fn keepalive_params(&self) -> KeepaliveServerParameters {
        self.keepalive
            .get()
            .and_then(|k| k.server_parameters.get().cloned())
            .unwrap_or_default()
    }

    /// HTTP/2 PING interval and timeout (`keepalive.server_parameters.time` / `timeout`).
    pub fn ping(&self) -> (Duration, Duration) {
        let p = self.keepalive_params();
        let time = p.time.to_std_saturating();
        let timeout = p.timeout.to_std_saturating();
        (
            if time.is_zero() {
                GRPC_KEEPALIVE_TIME
            } else {
                time
            },
            if timeout.is_zero() {
                GRPC_KEEPALIVE_TIMEOUT
            } else {
                timeout
            },
        )
    }
}

/// `dialer:` of `confignet.AddrConfig`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DialerConfig {
    pub timeout: confmap::Duration,
}

/// `keepalive:` (`configgrpc.KeepaliveServerConfig`).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct KeepaliveServerConfig {
    pub server_parameters: Optional<KeepaliveServerParameters>,
    /// Accepted; our HTTP/2 server does not police client pings, so clients pinging more often
    /// than `min_time` are tolerated rather than sent GOAWAY (ENHANCE_YOUR_CALM) as grpc-go does.
    pub enforcement_policy: Optional<KeepaliveEnforcementPolicy>,
}

/// `keepalive.server_parameters`; zero means grpc-go's default (infinity for the connection
/// limits, 2 h / 20 s for pings).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct KeepaliveServerParameters {
    /// A connection without in-flight requests for this long is closed with GOAWAY.
    pub max_connection_idle: confmap::Duration,
    /// A connection older than this is sent GOAWAY; in-flight requests may finish...
    pub max_connection_age: confmap::Duration,
    /// ...within this grace period, after which the connection is closed.
    pub max_connection_age_grace: confmap::Duration,
    pub time: confmap::Duration,
    pub timeout: confmap::Duration,
}

/// `keepalive.enforcement_policy`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct KeepaliveEnforcementPolicy {
    pub min_time: confmap::Duration,
    pub permit_without_stream: bool,
}

/// `auth:` of a gRPC server (`configauth.Config`).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    pub authenticator: String,
}

/// `auth:` of an HTTP server (`confighttp.AuthConfig`).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct HttpAuthConfig {
    pub authenticator: String,
    pub request_params: Vec<String>,
}

/// `protocols.http` (`confighttp.ServerConfig` plus the signal paths).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    pub endpoint: String,
    pub transport: String,
    pub dialer: DialerConfig,
    pub tls: Optional<TlsServerConfig>,
    pub cors: Optional<CorsConfig>,
    pub auth: Optional<HttpAuthConfig>,
    /// Bytes; 0 or less = 20 MiB. Applies to the body as sent and again after decompression.
    pub max_request_body_size: i64,
    pub include_metadata: bool,
    /// Set on every response.
    pub response_headers: BTreeMap<String, String>,
    /// Absent = upstream's default list; an empty list turns decompression off entirely.
    pub compression_algorithms: Option<Vec<String>>,
    /// Time to read a whole request, body included; 0 = none.
    pub read_timeout: confmap::Duration,
    /// Time to read a request's headers (HTTP/1.1); 0 = `read_timeout`, or none.
    pub read_header_timeout: confmap::Duration,
    /// Time from the end of the request headers to the response being ready; 0 = none. Go also
    /// bounds the time to write the response, which our server leaves to TCP.
    pub write_timeout: confmap::Duration,
    /// A keep-alive connection with no request for this long is closed; 0 = `read_timeout`.
    pub idle_timeout: confmap::Duration,
    pub keep_alives_enabled: bool,
    pub traces_url_path: String,
    pub metrics_url_path: String,
    pub logs_url_path: String,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            endpoint: "localhost:4318".into(),
            transport: "tcp".into(),
            dialer: DialerConfig::default(),
            tls: Optional::default(),
            cors: Optional::default(),
            auth: Optional::default(),
            max_request_body_size: 0,
            include_metadata: false,
            response_headers: BTreeMap::new(),
            compression_algorithms: None,
            // Upstream's otlp factory zeroes confighttp's 30s/1m/1m timeouts.
            read_timeout: confmap::Duration::default(),
            read_header_timeout: confmap::Duration::default(),
            write_timeout: confmap::Duration::default(),
            idle_timeout: confmap::Duration::default(),
            keep_alives_enabled: true,
            traces_url_path: "/v1/traces".into(),
            metrics_url_path: "/v1/metrics".into(),
            logs_url_path: "/v1/logs".into(),
        }
    }
}

impl HttpConfig {
    fn validate(&self) -> Result<(), String> {
        validate_transport(&self.transport)?;
        if let Some(tls) = self.tls.get() {
            tls.validate().map_err(|e| format!("tls: {e}"))?;
        }
        for alg in self.compression_algorithms.iter().flatten() {
            if !alg.is_empty() && Encoding::parse(alg).is_none() {
                return Err(format!("unsupported compression algorithm {alg:?}"));
            }
        }
        for (name, value) in &self.response_headers {
            http::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("response_headers: invalid header name {name:?}"))?;
            http::HeaderValue::from_str(value)
                .map_err(|_| format!("response_headers: invalid value for {name:?}"))?;
        }
        for p in [
            &self.traces_url_path,
            &self.metrics_url_path,
            &self.logs_url_path,
        ] {
            sanitize_path(p)?;
        }
        Ok(())
    }

    pub fn max_request_body_size(&self) -> usize {
        match self.max_request_body_size {
            n if n > 0 => usize::try_from(n).unwrap_or(usize::MAX),
            _ => DEFAULT_MAX_REQUEST_BODY_SIZE,
        }
    }

    /// The accepted `Content-Encoding`s (`""` = identity), or None when decompression is off.
    pub fn compression_algorithms(&self) -> Option<Vec<String>> {
        match &self.compression_algorithms {
            None => Some(
                DEFAULT_SERVER_ALGORITHMS
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
            ),
            Some(list) if list.is_empty() => None,
            Some(list) => Some(list.clone()),
        }
    }

    /// The three signal paths, made absolute as upstream's `SanitizedURLPath`.
    pub fn paths(&self) -> [String; 3] {
        [
            &self.traces_url_path,
            &self.metrics_url_path,
            &self.logs_url_path,
        ]
        .map(|p| sanitize_path(p).unwrap_or_else(|_| p.clone()))
    }
}

/// `cors:` (`confighttp.CORSConfig`).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct CorsConfig {
    pub allowed_origins: Vec<String>,
    pub allowed_headers: Vec<String>,
    pub exposed_headers: Vec<String>,
    pub max_age: i64,
}

fn validate_transport(t: &str) -> Result<(), String> {
    match t {
        "tcp" | "tcp4" | "tcp6" => Ok(()),
        "" => Err("invalid transport type \"\"".into()),
        "unix" | "npipe" => Err(format!(
            "transport {t:?} is not supported by ferrocol's OTLP receiver; use \"tcp\""
        )),
        other => Err(format!("invalid transport type {other:?}")),
    }
}

/// Upstream parses the path as a URL (`url.Parse`), keeps its path part and makes it absolute.
fn sanitize_path(p: &str) -> Result<String, String> {
    let path = if p.contains("://") {
        let uri: http::Uri = p
            .parse()
            .map_err(|e| format!("invalid HTTP URL path set for signal: {e}"))?;
        uri.path().to_string()
    } else {
        // A relative reference: the path ends at the query or fragment.
        p.split(['?', '#']).next().unwrap_or_default().to_string()
    };
    Ok(if path.starts_with('/') {
        path
    } else {
        format!("/{path}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_made_absolute() {
        assert_eq!(sanitize_path("v1/traces").unwrap(), "/v1/traces");
        assert_eq!(sanitize_path("/custom/x").unwrap(), "/custom/x");
        assert_eq!(sanitize_path("http://h:1/a/b?x=1").unwrap(), "/a/b");
        assert_eq!(sanitize_path("m?x#y").unwrap(), "/m");
        assert_eq!(sanitize_path("").unwrap(), "/");
    }
}
