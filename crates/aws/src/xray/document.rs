//! Writes a [`Segment`] as the JSON document PutTraceSegments takes, byte for byte as upstream's
//! Go exporter writes it (`json.Encoder` over `awsxray.Segment`):
//!
//! - keys in the Go struct's field order; map keys (annotations, metadata, link attributes,
//!   nested objects) sorted byte-wise, as Go sorts map keys — so the output is deterministic;
//! - optional fields left out when absent or, for the strings the Go exporter builds with
//!   `awsxray.String`, when empty; the few fields Go declares without `omitempty` are written as
//!   `null` when absent (`name`, `id`, `start_time`, `aws.ec2.*`, `aws.eks.*`,
//!   `aws.elastic_beanstalk.*`, `links[].trace_id`/`id`, `aws.cloudwatch_logs[].log_group`);
//! - strings escaped as Go does (`<`, `>`, `&`, U+2028 and U+2029 as `\uXXXX`);
//! - numbers as Go formats a `float64` (shortest round-trip digits, exponent form below 1e-6 and
//!   from 1e21), integers as integers;
//! - a trailing newline.
//!
//! One difference: Go fails the whole document on a NaN or infinite number (and upstream then
//! drops the span); here such a number is written as the string `"NaN"`, `"+Inf"` or `"-Inf"`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use crate::gojson;

use super::segment::{
    AwsData, Cause, Exception, HttpData, Segment, ServiceData, SpanLink, SqlData, StackFrame,
};

impl Segment {
    /// The document, ending in `\n`.
    pub fn to_document(&self) -> String {
        let mut w = Writer::with_capacity(512);
        w.segment(self);
        w.out.push('\n');
        w.out
    }
}

/// A JSON writer with Go's escaping and number format. Tracks whether the current object
/// already has a member, so fields are written with the right commas.
struct Writer {
    out: String,
    first: Vec<bool>,
}

impl Writer {
    fn with_capacity(n: usize) -> Self {
        Writer {
            out: String::with_capacity(n),
            first: Vec::with_capacity(8),
        }
    }

    fn open(&mut self) {
        self.out.push('{');
        self.first.push(true);
    }

    fn close(&mut self) {
        self.out.push('}');
        self.first.pop();
    }

    fn key(&mut self, k: &str) {
        if let Some(first) = self.first.last_mut() {
            if !*first {
                self.out.push(',');
            }
            *first = false;
        }
        gojson::string(&mut self.out, k);
        self.out.push(':');
    }

    /// A string field written only when present and non-empty (`awsxray.String`).
    fn str_nonempty(&mut self, k: &str, v: &Option<String>) {
        if let Some(s) = v.as_deref().filter(|s| !s.is_empty()) {
            self.key(k);
            gojson::string(&mut self.out, s);
        }
    }

    /// A string field written whenever present, even empty (`aws.String`).
    fn str_some(&mut self, k: &str, v: &Option<String>) {
        if let Some(s) = v {
            self.key(k);
            gojson::string(&mut self.out, s);
        }
    }

    /// A string field without `omitempty`: `null` when absent or empty.
    fn str_or_null(&mut self, k: &str, v: &Option<String>) {
        self.key(k);
        match v.as_deref().filter(|s| !s.is_empty()) {
            Some(s) => gojson::string(&mut self.out, s),
            None => self.out.push_str("null"),
        }
    }

    fn bool_some(&mut self, k: &str, v: Option<bool>) {
        if let Some(b) = v {
            self.key(k);
            self.out.push_str(if b { "true" } else { "false" });
        }
    }

    fn int_some(&mut self, k: &str, v: Option<i64>) {
        if let Some(i) = v {
            self.key(k);
            let _ = write!(self.out, "{i}");
        }
    }

    fn float_some(&mut self, k: &str, v: Option<f64>) {
        if let Some(f) = v {
            self.key(k);
            write_f64(&mut self.out, f);
        }
    }

    fn strings(&mut self, k: &str, v: &[String]) {
        if v.is_empty() {
            return;
        }
        self.key(k);
        self.out.push('[');
        for (i, s) in v.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            gojson::string(&mut self.out, s);
        }
        self.out.push(']');
    }

    fn value_map(&mut self, k: &str, m: &BTreeMap<String, Value>) {
        if m.is_empty() {
            return;
        }
        self.key(k);
        self.open();
        for (mk, v) in m {
            self.key(mk);
            write_value(&mut self.out, v);
        }
        self.close();
    }

    fn segment(&mut self, s: &Segment) {
        self.open();
        self.str_or_null("name", &s.name);
        self.str_or_null("id", &s.id);
        self.key("start_time");
        match s.start_time {
            Some(f) => write_f64(&mut self.out, f),
            None => self.out.push_str("null"),
        }
        if let Some(svc) = &s.service {
            self.key("service");
            self.service(svc);
        }
        self.str_nonempty("origin", &s.origin);
        self.str_nonempty("user", &s.user);
        self.str_nonempty("resource_arn", &s.resource_arn);
        if !s.links.is_empty() {
            self.key("links");
            self.out.push('[');
            for (i, l) in s.links.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                self.link(l);
            }
            self.out.push(']');
        }
        self.str_nonempty("trace_id", &s.trace_id);
        self.float_some("end_time", s.end_time);
        self.bool_some("in_progress", s.in_progress);
        if let Some(h) = &s.http {
            self.key("http");
            self.http(h);
        }
        self.bool_some("fault", s.fault);
        self.bool_some("error", s.error);
        self.bool_some("throttle", s.throttle);
        if let Some(c) = &s.cause {
            self.key("cause");
            self.cause(c);
        }
        if let Some(a) = &s.aws {
            self.key("aws");
            self.aws(a);
        }
        self.value_map("annotations", &s.annotations);
        if !s.metadata.is_empty() {
            self.key("metadata");
            self.open();
            for (ns, m) in &s.metadata {
                self.key(ns);
                self.open();
                for (k, v) in m {
                    self.key(k);
                    write_value(&mut self.out, v);
                }
                self.close();
            }
            self.close();
        }
        if !s.subsegments.is_empty() {
            self.key("subsegments");
            self.out.push('[');
            for (i, sub) in s.subsegments.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                self.segment(sub);
            }
            self.out.push(']');
        }
        self.str_nonempty("namespace", &s.namespace);
        self.str_nonempty("parent_id", &s.parent_id);
        self.str_nonempty("type", &s.kind);
        self.strings("precursor_ids", &s.precursor_ids);
        self.bool_some("traced", s.traced);
        if let Some(q) = &s.sql {
            self.key("sql");
            self.sql(q);
        }
        self.close();
    }

    fn service(&mut self, s: &ServiceData) {
        self.open();
        self.str_nonempty("version", &s.version);
        self.str_nonempty("compiler_version", &s.compiler_version);
        self.str_nonempty("compiler", &s.compiler);
        self.close();
    }

    fn link(&mut self, l: &SpanLink) {
        self.open();
        self.str_or_null("trace_id", &l.trace_id);
        self.str_or_null("id", &l.id);
        self.value_map("attributes", &l.attributes);
        self.close();
    }

    fn http(&mut self, h: &HttpData) {
        self.open();
        if let Some(r) = &h.request {
            self.key("request");
            self.open();
            self.bool_some("x_forwarded_for", r.x_forwarded_for);
            self.str_nonempty("method", &r.method);
            self.str_nonempty("url", &r.url);
            self.str_nonempty("user_agent", &r.user_agent);
            self.str_nonempty("client_ip", &r.client_ip);
            self.close();
        }
        if let Some(r) = &h.response {
            self.key("response");
            self.open();
            self.int_some("status", r.status);
            if let Some(v) = r.content_length.as_ref().filter(|v| !v.is_null()) {
                self.key("content_length");
                write_value(&mut self.out, v);
            }
            self.close();
        }
        self.close();
    }

    fn cause(&mut self, c: &Cause) {
        match c {
            Cause::ExceptionId(id) => gojson::string(&mut self.out, id),
            Cause::Object(o) => {
                self.open();
                self.str_nonempty("working_directory", &o.working_directory);
                self.strings("paths", &o.paths);
                if !o.exceptions.is_empty() {
                    self.key("exceptions");
                    self.out.push('[');
                    for (i, e) in o.exceptions.iter().enumerate() {
                        if i > 0 {
                            self.out.push(',');
                        }
                        self.exception(e);
                    }
                    self.out.push(']');
                }
                self.close();
            }
        }
    }

    fn exception(&mut self, e: &Exception) {
        self.open();
        self.str_some("id", &e.id);
        self.str_some("message", &e.message);
        self.str_some("type", &e.kind);
        self.bool_some("remote", e.remote);
        self.int_some("truncated", e.truncated);
        self.int_some("skipped", e.skipped);
        self.str_some("cause", &e.cause);
        if !e.stack.is_empty() {
            self.key("stack");
            self.out.push('[');
            for (i, f) in e.stack.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                self.frame(f);
            }
            self.out.push(']');
        }
        self.close();
    }

    fn frame(&mut self, f: &StackFrame) {
        self.open();
        self.str_some("path", &f.path);
        self.int_some("line", f.line);
        self.str_some("label", &f.label);
        self.close();
    }

    fn aws(&mut self, a: &AwsData) {
        self.open();
        if let Some(b) = &a.elastic_beanstalk {
            self.key("elastic_beanstalk");
            self.open();
            self.str_or_null("environment_name", &b.environment_name);
            self.str_or_null("version_label", &b.version_label);
            self.key("deployment_id");
            match b.deployment_id {
                Some(i) => {
                    let _ = write!(self.out, "{i}");
                }
                None => self.out.push_str("null"),
            }
            self.close();
        }
        if !a.cloudwatch_logs.is_empty() {
            self.key("cloudwatch_logs");
            self.out.push('[');
            for (i, g) in a.cloudwatch_logs.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                self.open();
                self.str_or_null("log_group", &g.log_group);
                self.str_nonempty("arn", &g.arn);
                self.close();
            }
            self.out.push(']');
        }
        if let Some(e) = &a.ecs {
            self.key("ecs");
            self.open();
            self.str_nonempty("container", &e.container);
            self.str_nonempty("container_id", &e.container_id);
            self.str_nonempty("task_arn", &e.task_arn);
            self.str_nonempty("task_family", &e.task_family);
            self.str_nonempty("cluster_arn", &e.cluster_arn);
            self.str_nonempty("container_arn", &e.container_arn);
            self.str_nonempty("availability_zone", &e.availability_zone);
            self.str_nonempty("launch_type", &e.launch_type);
            self.close();
        }
        if let Some(e) = &a.ec2 {
            self.key("ec2");
            self.open();
            self.str_or_null("instance_id", &e.instance_id);
            self.str_or_null("availability_zone", &e.availability_zone);
            self.str_or_null("instance_size", &e.instance_size);
            self.str_or_null("ami_id", &e.ami_id);
            self.close();
        }
        if let Some(e) = &a.eks {
            self.key("eks");
            self.open();
            self.str_or_null("cluster_name", &e.cluster_name);
            self.str_or_null("pod", &e.pod);
            self.str_or_null("container_id", &e.container_id);
            self.close();
        }
        if let Some(x) = &a.xray {
            self.key("xray");
            self.open();
            self.str_nonempty("sdk", &x.sdk);
            self.str_nonempty("sdk_version", &x.sdk_version);
            self.key("auto_instrumentation");
            self.out.push_str(if x.auto_instrumentation == Some(true) {
                "true"
            } else {
                "false"
            });
            self.close();
        }
        self.str_nonempty("account_id", &a.account_id);
        self.str_nonempty("operation", &a.operation);
        self.str_nonempty("region", &a.region);
        self.str_nonempty("request_id", &a.request_id);
        self.str_nonempty("queue_url", &a.queue_url);
        self.str_nonempty("table_name", &a.table_name);
        self.strings("table_names", &a.table_names);
        self.int_some("retries", a.retries);
        self.close();
    }

    fn sql(&mut self, q: &SqlData) {
        self.open();
        self.str_nonempty("connection_string", &q.connection_string);
        self.str_nonempty("url", &q.url);
        self.str_nonempty("sanitized_query", &q.sanitized_query);
        self.str_nonempty("database_type", &q.database_type);
        self.str_nonempty("database_version", &q.database_version);
        self.str_nonempty("driver_version", &q.driver_version);
        self.str_nonempty("user", &q.user);
        self.str_nonempty("preparation", &q.preparation);
        self.close();
    }
}

/// A `float64` in a segment: as Go's `encoding/json` writes it, and NaN or an infinity as the
/// quoted strings the X-Ray exporter has always sent for them.
pub fn write_f64(out: &mut String, f: f64) {
    if f.is_finite() {
        gojson::float(out, f);
    } else if f.is_nan() {
        out.push_str("\"NaN\"");
    } else if f > 0.0 {
        out.push_str("\"+Inf\"");
    } else {
        out.push_str("\"-Inf\"");
    }
}

/// Any JSON value (metadata, raw attributes): integers as written, objects with sorted keys.
pub fn write_value(out: &mut String, v: &Value) {
    gojson::value(out, v, gojson::Numbers::Exact);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_floats_are_quoted() {
        let f = |x: f64| {
            let mut s = String::new();
            write_f64(&mut s, x);
            s
        };
        assert_eq!(f(1e21), "1e+21");
        assert_eq!(f(f64::NAN), "\"NaN\"");
        assert_eq!(f(f64::INFINITY), "\"+Inf\"");
        assert_eq!(f(f64::NEG_INFINITY), "\"-Inf\"");
    }

    #[test]
    fn a_minimal_segment_keeps_go_field_order_and_nulls() {
        let seg = Segment {
            name: Some("svc".into()),
            id: Some("0102030405060708".into()),
            start_time: Some(1.5),
            trace_id: Some("1-5759e988-bd862e3fe1be46a994272793".into()),
            end_time: Some(2.0),
            fault: Some(false),
            error: Some(false),
            throttle: Some(false),
            aws: Some(AwsData {
                xray: Some(Default::default()),
                ..Default::default()
            }),
            parent_id: Some(String::new()),
            ..Default::default()
        };
        assert_eq!(
            seg.to_document(),
            "{\"name\":\"svc\",\"id\":\"0102030405060708\",\"start_time\":1.5,\
             \"trace_id\":\"1-5759e988-bd862e3fe1be46a994272793\",\"end_time\":2,\
             \"fault\":false,\"error\":false,\"throttle\":false,\
             \"aws\":{\"xray\":{\"auto_instrumentation\":false}}}\n"
        );
        let empty = Segment::default().to_document();
        assert_eq!(empty, "{\"name\":null,\"id\":null,\"start_time\":null}\n");
    }

    #[test]
    fn a_written_document_parses_back_to_the_same_segment() {
        let raw = r#"{"name":"a","id":"1111111111111111","start_time":10.25,"trace_id":"1-5759e988-bd862e3fe1be46a994272793","end_time":11,"http":{"request":{"method":"GET","url":"http://x/"},"response":{"status":404,"content_length":12}},"fault":false,"error":true,"throttle":false,"cause":{"exceptions":[{"id":"2222222222222222","message":"m","type":"T","remote":false,"stack":[{"path":"p","line":3,"label":"l"}]}]},"aws":{"ec2":{"instance_id":"i-1","availability_zone":null,"instance_size":null,"ami_id":null},"xray":{"sdk":"X-Ray for Go","auto_instrumentation":false},"operation":"GetItem"},"annotations":{"k":1},"metadata":{"default":{"m":{"x":"y"}}},"subsegments":[{"name":"b","id":"3333333333333333","start_time":10.5,"end_time":10.75,"namespace":"remote","sql":{"url":"u"}}],"parent_id":"4444444444444444","type":"subsegment"}"#;
        let seg: Segment = serde_json::from_str(raw).expect("parses");
        assert_eq!(seg.to_document(), format!("{raw}\n"));
        let again: Segment = serde_json::from_str(&seg.to_document()).expect("re-parses");
        assert_eq!(again, seg);
    }
}
