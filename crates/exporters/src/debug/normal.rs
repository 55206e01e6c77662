//! `verbosity: normal`: one line per span, data point or log record, as upstream's
//! `debugexporter/internal/normal` marshalers write them.

use std::fmt::Write;

use pdata::proto::common::v1::{InstrumentationScope, KeyValue};
use pdata::proto::metrics::v1::{
    ExponentialHistogramDataPoint, HistogramDataPoint, Metric, NumberDataPoint, SummaryDataPoint,
    metric::Data, number_data_point,
};
use pdata::proto::resource::v1::Resource;
use pdata::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};

use super::gofmt;

/// `k=v` for each attribute, values as `AsString()`.
fn attributes(attrs: &[KeyValue]) -> Vec<String> {
    attrs
        .iter()
        .map(|kv| format!("{}={}", kv.key, gofmt::as_string(kv.value.as_ref())))
        .collect()
}

/// The attributes after a leading space, or nothing.
fn attributes_suffix(attrs: &[KeyValue]) -> String {
    let a = attributes(attrs);
    if a.is_empty() {
        String::new()
    } else {
        format!(" {}", a.join(" "))
    }
}

fn resource_line(out: &mut String, label: &str, i: usize, schema_url: &str, r: Option<&Resource>) {
    let details = if schema_url.is_empty() {
        String::new()
    } else {
        format!(" [{schema_url}]")
    };
    let attrs = r.map_or(String::new(), |r| attributes_suffix(&r.attributes));
    let _ = writeln!(out, "{label} #{i}{details}{attrs}");
}

fn scope_line(
    out: &mut String,
    label: &str,
    j: usize,
    scope: Option<&InstrumentationScope>,
    schema_url: &str,
) {
    let default = InstrumentationScope::default();
    let scope = scope.unwrap_or(&default);
    let mut details = scope.name.clone();
    if !scope.version.is_empty() {
        details.push('@');
        details.push_str(&scope.version);
    }
    if !schema_url.is_empty() {
        if !details.is_empty() {
            details.push(' ');
        }
        details.push_str(&format!("[{schema_url}]"));
    }
    if !details.is_empty() {
        details.insert(0, ' ');
    }
    let _ = writeln!(
        out,
        "{label} #{j}{details}{}",
        attributes_suffix(&scope.attributes)
    );
}

pub fn traces(req: &ExportTraceServiceRequest) -> String {
    let mut out = String::new();
    for (i, rs) in req.resource_spans.iter().enumerate() {
        resource_line(
            &mut out,
            "ResourceTraces",
            i,
            &rs.schema_url,
            rs.resource.as_ref(),
        );
        for (j, ss) in rs.scope_spans.iter().enumerate() {
            scope_line(
                &mut out,
                "ScopeTraces",
                j,
                ss.scope.as_ref(),
                &ss.schema_url,
            );
            for span in &ss.spans {
                let _ = write!(
                    out,
                    "{} {} {}",
                    span.name,
                    gofmt::id(&span.trace_id),
                    gofmt::id(&span.span_id)
                );
                out.push_str(&attributes_suffix(&span.attributes));
                out.push('\n');
            }
        }
    }
    out
}

pub fn metrics(req: &ExportMetricsServiceRequest) -> String {
    let mut out = String::new();
    for (i, rm) in req.resource_metrics.iter().enumerate() {
        resource_line(
            &mut out,
            "ResourceMetrics",
            i,
            &rm.schema_url,
            rm.resource.as_ref(),
        );
        for (j, sm) in rm.scope_metrics.iter().enumerate() {
            scope_line(
                &mut out,
                "ScopeMetrics",
                j,
                sm.scope.as_ref(),
                &sm.schema_url,
            );
            for m in &sm.metrics {
                match &m.data {
                    Some(Data::Gauge(g)) => number_points(&mut out, m, &g.data_points),
                    Some(Data::Sum(s)) => number_points(&mut out, m, &s.data_points),
                    Some(Data::Histogram(h)) => {
                        for p in &h.data_points {
                            histogram_point(&mut out, m, p)
                        }
                    }
                    Some(Data::ExponentialHistogram(h)) => {
                        for p in &h.data_points {
                            exponential_point(&mut out, m, p)
                        }
                    }
                    Some(Data::Summary(s)) => {
                        for p in &s.data_points {
                            summary_point(&mut out, m, p)
                        }
                    }
                    None => {}
                }
            }
        }
    }
    out
}

fn point_line(out: &mut String, m: &Metric, attrs: &[KeyValue], value: &str) {
    let _ = writeln!(out, "{}{{{}}} {value}", m.name, attributes(attrs).join(","));
}

fn number_points(out: &mut String, m: &Metric, points: &[NumberDataPoint]) {
    for p in points {
        let value = match p.value {
            Some(number_data_point::Value::AsInt(i)) => i.to_string(),
            Some(number_data_point::Value::AsDouble(d)) => gofmt::v(d),
            None => String::new(),
        };
        point_line(out, m, &p.attributes, &value);
    }
}

/// `count=… sum=… min=… max=…`, the part histograms share.
fn histogram_head(count: u64, sum: Option<f64>, min: Option<f64>, max: Option<f64>) -> String {
    let mut v = format!("count={count}");
    for (name, x) in [("sum", sum), ("min", min), ("max", max)] {
        if let Some(x) = x {
            let _ = write!(v, " {name}={}", gofmt::v(x));
        }
    }
    v
}

fn histogram_point(out: &mut String, m: &Metric, p: &HistogramDataPoint) {
    let mut v = histogram_head(p.count, p.sum, p.min, p.max);
    for (i, count) in p.bucket_counts.iter().enumerate() {
        match p.explicit_bounds.get(i) {
            Some(bound) => {
                let _ = write!(v, " le{}={count}", gofmt::v(*bound));
            }
            None => {
                let _ = write!(v, " {count}");
            }
        }
    }
    point_line(out, m, &p.attributes, &v);
}

/// ln 2 · 2^-scale: bucket `index` of an exponential histogram ends at exp((index+1)·factor).
pub fn exponential_factor(scale: i32) -> f64 {
    std::f64::consts::LN_2 * 2f64.powi(-scale)
}

fn exponential_point(out: &mut String, m: &Metric, p: &ExponentialHistogramDataPoint) {
    let mut v = histogram_head(p.count, p.sum, p.min, p.max);
    let factor = exponential_factor(p.scale);
    if let Some(neg) = &p.negative {
        for (j, count) in neg.bucket_counts.iter().enumerate().rev() {
            let index = neg.offset as f64 + j as f64;
            let upper = -(index * factor).exp();
            let _ = write!(v, " le{}={count}", gofmt::v(upper));
        }
    }
    if p.zero_count != 0 {
        let _ = write!(v, " zero={}", p.zero_count);
    }
    if let Some(pos) = &p.positive {
        for (j, count) in pos.bucket_counts.iter().enumerate() {
            let index = pos.offset as f64 + j as f64;
            let upper = ((index + 1.0) * factor).exp();
            let _ = write!(v, " le{}={count}", gofmt::v(upper));
        }
    }
    point_line(out, m, &p.attributes, &v);
}

fn summary_point(out: &mut String, m: &Metric, p: &SummaryDataPoint) {
    let mut v = format!("count={} sum={}", p.count, gofmt::f6(p.sum));
    for q in &p.quantile_values {
        let _ = write!(v, " q{}={}", gofmt::v(q.quantile), gofmt::v(q.value));
    }
    point_line(out, m, &p.attributes, &v);
}

pub fn logs(req: &ExportLogsServiceRequest) -> String {
    let mut out = String::new();
    for (i, rl) in req.resource_logs.iter().enumerate() {
        resource_line(
            &mut out,
            "ResourceLog",
            i,
            &rl.schema_url,
            rl.resource.as_ref(),
        );
        for (j, sl) in rl.scope_logs.iter().enumerate() {
            scope_line(&mut out, "ScopeLog", j, sl.scope.as_ref(), &sl.schema_url);
            for lr in &sl.log_records {
                // Upstream always puts the space, even without attributes.
                let _ = writeln!(
                    out,
                    "{} {}",
                    gofmt::as_string(lr.body.as_ref()),
                    attributes(&lr.attributes).join(" ")
                );
            }
        }
    }
    out
}
