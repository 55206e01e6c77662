//! `sigv4auth` (contrib `extension/sigv4authextension`, beta): signs every request of an
//! exporter whose config says `auth: {authenticator: sigv4auth}` with AWS Signature Version 4,
//! over the body exactly as sent (compressed) — e.g. Prometheus remote write to Amazon Managed
//! Service for Prometheus.
//!
//! Config: `region`, `service`, `assume_role: {arn, session_name, sts_region}` (`sts_region`
//! defaults to `region`). Credentials come from the default chain (environment, profile, web
//! identity, ECS, EC2 metadata), then `AssumeRole` when `assume_role.arn` is set; temporary
//! credentials are refreshed before they expire.
//!
//! When `service` or `region` is not set, it is inferred from the host, as upstream:
//! `aps-workspaces.<region>.amazonaws.com` → `aps`, `search-<domain>.<region>.es.amazonaws.com`
//! → `es`, `logs.<region>...` → `logs`, `xray.<region>...` → `xray`. Where upstream then signs
//! with empty values (and the service refuses the request), ferrocol fails the attempt with a
//! message saying which key to set. Only HTTP exporters can use it: a gRPC exporter cannot hand
//! over its body to be signed.

mod config;
#[cfg(test)]
mod tests;

use std::any::Any;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use aws::credentials::{CredentialChain, CredentialOptions, smithy_http_client};
use component::auth::ClientAuthenticator;
use component::{
    AnyConfig, Component, ConfigError, CreateContext, CreateError, Extension, ExtensionFactory,
    FactoryInfo, Host, Kind, Stability, StartError,
};
use futures::future::BoxFuture;
use parking_lot::Mutex;

pub use config::{AssumeRoleConfig, SigV4AuthConfig};

pub struct SigV4AuthFactory;

impl FactoryInfo for SigV4AuthFactory {
    fn kind(&self) -> Kind {
        "sigv4auth"
    }

    fn decode_config(&self, node: Option<&confmap::Node>) -> Result<AnyConfig, ConfigError> {
        component::config::decode::<SigV4AuthConfig>(node)
    }
}

impl ExtensionFactory for SigV4AuthFactory {
    fn stability(&self) -> Stability {
        Stability::Beta
    }

    fn create(
        &self,
        _ctx: CreateContext,
        config: &AnyConfig,
    ) -> Result<Arc<dyn Extension>, CreateError> {
        let config: &SigV4AuthConfig = config.get();
        let signer = Arc::new(Signer {
            region: config.region.clone(),
            service: config.service.clone(),
            credentials: Mutex::new(None),
        });
        Ok(Arc::new(SigV4Auth {
            config: config.clone(),
            capability: signer.clone(),
            signer,
        }))
    }
}

/// A running `sigv4auth`.
struct SigV4Auth {
    config: SigV4AuthConfig,
    signer: Arc<Signer>,
    capability: Arc<dyn ClientAuthenticator>,
}

impl Component for SigV4Auth {
    fn start<'a>(&'a self, _host: &'a Host) -> BoxFuture<'a, Result<(), StartError>> {
        Box::pin(async move {
            let role = &self.config.assume_role;
            let options = CredentialOptions {
                region: self.config.region.clone(),
                role_arn: role.arn.clone(),
                session_name: role.session_name.clone(),
                sts_region: role.sts_region.clone(),
                ..CredentialOptions::default()
            };
            let chain = CredentialChain::load(&options, &smithy_http_client()).await;
            *self.signer.credentials.lock() = Some(chain);
            Ok(())
        })
    }

    fn shutdown(&self, _deadline: Instant) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

impl Extension for SigV4Auth {
    fn as_any(&self) -> &dyn Any {
        &self.capability
    }
}

/// The authenticator exporters call.
struct Signer {
    region: String,
    service: String,
    credentials: Mutex<Option<CredentialChain>>,
}

impl Signer {
    #[cfg(test)]
    fn with_credentials(region: &str, service: &str, chain: CredentialChain) -> Self {
        Signer {
            region: region.into(),
            service: service.into(),
            credentials: Mutex::new(Some(chain)),
        }
    }
}

/// The service and region to sign for: the configured ones, else what the host says.
pub fn infer_service_and_region(service: &str, region: &str, host: &str) -> (String, String) {
    let default_service = [
        ("aps-workspaces", "aps"),
        ("search-", "es"),
        ("logs", "logs"),
        ("xray", "xray"),
    ]
    .iter()
    .find(|(prefix, _)| host.starts_with(prefix))
    .map(|(_, s)| *s);
    let Some(default_service) = default_service else {
        return (service.to_string(), region.to_string());
    };
    let service = if service.is_empty() {
        default_service
    } else {
        service
    };
    // The region is the second label: `<first>.<region>.amazonaws.com`.
    let region = if region.is_empty() {
        host.split('.').nth(1).unwrap_or_default()
    } else {
        region
    };
    (service.to_string(), region.to_string())
}

impl ClientAuthenticator for Signer {
    fn authenticate<'a>(
        &'a self,
        request: &'a mut http::request::Parts,
        body: &'a [u8],
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let host = request
                .headers
                .get(http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(|h| h.split(':').next().unwrap_or(h).to_string())
                .or_else(|| request.uri.host().map(str::to_string))
                .unwrap_or_default();
            let (service, region) = infer_service_and_region(&self.service, &self.region, &host);
            if service.is_empty() || region.is_empty() {
                return Err(format!(
                    "sigv4auth: unable to infer region and/or service from the URL host {host:?}. Please provide values for region and/or service in the collector configuration."
                ));
            }
            let chain = self
                .credentials
                .lock()
                .clone()
                .ok_or_else(|| "sigv4auth: the extension has not started".to_string())?;
            let credentials = chain
                .credentials()
                .await
                .map_err(|e| format!("sigv4auth: error retrieving credentials: {e}"))?;
            aws::signing::sign_parts(
                request,
                body,
                &credentials,
                &region,
                &service,
                SystemTime::now(),
            )
            .map_err(|e| format!("sigv4auth: error signing the request: {e}"))
        })
    }

    fn supports_grpc(&self) -> bool {
        false
    }
}
