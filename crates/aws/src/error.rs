//! AWS errors and their classification: what may be retried and what never will succeed.
//!
//! A service error is read from the JSON body's `__type` (or `code`) and `message`/`Message`,
//! from the `x-amzn-ErrorType` header, or from an XML `<Error><Code>/<Message>` body (query
//! services, S3, and auth failures, which even JSON services answer in XML).

use std::fmt;
use std::time::Duration;

/// Why a call failed, as far as retrying is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The service asked us to slow down (`ThrottlingException`, HTTP 429, ...): retry later.
    Throttling,
    /// A server-side or transient failure (5xx, `ServiceUnavailableException`, timeouts,
    /// connection errors): retry with backoff.
    Transient,
    /// The request can never succeed as it is (4xx other than throttling: validation,
    /// missing resource, bad signature, access denied).
    Client,
    /// Local configuration or credentials could not be set up (no region, no credentials).
    Config,
}

/// A failed AWS call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwsError {
    pub kind: ErrorKind,
    /// The AWS error code (`ResourceNotFoundException`, `SignatureDoesNotMatch`), or a local
    /// one (`NoAwsRegion`, `RequestTimeout`, `ConnectionError`, `CredentialsError`).
    pub code: String,
    pub message: String,
    /// The HTTP status, when a response came back.
    pub status: Option<u16>,
    /// The `x-amzn-RequestId` of the response, for support cases.
    pub request_id: Option<String>,
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        if let Some(status) = self.status {
            write!(f, " (status code: {status}")?;
            if let Some(id) = &self.request_id {
                write!(f, ", request id: {id}")?;
            }
            write!(f, ")")?;
        }
        Ok(())
    }
}

impl std::error::Error for AwsError {}

/// Error codes that mean "slow down" whatever the status (the SDKs' throttling list).
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

/// Error codes that are transient even when the status says 4xx.
const TRANSIENT_CODES: &[&str] = &[
    "RequestTimeout",
    "RequestTimeoutException",
    "InternalError",
    "InternalFailure",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "OperationAbortedException",
    "IDPCommunicationError",
];

impl AwsError {
    pub fn new(kind: ErrorKind, code: impl Into<String>, message: impl Into<String>) -> Self {
        AwsError {
            kind,
            code: code.into(),
            message: message.into(),
            status: None,
            request_id: None,
        }
    }

    pub fn config(code: impl Into<String>, message: impl Into<String>) -> Self {
        AwsError::new(ErrorKind::Config, code, message)
    }

    pub fn transient(code: impl Into<String>, message: impl Into<String>) -> Self {
        AwsError::new(ErrorKind::Transient, code, message)
    }

    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self.kind, ErrorKind::Throttling | ErrorKind::Transient)
    }

    pub fn is_throttling(&self) -> bool {
        self.kind == ErrorKind::Throttling
    }

    /// Whether the error code is `code` (e.g. `ResourceNotFoundException`).
    pub fn is_code(&self, code: &str) -> bool {
        self.code == code
    }

    /// Reads the error out of a non-2xx response.
    pub fn from_response(status: u16, headers: &http::HeaderMap, body: &[u8]) -> Self {
        let header_type = headers
            .get("x-amzn-errortype")
            .and_then(|v| v.to_str().ok())
            .map(clean_code);
        let request_id = headers
            .get("x-amzn-requestid")
            .or_else(|| headers.get("x-amz-request-id"))
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let (body_code, message) = parse_body(body);
        let code = body_code
            .or(header_type)
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| format!("HTTP{status}"));
        let message = message.unwrap_or_else(|| {
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            if text.is_empty() {
                http::StatusCode::from_u16(status)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("no message")
                    .to_string()
            } else {
                text.chars().take(512).collect()
            }
        });
        AwsError {
            kind: classify(status, &code),
            code,
            message,
            status: Some(status),
            request_id,
        }
    }
}

/// Throttling codes and 429 → throttling; 5xx and transient codes → transient; other 4xx →
/// client (permanent).
pub fn classify(status: u16, code: &str) -> ErrorKind {
    if status == 429 || THROTTLING_CODES.contains(&code) {
        ErrorKind::Throttling
    } else if status >= 500 || TRANSIENT_CODES.contains(&code) {
        ErrorKind::Transient
    } else {
        ErrorKind::Client
    }
}

/// `com.amazonaws.logs#ResourceNotFoundException` → `ResourceNotFoundException`;
/// `ValidationException:http://internal.amazon.com/...` → `ValidationException`.
fn clean_code(raw: &str) -> String {
    let raw = raw.split(':').next().unwrap_or(raw);
    raw.rsplit('#').next().unwrap_or(raw).trim().to_string()
}

fn parse_body(body: &[u8]) -> (Option<String>, Option<String>) {
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(body) {
        let field = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| map.get(*n).and_then(|v| v.as_str()).map(str::to_string))
        };
        let code = field(&["__type", "code", "Code"]).map(|c| clean_code(&c));
        let message = field(&["message", "Message", "errorMessage"]);
        return (code, message);
    }
    let text = String::from_utf8_lossy(body);
    if text.trim_start().starts_with('<') {
        return (xml_tag(&text, "Code"), xml_tag(&text, "Message"));
    }
    (None, None)
}

/// The text of the first `<tag>...</tag>`; enough for AWS's flat error documents.
pub(crate) fn xml_tag(text: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = text.find(&open)? + open.len();
    let end = text[start..].find(&close)? + start;
    Some(xml_unescape(&text[start..end]))
}

pub(crate) fn xml_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// The SDKs' exponential backoff with full jitter: `attempt` 0 is the first retry.
/// Throttling starts higher (500 ms) than other transient errors (100 ms); both cap at 20 s.
pub fn backoff(attempt: u32, throttling: bool) -> Duration {
    let base_ms: u64 = if throttling { 500 } else { 100 };
    let cap_ms = 20_000u64;
    let max = base_ms.saturating_mul(1u64 << attempt.min(16)).min(cap_ms);
    // Full jitter from a cheap random source: uuid v4 is already a dependency.
    let r = uuid::Uuid::new_v4().as_u128() as u64;
    Duration::from_millis(max / 2 + r % (max / 2 + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    #[test]
    fn json_type_with_namespace_is_the_code() {
        let e = AwsError::from_response(
            400,
            &headers(&[("x-amzn-RequestId", "abc")]),
            br#"{"__type":"com.amazonaws.logs#ResourceNotFoundException","message":"The specified log group does not exist."}"#,
        );
        assert_eq!(e.code, "ResourceNotFoundException");
        assert_eq!(e.message, "The specified log group does not exist.");
        assert_eq!(e.kind, ErrorKind::Client);
        assert!(!e.is_retryable());
        assert_eq!(e.request_id.as_deref(), Some("abc"));
        assert_eq!(
            e.to_string(),
            "ResourceNotFoundException: The specified log group does not exist. (status code: 400, request id: abc)"
        );
    }

    #[test]
    fn header_type_is_used_when_the_body_has_none() {
        let e = AwsError::from_response(
            400,
            &headers(&[("x-amzn-ErrorType", "ThrottlingException:http://internal")]),
            br#"{"Message":"Rate exceeded"}"#,
        );
        assert_eq!(e.code, "ThrottlingException");
        assert_eq!(e.message, "Rate exceeded");
        assert!(e.is_throttling() && e.is_retryable());
    }

    #[test]
    fn xml_errors_are_read() {
        let body = br#"<?xml version="1.0"?><ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message></Error></ErrorResponse>"#;
        let e = AwsError::from_response(403, &http::HeaderMap::new(), body);
        assert_eq!(e.code, "SignatureDoesNotMatch");
        assert!(e.message.starts_with("The request signature we calculated"));
        assert_eq!(e.kind, ErrorKind::Client);
    }

    #[test]
    fn statuses_classify() {
        assert_eq!(classify(500, "InternalFailure"), ErrorKind::Transient);
        assert_eq!(classify(503, ""), ErrorKind::Transient);
        assert_eq!(classify(429, ""), ErrorKind::Throttling);
        assert_eq!(classify(400, "ThrottlingException"), ErrorKind::Throttling);
        assert_eq!(
            classify(400, "OperationAbortedException"),
            ErrorKind::Transient
        );
        assert_eq!(
            classify(400, "InvalidParameterException"),
            ErrorKind::Client
        );
        assert_eq!(classify(403, "AccessDenied"), ErrorKind::Client);
    }

    #[test]
    fn empty_body_falls_back_to_the_status() {
        let e = AwsError::from_response(404, &http::HeaderMap::new(), b"");
        assert_eq!(e.code, "HTTP404");
        assert_eq!(e.message, "Not Found");
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        for attempt in 0..30 {
            let d = backoff(attempt, false);
            assert!(d <= Duration::from_secs(20), "{d:?}");
        }
        assert!(backoff(0, false) <= Duration::from_millis(100));
        assert!(backoff(0, true) >= Duration::from_millis(250));
        assert!(backoff(10, false) >= Duration::from_secs(10));
    }
}
