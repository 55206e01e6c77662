//! `otlp_http` configuration: upstream `otlphttpexporter.Config` — `confighttp.ClientConfig`
//! squashed into the section, `sending_queue`, `retry_on_failure`, the per-signal endpoints and
//! `encoding` — with upstream's defaults (`otlphttpexporter/factory.go` `createDefaultConfig`,
//! `confighttp.NewDefaultClientConfig`).
//!
//! Keys hyper cannot honour exactly are accepted and say next to the field what they do here.

use std::time::Duration;

use component::ComponentConfig;
use confmap::Optional;
use helpers::compression::Encoding as Compression;
use helpers::tls::TlsClientConfig;
use helpers::{QueueConfig, RetryConfig};
use serde::{Deserialize, Deserializer};

use crate::shared::otlp::{AuthConfig, Headers, MiddlewareConfig, validate_extension_refs};

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct OtlpHttpConfig {
    /// Base URL; `/v1/traces`, `/v1/metrics`, `/v1/logs` are appended unless the signal's own
    /// endpoint is set.
    pub endpoint: String,
    /// An HTTP proxy for every request. Not implemented yet: refused by validation rather than
    /// silently bypassed. (Go's client also honours `HTTP(S)_PROXY` from the environment;
    /// ferrocol does not.)
    pub proxy_url: String,
    /// Used for `https://` URLs; `insecure` has no effect on an HTTP client, as upstream.
    pub tls: TlsClientConfig,
    /// Go's per-connection read buffer; hyper sizes its own buffers, so accepted without
    /// effect.
    pub read_buffer_size: i64,
    /// Go's per-connection write buffer (default 512 KiB); accepted without effect, as
    /// `read_buffer_size`.
    pub write_buffer_size: i64,
    /// The whole exchange of one attempt, response included (default 30s; 0 = none).
    pub timeout: confmap::Duration,
    /// Set on every request, replacing a header of the same name (`Host` included).
    pub headers: Headers,
    /// A client authenticator extension. None exists in ferrocol yet, so start fails with
    /// upstream's message.
    pub auth: Optional<AuthConfig>,
    /// `gzip` (default), `zstd`, `zlib`, `deflate`, `snappy`, `x-snappy-framed`, `lz4`, `none`
    /// or empty.
    pub compression: String,
    pub compression_params: CompressionParams,
    /// Idle connections kept in total (default 100). hyper's pool limits idle connections per
    /// host only; this bounds it when `max_idle_conns_per_host` is 0.
    pub max_idle_conns: i64,
    /// Idle connections kept per host. 0 means `max_idle_conns` here; Go keeps only 2, which
    /// makes a busy exporter with more than two senders reconnect constantly.
    pub max_idle_conns_per_host: i64,
    /// Connections per host, busy ones included (0 = no limit): requests beyond it wait.
    pub max_conns_per_host: i64,
    /// An idle connection is closed after this (default 90s; 0 = never).
    pub idle_conn_timeout: confmap::Duration,
    /// One connection per request, closed after it (`Connection: close`).
    pub disable_keep_alives: bool,
    /// HTTP/2: ping a connection that received nothing for this long (0 = never)...
    pub http2_read_idle_timeout: confmap::Duration,
    /// ...and close it when the ping is not answered within this (0 = 15s).
    pub http2_ping_timeout: confmap::Duration,
    /// Go keeps cookies the server sets and sends them back. ferrocol's client keeps no cookie
    /// jar: accepted, with a warning at start.
    pub cookies: Optional<CookiesConfig>,
    /// Offer HTTP/2 by ALPN on `https://` (default true); `http://` always uses HTTP/1.1, as Go.
    pub force_attempt_http2: bool,
    /// Client middleware extensions. None exists in ferrocol yet, so start fails with
    /// upstream's message.
    pub middlewares: Vec<MiddlewareConfig>,

    pub sending_queue: QueueConfig,
    pub retry_on_failure: RetryConfig,
    pub traces_endpoint: String,
    pub metrics_endpoint: String,
    pub logs_endpoint: String,
    /// Profiles are not a ferrocol signal; the key is accepted and counts as an endpoint, as
    /// upstream's validation does.
    pub profiles_endpoint: String,
    pub encoding: BodyEncoding,
}

/// `compression_params:` (`configcompression.CompressionParams`).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct CompressionParams {
    /// 0 = the algorithm's default.
    pub level: i64,
}

/// `cookies:` (`confighttp.CookiesConfig`, no keys).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CookiesConfig {}

/// `encoding:` — how request bodies are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BodyEncoding {
    /// `application/x-protobuf`: the payload's bytes as received.
    #[default]
    Proto,
    /// `application/json`: OTLP/JSON, which needs a decode.
    Json,
}

impl<'de> Deserialize<'de> for BodyEncoding {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.as_str() {
            "proto" => Ok(BodyEncoding::Proto),
            "json" => Ok(BodyEncoding::Json),
            // Upstream `EncodingType.UnmarshalText`.
            other => Err(serde::de::Error::custom(format!(
                "invalid encoding type: {other}"
            ))),
        }
    }
}

impl Default for OtlpHttpConfig {
    fn default() -> Self {
        OtlpHttpConfig {
            endpoint: String::new(),
            proxy_url: String::new(),
            tls: TlsClientConfig::default(),
            read_buffer_size: 0,
            write_buffer_size: 512 * 1024,
            timeout: confmap::Duration::from_secs(30),
            headers: Headers::default(),
            auth: Optional::none(),
            compression: "gzip".into(),
            compression_params: CompressionParams::default(),
            max_idle_conns: 100,
            max_idle_conns_per_host: 0,
            max_conns_per_host: 0,
            idle_conn_timeout: confmap::Duration::from_secs(90),
            disable_keep_alives: false,
            http2_read_idle_timeout: confmap::Duration::default(),
            http2_ping_timeout: confmap::Duration::default(),
            cookies: Optional::none(),
            force_attempt_http2: true,
            middlewares: Vec::new(),
            sending_queue: QueueConfig::default(),
            retry_on_failure: RetryConfig::default(),
            traces_endpoint: String::new(),
            metrics_endpoint: String::new(),
            logs_endpoint: String::new(),
            profiles_endpoint: String::new(),
            encoding: BodyEncoding::Proto,
        }
    }
}

impl OtlpHttpConfig {
    /// The request compression and level (`None` = the algorithm's default), or `None` when off.
    pub fn body_compression(&self) -> Result<Option<(Compression, Option<i32>)>, String> {
        let alg = match self.compression.as_str() {
            "" | "none" => return Ok(None),
            other => Compression::parse(other)
                .ok_or_else(|| format!("unsupported compression type {other:?}"))?,
        };
        // configcompression.ValidateParams.
        let level = self.compression_params.level;
        let ok = match alg {
            Compression::Gzip | Compression::Zlib | Compression::Deflate => {
                matches!(level, -2..=9)
            }
            Compression::Zstd => true,
            _ => level == 0,
        };
        if !ok {
            return Err(format!(
                "unsupported parameters {{Level:{level}}} for compression type {:?}",
                self.compression
            ));
        }
        let level = match (alg, level) {
            (_, 0) => None,
            (Compression::Zstd, l) => Some(l.clamp(-7, 22) as i32),
            (_, l) => Some(l as i32),
        };
        Ok(Some((alg, level)))
    }

    /// Upstream `composeSignalURL`: the signal's endpoint, or `endpoint` + `/v1/<signal>`.
    pub fn signal_url(&self, signal: &str) -> Result<http::Uri, String> {
        let (url, key) = match self.signal_override(signal) {
            o if !o.is_empty() => (o.to_string(), format!("{signal}_endpoint")),
            _ if self.endpoint.is_empty() => {
                return Err(format!(
                    "either endpoint or {signal}_endpoint must be specified"
                ));
            }
            _ if self.endpoint.ends_with('/') => (
                format!("{}v1/{signal}", self.endpoint),
                "endpoint".to_string(),
            ),
            _ => (
                format!("{}/v1/{signal}", self.endpoint),
                "endpoint".to_string(),
            ),
        };
        let uri: http::Uri = url
            .parse()
            .map_err(|_| format!("{key} must be a valid URL"))?;
        match uri.scheme_str() {
            Some("http") | Some("https") if uri.authority().is_some() => Ok(uri),
            _ => Err(format!(
                "{key} {url:?} must be an absolute http:// or https:// URL"
            )),
        }
    }

    fn signal_override(&self, signal: &str) -> &str {
        match signal {
            "traces" => &self.traces_endpoint,
            "metrics" => &self.metrics_endpoint,
            "logs" => &self.logs_endpoint,
            _ => &self.profiles_endpoint,
        }
    }

    /// HTTP/2 health-check pings: interval and timeout.
    pub fn http2_ping(&self) -> Option<(Duration, Duration)> {
        let idle = self.http2_read_idle_timeout.to_std_saturating();
        if idle.is_zero() {
            return None;
        }
        let timeout = match self.http2_ping_timeout.to_std_saturating() {
            d if d.is_zero() => Duration::from_secs(15),
            d => d,
        };
        Some((idle, timeout))
    }

    /// The idle connections hyper may keep per host.
    pub fn pool_max_idle_per_host(&self) -> usize {
        let to_usize = |n: i64| usize::try_from(n).unwrap_or(usize::MAX);
        if self.disable_keep_alives {
            0
        } else if self.max_idle_conns_per_host > 0 {
            to_usize(self.max_idle_conns_per_host)
        } else if self.max_idle_conns > 0 {
            to_usize(self.max_idle_conns)
        } else {
            usize::MAX
        }
    }
}

impl ComponentConfig for OtlpHttpConfig {
    fn validate(&self) -> Result<(), String> {
        if self.timeout.is_negative() {
            return Err("'timeout' must be non-negative".into());
        }
        self.sending_queue.validate_at("sending_queue")?;
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
        validate_extension_refs(self.auth.get(), &self.middlewares)?;
        self.body_compression()?;
        if !self.proxy_url.is_empty() {
            return Err(format!(
                "proxy_url {:?}: HTTP proxies are not supported by ferrocol's otlp_http exporter yet",
                self.proxy_url
            ));
        }
        if self.endpoint.is_empty()
            && self.traces_endpoint.is_empty()
            && self.metrics_endpoint.is_empty()
            && self.logs_endpoint.is_empty()
            && self.profiles_endpoint.is_empty()
        {
            return Err("at least one endpoint must be specified".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(yaml: &str) -> Result<OtlpHttpConfig, String> {
        let node = confmap::parse_yaml(yaml).unwrap();
        component::config::decode_typed::<OtlpHttpConfig>(node.as_ref()).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_are_upstreams() {
        let c = OtlpHttpConfig::default();
        assert_eq!(c.timeout.to_std_saturating(), Duration::from_secs(30));
        assert_eq!(c.compression, "gzip");
        assert_eq!(c.write_buffer_size, 512 * 1024);
        assert_eq!(c.max_idle_conns, 100);
        assert_eq!(
            c.idle_conn_timeout.to_std_saturating(),
            Duration::from_secs(90)
        );
        assert!(c.force_attempt_http2);
        assert_eq!(c.encoding, BodyEncoding::Proto);
        assert_eq!(
            c.body_compression().unwrap(),
            Some((Compression::Gzip, None))
        );
    }

    #[test]
    fn validation_messages() {
        assert_eq!(
            decode("{}").unwrap_err(),
            "at least one endpoint must be specified"
        );
        assert!(decode("{logs_endpoint: 'http://x/l'}").is_ok());
        assert!(
            decode("{endpoint: 'http://x', encoding: xml}")
                .unwrap_err()
                .contains("invalid encoding type: xml")
        );
        assert_eq!(
            decode("{endpoint: 'http://x', compression: brotli}").unwrap_err(),
            r#"unsupported compression type "brotli""#
        );
        assert_eq!(
            decode("{endpoint: 'http://x', compression_params: {level: 10}}").unwrap_err(),
            r#"unsupported parameters {Level:10} for compression type "gzip""#
        );
        assert!(
            decode("{endpoint: 'http://x', compression: zstd, compression_params: {level: 10}}")
                .is_ok()
        );
        assert!(decode("{endpoint: 'http://x', proxy_url: 'http://p:3128'}").is_err());
    }

    #[test]
    fn signal_urls_follow_compose_signal_url() {
        let c =
            decode("{endpoint: 'http://h:4318', metrics_endpoint: 'https://m/custom'}").unwrap();
        assert_eq!(c.signal_url("traces").unwrap(), "http://h:4318/v1/traces");
        assert_eq!(c.signal_url("metrics").unwrap(), "https://m/custom");
        let c = decode("{endpoint: 'http://h:4318/base/'}").unwrap();
        assert_eq!(c.signal_url("logs").unwrap(), "http://h:4318/base/v1/logs");
        let c = decode("{traces_endpoint: 'http://t/x'}").unwrap();
        assert_eq!(
            c.signal_url("logs").unwrap_err(),
            "either endpoint or logs_endpoint must be specified"
        );
        let c = decode("{endpoint: 'localhost:4318'}").unwrap();
        assert!(c.signal_url("traces").is_err());
    }

    #[test]
    fn every_upstream_key_decodes() {
        let c = decode(
            r#"
endpoint: https://collector:4318
tls: {insecure_skip_verify: true}
read_buffer_size: 1
write_buffer_size: 2
timeout: 3s
headers: [{name: x-a, value: b}]
compression: zstd
compression_params: {level: 3}
max_idle_conns: 5
max_idle_conns_per_host: 6
max_conns_per_host: 7
idle_conn_timeout: 8s
disable_keep_alives: false
http2_read_idle_timeout: 9s
http2_ping_timeout: 10s
cookies: {}
force_attempt_http2: false
sending_queue: {num_consumers: 2}
retry_on_failure: {enabled: false}
traces_endpoint: https://t/x
metrics_endpoint: https://m/x
logs_endpoint: https://l/x
profiles_endpoint: https://p/x
encoding: json
"#,
        )
        .unwrap();
        assert_eq!(c.encoding, BodyEncoding::Json);
        assert_eq!(c.pool_max_idle_per_host(), 6);
        assert_eq!(
            c.http2_ping(),
            Some((Duration::from_secs(9), Duration::from_secs(10)))
        );
        assert!(c.cookies.is_some());
        assert_eq!(
            c.body_compression().unwrap(),
            Some((Compression::Zstd, Some(3)))
        );
    }
}
