//! `s3:` — a configuration file in S3 (contrib `confmap/provider/s3provider`, which ADOT ships).
//!
//! Two URI forms, as upstream:
//! - `s3://<bucket>.s3.<region>.amazonaws.com/<key>` (virtual-hosted style; the bucket, region
//!   and key come from the URI);
//! - `s3://<endpoint host>/<bucket>/<key>[?region=<region>]` (path style, for S3-compatible
//!   stores such as MinIO; the region defaults to the environment's).
//!
//! Credentials come from the default chain. `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL` redirect
//! the virtual-hosted form to another endpoint (path style there). Difference from upstream: a
//! path-style host that is loopback (`localhost`, `127.0.0.0/8`, `[::1]`) is reached over plain
//! HTTP, where upstream always uses HTTPS — a local S3-compatible store rarely has a
//! certificate.

use std::sync::LazyLock;

use regex::Regex;

use super::{BoxFuture, Provider, strip_scheme};
use crate::error::ConfmapError;
use crate::retrieved::Retrieved;
use crate::yaml::go_quote;

/// Upstream's pattern for the virtual-hosted form.
pub const S3_AWS_PATTERN: &str =
    r"^s3:\/\/([a-z0-9\.\-]{3,63})\.s3\.([a-z0-9\-]+)\.amazonaws\.com\/.";
static S3_AWS_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(S3_AWS_PATTERN).expect("constant regex"));

#[derive(Debug, Clone, Default)]
pub struct S3Provider;

/// Where one `s3:` URI points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    /// Empty: the environment's region.
    pub region: String,
    pub key: String,
    /// `scheme://host[:port]` of a path-style URI; empty for the virtual-hosted form.
    pub endpoint: String,
}

/// Splits an `s3:` URI (upstream `s3URISplit`).
pub fn split_uri(uri: &str) -> Result<S3Location, String> {
    let rest = uri
        .strip_prefix("s3://")
        .ok_or_else(|| format!("uri scheme must be \"s3\", got {}", go_quote(uri)))?;
    let (authority, path_query) = rest.split_once('/').unwrap_or((rest, ""));
    let (path, query) = path_query.split_once('?').unwrap_or((path_query, ""));
    let path = path.split('#').next().unwrap_or_default();
    if authority.contains("amazonaws.com") {
        let caps = S3_AWS_RE.captures(uri).ok_or_else(|| {
            format!(
                "s3 uri does not match the AWS format: {}",
                go_quote(S3_AWS_PATTERN)
            )
        })?;
        let key = path.to_string();
        if key.is_empty() {
            return Err("invalid s3-uri with empty fields".into());
        }
        return Ok(S3Location {
            bucket: caps[1].to_string(),
            region: caps[2].to_string(),
            key,
            endpoint: String::new(),
        });
    }
    let (bucket, key) = path.split_once('/').unwrap_or((path, ""));
    if authority.is_empty() || bucket.is_empty() || key.is_empty() {
        return Err(
            "invalid s3-uri: for S3-compatible services use s3://[ENDPOINT_HOST]/[BUCKET]/[KEY]"
                .into(),
        );
    }
    let region = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("region="))
        .unwrap_or_default()
        .to_string();
    let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
    let loopback = host == "localhost"
        || host == "[::1]"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback());
    let scheme = if loopback { "http" } else { "https" };
    Ok(S3Location {
        bucket: bucket.to_string(),
        region,
        key: key.to_string(),
        endpoint: format!("{scheme}://{authority}"),
    })
}

/// Percent-encodes a key for a URL path, keeping `/` (S3's rule: everything but unreserved
/// characters is encoded once).
fn encode_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl S3Provider {
    async fn fetch(&self, loc: &S3Location) -> Result<bytes::Bytes, aws::AwsError> {
        let session =
            aws::AwsSession::from_environment(aws::Service::S3, &loc.region, &loc.endpoint).await?;
        let default = aws::endpoint::default_endpoint(aws::Service::S3, session.region());
        let virtual_hosted = loc.endpoint.is_empty()
            && session.endpoint().to_string().trim_end_matches('/') == default;
        let key = encode_key(&loc.key);
        let response = if virtual_hosted {
            // https://<bucket>.s3.<region>.amazonaws.com/<key>
            let host = format!(
                "https://{}.s3.{}.{}",
                loc.bucket,
                session.region(),
                aws::endpoint::dns_suffix(session.region())
            );
            let session = session.with_endpoint(aws::endpoint::parse(&host)?);
            session
                .call(
                    http::Method::GET,
                    &format!("/{key}"),
                    bytes::Bytes::new(),
                    &[],
                )
                .await?
        } else {
            session
                .call(
                    http::Method::GET,
                    &format!("/{}/{key}", loc.bucket),
                    bytes::Bytes::new(),
                    &[],
                )
                .await?
        };
        Ok(response.body)
    }
}

impl Provider for S3Provider {
    fn scheme(&self) -> &str {
        "s3"
    }

    fn retrieve<'a>(&'a self, uri: &'a str) -> BoxFuture<'a, Result<Retrieved, ConfmapError>> {
        Box::pin(async move {
            strip_scheme(uri, "s3")?;
            let loc = split_uri(uri).map_err(|e| {
                ConfmapError::new(format!("{} uri is not valid s3-url: {e}", go_quote(uri)))
            })?;
            let body = self.fetch(&loc).await.map_err(|e| {
                ConfmapError::new(format!(
                    "file in S3 failed to fetch uri {}: {e}",
                    go_quote(uri)
                ))
            })?;
            Ok(Retrieved::from_yaml(&body))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_virtual_hosted_form_splits_like_upstream() {
        assert_eq!(
            split_uri("s3://doc-example-bucket.s3.us-west-2.amazonaws.com/photos/config.yaml")
                .unwrap(),
            S3Location {
                bucket: "doc-example-bucket".into(),
                region: "us-west-2".into(),
                key: "photos/config.yaml".into(),
                endpoint: String::new(),
            }
        );
        let err = split_uri("s3://BAD_BUCKET.s3.us-west-2.amazonaws.com/k").unwrap_err();
        assert!(
            err.starts_with("s3 uri does not match the AWS format"),
            "{err}"
        );
        assert!(split_uri("s3://bucket.s3.us-west-2.amazonaws.com/").is_err());
    }

    #[test]
    fn the_path_style_form_names_the_endpoint() {
        assert_eq!(
            split_uri("s3://minio.example.com/my-bucket/dir/config.yaml?region=eu-west-1").unwrap(),
            S3Location {
                bucket: "my-bucket".into(),
                region: "eu-west-1".into(),
                key: "dir/config.yaml".into(),
                endpoint: "https://minio.example.com".into(),
            }
        );
        let local = split_uri("s3://127.0.0.1:9000/b/k.yaml").unwrap();
        assert_eq!(local.endpoint, "http://127.0.0.1:9000");
        assert_eq!(local.region, "");
        let err = split_uri("s3://minio.example.com/only-bucket").unwrap_err();
        assert!(err.contains("s3://[ENDPOINT_HOST]/[BUCKET]/[KEY]"), "{err}");
    }

    #[test]
    fn keys_are_encoded_once() {
        assert_eq!(encode_key("a b/c+d.yaml"), "a%20b/c%2Bd.yaml");
    }
}
