//! Table-driven tests per action, written from Prometheus' documented relabel semantics.

use serde_json::{Value, json};

use super::*;

fn cfg(v: Value) -> RelabelConfig {
    let text = v.to_string();
    serde_json::from_value(v).unwrap_or_else(|e| panic!("config {text} rejected: {e}"))
}

fn cfg_err(v: Value) -> String {
    let text = v.to_string();
    match serde_json::from_value::<RelabelConfig>(v) {
        Ok(c) => panic!("config {text} accepted: {c:?}"),
        Err(e) => e.to_string(),
    }
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs.iter().copied().collect()
}

struct Case {
    name: &'static str,
    input: &'static [(&'static str, &'static str)],
    configs: Vec<Value>,
    /// `None`: dropped.
    output: Option<&'static [(&'static str, &'static str)]>,
}

fn run(cases: Vec<Case>) {
    for case in cases {
        let configs: Vec<RelabelConfig> = case.configs.into_iter().map(cfg).collect();
        let mut lbls = labels(case.input);
        let kept = process(&mut lbls, &configs);
        match case.output {
            None => {
                assert!(!kept, "{}: expected drop, got {lbls:?}", case.name);
                assert!(lbls.is_empty(), "{}: dropped set not cleared", case.name);
            }
            Some(want) => {
                assert!(kept, "{}: unexpectedly dropped", case.name);
                assert_eq!(lbls, labels(want), "{}", case.name);
            }
        }
    }
}

#[test]
fn defaults() {
    let c = cfg(json!({"target_label": "t"}));
    assert_eq!(c.action, Action::Replace);
    assert_eq!(c.separator, ";");
    assert_eq!(c.regex.as_str(), "(.*)");
    assert_eq!(c.replacement, "$1");
    assert_eq!(c.modulus, 0);
    assert!(c.source_labels.is_empty());
    assert_eq!(
        c,
        RelabelConfig {
            target_label: "t".into(),
            ..RelabelConfig::default()
        }
    );
    assert!(c.validate().is_ok());
}

#[test]
fn action_names_are_case_insensitive() {
    let cases = [
        ("replace", Action::Replace),
        ("Replace", Action::Replace),
        ("KEEP", Action::Keep),
        ("drop", Action::Drop),
        ("KeepEqual", Action::KeepEqual),
        ("dropequal", Action::DropEqual),
        ("HashMod", Action::HashMod),
        ("labelmap", Action::LabelMap),
        ("LabelDrop", Action::LabelDrop),
        ("labelkeep", Action::LabelKeep),
        ("Lowercase", Action::Lowercase),
        ("UPPERCASE", Action::Uppercase),
    ];
    for (s, want) in cases {
        assert_eq!(Action::parse(s), Ok(want), "{s}");
        assert_eq!(want.as_str(), s.to_lowercase());
    }
    assert_eq!(
        Action::parse("label_map").unwrap_err().to_string(),
        r#"unknown relabel action "label_map""#
    );
    assert_eq!(
        cfg_err(json!({"action": "foo"})),
        r#"unknown relabel action "foo""#
    );
}

#[test]
fn unknown_fields_are_rejected() {
    let e = cfg_err(json!({"action": "keep", "regexp": "a"}));
    assert!(e.contains("unknown field `regexp`"), "{e}");
}

#[test]
fn validation_messages() {
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"source_labels": ["a"]}),
            "relabel configuration for replace action requires 'target_label' value",
        ),
        (
            json!({"action": "hashmod", "target_label": "t"}),
            "relabel configuration for hashmod requires non-zero modulus",
        ),
        (
            json!({"action": "hashmod", "modulus": 4}),
            "relabel configuration for hashmod action requires 'target_label' value",
        ),
        (
            json!({"action": "hashmod", "modulus": 4, "target_label": "1bad"}),
            r#""1bad" is invalid 'target_label' for hashmod action"#,
        ),
        (
            json!({"action": "lowercase"}),
            "relabel configuration for lowercase action requires 'target_label' value",
        ),
        (
            json!({"action": "uppercase"}),
            "relabel configuration for uppercase action requires 'target_label' value",
        ),
        (
            json!({"action": "keepequal"}),
            "relabel configuration for keepequal action requires 'target_label' value",
        ),
        (
            json!({"action": "dropequal"}),
            "relabel configuration for dropequal action requires 'target_label' value",
        ),
        (
            json!({"target_label": "1bad"}),
            r#""1bad" is invalid 'target_label' for replace action"#,
        ),
        (
            json!({"target_label": "a-b"}),
            r#""a-b" is invalid 'target_label' for replace action"#,
        ),
        (
            json!({"target_label": "${1}-x"}),
            r#""${1}-x" is invalid 'target_label' for replace action"#,
        ),
        (
            json!({"action": "lowercase", "target_label": "a.b"}),
            r#""a.b" is invalid 'target_label' for lowercase action"#,
        ),
        (
            json!({"action": "uppercase", "target_label": "u", "replacement": "x"}),
            "'replacement' can not be set for uppercase action",
        ),
        (
            json!({"action": "lowercase", "target_label": "l", "replacement": ""}),
            "'replacement' can not be set for lowercase action",
        ),
        (
            json!({"action": "labelmap", "replacement": "a-$1"}),
            r#""a-$1" is invalid 'replacement' for labelmap action"#,
        ),
        (
            json!({"action": "keepequal", "target_label": "t", "separator": ","}),
            "keepequal action requires only 'source_labels' and `target_label`, and no other fields",
        ),
        (
            // Go compares the regex by pointer: even the default text counts as set.
            json!({"action": "dropequal", "target_label": "t", "regex": "(.*)"}),
            "dropequal action requires only 'source_labels' and `target_label`, and no other fields",
        ),
        (
            json!({"action": "labeldrop", "regex": "a", "target_label": "t"}),
            "labeldrop action requires only 'regex', and no other fields",
        ),
        (
            json!({"action": "labelkeep", "regex": "a", "source_labels": []}),
            "labelkeep action requires only 'regex', and no other fields",
        ),
        (
            json!({"action": "labelkeep", "regex": "a", "replacement": "b"}),
            "labelkeep action requires only 'regex', and no other fields",
        ),
        (
            json!({"action": "labeldrop", "modulus": 2}),
            "labeldrop action requires only 'regex', and no other fields",
        ),
        (
            json!({"action": "keep", "source_labels": ["ok", "1bad"]}),
            r#""1bad" is not a valid label name"#,
        ),
        (
            json!({"action": "keep", "regex": "a{1001}"}),
            "error parsing regexp: invalid repeat count: `{1001}`",
        ),
    ];
    for (v, want) in cases {
        let text = v.to_string();
        assert_eq!(cfg_err(v), want, "{text}");
    }
    // Accepted variants.
    for v in [
        json!({"target_label": "${1}_x"}),
        json!({"target_label": "$1"}),
        json!({"target_label": "__tmp_${name}"}),
        json!({"action": "keepequal", "target_label": "t", "source_labels": ["a"]}),
        json!({"action": "labeldrop", "regex": "a", "separator": ";", "replacement": "$1"}),
        json!({"action": "labelmap", "regex": "x_(.+)", "replacement": "k8s_$1"}),
        json!({"action": "drop", "source_labels": []}),
    ] {
        cfg(v);
    }
}

#[test]
fn null_values_take_go_zero_values() {
    let c = cfg(json!({"source_labels": ["a", "b"], "separator": null, "target_label": "c"}));
    assert_eq!(c.separator, "");
    let mut l = labels(&[("a", "x"), ("b", "y")]);
    assert!(process(&mut l, &[c]));
    assert_eq!(l.get("c"), "xy");
    // `regex: ~` is the empty regex: only "" matches.
    let c = cfg(json!({"source_labels": ["a"], "regex": null, "action": "keep"}));
    assert_eq!(c.regex.as_str(), "");
    let mut l = labels(&[("a", "x")]);
    assert!(!process(&mut l, std::slice::from_ref(&c)));
    let mut l = labels(&[("b", "x")]);
    assert!(process(&mut l, &[c]));
    // `replacement: ~` is "": the target is deleted.
    let c = cfg(json!({"source_labels": ["a"], "target_label": "a", "replacement": null}));
    let mut l = labels(&[("a", "x")]);
    assert!(process(&mut l, &[c]));
    assert!(l.is_empty());
    assert_eq!(
        cfg_err(json!({"action": null})),
        "relabel action cannot be empty"
    );
    assert_eq!(
        cfg_err(json!({"action": "hashmod", "modulus": null, "target_label": "t"})),
        "relabel configuration for hashmod requires non-zero modulus"
    );
    assert_eq!(
        cfg_err(json!({"action": "dropequal", "target_label": "t", "regex": null})),
        "dropequal action requires only 'source_labels' and `target_label`, and no other fields"
    );
    // Missing keys take Prometheus' defaults.
    assert_eq!(
        cfg(json!({"target_label": "t", "source_labels": null})),
        cfg(json!({"target_label": "t"}))
    );
}

#[test]
fn utf8_name_validation() {
    let raw: RawRelabelConfig =
        serde_json::from_value(json!({"target_label": "1bad.name", "source_labels": ["a.b"]}))
            .expect("raw config");
    let c = raw
        .clone()
        .into_config(NameValidation::Utf8)
        .expect("utf8 ok");
    let mut l = labels(&[("a.b", "v")]);
    assert!(process(&mut l, &[c]));
    assert_eq!(l, labels(&[("1bad.name", "v"), ("a.b", "v")]));
    assert_eq!(
        raw.into_config(NameValidation::Legacy)
            .unwrap_err()
            .to_string(),
        r#""a.b" is not a valid label name"#
    );
}

#[test]
fn replace() {
    run(vec![
        Case {
            name: "copy with default regex and replacement",
            input: &[("a", "foo")],
            configs: vec![json!({"source_labels": ["a"], "target_label": "b"})],
            output: Some(&[("a", "foo"), ("b", "foo")]),
        },
        Case {
            name: "capture groups, joined sources",
            input: &[("a", "foo"), ("b", "bar")],
            configs: vec![json!({
                "source_labels": ["a", "b"], "regex": "f(.*);(.*)r",
                "target_label": "c", "replacement": "ch${1}-ch${1}-${2}"
            })],
            output: Some(&[("a", "foo"), ("b", "bar"), ("c", "choo-choo-ba")]),
        },
        Case {
            name: "custom separator",
            input: &[("a", "x"), ("b", "y")],
            configs: vec![json!({
                "source_labels": ["a", "b"], "separator": "|", "target_label": "c"
            })],
            output: Some(&[("a", "x"), ("b", "y"), ("c", "x|y")]),
        },
        Case {
            name: "missing source label reads as empty",
            input: &[("a", "x")],
            configs: vec![json!({
                "source_labels": ["a", "missing"], "regex": "x;", "target_label": "c",
                "replacement": "hit"
            })],
            output: Some(&[("a", "x"), ("c", "hit")]),
        },
        Case {
            name: "no match is a no-op",
            input: &[("a", "foo")],
            configs: vec![json!({
                "source_labels": ["a"], "regex": "bar", "target_label": "a", "replacement": "x"
            })],
            output: Some(&[("a", "foo")]),
        },
        Case {
            name: "partial match does not count",
            input: &[("ns", "Prod-NS")],
            configs: vec![json!({
                "source_labels": ["ns"], "regex": "Prod", "target_label": "env",
                "replacement": "production"
            })],
            output: Some(&[("ns", "Prod-NS")]),
        },
        Case {
            name: "$1_x is group `1_x`: empty, target deleted; ${1}_x works",
            input: &[("ns", "Prod-NS"), ("bad_expand", "old")],
            configs: vec![
                json!({"source_labels": ["ns"], "target_label": "bad_expand", "replacement": "$1_x"}),
                json!({"source_labels": ["ns"], "target_label": "good_expand", "replacement": "${1}_x"}),
            ],
            output: Some(&[("good_expand", "Prod-NS_x"), ("ns", "Prod-NS")]),
        },
        Case {
            name: "$$ is a literal dollar",
            input: &[("a", "v")],
            configs: vec![json!({
                "source_labels": ["a"], "target_label": "b", "replacement": "$$1-$$${1}-$$"
            })],
            output: Some(&[("a", "v"), ("b", "$1-$v-$")]),
        },
        Case {
            name: "$1:9100 port rewrite (address pattern)",
            input: &[("__address__", "10.0.0.1:8080")],
            configs: vec![json!({
                "source_labels": ["__address__"], "regex": "([^:]+)(?::\\d+)?",
                "target_label": "__address__", "replacement": "$1:9100"
            })],
            output: Some(&[("__address__", "10.0.0.1:9100")]),
        },
        Case {
            name: "named groups, $0, unknown and leading-zero references",
            input: &[("a", "key=val")],
            configs: vec![json!({
                "source_labels": ["a"], "regex": "(?P<k>\\w+)=(?<v>\\w+)", "target_label": "b",
                "replacement": "${v}/$k/$0/[$9][$01][${nope}][$1x][$]"
            })],
            output: Some(&[("a", "key=val"), ("b", "val/key/key=val/[][][][][$]")]),
        },
        Case {
            name: "target label from a capture",
            input: &[("a", "some-name-value")],
            configs: vec![json!({
                "source_labels": ["a"], "regex": "some-([^-]+)-([^,]+)",
                "target_label": "${1}", "replacement": "${2}"
            })],
            output: Some(&[("a", "some-name-value"), ("name", "value")]),
        },
        Case {
            name: "invalid expanded target is skipped",
            input: &[("a", "some-name-0")],
            configs: vec![
                json!({
                    "source_labels": ["a"], "regex": "some-([^-]+)-([^,]+)",
                    "target_label": "${3}", "replacement": "${1}"
                }),
                json!({"source_labels": ["a"], "target_label": "${1}", "replacement": "x"}),
            ],
            output: Some(&[("a", "some-name-0")]),
        },
        Case {
            name: "empty result deletes the label",
            input: &[("a", "foo"), ("b", "bar")],
            configs: vec![json!({
                "source_labels": ["c"], "target_label": "b"
            })],
            output: Some(&[("a", "foo")]),
        },
        Case {
            name: "constant value with the default regex on empty input",
            input: &[("a", "foo")],
            configs: vec![json!({"target_label": "job", "replacement": "static"})],
            output: Some(&[("a", "foo"), ("job", "static")]),
        },
        Case {
            name: "dot matches newline (Prometheus 3.x `(?s:`)",
            input: &[("a", "x\ny")],
            configs: vec![json!({
                "source_labels": ["a"], "regex": "x.y", "target_label": "b", "replacement": "nl"
            })],
            output: Some(&[("a", "x\ny"), ("b", "nl")]),
        },
    ]);
}

#[test]
fn keep_and_drop() {
    run(vec![
        Case {
            name: "DaemonSet pattern: keep endpoints on this node",
            input: &[
                ("__address__", "10.0.0.7:9100"),
                (
                    "__meta_kubernetes_endpoint_node_name",
                    "ip-10-0-0-7.ec2.internal",
                ),
            ],
            configs: vec![json!({
                "source_labels": ["__meta_kubernetes_endpoint_node_name"],
                "regex": "ip-10-0-0-7.ec2.internal", "action": "keep"
            })],
            output: Some(&[
                ("__address__", "10.0.0.7:9100"),
                (
                    "__meta_kubernetes_endpoint_node_name",
                    "ip-10-0-0-7.ec2.internal",
                ),
            ]),
        },
        Case {
            name: "DaemonSet pattern: other node dropped",
            input: &[
                ("__address__", "10.0.0.8:9100"),
                (
                    "__meta_kubernetes_endpoint_node_name",
                    "ip-10-0-0-8.ec2.internal",
                ),
            ],
            configs: vec![json!({
                "source_labels": ["__meta_kubernetes_endpoint_node_name"],
                "regex": "ip-10-0-0-7.ec2.internal", "action": "keep"
            })],
            output: None,
        },
        Case {
            name: "DaemonSet pattern: no node label (not an endpoint of a node) dropped",
            input: &[("__address__", "10.0.0.9:9100")],
            configs: vec![json!({
                "source_labels": ["__meta_kubernetes_endpoint_node_name"],
                "regex": "ip-10-0-0-7.ec2.internal", "action": "keep"
            })],
            output: None,
        },
        Case {
            name: "keep: prefix is not a full match",
            input: &[("a", "foobar")],
            configs: vec![json!({"source_labels": ["a"], "regex": "foo", "action": "keep"})],
            output: None,
        },
        Case {
            name: "keep with alternation",
            input: &[("a", "bar")],
            configs: vec![json!({"source_labels": ["a"], "regex": "foo|bar", "action": "keep"})],
            output: Some(&[("a", "bar")]),
        },
        Case {
            name: "drop matching",
            input: &[("a", "foo")],
            configs: vec![json!({"source_labels": ["a"], "regex": "f.*", "action": "drop"})],
            output: None,
        },
        Case {
            name: "drop not matching keeps and later rules run",
            input: &[("a", "foo")],
            configs: vec![
                json!({"source_labels": ["a"], "regex": "bar", "action": "drop"}),
                json!({"source_labels": ["a"], "target_label": "b"}),
            ],
            output: Some(&[("a", "foo"), ("b", "foo")]),
        },
        Case {
            name: "drop on empty value with default regex",
            input: &[("a", "foo")],
            configs: vec![json!({"source_labels": ["missing"], "regex": "", "action": "drop"})],
            output: None,
        },
    ]);
}

#[test]
fn keepequal_and_dropequal() {
    run(vec![
        Case {
            name: "keepequal equal",
            input: &[("__meta_port", "9100"), ("__tmp_port", "9100")],
            configs: vec![json!({
                "source_labels": ["__meta_port"], "target_label": "__tmp_port", "action": "keepequal"
            })],
            output: Some(&[("__meta_port", "9100"), ("__tmp_port", "9100")]),
        },
        Case {
            name: "keepequal different",
            input: &[("__meta_env2", "prod"), ("env_copy", "dev")],
            configs: vec![json!({
                "source_labels": ["__meta_env2"], "target_label": "env_copy", "action": "keepequal"
            })],
            output: None,
        },
        Case {
            name: "keepequal: both missing are equal (empty)",
            input: &[("a", "x")],
            configs: vec![json!({
                "source_labels": ["m1"], "target_label": "m2", "action": "KeepEqual"
            })],
            output: Some(&[("a", "x")]),
        },
        Case {
            name: "dropequal equal (joined value)",
            input: &[("a", "x"), ("b", "y"), ("c", "x;y")],
            configs: vec![json!({
                "source_labels": ["a", "b"], "target_label": "c", "action": "dropequal"
            })],
            output: None,
        },
        Case {
            name: "dropequal different",
            input: &[("a", "x"), ("c", "y")],
            configs: vec![json!({
                "source_labels": ["a"], "target_label": "c", "action": "dropequal"
            })],
            output: Some(&[("a", "x"), ("c", "y")]),
        },
    ]);
}

#[test]
fn hashmod() {
    // Expected values computed independently with Python:
    //   python3 -c 'import hashlib; d=hashlib.md5(V.encode()).digest();
    //               print(int.from_bytes(d[8:], "big") % M)'
    // giving: "127.0.0.1:8000" % 4 = 0, "foo" % 1000 = 696, "foo;bar" % 1000 = 750,
    // "" % 10 = 8, "10.0.0.5:9100" % 1000000 = 435870, "foo" % (2^64-1) = 17145033699835028696.
    type HashCase = (
        &'static [(&'static str, &'static str)],
        &'static [&'static str],
        u64,
        &'static str,
    );
    let cases: &[HashCase] = &[
        (
            &[("__address__", "127.0.0.1:8000")],
            &["__address__"],
            4,
            "0",
        ),
        (&[("a", "foo")], &["a"], 1000, "696"),
        (&[("a", "foo"), ("b", "bar")], &["a", "b"], 1000, "750"),
        (&[("a", "foo")], &["missing"], 10, "8"),
        (&[("a", "10.0.0.5:9100")], &["a"], 1_000_000, "435870"),
        (&[("a", "foo")], &["a"], u64::MAX, "17145033699835028696"),
    ];
    for &(input, sources, modulus, want) in cases {
        let c = cfg(json!({
            "source_labels": sources, "modulus": modulus, "target_label": "__tmp_hash",
            "action": "hashmod"
        }));
        let mut l = labels(input);
        assert!(process(&mut l, &[c]));
        assert_eq!(l.get("__tmp_hash"), want, "{input:?} % {modulus}");
    }
    // The sharding pattern: hashmod then keep this shard.
    let rules = [
        cfg(json!({"source_labels": ["__address__"], "modulus": 4,
                   "target_label": "__tmp_hash", "action": "hashmod"})),
        cfg(json!({"source_labels": ["__tmp_hash"], "regex": "0", "action": "keep"})),
    ];
    let mut l = labels(&[("__address__", "127.0.0.1:8000")]);
    assert!(process(&mut l, &rules));
}

#[test]
fn labelmap() {
    run(vec![
        Case {
            name: "copies matching names, keeps originals",
            input: &[
                ("__meta_pod_label_app", "web"),
                ("__meta_pod_label_tier", "front"),
                ("job", "j"),
            ],
            configs: vec![json!({
                "action": "labelmap", "regex": "__meta_pod_label_(.+)", "replacement": "k8s_$1"
            })],
            output: Some(&[
                ("__meta_pod_label_app", "web"),
                ("__meta_pod_label_tier", "front"),
                ("job", "j"),
                ("k8s_app", "web"),
                ("k8s_tier", "front"),
            ]),
        },
        Case {
            name: "default replacement $1, overwrites existing",
            input: &[("__meta_x_job", "new"), ("job", "old")],
            configs: vec![json!({"action": "labelmap", "regex": "__meta_x_(.+)"})],
            output: Some(&[("__meta_x_job", "new"), ("job", "new")]),
        },
        Case {
            name: "partial name match does not count",
            input: &[("xa", "1")],
            configs: vec![json!({"action": "labelmap", "regex": "a", "replacement": "b"})],
            output: Some(&[("xa", "1")]),
        },
        Case {
            name: "${1} braces and a suffix",
            input: &[("foo_bar", "v")],
            configs: vec![json!({
                "action": "labelmap", "regex": "foo_(.*)", "replacement": "${1}_baz"
            })],
            output: Some(&[("bar_baz", "v"), ("foo_bar", "v")]),
        },
    ]);
}

#[test]
fn labelmap_collision_follows_builder_order() {
    // Two names map to `x`. With untouched labels the later name wins (`b_x`); once an earlier
    // rule has set `a_x`, Go's Builder.Range visits it after the original labels, so it wins.
    let map = cfg(json!({"action": "labelmap", "regex": "[ab]_x", "replacement": "x"}));
    let mut l = labels(&[("a_x", "1"), ("b_x", "2")]);
    assert!(process(&mut l, std::slice::from_ref(&map)));
    assert_eq!(l.get("x"), "2");
    let touch = cfg(json!({"source_labels": ["a_x"], "target_label": "a_x", "replacement": "3"}));
    let mut l = labels(&[("a_x", "1"), ("b_x", "2")]);
    assert!(process(&mut l, &[touch, map]));
    assert_eq!(l.get("x"), "3");
}

#[test]
fn labeldrop_and_labelkeep() {
    run(vec![
        Case {
            name: "labeldrop",
            input: &[("a", "1"), ("b", "2"), ("c", "3")],
            configs: vec![json!({"action": "labeldrop", "regex": "a|b"})],
            output: Some(&[("c", "3")]),
        },
        Case {
            name: "labeldrop full match only",
            input: &[("ab", "1"), ("b", "2")],
            configs: vec![json!({"action": "labeldrop", "regex": "b"})],
            output: Some(&[("ab", "1")]),
        },
        Case {
            name: "labelkeep",
            input: &[("__name__", "m"), ("a", "1"), ("b", "2")],
            configs: vec![json!({"action": "labelkeep", "regex": "__name__|a"})],
            output: Some(&[("__name__", "m"), ("a", "1")]),
        },
        Case {
            name: "labelkeep nothing matches: empty set, still kept",
            input: &[("a", "1")],
            configs: vec![json!({"action": "LabelKeep", "regex": "z"})],
            output: Some(&[]),
        },
    ]);
}

#[test]
fn lowercase_and_uppercase() {
    run(vec![
        Case {
            name: "lowercase",
            input: &[("ns", "Prod-NS")],
            configs: vec![
                json!({"source_labels": ["ns"], "target_label": "ns_lower", "action": "lowercase"}),
            ],
            output: Some(&[("ns", "Prod-NS"), ("ns_lower", "prod-ns")]),
        },
        Case {
            name: "uppercase joined",
            input: &[("a", "foo"), ("b", "bar")],
            configs: vec![
                json!({"source_labels": ["a", "b"], "target_label": "u", "action": "uppercase"}),
            ],
            output: Some(&[("a", "foo"), ("b", "bar"), ("u", "FOO;BAR")]),
        },
        Case {
            name: "Go simple case mapping: ß stays, İ → i, no final sigma",
            input: &[("a", "straße"), ("b", "İΣ")],
            configs: vec![
                json!({"source_labels": ["a"], "target_label": "au", "action": "uppercase"}),
                json!({"source_labels": ["b"], "target_label": "bl", "action": "lowercase"}),
            ],
            output: Some(&[("a", "straße"), ("au", "STRAßE"), ("b", "İΣ"), ("bl", "iσ")]),
        },
        Case {
            name: "empty input deletes the target",
            input: &[("t", "x")],
            configs: vec![
                json!({"source_labels": ["m"], "target_label": "t", "action": "lowercase"}),
            ],
            output: Some(&[]),
        },
    ]);
}

#[test]
fn go_regex_compatibility() {
    // (regex, input, full match?)
    let cases: &[(&str, &str, bool)] = &[
        (r"\d+", "123", true),
        (r"\d", "\u{663}", false), // ARABIC-INDIC DIGIT THREE: Go's \d is ASCII
        (r"\w+", "abc_1", true),
        (r"\w", "é", false),
        (r"\s", "\u{a0}", false),
        (r"\s", "\x0B", false), // Go's \s has no \v
        (r"\s", "\x0C", true),
        (r"\D", "\u{663}", true),
        (r"[\d.]+", "1.2", true),
        (r"[^\D]", "7", true),
        (r"[\w-]+", "a-b_c", true),
        (r"\Qa.b\E", "a.b", true),
        (r"\Qa.b\E", "axb", false),
        (r"\<a\>", "<a>", true), // escaped punctuation is literal in Go
        (r"a{", "a{", true),     // an invalid repeat is literal in Go
        (r"a{,2}", "a{,2}", true),
        (r"a{2}", "aa", true),
        (r"[a[]+", "a[", true), // `[` is literal inside a Go class
        (r"[a&&b]+", "a&&b", true),
        (r"[+--]+", "+,-", true), // a range '+'..'-' in Go
        (r"[[:alpha:]]+", "abc", true),
        (r"[[:^digit:]]", "x", true),
        (r"\101", "A", true), // octal
        (r"\x41\x{42}", "AB", true),
        (r"(?i)prod", "PROD", true),
        (r"\pL+", "héllo", true),
        (r"\p{^Greek}", "a", true),
        (r"[\P{^Greek}]", "a", false),
        (r"\p{Greek}\PL", "α1", true),
        (r"\bfoo\b", "foo", true),
        (r"a\_b", "a_b", true),
        (r".", "\n", true),
        (r"(?U)a+", "aaa", true),
        (r"(?:a)(?)(?i-s:B)", "ab", true),
        (r"a)(b", "ab", true), // Go parses `^(?s:a)(b)$`
    ];
    for &(re, input, want) in cases {
        let r = Regex::new(re).unwrap_or_else(|e| panic!("{re}: {e}"));
        assert_eq!(r.is_match(input), want, "{re} on {input:?}");
    }
    let errors: &[(&str, &str)] = &[
        (
            r"a{1001}",
            "error parsing regexp: invalid repeat count: `{1001}`",
        ),
        (
            r"a{3,2}",
            "error parsing regexp: invalid repeat count: `{3,2}`",
        ),
        (
            r"a**",
            "error parsing regexp: invalid nested repetition operator: `**`",
        ),
        (
            r"a{2}{3}",
            "error parsing regexp: invalid nested repetition operator: `{3}`",
        ),
        (
            r"(?x)a",
            "error parsing regexp: invalid or unsupported Perl syntax: `(?x`",
        ),
        (
            r"(?i-)a",
            "error parsing regexp: invalid or unsupported Perl syntax: `(?i-)`",
        ),
        (
            r"\C",
            "error parsing regexp: invalid escape sequence: `\\C`",
        ),
        (
            r"\Z",
            "error parsing regexp: invalid escape sequence: `\\Z`",
        ),
        (
            r"\1",
            "error parsing regexp: invalid escape sequence: `\\1`",
        ),
        (
            r"(?P<a.b>x)",
            "error parsing regexp: invalid named capture: `(?P<a.b>`",
        ),
        (
            r"[z-a]",
            "error parsing regexp: invalid character class range: `z-a`",
        ),
        (
            r"[[:foo:]]",
            "error parsing regexp: invalid character class range: `[:foo:]`",
        ),
    ];
    for &(re, want) in errors {
        match Regex::new(re) {
            Ok(_) => panic!("{re} compiled"),
            Err(e) => assert_eq!(e.to_string(), want, "{re}"),
        }
    }
    assert!(Regex::new("(").is_err());
    assert!(Regex::new(r"a\").is_err());
}

#[test]
fn expand_follows_go() {
    let re = Regex::new(r"(?P<first>a+)(b*)(?P<opt>x)?").expect("regex");
    let caps = re.captures("aab").expect("match");
    let cases = [
        ("$1", "aa"),
        ("${1}", "aa"),
        ("$2", "b"),
        ("$0", "aab"),
        ("$first", "aa"),
        ("${first}-$2", "aa-b"),
        ("$1x", ""),
        ("${1}x", "aax"),
        ("$opt|$3|$4", "||"),
        ("$01", ""),
        ("$$1", "$1"),
        ("$$$1", "$aa"),
        ("$", "$"),
        ("$-", "$-"),
        ("${", "${"),
        ("${}", "${}"),
        ("${1", "${1"),
        ("a$é", "a"), // é is a letter: group `é`, unknown → empty
        ("plain", "plain"),
    ];
    for (tpl, want) in cases {
        assert_eq!(re.expand(tpl, &caps), want, "{tpl}");
    }
}

#[test]
fn labels_type() {
    let mut l = Labels::from_pairs([("b", "2"), ("a", "1"), ("c", ""), ("a", "3")]);
    assert_eq!(
        l.clone().into_vec(),
        &[
            ("a".to_owned(), "3".to_owned()),
            ("b".to_owned(), "2".to_owned())
        ]
    );
    assert_eq!(l.get("zz"), "");
    l.set("b", "");
    assert!(!l.contains("b"));
    l.set("0", "z");
    assert_eq!(l.iter().map(|(n, _)| n).collect::<Vec<_>>(), ["0", "a"]);
    l.set("z", "1");
    l.set("a", "4");
    let order: Vec<String> = l
        .builder_range_order()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(order, ["0", "z", "a"]);
    l.commit();
    let order: Vec<String> = l
        .builder_range_order()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(order, ["0", "a", "z"]);
    assert_eq!(l, Labels::from_pairs([("z", "1"), ("a", "4"), ("0", "z")]));
}

#[test]
fn rules_apply_in_order_and_drop_stops() {
    let rules = [
        cfg(json!({"source_labels": ["a"], "target_label": "b"})),
        cfg(json!({"source_labels": ["b"], "regex": "x", "action": "drop"})),
        cfg(json!({"target_label": "never", "replacement": "set"})),
    ];
    let mut l = labels(&[("a", "x")]);
    assert!(!process(&mut l, &rules));
    assert!(l.is_empty());
    let mut l = labels(&[("a", "y")]);
    assert!(process(&mut l, &rules));
    assert_eq!(l, labels(&[("a", "y"), ("b", "y"), ("never", "set")]));
    let mut l = labels(&[("a", "y")]);
    assert!(process(&mut l, &[]));
    assert_eq!(l, labels(&[("a", "y")]));
}

#[test]
fn yaml_through_confmap() {
    let yaml = r#"
- source_labels: [__meta_kubernetes_endpoint_node_name]
  regex: ip-10-0-0-7\.ec2\.internal
  action: Keep
- source_labels: [__address__]
  regex: '([^:]+)(?::\d+)?'
  replacement: '$1:9100'
  target_label: __address__
- action: labelmap
  regex: __meta_kubernetes_pod_label_(.+)
- source_labels: [__address__]
  modulus: 8
  target_label: __tmp_hash
  action: hashmod
"#;
    let node = confmap::parse_yaml(yaml).expect("yaml").expect("document");
    let rules: Vec<RelabelConfig> = confmap::decode(&node).expect("decodes");
    assert_eq!(rules.len(), 4);
    assert_eq!(rules[0].action, Action::Keep);
    assert_eq!(rules[3].modulus, 8);
    let mut l = labels(&[
        ("__address__", "10.0.0.7:8080"),
        (
            "__meta_kubernetes_endpoint_node_name",
            "ip-10-0-0-7.ec2.internal",
        ),
        ("__meta_kubernetes_pod_label_app", "web"),
    ]);
    assert!(process(&mut l, &rules));
    assert_eq!(l.get("__address__"), "10.0.0.7:9100");
    assert_eq!(l.get("app"), "web");
    // python3: md5("10.0.0.7:9100") last 8 bytes big-endian % 8
    assert_eq!(l.get("__tmp_hash"), "2");

    let nulls = confmap::parse_yaml("- source_labels: [a, b]\n  separator:\n  target_label: c\n")
        .expect("yaml")
        .expect("document");
    let rules: Vec<RelabelConfig> = confmap::decode(&nulls).expect("decodes");
    assert_eq!(rules[0].separator, "");

    let bad = confmap::parse_yaml("- action: keep\n  regexx: a\n")
        .expect("yaml")
        .expect("document");
    let e = confmap::decode::<Vec<RelabelConfig>>(&bad)
        .expect_err("unknown key")
        .to_string();
    assert!(e.contains("regexx"), "{e}");
    let bad = confmap::parse_yaml("- action: hashmod\n  target_label: t\n")
        .expect("yaml")
        .expect("document");
    let e = confmap::decode::<Vec<RelabelConfig>>(&bad)
        .expect_err("no modulus")
        .to_string();
    assert!(
        e.contains("relabel configuration for hashmod requires non-zero modulus"),
        "{e}"
    );
}
