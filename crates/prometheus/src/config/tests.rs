//! Config decoding and validation: the seeds, and each message.

use super::*;

fn parse(yaml: &str) -> Result<PromConfig, String> {
    let node = confmap::parse_yaml(yaml)
        .map_err(|e| e.to_string())?
        .expect("a document");
    confmap::decode(&node).map_err(|e| e.to_string())
}

fn validate(yaml: &str) -> Result<PromConfig, String> {
    let c = parse(yaml)?;
    c.validate()?;
    Ok(c)
}

/// The `config:` of every `prometheus` receiver in the seed configs.
fn seed_prom_configs() -> Vec<(String, PromConfig)> {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/examples/seeds");
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("seeds at {}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    entries.sort();
    for path in entries {
        let text = std::fs::read_to_string(&path).unwrap();
        let Some(root) = confmap::parse_yaml(&text).unwrap() else {
            continue;
        };
        let Some(receivers) = root.as_map().and_then(|m| m.get("receivers")) else {
            continue;
        };
        let Some(receivers) = receivers.as_map() else {
            continue;
        };
        for (id, recv) in receivers.iter() {
            if id != "prometheus" && !id.starts_with("prometheus/") {
                continue;
            }
            let Some(cfg) = recv.as_map().and_then(|r| r.get("config")) else {
                continue;
            };
            let parsed: PromConfig =
                confmap::decode(cfg).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            out.push((path.display().to_string(), parsed));
        }
    }
    out
}

#[test]
fn every_seed_parses_and_validates() {
    let seeds = seed_prom_configs();
    assert!(
        seeds.len() >= 3,
        "found {} prometheus receivers",
        seeds.len()
    );
    for (name, cfg) in &seeds {
        cfg.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
        let jobs = cfg.scrape_jobs().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!jobs.is_empty(), "{name}");
    }
}

fn err(yaml: &str) -> String {
    match validate(yaml) {
        Ok(_) => panic!("expected an error for:\n{yaml}"),
        Err(e) => e,
    }
}

#[test]
fn defaults_and_inheritance() {
    let c = validate(
        r#"
global: {scrape_interval: 30s, sample_limit: 100, body_size_limit: 10MB, external_labels: {region: eu}}
scrape_configs:
- job_name: a
  static_configs: [{targets: ['h:1']}]
- job_name: b
  scrape_interval: 5s
  sample_limit: 7
  honor_timestamps: false
"#,
    )
    .unwrap();
    let jobs = c.scrape_jobs().unwrap();
    let (a, b) = (&jobs[0], &jobs[1]);
    assert_eq!(a.scrape_interval.to_string(), "30s");
    assert_eq!(a.scrape_timeout.to_string(), "10s");
    assert_eq!(a.sample_limit, 100);
    assert_eq!(a.body_size_limit, 10 << 20);
    assert_eq!(a.metrics_path, "/metrics");
    assert_eq!(a.scheme, "http");
    assert!(a.honor_timestamps && !a.honor_labels && a.enable_compression);
    assert!(a.http_client.follow_redirects);
    assert_eq!(a.scrape_protocols, DEFAULT_SCRAPE_PROTOCOLS.to_vec());
    assert_eq!(
        a.fallback_scrape_protocol,
        ScrapeProtocol::PrometheusText004
    );
    assert_eq!(a.name_escaping, "allow-utf-8");
    assert_eq!(a.external_labels["region"], "eu");
    // The timeout defaults to min(10s, interval).
    assert_eq!(b.scrape_interval.to_string(), "5s");
    assert_eq!(b.scrape_timeout.to_string(), "5s");
    assert_eq!(b.sample_limit, 7);
    assert!(!b.honor_timestamps);
    // Without global: 1m / 10s.
    let c = validate("scrape_configs: [{job_name: x}]").unwrap();
    let j = &c.scrape_jobs().unwrap()[0];
    assert_eq!(
        (j.scrape_interval.to_string(), j.scrape_timeout.to_string()),
        ("1m".into(), "10s".into())
    );
}

#[test]
fn receiver_refuses_server_sections() {
    assert_eq!(
        err(
            "remote_write: [{url: 'http://x'}]\nremote_read: [{url: 'http://x'}]\nrule_files: [a.yml]\n\
             alerting: {alert_relabel_configs: [{action: drop}], alertmanagers: [{static_configs: []}]}\n\
             scrape_configs: [{job_name: x}]"
        ),
        "unsupported features:\n\talert_config.alertmanagers\n\talert_config.relabel_configs\n\tremote_read\n\tremote_write\n\trule_files"
    );
    // Empty sections are fine, as are the server-only ones a receiver ignores.
    validate("remote_write: []\nstorage: {tsdb: {out_of_order_time_window: 1h}}\nscrape_configs: [{job_name: x}]").unwrap();
}

#[test]
fn validation_messages() {
    let cases: &[(&str, &str)] = &[
        (
            "scrape_configs: [{job_name: a}, {job_name: a}]",
            r#"found multiple scrape configs with job name "a""#,
        ),
        (
            "scrape_configs: [{scrape_interval: 5s}]",
            "job_name is empty",
        ),
        ("scrape_configs: [~]", "empty or null scrape config section"),
        (
            "scrape_configs: [{job_name: a, scrape_interval: 5s, scrape_timeout: 10s}]",
            r#"scrape timeout greater than scrape interval for scrape config with job name "a""#,
        ),
        (
            "global: {scrape_interval: 5s, scrape_timeout: 6s}",
            "global scrape timeout greater than scrape interval",
        ),
        (
            "scrape_configs: [{job_name: a, bearer_token: x, authorization: {credentials: y}}]",
            "authorization is not compatible with bearer_token & bearer_token_file",
        ),
        (
            "scrape_configs: [{job_name: a, bearer_token: x, bearer_token_file: y}]",
            "at most one of bearer_token & bearer_token_file must be configured",
        ),
        (
            "scrape_configs: [{job_name: a, basic_auth: {username: u}, bearer_token: x}]",
            "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured",
        ),
        (
            "scrape_configs: [{job_name: a, authorization: {type: Basic, credentials: x}}]",
            r#"authorization type cannot be set to "basic", use "basic_auth" instead"#,
        ),
        (
            "scrape_configs: [{job_name: a, scrape_protocols: []}]",
            r#"scrape_protocols cannot be empty for scrape config with job name "a""#,
        ),
        (
            "scrape_configs: [{job_name: a, scrape_protocols: [PrometheusText0.0.4, PrometheusText0.0.4]}]",
            r#"duplicated protocol in scrape_protocols, got [PrometheusText0.0.4 PrometheusText0.0.4] for scrape config with job name "a""#,
        ),
        (
            "scrape_configs: [{job_name: a, scrape_protocols: [Text]}]",
            r#"scrape_protocols: unknown scrape protocol Text, supported: [OpenMetricsText0.0.1 OpenMetricsText1.0.0 PrometheusProto PrometheusText0.0.4 PrometheusText1.0.0] for scrape config with job name "a""#,
        ),
        (
            "global: {scrape_protocols: [Text]}",
            "scrape_protocols: unknown scrape protocol Text, supported: [OpenMetricsText0.0.1 OpenMetricsText1.0.0 PrometheusProto PrometheusText0.0.4 PrometheusText1.0.0] for global config",
        ),
        (
            "scrape_configs: [{job_name: a, fallback_scrape_protocol: Text}]",
            r#"invalid fallback_scrape_protocol for scrape config with job name "a": unknown scrape protocol Text, supported: [OpenMetricsText0.0.1 OpenMetricsText1.0.0 PrometheusProto PrometheusText0.0.4 PrometheusText1.0.0]"#,
        ),
        (
            "scrape_configs: [{job_name: a, static_configs: [{targets: ['http://h:1']}]}]",
            r#""http://h:1" is not a valid hostname"#,
        ),
        (
            "scrape_configs: [{job_name: a, relabel_configs: [~]}]",
            "empty or null target relabeling rule in scrape config",
        ),
        (
            "scrape_configs: [{job_name: a, metric_relabel_configs: [~]}]",
            "empty or null metric relabeling rule in scrape config",
        ),
        (
            "scrape_configs: [{job_name: a, relabel_configs: [{action: hashmod, target_label: x}]}]",
            "relabel configuration for hashmod requires non-zero modulus",
        ),
        (
            "scrape_configs: [{job_name: a, metric_name_validation_scheme: foo}]",
            "unknown scrape config name validation method specified, must be either '', 'legacy' or 'utf8', got foo",
        ),
        (
            "scrape_configs: [{job_name: a, metric_name_validation_scheme: legacy, metric_name_escaping_scheme: allow-utf-8}]",
            "utf8 metric names requested but validation scheme is not set to UTF8",
        ),
        (
            "scrape_config_files: ['*/x.yml']",
            r#"invalid scrape config file path "*/x.yml""#,
        ),
        (
            "scrape_configs: [{job_name: a, oauth2: {client_id: x}}]",
            "oauth2 token_url must be configured",
        ),
        (
            "scrape_configs: [{job_name: a, oauth2: {token_url: 'http://t/token'}}]",
            "oauth2 client_id must be configured",
        ),
        (
            "scrape_configs: [{job_name: a, oauth2: {client_id: x, client_secret: s, client_secret_file: f, token_url: 'http://t/token'}}]",
            "at most one of oauth2 client_secret, client_secret_file & client_secret_ref must be configured",
        ),
        (
            "scrape_configs: [{job_name: a, bearer_token: b, oauth2: {client_id: x, token_url: 'http://t/token'}}]",
            "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured",
        ),
        (
            "scrape_configs: [{job_name: a, basic_auth: {username: u}, oauth2: {client_id: x, token_url: 'http://t/token'}}]",
            "at most one of basic_auth, oauth2 & authorization must be configured",
        ),
        (
            "scrape_configs: [{job_name: a, authorization: {credentials: c}, oauth2: {client_id: x, token_url: 'http://t/token'}}]",
            "at most one of basic_auth, oauth2 & authorization must be configured",
        ),
        (
            "scrape_configs: [{job_name: a, oauth2: {client_id: x, token_url: 'ftp://t/token'}}]",
            r#"invalid oauth2 token_url "ftp://t/token": an http:// or https:// URL is required"#,
        ),
        (
            "scrape_configs: [{job_name: a, oauth2: {client_id: x, token_url: 'http://t/token', no_proxy: h}}]",
            "invalid proxy config: if no_proxy is configured, proxy_url must also be configured",
        ),
        (
            "scrape_configs: [{job_name: a, oauth2: {client_id: x, token_url: 'http://t/token', tls_config: {cert_file: c}}}]",
            "invalid tls_config: exactly one of key or key_file must be configured when a client certificate is configured",
        ),
        (
            "scrape_configs: [{job_name: a, proxy_from_environment: true, proxy_url: 'http://p:1'}]",
            "if proxy_from_environment is configured, proxy_url must not be configured",
        ),
        (
            "scrape_configs: [{job_name: a, proxy_from_environment: true, no_proxy: h}]",
            "if proxy_from_environment is configured, no_proxy must not be configured",
        ),
        (
            "scrape_configs: [{job_name: a, proxy_from_environment: true}]",
            "proxy_from_environment is not supported by ferrocol yet; set proxy_url",
        ),
        (
            "scrape_configs: [{job_name: a, proxy_connect_header: {X: [y]}}]",
            "if proxy_connect_header is configured, proxy_url or proxy_from_environment must also be configured",
        ),
        (
            "scrape_configs: [{job_name: a, proxy_url: 'socks5://p:1080'}]",
            r#"proxy_url "socks5://p:1080": only http:// and https:// proxies are supported by ferrocol"#,
        ),
        (
            "scrape_configs: [{job_name: a, ec2_sd_configs: [{region: x}]}]",
            r#"ec2_sd_configs is not supported by ferrocol yet (scrape config with job name "a"); supported: static_configs, file_sd_configs, kubernetes_sd_configs"#,
        ),
        (
            "scrape_configs: [{job_name: a, scrape_native_histograms: true}]",
            r#"the PrometheusProto scrape protocol (native histograms) is not supported by ferrocol yet (scrape config with job name "a")"#,
        ),
        (
            "scrape_configs: [{job_name: a, http_headers: {User-Agent: {values: [x]}}}]",
            "invalid http_headers: User-Agent is a reserved header. It must not be changed",
        ),
        (
            "scrape_configs: [{job_name: a, no_proxy: localhost}]",
            "if no_proxy is configured, proxy_url must also be configured",
        ),
    ];
    for (yaml, want) in cases {
        assert_eq!(&err(yaml), want, "{yaml}");
    }
}

#[test]
fn decoding_errors_name_the_path() {
    let e = parse("scrape_configs: [{job_name: a, scrape_interval: 1.5m}]").unwrap_err();
    assert!(
        e.contains("scrape_configs[0].scrape_interval")
            && e.contains(r#"not a valid duration string: "1.5m""#),
        "{e}"
    );
    let e = parse("scrape_configs: [{job_name: a, body_size_limit: 10kB}]").unwrap_err();
    assert!(
        e.contains("scrape_configs[0]") && e.contains("units: unknown unit kB in 10kB"),
        "{e}"
    );
    let e = parse("scrape_configs: [{job_name: a, scrape_intervall: 1m}]").unwrap_err();
    assert!(e.contains("scrape_intervall"), "{e}");
    let e = parse("global: {foo: 1}").unwrap_err();
    assert!(e.contains("foo"), "{e}");
}

#[test]
fn file_checks_use_the_receivers_messages() {
    let c =
        validate("scrape_configs: [{job_name: a, bearer_token_file: /nonexistent/token}]").unwrap();
    assert_eq!(
        c.check_files().unwrap_err(),
        r#"error checking authorization credentials file "/nonexistent/token": stat /nonexistent/token: no such file or directory"#
    );
    let c = validate(
        "scrape_configs: [{job_name: a, tls_config: {cert_file: /nonexistent/c.pem, key_file: /nonexistent/k.pem}}]",
    )
    .unwrap();
    assert_eq!(
        c.check_files().unwrap_err(),
        r#"error checking client cert file "/nonexistent/c.pem": stat /nonexistent/c.pem: no such file or directory"#
    );
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "t").unwrap();
    let c = validate(&format!(
        "scrape_configs: [{{job_name: a, authorization: {{credentials_file: {}}}}}]",
        token.display()
    ))
    .unwrap();
    c.check_files().unwrap();
}

#[test]
fn scrape_config_files_are_read_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("b.yml"),
        "scrape_configs:\n- job_name: from_b\n  static_configs: [{targets: ['h:2']}]\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("a.yml"),
        "scrape_configs:\n- job_name: from_a\n  scrape_interval: 7s\n",
    )
    .unwrap();
    let yaml = format!(
        "global: {{scrape_interval: 20s}}\nscrape_config_files: ['{}/*.yml']\nscrape_configs: [{{job_name: main}}]",
        dir.path().display()
    );
    let c = validate(&yaml).unwrap();
    let jobs = c.scrape_jobs().unwrap();
    let names: Vec<&str> = jobs.iter().map(|j| j.job_name.as_str()).collect();
    assert_eq!(names, ["main", "from_a", "from_b"]);
    assert_eq!(jobs[1].scrape_interval.to_string(), "7s");
    assert_eq!(
        jobs[2].scrape_interval.to_string(),
        "20s",
        "inherits global"
    );
    // A duplicate job name across files names where it was first found.
    std::fs::write(
        dir.path().join("c.yml"),
        "scrape_configs: [{job_name: main}]\n",
    )
    .unwrap();
    let e = c.scrape_jobs().unwrap_err();
    let file = dir.path().join("c.yml");
    assert_eq!(
        e,
        format!(
            r#""{}": found multiple scrape configs with job name "main", first found in main config file"#,
            file.display()
        )
    );
}

#[test]
fn oauth2_and_proxy_settings_reach_the_job() {
    let c = validate(
        "scrape_configs: [{job_name: a, scheme: https, proxy_url: 'https://u:p@proxy:3128', no_proxy: 'internal,10.0.0.0/8', proxy_connect_header: {X-Tenant: [t]}, oauth2: {client_id: id, client_secret_file: /run/secret, scopes: [a, b], token_url: 'https://idp/token', endpoint_params: {audience: x}, tls_config: {insecure_skip_verify: true}, proxy_url: 'http://proxy:3128'}}]",
    )
    .unwrap();
    let job = c.scrape_jobs().unwrap().remove(0);
    let o = job.oauth2.expect("oauth2");
    assert_eq!(o.client_id, "id");
    assert_eq!(o.scopes, ["a", "b"]);
    assert_eq!(o.endpoint_params["audience"], "x");
    assert_eq!(o.proxy_url, "http://proxy:3128");
    let p = job.proxy.expect("proxy");
    assert_eq!(p.uri.to_string(), "https://proxy:3128/");
    assert_eq!(p.authorization.as_ref().unwrap(), "Basic dTpw");
    assert_eq!(p.connect_headers["x-tenant"], "t");
    assert!(!p.applies_to(&"https://a.internal/metrics".parse().unwrap()));
    assert!(!p.applies_to(&"https://10.1.2.3:9100/metrics".parse().unwrap()));
    assert!(p.applies_to(&"https://example.com/metrics".parse().unwrap()));
    // Unknown oauth2 keys are refused like any other.
    let e =
        parse("scrape_configs: [{job_name: a, oauth2: {client_id: x, grant_typ: y}}]").unwrap_err();
    assert!(e.contains("grant_typ"), "{e}");
    // Kubernetes discovery has no oauth2: its HTTP client settings refuse the key.
    let e = parse(
        "scrape_configs: [{job_name: a, kubernetes_sd_configs: [{role: pod, oauth2: {client_id: x}}]}]",
    )
    .unwrap_err();
    assert!(e.contains("oauth2"), "{e}");
}
