//! SigV4 signing of a request's parts and body with `aws-sigv4`.
//!
//! The body is hashed as it will be sent (compressed, if it is), and the hash is also sent as
//! `x-amz-content-sha256` when the service wants it (S3).

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
    UriPathNormalizationMode, sign,
};
use aws_sigv4::sign::v4;

use crate::error::AwsError;

/// Signs `parts` in place for `service` in `region`: adds `authorization`, `x-amz-date`, and
/// `x-amz-security-token` for temporary credentials. `host` must be set or derivable from the
/// URI (it is added from the URI when missing, since the signature covers it).
pub fn sign_parts(
    parts: &mut http::request::Parts,
    body: &[u8],
    credentials: &Credentials,
    region: &str,
    service: &str,
    time: SystemTime,
) -> Result<(), AwsError> {
    if !parts.headers.contains_key(http::header::HOST)
        && let Some(authority) = parts.uri.authority()
    {
        let host = host_header(&parts.uri, authority);
        let value = http::HeaderValue::from_str(&host)
            .map_err(|e| AwsError::config("SigningError", e.to_string()))?;
        parts.headers.insert(http::header::HOST, value);
    }
    let mut settings = SigningSettings::default();
    if service == "s3" {
        // S3 signs the path as sent (already percent-encoded once, not normalized) and wants
        // the payload hash header.
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    }
    // An empty session token (some credential endpoints send `"Token": ""`) is no token: sent
    // as `x-amz-security-token:` it makes the service refuse the request.
    let identity = if credentials.session_token().is_some_and(str::is_empty) {
        Credentials::new(
            credentials.access_key_id(),
            credentials.secret_access_key(),
            None,
            credentials.expiry(),
            "ferrocol",
        )
        .into()
    } else {
        credentials.clone().into()
    };
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(time)
        .settings(settings)
        .build()
        .map_err(|e| AwsError::config("SigningError", e.to_string()))?
        .into();
    let headers: Vec<(&str, &str)> = parts
        .headers
        .iter()
        .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str(), v)))
        .collect();
    let uri = parts.uri.to_string();
    let signable = SignableRequest::new(
        parts.method.as_str(),
        &uri,
        headers.into_iter(),
        SignableBody::Bytes(body),
    )
    .map_err(|e| AwsError::config("SigningError", e.to_string()))?;
    let (instructions, _signature) = sign(signable, &params)
        .map_err(|e| AwsError::config("SigningError", e.to_string()))?
        .into_parts();
    let (new_headers, new_params) = instructions.into_parts();
    debug_assert!(
        new_params.is_empty(),
        "header signing adds no query parameters"
    );
    for header in new_headers {
        let mut value = http::HeaderValue::from_str(header.value())
            .map_err(|e| AwsError::config("SigningError", e.to_string()))?;
        // Never printed in debug output: the signature and the session token.
        value.set_sensitive(header.sensitive() || header.name() == "authorization");
        parts.headers.insert(header.name(), value);
    }
    Ok(())
}

/// The `Host` value for a URI: the port only when it is not the scheme's default (as the
/// SDKs sign it).
fn host_header(uri: &http::Uri, authority: &http::uri::Authority) -> String {
    let default_port = match uri.scheme_str() {
        Some("https") => Some(443),
        Some("http") => Some(80),
        _ => None,
    };
    match authority.port_u16() {
        Some(p) if Some(p) != default_port => format!("{}:{p}", authority.host()),
        _ => authority.host().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn parts(uri: &str) -> http::request::Parts {
        http::Request::post(uri)
            .header("content-type", "application/x-amz-json-1.1")
            .body(())
            .unwrap()
            .into_parts()
            .0
    }

    #[test]
    fn signs_with_the_scope_and_the_host() {
        let creds = Credentials::new("AKIDEXAMPLE", "secret", None, None, "test");
        let mut p = parts("http://127.0.0.1:4566/");
        let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        sign_parts(&mut p, b"{}", &creds, "us-east-1", "logs", t).unwrap();
        let auth = p.headers["authorization"].to_str().unwrap();
        assert!(
            auth.starts_with(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231114/us-east-1/logs/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature="
            ),
            "{auth}"
        );
        assert_eq!(p.headers["host"], "127.0.0.1:4566");
        assert_eq!(p.headers["x-amz-date"], "20231114T221320Z");
        assert!(p.headers["authorization"].is_sensitive());
        assert!(!p.headers.contains_key("x-amz-security-token"));
    }

    #[test]
    fn the_body_changes_the_signature_and_tokens_are_sent() {
        let creds = Credentials::new("AKID", "secret", Some("token".into()), None, "test");
        let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut a = parts(
            "https://aps-workspaces.us-west-2.amazonaws.com/workspaces/ws/api/v1/remote_write",
        );
        let mut b = parts(
            "https://aps-workspaces.us-west-2.amazonaws.com/workspaces/ws/api/v1/remote_write",
        );
        sign_parts(&mut a, b"one", &creds, "us-west-2", "aps", t).unwrap();
        sign_parts(&mut b, b"two", &creds, "us-west-2", "aps", t).unwrap();
        assert_ne!(a.headers["authorization"], b.headers["authorization"]);
        assert_eq!(a.headers["x-amz-security-token"], "token");
        assert_eq!(a.headers["host"], "aps-workspaces.us-west-2.amazonaws.com");
    }

    #[test]
    fn s3_gets_the_content_hash_header() {
        let creds = Credentials::new("AKID", "secret", None, None, "test");
        let mut p = parts("http://127.0.0.1:9000/bucket/key");
        sign_parts(&mut p, b"", &creds, "us-east-1", "s3", SystemTime::now()).unwrap();
        assert_eq!(
            p.headers["x-amz-content-sha256"],
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
