//! Random YAML-ish text must never panic the parser, the merger, the emitter or the decoder.

use std::collections::BTreeMap;

use confmap::{Duration, Node, Optional, decode};
use proptest::prelude::*;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[allow(dead_code)]
struct Target {
    a: String,
    b: i32,
    c: Vec<u8>,
    d: Option<BTreeMap<String, Inner>>,
    e: Optional<Inner>,
    f: Duration,
    g: confmap::ByteSize,
    h: f32,
    i: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[allow(dead_code)]
struct Inner {
    x: u64,
    y: Vec<String>,
}

/// Text built from YAML's structural characters and config-ish words.
fn yamlish() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("a".to_string()),
        Just("b".to_string()),
        Just("c".to_string()),
        Just("d".to_string()),
        Just("e".to_string()),
        Just("f".to_string()),
        Just("x".to_string()),
        Just(": ".to_string()),
        Just(":".to_string()),
        Just("\n".to_string()),
        Just("  ".to_string()),
        Just("- ".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just("{".to_string()),
        Just("}".to_string()),
        Just(", ".to_string()),
        Just("&x ".to_string()),
        Just("*x".to_string()),
        Just("<<: ".to_string()),
        Just("'".to_string()),
        Just("\"".to_string()),
        Just("#".to_string()),
        Just("---\n".to_string()),
        Just("!!str ".to_string()),
        Just("!!int ".to_string()),
        Just("|\n".to_string()),
        Just("017".to_string()),
        Just("1.5e3".to_string()),
        Just("-.inf".to_string()),
        Just("~".to_string()),
        Just("1m30s".to_string()),
        Just("20MiB".to_string()),
        Just("${env:X}".to_string()),
        Just("$$".to_string()),
        "[ -~]{0,6}".prop_map(String::from),
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(token, 0..40).prop_map(|t| t.concat())
}

fn check(text: &str) {
    let Ok(parsed) = confmap::parse_yaml(text) else {
        return;
    };
    let node = parsed.unwrap_or_else(Node::null);
    let _ = decode::<Target>(&node);
    let _ = decode::<Node>(&node);
    let _ = decode::<Vec<String>>(&node);
    let _ = decode::<BTreeMap<String, Node>>(&node);
    // Printing must round-trip to the same tree.
    let printed = node.to_yaml_string();
    let back = confmap::parse_yaml(&printed)
        .unwrap_or_else(|e| panic!("printed YAML does not parse: {e}\n{printed}"))
        .unwrap_or_else(Node::null);
    // Compared as text so that NaN (never equal to itself) is covered too.
    assert_eq!(back.to_yaml_string(), printed, "round trip of {text:?}");
    let _ = node.to_json_string();
    if let Some(m) = node.as_map() {
        let mut dst = m.clone();
        confmap::merge::merge_maps(&mut dst, m.clone());
        let _ = confmap::merge::split_map(dst);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn yamlish_text_never_panics(text in yamlish()) {
        check(&text);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        check(&text);
    }

    #[test]
    fn durations_never_panic(s in "[-+0-9.a-zµμ]{0,20}") {
        if let Ok(d) = Duration::parse(&s) {
            // Go's printed form parses back to the same value.
            prop_assert_eq!(Duration::parse(&d.to_string()), Ok(d));
        }
    }

    #[test]
    fn byte_sizes_never_panic(s in "[0-9. a-zA-Z]{0,16}") {
        let _ = confmap::ByteSize::parse(&s);
    }
}

#[test]
fn special_floats_round_trip() {
    check("a: .nan\nb: -.inf\nc: [.inf, 1e300]\n");
}
