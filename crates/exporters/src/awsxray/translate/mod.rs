//! OTLP span → X-Ray segment document (upstream `exporter/awsxrayexporter/internal/translator`,
//! v0.115 plus the later both-generations HTTP conventions).
//!
//! One span makes one document, except a CLIENT/PRODUCER/CONSUMER span marked
//! `aws.span.kind = LOCAL_ROOT`, which makes two: the dependency subsegment and a service
//! segment for the local service it was the root of (see [`Translator::segments`]).
//!
//! Steps, in upstream's order (each takes the attributes it uses out of the working set, and
//! what is left becomes annotations or metadata): [`http`] → [`cause`] → origin →
//! [`aws_block`] → service → [`sql`] → annotations and metadata → links → name and namespace.
//!
//! **Documents over 64 KB** (the PutTraceSegments limit, which upstream does not check and X-Ray
//! then rejects): the metadata is dropped first, then the cause's stack frames; a document still
//! too large is refused with [`TranslateError::TooLarge`] so the exporter counts and logs the
//! drop.

mod aws_block;
mod cause;
mod http;
mod sql;
mod stack;
mod values;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use aws::xray::{
    Cause, IdError, MAX_DOCUMENT_BYTES, Segment, ServiceData, SpanLink, attributes as a,
    ids::check_trace_id_epoch, segment_id_to_hex, trace_id_to_xray,
};
use pdata::proto::common::v1::KeyValue;
use pdata::proto::trace::v1::{Span, span::SpanKind};
use serde_json::Value;

use values::{Attrs, annotation_value, as_raw, get, get_str, str_of, string_slice};

/// What the exporter's configuration and feature gates decide about translation.
#[derive(Clone, Debug)]
pub struct Options {
    /// `indexed_attributes`: attributes written as annotations.
    pub indexed_attributes: Vec<String>,
    /// `index_all_attributes`: every string, int, double and bool attribute as an annotation.
    pub index_all_attributes: bool,
    /// `aws_log_groups`: used when the resource names no log group.
    pub log_groups: Vec<String>,
    /// Gate `exporter.awsxray.skiptimestampvalidation` (beta, on): accept any trace id.
    pub skip_timestamp_validation: bool,
    /// Gate `exporter.xray.allowDot` (beta, on): keep dots in annotation keys.
    pub allow_dot: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            indexed_attributes: Vec::new(),
            index_all_attributes: false,
            log_groups: Vec::new(),
            skip_timestamp_validation: true,
            allow_dot: true,
        }
    }
}

/// Why a span makes no document.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TranslateError {
    #[error(transparent)]
    Id(#[from] IdError),
    #[error("invalid trace id: {0} bytes instead of 16")]
    TraceIdLength(usize),
    #[error("invalid span id: {0} bytes instead of 8")]
    SpanIdLength(usize),
    #[error(
        "segment document of {0} bytes exceeds the {MAX_DOCUMENT_BYTES}-byte limit even without metadata and stack frames"
    )]
    TooLarge(usize),
}

/// One document ready for PutTraceSegments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    pub json: String,
    /// What was left out to fit the 64 KB limit, to be logged.
    pub trimmed: Option<&'static str>,
}

/// Random 8-byte ids for service segments and exceptions: splitmix64 over an atomic counter,
/// seeded once from the OS, so ids are cheap and never repeat within a run. Tests seed it.
#[derive(Debug)]
pub struct IdSource(AtomicU64);

impl IdSource {
    pub fn random() -> Self {
        let seed = uuid::Uuid::new_v4().as_u64_pair().0;
        IdSource(AtomicU64::new(seed))
    }

    pub fn seeded(seed: u64) -> Self {
        IdSource(AtomicU64::new(seed))
    }

    pub fn next(&self) -> [u8; 8] {
        let mut z = self
            .0
            .fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed)
            .wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)).to_be_bytes()
    }

    pub fn next_hex(&self) -> String {
        segment_id_to_hex(&self.next())
    }
}

/// Attributes left out of the service segment made for a LOCAL_ROOT dependency span.
const REMOVED_FROM_SERVICE_SEGMENT: [&str; 4] = [
    a::AWS_REMOTE_SERVICE,
    a::AWS_REMOTE_OPERATION,
    a::REMOTE_TARGET,
    a::K8S_REMOTE_NAMESPACE,
];

/// Translates spans; shared by the exporter's senders.
#[derive(Debug)]
pub struct Translator {
    options: Options,
    ids: IdSource,
}

fn kind_of(span: &Span) -> SpanKind {
    SpanKind::try_from(span.kind).unwrap_or(SpanKind::Unspecified)
}

fn is_aws_sdk_span(span: &Span) -> bool {
    get_str(&span.attributes, "rpc.system") == "aws-api"
}

fn is_local_root(span: &Span) -> bool {
    get_str(&span.attributes, a::AWS_SPAN_KIND) == a::LOCAL_ROOT
}

/// For AWS SDK spans, `AWS.SDK.DynamoDB` and `AWS::DynamoDB` name the service `DynamoDB`.
fn trim_aws_sdk_prefix(name: &str, span: &Span) -> String {
    if is_aws_sdk_span(span) {
        if let Some(rest) = name.strip_prefix("AWS.SDK.") {
            return rest.to_string();
        }
        if let Some(rest) = name.strip_prefix("AWS::") {
            return rest.to_string();
        }
    }
    name.to_string()
}

impl Translator {
    pub fn new(options: Options) -> Self {
        Translator {
            options,
            ids: IdSource::random(),
        }
    }

    /// With a fixed id seed, for reproducible output in tests and benchmarks.
    pub fn with_ids(options: Options, ids: IdSource) -> Self {
        Translator { options, ids }
    }

    /// The documents for one span, each within the 64 KB limit.
    pub fn documents(
        &self,
        span: &Span,
        resource: &[KeyValue],
        now_secs: i64,
    ) -> Result<Vec<Document>, TranslateError> {
        self.segments(span, resource, now_secs)?
            .into_iter()
            .map(fit_document)
            .collect()
    }

    /// The segments for one span (upstream `MakeSegmentsFromSpan`).
    pub fn segments(
        &self,
        span: &Span,
        resource: &[KeyValue],
        now_secs: i64,
    ) -> Result<Vec<Segment>, TranslateError> {
        let kind = kind_of(span);
        if !is_local_root(span) {
            let mut seg = self.segment(span, resource, now_secs)?;
            // A dependency subsegment of a remote service is a remote call.
            if matches!(
                kind,
                SpanKind::Client | SpanKind::Consumer | SpanKind::Producer
            ) && seg.kind.is_some()
                && seg.namespace.is_none()
                && get(&span.attributes, a::AWS_REMOTE_SERVICE).is_some()
            {
                seg.namespace = Some("remote".to_string());
            }
            return Ok(vec![seg]);
        }
        if matches!(kind, SpanKind::Server | SpanKind::Internal) {
            let mut seg = self.segment(span, resource, now_secs)?;
            seg.kind = None;
            seg.namespace = None;
            return Ok(vec![seg]);
        }

        // A local root that calls out: a service segment for the local service, and the call as
        // its subsegment.
        let service_id = self.ids.next();
        let mut dependency = span.clone();
        dependency.parent_span_id = service_id.to_vec().into();
        let mut sub = self.segment(&dependency, resource, now_secs)?;
        sub.kind = Some("subsegment".to_string());
        if sub.namespace.is_none() {
            sub.namespace = Some("remote".to_string());
        }
        if kind == SpanKind::Consumer {
            sub.links.clear();
        }
        if let Some(remote) = get(&span.attributes, a::AWS_REMOTE_SERVICE) {
            sub.name = Some(trim_aws_sdk_prefix(str_of(remote), span));
        }

        let mut service_span = span.clone();
        service_span.span_id = service_id.to_vec().into();
        service_span
            .attributes
            .retain(|kv| !REMOVED_FROM_SERVICE_SEGMENT.contains(&kv.key.as_str()));
        let mut service = self.segment(&service_span, resource, now_secs)?;
        if let Some(local) = get(&span.attributes, a::AWS_LOCAL_SERVICE) {
            service.name = Some(str_of(local).to_string());
        }
        service.http = None;
        if let Some(aws) = service.aws.as_mut() {
            aws.operation = None;
            aws.account_id = None;
            aws.region = None;
            aws.request_id = None;
            aws.queue_url = None;
            aws.table_name = None;
            aws.table_names.clear();
        }
        // Only the resource stays (upstream leaves emptied namespaces as `{}`; they are removed).
        for entries in service.metadata.values_mut() {
            entries.retain(|k, _| k.starts_with("otel.resource."));
        }
        service.metadata.retain(|_, entries| !entries.is_empty());
        service.kind = None;
        service.namespace = None;
        if kind != SpanKind::Consumer {
            service.links.clear();
        }
        Ok(vec![sub, service])
    }

    /// One span as one segment (upstream `MakeSegment`).
    pub fn segment(
        &self,
        span: &Span,
        resource: &[KeyValue],
        now_secs: i64,
    ) -> Result<Segment, TranslateError> {
        let kind = kind_of(span);
        let has_parent = span.parent_span_id.iter().any(|b| *b != 0);
        let is_subsegment = kind != SpanKind::Server && has_parent;
        let trace_id = self.trace_id(&span.trace_id, now_secs)?;
        let id = span_id_hex(&span.span_id)?;
        let parent_id = span_id_hex(&span.parent_span_id)?;

        let mut attrs = Attrs::new(&span.attributes);
        let http = http::make_http(span, &mut attrs);
        let is_aws_sdk = is_aws_sdk_span(span);
        let outcome = cause::make_cause(span, &mut attrs, resource, is_aws_sdk, &self.ids);
        let origin = origin(resource);
        let aws = aws_block::make_aws(&mut attrs, resource, &self.options.log_groups);
        let service = service(resource);
        let sql = sql::make_sql(span, &mut attrs);
        // Indexed attributes are annotations even when a block above used them.
        for name in &self.options.indexed_attributes {
            if !attrs.contains(name)
                && let Some(kv) = span.attributes.iter().find(|kv| &kv.key == name)
                && let Some(v) = kv.value.as_ref()
            {
                attrs.insert(kv.key.as_str(), v);
            }
        }
        let (user, annotations, metadata) = self.xray_attributes(attrs, resource, !is_subsegment);
        let links = self.links(span, now_secs)?;

        let (name, namespace) = name_and_namespace(span, kind, resource);
        Ok(Segment {
            name: Some(name),
            id,
            start_time: Some(span.start_time_unix_nano as f64 / 1e9),
            service,
            origin,
            user,
            links,
            trace_id: Some(trace_id),
            end_time: Some(span.end_time_unix_nano as f64 / 1e9),
            http,
            fault: Some(outcome.fault),
            error: Some(outcome.error),
            throttle: Some(outcome.throttle),
            cause: outcome.cause,
            aws,
            annotations,
            metadata,
            namespace,
            parent_id,
            kind: is_subsegment.then(|| "subsegment".to_string()),
            sql,
            ..Default::default()
        })
    }

    fn trace_id(&self, raw: &[u8], now_secs: i64) -> Result<String, TranslateError> {
        let id: [u8; 16] = raw
            .try_into()
            .map_err(|_| TranslateError::TraceIdLength(raw.len()))?;
        if !self.options.skip_timestamp_validation {
            check_trace_id_epoch(&id, now_secs)?;
        }
        Ok(trace_id_to_xray(&id))
    }

    fn links(&self, span: &Span, now_secs: i64) -> Result<Vec<SpanLink>, TranslateError> {
        span.links
            .iter()
            .map(|l| {
                Ok(SpanLink {
                    trace_id: Some(self.trace_id(&l.trace_id, now_secs)?),
                    id: span_id_hex(&l.span_id)?,
                    attributes: l
                        .attributes
                        .iter()
                        .map(|kv| {
                            (
                                kv.key.clone(),
                                kv.value.as_ref().map(as_raw).unwrap_or(Value::Null),
                            )
                        })
                        .collect(),
                })
            })
            .collect()
    }

    /// `user`, annotations and metadata from what is left of the attributes (upstream
    /// `makeXRayAttributes`). Resource attributes go on segments only, as `otel.resource.<key>`.
    #[allow(clippy::type_complexity)]
    fn xray_attributes(
        &self,
        mut attrs: Attrs<'_>,
        resource: &[KeyValue],
        store_resource: bool,
    ) -> (
        Option<String>,
        BTreeMap<String, Value>,
        BTreeMap<String, BTreeMap<String, Value>>,
    ) {
        let user = attrs
            .remove("enduser.id")
            .map(|v| str_of(v).to_string())
            .filter(|s| !s.is_empty());
        let mut annotations = BTreeMap::new();
        let mut metadata = BTreeMap::new();
        if attrs.is_empty() && (!store_resource || resource.is_empty()) {
            return (user, annotations, metadata);
        }
        let index_all = self.options.index_all_attributes;
        let mut indexed: Vec<&str> = if index_all {
            Vec::new()
        } else {
            self.options
                .indexed_attributes
                .iter()
                .map(String::as_str)
                .collect()
        };
        let named = attrs.get(a::XRAY_ANNOTATIONS).and_then(string_slice);
        if let Some(keys) = named {
            indexed.extend(keys);
            attrs.remove(a::XRAY_ANNOTATIONS);
        }
        let mut default_meta = BTreeMap::new();

        if store_resource {
            let mut seen = std::collections::HashSet::new();
            for kv in resource {
                if !seen.insert(kv.key.as_str()) {
                    continue;
                }
                let key = format!("otel.resource.{}", kv.key);
                let Some(v) = kv.value.as_ref() else { continue };
                let anno = annotation_value(v);
                let is_indexed = index_all || indexed.contains(&key.as_str());
                match anno {
                    Some(anno) if is_indexed => {
                        annotations.insert(self.annotation_key(&key), anno);
                    }
                    _ => {
                        let raw = as_raw(v);
                        if !raw.is_null() {
                            default_meta.insert(key, raw);
                        }
                    }
                }
            }
        }

        for (key, v) in attrs.iter() {
            if index_all || indexed.contains(&key) {
                // A value that cannot be an annotation (a list, a map, bytes) is left out.
                if let Some(anno) = annotation_value(v) {
                    annotations.insert(self.annotation_key(key), anno);
                }
                continue;
            }
            if let Some(ns) = key.strip_prefix(a::XRAY_METADATA_PREFIX)
                && let Some(pdata::proto::common::v1::any_value::Value::StringValue(s)) = &v.value
            {
                match serde_json::from_str::<serde_json::Map<String, Value>>(s) {
                    Err(_) => {
                        default_meta.insert(key.to_string(), Value::String(s.clone()));
                    }
                    Ok(parsed) if ns.eq_ignore_ascii_case("default") => {
                        default_meta.extend(parsed);
                    }
                    Ok(parsed) => {
                        metadata.insert(ns.to_string(), parsed.into_iter().collect());
                    }
                }
                continue;
            }
            let raw = as_raw(v);
            if !raw.is_null() {
                default_meta.insert(key.to_string(), raw);
            }
        }
        if !default_meta.is_empty() {
            metadata.insert("default".to_string(), default_meta);
        }
        (user, annotations, metadata)
    }

    /// Annotation keys keep ASCII letters and digits (and dots with `exporter.xray.allowDot`);
    /// anything else becomes `_`.
    fn annotation_key(&self, key: &str) -> String {
        key.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || (self.options.allow_dot && c == '.') {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    }
}

fn span_id_hex(raw: &[u8]) -> Result<Option<String>, TranslateError> {
    if raw.is_empty() {
        return Ok(None);
    }
    let id: [u8; 8] = raw
        .try_into()
        .map_err(|_| TranslateError::SpanIdLength(raw.len()))?;
    // An all-zero id is "no id", as pdata's `SpanIDToHexOrEmptyString`.
    Ok((id != [0; 8]).then(|| segment_id_to_hex(&id)))
}

/// The segment name (X-Ray names segments after services, not operations) and the namespace
/// (`aws` for AWS SDK calls, `remote` for other client calls).
fn name_and_namespace(
    span: &Span,
    kind: SpanKind,
    resource: &[KeyValue],
) -> (String, Option<String>) {
    let attr = |k: &str| get(&span.attributes, k).map(|v| str_of(v).to_string());
    let mut name = String::new();
    let local_root_internal = kind == SpanKind::Internal && is_local_root(span);
    if (kind == SpanKind::Server || local_root_internal)
        && let Some(n) = attr(a::AWS_LOCAL_SERVICE)
    {
        name = n;
    }
    if matches!(
        kind,
        SpanKind::Client | SpanKind::Producer | SpanKind::Consumer
    ) && let Some(n) = attr(a::AWS_REMOTE_SERVICE)
    {
        name = trim_aws_sdk_prefix(&n, span);
    }
    if name.is_empty()
        && let Some(n) = attr("peer.service")
    {
        name = n;
    }
    let mut namespace = is_aws_sdk_span(span).then(|| "aws".to_string());
    if name.is_empty()
        && let Some(n) = attr(a::AWS_SERVICE)
    {
        name = n;
        namespace.get_or_insert_with(|| "aws".to_string());
    }
    if name.is_empty()
        && let Some(db) = attr("db.name")
    {
        name = db;
        if let Some(conn) = attr("db.connection_string")
            && let Some(host) = url_hostname(conn.strip_prefix("jdbc:").unwrap_or(&conn))
        {
            name.push('@');
            name.push_str(host);
        }
    }
    if name.is_empty()
        && kind == SpanKind::Server
        && let Some(v) = get(resource, "service.name")
    {
        name = str_of(v).to_string();
    }
    for key in ["rpc.service", "http.host", "net.peer.name"] {
        if name.is_empty()
            && let Some(n) = attr(key)
        {
            name = n;
        }
    }
    if name.is_empty() {
        name = fix_segment_name(&span.name);
    }
    if namespace.is_none() && kind == SpanKind::Client {
        namespace = Some("remote".to_string());
    }
    (name, namespace)
}

/// The host of a URL such as `mysql://user@db.example.com:3306/app` (what Go's
/// `url.Parse(..).Hostname()` gives); `None` without an authority.
fn url_hostname(u: &str) -> Option<&str> {
    let rest = match u.find("://") {
        Some(i) => &u[i + 3..],
        None => u.strip_prefix("//")?,
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    (!host.is_empty()).then_some(host)
}

/// Keeps the characters X-Ray allows in a segment name (Unicode letters, digits, space and
/// `_.:/%&#=+\-@`), cuts to 200 bytes (at a character boundary; Go may split a character) and
/// names an empty result `span`.
fn fix_segment_name(name: &str) -> String {
    let mut out: String = name
        .chars()
        .filter(|c| {
            c.is_alphabetic()
                || c.is_ascii_digit()
                || matches!(
                    c,
                    ' ' | '_' | '.' | ':' | '/' | '%' | '&' | '#' | '=' | '+' | '-' | '@'
                )
        })
        .collect();
    if out.len() > 200 {
        let mut cut = 200;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
    }
    if out.is_empty() {
        out = "span".to_string();
    }
    out
}

/// `origin` from `cloud.provider` = `aws` (or absent) and `cloud.platform`.
fn origin(resource: &[KeyValue]) -> Option<String> {
    if resource.is_empty() {
        return None;
    }
    if let Some(p) = get(resource, "cloud.provider")
        && str_of(p) != "aws"
    {
        return None;
    }
    let o = match get_str(resource, "cloud.platform") {
        "aws_app_runner" => "AWS::AppRunner::Service",
        "aws_eks" => "AWS::EKS::Container",
        "aws_elastic_beanstalk" => "AWS::ElasticBeanstalk::Environment",
        "aws_ecs" => match get(resource, "aws.ecs.launchtype").map(str_of) {
            Some("ec2") => "AWS::ECS::EC2",
            Some("fargate") => "AWS::ECS::Fargate",
            _ => "AWS::ECS::Container",
        },
        "aws_ec2" => "AWS::EC2::Instance",
        _ => return None,
    };
    Some(o.to_string())
}

/// `service.version` (or the container image tag) as `service.version`.
fn service(resource: &[KeyValue]) -> Option<ServiceData> {
    let v = get(resource, "service.version").or_else(|| get(resource, "container.image.tag"))?;
    Some(ServiceData {
        version: Some(str_of(v).to_string()).filter(|s| !s.is_empty()),
        ..Default::default()
    })
}

/// Writes a segment within the document limit, trimming metadata then stack frames.
fn fit_document(mut seg: Segment) -> Result<Document, TranslateError> {
    let json = seg.to_document();
    if json.len() <= MAX_DOCUMENT_BYTES {
        return Ok(Document {
            json,
            trimmed: None,
        });
    }
    seg.metadata.clear();
    let json = seg.to_document();
    if json.len() <= MAX_DOCUMENT_BYTES {
        return Ok(Document {
            json,
            trimmed: Some("metadata"),
        });
    }
    if let Some(Cause::Object(c)) = seg.cause.as_mut() {
        for e in &mut c.exceptions {
            e.stack.clear();
        }
    }
    let json = seg.to_document();
    if json.len() <= MAX_DOCUMENT_BYTES {
        return Ok(Document {
            json,
            trimmed: Some("metadata and stack frames"),
        });
    }
    Err(TranslateError::TooLarge(json.len()))
}

#[cfg(test)]
mod tests;
