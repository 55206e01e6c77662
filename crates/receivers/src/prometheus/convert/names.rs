//! Metric names and units: `trim_metric_suffixes` (contrib `TrimPromSuffixes`) and the
//! Prometheus unit word → UCUM mapping (contrib `UnitWordToUCUM`).

/// Upstream's `TrimPromSuffixes`: split on `_`; for sums drop a trailing `total`; then drop the
/// trailing tokens that spell the `_`-split unit (only OpenMetrics' `# UNIT` supplies one).
pub fn trim_prom_suffixes(name: &str, is_sum: bool, unit: &str) -> String {
    let mut tokens: Vec<&str> = name.split('_').collect();
    if tokens.len() == 1 {
        return name.to_string();
    }
    if is_sum && tokens.last() == Some(&"total") {
        tokens.pop();
    }
    // Go's strings.Split("", "_") is [""], so an empty unit only ever matches a trailing empty
    // token (a name ending in `_`), exactly as upstream.
    let unit_tokens: Vec<&str> = unit.split('_').collect();
    let (l, lu) = (tokens.len(), unit_tokens.len());
    if l > lu && tokens[l - lu..] == unit_tokens[..] {
        tokens.truncate(l - lu);
    }
    tokens.join("_")
}

/// Upstream's `UnitWordToUCUM`: `seconds` → `s`, `bytes_per_second` → `By/s`; unknown words pass
/// through unchanged.
pub fn unit_word_to_ucum(unit: &str) -> String {
    let (word, per) = match unit.split_once("_per_") {
        Some((w, p)) => (w, Some(p)),
        None => (unit, None),
    };
    let mut out = word_to_ucum(word).unwrap_or(word).to_string();
    if let Some(per) = per.filter(|p| !p.is_empty()) {
        out.push('/');
        out.push_str(per_word_to_ucum(per).unwrap_or(per));
    }
    out
}

fn word_to_ucum(word: &str) -> Option<&'static str> {
    Some(match word {
        "days" => "d",
        "hours" => "h",
        "minutes" => "min",
        "seconds" => "s",
        "milliseconds" => "ms",
        "microseconds" => "us",
        "nanoseconds" => "ns",
        "bytes" => "By",
        "kibibytes" => "KiBy",
        "mebibytes" => "MiBy",
        "gibibytes" => "GiBy",
        "tibibytes" => "TiBy",
        "kilobytes" => "KBy",
        "megabytes" => "MBy",
        "gigabytes" => "GBy",
        "terabytes" => "TBy",
        "meters" => "m",
        "volts" => "V",
        "amperes" => "A",
        "joules" => "J",
        "watts" => "W",
        "grams" => "g",
        "celsius" => "Cel",
        "hertz" => "Hz",
        "ratio" => "1",
        "percent" => "%",
        _ => return None,
    })
}

fn per_word_to_ucum(word: &str) -> Option<&'static str> {
    Some(match word {
        "second" => "s",
        "minute" => "m",
        "hour" => "h",
        "day" => "d",
        "week" => "w",
        "month" => "mo",
        "year" => "y",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_total_then_unit() {
        assert_eq!(
            trim_prom_suffixes("singing_duration_seconds_total", true, "seconds"),
            "singing_duration"
        );
        // Text 0.0.4 has no unit: only `_total` goes.
        assert_eq!(
            trim_prom_suffixes("http_requests_total", true, ""),
            "http_requests"
        );
        // `total` is a type suffix of sums only.
        assert_eq!(trim_prom_suffixes("queue_total", false, ""), "queue_total");
        assert_eq!(
            trim_prom_suffixes("rpc_duration_seconds", false, "seconds"),
            "rpc_duration"
        );
        // A multi-token unit must match as a whole suffix.
        assert_eq!(
            trim_prom_suffixes("rate_bytes_per_second", false, "bytes_per_second"),
            "rate"
        );
        assert_eq!(
            trim_prom_suffixes("rate_per_second", false, "bytes_per_second"),
            "rate_per_second"
        );
        // The name is never trimmed away entirely, nor is a single token touched.
        assert_eq!(trim_prom_suffixes("seconds", false, "seconds"), "seconds");
        assert_eq!(
            trim_prom_suffixes("x_seconds", false, "x_seconds"),
            "x_seconds"
        );
    }

    #[test]
    fn maps_unit_words() {
        assert_eq!(unit_word_to_ucum("seconds"), "s");
        assert_eq!(unit_word_to_ucum("bytes_per_second"), "By/s");
        assert_eq!(
            unit_word_to_ucum("widgets_per_fortnight"),
            "widgets/fortnight"
        );
        assert_eq!(unit_word_to_ucum("ratio"), "1");
        assert_eq!(unit_word_to_ucum("meters_per_"), "m");
        assert_eq!(unit_word_to_ucum(""), "");
    }
}
