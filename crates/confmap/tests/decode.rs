//! Typed decoding: defaults, strictness, error paths and wording.

use std::collections::BTreeMap;

use confmap::{ByteSize, DecodeError, Duration, Node, Optional, decode};
use serde::Deserialize;

fn yaml(text: &str) -> Node {
    confmap::parse_yaml(text)
        .expect("yaml")
        .unwrap_or_else(Node::null)
}

fn err<T: serde::de::DeserializeOwned + std::fmt::Debug>(text: &str) -> DecodeError {
    decode::<T>(&yaml(text)).expect_err(text)
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
struct Grpc {
    endpoint: String,
    max_recv_msg_size_mib: u64,
    keepalive: Keepalive,
}

impl Default for Grpc {
    fn default() -> Self {
        Grpc {
            endpoint: "localhost:4317".into(),
            max_recv_msg_size_mib: 4,
            keepalive: Keepalive::default(),
        }
    }
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
struct Keepalive {
    time: Duration,
    enabled: bool,
}

impl Default for Keepalive {
    fn default() -> Self {
        Keepalive {
            time: Duration::from_secs(30),
            enabled: true,
        }
    }
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
struct Http {
    endpoint: String,
    cors: Option<Cors>,
}

impl Default for Http {
    fn default() -> Self {
        Http {
            endpoint: "localhost:4318".into(),
            cors: None,
        }
    }
}

#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
struct Cors {
    allowed_origins: Vec<String>,
}

#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
struct Protocols {
    grpc: Optional<Grpc>,
    http: Optional<Http>,
}

#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
struct OtlpReceiver {
    protocols: Protocols,
}

#[test]
fn optional_present_as_null_is_enabled_with_defaults() {
    let cfg: OtlpReceiver = decode(&yaml("protocols:\n  grpc:\n  http:\n")).expect("ok");
    assert_eq!(cfg.protocols.grpc.get(), Some(&Grpc::default()));
    assert_eq!(cfg.protocols.http.get(), Some(&Http::default()));

    let cfg: OtlpReceiver =
        decode(&yaml("protocols:\n  grpc:\n    endpoint: 0.0.0.0:4317\n")).expect("ok");
    let grpc = cfg.protocols.grpc.get().expect("grpc on");
    assert_eq!(grpc.endpoint, "0.0.0.0:4317");
    assert_eq!(grpc.max_recv_msg_size_mib, 4, "unset fields keep defaults");
    assert!(cfg.protocols.http.is_none(), "absent means off");

    let cfg: OtlpReceiver = decode(&yaml("")).expect("null root gives defaults");
    assert_eq!(cfg, OtlpReceiver::default());
}

#[test]
fn unknown_keys_at_several_depths() {
    let e = err::<OtlpReceiver>("protocols:\n  htttp:\n  thrift: {}\n  grpc:\n");
    assert_eq!(
        e.to_string(),
        "decoding failed due to the following error(s):\n\n'protocols' has invalid keys: htttp, thrift (line 2)"
    );
    assert_eq!(e.path(), ["protocols"]);
    assert_eq!(e.line(), Some(2));

    let e = err::<OtlpReceiver>(
        "protocols:\n  grpc:\n    keepalive:\n      enabled: true\n      tiem: 1s\n",
    );
    assert_eq!(
        e.to_string(),
        "decoding failed due to the following error(s):\n\n'protocols.grpc.keepalive' has invalid keys: tiem (line 5)"
    );
    assert_eq!(e.path(), ["protocols", "grpc", "keepalive"]);

    // At the top, mapstructure names the struct type.
    let e = err::<OtlpReceiver>("protocol: {}\n");
    assert_eq!(
        e.to_string(),
        "decoding failed due to the following error(s):\n\n'OtlpReceiver' has invalid keys: protocol (line 1)"
    );
    assert!(e.path().is_empty());
}

#[test]
fn type_mismatches_name_the_path() {
    let e = err::<OtlpReceiver>("protocols:\n  grpc:\n    endpoint: [a]\n");
    assert_eq!(
        e.to_string(),
        "decoding failed due to the following error(s):\n\n'protocols.grpc.endpoint' expected type 'string', got unconvertible type '[]interface {}' (line 3)"
    );
    assert_eq!(e.path(), ["protocols", "grpc", "endpoint"]);
    assert_eq!(e.line(), Some(3));

    let e = err::<OtlpReceiver>("protocols:\n  grpc:\n    max_recv_msg_size_mib: \"4\"\n");
    assert_eq!(
        e.message(),
        "expected type 'uint64', got unconvertible type 'string'"
    );
    let e = err::<OtlpReceiver>("protocols:\n  grpc:\n    max_recv_msg_size_mib: -4\n");
    assert_eq!(
        e.message(),
        "cannot parse value as 'uint64': -4 overflows uint"
    );
    let e = err::<OtlpReceiver>("protocols:\n  grpc:\n    keepalive:\n      enabled: yes\n");
    assert_eq!(
        e.message(),
        "expected type 'bool', got unconvertible type 'string'"
    );
    assert_eq!(e.mapstructure_name(), "protocols.grpc.keepalive.enabled");
    let e = err::<OtlpReceiver>("protocols: [grpc]\n");
    assert_eq!(e.message(), "expected a map or struct, got \"slice\"");
    let e = err::<OtlpReceiver>("protocols:\n  http:\n    cors:\n      allowed_origins: {a: 1}\n");
    assert_eq!(
        e.message(),
        "source data must be an array or slice, got map"
    );
}

#[test]
fn durations_in_configs() {
    let k = |t: &str| decode::<Keepalive>(&yaml(&format!("time: {t}")));
    assert_eq!(k("200ms").expect("ok").time, Duration::from_millis(200));
    assert_eq!(k("1m30s").expect("ok").time, Duration::from_secs(90));
    assert_eq!(k("0").expect("ok").time, Duration::ZERO);
    assert_eq!(
        k("5").expect("ok").time,
        Duration::from_nanos(5),
        "ints are nanoseconds"
    );
    assert_eq!(
        k("1.9").expect("ok").time,
        Duration::from_nanos(1),
        "floats truncate"
    );
    assert_eq!(k("-1s").expect("ok").time, Duration::from_secs(-1));
    let e = k("abc").unwrap_err();
    assert_eq!(
        e.to_string(),
        "decoding failed due to the following error(s):\n\n'time' time: invalid duration (line 1)"
    );
    assert_eq!(k("10").expect("ns").time.as_nanos(), 10);
    assert_eq!(k("1d").unwrap_err().message(), "time: unknown unit");
    assert_eq!(
        k("\"5\"").unwrap_err().message(),
        "time: missing unit in duration"
    );
    assert_eq!(
        k("true").unwrap_err().message(),
        "expected type 'time.Duration', got unconvertible type 'bool'"
    );
}

#[test]
fn byte_sizes_in_configs() {
    #[derive(Debug, Default, Deserialize)]
    #[serde(default, deny_unknown_fields)]
    struct Q {
        size: ByteSize,
    }
    let q = |t: &str| decode::<Q>(&yaml(&format!("size: {t}")));
    assert_eq!(q("1024").expect("ok").size, ByteSize(1024));
    assert_eq!(q("20MiB").expect("ok").size, ByteSize(20 << 20));
    assert_eq!(q("1GB").expect("ok").size, ByteSize(1_000_000_000));
    assert_eq!(q("x").unwrap_err().message(), "invalid byte size \"x\"");
    assert_eq!(
        q("-1").unwrap_err().message(),
        "cannot parse value as 'uint64': -1 overflows uint"
    );
}

#[test]
fn strings_get_source_text_of_scalars() {
    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    struct S {
        a: String,
        b: String,
        c: String,
        d: String,
        e: String,
    }
    let s: S = decode(&yaml("a: 0123\nb: 1.10\nc: true\nd: 0x1F\ne:\n")).expect("ok");
    assert_eq!(
        (s.a.as_str(), s.b.as_str(), s.c.as_str(), s.d.as_str()),
        ("0123", "1.10", "true", "0x1F")
    );
    assert_eq!(s.e, "", "null gives the zero value");
}

#[test]
fn numbers_follow_go_rules() {
    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    struct N {
        i: i32,
        u: u16,
        f: f64,
        big: u64,
    }
    let n: N = decode(&yaml("i: 017\nu: 65535\nf: 3\nbig: 18446744073709551615\n")).expect("ok");
    assert_eq!((n.i, n.u, n.f, n.big), (15, 65535, 3.0, u64::MAX));
    let n: N = decode(&yaml("i: 2.9\n")).expect("float truncates");
    assert_eq!(n.i, 2);
    assert_eq!(
        decode::<N>(&yaml("u: 65536")).unwrap_err().message(),
        "cannot parse value as 'uint16': strconv.ParseUint: value out of range"
    );
    assert_eq!(
        decode::<N>(&yaml("i: 3000000000")).unwrap_err().message(),
        "cannot parse value as 'int32': strconv.ParseInt: value out of range"
    );
    assert_eq!(
        decode::<N>(&yaml("f: abc")).unwrap_err().message(),
        "expected type 'float64', got unconvertible type 'string'"
    );
}

#[test]
fn null_gives_zero_values() {
    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(default)]
    struct Z {
        list: Vec<String>,
        map: BTreeMap<String, String>,
        opt: Option<String>,
        inner: Keepalive,
        n: i64,
    }
    impl Default for Z {
        fn default() -> Self {
            Z {
                list: vec!["x".into()],
                map: BTreeMap::from([("k".into(), "v".into())]),
                opt: Some("o".into()),
                inner: Keepalive {
                    time: Duration::ZERO,
                    enabled: false,
                },
                n: 7,
            }
        }
    }
    let z: Z = decode(&yaml("list:\nmap:\nopt:\ninner:\nn:\n")).expect("ok");
    assert_eq!(
        z,
        Z {
            list: vec![],
            map: BTreeMap::new(),
            opt: None,
            inner: Keepalive::default(),
            n: 0
        }
    );
}

#[test]
fn strings_split_into_lists_at_commas() {
    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    struct L {
        l: Vec<String>,
    }
    assert_eq!(
        decode::<L>(&yaml("l: a,b,c")).expect("ok").l,
        ["a", "b", "c"]
    );
    assert!(decode::<L>(&yaml("l: ''")).expect("ok").l.is_empty());
    assert_eq!(decode::<L>(&yaml("l: [x, 1]")).expect("ok").l, ["x", "1"]);
}

#[test]
fn maps_of_components_and_list_paths() {
    #[derive(Debug, Default, Deserialize)]
    #[serde(default, deny_unknown_fields)]
    struct Pipeline {
        receivers: Vec<String>,
    }
    #[derive(Debug, Default, Deserialize)]
    #[serde(default, deny_unknown_fields)]
    struct Service {
        pipelines: BTreeMap<String, Pipeline>,
        extensions: Vec<Keepalive>,
    }
    let s: Service = decode(&yaml("pipelines:\n  traces:\n    receivers: [otlp]\n")).expect("ok");
    assert_eq!(s.pipelines["traces"].receivers, ["otlp"]);
    let e = decode::<Service>(&yaml("pipelines:\n  traces:\n    receiver: [otlp]\n")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "decoding failed due to the following error(s):\n\n'pipelines[traces]' has invalid keys: receiver (line 3)"
    );
    assert_eq!(e.path(), ["pipelines", "traces"]);
    let e = decode::<Service>(&yaml("extensions:\n  - enabled: true\n  - nope: 1\n")).unwrap_err();
    assert_eq!(e.mapstructure_name(), "extensions[1]");
    assert_eq!(e.path(), ["extensions", "1"]);
    assert_eq!(e.line(), Some(3));
}

#[test]
fn enums_from_strings() {
    #[derive(Debug, Deserialize, PartialEq, Default)]
    #[serde(rename_all = "lowercase")]
    enum Verbosity {
        #[default]
        Basic,
        Detailed,
    }
    #[derive(Debug, Default, Deserialize)]
    #[serde(default, deny_unknown_fields)]
    struct D {
        verbosity: Verbosity,
    }
    assert_eq!(
        decode::<D>(&yaml("verbosity: detailed"))
            .expect("ok")
            .verbosity,
        Verbosity::Detailed
    );
    let e = decode::<D>(&yaml("verbosity: loud")).unwrap_err();
    assert_eq!(e.path(), ["verbosity"]);
    assert!(e.message().contains("loud"), "{e}");
}

#[test]
fn raw_nodes_can_be_kept() {
    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    struct R {
        rest: Option<Node>,
    }
    let r: R = decode(&yaml("rest: {a: [1, x]}")).expect("ok");
    assert_eq!(r.rest, Some(yaml("{a: [1, x]}")));
}
