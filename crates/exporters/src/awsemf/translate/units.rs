//! Units: `metric_descriptors`, then UCUM → CloudWatch (`grouped_metric.go translateUnit`).
//!
//! Upstream passes any other unit through, and CloudWatch then refuses to extract the metric
//! (`Unit` must be one of its own). ferrocol writes `""` for a unit CloudWatch does not know
//! (so the metric is still extracted, as `None`), and logs the unit once at debug.

/// The units CloudWatch accepts (`MetricDatum.Unit`).
pub const CLOUDWATCH_UNITS: [&str; 27] = [
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

pub fn is_cloudwatch_unit(unit: &str) -> bool {
    CLOUDWATCH_UNITS.contains(&unit)
}

/// The CloudWatch unit for an OTLP unit; `None` when CloudWatch has no such unit.
pub fn translate(otel: &str) -> Option<&str> {
    Some(match otel {
        "" | "1" | "ns" => "",
        "ms" => "Milliseconds",
        "s" => "Seconds",
        "us" => "Microseconds",
        "By" => "Bytes",
        "bit" => "Bits",
        other if is_cloudwatch_unit(other) => other,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_translate_like_upstream() {
        assert_eq!(translate("1"), Some(""));
        assert_eq!(translate("ns"), Some(""));
        assert_eq!(translate("ms"), Some("Milliseconds"));
        assert_eq!(translate("s"), Some("Seconds"));
        assert_eq!(translate("us"), Some("Microseconds"));
        assert_eq!(translate("By"), Some("Bytes"));
        assert_eq!(translate("bit"), Some("Bits"));
        assert_eq!(translate("Count/Second"), Some("Count/Second"));
        assert_eq!(translate("Cel"), None);
    }
}
