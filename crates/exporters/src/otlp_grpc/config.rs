//! `otlp_grpc` configuration: upstream `otlpexporter.Config` — exporterhelper's `timeout`,
//! `sending_queue` and `retry_on_failure` plus `configgrpc.ClientConfig`, squashed into one
//! section — with upstream's defaults (`otlpexporter/factory.go` `createDefaultConfig`).
//!
//! Keys our HTTP/2 stack cannot honour exactly are accepted and say next to the field what they
//! do here.

use std::time::Duration;

use component::ComponentConfig;
use confmap::Optional;
use helpers::tls::TlsClientConfig;
use helpers::{QueueConfig, RetryConfig, TimeoutConfig};
use serde::Deserialize;

use crate::shared::otlp::{AuthConfig, Headers, MiddlewareConfig, validate_extension_refs};

/// grpc-go's floor for the keepalive ping interval.
const MIN_KEEPALIVE_TIME: Duration = Duration::from_secs(10);
/// grpc-go's default wait for a keepalive ping's answer.
const DEFAULT_KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct OtlpGrpcConfig {
    /// Bound on each export attempt (exporterhelper `timeout`, default 5s; 0 = none). Also sent
    /// to the server as `grpc-timeout`.
    pub timeout: confmap::Duration,
    pub sending_queue: QueueConfig,
    pub retry_on_failure: RetryConfig,

    /// `host:port`, optionally prefixed by `http://`, `https://` (turns TLS on), `dns:///` or
    /// `passthrough:///`. Required.
    pub endpoint: String,
    /// `gzip` (default), `zstd`, `none` or empty. Upstream also offers `snappy` for gRPC, which
    /// tonic cannot send: refused by validation.
    pub compression: String,
    /// TLS is on unless `insecure: true` (and no CA is configured).
    pub tls: TlsClientConfig,
    /// Off by default (upstream keeps it off "for backward compatibility"); when present,
    /// HTTP/2 PINGs every `time` (grpc-go's floor of 10s applies; 0 = 10s), the connection is
    /// dropped when one is not answered within `timeout` (0 = 20s), and pings are sent without
    /// requests in flight only with `permit_without_stream`.
    pub keepalive: Optional<KeepaliveClientConfig>,
    /// grpc-go's socket read buffer. hyper's HTTP/2 stack sizes its own buffers, so this only
    /// validates.
    pub read_buffer_size: i64,
    /// grpc-go's socket write buffer (default 512 KiB). As `read_buffer_size`: accepted, no
    /// effect.
    pub write_buffer_size: i64,
    /// When the backend cannot be reached, keep trying to connect until the attempt's `timeout`
    /// instead of failing the attempt at once.
    pub wait_for_ready: bool,
    /// Sent as gRPC metadata on every call; names ending in `-bin` are binary metadata.
    pub headers: Headers,
    /// Replaces the default `ferrocol/<version> (<os>/<arch>)` user agent.
    pub user_agent: String,
    /// `round_robin` (default) or `pick_first`. ferrocol connects to one address of the
    /// endpoint's name either way (see the factory's module docs).
    pub balancer_name: String,
    /// Replaces the `:authority` sent with each call.
    pub authority: String,
    /// A client authenticator extension. None exists in ferrocol yet, so start fails with
    /// upstream's message.
    pub auth: Optional<AuthConfig>,
    /// Client middleware extensions. None exists in ferrocol yet, so start fails with
    /// upstream's message.
    pub middlewares: Vec<MiddlewareConfig>,
}

/// `keepalive:` (`configgrpc.KeepaliveClientConfig`).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct KeepaliveClientConfig {
    pub time: confmap::Duration,
    pub timeout: confmap::Duration,
    pub permit_without_stream: bool,
}

impl KeepaliveClientConfig {
    /// The ping interval and timeout grpc-go would use.
    pub fn effective(&self) -> (Duration, Duration) {
        let time = self.time.to_std_saturating().max(MIN_KEEPALIVE_TIME);
        let timeout = match self.timeout.to_std_saturating() {
            d if d.is_zero() => DEFAULT_KEEPALIVE_TIMEOUT,
            d => d,
        };
        (time, timeout)
    }
}

impl Default for OtlpGrpcConfig {
    fn default() -> Self {
        OtlpGrpcConfig {
            timeout: TimeoutConfig::default().timeout,
            sending_queue: QueueConfig::default(),
            retry_on_failure: RetryConfig::default(),
            endpoint: String::new(),
            compression: "gzip".into(),
            tls: TlsClientConfig::default(),
            keepalive: Optional::none(),
            read_buffer_size: 0,
            write_buffer_size: 512 * 1024,
            wait_for_ready: false,
            headers: Headers::default(),
            user_agent: String::new(),
            balancer_name: "round_robin".into(),
            authority: String::new(),
            auth: Optional::none(),
            middlewares: Vec::new(),
        }
    }
}

/// The request compression tonic applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrpcCompression {
    None,
    Gzip,
    Zstd,
}

/// Where to connect and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// `host:port` to dial (brackets kept around IPv6 literals).
    pub authority: String,
    /// The host without brackets or port: the TLS server name by default.
    pub host: String,
    /// `https://` forces TLS even with `tls.insecure: true`.
    pub https_scheme: bool,
}

impl OtlpGrpcConfig {
    /// Upstream `configcompression.Type` decoding plus `getGRPCCompressionName`.
    pub fn grpc_compression(&self) -> Result<GrpcCompression, String> {
        match self.compression.as_str() {
            "" | "none" => Ok(GrpcCompression::None),
            "gzip" => Ok(GrpcCompression::Gzip),
            "zstd" => Ok(GrpcCompression::Zstd),
            "snappy" => Err(
                "compression \"snappy\" is not supported by ferrocol's otlp_grpc exporter; use \"gzip\" or \"zstd\""
                    .into(),
            ),
            "zlib" | "deflate" | "x-snappy-framed" | "lz4" => Err(format!(
                "unsupported compression type {:?}",
                self.compression
            )),
            other => Err(format!("unsupported compression type {other:?}")),
        }
    }

    /// Upstream `configgrpc.ClientConfig.sanitizedEndpoint`: the `host:port` part.
    fn sanitized_endpoint(&self) -> &str {
        let e = self.endpoint.as_str();
        if let Some(rest) = e.strip_prefix("http://") {
            return rest;
        }
        if let Some(rest) = e.strip_prefix("https://") {
            return rest;
        }
        match e.split_once("://") {
            // `scheme://[authority]/endpoint`: the path without its leading slash.
            Some((_, rest)) => rest.split_once('/').map_or("", |(_, path)| path),
            None => e,
        }
    }

    /// The dial target.
    pub fn target(&self) -> Result<Target, String> {
        let e = self.endpoint.as_str();
        if let Some((scheme, _)) = e.split_once("://")
            && !matches!(scheme, "http" | "https" | "dns" | "passthrough")
        {
            return Err(format!(
                "endpoint {e:?}: the {scheme:?} target scheme is not supported by ferrocol's otlp_grpc exporter; use host:port, dns:///host:port or https://host:port"
            ));
        }
        let hostport = self.sanitized_endpoint();
        let (host, port) = split_host_port(hostport)?;
        parse_port(port)?;
        Ok(Target {
            authority: hostport.to_string(),
            host: host.to_string(),
            https_scheme: e.starts_with("https://"),
        })
    }
}

impl ComponentConfig for OtlpGrpcConfig {
    fn validate(&self) -> Result<(), String> {
        TimeoutConfig {
            timeout: self.timeout,
        }
        .validate()?;
        self.sending_queue.validate_at("sending_queue")?;
        self.retry_on_failure.validate_at("retry_on_failure")?;
        self.tls.validate().map_err(|e| format!("tls: {e}"))?;
        self.headers
            .validate()
            .map_err(|e| format!("headers: {e}"))?;
        for (name, value) in self.headers.iter() {
            check_metadata(name, value).map_err(|e| format!("headers: {e}"))?;
        }
        validate_extension_refs(self.auth.get(), &self.middlewares)?;
        // configgrpc.ClientConfig.Validate.
        if self.endpoint.starts_with("unix://") {
            return Err(
                "unix socket endpoints are not supported by ferrocol's otlp_grpc exporter".into(),
            );
        }
        let hostport = self.sanitized_endpoint();
        if !hostport.is_empty() {
            let (_, port) = split_host_port(hostport)?;
            parse_port(port)?;
        }
        match self.balancer_name.as_str() {
            "" | "round_robin" | "pick_first" => {}
            other => return Err(format!("invalid balancer_name: {other}")),
        }
        if !self.authority.is_empty() {
            http::uri::Authority::try_from(self.authority.as_str())
                .map_err(|e| format!("authority {:?}: {e}", self.authority))?;
        }
        if !self.user_agent.is_empty() {
            http::HeaderValue::from_str(&self.user_agent).map_err(|_| {
                format!(
                    "user_agent {:?} is not a valid header value",
                    self.user_agent
                )
            })?;
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
        self.grpc_compression()?;
        // otlpexporter.Config.Validate.
        if otlp_sanitized_endpoint(&self.endpoint).is_empty() {
            return Err(r#"requires a non-empty "endpoint""#.into());
        }
        if !self.endpoint.is_empty() {
            self.target()?;
        }
        Ok(())
    }
}

/// `otlpexporter.Config.sanitizedEndpoint`: only `http://`, `https://` and `dns://[/]` are
/// stripped before the emptiness check.
fn otlp_sanitized_endpoint(e: &str) -> &str {
    if let Some(r) = e.strip_prefix("http://") {
        r
    } else if let Some(r) = e.strip_prefix("https://") {
        r
    } else if let Some(r) = e.strip_prefix("dns://") {
        r.strip_prefix('/').unwrap_or(r)
    } else {
        e
    }
}

/// A header that tonic can send as metadata.
fn check_metadata(name: &str, value: &str) -> Result<(), String> {
    if name.ends_with("-bin") {
        tonic::metadata::MetadataKey::<tonic::metadata::Binary>::from_bytes(name.as_bytes())
            .map_err(|_| format!("invalid metadata name {name:?}"))?;
    } else {
        tonic::metadata::MetadataKey::<tonic::metadata::Ascii>::from_bytes(name.as_bytes())
            .map_err(|_| format!("invalid metadata name {name:?}"))?;
        tonic::metadata::AsciiMetadataValue::try_from(value)
            .map_err(|_| format!("invalid value for {name:?}"))?;
    }
    Ok(())
}

/// Go's `net.SplitHostPort`, with its error messages.
pub(crate) fn split_host_port(hostport: &str) -> Result<(&str, &str), String> {
    let addr_err = |why: &str| format!("address {hostport}: {why}");
    let Some(i) = hostport.rfind(':') else {
        return Err(addr_err("missing port in address"));
    };
    let (host, j, k);
    if hostport.starts_with('[') {
        let Some(end) = hostport.find(']') else {
            return Err(addr_err("missing ']' in address"));
        };
        if end + 1 == hostport.len() {
            return Err(addr_err("missing port in address"));
        } else if end + 1 != i {
            return Err(if hostport.as_bytes()[end + 1] == b':' {
                addr_err("too many colons in address")
            } else {
                addr_err("missing port in address")
            });
        }
        host = &hostport[1..end];
        j = 1;
        k = end + 1;
    } else {
        host = &hostport[..i];
        if host.contains(':') {
            return Err(addr_err("too many colons in address"));
        }
        j = 0;
        k = 0;
    }
    if hostport[j..].contains('[') {
        return Err(addr_err("unexpected '[' in address"));
    }
    if hostport[k..].contains(']') {
        return Err(addr_err("unexpected ']' in address"));
    }
    Ok((host, &hostport[i + 1..]))
}

/// `strconv.Atoi` on the port, with upstream's message; ferrocol also needs it to fit a port.
fn parse_port(port: &str) -> Result<u16, String> {
    port.parse::<i64>()
        .map_err(|_| format!("invalid port {port:?}"))
        .and_then(|p| u16::try_from(p).map_err(|_| format!("invalid port {port:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(yaml: &str) -> Result<OtlpGrpcConfig, String> {
        let node = confmap::parse_yaml(yaml).unwrap();
        component::config::decode_typed::<OtlpGrpcConfig>(node.as_ref()).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_are_upstreams() {
        let c = OtlpGrpcConfig::default();
        assert_eq!(c.timeout.to_std_saturating(), Duration::from_secs(5));
        assert_eq!(c.compression, "gzip");
        assert_eq!(c.write_buffer_size, 512 * 1024);
        assert_eq!(c.read_buffer_size, 0);
        assert_eq!(c.balancer_name, "round_robin");
        assert!(c.keepalive.is_none());
        assert!(c.sending_queue.enabled);
        assert!(c.retry_on_failure.enabled);
        assert!(!c.tls.insecure);
    }

    #[test]
    fn endpoint_is_required_with_upstreams_message() {
        assert_eq!(
            decode("{}").unwrap_err(),
            r#"requires a non-empty "endpoint""#
        );
        assert_eq!(
            decode("endpoint: dns:///").unwrap_err(),
            r#"requires a non-empty "endpoint""#
        );
        assert_eq!(
            decode("endpoint: localhost").unwrap_err(),
            "address localhost: missing port in address"
        );
        assert_eq!(
            decode("endpoint: localhost:abc").unwrap_err(),
            r#"invalid port "abc""#
        );
        assert_eq!(
            decode("{endpoint: 'a:1', balancer_name: foo}").unwrap_err(),
            "invalid balancer_name: foo"
        );
        assert_eq!(
            decode("{endpoint: 'a:1', compression: lz4}").unwrap_err(),
            r#"unsupported compression type "lz4""#
        );
    }

    #[test]
    fn targets() {
        let t = |e: &str| {
            OtlpGrpcConfig {
                endpoint: e.into(),
                ..Default::default()
            }
            .target()
        };
        assert_eq!(
            t("https://collector:4317").unwrap(),
            Target {
                authority: "collector:4317".into(),
                host: "collector".into(),
                https_scheme: true
            }
        );
        assert_eq!(t("http://c:1").unwrap().authority, "c:1");
        assert_eq!(t("dns:///c:1").unwrap().authority, "c:1");
        assert_eq!(t("dns://8.8.8.8/c:1").unwrap().authority, "c:1");
        assert_eq!(t("[::1]:4317").unwrap().host, "::1");
        assert!(t("xds:///c:1").is_err());
    }

    #[test]
    fn every_upstream_key_decodes() {
        let c = decode(
            r#"
endpoint: collector:4317
timeout: 7s
compression: zstd
tls: {insecure: true}
headers: {x-a: "1"}
balancer_name: pick_first
keepalive: {time: 20s, timeout: 5s, permit_without_stream: true}
read_buffer_size: 1024
write_buffer_size: 2048
wait_for_ready: true
authority: other:1
user_agent: me
auth: {authenticator: oauth2client}
middlewares: [{id: m}]
sending_queue: {enabled: false}
retry_on_failure: {enabled: false}
"#,
        )
        .unwrap();
        assert_eq!(c.grpc_compression().unwrap(), GrpcCompression::Zstd);
        let k = c.keepalive.get().unwrap();
        assert_eq!(
            k.effective(),
            (Duration::from_secs(20), Duration::from_secs(5))
        );
        assert_eq!(
            KeepaliveClientConfig::default().effective(),
            (MIN_KEEPALIVE_TIME, DEFAULT_KEEPALIVE_TIMEOUT)
        );
        assert!(decode("{endpoint: 'a:1', nope: 1}").is_err());
    }
}
