//! The exposition of the accumulated series: Prometheus text 0.0.4, or OpenMetrics 1.0 (as
//! client_golang's `expfmt` writes them: Go float formatting, families sorted by name, label
//! values escaped, counters' OpenMetrics family name without `_total`, `# EOF`).

use std::fmt::Write;

use super::accumulator::{Accumulator, FamilyType, Series, Value};

pub const TEXT_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Go `strconv.FormatFloat(f, 'g', -1, 64)`, with Prometheus' spellings of the specials.
pub fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.into();
    }
    // Shortest round-trip digits and decimal exponent.
    let e = format!("{f:e}");
    let (mantissa, exp) = e.split_once('e').expect("`{:e}` has an exponent");
    let exp: i32 = exp.parse().expect("an integer exponent");
    // Go's shortest 'g' switches to exponent form below 1e-4 and from 1e6 on.
    if !(-4..6).contains(&exp) {
        return go_exponent(mantissa, exp);
    }
    format!("{f}")
}

fn go_exponent(mantissa: &str, exp: i32) -> String {
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exp.abs())
}

fn om_float(f: f64) -> String {
    let s = go_float(f);
    if f.is_finite() && !s.contains(['e', '.']) {
        format!("{s}.0")
    } else {
        s
    }
}

fn escape_label(v: &str, out: &mut String) {
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

fn escape_help(v: &str, openmetrics: bool) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' if openmetrics => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out
}

struct Writer {
    out: String,
    openmetrics: bool,
    timestamps: bool,
}

impl Writer {
    fn float(&self, f: f64) -> String {
        if self.openmetrics {
            om_float(f)
        } else {
            go_float(f)
        }
    }

    fn sample(
        &mut self,
        name: &str,
        labels: &[(String, String)],
        extra: Option<(&str, &str)>,
        value: f64,
        time_nanos: u64,
    ) {
        self.out.push_str(name);
        if !labels.is_empty() || extra.is_some() {
            self.out.push('{');
            let mut first = true;
            for (k, v) in labels
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .chain(extra)
            {
                if !first {
                    self.out.push(',');
                }
                first = false;
                self.out.push_str(k);
                self.out.push_str("=\"");
                escape_label(v, &mut self.out);
                self.out.push('"');
            }
            self.out.push('}');
        }
        self.out.push(' ');
        let v = self.float(value);
        self.out.push_str(&v);
        if self.timestamps {
            let ms = time_nanos / 1_000_000;
            if self.openmetrics {
                let _ = write!(self.out, " {}.{:03}", ms / 1000, ms % 1000);
            } else {
                let _ = write!(self.out, " {ms}");
            }
        }
        self.out.push('\n');
    }

    fn created(&mut self, name: &str, labels: &[(String, String)], s: &Series) {
        if self.openmetrics && s.start_nanos > 0 {
            let secs = s.start_nanos as f64 / 1e9;
            let saved = self.timestamps;
            self.timestamps = false;
            self.sample(&format!("{name}_created"), labels, None, secs, 0);
            self.timestamps = saved;
        }
    }
}

/// Writes every family (and `target_info`) of `acc`.
pub fn render(acc: &Accumulator, namespace: &str, openmetrics: bool, timestamps: bool) -> String {
    let mut w = Writer {
        out: String::with_capacity(4096),
        openmetrics,
        timestamps,
    };
    let target_name = if namespace.is_empty() {
        "target_info".to_string()
    } else {
        format!("{namespace}_target_info")
    };
    let mut targets: Vec<&Vec<(String, String)>> = acc.targets.keys().collect();
    targets.sort();
    let mut families: Vec<(&str, Option<&super::accumulator::Family>)> = acc
        .families
        .iter()
        .map(|(n, f)| (n.as_str(), Some(f)))
        .collect();
    if !targets.is_empty() {
        families.push((&target_name, None));
        families.sort_by(|a, b| a.0.cmp(b.0));
    }
    for (name, family) in families {
        let Some(family) = family else {
            // OpenMetrics has an `info` type, but client_golang serves target_info as a gauge.
            let _ = writeln!(w.out, "# HELP {name} Target metadata");
            let _ = writeln!(w.out, "# TYPE {name} gauge");
            for labels in &targets {
                let saved = w.timestamps;
                w.timestamps = false;
                w.sample(name, labels, None, 1.0, 0);
                w.timestamps = saved;
            }
            continue;
        };
        let family_name = match (openmetrics, family.kind) {
            (true, FamilyType::Counter) => name.strip_suffix("_total").unwrap_or(name),
            _ => name,
        };
        let ty = match family.kind {
            FamilyType::Counter => "counter",
            FamilyType::Gauge => "gauge",
            FamilyType::Histogram => "histogram",
            FamilyType::Summary => "summary",
        };
        if !family.help.is_empty() || openmetrics {
            let _ = writeln!(
                w.out,
                "# HELP {family_name} {}",
                escape_help(&family.help, openmetrics)
            );
        }
        let _ = writeln!(w.out, "# TYPE {family_name} {ty}");
        for (labels, s) in &family.series {
            match &s.value {
                Value::Number(v) => {
                    let sample_name = if openmetrics && family.kind == FamilyType::Counter {
                        format!("{family_name}_total")
                    } else {
                        name.to_string()
                    };
                    w.sample(&sample_name, labels, None, *v, s.time_nanos);
                    if family.kind == FamilyType::Counter {
                        w.created(family_name, labels, s);
                    }
                }
                Value::Histogram {
                    bounds,
                    counts,
                    count,
                    sum,
                } => {
                    let bucket = format!("{name}_bucket");
                    for (b, c) in bounds.iter().zip(counts) {
                        let le = w.float(*b);
                        w.sample(&bucket, labels, Some(("le", &le)), *c as f64, s.time_nanos);
                    }
                    w.sample(
                        &bucket,
                        labels,
                        Some(("le", "+Inf")),
                        *count as f64,
                        s.time_nanos,
                    );
                    w.sample(&format!("{name}_sum"), labels, None, *sum, s.time_nanos);
                    w.sample(
                        &format!("{name}_count"),
                        labels,
                        None,
                        *count as f64,
                        s.time_nanos,
                    );
                    w.created(name, labels, s);
                }
                Value::Summary {
                    quantiles,
                    count,
                    sum,
                } => {
                    for (q, v) in quantiles {
                        let q = w.float(*q);
                        w.sample(name, labels, Some(("quantile", &q)), *v, s.time_nanos);
                    }
                    w.sample(&format!("{name}_sum"), labels, None, *sum, s.time_nanos);
                    w.sample(
                        &format!("{name}_count"),
                        labels,
                        None,
                        *count as f64,
                        s.time_nanos,
                    );
                    w.created(name, labels, s);
                }
            }
        }
    }
    if openmetrics {
        w.out.push_str("# EOF\n");
    }
    w.out
}

/// Whether a scrape's `Accept` header asks for OpenMetrics.
pub fn wants_openmetrics(accept: Option<&str>) -> bool {
    accept.is_some_and(|a| {
        a.split(',').any(|part| {
            let part = part.trim();
            part.starts_with("application/openmetrics-text")
                && !part.split(';').any(|p| p.trim() == "q=0")
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_are_formatted_as_go_does() {
        assert_eq!(go_float(1.0), "1");
        assert_eq!(go_float(0.25), "0.25");
        assert_eq!(go_float(1234567.0), "1.234567e+06");
        assert_eq!(go_float(100000.0), "100000");
        assert_eq!(go_float(1e21), "1e+21");
        assert_eq!(go_float(0.0001), "0.0001");
        assert_eq!(go_float(0.00001), "1e-05");
        assert_eq!(go_float(f64::INFINITY), "+Inf");
        assert_eq!(go_float(f64::NAN), "NaN");
        assert_eq!(om_float(1.0), "1.0");
        assert_eq!(om_float(2.5), "2.5");
        assert_eq!(om_float(1234567.0), "1.234567e+06");
    }

    #[test]
    fn accept_negotiation() {
        assert!(wants_openmetrics(Some(
            "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
        )));
        assert!(!wants_openmetrics(Some("text/plain;version=0.0.4")));
        assert!(!wants_openmetrics(None));
    }
}
