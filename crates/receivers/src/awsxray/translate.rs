//! X-Ray segment document → OTLP spans (upstream `receiver/awsxrayreceiver/internal/translator`),
//! the inverse of the exporter's mapping so that a segment forwarded by the `awsxray` exporter
//! comes out as the same X-Ray data.
//!
//! One document (a segment with its embedded subsegments, or an independently sent subsegment)
//! becomes one `ResourceSpans` with one span per (sub)segment, parents first. Embedded
//! subsegments inherit the trace id and take their enclosing segment as parent. The resource
//! comes from the top-level document (`aws`, the X-Ray SDK, `service`, `resource_arn`).
//!
//! Differences from upstream: a segment with `fault` or `error` set but no HTTP status and no
//! cause gets status ERROR (upstream leaves it unset); malformed ids are refused with a message
//! rather than producing corrupt ids.

use std::collections::BTreeMap;

use aws::xray::{
    AwsData, Cause, Segment, SegmentError, attributes as a, document::write_value,
    segment_id_from_hex, trace_id_from_xray,
};
use pdata::proto::common::v1::{
    AnyValue, ArrayValue, InstrumentationScope, KeyValue, any_value::Value as V,
};
use pdata::proto::resource::v1::Resource;
use pdata::proto::trace::v1::{
    ResourceSpans, ScopeSpans, Span, Status,
    span::{Event, SpanKind},
    status::StatusCode,
};
use serde_json::Value;

/// Why a document is refused; the count is of the spans it would have made.
#[derive(Debug, thiserror::Error)]
pub enum TranslateError {
    #[error("failed to parse segment: {0}")]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Invalid(#[from] SegmentError),
    #[error(transparent)]
    Id(#[from] aws::xray::IdError),
    #[error("unexpected namespace: {0}")]
    Namespace(String),
    #[error("failed to parse out the database name in the \"sql.url\" field, rawUrl: {0}")]
    SqlUrl(String),
}

/// A parsed document and the number of spans it holds (also for counting refusals).
pub fn parse(body: &[u8]) -> Result<Segment, (TranslateError, usize)> {
    let seg: Segment = serde_json::from_slice(body).map_err(|e| (e.into(), 1))?;
    let count = seg.total_count();
    seg.validate().map_err(|e| (e.into(), count))?;
    Ok(seg)
}

/// The spans of one valid document.
pub fn to_resource_spans(seg: &Segment) -> Result<ResourceSpans, TranslateError> {
    let trace_id = trace_id_from_xray(seg.trace_id.as_deref().unwrap_or_default())?;
    let mut spans = Vec::with_capacity(seg.total_count());
    add_spans(seg, &trace_id, None, &mut spans)?;
    Ok(ResourceSpans {
        resource: Some(Resource {
            attributes: resource_attributes(seg),
            ..Default::default()
        }),
        scope_spans: vec![ScopeSpans {
            scope: Some(InstrumentationScope::default()),
            spans,
            ..Default::default()
        }],
        ..Default::default()
    })
}

fn add_spans(
    seg: &Segment,
    trace_id: &[u8; 16],
    parent: Option<&str>,
    out: &mut Vec<Span>,
) -> Result<(), TranslateError> {
    let span = to_span(seg, trace_id, parent)?;
    out.push(span);
    for sub in &seg.subsegments {
        add_spans(sub, trace_id, seg.id.as_deref(), out)?;
    }
    Ok(())
}

struct AttrsBuilder(Vec<KeyValue>);

impl AttrsBuilder {
    fn put(&mut self, key: &str, value: V) {
        self.0.push(KeyValue {
            key: key.to_string(),
            value: Some(AnyValue { value: Some(value) }),
        });
    }
    fn str(&mut self, key: &str, v: &Option<String>) {
        if let Some(s) = v {
            self.put(key, V::StringValue(s.clone()));
        }
    }
    fn bool(&mut self, key: &str, v: Option<bool>) {
        if let Some(b) = v {
            self.put(key, V::BoolValue(b));
        }
    }
    fn int(&mut self, key: &str, v: Option<i64>) {
        if let Some(i) = v {
            self.put(key, V::IntValue(i));
        }
    }
}

/// Epoch seconds → nanoseconds, rounded to the microsecond: a `float64` holds today's epoch
/// seconds to about 0.2 µs, X-Ray's documented precision is the microsecond, and rounding there
/// gives back exactly what an SDK wrote (`1595437651.680097` → `…680097000`, where `s * 1e9`
/// gives `…680097024`).
fn seconds_to_nanos(s: f64) -> u64 {
    let micros = (s * 1e6).round();
    if micros.is_finite() && micros > 0.0 {
        (micros as u64).saturating_mul(1000)
    } else {
        0
    }
}

fn to_span(
    seg: &Segment,
    trace_id: &[u8; 16],
    enclosing: Option<&str>,
) -> Result<Span, TranslateError> {
    let mut attrs = AttrsBuilder(Vec::with_capacity(16));
    let mut status = StatusCode::Unset;
    let mut status_message = String::new();

    // Kind: a client IP means a server serving a request; a namespace means a call out.
    let has_client_ip = seg
        .http
        .as_ref()
        .and_then(|h| h.request.as_ref())
        .is_some_and(|r| r.client_ip.is_some());
    let kind = match seg.namespace.as_deref() {
        None if has_client_ip => SpanKind::Server,
        None => SpanKind::Internal,
        Some("aws") => {
            attrs.str(a::AWS_SERVICE, &seg.name);
            SpanKind::Client
        }
        Some("remote") => SpanKind::Client,
        // The Python and Node SDKs mark in-process subsegments `local`.
        Some("local") => SpanKind::Internal,
        Some(other) => return Err(TranslateError::Namespace(other.to_string())),
    };

    // An embedded subsegment's own trace id, if any, wins over the enclosing one.
    let trace = match &seg.trace_id {
        Some(t) if enclosing.is_some() => trace_id_from_xray(t)?,
        _ => *trace_id,
    };
    let span_id = segment_id_from_hex(seg.id.as_deref().unwrap_or_default())?;
    let parent = match enclosing.or(seg.parent_id.as_deref()) {
        Some(p) => segment_id_from_hex(p)?.to_vec(),
        None => Vec::new(),
    };

    attrs.bool(a::XRAY_IN_PROGRESS, seg.in_progress);
    attrs.str("enduser.id", &seg.user);

    if let Some(http) = &seg.http {
        if let Some(req) = &http.request {
            attrs.str("http.method", &req.method);
            attrs.str("http.client_ip", &req.client_ip);
            attrs.str("http.user_agent", &req.user_agent);
            attrs.str("http.url", &req.url);
            attrs.bool(a::XRAY_X_FORWARDED_FOR, req.x_forwarded_for);
        }
        if let Some(resp) = &http.response {
            if let Some(code) = resp.status {
                // As upstream's `StatusCodeFromHTTP`: 1xx-3xx unset, anything else an error.
                if !(100..400).contains(&code) {
                    status = StatusCode::Error;
                }
                attrs.int("http.status_code", Some(code));
            }
            match &resp.content_length {
                Some(Value::String(s)) => {
                    attrs.put("http.response_content_length", V::StringValue(s.clone()))
                }
                Some(Value::Number(n)) => {
                    let len = n.as_i64().or_else(|| n.as_f64().map(|f| f as i64));
                    attrs.int("http.response_content_length", len);
                }
                _ => {}
            }
        }
    }

    let mut events = Vec::new();
    if let Some(cause) = &seg.cause {
        status = StatusCode::Error;
        match cause {
            // An exception recorded in another segment: only its id is known.
            Cause::ExceptionId(id) => status_message = id.clone(),
            Cause::Object(obj) => {
                for ex in &obj.exceptions {
                    let mut ev = AttrsBuilder(Vec::with_capacity(8));
                    ev.str(a::XRAY_EXCEPTION_ID, &ex.id);
                    ev.str("exception.message", &ex.message);
                    ev.str("exception.type", &ex.kind);
                    ev.bool(a::XRAY_EXCEPTION_REMOTE, ex.remote);
                    ev.int(a::XRAY_EXCEPTION_TRUNCATED, ex.truncated);
                    ev.int(a::XRAY_EXCEPTION_SKIPPED, ex.skipped);
                    ev.str(a::XRAY_EXCEPTION_CAUSE, &ex.cause);
                    if !ex.stack.is_empty() {
                        ev.put("exception.stacktrace", V::StringValue(stack_trace(ex)));
                    }
                    events.push(Event {
                        name: "exception".to_string(),
                        attributes: ev.0,
                        ..Default::default()
                    });
                }
            }
        }
    }
    if status == StatusCode::Unset && (seg.fault == Some(true) || seg.error == Some(true)) {
        status = StatusCode::Error;
    }

    if let Some(aws) = &seg.aws {
        attrs.str(a::AWS_ACCOUNT, &aws.account_id);
        attrs.str(a::AWS_OPERATION, &aws.operation);
        attrs.str(a::AWS_REGION, &aws.region);
        attrs.str(a::AWS_REQUEST_ID, &aws.request_id);
        attrs.str(a::AWS_QUEUE_URL, &aws.queue_url);
        attrs.str(a::AWS_TABLE_NAME, &aws.table_name);
        attrs.int(a::XRAY_RETRIES, aws.retries);
    }
    if let Some(sql) = &seg.sql {
        if let Some(url) = &sql.url {
            let (conn, db) =
                split_sql_url(url).ok_or_else(|| TranslateError::SqlUrl(url.clone()))?;
            attrs.put("db.connection_string", V::StringValue(conn.to_string()));
            attrs.put("db.name", V::StringValue(db.to_string()));
        }
        attrs.str("db.system", &sql.database_type);
        attrs.str("db.statement", &sql.sanitized_query);
        attrs.str("db.user", &sql.user);
    }
    attrs.bool(a::XRAY_TRACED, seg.traced);
    add_annotations(&seg.annotations, &mut attrs);
    for (ns, entries) in &seg.metadata {
        // The exporter turns `aws.xray.metadata.<ns>` JSON back into `metadata.<ns>`.
        let mut json = String::new();
        write_value(
            &mut json,
            &Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
        );
        attrs.put(
            &format!("{}{ns}", a::XRAY_METADATA_PREFIX),
            V::StringValue(json),
        );
    }

    Ok(Span {
        trace_id: trace.to_vec().into(),
        span_id: span_id.to_vec().into(),
        parent_span_id: parent.into(),
        name: seg.name.clone().unwrap_or_default(),
        kind: kind as i32,
        start_time_unix_nano: seconds_to_nanos(seg.start_time.unwrap_or_default()),
        end_time_unix_nano: seg.end_time.map(seconds_to_nanos).unwrap_or(0),
        attributes: attrs.0,
        events,
        status: Some(Status {
            code: status as i32,
            message: status_message,
        }),
        ..Default::default()
    })
}

/// Annotations become attributes, and their keys are listed in `aws.xray.annotations` so that
/// the exporter writes them as annotations again.
fn add_annotations(annotations: &BTreeMap<String, Value>, attrs: &mut AttrsBuilder) {
    if annotations.is_empty() {
        return;
    }
    let keys = annotations
        .keys()
        .map(|k| AnyValue {
            value: Some(V::StringValue(k.clone())),
        })
        .collect();
    attrs.put(
        a::XRAY_ANNOTATIONS,
        V::ArrayValue(ArrayValue { values: keys }),
    );
    for (k, v) in annotations {
        match v {
            Value::String(s) => attrs.put(k, V::StringValue(s.clone())),
            Value::Bool(b) => attrs.put(k, V::BoolValue(*b)),
            Value::Number(n) => match n.as_i64() {
                Some(i) => attrs.put(k, V::IntValue(i)),
                None => attrs.put(k, V::DoubleValue(n.as_f64().unwrap_or(f64::NAN))),
            },
            _ => {}
        }
    }
}

/// `<type>: <message>` then one `\tat <label>(<path>: <line>)` line per frame.
fn stack_trace(ex: &aws::xray::Exception) -> String {
    let mut s = format!(
        "{}: {}\n",
        ex.kind.as_deref().unwrap_or(""),
        ex.message.as_deref().unwrap_or("")
    );
    for f in &ex.stack {
        let line = f
            .line
            .map(|l| l.to_string())
            .unwrap_or_else(|| "<unknown>".to_string());
        s.push_str(&format!(
            "\tat {}({}: {})\n",
            f.label.as_deref().unwrap_or(""),
            f.path.as_deref().unwrap_or(""),
            line
        ));
    }
    s
}

/// `protocol://host[:port]/dbName[?query]` → (`protocol://host[:port]`, `dbName`), as upstream's
/// `^(.+//.+)/([^\?]+)\??.*$`: the last `/` that has a non-empty name after it.
fn split_sql_url(url: &str) -> Option<(&str, &str)> {
    for (p, _) in url.match_indices('/').collect::<Vec<_>>().into_iter().rev() {
        let (head, rest) = (&url[..p], &url[p + 1..]);
        let name = rest.split('?').next().unwrap_or("");
        if name.is_empty() {
            continue;
        }
        // `head` must be `.+//.+`.
        let ok = head
            .match_indices("//")
            .any(|(i, _)| i >= 1 && i + 2 < head.len());
        if ok {
            return Some((head, name));
        }
    }
    None
}

fn resource_attributes(seg: &Segment) -> Vec<KeyValue> {
    let mut attrs = AttrsBuilder(Vec::with_capacity(12));
    add_aws_to_resource(seg.aws.as_ref(), &mut attrs);
    if let Some(xr) = seg.aws.as_ref().and_then(|a| a.xray.as_ref()) {
        attrs.str("telemetry.sdk.version", &xr.sdk_version);
        if let Some(sdk) = &xr.sdk {
            attrs.put("telemetry.sdk.name", V::StringValue(sdk.clone()));
            let has_exceptions =
                matches!(&seg.cause, Some(Cause::Object(o)) if !o.exceptions.is_empty());
            if has_exceptions {
                // Upstream: the exporter once parsed Java stacks only.
                attrs.put("telemetry.sdk.language", V::StringValue("java".into()));
            } else if let Some((_, lang)) = sdk.split_once("for ") {
                attrs.put("telemetry.sdk.language", V::StringValue(lang.to_string()));
            }
        }
    }
    if let Some(svc) = &seg.service {
        attrs.str("service.version", &svc.version);
    }
    attrs.str(a::XRAY_RESOURCE_ARN, &seg.resource_arn);
    attrs.0
}

fn add_aws_to_resource(aws: Option<&AwsData>, attrs: &mut AttrsBuilder) {
    let Some(aws) = aws else {
        // Not produced by an AWS entity.
        attrs.put("cloud.provider", V::StringValue("unknown".into()));
        return;
    };
    attrs.put("cloud.provider", V::StringValue("aws".into()));
    attrs.str("cloud.account.id", &aws.account_id);
    let arns: Vec<&String> = aws
        .cloudwatch_logs
        .iter()
        .filter_map(|g| g.arn.as_ref())
        .collect();
    let names: Vec<&String> = aws
        .cloudwatch_logs
        .iter()
        .filter_map(|g| g.log_group.as_ref())
        .collect();
    for (key, list) in [("aws.log.group.arns", arns), ("aws.log.group.names", names)] {
        if !list.is_empty() {
            attrs.put(
                key,
                V::ArrayValue(ArrayValue {
                    values: list
                        .into_iter()
                        .map(|s| AnyValue {
                            value: Some(V::StringValue(s.clone())),
                        })
                        .collect(),
                }),
            );
        }
    }
    if let Some(ec2) = &aws.ec2 {
        attrs.str("cloud.availability_zone", &ec2.availability_zone);
        attrs.str("host.id", &ec2.instance_id);
        attrs.str("host.type", &ec2.instance_size);
        attrs.str("host.image.id", &ec2.ami_id);
    }
    if let Some(ecs) = &aws.ecs {
        attrs.str("container.name", &ecs.container);
        attrs.str("cloud.availability_zone", &ecs.availability_zone);
        attrs.str("container.id", &ecs.container_id);
    }
    if let Some(bs) = &aws.elastic_beanstalk {
        attrs.str("service.namespace", &bs.environment_name);
        if let Some(id) = bs.deployment_id {
            attrs.put("service.instance.id", V::StringValue(id.to_string()));
        }
        attrs.str("service.version", &bs.version_label);
    }
    if let Some(eks) = &aws.eks {
        attrs.str("container.id", &eks.container_id);
        attrs.str("k8s.cluster.name", &eks.cluster_name);
        attrs.str("k8s.pod.name", &eks.pod);
    }
}

#[cfg(test)]
mod tests;
