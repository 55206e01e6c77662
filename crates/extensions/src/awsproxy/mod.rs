//! The `awsproxy` extension (contrib `extension/awsproxy`, beta): the X-Ray daemon's local
//! signing proxy on its own — X-Ray SDKs (and anything else speaking the X-Ray API) call
//! `localhost:2000` unsigned, the proxy forwards each call to X-Ray signed with SigV4 with the
//! collector's credentials and relays the answer. Shares the implementation and configuration
//! keys with the `awsxray` receiver's `proxy_server` ([`aws::xray::proxy`]): `endpoint`,
//! `proxy_address`, `tls` (`insecure`, `insecure_skip_verify`), `region`, `role_arn`,
//! `aws_endpoint`, `local_mode`, `service_name`.

use std::sync::Arc;
use std::time::Instant;

use aws::xray::proxy::{ProxyConfig, ProxyServer};
use component::{
    AnyConfig, BoxFuture, Component, ComponentConfig, ConfigError, CreateContext, CreateError,
    Extension, ExtensionFactory, FactoryInfo, Host, Kind, Stability, StartError,
};
use parking_lot::Mutex;
use serde::Deserialize;

/// The whole section is upstream's `proxy.Config`, squashed.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct AwsProxyConfig(pub ProxyConfig);

impl ComponentConfig for AwsProxyConfig {
    fn validate(&self) -> Result<(), String> {
        self.0.validate()
    }
}

pub struct AwsProxyFactory;

impl FactoryInfo for AwsProxyFactory {
    fn kind(&self) -> Kind {
        "awsproxy"
    }

    fn decode_config(&self, node: Option<&confmap::Node>) -> Result<AnyConfig, ConfigError> {
        component::config::decode::<AwsProxyConfig>(node)
    }
}

impl ExtensionFactory for AwsProxyFactory {
    fn stability(&self) -> Stability {
        Stability::Beta
    }

    fn create(
        &self,
        ctx: CreateContext,
        config: &AnyConfig,
    ) -> Result<Arc<dyn Extension>, CreateError> {
        Ok(Arc::new(AwsProxy {
            id: ctx.id.to_string(),
            config: config.get::<AwsProxyConfig>().0.clone(),
            server: Mutex::new(None),
        }))
    }
}

pub struct AwsProxy {
    id: String,
    config: ProxyConfig,
    server: Mutex<Option<ProxyServer>>,
}

impl AwsProxy {
    /// The bound address once started (useful with port 0).
    pub fn local_addr(&self) -> Option<std::net::SocketAddr> {
        self.server.lock().as_ref().map(|s| s.local_addr)
    }
}

impl Component for AwsProxy {
    fn start<'a>(&'a self, _host: &'a Host) -> BoxFuture<'a, Result<(), StartError>> {
        Box::pin(async move {
            let server = ProxyServer::start(&self.config)
                .await
                .map_err(|e| StartError(e.to_string()))?;
            tracing::info!(extension = %self.id, endpoint = %server.local_addr, "AWS X-Ray proxy listening");
            *self.server.lock() = Some(server);
            Ok(())
        })
    }

    fn shutdown(&self, deadline: Instant) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let server = self.server.lock().take();
            if let Some(s) = server {
                s.shutdown(tokio::time::Instant::from_std(deadline)).await;
            }
        })
    }
}

impl Extension for AwsProxy {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(yaml: &str) -> Result<AwsProxyConfig, ConfigError> {
        let node = confmap::yaml::parse(yaml)
            .expect("yaml")
            .expect("a document");
        component::config::decode_typed::<AwsProxyConfig>(Some(&node))
    }

    #[test]
    fn defaults_and_keys_are_upstreams() {
        let c = AwsProxyConfig::default().0;
        assert_eq!(c.endpoint, "localhost:2000");
        assert_eq!(c.service_name, "xray");
        let c = decode(
            "endpoint: 0.0.0.0:2000\nproxy_address: http://proxy:3128\nregion: eu-west-1\nrole_arn: arn:aws:iam::1:role/r\naws_endpoint: https://xray.eu-west-1.amazonaws.com\nlocal_mode: true\nservice_name: xray\ntls:\n  insecure_skip_verify: true\n",
        )
        .expect("decodes")
        .0;
        assert_eq!(c.endpoint, "0.0.0.0:2000");
        assert_eq!(c.region, "eu-west-1");
        assert!(c.local_mode && c.tls.insecure_skip_verify);
        assert!(decode("bogus: 1\n").is_err());
        assert!(decode("tls:\n  ca_file: /x\n").is_err());
    }

    #[tokio::test]
    async fn start_listens_and_shutdown_releases_the_port() {
        let cfg = AwsProxyConfig(ProxyConfig {
            endpoint: "127.0.0.1:0".into(),
            region: "us-east-1".into(),
            local_mode: true,
            aws_endpoint: "http://127.0.0.1:9".into(),
            ..Default::default()
        });
        let ext = AwsProxyFactory
            .create(
                CreateContext {
                    id: component::ComponentId::parse("awsproxy").unwrap(),
                    build_version: "test",
                },
                &AnyConfig::new(cfg),
            )
            .unwrap();
        let host = Host::new(
            Default::default(),
            tokio::sync::watch::channel(component::CollectorStatus::Starting).1,
        );
        ext.start(&host).await.expect("starts");
        let proxy = ext.as_any().downcast_ref::<AwsProxy>().unwrap();
        let addr = proxy.local_addr().expect("bound");
        // X-Ray unreachable: the proxy answers 502, as Go's reverse proxy.
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        s.write_all(b"POST /GetSamplingRules HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
            .await
            .unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 502"), "{answer}");
        ext.shutdown(Instant::now() + std::time::Duration::from_secs(2))
            .await;
        assert!(proxy.local_addr().is_none());
    }
}
