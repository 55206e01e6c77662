//! `fault`, `error`, `throttle` and `cause` (upstream `cause.go makeCause`).
//!
//! - `cause` holds one exception per `exception` event (type, message, stack parsed by the
//!   resource's `telemetry.sdk.language`, `remote` for CLIENT and PRODUCER spans), plus one per
//!   `HTTP request failure` event on AWS SDK spans. Without such events, an ERROR span gets one
//!   exception carrying the status message (or `http.status_text`), if there is one.
//! - The flags come from the HTTP status code, old key first then new: 4xx sets `error` (and
//!   `throttle` for 429), 5xx sets `fault`; without a 4xx/5xx code `fault` is the ERROR status.

use aws::xray::{Cause, CauseObject, Exception};
use pdata::proto::common::v1::KeyValue;
use pdata::proto::trace::v1::{Span, span::SpanKind, status::StatusCode};

use super::IdSource;
use super::stack;
use super::values::{Attrs, as_string, get, get_str, int_of, str_of};

const EXCEPTION_EVENT: &str = "exception";
const AWS_HTTP_FAILURE_EVENT: &str = "HTTP request failure";
const AWS_HTTP_ERROR_TYPE: &str = "aws.http.error.event";
const AWS_HTTP_ERROR_MESSAGE: &str = "aws.http.error_message";

/// The three flags and the cause.
pub struct Outcome {
    pub error: bool,
    pub fault: bool,
    pub throttle: bool,
    pub cause: Option<Cause>,
}

pub fn make_cause(
    span: &Span,
    attrs: &mut Attrs<'_>,
    resource: &[KeyValue],
    is_aws_sdk: bool,
    ids: &IdSource,
) -> Outcome {
    let status = span.status.as_ref();
    let is_error_status = status.is_some_and(|s| s.code == StatusCode::Error as i32);
    let has_exceptions = span
        .events
        .iter()
        .any(|e| e.name == EXCEPTION_EVENT || (is_aws_sdk && e.name == AWS_HTTP_FAILURE_EVENT));

    let cause = if has_exceptions {
        let language = get_str(resource, "telemetry.sdk.language");
        let remote = span.kind == SpanKind::Client as i32 || span.kind == SpanKind::Producer as i32;
        let mut exceptions = Vec::new();
        for event in &span.events {
            if event.name == EXCEPTION_EVENT {
                let s = |k| get(&event.attributes, k).map(str_of).unwrap_or("");
                exceptions.extend(stack::parse_exception(
                    s("exception.type"),
                    s("exception.message"),
                    s("exception.stacktrace"),
                    remote,
                    language,
                    ids,
                ));
            } else if is_aws_sdk && event.name == AWS_HTTP_FAILURE_EVENT {
                let code = get(&event.attributes, "http.response.status_code");
                let message = get(&event.attributes, AWS_HTTP_ERROR_MESSAGE);
                if let (Some(code), Some(message)) = (code, message) {
                    // `<code>@<event time in seconds, 6 decimals>@<message>`.
                    let micros = event.time_unix_nano / 1_000;
                    let text = format!(
                        "{}@{:.6}@{}",
                        as_string(code),
                        micros as f64 / 1e6,
                        str_of(message)
                    );
                    exceptions.push(Exception {
                        id: Some(ids.next_hex()),
                        kind: Some(AWS_HTTP_ERROR_TYPE.to_string()),
                        remote: Some(true),
                        message: Some(text),
                        ..Default::default()
                    });
                }
            }
        }
        Some(Cause::Object(CauseObject {
            exceptions,
            ..Default::default()
        }))
    } else if !is_error_status {
        None
    } else {
        let mut message = status.map(|s| s.message.clone()).unwrap_or_default();
        if let Some(text) = attrs.remove("http.status_text")
            && message.is_empty()
        {
            message = str_of(text).to_string();
        }
        (!message.is_empty()).then(|| {
            Cause::Object(CauseObject {
                exceptions: vec![Exception {
                    id: Some(ids.next_hex()),
                    // Upstream writes the (always empty) error kind.
                    kind: Some(String::new()),
                    message: Some(message),
                    ..Default::default()
                }],
                ..Default::default()
            })
        })
    };

    let code = get(&span.attributes, "http.status_code")
        .or_else(|| get(&span.attributes, "http.response.status_code"))
        .map(|v| int_of(v).unwrap_or(0));
    let (mut error, mut fault, mut throttle) = (false, false, false);
    match code {
        Some(c @ 400..=499) => {
            error = true;
            throttle = c == 429;
        }
        Some(500..=599) => fault = true,
        _ => fault = is_error_status,
    }
    Outcome {
        error,
        fault,
        throttle,
        cause,
    }
}
