//! The shared AWS settings of ADOT's AWS components (`awsutil.AWSSessionSettings`, squashed
//! into `awsemf`, `awsxray` and `awscloudwatchlogs`) and the session built from them: region,
//! credentials, endpoint and HTTP client for one service, plus the signed JSON calls with
//! retries.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use serde::Deserialize;

use crate::credentials::{CredentialChain, CredentialOptions, smithy_http_client};
use crate::error::{AwsError, backoff};
use crate::http_client::{HttpClient, HttpSettings, Response, proxy_from_config_or_env};
use crate::service::Service;
use crate::signing::sign_parts;

/// The keys, names and defaults of `awsutil.AWSSessionSettings` (upstream v0.115
/// `awsutil.CreateDefaultSessionConfig`). A component embeds it with `#[serde(flatten)]`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct AwsSessionConfig {
    /// Idle connections kept (upstream: the transport's `MaxIdleConns`). Default 8.
    pub num_workers: i64,
    /// Custom service endpoint; a bare host gets `https://`.
    pub endpoint: String,
    /// Bound on one HTTP exchange, in seconds. Default 30.
    pub request_timeout_seconds: i64,
    /// Retries of a throttled or transient failure (the SDK's `MaxRetries`). Default 2.
    pub max_retries: i64,
    /// Skip TLS certificate verification.
    pub no_verify_ssl: bool,
    /// An HTTP proxy (`http://host:port`); empty → `HTTPS_PROXY`.
    pub proxy_address: String,
    /// Empty → `AWS_REGION`/`AWS_DEFAULT_REGION`, the profile, then EC2 metadata.
    pub region: String,
    /// Skip the EC2 instance metadata lookups (running off EC2).
    pub local_mode: bool,
    /// Assume this role (STS `AssumeRole`) with the default chain's credentials.
    pub role_arn: String,
    /// The external id for `role_arn`.
    pub external_id: String,
    /// The ARN of the resource running the collector (X-Ray telemetry records).
    pub resource_arn: String,
}

impl Default for AwsSessionConfig {
    fn default() -> Self {
        AwsSessionConfig {
            num_workers: 8,
            endpoint: String::new(),
            request_timeout_seconds: 30,
            max_retries: 2,
            no_verify_ssl: false,
            proxy_address: String::new(),
            region: String::new(),
            local_mode: false,
            role_arn: String::new(),
            external_id: String::new(),
            resource_arn: String::new(),
        }
    }
}

impl AwsSessionConfig {
    /// Range checks (upstream has none and lets the SDK misbehave on negative values).
    pub fn validate(&self) -> Result<(), String> {
        if self.num_workers < 0 {
            return Err(format!(
                "num_workers must not be negative, got {}",
                self.num_workers
            ));
        }
        if self.request_timeout_seconds < 0 {
            return Err(format!(
                "request_timeout_seconds must not be negative, got {}",
                self.request_timeout_seconds
            ));
        }
        if self.max_retries < 0 {
            return Err(format!(
                "max_retries must not be negative, got {}",
                self.max_retries
            ));
        }
        if !self.endpoint.is_empty() {
            crate::endpoint::parse(&self.endpoint).map_err(|e| e.message)?;
        }
        Ok(())
    }

    /// The transport settings.
    pub fn http_settings(&self) -> HttpSettings {
        HttpSettings {
            no_verify_ssl: self.no_verify_ssl,
            proxy_address: proxy_from_config_or_env(&self.proxy_address),
            timeout: Duration::from_secs(self.request_timeout_seconds.max(0) as u64),
            max_idle_per_host: self.num_workers.max(1) as usize,
        }
    }
}

/// Everything needed to call one AWS service; cheap to share behind an `Arc`.
#[derive(Clone, Debug)]
pub struct AwsSession {
    region: String,
    endpoint: http::Uri,
    service: Service,
    credentials: CredentialChain,
    http: HttpClient,
    max_retries: u32,
    user_agent: String,
}

/// `ferrocol/<version>`, the start of every User-Agent we send.
pub fn base_user_agent() -> String {
    format!("ferrocol/{}", env!("CARGO_PKG_VERSION"))
}

impl AwsSession {
    /// Resolves the region (failing with `NoAwsRegion` when there is none), the endpoint and
    /// the credential chain for `service`. Credentials are fetched on the first call.
    pub async fn new(cfg: &AwsSessionConfig, service: Service) -> Result<Self, AwsError> {
        cfg.validate()
            .map_err(|m| AwsError::config("InvalidConfig", m))?;
        let smithy = smithy_http_client();
        let region = crate::region::resolve(&cfg.region, cfg.local_mode, &smithy).await?;
        let endpoint = crate::endpoint::resolve(&cfg.endpoint, service, &region)?;
        let credentials = CredentialChain::load(
            &CredentialOptions {
                region: region.clone(),
                role_arn: cfg.role_arn.clone(),
                external_id: cfg.external_id.clone(),
                ..CredentialOptions::default()
            },
            &smithy,
        )
        .await;
        let http = HttpClient::new(&cfg.http_settings())?;
        Ok(AwsSession {
            region,
            endpoint,
            service,
            credentials,
            http,
            max_retries: cfg.max_retries.max(0) as u32,
            user_agent: base_user_agent(),
        })
    }

    /// A session from the environment and shared profile alone (what the SDKs'
    /// `LoadDefaultConfig` gives a component without AWS settings, e.g. the `s3:`/`ssm:`
    /// config providers): `region` if given, else `AWS_REGION`/`AWS_DEFAULT_REGION` or the
    /// profile (no instance metadata); `endpoint` if given, else the `AWS_ENDPOINT_URL*`
    /// variables or the regional endpoint.
    pub async fn from_environment(
        service: Service,
        region: &str,
        endpoint: &str,
    ) -> Result<Self, AwsError> {
        let cfg = AwsSessionConfig {
            region: region.to_string(),
            endpoint: endpoint.to_string(),
            local_mode: true,
            ..AwsSessionConfig::default()
        };
        AwsSession::new(&cfg, service).await
    }

    /// A session from ready parts (tests, and callers with their own credentials).
    pub fn from_parts(
        region: impl Into<String>,
        endpoint: http::Uri,
        service: Service,
        credentials: CredentialChain,
        http: HttpClient,
        max_retries: u32,
    ) -> Self {
        AwsSession {
            region: region.into(),
            endpoint,
            service,
            credentials,
            http,
            max_retries,
            user_agent: base_user_agent(),
        }
    }

    /// Appends `(component)` style text to the User-Agent, e.g. `"(awsemf)"`.
    pub fn with_user_agent_suffix(mut self, suffix: &str) -> Self {
        self.user_agent = format!("{} {suffix}", base_user_agent());
        self
    }

    /// The same session aimed at another endpoint (S3's per-bucket hosts).
    pub fn with_endpoint(mut self, endpoint: http::Uri) -> Self {
        self.endpoint = endpoint;
        self
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    pub fn endpoint(&self) -> &http::Uri {
        &self.endpoint
    }

    pub fn service(&self) -> Service {
        self.service
    }

    pub fn credentials(&self) -> &CredentialChain {
        &self.credentials
    }

    pub fn max_retries(&self) -> u32 {
        self.max_retries
    }

    /// An AWS JSON 1.1 call (`POST /`, `X-Amz-Target: <target>`,
    /// `Content-Type: application/x-amz-json-1.1`), e.g. `Logs_20140328.PutLogEvents`.
    /// Retried per [`AwsSession::call`]. Returns the response body.
    pub async fn json_call(&self, target: &str, body: Bytes) -> Result<Bytes, AwsError> {
        self.json_call_with_headers(target, body, &[]).await
    }

    /// [`AwsSession::json_call`] with extra headers (e.g. `x-amzn-logs-format: json/emf`).
    pub async fn json_call_with_headers(
        &self,
        target: &str,
        body: Bytes,
        headers: &[(&str, &str)],
    ) -> Result<Bytes, AwsError> {
        let mut all = vec![
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amz-target", target),
        ];
        all.extend_from_slice(headers);
        self.call(http::Method::POST, "/", body, &all)
            .await
            .map(|r| r.body)
    }

    /// A REST-JSON call, e.g. X-Ray's `POST /TraceSegments` (`Content-Type: application/json`
    /// unless given). Retried per [`AwsSession::call`]. Returns the response body.
    pub async fn rest_json(
        &self,
        method: http::Method,
        path_and_query: &str,
        body: Bytes,
        headers: &[(&str, &str)],
    ) -> Result<Bytes, AwsError> {
        let mut all: Vec<(&str, &str)> = Vec::with_capacity(headers.len() + 1);
        if !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        {
            all.push(("content-type", "application/json"));
        }
        all.extend_from_slice(headers);
        self.call(method, path_and_query, body, &all)
            .await
            .map(|r| r.body)
    }

    /// A signed request to the session's endpoint with up to `max_retries` retries of
    /// throttled and transient failures (exponential backoff with jitter); an expired or
    /// invalid security token refreshes the credentials once. A non-2xx answer is an
    /// [`AwsError`] classified per [`crate::error::classify`].
    pub async fn call(
        &self,
        method: http::Method,
        path_and_query: &str,
        body: Bytes,
        headers: &[(&str, &str)],
    ) -> Result<Response, AwsError> {
        let uri = crate::endpoint::join(&self.endpoint, path_and_query)?;
        let mut refreshed = false;
        let mut attempt = 0u32;
        loop {
            let result = self.attempt(&method, &uri, &body, headers).await;
            let err = match result {
                Ok(r) => return Ok(r),
                Err(e) => e,
            };
            if !refreshed && matches!(err.code.as_str(), "ExpiredToken" | "ExpiredTokenException") {
                refreshed = true;
                self.credentials.invalidate().await;
                continue;
            }
            if !err.is_retryable() || attempt >= self.max_retries {
                return Err(err);
            }
            let wait = backoff(attempt, err.is_throttling());
            tracing::debug!(error = %err, attempt, ?wait, "retrying AWS call");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// One signed attempt.
    async fn attempt(
        &self,
        method: &http::Method,
        uri: &http::Uri,
        body: &Bytes,
        headers: &[(&str, &str)],
    ) -> Result<Response, AwsError> {
        let credentials = self.credentials.credentials().await?;
        let mut builder = http::Request::builder()
            .method(method.clone())
            .uri(uri.clone())
            .header(http::header::USER_AGENT, &self.user_agent);
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let request = builder
            .body(body.clone())
            .map_err(|e| AwsError::config("InvalidRequest", e.to_string()))?;
        let (mut parts, body) = request.into_parts();
        sign_parts(
            &mut parts,
            &body,
            &credentials,
            &self.region,
            self.service.signing_name,
            SystemTime::now(),
        )?;
        let response = self
            .http
            .send(http::Request::from_parts(parts, body))
            .await?;
        if (200..300).contains(&response.status) {
            Ok(response)
        } else {
            Err(AwsError::from_response(
                response.status,
                &response.headers,
                &response.body,
            ))
        }
    }
}
