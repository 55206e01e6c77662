//! The OpenMetrics parser suite (211 cases) against both strictness levels.

use std::collections::HashMap;
use std::path::PathBuf;

use prometheus::exposition::{Format, Strictness, check_bytes};

struct Case {
    name: String,
    body: Vec<u8>,
    should_parse: bool,
}

fn suite_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/openmetrics")
}

fn cases() -> Vec<Case> {
    let dir = suite_dir().join("parsers");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("conformance corpus") {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let test = std::fs::read_to_string(path.join("test.json")).unwrap();
        let should_parse = test
            .split("\"shouldParse\"")
            .nth(1)
            .map(|r| r.trim_start_matches([':', ' ']).starts_with("true"))
            .expect("shouldParse");
        let body = std::fs::read(path.join("metrics")).unwrap();
        out.push(Case {
            name,
            body,
            should_parse,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// case → (Prometheus 2.42 as OpenMetrics, as text 0.0.4).
fn verdicts() -> HashMap<String, (bool, bool)> {
    let tsv = std::fs::read_to_string(suite_dir().join("verdicts.tsv")).unwrap();
    let mut lines = tsv.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |n: &str| header.iter().position(|h| *h == n).unwrap();
    let (om, text) = (
        col("prometheus_2.42_as_openmetrics"),
        col("prometheus_2.42_as_text_0.0.4"),
    );
    lines
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].to_string(), (f[om] == "True", f[text] == "True"))
        })
        .collect()
}

fn accepted(body: &[u8], format: Format, strictness: Strictness) -> bool {
    check_bytes(body, format, strictness).is_empty()
}

#[test]
fn strict_mode_matches_the_suite() {
    let cases = cases();
    assert_eq!(cases.len(), 211);
    let mut disagree = Vec::new();
    for c in &cases {
        let errors = check_bytes(&c.body, Format::OpenMetrics, Strictness::OpenMetricsStrict);
        if errors.is_empty() != c.should_parse {
            disagree.push(format!(
                "{} (shouldParse {}): {:?}",
                c.name, c.should_parse, errors
            ));
        }
    }
    let agree = cases.len() - disagree.len();
    println!("strict: {agree}/211 agree with shouldParse");
    for d in &disagree {
        println!("  disagree: {d}");
    }
    assert!(agree >= 205, "only {agree}/211 agree: {disagree:#?}");
}

#[test]
fn prometheus_mode_accepts_what_prometheus_accepts() {
    let verdicts = verdicts();
    let cases = cases();
    let (mut text_agree, mut om_agree) = (0, 0);
    let mut missing = Vec::new();
    for c in &cases {
        let (om, text) = verdicts[&c.name];
        let t = accepted(&c.body, Format::Text004, Strictness::Prometheus);
        let o = accepted(&c.body, Format::OpenMetrics, Strictness::Prometheus);
        text_agree += usize::from(t == text);
        om_agree += usize::from(o == om);
        if text && !t {
            let errors = check_bytes(&c.body, Format::Text004, Strictness::Prometheus);
            missing.push(format!("{}: {errors:?}", c.name));
        }
        if t != text {
            println!(
                "  text differs from 2.42: {} (2.42 {text}, ours {t})",
                c.name
            );
        }
        if o != om {
            println!("  OM differs from 2.42: {} (2.42 {om}, ours {o})", c.name);
        }
    }
    println!("Prometheus mode: text {text_agree}/211, OpenMetrics {om_agree}/211 agree with 2.42");
    assert_eq!(text_agree, 211, "text 0.0.4 verdicts differ from 2.42");
    assert_eq!(om_agree, 211, "OpenMetrics verdicts differ from 2.42");
    assert!(
        missing.is_empty(),
        "rejected as text although Prometheus 2.42 accepts: {missing:#?}"
    );
}
