//! Resolution end to end: providers, merge, expansion, `--set`, with fixtures in testdata/.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use confmap::{
    BoxFuture, ConfmapError, EnvProvider, Node, Provider, Providers, Resolver, ResolverSettings,
    Retrieved, Value, decode, set_flag_to_yaml_uri,
};

fn testdata(name: &str) -> String {
    format!("{}/testdata/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn providers(env: &[(&str, &str)]) -> Providers {
    Providers::default_set().with(EnvProvider::from_map(env.iter().copied()))
}

async fn resolve_with(uris: &[String], env: &[(&str, &str)]) -> Result<Node, ConfmapError> {
    Resolver::new(ResolverSettings {
        uris: uris.to_vec(),
        default_scheme: "env".into(),
        providers: providers(env),
    })
    .resolve()
    .await
}

async fn resolve(files: &[&str], env: &[(&str, &str)]) -> Result<Node, ConfmapError> {
    let uris: Vec<String> = files.iter().map(|f| testdata(f)).collect();
    resolve_with(&uris, env).await
}

fn yaml(text: &str) -> Node {
    confmap::parse_yaml(text).expect("yaml").expect("non-empty")
}

#[tokio::test]
async fn merges_left_to_right() {
    let root = resolve(&["base.yaml", "override.yaml"], &[])
        .await
        .expect("resolve");
    let batch = root.get_path(&["processors", "batch"]).expect("batch");
    assert_eq!(batch, &yaml("timeout: 1s\nsend_batch_size: 100\n"));
    // Lists are replaced, not appended.
    let procs = root
        .get_path(&["service", "pipelines", "traces", "processors"])
        .expect("list");
    assert_eq!(procs, &yaml("[batch]"));
    // Untouched parts survive.
    assert!(root.get_path(&["processors", "memory_limiter"]).is_some());
    assert_eq!(
        root.get_path(&["receivers", "otlp", "protocols", "grpc", "endpoint"]),
        Some(&Node::from("0.0.0.0:4317"))
    );
}

#[tokio::test]
async fn null_map_erases_earlier_map() {
    let root = resolve(&["base.yaml", "null-processors.yaml"], &[])
        .await
        .expect("resolve");
    assert!(root.get("processors").expect("key kept").is_null());
}

#[tokio::test]
async fn file_scheme_prefix_and_bare_paths_are_equivalent() {
    let bare = resolve(&["base.yaml"], &[]).await.expect("bare");
    let prefixed = resolve_with(&[format!("file:{}", testdata("base.yaml"))], &[])
        .await
        .expect("prefixed");
    assert_eq!(bare, prefixed);
}

#[tokio::test]
async fn set_flags_win_over_files() {
    let uris = vec![
        testdata("base.yaml"),
        set_flag_to_yaml_uri("processors.batch.timeout=2s").expect("set"),
        set_flag_to_yaml_uri("service.pipelines.traces.exporters=[debug, otlp]").expect("set"),
    ];
    let root = resolve_with(&uris, &[]).await.expect("resolve");
    assert_eq!(
        root.get_path(&["processors", "batch", "timeout"]),
        Some(&Node::from("2s"))
    );
    assert_eq!(
        root.get_path(&["service", "pipelines", "traces", "exporters"]),
        Some(&yaml("[debug, otlp]"))
    );
    // Maps are joined: the rest of the batch config is still there? (timeout only existed.)
    assert!(root.get_path(&["processors", "memory_limiter"]).is_some());
}

#[tokio::test]
async fn expansion_of_a_realistic_file() {
    let env = [
        ("HOST", "collector"),
        ("PORT", "4317"),
        ("HEADERS", "{authorization: secret}"),
        ("INDIRECT", "HOST"),
    ];
    let root = resolve(&["expand.yaml"], &env).await.expect("resolve");
    let get = |p: &[&str]| root.get_path(p).cloned().expect("present");
    // Embedded references are substituted as strings.
    assert_eq!(
        get(&["receivers", "otlp", "protocols", "grpc", "endpoint"]),
        Node::from("collector:4317")
    );
    // ${VAR} uses the default scheme.
    assert_eq!(
        get(&["receivers", "otlp", "protocols", "http", "endpoint"]),
        Node::from("collector:4318")
    );
    // Default only when unset.
    assert_eq!(
        get(&["exporters", "otlp", "endpoint"]),
        Node::from("localhost:4317")
    );
    // A whole-value reference keeps its YAML type: a map, an int.
    assert_eq!(
        get(&["exporters", "otlp", "headers"]),
        yaml("authorization: secret")
    );
    assert_eq!(get(&["exporters", "otlp", "port"]), Node::from(4317));
    // $$ is a literal $, an escaped reference stays, bash-style $HOME is not expanded.
    assert_eq!(
        get(&["exporters", "otlp", "literal"]),
        Node::from("$HOME and ${env:PORT} and $HOME")
    );
    // Nested references resolve inside out.
    assert_eq!(
        get(&["exporters", "otlp", "nested"]),
        Node::from("collector")
    );
    // Lists are expanded element by element.
    assert_eq!(
        get(&["exporters", "otlp", "list"]),
        Node::from(vec![Node::from(4317), Node::from("x-collector")])
    );
    // Keys are never expanded.
    assert_eq!(
        get(&["exporters", "${env:PORT}"]),
        Node::from("key-not-expanded")
    );
    // Expanded values are reported at the reference's line.
    assert_eq!(
        root.get_path(&["exporters", "otlp", "port"])
            .and_then(|n| n.mark)
            .map(|m| m.line),
        Some(12)
    );
}

/// A fixture `field: ${env:ENV}` (or embedded in a longer string) decoded into a typed field;
/// the table is upstream's `confmap/internal/e2e/types_test.go` TestStrictTypeCasting.
#[tokio::test]
async fn strict_type_casting_table() {
    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct Target<T> {
        field: T,
    }

    enum Want {
        Int(i64),
        Str(&'static str),
        Inline(&'static str),
        Bool(bool),
        Slice(Vec<&'static str>),
        DecodeErr(Target2, &'static str),
        ResolveErr(&'static str),
    }
    #[derive(Clone, Copy)]
    enum Target2 {
        Int,
        Str,
        Bool,
    }
    use Want::*;
    let table: Vec<(&str, Want)> = vec![
        ("123", Int(123)),
        ("123", Str("123")),
        ("123", Inline("inline field with 123 expansion")),
        ("0123", Int(83)),
        ("0123", Str("0123")),
        ("0123", Inline("inline field with 0123 expansion")),
        ("0xdeadbeef", Int(3_735_928_559)),
        ("0xdeadbeef", Str("0xdeadbeef")),
        (
            "0xdeadbeef",
            Inline("inline field with 0xdeadbeef expansion"),
        ),
        ("\"0123\"", Str("\"0123\"")),
        (
            "\"0123\"",
            DecodeErr(
                Target2::Int,
                "'field' expected type 'int', got unconvertible type 'string'",
            ),
        ),
        ("\"0123\"", Inline("inline field with \"0123\" expansion")),
        ("!!str 0123", Str("!!str 0123")),
        (
            "!!str 0123",
            Inline("inline field with !!str 0123 expansion"),
        ),
        (
            "t",
            DecodeErr(
                Target2::Bool,
                "'field' expected type 'bool', got unconvertible type 'string'",
            ),
        ),
        (
            "23",
            DecodeErr(
                Target2::Bool,
                "'field' expected type 'bool', got unconvertible type 'int'",
            ),
        ),
        (
            "{\"field\": 123}",
            Inline("inline field with {\"field\": 123} expansion"),
        ),
        (
            "1111:1111:1111:1111:1111::",
            Inline("inline field with 1111:1111:1111:1111:1111:: expansion"),
        ),
        (
            "1111:1111:1111:1111:1111::",
            Str("1111:1111:1111:1111:1111::"),
        ),
        (
            "2006-01-02T15:04:05Z07:00",
            Str("2006-01-02T15:04:05Z07:00"),
        ),
        (
            "2023-03-20T03:17:55.432328Z",
            Str("2023-03-20T03:17:55.432328Z"),
        ),
        (
            "true # comment with a ${env:hello.world} reference",
            Bool(true),
        ),
        (
            "true # comment with a ${env:hello.world} reference",
            DecodeErr(
                Target2::Str,
                "expected type 'string', got unconvertible type 'bool'",
            ),
        ),
        (
            "true # comment with a ${env:hello.world} reference",
            ResolveErr("environment variable \"hello.world\" has invalid name"),
        ),
        ("[\"a\",", Str("[\"a\",")),
        ("[\"a\",", Inline("inline field with [\"a\", expansion")),
        (
            "[filelog,windowseventlog/application]",
            Slice(vec!["filelog", "windowseventlog/application"]),
        ),
        (
            "[filelog,windowseventlog/application]",
            Str("[filelog,windowseventlog/application]"),
        ),
        ("$$ENV", Str("$ENV")),
        ("$$ENV", Inline("inline field with $ENV expansion")),
        ("$${ENV}", Str("${ENV}")),
        ("$${ENV}", Inline("inline field with ${ENV} expansion")),
        ("$${env:ENV}", Str("${env:ENV}")),
        (
            "$${env:ENV}",
            Inline("inline field with ${env:ENV} expansion"),
        ),
        ("[filelog,${env:ENV_VALUE}]", Str("[filelog,testreceiver]")),
        ("[filelog,${ENV_VALUE}]", Str("[filelog,testreceiver]")),
        (
            "[\"filelog\",\"$${env:ENV_VALUE}\"]",
            Str("[\"filelog\",\"${env:ENV_VALUE}\"]"),
        ),
        (
            "[\"filelog\",\"$${ENV_VALUE}\"]",
            Str("[\"filelog\",\"${ENV_VALUE}\"]"),
        ),
        (
            "[\"filelog\",\"$$ENV_VALUE\"]",
            Str("[\"filelog\",\"$ENV_VALUE\"]"),
        ),
        (
            "[\"filelog\",\"$ENV_VALUE\"]",
            Str("[\"filelog\",\"$ENV_VALUE\"]"),
        ),
    ];
    for (value, want) in table {
        let inline = matches!(want, Inline(_) | ResolveErr(_));
        let file = if inline {
            "types_expand_inline.yaml"
        } else {
            "types_expand.yaml"
        };
        let env = [("ENV", value), ("ENV_VALUE", "testreceiver")];
        let resolved = resolve(&[file], &env).await;
        let ctx = format!("value {value:?}");
        if let ResolveErr(msg) = want {
            let err = resolved.expect_err(&ctx);
            assert!(err.to_string().contains(msg), "{ctx}: {err}");
            continue;
        }
        let root = resolved.unwrap_or_else(|e| panic!("{ctx}: {e}"));
        match want {
            Int(n) => assert_eq!(decode::<Target<i64>>(&root).expect(&ctx).field, n, "{ctx}"),
            Str(s) | Inline(s) => {
                assert_eq!(
                    decode::<Target<String>>(&root).expect(&ctx).field,
                    s,
                    "{ctx}"
                )
            }
            Bool(b) => assert_eq!(decode::<Target<bool>>(&root).expect(&ctx).field, b, "{ctx}"),
            Slice(v) => {
                assert_eq!(
                    decode::<Target<Vec<String>>>(&root).expect(&ctx).field,
                    v,
                    "{ctx}"
                )
            }
            DecodeErr(t, msg) => {
                let err = match t {
                    Target2::Int => decode::<Target<i64>>(&root).map(|_| ()),
                    Target2::Str => decode::<Target<String>>(&root).map(|_| ()),
                    Target2::Bool => decode::<Target<bool>>(&root).map(|_| ()),
                }
                .expect_err(&ctx);
                assert!(err.to_string().contains(msg), "{ctx}: {err}");
            }
            ResolveErr(_) => {}
        }
    }
}

async fn expand_one(value: &str, env: &[(&str, &str)]) -> Result<Node, ConfmapError> {
    let uri = format!("yaml:field: {value}");
    let root = resolve_with(&[uri], env).await?;
    Ok(root.get("field").cloned().unwrap_or_else(Node::null))
}

#[tokio::test]
async fn env_defaults_only_when_unset() {
    let env = [("EMPTY", ""), ("SET", "v")];
    assert_eq!(
        expand_one("${env:EMPTY:-d}", &env)
            .await
            .expect("ok")
            .as_text(),
        Some("")
    );
    assert_eq!(
        expand_one("${env:SET:-d}", &env).await.expect("ok"),
        Node::from("v")
    );
    assert_eq!(
        expand_one("${env:UNSET:-d}", &env).await.expect("ok"),
        Node::from("d")
    );
    assert_eq!(
        expand_one("x${env:UNSET:-d}y", &env).await.expect("ok"),
        Node::from("xdy")
    );
    // Unset without default: nil, and "" when embedded.
    assert!(
        expand_one("${env:UNSET}", &env)
            .await
            .expect("ok")
            .is_null()
    );
    assert_eq!(
        expand_one("a-${env:UNSET}-b", &env).await.expect("ok"),
        Node::from("a--b")
    );
}

#[tokio::test]
async fn expansion_errors_use_upstream_wording_and_name_the_path() {
    let cases = [
        (
            "${env:1BAD}",
            "environment variable \"1BAD\" has invalid name: must match regex ^[a-zA-Z_][a-zA-Z0-9_]*$",
        ),
        (
            "${VAR:-default}",
            "scheme \"VAR\" is not supported for uri \"VAR:-default\"",
        ),
        (
            "${nope:x}",
            "scheme \"nope\" is not supported for uri \"nope:x\"",
        ),
        (
            "${env:$FOO}",
            "the uri \"env:$FOO\" contains unsupported characters ('$')",
        ),
        ("${1x:foo}", "invalid uri: \"1x:foo\""),
        (
            "pre ${env:A B}",
            "environment variable \"A B\" has invalid name",
        ),
    ];
    for (value, want) in cases {
        let uri = format!("yaml:a:\n  b: \"{value}\"\n");
        let err = resolve_with(&[uri], &[]).await.expect_err(value);
        assert!(err.message().starts_with(want), "{value}: {err}");
        assert_eq!(err.path(), ["a", "b"], "{value}");
        assert_eq!(err.line(), Some(2), "{value}");
        assert!(err.to_string().ends_with(" (at a::b, line 2)"), "{err}");
    }
}

#[tokio::test]
async fn too_many_recursive_expansions() {
    let env = [("LOOP", "${env:LOOP}")];
    let err = expand_one("${env:LOOP}", &env).await.unwrap_err();
    assert_eq!(err.message(), "too many recursive expansions");
    // A long but finite chain is fine.
    let names: Vec<String> = (0..50).map(|i| format!("V{i}")).collect();
    let mut env: Vec<(String, String)> = names
        .windows(2)
        .map(|w| (w[0].clone(), format!("${{env:{}}}", w[1])))
        .collect();
    env.push(("V49".into(), "end".into()));
    let env_ref: Vec<(&str, &str)> = env.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    assert_eq!(
        expand_one("${env:V0}", &env_ref).await.expect("ok"),
        Node::from("end")
    );
}

#[tokio::test]
async fn escaped_first_reference_stops_expansion_of_the_string() {
    // Upstream's findURI gives up on the whole string when the first reference is escaped.
    let env = [("A", "a")];
    assert_eq!(
        expand_one("\"$${env:A} ${env:A}\"", &env)
            .await
            .expect("ok"),
        Node::from("${env:A} ${env:A}")
    );
    // Upstream replaces every occurrence of the reference text, escaped or not (ReplaceAll).
    assert_eq!(
        expand_one("\"${env:A} $${env:A}\"", &env)
            .await
            .expect("ok"),
        Node::from("a $a")
    );
    // Three `$` before `${`: odd, so escaped; then each `$$` becomes `$`.
    assert_eq!(
        expand_one("\"$$$${env:A}\"", &env).await.expect("ok"),
        Node::from("$${env:A}")
    );
    // Two: the reference expands and the pair becomes one `$`.
    assert_eq!(
        expand_one("\"$$${env:A}\"", &env).await.expect("ok"),
        Node::from("$a")
    );
}

#[tokio::test]
async fn embedded_map_has_no_string_form() {
    struct MapProvider;
    impl Provider for MapProvider {
        fn scheme(&self) -> &str {
            "map"
        }
        fn retrieve<'a>(&'a self, _uri: &'a str) -> BoxFuture<'a, Result<Retrieved, ConfmapError>> {
            Box::pin(async { Ok(Retrieved::new(Some(Node::from(confmap::Map::new())))) })
        }
    }
    let settings = ResolverSettings {
        uris: vec!["yaml:a: x${map:y}".into()],
        default_scheme: "env".into(),
        providers: providers(&[]).with(MapProvider),
    };
    let err = Resolver::new(settings).resolve().await.unwrap_err();
    assert_eq!(
        err.message(),
        "expanding ${map:y}: retrieved value does not have unambiguous string representation: map[]"
    );
}

#[tokio::test]
async fn custom_providers_plug_in() {
    struct Counting(AtomicUsize);
    impl Provider for Counting {
        fn scheme(&self) -> &str {
            "custom"
        }
        fn retrieve<'a>(&'a self, uri: &'a str) -> BoxFuture<'a, Result<Retrieved, ConfmapError>> {
            Box::pin(async move {
                self.0.fetch_add(1, Ordering::SeqCst);
                assert_eq!(uri, "custom:bucket/key.yaml");
                Ok(Retrieved::from_yaml(b"exporters:\n  debug: {}\n"))
            })
        }
    }
    let mut p = providers(&[]);
    let counting = Arc::new(Counting(AtomicUsize::new(0)));
    p.register(counting.clone()).expect("register");
    let err = p.register(counting.clone()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "duplicate 'confmap.Provider' scheme \"custom\""
    );
    let root = Resolver::new(ResolverSettings {
        uris: vec!["custom:bucket/key.yaml".into()],
        default_scheme: "env".into(),
        providers: p,
    })
    .resolve()
    .await
    .expect("resolve");
    assert!(root.get_path(&["exporters", "debug"]).is_some());
    assert_eq!(counting.0.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn uri_and_settings_errors() {
    let err = resolve_with(&["nosuch:thing".into()], &[])
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "unsupported scheme on URI \"nosuch:thing\""
    );
    let err = resolve_with(&[], &[]).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid 'confmap.ResolverSettings' configuration: no URIs"
    );
    let many: Vec<String> = (0..101).map(|i| format!("yaml:k{i}: v")).collect();
    let err = resolve_with(&many, &[]).await.unwrap_err();
    assert!(err.to_string().contains("too many URIs"), "{err}");
    let ok: Vec<String> = (0..100).map(|i| format!("yaml:k{i}: v")).collect();
    assert_eq!(
        resolve_with(&ok, &[])
            .await
            .expect("100 is fine")
            .as_map()
            .map(|m| m.len()),
        Some(100)
    );
    let err = Resolver::new(ResolverSettings {
        uris: vec!["yaml:a: b".into()],
        default_scheme: "nope".into(),
        providers: providers(&[]),
    })
    .resolve()
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("DefaultScheme not found in providers list")
    );
}

#[tokio::test]
async fn file_errors() {
    let err = resolve(&["does-not-exist.yaml"], &[]).await.unwrap_err();
    assert!(
        err.to_string()
            .starts_with("cannot retrieve the configuration: unable to read the file file:"),
        "{err}"
    );
    assert!(
        err.to_string().ends_with("no such file or directory"),
        "{err}"
    );

    let err = resolve(&["duplicate-keys.yaml"], &[]).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "retrieved value (type=string) cannot be used as a Conf: assuming string type since contents are not valid YAML: yaml: unmarshal errors:\n  line 7: mapping key \"receivers\" already defined at line 1"
    );

    let err = resolve(&["invalid.yaml"], &[]).await.unwrap_err();
    assert!(
        err.to_string().contains("not valid YAML: yaml: line "),
        "{err}"
    );
}

#[tokio::test]
async fn empty_file_resolves_to_an_empty_map() {
    // Upstream's "empty configuration file" comes from the collector's validation of the
    // decoded config, not from resolution.
    let root = resolve(&["empty.yaml"], &[]).await.expect("resolve");
    assert_eq!(root, Node::from(confmap::Map::new()));
}

#[tokio::test]
async fn merge_keys_in_files() {
    let root = resolve(&["merge-keys.yaml"], &[]).await.expect("resolve");
    assert_eq!(
        root.get_path(&["exporters", "otlp/a"]),
        Some(&yaml(
            "endpoint: a:4317\ntimeout: 5s\nretry_on_failure: {enabled: true}"
        ))
    );
    assert_eq!(
        root.get_path(&["exporters", "otlp/b", "timeout"]),
        Some(&Node::from("10s"))
    );
}

#[tokio::test]
async fn unexpanded_view_keeps_references() {
    let settings = ResolverSettings {
        uris: vec![testdata("expand.yaml")],
        default_scheme: "env".into(),
        providers: providers(&[]),
    };
    let root = Resolver::new(settings)
        .resolve_unexpanded()
        .await
        .expect("ok");
    assert_eq!(
        root.get_path(&["exporters", "otlp", "port"]),
        Some(&Node::from("${env:PORT}"))
    );
}

#[tokio::test]
async fn print_config_with_redaction() {
    let mut root = resolve(
        &["expand.yaml"],
        &[
            ("HEADERS", "{authorization: secret}"),
            ("PORT", "1"),
            ("INDIRECT", "PORT"),
        ],
    )
    .await
    .expect("resolve");
    root.redact(|path| path.last().is_some_and(|k| k == "headers"));
    let text = root.to_yaml_string();
    assert!(
        text.contains("headers: '[REDACTED]'") || text.contains("headers: \"[REDACTED]\""),
        "{text}"
    );
    assert!(!text.contains("secret"));
    let json = root.to_json_string();
    assert!(json.contains("\"headers\": \"[REDACTED]\""), "{json}");
    // The printed YAML reads back to the same tree.
    assert_eq!(confmap::parse_yaml(&text).expect("yaml"), Some(root));
    assert!(matches!(Node::from(1).value, Value::Int(1)));
}
