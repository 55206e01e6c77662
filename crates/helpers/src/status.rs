//! The one place where [`ConsumeError`]s meet gRPC codes and HTTP statuses, in both directions,
//! exactly as upstream maps them (collector-semantics.md §3, "Error classes and status mapping").

use std::time::{Duration, SystemTime};

use component::ConsumeError;
use prost::Message;
use tonic::Code;

/// The gRPC status a receiver answers with when its pipeline refused data. Upstream: an error
/// without a gRPC status becomes `Unavailable`; a permanent one becomes `Internal`; a throttle is
/// `ResourceExhausted` carrying `RetryInfo`.
pub fn receiver_grpc_status(err: &ConsumeError) -> tonic::Status {
    match err {
        ConsumeError::Permanent(e) => tonic::Status::new(Code::Internal, e.to_string()),
        ConsumeError::Retryable(e) => tonic::Status::new(Code::Unavailable, e.to_string()),
        ConsumeError::Throttled { error, retry_after } => {
            let details =
                retry_info_details(Code::ResourceExhausted, &error.to_string(), *retry_after);
            tonic::Status::with_details(Code::ResourceExhausted, error.to_string(), details.into())
        }
    }
}

/// The `google.rpc.Status` detail bytes carrying a `RetryInfo`, as tonic expects in
/// [`tonic::Status::with_details`] (the encoded `Status` message).
fn retry_info_details(code: Code, message: &str, retry_after: Duration) -> Vec<u8> {
    let retry = pdata::proto::rpc::RetryInfo {
        retry_delay: Some(prost_types::Duration {
            seconds: retry_after.as_secs() as i64,
            nanos: retry_after.subsec_nanos() as i32,
        }),
    };
    pdata::proto::rpc::Status {
        code: code as i32,
        message: message.to_string(),
        details: vec![prost_types::Any {
            type_url: "type.googleapis.com/google.rpc.RetryInfo".into(),
            value: retry.encode_to_vec(),
        }],
    }
    .encode_to_vec()
}

/// The HTTP status for a gRPC code, as upstream's OTLP/HTTP receiver maps them.
pub fn http_status_for_grpc(code: Code) -> u16 {
    match code {
        Code::Cancelled
        | Code::DeadlineExceeded
        | Code::Aborted
        | Code::OutOfRange
        | Code::Unavailable
        | Code::DataLoss => 503,
        Code::ResourceExhausted => 429,
        Code::InvalidArgument => 400,
        Code::Unauthenticated => 401,
        Code::PermissionDenied => 403,
        Code::Unimplemented => 404,
        _ => 500,
    }
}

/// What an OTLP/HTTP receiver answers for a refused request: status, the `Retry-After` seconds
/// when throttled, and the `google.rpc.Status` to encode in the request's content type.
pub fn receiver_http_response(err: &ConsumeError) -> (u16, Option<u64>, pdata::proto::rpc::Status) {
    let grpc = receiver_grpc_status(err);
    let status = http_status_for_grpc(grpc.code());
    let retry_after = match err {
        // Upstream sets Retry-After only when the status carries RetryInfo, i.e. a throttle.
        ConsumeError::Throttled { retry_after, .. } => Some(retry_after.as_secs().max(1)),
        _ => None,
    };
    let body = pdata::proto::rpc::Status {
        code: grpc.code() as i32,
        message: grpc.message().to_string(),
        details: Vec::new(),
    };
    (status, retry_after, body)
}

/// Classifies a gRPC status an exporter got back (upstream `otlpexporter.shouldRetry`):
/// `Canceled`, `DeadlineExceeded`, `Aborted`, `OutOfRange`, `Unavailable`, `DataLoss` retry;
/// `ResourceExhausted` retries only with `RetryInfo` (a throttle when its delay is non-zero);
/// everything else is permanent.
pub fn classify_grpc_status(status: &tonic::Status) -> ConsumeError {
    let msg = format!(
        "rpc error: code = {} desc = {}",
        go_code_name(status.code()),
        status.message()
    );
    match status.code() {
        Code::Cancelled
        | Code::DeadlineExceeded
        | Code::Aborted
        | Code::OutOfRange
        | Code::Unavailable
        | Code::DataLoss => match retry_delay(status) {
            Some(d) if !d.is_zero() => ConsumeError::Throttled {
                error: msg.into(),
                retry_after: d,
            },
            _ => ConsumeError::Retryable(msg.into()),
        },
        Code::ResourceExhausted => match retry_delay(status) {
            Some(d) if !d.is_zero() => ConsumeError::Throttled {
                error: msg.into(),
                retry_after: d,
            },
            Some(_) => ConsumeError::Retryable(msg.into()),
            None => ConsumeError::Permanent(msg.into()),
        },
        _ => ConsumeError::Permanent(msg.into()),
    }
}

/// grpc-go's name for a code, as its errors print it (tonic spells `Canceled` `Cancelled`).
pub fn go_code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "Canceled",
        Code::Unknown => "Unknown",
        Code::InvalidArgument => "InvalidArgument",
        Code::DeadlineExceeded => "DeadlineExceeded",
        Code::NotFound => "NotFound",
        Code::AlreadyExists => "AlreadyExists",
        Code::PermissionDenied => "PermissionDenied",
        Code::ResourceExhausted => "ResourceExhausted",
        Code::FailedPrecondition => "FailedPrecondition",
        Code::Aborted => "Aborted",
        Code::OutOfRange => "OutOfRange",
        Code::Unimplemented => "Unimplemented",
        Code::Internal => "Internal",
        Code::Unavailable => "Unavailable",
        Code::DataLoss => "DataLoss",
        Code::Unauthenticated => "Unauthenticated",
    }
}

/// The `RetryInfo.retry_delay` of a status, if it carries one.
pub fn retry_delay(status: &tonic::Status) -> Option<Duration> {
    let details = status.details();
    if details.is_empty() {
        return None;
    }
    let rpc = pdata::proto::rpc::Status::decode(details).ok()?;
    rpc.details
        .iter()
        .find(|a| a.type_url.ends_with("google.rpc.RetryInfo"))
        .and_then(|a| pdata::proto::rpc::RetryInfo::decode(a.value.as_slice()).ok())
        .map(|r| {
            r.retry_delay.map_or(Duration::ZERO, |d| {
                Duration::new(d.seconds.max(0) as u64, d.nanos.max(0) as u32)
            })
        })
}

/// Whether an OTLP/HTTP exporter retries an HTTP status (upstream: 429, 502, 503, 504 only).
pub fn http_status_is_retryable(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

/// Parses a `Retry-After` header: delay-seconds or an HTTP date (RFC 1123).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Classifies an HTTP response an OTLP/HTTP exporter got back (upstream `otlphttpexporter`):
/// 429/502/503/504 retry, and 429/503 with `Retry-After` throttle; every other status, 400, 401,
/// 403, 404, 413 and 500 included, is permanent.
pub fn classify_http_response(
    url: &str,
    status: u16,
    retry_after: Option<&str>,
    body_status: Option<&pdata::proto::rpc::Status>,
) -> ConsumeError {
    // Upstream adds Message/Details only when the body was a google.rpc.Status.
    let mut msg =
        format!("error exporting items, request to {url} responded with HTTP Status Code {status}");
    if let Some(s) = body_status {
        msg.push_str(&format!(", Message={}, Details={:?}", s.message, s.details));
    }
    if !http_status_is_retryable(status) {
        return ConsumeError::Permanent(msg.into());
    }
    let delay = match status {
        429 | 503 => retry_after.and_then(|v| parse_retry_after(v, SystemTime::now())),
        _ => None,
    };
    match delay {
        Some(retry_after) => ConsumeError::Throttled {
            error: msg.into(),
            retry_after,
        },
        None => ConsumeError::Retryable(msg.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receiver_mapping() {
        let s = receiver_grpc_status(&ConsumeError::retryable(
            "data refused due to high memory usage",
        ));
        assert_eq!(s.code(), Code::Unavailable);
        assert_eq!(s.message(), "data refused due to high memory usage");
        assert_eq!(
            receiver_grpc_status(&ConsumeError::permanent("bad")).code(),
            Code::Internal
        );
        let t = ConsumeError::Throttled {
            error: "slow down".into(),
            retry_after: Duration::from_secs(7),
        };
        let s = receiver_grpc_status(&t);
        assert_eq!(s.code(), Code::ResourceExhausted);
        assert_eq!(retry_delay(&s), Some(Duration::from_secs(7)));
        let (code, ra, body) = receiver_http_response(&t);
        assert_eq!(
            (code, ra, body.code),
            (429, Some(7), Code::ResourceExhausted as i32)
        );
        let (code, ra, _) = receiver_http_response(&ConsumeError::retryable("x"));
        assert_eq!((code, ra), (503, None));
        assert_eq!(receiver_http_response(&ConsumeError::permanent("x")).0, 500);
    }

    #[test]
    fn grpc_to_http_table() {
        for (code, http) in [
            (Code::Cancelled, 503),
            (Code::DeadlineExceeded, 503),
            (Code::Aborted, 503),
            (Code::OutOfRange, 503),
            (Code::Unavailable, 503),
            (Code::DataLoss, 503),
            (Code::ResourceExhausted, 429),
            (Code::InvalidArgument, 400),
            (Code::Unauthenticated, 401),
            (Code::PermissionDenied, 403),
            (Code::Unimplemented, 404),
            (Code::Internal, 500),
            (Code::Unknown, 500),
            (Code::NotFound, 500),
        ] {
            assert_eq!(http_status_for_grpc(code), http, "{code:?}");
        }
    }

    #[test]
    fn exporter_grpc_classification() {
        for code in [
            Code::Cancelled,
            Code::DeadlineExceeded,
            Code::Aborted,
            Code::OutOfRange,
            Code::Unavailable,
            Code::DataLoss,
        ] {
            assert!(matches!(
                classify_grpc_status(&tonic::Status::new(code, "x")),
                ConsumeError::Retryable(_)
            ));
        }
        for code in [
            Code::InvalidArgument,
            Code::Unauthenticated,
            Code::PermissionDenied,
            Code::NotFound,
            Code::Internal,
            Code::Unknown,
            Code::ResourceExhausted,
        ] {
            assert!(
                classify_grpc_status(&tonic::Status::new(code, "x")).is_permanent(),
                "{code:?}"
            );
        }
        let throttled = receiver_grpc_status(&ConsumeError::Throttled {
            error: "x".into(),
            retry_after: Duration::from_secs(3),
        });
        assert!(matches!(
            classify_grpc_status(&throttled),
            ConsumeError::Throttled { retry_after, .. } if retry_after == Duration::from_secs(3)
        ));
    }

    #[test]
    fn exporter_http_classification() {
        for s in [400, 401, 403, 404, 413, 500] {
            assert!(
                classify_http_response("u", s, None, None).is_permanent(),
                "{s}"
            );
        }
        for s in [429, 502, 503, 504] {
            assert!(matches!(
                classify_http_response("u", s, None, None),
                ConsumeError::Retryable(_)
            ));
        }
        assert!(matches!(
            classify_http_response("u", 429, Some("12"), None),
            ConsumeError::Throttled { retry_after, .. } if retry_after == Duration::from_secs(12)
        ));
        // Retry-After is honoured only on 429 and 503.
        assert!(matches!(
            classify_http_response("u", 502, Some("12"), None),
            ConsumeError::Retryable(_)
        ));
        let e = classify_http_response("http://x/v1/traces", 400, None, None);
        assert_eq!(
            e.to_string(),
            "error exporting items, request to http://x/v1/traces responded with HTTP Status Code 400"
        );
        let body = pdata::proto::rpc::Status {
            code: 3,
            message: "bad span".into(),
            details: vec![],
        };
        let e = classify_http_response("http://x/v1/traces", 400, None, Some(&body));
        assert!(
            e.to_string()
                .ends_with("HTTP Status Code 400, Message=bad span, Details=[]")
        );
        let e = classify_grpc_status(&tonic::Status::new(Code::Cancelled, "gone"));
        assert_eq!(e.to_string(), "rpc error: code = Canceled desc = gone");
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
