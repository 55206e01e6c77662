//! `awsxray` receiver configuration (upstream `receiver/awsxrayreceiver/config.go`, proxy
//! settings `internal/aws/proxy/cfg.go`), with upstream's defaults.

use aws::xray::proxy::ProxyConfig;
use component::ComponentConfig;
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AwsXrayReceiverConfig {
    /// The UDP address the X-Ray SDKs send segment documents to (default `localhost:2000`).
    pub endpoint: String,
    /// Only `udp` (the daemon protocol is datagrams).
    pub transport: String,
    /// confignet's dialer settings; a listener dials nothing, so accepted without effect.
    pub dialer: DialerConfig,
    /// The local TCP proxy for the sampling APIs; always started, as upstream.
    pub proxy_server: ProxyConfig,
}

impl Default for AwsXrayReceiverConfig {
    fn default() -> Self {
        AwsXrayReceiverConfig {
            endpoint: "localhost:2000".to_string(),
            transport: "udp".to_string(),
            dialer: DialerConfig::default(),
            proxy_server: ProxyConfig::default(),
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DialerConfig {
    pub timeout: confmap::Duration,
}

impl ComponentConfig for AwsXrayReceiverConfig {
    fn validate(&self) -> Result<(), String> {
        if self.endpoint.is_empty() {
            return Err("endpoint must not be empty".to_string());
        }
        if self.transport != "udp" {
            // Upstream: `X-Ray receiver only supports ingesting spans through UDP, provided: tcp`.
            return Err(format!(
                "X-Ray receiver only supports ingesting spans through UDP, provided: {}",
                self.transport
            ));
        }
        self.proxy_server
            .validate()
            .map_err(|e| format!("proxy_server: {e}"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(yaml: &str) -> Result<AwsXrayReceiverConfig, component::ConfigError> {
        let node = confmap::yaml::parse(yaml)
            .expect("yaml")
            .expect("a document");
        component::config::decode_typed::<AwsXrayReceiverConfig>(Some(&node))
    }

    #[test]
    fn defaults_are_upstreams() {
        let c = AwsXrayReceiverConfig::default();
        assert_eq!(c.endpoint, "localhost:2000");
        assert_eq!(c.transport, "udp");
        assert_eq!(c.proxy_server.endpoint, "localhost:2000");
        assert_eq!(c.proxy_server.service_name, "xray");
        assert!(!c.proxy_server.local_mode);
    }

    #[test]
    fn keys_decode_and_bad_values_are_refused() {
        let c = decode(
            "endpoint: 0.0.0.0:2000\ntransport: udp\nproxy_server:\n  endpoint: 0.0.0.0:2000\n  region: us-west-2\n  local_mode: true\n  aws_endpoint: http://127.0.0.1:5000\n  role_arn: arn:aws:iam::1:role/x\n  tls:\n    insecure_skip_verify: true\n",
        )
        .expect("decodes");
        assert_eq!(c.endpoint, "0.0.0.0:2000");
        assert_eq!(c.proxy_server.region, "us-west-2");
        assert!(c.proxy_server.tls.insecure_skip_verify);
        let e = decode("transport: tcp\n").unwrap_err().to_string();
        assert_eq!(
            e,
            "X-Ray receiver only supports ingesting spans through UDP, provided: tcp"
        );
        assert!(decode("bogus: 1\n").is_err());
        assert!(decode("proxy_server:\n  tls:\n    ca_file: /x\n").is_err());
        assert!(decode("proxy_server:\n  endpoint: \"\"\n").is_err());
    }
}
