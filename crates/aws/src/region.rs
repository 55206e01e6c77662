//! Region resolution, as ADOT's `awsutil`: the component's `region`, else `AWS_REGION` /
//! `AWS_DEFAULT_REGION`, else the shared profile (`AWS_PROFILE`, `AWS_CONFIG_FILE`), else EC2
//! instance metadata (IMDSv2; skipped with `local_mode`). None of them → upstream's `NoAwsRegion`
//! startup error.

use aws_config::environment::region::EnvironmentVariableRegionProvider;
use aws_config::imds::region::ImdsRegionProvider;
use aws_config::meta::region::RegionProviderChain;
use aws_config::profile::ProfileFileRegionProvider;
use aws_config::provider_config::ProviderConfig;
use aws_smithy_runtime_api::client::http::SharedHttpClient;

use crate::error::AwsError;

/// Upstream's message (`awsutil.GetAWSConfigSession`).
pub const NO_REGION_MESSAGE: &str =
    "Cannot fetch region variable from config file, environment variables and ec2 metadata.";

/// The region to use; `configured` wins when non-empty.
pub async fn resolve(
    configured: &str,
    local_mode: bool,
    http: &SharedHttpClient,
) -> Result<String, AwsError> {
    if !configured.is_empty() {
        return Ok(configured.to_string());
    }
    let provider_config = ProviderConfig::without_region().with_http_client(http.clone());
    let mut chain = RegionProviderChain::first_try(EnvironmentVariableRegionProvider::new())
        .or_else(
            ProfileFileRegionProvider::builder()
                .configure(&provider_config)
                .build(),
        );
    if !local_mode {
        chain = chain.or_else(
            ImdsRegionProvider::builder()
                .configure(&provider_config)
                .build(),
        );
    }
    match chain.region().await {
        Some(region) if !region.as_ref().is_empty() => Ok(region.as_ref().to_string()),
        _ => {
            tracing::error!("{NO_REGION_MESSAGE}");
            Err(AwsError::config("NoAwsRegion", NO_REGION_MESSAGE))
        }
    }
}
