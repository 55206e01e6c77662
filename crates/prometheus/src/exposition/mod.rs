//! Exposition parser: Prometheus text format 0.0.4 and OpenMetrics 1.0.
//!
//! [`Parser`] is a pull parser over a borrowed body: it yields [`Entry`] values whose names,
//! labels and help texts borrow from the input (escapes are resolved lazily, into a
//! [`Cow`] that only allocates when the text holds a backslash).
//!
//! * [`Strictness::Prometheus`] accepts what Prometheus 2.42's scrape parsers accept: syntax,
//!   `# EOF`, the `# UNIT` suffix rule, exemplar placement and timestamps are checked, value
//!   semantics are not.
//! * [`Strictness::OpenMetricsStrict`] adds the OpenMetrics 1.0 semantic rules (the
//!   OpenMetrics parser test suite): family grouping, repeated/misplaced metadata, clashing
//!   names, counter/histogram/summary/info/stateset values, bucket order and consistency,
//!   per-series timestamp order, exemplar label length. With [`Format::Text004`] it applies the
//!   format-independent rules only (metadata placement, family grouping), like
//!   `promtool check metrics`.

mod lex;
mod strict;

use std::borrow::Cow;
use std::fmt;

use lex::{Line, Meta};

/// The exposition format of a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `text/plain; version=0.0.4`.
    Text004,
    /// `application/openmetrics-text; version=1.0.0`.
    OpenMetrics,
}

/// How much is validated beyond the syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strictness {
    /// Accept what Prometheus 2.42 accepts when scraping.
    Prometheus,
    /// The OpenMetrics 1.0 rules, as the OpenMetrics parser test suite checks them.
    OpenMetricsStrict,
}

/// A metric family's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetricType {
    Counter,
    Gauge,
    Histogram,
    GaugeHistogram,
    Summary,
    Info,
    StateSet,
    /// OpenMetrics `unknown`, text 0.0.4 `untyped`, or no `# TYPE` line.
    Unknown,
}

impl MetricType {
    /// The name used in `# TYPE` lines of `format`.
    pub fn as_str(self, format: Format) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Histogram => "histogram",
            MetricType::GaugeHistogram => "gaugehistogram",
            MetricType::Summary => "summary",
            MetricType::Info => "info",
            MetricType::StateSet => "stateset",
            MetricType::Unknown => match format {
                Format::Text004 => "untyped",
                Format::OpenMetrics => "unknown",
            },
        }
    }

    fn parse(s: &str, format: Format) -> Option<MetricType> {
        Some(match (s, format) {
            ("counter", _) => MetricType::Counter,
            ("gauge", _) => MetricType::Gauge,
            ("histogram", _) => MetricType::Histogram,
            ("summary", _) => MetricType::Summary,
            ("untyped", Format::Text004) | ("unknown", Format::OpenMetrics) => MetricType::Unknown,
            ("gaugehistogram", Format::OpenMetrics) => MetricType::GaugeHistogram,
            ("info", Format::OpenMetrics) => MetricType::Info,
            ("stateset", Format::OpenMetrics) => MetricType::StateSet,
            _ => return None,
        })
    }
}

/// A family's metadata, from its `# HELP`, `# TYPE` and `# UNIT` lines. Yielded before the
/// family's first sample (families without metadata lines yield no `Family`).
#[derive(Debug, Clone, PartialEq)]
pub struct Family<'a> {
    pub name: &'a str,
    pub metric_type: MetricType,
    /// The help text, escapes resolved.
    pub help: Option<Cow<'a, str>>,
    /// OpenMetrics only.
    pub unit: Option<&'a str>,
}

/// A validated label set, borrowed from the body. Iterate it for `(name, value)` pairs,
/// the values' escapes resolved.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Labels<'a> {
    raw: &'a str,
}

impl<'a> Labels<'a> {
    /// The text between the braces, as written.
    pub fn as_raw(&self) -> &'a str {
        self.raw
    }

    pub fn iter(&self) -> LabelIter<'a> {
        LabelIter {
            raw: self.raw,
            pos: 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// The value of label `name`, if present.
    pub fn get(&self, name: &str) -> Option<Cow<'a, str>> {
        self.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }
}

impl fmt::Debug for Labels<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<'a> IntoIterator for Labels<'a> {
    type Item = (&'a str, Cow<'a, str>);
    type IntoIter = LabelIter<'a>;
    fn into_iter(self) -> LabelIter<'a> {
        self.iter()
    }
}

/// Iterator over a [`Labels`].
#[derive(Clone)]
pub struct LabelIter<'a> {
    raw: &'a str,
    pos: usize,
}

impl<'a> Iterator for LabelIter<'a> {
    type Item = (&'a str, Cow<'a, str>);

    fn next(&mut self) -> Option<Self::Item> {
        let b = self.raw.as_bytes();
        let mut i = self.pos;
        while i < b.len() && matches!(b[i], b' ' | b'\t' | b',') {
            i += 1;
        }
        if i >= b.len() {
            self.pos = i;
            return None;
        }
        let ns = i;
        while i < b.len() && lex::is_label_char(b[i]) {
            i += 1;
        }
        let name = &self.raw[ns..i];
        while i < b.len() && b[i] != b'"' {
            i += 1;
        }
        i += 1;
        let vs = i.min(b.len());
        while i < b.len() && b[i] != b'"' {
            if b[i] == b'\\' {
                i += 1;
            }
            i += 1;
        }
        let ve = i.min(b.len());
        self.pos = (i + 1).min(b.len());
        Some((name, lex::unescape(&self.raw[vs..ve], true)))
    }
}

/// An OpenMetrics exemplar.
#[derive(Debug, Clone, PartialEq)]
pub struct Exemplar<'a> {
    pub labels: Labels<'a>,
    pub value: f64,
    pub timestamp_ms: Option<i64>,
}

/// One sample line.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample<'a> {
    pub name: &'a str,
    pub labels: Labels<'a>,
    pub value: f64,
    /// Milliseconds since the epoch (OpenMetrics seconds are converted).
    pub timestamp_ms: Option<i64>,
    pub exemplar: Option<Exemplar<'a>>,
}

/// What the parser yields.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry<'a> {
    Family(Family<'a>),
    Sample(Sample<'a>),
}

/// A parse error, with the 1-based line it was found on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

/// The pull parser. After an error it resumes at the next line, so every error of a body can
/// be reported; a consumer that only wants valid bodies stops at the first `Err`.
pub struct Parser<'a> {
    input: &'a str,
    pos: usize,
    line: usize,
    format: Format,
    strictness: Strictness,
    pending: Option<Family<'a>>,
    /// The family yielded last: metadata for it that comes after its samples (accepted by
    /// Prometheus) amends it instead of resetting the type.
    last_family: Option<Family<'a>>,
    checker: Option<strict::Checker<'a>>,
    scratch: Vec<&'a str>,
    saw_eof: bool,
    finished: bool,
}

impl<'a> Parser<'a> {
    pub fn new(input: &'a str, format: Format, strictness: Strictness) -> Self {
        Parser {
            input,
            pos: 0,
            line: 0,
            format,
            strictness,
            pending: None,
            last_family: None,
            checker: match strictness {
                Strictness::OpenMetricsStrict => Some(strict::Checker::new(format)),
                Strictness::Prometheus => None,
            },
            scratch: Vec::new(),
            saw_eof: false,
            finished: false,
        }
    }

    pub fn format(&self) -> Format {
        self.format
    }

    pub fn strictness(&self) -> Strictness {
        self.strictness
    }

    fn flush(&mut self) -> Option<Result<Entry<'a>, ParseError>> {
        let f = self.pending.take()?;
        self.last_family = Some(f.clone());
        Some(Ok(Entry::Family(f)))
    }

    fn err(line: usize, message: impl Into<String>) -> Option<Result<Entry<'a>, ParseError>> {
        Some(Err(ParseError {
            line,
            message: message.into(),
        }))
    }
}

impl<'a> Iterator for Parser<'a> {
    type Item = Result<Entry<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.finished {
                return None;
            }
            if self.pos >= self.input.len() {
                if self.pending.is_some() {
                    return self.flush();
                }
                self.finished = true;
                if let Some(c) = self.checker.as_mut()
                    && let Err(e) = c.finish()
                {
                    return Some(Err(e));
                }
                if self.format == Format::OpenMetrics && !self.saw_eof {
                    return Self::err(self.line.max(1), "missing \"# EOF\" at the end");
                }
                return None;
            }
            let line_no = self.line + 1;
            if self.saw_eof {
                self.finished = true;
                return Self::err(line_no, "unexpected content after \"# EOF\"");
            }
            let rest = &self.input[self.pos..];
            let (text, next) = match rest.as_bytes().iter().position(|&b| b == b'\n') {
                Some(n) => (&rest[..n], self.pos + n + 1),
                None => (rest, self.input.len()),
            };
            let parsed = match self.format {
                Format::Text004 => lex::text_line(text, &mut self.scratch),
                Format::OpenMetrics => lex::om_line(text, &mut self.scratch),
            };
            match parsed {
                Err(message) => {
                    self.pos = next;
                    self.line = line_no;
                    return Self::err(line_no, message);
                }
                Ok(Line::Skip) => {
                    self.pos = next;
                    self.line = line_no;
                }
                Ok(Line::Eof) => {
                    self.pos = next;
                    self.line = line_no;
                    self.saw_eof = true;
                }
                Ok(Line::Meta(name, meta)) => {
                    if let Some(p) = &self.pending
                        && p.name != name
                    {
                        return self.flush();
                    }
                    self.pos = next;
                    self.line = line_no;
                    if let Some(c) = self.checker.as_mut()
                        && let Err(e) = c.meta(line_no, name, &meta)
                    {
                        return Some(Err(e));
                    }
                    if self.pending.is_none() {
                        self.pending = Some(match self.last_family.take() {
                            Some(f) if f.name == name => f,
                            _ => Family {
                                name,
                                metric_type: MetricType::Unknown,
                                help: None,
                                unit: None,
                            },
                        });
                    }
                    let Some(fam) = self.pending.as_mut() else {
                        continue;
                    };
                    match meta {
                        Meta::Help(h) => fam.help = Some(lex::unescape(h, false)),
                        Meta::Type(t) => fam.metric_type = t,
                        Meta::Unit(u) => fam.unit = Some(u),
                    }
                }
                Ok(Line::Sample(sample)) => {
                    if self.pending.is_some() {
                        return self.flush();
                    }
                    self.pos = next;
                    self.line = line_no;
                    if let Some(c) = self.checker.as_mut()
                        && let Err(e) = c.sample(line_no, &sample)
                    {
                        return Some(Err(e));
                    }
                    return Some(Ok(Entry::Sample(sample)));
                }
            }
        }
    }
}

/// All errors of `input` (empty when it parses).
pub fn check(input: &str, format: Format, strictness: Strictness) -> Vec<ParseError> {
    Parser::new(input, format, strictness)
        .filter_map(Result::err)
        .collect()
}

/// [`check`] on raw bytes: invalid UTF-8 is reported with the line it is on.
pub fn check_bytes(input: &[u8], format: Format, strictness: Strictness) -> Vec<ParseError> {
    match std::str::from_utf8(input) {
        Ok(s) => check(s, format, strictness),
        Err(e) => {
            let bad = e.valid_up_to();
            let line = 1 + input[..bad].iter().filter(|&&b| b == b'\n').count();
            vec![ParseError {
                line,
                message: "invalid UTF-8".to_string(),
            }]
        }
    }
}

#[cfg(test)]
mod tests;
