//! `verbosity: detailed`: upstream's `otlptext` format (`debugexporter/internal/otlptext`),
//! every field of every record, line for line.

use std::fmt::Write;

use pdata::proto::common::v1::{InstrumentationScope, KeyValue};
use pdata::proto::metrics::v1::{
    Exemplar, ExponentialHistogramDataPoint, HistogramDataPoint, Metric, NumberDataPoint,
    SummaryDataPoint, exemplar, metric::Data, number_data_point,
};
use pdata::proto::resource::v1::Resource;
use pdata::proto::trace::v1::span;
use pdata::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};

use super::gofmt;
use super::normal::exponential_factor;

/// The text being built; `line` is upstream's `logEntry`.
#[derive(Default)]
struct Buf(String);

impl Buf {
    fn line(&mut self, s: impl AsRef<str>) {
        self.0.push_str(s.as_ref());
        self.0.push('\n');
    }

    /// `logAttr`: the name left-aligned in 15 columns.
    fn attr(&mut self, name: &str, value: impl std::fmt::Display) {
        let _ = writeln!(self.0, "    {name:<15}: {value}");
    }

    /// `logAttributes`: a header, then one `-> key: Type(value)` per attribute; a header that
    /// itself contains `->` indents its entries below it.
    fn attributes(&mut self, header: &str, attrs: &[KeyValue]) {
        if attrs.is_empty() {
            return;
        }
        self.line(format!("{header}:"));
        let prefix = match header.split_once("->") {
            Some((indent, _)) => format!("{indent}     ->"),
            None => "     ->".to_string(),
        };
        for kv in attrs {
            self.line(format!(
                "{prefix} {}: {}",
                kv.key,
                gofmt::typed(kv.value.as_ref())
            ));
        }
    }

    fn resource(&mut self, schema_url: &str, resource: Option<&Resource>) {
        self.line(format!("Resource SchemaURL: {schema_url}"));
        let Some(r) = resource else { return };
        self.attributes("Resource attributes", &r.attributes);
        if r.entity_refs.is_empty() {
            return;
        }
        self.line("Resource entity refs:");
        for (i, e) in r.entity_refs.iter().enumerate() {
            self.line(format!("     -> Entity ref #{i}:"));
            self.line(format!("          -> Type: {}", e.r#type));
            if !e.schema_url.is_empty() {
                self.line(format!("          -> Schema URL: {}", e.schema_url));
            }
            for (title, keys) in [
                ("ID keys", &e.id_keys),
                ("Description keys", &e.description_keys),
            ] {
                if !keys.is_empty() {
                    self.line(format!("          -> {title}:"));
                    for k in keys {
                        self.line(format!("               -> {k}"));
                    }
                }
            }
        }
    }

    fn scope(&mut self, scope: Option<&InstrumentationScope>) {
        let default = InstrumentationScope::default();
        let s = scope.unwrap_or(&default);
        self.line(format!("InstrumentationScope {} {}", s.name, s.version));
        self.attributes("InstrumentationScope attributes", &s.attributes);
    }
}

fn span_kind(k: i32) -> &'static str {
    match k {
        0 => "Unspecified",
        1 => "Internal",
        2 => "Server",
        3 => "Client",
        4 => "Producer",
        5 => "Consumer",
        _ => "",
    }
}

fn status_code(c: i32) -> &'static str {
    match c {
        0 => "Unset",
        1 => "Ok",
        2 => "Error",
        _ => "",
    }
}

fn temporality(t: i32) -> &'static str {
    match t {
        0 => "Unspecified",
        1 => "Delta",
        2 => "Cumulative",
        _ => "",
    }
}

fn severity(n: i32) -> String {
    const NAMES: [&str; 6] = ["Trace", "Debug", "Info", "Warn", "Error", "Fatal"];
    match n {
        0 => "Unspecified".into(),
        1..=24 => {
            let name = NAMES[((n - 1) / 4) as usize];
            match (n - 1) % 4 {
                0 => name.to_string(),
                k => format!("{name}{}", k + 1),
            }
        }
        _ => String::new(),
    }
}

pub fn traces(req: &ExportTraceServiceRequest) -> String {
    let mut b = Buf::default();
    for (i, rs) in req.resource_spans.iter().enumerate() {
        b.line(format!("ResourceSpans #{i}"));
        b.resource(&rs.schema_url, rs.resource.as_ref());
        for (j, ss) in rs.scope_spans.iter().enumerate() {
            b.line(format!("ScopeSpans #{j}"));
            b.line(format!("ScopeSpans SchemaURL: {}", ss.schema_url));
            b.scope(ss.scope.as_ref());
            for (k, s) in ss.spans.iter().enumerate() {
                b.line(format!("Span #{k}"));
                b.attr("Trace ID", gofmt::id(&s.trace_id));
                b.attr("Parent ID", gofmt::id(&s.parent_span_id));
                b.attr("ID", gofmt::id(&s.span_id));
                b.attr("Name", &s.name);
                b.attr("Kind", span_kind(s.kind));
                if !s.trace_state.is_empty() {
                    b.attr("TraceState", &s.trace_state);
                }
                b.attr("Start time", gofmt::timestamp(s.start_time_unix_nano));
                b.attr("End time", gofmt::timestamp(s.end_time_unix_nano));
                let (code, message) = s
                    .status
                    .as_ref()
                    .map_or((0, ""), |st| (st.code, st.message.as_str()));
                b.attr("Status code", status_code(code));
                b.attr("Status message", message);
                b.attr("DroppedAttributesCount", s.dropped_attributes_count);
                b.attr("DroppedEventsCount", s.dropped_events_count);
                b.attr("DroppedLinksCount", s.dropped_links_count);
                b.attributes("Attributes", &s.attributes);
                events(&mut b, &s.events);
                links(&mut b, &s.links);
            }
        }
    }
    b.0
}

fn events(b: &mut Buf, events: &[span::Event]) {
    if events.is_empty() {
        return;
    }
    b.line("Events:");
    for (i, e) in events.iter().enumerate() {
        b.line(format!("SpanEvent #{i}"));
        b.line(format!("     -> Name: {}", e.name));
        b.line(format!(
            "     -> Timestamp: {}",
            gofmt::timestamp(e.time_unix_nano)
        ));
        b.line(format!(
            "     -> DroppedAttributesCount: {}",
            e.dropped_attributes_count
        ));
        b.attributes("     -> Attributes:", &e.attributes);
    }
}

fn links(b: &mut Buf, links: &[span::Link]) {
    if links.is_empty() {
        return;
    }
    b.line("Links:");
    for (i, l) in links.iter().enumerate() {
        b.line(format!("SpanLink #{i}"));
        b.line(format!("     -> Trace ID: {}", gofmt::id(&l.trace_id)));
        b.line(format!("     -> ID: {}", gofmt::id(&l.span_id)));
        b.line(format!("     -> TraceState: {}", l.trace_state));
        b.line(format!(
            "     -> DroppedAttributesCount: {}",
            l.dropped_attributes_count
        ));
        b.attributes("     -> Attributes:", &l.attributes);
    }
}

pub fn metrics(req: &ExportMetricsServiceRequest) -> String {
    let mut b = Buf::default();
    for (i, rm) in req.resource_metrics.iter().enumerate() {
        b.line(format!("ResourceMetrics #{i}"));
        b.resource(&rm.schema_url, rm.resource.as_ref());
        for (j, sm) in rm.scope_metrics.iter().enumerate() {
            b.line(format!("ScopeMetrics #{j}"));
            b.line(format!("ScopeMetrics SchemaURL: {}", sm.schema_url));
            b.scope(sm.scope.as_ref());
            for (k, m) in sm.metrics.iter().enumerate() {
                b.line(format!("Metric #{k}"));
                descriptor(&mut b, m);
                data_points(&mut b, m);
            }
        }
    }
    b.0
}

fn metric_type(m: &Metric) -> &'static str {
    match &m.data {
        None => "Empty",
        Some(Data::Gauge(_)) => "Gauge",
        Some(Data::Sum(_)) => "Sum",
        Some(Data::Histogram(_)) => "Histogram",
        Some(Data::ExponentialHistogram(_)) => "ExponentialHistogram",
        Some(Data::Summary(_)) => "Summary",
    }
}

fn descriptor(b: &mut Buf, m: &Metric) {
    b.line("Descriptor:");
    b.line(format!("     -> Name: {}", m.name));
    b.line(format!("     -> Description: {}", m.description));
    b.line(format!("     -> Unit: {}", m.unit));
    b.line(format!("     -> DataType: {}", metric_type(m)));
    b.attributes("     -> Metadata", &m.metadata);
}

fn data_points(b: &mut Buf, m: &Metric) {
    match &m.data {
        None => {}
        Some(Data::Gauge(g)) => number_points(b, &g.data_points),
        Some(Data::Sum(s)) => {
            b.line(format!("     -> IsMonotonic: {}", s.is_monotonic));
            b.line(format!(
                "     -> AggregationTemporality: {}",
                temporality(s.aggregation_temporality)
            ));
            number_points(b, &s.data_points);
        }
        Some(Data::Histogram(h)) => {
            b.line(format!(
                "     -> AggregationTemporality: {}",
                temporality(h.aggregation_temporality)
            ));
            for (i, p) in h.data_points.iter().enumerate() {
                histogram_point(b, i, p);
            }
        }
        Some(Data::ExponentialHistogram(h)) => {
            b.line(format!(
                "     -> AggregationTemporality: {}",
                temporality(h.aggregation_temporality)
            ));
            for (i, p) in h.data_points.iter().enumerate() {
                exponential_point(b, i, p);
            }
        }
        Some(Data::Summary(s)) => {
            for (i, p) in s.data_points.iter().enumerate() {
                summary_point(b, i, p);
            }
        }
    }
}

fn point_head(b: &mut Buf, title: &str, i: usize, attrs: &[KeyValue], start: u64, time: u64) {
    b.line(format!("{title} #{i}"));
    b.attributes("Data point attributes", attrs);
    b.line(format!("StartTimestamp: {}", gofmt::timestamp(start)));
    b.line(format!("Timestamp: {}", gofmt::timestamp(time)));
}

fn number_points(b: &mut Buf, points: &[NumberDataPoint]) {
    for (i, p) in points.iter().enumerate() {
        point_head(
            b,
            "NumberDataPoints",
            i,
            &p.attributes,
            p.start_time_unix_nano,
            p.time_unix_nano,
        );
        match p.value {
            Some(number_data_point::Value::AsInt(v)) => b.line(format!("Value: {v}")),
            Some(number_data_point::Value::AsDouble(v)) => {
                b.line(format!("Value: {}", gofmt::f6(v)))
            }
            None => {}
        }
        exemplars(b, &p.exemplars);
    }
}

fn sum_min_max(b: &mut Buf, sum: Option<f64>, min: Option<f64>, max: Option<f64>) {
    for (name, x) in [("Sum", sum), ("Min", min), ("Max", max)] {
        if let Some(x) = x {
            b.line(format!("{name}: {}", gofmt::f6(x)));
        }
    }
}

fn histogram_point(b: &mut Buf, i: usize, p: &HistogramDataPoint) {
    point_head(
        b,
        "HistogramDataPoints",
        i,
        &p.attributes,
        p.start_time_unix_nano,
        p.time_unix_nano,
    );
    b.line(format!("Count: {}", p.count));
    sum_min_max(b, p.sum, p.min, p.max);
    for (i, bound) in p.explicit_bounds.iter().enumerate() {
        b.line(format!("ExplicitBounds #{i}: {}", gofmt::f6(*bound)));
    }
    for (j, count) in p.bucket_counts.iter().enumerate() {
        b.line(format!("Buckets #{j}, Count: {count}"));
    }
    exemplars(b, &p.exemplars);
}

fn exponential_point(b: &mut Buf, i: usize, p: &ExponentialHistogramDataPoint) {
    point_head(
        b,
        "ExponentialHistogramDataPoints",
        i,
        &p.attributes,
        p.start_time_unix_nano,
        p.time_unix_nano,
    );
    b.line(format!("Count: {}", p.count));
    sum_min_max(b, p.sum, p.min, p.max);
    let factor = exponential_factor(p.scale);
    if let Some(neg) = &p.negative {
        for (pos, count) in neg.bucket_counts.iter().enumerate().rev() {
            let index = neg.offset as f64 + pos as f64;
            let lower = (index * factor).exp();
            let upper = ((index + 1.0) * factor).exp();
            b.line(format!(
                "Bucket [{}, {}), Count: {count}",
                gofmt::f6(-upper),
                gofmt::f6(-lower)
            ));
        }
    }
    if p.zero_count != 0 {
        b.line(format!("Bucket [0, 0], Count: {}", p.zero_count));
    }
    if let Some(posb) = &p.positive {
        for (pos, count) in posb.bucket_counts.iter().enumerate() {
            let index = posb.offset as f64 + pos as f64;
            let lower = (index * factor).exp();
            let upper = ((index + 1.0) * factor).exp();
            b.line(format!(
                "Bucket ({}, {}], Count: {count}",
                gofmt::f6(lower),
                gofmt::f6(upper)
            ));
        }
    }
    exemplars(b, &p.exemplars);
}

fn summary_point(b: &mut Buf, i: usize, p: &SummaryDataPoint) {
    point_head(
        b,
        "SummaryDataPoints",
        i,
        &p.attributes,
        p.start_time_unix_nano,
        p.time_unix_nano,
    );
    b.line(format!("Count: {}", p.count));
    b.line(format!("Sum: {}", gofmt::f6(p.sum)));
    for (i, q) in p.quantile_values.iter().enumerate() {
        b.line(format!(
            "QuantileValue #{i}: Quantile {}, Value {}",
            gofmt::f6(q.quantile),
            gofmt::f6(q.value)
        ));
    }
}

fn exemplars(b: &mut Buf, exemplars: &[Exemplar]) {
    if exemplars.is_empty() {
        return;
    }
    b.line("Exemplars:");
    for (i, e) in exemplars.iter().enumerate() {
        b.line(format!("Exemplar #{i}"));
        b.line(format!("     -> Trace ID: {}", gofmt::id(&e.trace_id)));
        b.line(format!("     -> Span ID: {}", gofmt::id(&e.span_id)));
        b.line(format!(
            "     -> Timestamp: {}",
            gofmt::timestamp(e.time_unix_nano)
        ));
        match e.value {
            Some(exemplar::Value::AsInt(v)) => b.line(format!("     -> Value: {v}")),
            Some(exemplar::Value::AsDouble(v)) => {
                b.line(format!("     -> Value: {}", gofmt::f6(v)))
            }
            None => {}
        }
        b.attributes("     -> FilteredAttributes", &e.filtered_attributes);
    }
}

pub fn logs(req: &ExportLogsServiceRequest) -> String {
    let mut b = Buf::default();
    for (i, rl) in req.resource_logs.iter().enumerate() {
        b.line(format!("ResourceLog #{i}"));
        b.resource(&rl.schema_url, rl.resource.as_ref());
        for (j, sl) in rl.scope_logs.iter().enumerate() {
            b.line(format!("ScopeLogs #{j}"));
            b.line(format!("ScopeLogs SchemaURL: {}", sl.schema_url));
            b.scope(sl.scope.as_ref());
            for (k, lr) in sl.log_records.iter().enumerate() {
                b.line(format!("LogRecord #{k}"));
                b.line(format!(
                    "ObservedTimestamp: {}",
                    gofmt::timestamp(lr.observed_time_unix_nano)
                ));
                b.line(format!(
                    "Timestamp: {}",
                    gofmt::timestamp(lr.time_unix_nano)
                ));
                b.line(format!("SeverityText: {}", lr.severity_text));
                b.line(format!(
                    "SeverityNumber: {}({})",
                    severity(lr.severity_number),
                    lr.severity_number
                ));
                if !lr.event_name.is_empty() {
                    b.line(format!("EventName: {}", lr.event_name));
                }
                b.line(format!("Body: {}", gofmt::typed(lr.body.as_ref())));
                b.attributes("Attributes", &lr.attributes);
                b.line(format!("Trace ID: {}", gofmt::id(&lr.trace_id)));
                b.line(format!("Span ID: {}", gofmt::id(&lr.span_id)));
                b.line(format!("Flags: {}", lr.flags));
            }
        }
    }
    b.0
}
