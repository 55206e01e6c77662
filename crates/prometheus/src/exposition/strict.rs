//! The semantic rules of [`Strictness::OpenMetricsStrict`](super::Strictness).

use std::collections::HashSet;

use super::lex::{Meta, parse_float};
use super::{Format, Labels, MetricType, ParseError, Sample};

/// One metric group of a histogram, gauge histogram or summary: its samples sharing the
/// labels other than `le`/`quantile`.
struct Group {
    key: String,
    last_line: usize,
    /// `(le, cumulative count)`, in input order.
    buckets: Vec<(f64, f64)>,
    inf: Option<f64>,
    count: Option<f64>,
    sum: Option<f64>,
    negative_bucket: bool,
}

struct Fam<'a> {
    name: &'a str,
    ty: MetricType,
    typed: bool,
    help: bool,
    unit: bool,
    samples: bool,
    groups_done: HashSet<String>,
    group: Option<Group>,
}

pub(crate) struct Checker<'a> {
    format: Format,
    /// Families already finished.
    done: HashSet<&'a str>,
    /// Names claimed by the families so far: family names and their sample names.
    used: HashSet<String>,
    cur: Option<Fam<'a>>,
    /// The previous sample's series and timestamp.
    last_series: Option<(String, Option<i64>)>,
}

fn suffixes(ty: MetricType, format: Format) -> &'static [&'static str] {
    match (format, ty) {
        (Format::OpenMetrics, MetricType::Counter) => &["_total", "_created"],
        (Format::OpenMetrics, MetricType::Histogram) => &["_bucket", "_count", "_sum", "_created"],
        (Format::OpenMetrics, MetricType::GaugeHistogram) => &["_bucket", "_gcount", "_gsum"],
        (Format::OpenMetrics, MetricType::Summary) => &["", "_count", "_sum", "_created"],
        (Format::OpenMetrics, MetricType::Info) => &["_info"],
        (Format::Text004, MetricType::Histogram) => &["_bucket", "_count", "_sum"],
        (Format::Text004, MetricType::Summary) => &["", "_count", "_sum"],
        _ => &[""],
    }
}

fn err(line: usize, message: impl Into<String>) -> ParseError {
    ParseError {
        line,
        message: message.into(),
    }
}

/// `name` plus the labels (sorted, `except` left out), as a map key.
fn series_key(name: &str, labels: Labels<'_>, except: Option<&str>) -> String {
    let mut pairs: Vec<_> = labels.iter().filter(|(n, _)| Some(*n) != except).collect();
    pairs.sort();
    let mut key = String::from(name);
    for (n, v) in pairs {
        key.push('\u{0}');
        key.push_str(n);
        key.push('=');
        key.push_str(&v);
    }
    key
}

fn non_negative(line: usize, v: f64, what: &str) -> Result<(), ParseError> {
    if v.is_nan() || v < 0.0 {
        return Err(err(
            line,
            format!("{what} must be a non-negative number, got {v}"),
        ));
    }
    Ok(())
}

fn finish_group(ty: MetricType, g: &Group) -> Result<(), ParseError> {
    let line = g.last_line;
    if !matches!(ty, MetricType::Histogram | MetricType::GaugeHistogram) {
        return Ok(());
    }
    if g.buckets.is_empty() && g.count.is_none() && g.sum.is_none() {
        return Ok(());
    }
    let Some(inf) = g.inf else {
        return Err(err(line, "histogram without a le=\"+Inf\" bucket"));
    };
    let (count, sum) = if ty == MetricType::Histogram {
        ("_count", "_sum")
    } else {
        ("_gcount", "_gsum")
    };
    if let Some(c) = g.count
        && c != inf
    {
        return Err(err(
            line,
            format!("histogram {count} {c} differs from its +Inf bucket {inf}"),
        ));
    }
    if g.count.is_some() != g.sum.is_some() {
        return Err(err(
            line,
            format!("histogram {count} and {sum} must be both present or both absent"),
        ));
    }
    if let Some(s) = g.sum {
        if ty == MetricType::Histogram && g.negative_bucket {
            return Err(err(
                line,
                "histogram with negative buckets must not have _sum",
            ));
        }
        if s < 0.0 && !g.negative_bucket {
            return Err(err(
                line,
                format!("histogram {sum} {s} is negative without negative buckets"),
            ));
        }
    }
    Ok(())
}

impl<'a> Checker<'a> {
    pub(crate) fn new(format: Format) -> Self {
        Checker {
            format,
            done: HashSet::new(),
            used: HashSet::new(),
            cur: None,
            last_series: None,
        }
    }

    /// Ends the current family.
    fn close(&mut self) -> Result<(), ParseError> {
        let Some(mut f) = self.cur.take() else {
            return Ok(());
        };
        self.done.insert(f.name);
        match f.group.take() {
            Some(g) => finish_group(f.ty, &g),
            None => Ok(()),
        }
    }

    /// Claims the names family `name` of type `ty` produces.
    fn claim(&mut self, line: usize, name: &str, ty: MetricType) -> Result<(), ParseError> {
        for s in suffixes(ty, self.format) {
            let n = format!("{name}{s}");
            if !s.is_empty() && !self.used.insert(n.clone()) {
                return Err(err(
                    line,
                    format!("{n:?} of family {name:?} clashes with an earlier metric"),
                ));
            }
        }
        Ok(())
    }

    fn start(&mut self, line: usize, name: &'a str) -> Result<(), ParseError> {
        let closed = self.close();
        let clash = if self.done.contains(name) {
            Some(format!(
                "family {name:?} appears again: a family's lines must be contiguous"
            ))
        } else if !self.used.insert(name.to_string()) {
            Some(format!(
                "metric name {name:?} clashes with an earlier family"
            ))
        } else {
            None
        };
        self.cur = Some(Fam {
            name,
            ty: MetricType::Unknown,
            typed: false,
            help: false,
            unit: false,
            samples: false,
            groups_done: HashSet::new(),
            group: None,
        });
        closed?;
        match clash {
            Some(m) => Err(err(line, m)),
            None => Ok(()),
        }
    }

    pub(crate) fn meta(
        &mut self,
        line: usize,
        name: &'a str,
        meta: &Meta<'a>,
    ) -> Result<(), ParseError> {
        if self.cur.as_ref().is_none_or(|f| f.name != name) {
            self.start(line, name)?;
        }
        let om = self.format == Format::OpenMetrics;
        let Some(f) = self.cur.as_mut() else {
            return Ok(());
        };
        if f.samples {
            return Err(err(
                line,
                format!("metadata for {name:?} after its samples"),
            ));
        }
        let kw = match meta {
            Meta::Help(_) => "HELP",
            Meta::Type(_) => "TYPE",
            Meta::Unit(_) => "UNIT",
        };
        let flag = match meta {
            Meta::Help(_) => &mut f.help,
            Meta::Type(_) => &mut f.typed,
            Meta::Unit(_) => &mut f.unit,
        };
        if *flag {
            return Err(err(line, format!("repeated {kw} for {name:?}")));
        }
        *flag = true;
        if let Meta::Type(t) = meta {
            f.ty = *t;
        }
        let (ty, unit) = (f.ty, f.unit);
        if om && unit && matches!(ty, MetricType::Info | MetricType::StateSet) {
            return Err(err(
                line,
                format!(
                    "{} family {name:?} must not have a unit",
                    ty.as_str(self.format)
                ),
            ));
        }
        if let Meta::Type(t) = meta {
            self.claim(line, name, *t)?;
        }
        Ok(())
    }

    fn belongs(&self, name: &str) -> bool {
        self.cur.as_ref().is_some_and(|f| {
            name.strip_prefix(f.name)
                .is_some_and(|s| suffixes(f.ty, self.format).contains(&s))
        })
    }

    /// Switches to the metric group `key` of the current family.
    fn group(&mut self, line: usize, key: String) -> Result<(), ParseError> {
        let Some(f) = self.cur.as_mut() else {
            return Ok(());
        };
        if let Some(g) = f.group.as_mut()
            && g.key == key
        {
            g.last_line = line;
            return Ok(());
        }
        let finished = match f.group.take() {
            Some(g) => {
                let r = finish_group(f.ty, &g);
                f.groups_done.insert(g.key);
                r
            }
            None => Ok(()),
        };
        let again = f.groups_done.contains(&key);
        f.group = Some(Group {
            key,
            last_line: line,
            buckets: Vec::new(),
            inf: None,
            count: None,
            sum: None,
            negative_bucket: false,
        });
        finished?;
        if again {
            return Err(err(
                line,
                format!(
                    "samples of one {:?} series group are not contiguous",
                    f.name
                ),
            ));
        }
        Ok(())
    }

    pub(crate) fn sample(&mut self, line: usize, s: &Sample<'a>) -> Result<(), ParseError> {
        if !self.belongs(s.name) {
            if let Some(f) = &self.cur
                && f.typed
                && s.name.starts_with(f.name)
                && self.used.contains(s.name)
            {
                return Err(err(
                    line,
                    format!(
                        "{:?} is not a sample name of {} family {:?}",
                        s.name,
                        f.ty.as_str(self.format),
                        f.name
                    ),
                ));
            }
            self.start(line, s.name)?;
        }
        let format = self.format;
        let Some(f) = self.cur.as_mut() else {
            return Ok(());
        };
        f.samples = true;
        let (fname, ty) = (f.name, f.ty);
        let suffix = &s.name[fname.len()..];

        let key = series_key(s.name, s.labels, None);
        if let Some((last, ts)) = &self.last_series
            && *last == key
        {
            match (ts, s.timestamp_ms) {
                (Some(a), Some(b)) if b < *a => {
                    return Err(err(line, "timestamps of a series must not go backwards"));
                }
                (Some(_), None) | (None, Some(_)) => {
                    return Err(err(
                        line,
                        "a series must have timestamps on all or none of its samples",
                    ));
                }
                _ => {}
            }
        }
        self.last_series = Some((key, s.timestamp_ms));

        if format == Format::Text004 {
            return Ok(());
        }
        if let Some(ex) = &s.exemplar {
            let allowed = (ty == MetricType::Counter && suffix == "_total")
                || (matches!(ty, MetricType::Histogram | MetricType::GaugeHistogram)
                    && suffix == "_bucket");
            if !allowed {
                return Err(err(
                    line,
                    format!(
                        "exemplar not allowed on {:?} of a {} family",
                        s.name,
                        ty.as_str(format)
                    ),
                ));
            }
            let n: usize = ex
                .labels
                .iter()
                .map(|(k, v)| k.chars().count() + v.chars().count())
                .sum();
            if n > 128 {
                return Err(err(
                    line,
                    format!("exemplar labels have {n} characters, more than 128"),
                ));
            }
        }
        match ty {
            MetricType::Counter if suffix == "_total" => {
                non_negative(line, s.value, "counter value")
            }
            MetricType::Histogram | MetricType::GaugeHistogram => {
                self.group(line, series_key(fname, s.labels, Some("le")))?;
                self.histogram_sample(line, suffix, s)
            }
            MetricType::Summary => {
                self.group(line, series_key(fname, s.labels, Some("quantile")))?;
                match suffix {
                    "" => {
                        let q = s.labels.get("quantile").ok_or_else(|| {
                            err(line, "summary quantile sample without a quantile label")
                        })?;
                        match parse_float(&q) {
                            Some(v) if (0.0..=1.0).contains(&v) => {}
                            _ => return Err(err(line, format!("invalid quantile {q:?}"))),
                        }
                        if s.value < 0.0 {
                            return Err(err(line, "summary quantile value must not be negative"));
                        }
                        Ok(())
                    }
                    "_count" | "_sum" => non_negative(line, s.value, &format!("summary {suffix}")),
                    _ => Ok(()),
                }
            }
            MetricType::Info if s.value != 1.0 => {
                Err(err(line, format!("info value must be 1, got {}", s.value)))
            }
            MetricType::StateSet => {
                if s.labels.get(fname).is_none() {
                    return Err(err(
                        line,
                        format!("stateset sample without a label named {fname:?}"),
                    ));
                }
                if s.value != 0.0 && s.value != 1.0 {
                    return Err(err(
                        line,
                        format!("stateset value must be 0 or 1, got {}", s.value),
                    ));
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn histogram_sample(
        &mut self,
        line: usize,
        suffix: &str,
        s: &Sample<'a>,
    ) -> Result<(), ParseError> {
        let Some(g) = self.cur.as_mut().and_then(|f| f.group.as_mut()) else {
            return Ok(());
        };
        match suffix {
            "_bucket" => {
                let le = s
                    .labels
                    .get("le")
                    .ok_or_else(|| err(line, "histogram bucket without a le label"))?;
                non_negative(line, s.value, "bucket value")?;
                let bound = if le == "+Inf" {
                    f64::INFINITY
                } else {
                    parse_float(&le)
                        .filter(|v| v.is_finite())
                        .ok_or_else(|| err(line, format!("invalid le {le:?}")))?
                };
                if let Some(&(prev_le, prev_v)) = g.buckets.last() {
                    if bound <= prev_le {
                        return Err(err(line, "buckets must be in increasing le order"));
                    }
                    if s.value < prev_v {
                        return Err(err(line, "bucket values must be cumulative"));
                    }
                }
                if bound < 0.0 {
                    g.negative_bucket = true;
                }
                if bound == f64::INFINITY {
                    g.inf = Some(s.value);
                }
                g.buckets.push((bound, s.value));
            }
            "_count" | "_gcount" => {
                non_negative(line, s.value, &format!("histogram {suffix}"))?;
                g.count = Some(s.value);
            }
            "_sum" | "_gsum" => {
                if s.value.is_nan() {
                    return Err(err(line, format!("histogram {suffix} must not be NaN")));
                }
                g.sum = Some(s.value);
            }
            _ => {}
        }
        Ok(())
    }

    /// End of input.
    pub(crate) fn finish(&mut self) -> Result<(), ParseError> {
        self.close()
    }
}
