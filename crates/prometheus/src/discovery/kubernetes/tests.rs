//! Config decoding and validation (Prometheus' messages).

use super::*;

fn decode(yaml: &str) -> Result<KubernetesSdConfig, String> {
    let node = confmap::parse_yaml(yaml)
        .map_err(|e| e.to_string())?
        .ok_or("empty")?;
    let c: KubernetesSdConfig = confmap::decode(&node).map_err(|e| e.to_string())?;
    c.validate()?;
    Ok(c)
}

#[test]
fn decodes_every_supported_key() {
    let c = decode(
        "role: endpoints\napi_server: 'https://k8s:6443'\nbearer_token_file: /tmp/t\ntls_config: {ca_file: /tmp/ca, insecure_skip_verify: true}\nnamespaces: {names: [a, b]}\nselectors:\n- {role: pod, label: 'app=x', field: 'spec.nodeName=n1'}\n- {role: service, label: 'tier=web'}\nattach_metadata: {node: true}\nfollow_redirects: false\n",
    )
    .expect("valid");
    assert_eq!(c.role(), Role::Endpoints);
    assert_eq!(c.namespaces.names, ["a", "b"]);
    assert!(c.attach_metadata.node);
    assert_eq!(c.selectors[0].field, "spec.nodeName=n1");
    let http = c.http_client_config();
    assert_eq!(http.bearer_token_file, "/tmp/t");
    assert!(http.tls_config.insecure_skip_verify);
    assert!(!http.follow_redirects);
    assert!(http.enable_http2, "defaults to true");
}

#[test]
fn prometheus_messages() {
    let cases = [
        (
            "api_server: 'https://x'\n",
            "role missing (one of: pod, service, endpoints, endpointslice, node, ingress)",
        ),
        ("role: pods\n", r#"unknown Kubernetes SD role "pods""#),
        (
            "role: pod\napi_server: 'https://x'\nkubeconfig_file: /k\n",
            "cannot use 'kubeconfig_file' and 'api_server' simultaneously",
        ),
        (
            "role: pod\nkubeconfig_file: /k\nbearer_token: t\n",
            "cannot use a custom HTTP client configuration together with 'kubeconfig_file'",
        ),
        (
            "role: pod\nbearer_token: t\n",
            "to use custom HTTP client configuration please provide the 'api_server' URL explicitly",
        ),
        (
            "role: pod\napi_server: 'https://x'\nnamespaces: {own_namespace: true}\n",
            "cannot use 'api_server' and 'namespaces.own_namespace' simultaneously",
        ),
        (
            "role: pod\nkubeconfig_file: /k\nnamespaces: {own_namespace: true}\n",
            "cannot use 'kubeconfig_file' and 'namespaces.own_namespace' simultaneously",
        ),
        (
            "role: pod\nselectors: [{role: pod}, {role: pod}]\n",
            "duplicated selector role: pod",
        ),
        (
            "role: pod\nselectors: [{role: node}]\n",
            "pod role supports only pod selectors",
        ),
        (
            "role: endpoints\nselectors: [{role: node}]\n",
            "endpoints role supports only pod, service, endpoints selectors",
        ),
        (
            "role: pod\napi_server: 'https://x'\nbearer_token: a\nbearer_token_file: b\n",
            "at most one of bearer_token & bearer_token_file must be configured",
        ),
        (
            "role: pod\napi_server: 'https://x'\nbearer_token: a\nauthorization: {credentials: b}\n",
            "authorization is not compatible with bearer_token & bearer_token_file",
        ),
        (
            "role: pod\napi_server: 'https://x'\nauthorization: {type: Basic, credentials: b}\n",
            r#"authorization type cannot be set to "basic", use "basic_auth" instead"#,
        ),
        (
            "role: pod\napi_server: 'https://x'\ntls_config: {cert_file: /c}\n",
            "exactly one of key or key_file must be configured when a client certificate is configured",
        ),
    ];
    for (yaml, want) in cases {
        let got = decode(yaml).expect_err(yaml);
        assert!(got.contains(want), "{yaml}: got {got:?}, want {want:?}");
    }
}

#[test]
fn unknown_keys_are_refused() {
    for yaml in [
        "role: pod\nproxy_url: 'http://p'\n",
        "role: pod\nattach_metadata: {deployment: true}\n",
        "role: pod\nnamespaces: {name: [a]}\n",
    ] {
        assert!(decode(yaml).is_err(), "{yaml}");
    }
}

#[test]
fn in_cluster_needs_the_service_environment() {
    // The test process is not in a pod; a missing KUBERNETES_SERVICE_HOST is reported as
    // client-go does (if the variables happen to be set, the token file is still missing).
    let err = KubernetesSdConfig::new(Role::Pod)
        .discoverer()
        .err()
        .expect("no cluster");
    assert!(
        err.contains("KUBERNETES_SERVICE_HOST") || err.contains(client::SERVICE_ACCOUNT_TOKEN),
        "{err}"
    );
}
