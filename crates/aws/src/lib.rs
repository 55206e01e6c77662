//! AWS plumbing shared by ferrocol's AWS components (`awscloudwatchlogs`, `awsemf`, `awsxray`,
//! `sigv4auth`, the `s3:`/`ssm:` config providers): the credential and region chains, endpoint
//! resolution, SigV4 signing over ferrocol's own hyper/rustls client, a JSON-1.1 and REST-JSON
//! caller with AWS error classification, and the CloudWatch Logs client.
//!
//! Only `aws-config` (credentials and region) and `aws-sigv4` (signing) come from the AWS SDK;
//! the service calls are hand-written JSON, so no SDK service crate (and no second HTTP/TLS
//! stack) is compiled in. aws-config gets a smithy HTTP client on rustls + ring, so aws-lc is not
//! built either.
//!
//! ```no_run
//! # async fn f() -> Result<(), aws::AwsError> {
//! use aws::session::{AwsSession, AwsSessionConfig};
//! use aws::service::Service;
//! let cfg = AwsSessionConfig { region: "us-west-2".into(), ..AwsSessionConfig::default() };
//! let session = AwsSession::new(&cfg, Service::LOGS).await?;
//! let body = session.json_call("Logs_20140328.DescribeLogGroups", b"{}".to_vec().into()).await?;
//! # Ok(()) }
//! ```

pub mod cloudwatch_logs;
pub mod credentials;
pub mod endpoint;
pub mod error;
pub mod gojson;
pub mod http_client;
pub mod region;
pub mod service;
pub mod session;
pub mod signing;
/// X-Ray segment documents and ids, shared by the `awsxray` exporter and receiver.
pub mod xray;

pub use error::{AwsError, ErrorKind};
pub use service::Service;
pub use session::{AwsSession, AwsSessionConfig};
