//! Line lexers for both formats. Each works on one line (without its `\n`) and borrows from it.

use std::borrow::Cow;

use super::{Exemplar, Format, Labels, MetricType, Sample};

pub(crate) enum Line<'a> {
    Skip,
    Eof,
    Meta(&'a str, Meta<'a>),
    Sample(Sample<'a>),
}

pub(crate) enum Meta<'a> {
    /// Raw (still escaped) help text.
    Help(&'a str),
    Type(MetricType),
    Unit(&'a str),
}

type LResult<T> = Result<T, String>;

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn skip_blanks(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && is_blank(b[i]) {
        i += 1;
    }
    i
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b':'
}

fn is_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b':'
}

pub(crate) fn is_label_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn is_label_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

pub(crate) fn valid_metric_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty() && is_name_start(b[0]) && b[1..].iter().all(|&c| is_name_char(c))
}

/// Resolves `\\`, `\n` and (when `quote`) `\"`; any other backslash is kept as written.
pub(crate) fn unescape(s: &str, quote: bool) -> Cow<'_, str> {
    if !s.contains('\\') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('"') if quote => out.push('"'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    Cow::Owned(out)
}

/// A float as Go's `ParseFloat` reads it, minus hex floats and `_` separators (which
/// Prometheus rejects): `[+-]digits[.digits][e[+-]digits]`, `[+-]inf`, `[+-]infinity`, `nan`
/// (case-insensitive).
pub(crate) fn parse_float(tok: &str) -> Option<f64> {
    let b = tok.as_bytes();
    let start = match b.first()? {
        b'+' | b'-' => 1,
        _ => 0,
    };
    let rest = &tok[start..];
    if rest.eq_ignore_ascii_case("inf") || rest.eq_ignore_ascii_case("infinity") {
        return Some(if b[0] == b'-' {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    if start == 0 && rest.eq_ignore_ascii_case("nan") {
        return Some(f64::NAN);
    }
    let r = rest.as_bytes();
    let mut i = 0;
    let mut digits = 0;
    while i < r.len() && r[i].is_ascii_digit() {
        i += 1;
        digits += 1;
    }
    if i < r.len() && r[i] == b'.' {
        i += 1;
        while i < r.len() && r[i].is_ascii_digit() {
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return None;
    }
    if i < r.len() && (r[i] == b'e' || r[i] == b'E') {
        i += 1;
        if i < r.len() && (r[i] == b'+' || r[i] == b'-') {
            i += 1;
        }
        let es = i;
        while i < r.len() && r[i].is_ascii_digit() {
            i += 1;
        }
        if i == es {
            return None;
        }
    }
    if i != r.len() {
        return None;
    }
    tok.parse::<f64>().ok()
}

/// Index of the closing quote of a label value starting at `i`.
fn scan_value(b: &[u8], mut i: usize) -> LResult<usize> {
    while i < b.len() {
        match b[i] {
            b'"' => return Ok(i),
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
    Err("unterminated label value".into())
}

fn check_dup<'a>(name: &'a str, seen: &mut Vec<&'a str>) -> LResult<()> {
    if seen.contains(&name) {
        return Err(format!("duplicate label name {name:?}"));
    }
    seen.push(name);
    Ok(())
}

fn label_name<'a>(line: &'a str, i: &mut usize) -> LResult<&'a str> {
    let b = line.as_bytes();
    let ns = *i;
    if ns >= b.len() || !is_label_start(b[ns]) {
        return Err(format!("expected label name at column {}", ns + 1));
    }
    *i += 1;
    while *i < b.len() && is_label_char(b[*i]) {
        *i += 1;
    }
    Ok(&line[ns..*i])
}

/// Text 0.0.4 label set after `{`: blanks allowed, commas optional (Prometheus 2.42).
fn text_labels<'a>(
    line: &'a str,
    start: usize,
    seen: &mut Vec<&'a str>,
) -> LResult<(Labels<'a>, usize)> {
    let b = line.as_bytes();
    seen.clear();
    let mut i = start;
    loop {
        i = skip_blanks(b, i);
        if i >= b.len() {
            return Err("unterminated label set, expected '}'".into());
        }
        if b[i] == b'}' {
            return Ok((
                Labels {
                    raw: &line[start..i],
                },
                i + 1,
            ));
        }
        let name = label_name(line, &mut i)?;
        i = skip_blanks(b, i);
        if i >= b.len() || b[i] != b'=' {
            return Err(format!("expected '=' after label name {name:?}"));
        }
        i = skip_blanks(b, i + 1);
        if i >= b.len() || b[i] != b'"' {
            return Err(format!("expected quoted value for label {name:?}"));
        }
        i = scan_value(b, i + 1)? + 1;
        check_dup(name, seen)?;
        i = skip_blanks(b, i);
        if i < b.len() && b[i] == b',' {
            i += 1;
        }
    }
}

/// OpenMetrics label set after `{`: `name="value"` separated by single commas, nothing else.
fn om_labels<'a>(
    line: &'a str,
    start: usize,
    seen: &mut Vec<&'a str>,
) -> LResult<(Labels<'a>, usize)> {
    let b = line.as_bytes();
    seen.clear();
    let mut i = start;
    if i < b.len() && b[i] == b'}' {
        return Ok((Labels { raw: "" }, i + 1));
    }
    loop {
        let name = label_name(line, &mut i)?;
        if i >= b.len() || b[i] != b'=' {
            return Err(format!("expected '=' after label name {name:?}"));
        }
        i += 1;
        if i >= b.len() || b[i] != b'"' {
            return Err(format!("expected quoted value for label {name:?}"));
        }
        i = scan_value(b, i + 1)? + 1;
        check_dup(name, seen)?;
        match b.get(i) {
            Some(b',') => i += 1,
            Some(b'}') => {
                return Ok((
                    Labels {
                        raw: &line[start..i],
                    },
                    i + 1,
                ));
            }
            _ => return Err(format!("expected ',' or '}}' after label {name:?}")),
        }
    }
}

fn metric_name<'a>(line: &'a str, i: &mut usize) -> LResult<&'a str> {
    let b = line.as_bytes();
    let ns = *i;
    if ns >= b.len() || !is_name_start(b[ns]) {
        return Err("expected metric name".into());
    }
    *i += 1;
    while *i < b.len() && is_name_char(b[*i]) {
        *i += 1;
    }
    Ok(&line[ns..*i])
}

fn parse_value(tok: &str) -> LResult<f64> {
    if tok.is_empty() {
        return Err("expected value".into());
    }
    parse_float(tok).ok_or_else(|| format!("invalid value {tok:?}"))
}

/// One text 0.0.4 line.
pub(crate) fn text_line<'a>(line: &'a str, seen: &mut Vec<&'a str>) -> LResult<Line<'a>> {
    let b = line.as_bytes();
    let mut i = skip_blanks(b, 0);
    if i == b.len() {
        return Ok(Line::Skip);
    }
    if b[i] == b'#' {
        i = skip_blanks(b, i + 1);
        let kw = &line[i..];
        let is_help = kw.starts_with("HELP");
        if !(is_help || kw.starts_with("TYPE")) || b.len() == i + 4 || !is_blank(b[i + 4]) {
            return Ok(Line::Skip);
        }
        let kw = &kw[..4];
        i = skip_blanks(b, i + 4);
        let ns = i;
        while i < b.len() && !is_blank(b[i]) {
            i += 1;
        }
        let name = &line[ns..i];
        if !valid_metric_name(name) {
            return Err(format!("invalid metric name {name:?} in {kw} line"));
        }
        let j = skip_blanks(b, i);
        if is_help {
            return Ok(Line::Meta(name, Meta::Help(&line[j..])));
        }
        let t = &line[j..];
        return match MetricType::parse(t, Format::Text004) {
            Some(t) if j > i => Ok(Line::Meta(name, Meta::Type(t))),
            _ => Err(format!("invalid metric type {t:?}")),
        };
    }
    let name = metric_name(line, &mut i)?;
    i = skip_blanks(b, i);
    let mut labels = Labels { raw: "" };
    if i < b.len() && b[i] == b'{' {
        let (l, end) = text_labels(line, i + 1, seen)?;
        labels = l;
        i = skip_blanks(b, end);
    }
    let vs = i;
    while i < b.len() && !is_blank(b[i]) {
        i += 1;
    }
    let value = parse_value(&line[vs..i])?;
    i = skip_blanks(b, i);
    let mut timestamp_ms = None;
    if i < b.len() {
        let ts = i;
        while i < b.len() && !is_blank(b[i]) {
            i += 1;
        }
        let tok = &line[ts..i];
        if !tok.bytes().all(|c| c.is_ascii_digit()) {
            return Err(format!("invalid timestamp {tok:?} (integer milliseconds)"));
        }
        timestamp_ms = Some(
            tok.parse::<i64>()
                .map_err(|_| format!("timestamp {tok:?} out of range"))?,
        );
        if skip_blanks(b, i) < b.len() {
            return Err("expected end of line after timestamp".into());
        }
    }
    Ok(Line::Sample(Sample {
        name,
        labels,
        value,
        timestamp_ms,
        exemplar: None,
    }))
}

fn om_timestamp(tok: &str) -> LResult<i64> {
    match parse_float(tok) {
        Some(v) if v.is_finite() => Ok((v * 1000.0).round() as i64),
        _ => Err(format!("invalid timestamp {tok:?}")),
    }
}

/// A token ending at the next space or the end of the line.
fn token(line: &str, i: &mut usize) -> usize {
    let b = line.as_bytes();
    let s = *i;
    while *i < b.len() && b[*i] != b' ' {
        *i += 1;
    }
    s
}

fn om_meta<'a>(line: &'a str) -> LResult<Line<'a>> {
    if line == "# EOF" {
        return Ok(Line::Eof);
    }
    let (kw, rest) = if let Some(r) = line.strip_prefix("# HELP ") {
        ("HELP", r)
    } else if let Some(r) = line.strip_prefix("# TYPE ") {
        ("TYPE", r)
    } else if let Some(r) = line.strip_prefix("# UNIT ") {
        ("UNIT", r)
    } else {
        return Err(
            "invalid comment: only \"# HELP\", \"# TYPE\", \"# UNIT\" and \"# EOF\" lines are allowed"
                .into(),
        );
    };
    let (name, after) = match rest.find(' ') {
        Some(n) => (&rest[..n], Some(&rest[n + 1..])),
        None => (rest, None),
    };
    if !valid_metric_name(name) {
        return Err(format!("invalid metric name {name:?} in {kw} line"));
    }
    let Some(after) = after else {
        return Err(format!(
            "expected a space and text after the metric name in {kw} line"
        ));
    };
    match kw {
        "HELP" => Ok(Line::Meta(name, Meta::Help(after))),
        "TYPE" => MetricType::parse(after, Format::OpenMetrics)
            .map(|t| Line::Meta(name, Meta::Type(t)))
            .ok_or_else(|| format!("invalid metric type {after:?}")),
        _ => {
            if !after.bytes().all(is_name_char) {
                return Err(format!("invalid unit {after:?}"));
            }
            let suffixed = name.len() > after.len()
                && name.ends_with(after)
                && name.as_bytes()[name.len() - after.len() - 1] == b'_';
            if !after.is_empty() && !suffixed {
                return Err(format!("unit {after:?} not a suffix of metric {name:?}"));
            }
            Ok(Line::Meta(name, Meta::Unit(after)))
        }
    }
}

/// One OpenMetrics line.
pub(crate) fn om_line<'a>(line: &'a str, seen: &mut Vec<&'a str>) -> LResult<Line<'a>> {
    let b = line.as_bytes();
    if b.is_empty() {
        return Err("empty lines are not allowed in OpenMetrics".into());
    }
    if b[0] == b'#' {
        return om_meta(line);
    }
    let mut i = 0;
    let name = metric_name(line, &mut i)?;
    let mut labels = Labels { raw: "" };
    if i < b.len() && b[i] == b'{' {
        let (l, end) = om_labels(line, i + 1, seen)?;
        labels = l;
        i = end;
    }
    if i >= b.len() || b[i] != b' ' {
        return Err(format!("expected a space and a value after {name:?}"));
    }
    i += 1;
    let vs = token(line, &mut i);
    let value = parse_value(&line[vs..i])?;
    let mut timestamp_ms = None;
    let mut exemplar = None;
    if i < b.len() {
        i += 1;
        if i < b.len() && b[i] != b'#' {
            let ts = token(line, &mut i);
            timestamp_ms = Some(om_timestamp(&line[ts..i])?);
            if i < b.len() {
                i += 1;
            }
        }
        if i >= b.len() && b[b.len() - 1] == b' ' {
            return Err("unexpected trailing space".into());
        }
        if i < b.len() {
            if !line[i..].starts_with("# {") {
                return Err("invalid exemplar: expected \" # {\"".into());
            }
            if !(name.ends_with("_total") || name.ends_with("_bucket")) {
                return Err(format!(
                    "exemplar on {name:?}: only counter _total and histogram _bucket samples may have exemplars"
                ));
            }
            let (elabels, end) = om_labels(line, i + 3, seen)?;
            i = end;
            if i >= b.len() || b[i] != b' ' {
                return Err("expected a space and a value after the exemplar labels".into());
            }
            i += 1;
            let evs = token(line, &mut i);
            let evalue = parse_value(&line[evs..i]).map_err(|e| format!("exemplar: {e}"))?;
            let mut ets = None;
            if i < b.len() {
                i += 1;
                let s = token(line, &mut i);
                if i < b.len() {
                    return Err("unexpected text after the exemplar timestamp".into());
                }
                ets = Some(om_timestamp(&line[s..i]).map_err(|e| format!("exemplar: {e}"))?);
            }
            exemplar = Some(Exemplar {
                labels: elabels,
                value: evalue,
                timestamp_ms: ets,
            });
        }
    }
    Ok(Line::Sample(Sample {
        name,
        labels,
        value,
        timestamp_ms,
        exemplar,
    }))
}
