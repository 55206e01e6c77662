use std::borrow::Cow;

use super::*;

fn entries(input: &str, format: Format) -> Vec<Entry<'_>> {
    Parser::new(input, format, Strictness::OpenMetricsStrict)
        .collect::<Result<Vec<_>, _>>()
        .unwrap_or_else(|e| panic!("{input:?}: {e}"))
}

fn samples(input: &str, format: Format) -> Vec<Sample<'_>> {
    entries(input, format)
        .into_iter()
        .filter_map(|e| match e {
            Entry::Sample(s) => Some(s),
            Entry::Family(_) => None,
        })
        .collect()
}

fn om_err(input: &str) -> ParseError {
    let errs = check(input, Format::OpenMetrics, Strictness::OpenMetricsStrict);
    errs.into_iter()
        .next()
        .unwrap_or_else(|| panic!("{input:?} should fail"))
}

fn om_ok_prometheus(input: &str) -> bool {
    check(input, Format::OpenMetrics, Strictness::Prometheus).is_empty()
}

fn text_ok(input: &str) -> bool {
    check(input, Format::Text004, Strictness::Prometheus).is_empty()
}

#[test]
fn text_family_and_samples() {
    let input = "# HELP http_requests_total The total.\\nnumber \\\\ of requests.\n\
                 # TYPE http_requests_total counter\n\
                 http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\n\
                 http_requests_total{ method = \"post\" , code = \"400\" , } 3\n";
    let e = entries(input, Format::Text004);
    assert_eq!(e.len(), 3);
    let Entry::Family(f) = &e[0] else { panic!() };
    assert_eq!(f.name, "http_requests_total");
    assert_eq!(f.metric_type, MetricType::Counter);
    assert_eq!(
        f.help.as_deref(),
        Some("The total.\nnumber \\ of requests.")
    );
    let Entry::Sample(s) = &e[1] else { panic!() };
    assert_eq!(s.value, 1027.0);
    assert_eq!(s.timestamp_ms, Some(1395066363000));
    let labels: Vec<_> = s.labels.iter().collect();
    assert_eq!(
        labels,
        vec![
            ("method", Cow::Borrowed("post")),
            ("code", Cow::Borrowed("200"))
        ]
    );
    let Entry::Sample(s) = &e[2] else { panic!() };
    assert_eq!(s.labels.get("code").as_deref(), Some("400"));
    assert_eq!(s.timestamp_ms, None);
}

#[test]
fn label_escapes_resolve_lazily() {
    let s = &samples(
        "a{x=\"a\\\\b\\\"c\\nd\\z\",y=\"plain\"} 1\n",
        Format::Text004,
    )[0];
    let x = s.labels.get("x").unwrap();
    assert_eq!(x, "a\\b\"c\nd\\z");
    assert!(matches!(x, Cow::Owned(_)));
    assert!(matches!(s.labels.get("y").unwrap(), Cow::Borrowed("plain")));
}

#[test]
fn floats_follow_go_parsefloat_minus_hex_and_underscores() {
    for (v, want) in [
        ("+Inf", f64::INFINITY),
        ("-Inf", f64::NEG_INFINITY),
        ("inf", f64::INFINITY),
        ("1.5e3", 1500.0),
        ("-0.25", -0.25),
        (".5", 0.5),
        ("1.", 1.0),
        ("0001.2e-1", 0.12),
    ] {
        let input = format!("a {v}\n");
        assert_eq!(samples(&input, Format::Text004)[0].value, want, "{v}");
    }
    assert!(samples("a NaN\n", Format::Text004)[0].value.is_nan());
    for bad in [
        "0x1p-3", "1_2", "0b1", "1e", "e3", "--1", "+NaN", "1.1.1", "x",
    ] {
        assert!(!text_ok(&format!("a {bad}\n")), "{bad}");
    }
}

#[test]
fn text_timestamps_are_integer_milliseconds() {
    assert!(!text_ok("a 1 1.5\n"));
    assert!(!text_ok("a 1 -1\n"));
    assert!(!text_ok("a 1 99999999999999999999\n"));
    assert!(!text_ok("a 1 2 3\n"));
    assert!(text_ok("a 1 2  \n"));
}

#[test]
fn text_comments_blank_lines_and_missing_final_newline() {
    assert!(text_ok("\n# a comment\n  \n# HELP\n# TYPE\n# EOF\na 1"));
    assert!(text_ok(" # HELP a meh\n"));
    assert!(!text_ok("# HELP \n"));
    assert!(!text_ok("# TYPE a\n"));
    assert!(!text_ok("# TYPE a info\n"));
    assert!(!text_ok("# TYPE a gauge \n"));
    assert!(text_ok("# TYPE a untyped\n"));
}

#[test]
fn text_label_syntax() {
    assert!(text_ok("a{a=\"1\",} 1\n"));
    assert!(
        text_ok("a{a=\"1\"b=\"2\"} 1\n"),
        "2.42 accepts a missing comma"
    );
    assert!(!text_ok("a{a=\"1\",,b=\"2\"} 1\n"));
    assert!(!text_ok("a{a=\"1\",a=\"2\"} 1\n"));
    assert!(!text_ok("a{1=\"1\"} 1\n"));
    assert!(!text_ok("a{a=1} 1\n"));
    assert!(!text_ok("a{a=\"1} 1\n"));
    assert!(!text_ok("a-b 1\n"));
    assert!(text_ok("a{a=\"\u{0}\"} 1\n"), "NUL bytes in label values");
}

#[test]
fn text_strict_is_like_promtool() {
    let strict = |s| check(s, Format::Text004, Strictness::OpenMetricsStrict);
    assert!(
        strict("a 1\n# TYPE a gauge\n")[0]
            .message
            .contains("after its samples")
    );
    assert!(
        strict("# TYPE a gauge\n# TYPE a gauge\n")[0]
            .message
            .contains("repeated")
    );
    assert!(strict("a 1\nb 1\na 2\n")[0].message.contains("contiguous"));
    assert!(strict("# TYPE a counter\na 1\n").is_empty());
}

#[test]
fn openmetrics_full_example() {
    let input = "# TYPE a histogram\n# HELP a help\n# UNIT a \n\
                 a_bucket{le=\"1.0\"} 0 # {id=\"x\"} 0.5 1520430000.123\n\
                 a_bucket{le=\"+Inf\"} 3 123\n\
                 a_count 3\na_sum 2\na_created 1.5\n# EOF";
    let e = entries(input, Format::OpenMetrics);
    let Entry::Family(f) = &e[0] else { panic!() };
    assert_eq!(
        (f.metric_type, f.help.as_deref(), f.unit),
        (MetricType::Histogram, Some("help"), Some(""))
    );
    let Entry::Sample(b) = &e[1] else { panic!() };
    let ex = b.exemplar.as_ref().unwrap();
    assert_eq!(ex.labels.get("id").as_deref(), Some("x"));
    assert_eq!((ex.value, ex.timestamp_ms), (0.5, Some(1520430000123)));
    let Entry::Sample(inf) = &e[2] else { panic!() };
    assert_eq!(inf.timestamp_ms, Some(123_000));
    assert_eq!(e.len(), 6);
}

#[test]
fn openmetrics_framing() {
    assert!(om_err("a 1\n").message.contains("EOF"));
    assert!(om_err("").message.contains("EOF"));
    assert_eq!(om_err("a 1\n# EOF\nb 1\n").line, 3);
    assert_eq!(om_err("a 1\n\n# EOF\n").line, 2);
    assert!(om_err("# a comment\n# EOF\n").message.contains("comment"));
    assert!(om_err("# EOFx\n# EOF\n").message.contains("comment"));
    assert!(!om_ok_prometheus("a 1 \n# EOF\n"));
    assert!(!om_ok_prometheus("a  1\n# EOF\n"));
    assert!(!om_ok_prometheus("a{a=\"1\",} 1\n# EOF\n"));
    assert!(om_ok_prometheus("a 1\n# EOF"));
}

#[test]
fn openmetrics_metadata() {
    assert!(!om_ok_prometheus("# HELP a\n# EOF\n"));
    assert!(!om_ok_prometheus("# TYPE a untyped\n# EOF\n"));
    assert!(!om_ok_prometheus("# UNIT a seconds\n# EOF\n"));
    assert!(!om_ok_prometheus("# UNIT a_seconds seconds \n# EOF\n"));
    assert!(om_ok_prometheus("# UNIT a_seconds seconds\n# EOF\n"));
    assert!(
        om_err("# HELP a x\n# HELP a x\n# EOF\n")
            .message
            .contains("repeated")
    );
    assert!(
        om_err("# HELP a x\na 1\n# TYPE a gauge\n# EOF\n")
            .message
            .contains("after its samples")
    );
    assert!(
        om_err("# TYPE x_u info\n# UNIT x_u u\n# EOF\n")
            .message
            .contains("unit")
    );
    assert!(
        om_err("# TYPE a_created gauge\n# TYPE a counter\n# EOF\n")
            .message
            .contains("clashes")
    );
    assert!(om_ok_prometheus("# HELP a x\n# HELP a x\n# EOF\n"));
}

#[test]
fn openmetrics_timestamps() {
    assert!(!om_ok_prometheus("a 1 NaN\n# EOF\n"));
    assert!(!om_ok_prometheus("a 1 -Inf\n# EOF\n"));
    assert!(!om_ok_prometheus("a 1 1_2\n# EOF\n"));
    let e = om_err("# TYPE a gauge\na 0 1\na 0 0\n# EOF\n");
    assert_eq!(e.line, 3);
    assert!(
        om_err("a 0\na 0 0\n# EOF\n")
            .message
            .contains("all or none")
    );
    assert!(
        check(
            "a 1 0\na 1 0\n# EOF\n",
            Format::OpenMetrics,
            Strictness::OpenMetricsStrict
        )
        .is_empty()
    );
}

#[test]
fn counter_rules() {
    assert!(
        om_err("# TYPE a counter\na_total -1\n# EOF\n")
            .message
            .contains("non-negative")
    );
    assert!(
        om_err("# TYPE a counter\na_total NaN\n# EOF\n")
            .message
            .contains("non-negative")
    );
    assert!(om_ok_prometheus("# TYPE a counter\na_total -1\n# EOF\n"));
    assert!(
        om_err("# TYPE a counter\na 1\n# EOF\n")
            .message
            .contains("not a sample name of counter family")
    );
}

#[test]
fn histogram_rules() {
    let h = |body: &str| om_err(&format!("# TYPE a histogram\n{body}# EOF\n")).message;
    assert!(h("a_sum 1\n").contains("+Inf"));
    assert!(h("a_bucket{le=\"+INF\"} 0\n").contains("le"));
    assert!(
        h("a_bucket{le=\"2\"} 0\na_bucket{le=\"1\"} 0\na_bucket{le=\"+Inf\"} 0\n")
            .contains("order")
    );
    assert!(h("a_bucket{le=\"1\"} 1\na_bucket{le=\"+Inf\"} 0\n").contains("cumulative"));
    assert!(h("a_bucket{le=\"+Inf\"} 0\na_count 1\n").contains("differs"));
    assert!(h("a_bucket{le=\"+Inf\"} 0\na_count 0\n").contains("both"));
    assert!(
        h("a_bucket{le=\"-1\"} 0\na_bucket{le=\"+Inf\"} 0\na_sum 0\na_count 0\n")
            .contains("negative")
    );
    assert!(h("a_bucket 0\n").contains("le label"));
    assert!(h("a_bucket{a=\"1\",le=\"+Inf\"} 0\na_bucket{a=\"2\",le=\"+Inf\"} 0\na_created{a=\"1\"} 0\n").contains("contiguous"));
    assert!(h("a_sum 1 # {a=\"b\"} 0.5\n").contains("exemplar"));
    let gh = |body: &str| om_err(&format!("# TYPE a gaugehistogram\n{body}# EOF\n")).message;
    assert!(gh("a_bucket{le=\"+Inf\"} 0\na_gcount 0\n").contains("both"));
    assert!(gh("a_bucket{le=\"+Inf\"} 1\na_gsum -1\na_gcount 1\n").contains("negative"));
    assert!(check(
        "# TYPE a gaugehistogram\na_bucket{le=\"-1.0\"} 1\na_bucket{le=\"+Inf\"} 3\na_gcount 3\na_gsum -5\n# EOF\n",
        Format::OpenMetrics,
        Strictness::OpenMetricsStrict
    )
    .is_empty());
}

#[test]
fn summary_info_stateset_rules() {
    let s = |body: &str| om_err(&format!("# TYPE a summary\n{body}# EOF\n")).message;
    assert!(s("a 0\n").contains("quantile"));
    assert!(s("a{quantile=\"1.01\"} 0\n").contains("quantile"));
    assert!(s("a{quantile=\"NaN\"} 0\n").contains("quantile"));
    assert!(s("a{quantile=\"0.5\"} -1\n").contains("negative"));
    assert!(s("a_count -1\n").contains("non-negative"));
    assert!(
        om_err("# TYPE a info\na_info{foo=\"bar\"} 2\n# EOF\n")
            .message
            .contains("info")
    );
    assert!(
        om_err("# TYPE a stateset\na{a=\"bar\"} 2\n# EOF\n")
            .message
            .contains("0 or 1")
    );
    assert!(
        om_err("# TYPE a stateset\na 0\n# EOF\n")
            .message
            .contains("label named")
    );
}

#[test]
fn exemplar_rules() {
    let c = |ex: &str| format!("# TYPE a counter\na_total 1 {ex}\n# EOF\n");
    assert!(om_ok_prometheus(&c("# {a=\"b\"} 0.5")));
    assert!(om_ok_prometheus(&c("# {} 0.5 1")));
    for bad in [
        "#",
        "#{} 1",
        "# {}1",
        "# {} 1 ",
        "# {} 0x1p-3",
        "# {a=\"b\"} 0.5 NaN",
        "# {id=\"a\"}  ",
        "1 # id=\"a\"} 1",
    ] {
        assert!(!om_ok_prometheus(&c(bad)), "{bad}");
    }
    assert!(!om_ok_prometheus(
        "# TYPE a gauge\na 1 # {a=\"b\"} 1\n# EOF\n"
    ));
    let long = "x".repeat(127);
    assert!(
        om_err(&c(&format!("# {{a=\"{long}x\"}} 1")))
            .message
            .contains("128")
    );
    assert!(
        check(
            &c(&format!("# {{a=\"{long}\"}} 1")),
            Format::OpenMetrics,
            Strictness::OpenMetricsStrict
        )
        .is_empty()
    );
    assert!(om_ok_prometheus(&c(&format!("# {{a=\"{long}x\"}} 1"))));
}

#[test]
fn errors_carry_line_numbers_and_parsing_resumes() {
    let errs = check(
        "a 1\nb x\nc 2\nd{ 3\n",
        Format::Text004,
        Strictness::Prometheus,
    );
    let lines: Vec<_> = errs.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![2, 4]);
    assert_eq!(errs[0].to_string(), "line 2: invalid value \"x\"");
}

#[test]
fn invalid_utf8_is_reported_on_its_line() {
    let errs = check_bytes(
        b"a 1\nb{x=\"\xff\"} 1\n",
        Format::Text004,
        Strictness::Prometheus,
    );
    assert_eq!(errs[0].line, 2);
}

#[test]
fn late_metadata_amends_the_family() {
    let e: Vec<_> = Parser::new(
        "# TYPE a counter\na 1\n# HELP a x\na 2\n",
        Format::Text004,
        Strictness::Prometheus,
    )
    .collect::<Result<_, _>>()
    .unwrap();
    let Entry::Family(f) = &e[2] else { panic!() };
    assert_eq!(
        (f.metric_type, f.help.as_deref()),
        (MetricType::Counter, Some("x"))
    );
}
