//! Credentials: aws-config's default chain (environment, shared profile files with
//! `AWS_PROFILE`, web identity / IRSA, ECS container credentials, EC2 IMDSv2), optionally
//! wrapped in an STS `AssumeRole` (`role_arn`), behind a cache that refreshes temporary
//! credentials five minutes before they expire.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_config::BehaviorVersion;
use aws_config::sts::AssumeRoleProvider;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_types::region::Region;

pub use aws_credential_types::Credentials;

use crate::error::AwsError;

/// How early temporary credentials are refreshed.
const REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(300);

/// What selects the credentials.
#[derive(Clone, Debug, Default)]
pub struct CredentialOptions {
    /// The region the default chain and STS use; empty lets aws-config find one
    /// (`AWS_REGION`, the profile).
    pub region: String,
    /// Assume this role with the default chain's credentials (empty: use them directly).
    pub role_arn: String,
    pub external_id: String,
    /// The role session name; empty → `ferrocol-<unix nanos>`.
    pub session_name: String,
    /// The region of the STS endpoint for AssumeRole; empty → `region`.
    pub sts_region: String,
}

/// The HTTP client aws-config's providers (STS, IMDS, ECS, SSO-less profile chains) use:
/// hyper 1 + rustls with the ring provider, like the rest of ferrocol.
pub fn smithy_http_client() -> SharedHttpClient {
    use aws_smithy_http_client::tls;
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

/// A cached credentials source; cheap to share.
#[derive(Clone)]
pub struct CredentialChain {
    provider: SharedCredentialsProvider,
    cache: Arc<tokio::sync::Mutex<Option<Credentials>>>,
}

impl std::fmt::Debug for CredentialChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialChain").finish_non_exhaustive()
    }
}

impl CredentialChain {
    /// The default chain for `options.region`, with AssumeRole on top when `role_arn` is set.
    /// Nothing is fetched yet: the first call does (so a collector can start before IMDS
    /// answers, as upstream's lazy SDK credentials).
    pub async fn load(options: &CredentialOptions, http: &SharedHttpClient) -> Self {
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(http.clone());
        if !options.region.is_empty() {
            loader = loader.region(Region::new(options.region.clone()));
        }
        let sdk = loader.load().await;
        let base = sdk
            .credentials_provider()
            .unwrap_or_else(|| SharedCredentialsProvider::new(NoCredentials));
        let provider = if options.role_arn.is_empty() {
            base
        } else {
            let session_name = if options.session_name.is_empty() {
                let nanos = SystemTime::now()
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or_default();
                format!("ferrocol-{nanos}")
            } else {
                options.session_name.clone()
            };
            let sts_region = if options.sts_region.is_empty() {
                &options.region
            } else {
                &options.sts_region
            };
            let mut builder = AssumeRoleProvider::builder(options.role_arn.clone())
                .session_name(session_name)
                .configure(&sdk);
            if !sts_region.is_empty() {
                builder = builder.region(Region::new(sts_region.clone()));
            }
            if !options.external_id.is_empty() {
                builder = builder.external_id(options.external_id.clone());
            }
            SharedCredentialsProvider::new(builder.build_from_provider(base).await)
        };
        CredentialChain::from_provider(provider)
    }

    /// Fixed credentials (tests, and callers that already hold keys).
    pub fn from_static(credentials: Credentials) -> Self {
        CredentialChain::from_provider(SharedCredentialsProvider::new(credentials))
    }

    pub fn from_provider(provider: SharedCredentialsProvider) -> Self {
        CredentialChain {
            provider,
            cache: Arc::new(tokio::sync::Mutex::new(None)),
        }
    }

    /// Current credentials: the cached ones unless they expire within five minutes. One
    /// caller refreshes while the others wait for its result.
    pub async fn credentials(&self) -> Result<Credentials, AwsError> {
        let mut cached = self.cache.lock().await;
        if let Some(c) = cached.as_ref()
            && c.expiry()
                .is_none_or(|exp| exp > SystemTime::now() + REFRESH_BEFORE_EXPIRY)
        {
            return Ok(c.clone());
        }
        let fresh = self
            .provider
            .provide_credentials()
            .await
            .map_err(|e| AwsError::config("CredentialsError", describe(&e)))?;
        *cached = Some(fresh.clone());
        Ok(fresh)
    }

    /// Forgets the cached credentials (after the service said they are invalid or expired).
    pub async fn invalidate(&self) {
        *self.cache.lock().await = None;
    }
}

fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// Stands in when aws-config offers no provider at all.
#[derive(Debug)]
struct NoCredentials;

impl ProvideCredentials for NoCredentials {
    fn provide_credentials<'a>(
        &'a self,
    ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        aws_credential_types::provider::future::ProvideCredentials::ready(Err(
            aws_credential_types::provider::error::CredentialsError::not_loaded(
                "no credentials provider configured",
            ),
        ))
    }
}
