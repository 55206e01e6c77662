//! OTLP → Prometheus names: metric names (units, `_total`, `_ratio`, namespace) and label names,
//! as contrib's `pkg/translator/prometheus` (`normalize_name.go`, `normalize_label.go`) builds
//! them, selected by a [`TranslationStrategy`].
//!
//! Shared by the `prometheus_remote_write` and `prometheus` exporters, so both name a metric the
//! same way.

mod units;

#[cfg(test)]
mod tests;

use serde::Deserialize;

/// What kind of OTLP metric a name is built for: only monotonic sums get `_total`, only gauges
/// with unit `1` get `_ratio`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricKind {
    Gauge,
    MonotonicSum,
    /// A non-monotonic sum (an up-down counter): named as a gauge.
    NonMonotonicSum,
    Histogram,
    ExponentialHistogram,
    Summary,
}

/// Upstream `translation_strategy` (prometheus/otlptranslator): whether names are escaped to
/// the classic `[a-zA-Z0-9_:]` character set and whether unit and type suffixes are added.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub enum TranslationStrategy {
    /// Escape to classic names, add unit, `_total` and `_ratio` suffixes (the default).
    #[default]
    UnderscoreEscapingWithSuffixes,
    /// Escape to classic names, no suffixes (what `add_metric_suffixes: false` means).
    UnderscoreEscapingWithoutSuffixes,
    /// Keep UTF-8 names as they are, but add the suffixes.
    NoUTF8EscapingWithSuffixes,
    /// Keep names exactly as they are.
    NoTranslation,
}

impl TranslationStrategy {
    /// Whether unit and type suffixes are added.
    pub fn adds_suffixes(self) -> bool {
        matches!(
            self,
            TranslationStrategy::UnderscoreEscapingWithSuffixes
                | TranslationStrategy::NoUTF8EscapingWithSuffixes
        )
    }

    /// Whether names are escaped to the classic character set.
    pub fn escapes(self) -> bool {
        matches!(
            self,
            TranslationStrategy::UnderscoreEscapingWithSuffixes
                | TranslationStrategy::UnderscoreEscapingWithoutSuffixes
        )
    }
}

fn is_letter_or_digit(c: char) -> bool {
    c.is_alphabetic() || c.is_numeric()
}

/// Go `strings.FieldsFunc(s, !letter-or-digit)`: the runs of letters and digits.
fn tokens(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !is_letter_or_digit(c))
        .filter(|t| !t.is_empty())
}

/// Upstream `CleanUpString`: the letter/digit runs of `s` joined with `_`.
fn clean_up(s: &str) -> String {
    tokens(s).collect::<Vec<_>>().join("_")
}

/// Upstream `RemovePromForbiddenRunes`: the runs of letters, digits, `_` and `:` joined with
/// `_` (so every run of other characters becomes one `_`, and leading or trailing ones go).
pub fn remove_forbidden_runes(s: &str) -> String {
    s.split(|c: char| !(is_letter_or_digit(c) || c == '_' || c == ':'))
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}

/// Upstream `BuildCompliantName` / otlptranslator `MetricNamer.Build`: the Prometheus name of an
/// OTLP metric with `name`, `unit` and `kind`, prefixed by `namespace` when it is not empty.
pub fn metric_name(
    name: &str,
    unit: &str,
    kind: MetricKind,
    namespace: &str,
    strategy: TranslationStrategy,
) -> String {
    match (strategy.escapes(), strategy.adds_suffixes()) {
        (true, true) => normalize_name(name, unit, kind, namespace),
        (true, false) => {
            let mut n = remove_forbidden_runes(name);
            if !namespace.is_empty() {
                return format!("{namespace}_{n}");
            }
            if n.starts_with(|c: char| c.is_ascii_digit()) {
                n.insert(0, '_');
            }
            n
        }
        (false, true) => with_suffixes_unescaped(name, unit, kind, namespace),
        (false, false) => {
            if namespace.is_empty() {
                name.to_string()
            } else {
                format!("{namespace}_{name}")
            }
        }
    }
}

/// The unit suffixes of `unit`: the main unit's Prometheus name and `per_<unit>`, each `None`
/// when absent, annotated (`{...}`) or dropped (`1`).
fn unit_suffixes(unit: &str) -> (Option<String>, Option<String>) {
    let mut parts = unit.splitn(2, '/');
    let main = parts.next().unwrap_or_default().trim();
    let per = parts.next().unwrap_or_default().trim();
    let main = (!main.is_empty() && !main.contains(['{', '}']))
        .then(|| clean_up(units::main_unit(main)))
        .filter(|s| !s.is_empty());
    let per = (!per.is_empty() && !per.contains(['{', '}']))
        .then(|| clean_up(units::per_unit(per)))
        .filter(|s| !s.is_empty())
        .map(|p| format!("per_{p}"));
    (main, per)
}

/// Upstream `normalizeName`: tokens of the name, plus the unit suffixes not already among them,
/// `total` for monotonic sums, `ratio` for gauges with unit `1`, the namespace in front.
fn normalize_name(name: &str, unit: &str, kind: MetricKind, namespace: &str) -> String {
    let mut toks: Vec<String> = tokens(name).map(str::to_string).collect();
    let (mut main, mut per) = unit_suffixes(unit);
    if main.as_ref().is_some_and(|m| toks.contains(m)) {
        main = None;
    }
    // Upstream compares `per_<unit>` against single tokens, which never contain `_`: a
    // `per_second` is thus always appended, kept here for identical names.
    if per.as_ref().is_some_and(|p| toks.contains(p)) {
        per = None;
    }
    if let Some(m) = main {
        toks.push(if per.is_some() {
            m.trim_end_matches('_').to_string()
        } else {
            m
        });
    }
    if let Some(p) = per {
        toks.push(p);
    }
    match kind {
        MetricKind::MonotonicSum => {
            toks.retain(|t| t != "total");
            toks.push("total".into());
        }
        MetricKind::Gauge if unit == "1" => {
            toks.retain(|t| t != "ratio");
            toks.push("ratio".into());
        }
        _ => {}
    }
    if !namespace.is_empty() {
        toks.insert(0, namespace.to_string());
    }
    let mut n = toks.join("_");
    if n.starts_with(|c: char| c.is_ascii_digit()) {
        n.insert(0, '_');
    }
    n
}

/// `NoUTF8EscapingWithSuffixes`: the name as it is, with the same suffixes appended (each only
/// when the name does not already end with it).
fn with_suffixes_unescaped(name: &str, unit: &str, kind: MetricKind, namespace: &str) -> String {
    let mut n = if namespace.is_empty() {
        name.to_string()
    } else {
        format!("{namespace}_{name}")
    };
    let (main, per) = unit_suffixes(unit);
    for suffix in [main, per].into_iter().flatten() {
        if !n.ends_with(&format!("_{suffix}")) {
            n.push('_');
            n.push_str(&suffix);
        }
    }
    match kind {
        MetricKind::MonotonicSum if !n.ends_with("_total") => n.push_str("_total"),
        MetricKind::Gauge if unit == "1" && !n.ends_with("_ratio") => n.push_str("_ratio"),
        _ => {}
    }
    n
}

/// Upstream `NormalizeLabel`: runes other than letters and digits become `_`; a leading digit
/// gets `key_` in front, a single leading `_` gets `key` (`__` names are kept as they are).
/// An empty name stays empty.
pub fn normalize_label(label: &str) -> String {
    if label.is_empty() {
        return String::new();
    }
    let mut l: String = label
        .chars()
        .map(|c| if is_letter_or_digit(c) { c } else { '_' })
        .collect();
    if l.starts_with(|c: char| c.is_ascii_digit()) {
        l.insert_str(0, "key_");
    } else if l.starts_with('_') && !l.starts_with("__") {
        l.insert_str(0, "key");
    }
    l
}

/// A label name under `strategy`: normalised when names are escaped, as it is otherwise.
pub fn label_name(label: &str, strategy: TranslationStrategy) -> String {
    if strategy.escapes() {
        normalize_label(label)
    } else {
        label.to_string()
    }
}

/// Go `strconv.FormatFloat(f, 'f', -1, 64)` as Prometheus label values use it (`le`,
/// `quantile`): the shortest decimal that reads back as `f`, never in exponent form; `+Inf`,
/// `-Inf` and `NaN` spelled as Go spells them.
pub fn format_float_label(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f == f64::INFINITY {
        "+Inf".into()
    } else if f == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        // Rust's `Display` for f64 is the shortest round-trip decimal in plain notation.
        format!("{f}")
    }
}
