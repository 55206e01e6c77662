//! The receiver's config: decoding, refusals, and `$$` reaching relabelling as `$`.

use component::config::decode_typed;

use crate::prometheus::config::PrometheusReceiverConfig;

fn decode(yaml: &str) -> Result<PrometheusReceiverConfig, String> {
    let node = confmap::parse_yaml(yaml).expect("valid yaml");
    decode_typed::<PrometheusReceiverConfig>(node.as_ref()).map_err(|e| e.to_string())
}

const MINIMAL: &str = r#"
config:
  scrape_configs:
    - job_name: node
      static_configs: [{targets: ['127.0.0.1:9100']}]
"#;

#[test]
fn minimal_config_decodes_with_defaults() {
    let c = decode(MINIMAL).unwrap();
    assert!(!c.trim_metric_suffixes);
    let jobs = c.config.as_ref().unwrap().scrape_jobs().unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].job_name, "node");
    let c = decode(&format!("{MINIMAL}trim_metric_suffixes: true\n")).unwrap();
    assert!(c.trim_metric_suffixes);
}

#[test]
fn no_scrape_configs_is_refused() {
    for yaml in [
        "",
        "config:\n",
        "config:\n  scrape_configs: []\n",
        "trim_metric_suffixes: true\n",
    ] {
        let err = decode(yaml).unwrap_err();
        assert_eq!(
            err, "no Prometheus scrape_configs or target_allocator set",
            "{yaml:?}"
        );
    }
}

#[test]
fn server_sections_are_unsupported() {
    let err = decode(&format!(
        "{MINIMAL}  remote_write: [{{url: 'http://x'}}]\n  rule_files: [a.yml]\n"
    ))
    .unwrap_err();
    assert_eq!(err, "unsupported features:\n\tremote_write\n\trule_files");
}

#[test]
fn unknown_keys_are_refused() {
    let err = decode(&format!("{MINIMAL}bogus: 1\n")).unwrap_err();
    assert!(err.contains("bogus"), "{err}");
    let err = decode("config:\n  scrape_configs:\n    - job_name: a\n      scrape_intervall: 5s\n")
        .unwrap_err();
    assert!(err.contains("scrape_intervall"), "{err}");
}

#[test]
fn removed_options_say_what_replaced_them() {
    for (key, hint) in [
        ("use_start_time_metric: true", "metricstarttime processor"),
        (
            "start_time_metric_regex: '^process_start'",
            "metricstarttime processor",
        ),
        (
            "report_extra_scrape_metrics: true",
            "receiver.prometheusreceiver.EnableReportExtraScrapeMetrics",
        ),
    ] {
        let err = decode(&format!("{MINIMAL}{key}\n")).unwrap_err();
        let name = key.split(':').next().unwrap();
        assert!(err.contains(&format!("'{name}' was removed")), "{err}");
        assert!(err.contains(hint), "{err}");
    }
}

#[test]
fn target_allocator_and_api_server_are_not_supported() {
    let err = decode(&format!(
        "{MINIMAL}target_allocator:\n  endpoint: http://ta:80\n  collector_id: c1\n"
    ))
    .unwrap_err();
    assert!(
        err.starts_with("target_allocator is not supported"),
        "{err}"
    );
    // Even without scrape_configs, the refusal names the real reason.
    let err = decode("target_allocator:\n  endpoint: http://ta:80\n").unwrap_err();
    assert!(
        err.starts_with("target_allocator is not supported"),
        "{err}"
    );
    let err = decode(&format!(
        "{MINIMAL}api_server:\n  enabled: true\n  server_config:\n    endpoint: localhost:9090\n"
    ))
    .unwrap_err();
    assert!(err.starts_with("api_server is not supported"), "{err}");
    // Disabled, it is accepted (and does nothing), as upstream.
    decode(&format!(
        "{MINIMAL}api_server:\n  enabled: false\n  server_config:\n    endpoint: localhost:9090\n"
    ))
    .unwrap();
}

/// The collector expands the whole config before the receiver sees it: `$$` is a literal `$`,
/// so relabelling gets `$1:9100` and `(.+)$` (reference §1.2).
#[tokio::test]
async fn dollar_dollar_reaches_relabelling_as_a_single_dollar() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.yaml");
    std::fs::write(
        &path,
        r#"
receivers:
  prometheus:
    config:
      scrape_configs:
        - job_name: node
          static_configs: [{targets: ['10.0.0.1:80']}]
          relabel_configs:
            - source_labels: [__address__]
              regex: (.+):80$$
              replacement: $$1:9100
              target_label: __address__
            - source_labels: [__meta_x]
              regex: ${env:FERROCOL_TEST_UNSET_REGEX:-(.*)}
              target_label: copied
"#,
    )
    .unwrap();
    let root = confmap::Resolver::new(confmap::ResolverSettings {
        uris: vec![format!("file:{}", path.display())],
        default_scheme: "env".into(),
        providers: confmap::Providers::default_set(),
    })
    .resolve()
    .await
    .unwrap();
    let node = root.get_path(&["receivers", "prometheus"]).unwrap();
    let c = decode_typed::<PrometheusReceiverConfig>(Some(node)).unwrap();
    let sc = c.config.as_ref().unwrap().scrape_configs[0]
        .as_ref()
        .unwrap();
    let rc = sc.relabel_configs[0].as_ref().unwrap();
    assert_eq!(rc.replacement.as_deref(), Some("$1:9100"));
    assert_eq!(rc.regex.as_ref().map(|r| r.as_str()), Some("(.+):80$"));
    // And the rule does what it says.
    let mut labels = prometheus::relabel::Labels::from_pairs([("__address__", "10.0.0.1:80")]);
    let jobs = c.config.as_ref().unwrap().scrape_jobs().unwrap();
    assert!(prometheus::relabel::process(
        &mut labels,
        &jobs[0].relabel_configs
    ));
    assert_eq!(labels.get("__address__"), "10.0.0.1:9100");
}

#[test]
fn keep_dropped_targets_is_accepted_and_must_be_a_non_negative_integer() {
    // Accepted in a job and in `global` (the job's own value wins); it has no effect, as
    // ferrocol has no targets API that would list dropped targets.
    let c = decode(
        "config:\n  global: {keep_dropped_targets: 7}\n  scrape_configs:\n    - job_name: a\n      keep_dropped_targets: 100\n      static_configs: [{targets: ['127.0.0.1:1']}]\n    - job_name: b\n      static_configs: [{targets: ['127.0.0.1:1']}]\n",
    )
    .unwrap();
    let jobs = c.config.as_ref().unwrap().scrape_jobs().unwrap();
    assert_eq!(jobs[0].keep_dropped_targets, 100);
    assert_eq!(jobs[1].keep_dropped_targets, 7);
    // Prometheus' field is a `uint`: negative numbers, strings and booleans are refused.
    // (A fraction is truncated, as Go's yaml.v2 does for unsigned fields.)
    for bad in ["-1", "many", "true"] {
        let err = decode(&format!(
            "config:\n  scrape_configs:\n    - job_name: a\n      keep_dropped_targets: {bad}\n      static_configs: [{{targets: ['127.0.0.1:1']}}]\n"
        ))
        .unwrap_err();
        assert!(err.contains("keep_dropped_targets"), "{bad}: {err}");
    }
}
