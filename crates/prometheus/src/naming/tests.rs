use super::*;

use MetricKind::*;
use TranslationStrategy::*;

fn full(name: &str, unit: &str, kind: MetricKind) -> String {
    metric_name(name, unit, kind, "", UnderscoreEscapingWithSuffixes)
}

#[test]
fn units_map_to_prometheus_words() {
    let table = [
        ("d", "days"),
        ("h", "hours"),
        ("min", "minutes"),
        ("s", "seconds"),
        ("ms", "milliseconds"),
        ("us", "microseconds"),
        ("ns", "nanoseconds"),
        ("By", "bytes"),
        ("KiBy", "kibibytes"),
        ("MiBy", "mebibytes"),
        ("GiBy", "gibibytes"),
        ("TiBy", "tibibytes"),
        ("KBy", "kilobytes"),
        ("MBy", "megabytes"),
        ("GBy", "gigabytes"),
        ("TBy", "terabytes"),
        ("m", "meters"),
        ("V", "volts"),
        ("A", "amperes"),
        ("J", "joules"),
        ("W", "watts"),
        ("g", "grams"),
        ("Cel", "celsius"),
        ("Hz", "hertz"),
        ("%", "percent"),
    ];
    for (unit, word) in table {
        assert_eq!(full("x", unit, Gauge), format!("x_{word}"), "unit {unit}");
    }
    // `1` adds nothing but `_ratio` on gauges; on other kinds nothing at all.
    assert_eq!(full("cpu.utilization", "1", Gauge), "cpu_utilization_ratio");
    assert_eq!(
        full("cpu.utilization", "1", NonMonotonicSum),
        "cpu_utilization"
    );
    assert_eq!(full("hits", "1", MonotonicSum), "hits_total");
}

#[test]
fn per_units_and_annotations() {
    assert_eq!(
        full("throughput", "By/s", Gauge),
        "throughput_bytes_per_second"
    );
    assert_eq!(full("rate", "m/mo", Gauge), "rate_meters_per_month");
    assert_eq!(full("x", "1/w", Gauge), "x_per_week");
    assert_eq!(full("x", "1/y", Gauge), "x_per_year");
    assert_eq!(full("x", "{packets}/d", Gauge), "x_per_day");
    assert_eq!(
        full("requests", "{request}", MonotonicSum),
        "requests_total"
    );
    assert_eq!(full("x", "s/{thing}", Gauge), "x_seconds");
    // Unknown units are cleaned up and appended.
    assert_eq!(full("x", "foo-bar", Gauge), "x_foo_bar");
    assert_eq!(
        full("x", "furlong/fortnight", Gauge),
        "x_furlong_per_fortnight"
    );
}

#[test]
fn suffixes_are_not_repeated() {
    assert_eq!(
        full("http.server.duration", "s", Histogram),
        "http_server_duration_seconds"
    );
    assert_eq!(full("duration_seconds", "s", Histogram), "duration_seconds");
    assert_eq!(full("requests_total", "", MonotonicSum), "requests_total");
    assert_eq!(full("total_requests", "", MonotonicSum), "requests_total");
    assert_eq!(full("ratio_of_x", "1", Gauge), "of_x_ratio");
    assert_eq!(
        full("system.io", "By", MonotonicSum),
        "system_io_bytes_total"
    );
}

#[test]
fn names_are_tokenised_on_non_alphanumerics() {
    assert_eq!(full("a__b..c", "", Gauge), "a_b_c");
    assert_eq!(
        full("_leading.and.trailing_", "", Gauge),
        "leading_and_trailing"
    );
    assert_eq!(full("a:b", "", Gauge), "a_b");
    assert_eq!(full("2xx.count", "", Gauge), "_2xx_count");
    assert_eq!(
        metric_name(
            "req",
            "s",
            MonotonicSum,
            "ns",
            UnderscoreEscapingWithSuffixes
        ),
        "ns_req_seconds_total"
    );
}

#[test]
fn without_suffixes_only_sanitises() {
    let s = UnderscoreEscapingWithoutSuffixes;
    assert_eq!(
        metric_name("http.server.duration", "s", Histogram, "", s),
        "http_server_duration"
    );
    assert_eq!(metric_name("hits", "1", MonotonicSum, "", s), "hits");
    assert_eq!(metric_name("a..b:c_d", "", Gauge, "", s), "a_b:c_d");
    assert_eq!(metric_name("9lives", "", Gauge, "", s), "_9lives");
    // Upstream does not prefix `_` once a namespace is in front.
    assert_eq!(metric_name("9lives", "", Gauge, "ns", s), "ns_9lives");
}

#[test]
fn utf8_strategies_keep_names() {
    assert_eq!(
        metric_name(
            "http.server.duration",
            "s",
            Histogram,
            "",
            NoUTF8EscapingWithSuffixes
        ),
        "http.server.duration_seconds"
    );
    assert_eq!(
        metric_name("hits", "", MonotonicSum, "", NoUTF8EscapingWithSuffixes),
        "hits_total"
    );
    assert_eq!(
        metric_name(
            "hits_total",
            "",
            MonotonicSum,
            "",
            NoUTF8EscapingWithSuffixes
        ),
        "hits_total"
    );
    assert_eq!(
        metric_name("http.server.duration", "s", Histogram, "", NoTranslation),
        "http.server.duration"
    );
    assert_eq!(label_name("service.name", NoTranslation), "service.name");
}

#[test]
fn labels_normalise_as_upstream() {
    assert_eq!(normalize_label("http.method"), "http_method");
    assert_eq!(normalize_label("0abc"), "key_0abc");
    assert_eq!(normalize_label("_abc"), "key_abc");
    assert_eq!(normalize_label("__abc"), "__abc");
    assert_eq!(normalize_label("a-b/c"), "a_b_c");
    assert_eq!(normalize_label("élan"), "élan");
    assert_eq!(normalize_label(""), "");
    assert_eq!(label_name("a.b", UnderscoreEscapingWithSuffixes), "a_b");
}

#[test]
fn float_labels_are_go_formatted() {
    assert_eq!(format_float_label(0.5), "0.5");
    assert_eq!(format_float_label(1.0), "1");
    assert_eq!(format_float_label(1000000.0), "1000000");
    assert_eq!(format_float_label(1e-7), "0.0000001");
    assert_eq!(format_float_label(f64::INFINITY), "+Inf");
    assert_eq!(format_float_label(f64::NEG_INFINITY), "-Inf");
    assert_eq!(format_float_label(0.99), "0.99");
}
