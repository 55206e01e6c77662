//! `kubernetes_sd_configs` against a fake API server written here.
//!
//! This is a strict fake, because no real API server is available to the tests: it speaks
//! the parts of the Kubernetes API that discovery uses, as a real server does — LIST returns
//! `{"metadata":{"resourceVersion"},"items"}`; WATCH (`?watch=true&resourceVersion=N`)
//! replays the events after N and then streams new ones as newline-delimited JSON
//! (`{"type":"ADDED|MODIFIED|DELETED|BOOKMARK","object":...}`); a watch from a version older
//! than the compaction point gets an `ERROR` event with a `Status` of code 410, which forces
//! the client to LIST again. It refuses requests without the expected bearer token (401) and
//! records every request so the tests can check selectors and resume versions.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::body::Frame;
use hyper_util::rt::{TokioExecutor, TokioIo};
use prometheus::discovery::kubernetes::{Backoff, KubernetesDiscoverer, KubernetesSdConfig};
use prometheus::discovery::{
    Discoverer, PopulatedTarget, TargetDefaults, TargetGroup, populate_labels,
};
use prometheus::duration::PromDuration;
use prometheus::relabel::RelabelConfig;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

const TOKEN: &str = "fake-sa-token";

/// One event in a resource's history.
#[derive(Clone)]
struct HistoryEvent {
    rv: u64,
    kind: &'static str,
    object: Value,
}

#[derive(Default)]
struct Resource {
    objects: BTreeMap<String, Value>,
    history: Vec<HistoryEvent>,
    watchers: Vec<mpsc::UnboundedSender<Bytes>>,
}

#[derive(Default)]
struct FakeState {
    rv: u64,
    /// Watches from a version below this get `410 Gone`.
    compacted: u64,
    /// Keyed by the collection path, e.g. `/api/v1/namespaces/default/pods`.
    resources: BTreeMap<String, Resource>,
    requests: Vec<(String, Option<String>)>,
}

#[derive(Clone, Default)]
struct FakeApi {
    state: Arc<Mutex<FakeState>>,
}

fn line(kind: &str, object: &Value) -> Bytes {
    let mut s = serde_json::to_vec(&json!({"type": kind, "object": object})).expect("json");
    s.push(b'\n');
    Bytes::from(s)
}

impl FakeApi {
    /// Adds, changes (`MODIFIED` when it exists) or deletes an object and notifies watchers.
    fn apply(&self, collection: &str, kind: &'static str, mut object: Value) {
        let mut st = self.state.lock().expect("lock");
        st.rv += 1;
        let rv = st.rv;
        object["metadata"]["resourceVersion"] = json!(rv.to_string());
        let name = object["metadata"]["name"]
            .as_str()
            .expect("name")
            .to_string();
        let res = st.resources.entry(collection.to_string()).or_default();
        let kind = match kind {
            "DELETED" => {
                res.objects.remove(&name);
                "DELETED"
            }
            _ if res.objects.contains_key(&name) => {
                res.objects.insert(name, object.clone());
                "MODIFIED"
            }
            _ => {
                res.objects.insert(name, object.clone());
                "ADDED"
            }
        };
        res.history.push(HistoryEvent {
            rv,
            kind,
            object: object.clone(),
        });
        let l = line(kind, &object);
        res.watchers.retain(|w| w.send(l.clone()).is_ok());
    }

    /// Deletes an object without telling anyone (a change missed while disconnected), closes
    /// every watch and compacts history, so the next watch must relist.
    fn compact_and_drop_watches(&self, collection: &str, silently_delete: &str) {
        let mut st = self.state.lock().expect("lock");
        st.rv += 1;
        st.compacted = st.rv;
        let res = st.resources.entry(collection.to_string()).or_default();
        res.objects.remove(silently_delete);
        res.history.clear();
        res.watchers.clear();
    }

    fn requests(&self) -> Vec<(String, Option<String>)> {
        self.state.lock().expect("lock").requests.clone()
    }

    async fn handle(
        &self,
        req: hyper::Request<hyper::body::Incoming>,
    ) -> hyper::Response<BoxBody<Bytes, Infallible>> {
        let path = req.uri().path().to_string();
        let query: BTreeMap<String, String> = req
            .uri()
            .query()
            .unwrap_or("")
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let auth = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let mut st = self.state.lock().expect("lock");
        st.requests.push((
            req.uri()
                .path_and_query()
                .map(|p| p.to_string())
                .unwrap_or_default(),
            auth.clone(),
        ));
        if auth.as_deref() != Some(&format!("Bearer {TOKEN}")) {
            return full(
                401,
                json!({"kind": "Status", "code": 401, "message": "Unauthorized"}),
            );
        }
        let current_rv = st.rv;
        let compacted = st.compacted;
        let res = st.resources.entry(path).or_default();
        if query.get("watch").map(String::as_str) != Some("true") {
            let items: Vec<Value> = res.objects.values().cloned().collect();
            return full(
                200,
                json!({"kind": "List", "metadata": {"resourceVersion": current_rv.to_string()}, "items": items}),
            );
        }
        let from: u64 = query
            .get("resourceVersion")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let (tx, rx) = mpsc::unbounded_channel::<Bytes>();
        if from < compacted {
            let status = json!({"kind": "Status", "status": "Failure", "reason": "Expired",
                "message": format!("too old resource version: {from} ({compacted})"), "code": 410});
            tx.send(line("ERROR", &status)).expect("send");
            drop(tx);
        } else {
            for ev in res.history.iter().filter(|e| e.rv > from) {
                tx.send(line(ev.kind, &ev.object)).expect("send");
            }
            // A bookmark, as servers send when asked with allowWatchBookmarks.
            if query.get("allowWatchBookmarks").map(String::as_str) == Some("true") {
                let bm =
                    json!({"kind": "Pod", "metadata": {"resourceVersion": current_rv.to_string()}});
                tx.send(line("BOOKMARK", &bm)).expect("send");
            }
            res.watchers.push(tx);
        }
        let stream = futures::stream::unfold(rx, |mut rx| async move {
            rx.recv()
                .await
                .map(|b| (Ok::<_, Infallible>(Frame::data(b)), rx))
        });
        hyper::Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(BodyExt::boxed(StreamBody::new(stream)))
            .expect("response")
    }

    /// Serves on a free loopback port; returns `http://127.0.0.1:<port>`.
    async fn serve(&self) -> String {
        format!("http://{}", self.serve_with(None).await)
    }

    /// Serves HTTPS with this certificate and key (PEM); returns `https://127.0.0.1:<port>`.
    async fn serve_tls(&self, cert_pem: &str, key_pem: &str) -> String {
        use rustls_pki_types::pem::PemObject as _;
        let certs = rustls_pki_types::CertificateDer::pem_slice_iter(cert_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .expect("certs");
        let key = rustls_pki_types::PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).expect("key");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("server config");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        format!("https://{}", self.serve_with(Some(acceptor)).await)
    }

    async fn serve_with(&self, tls: Option<tokio_rustls::TlsAcceptor>) -> std::net::SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let api = self.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let api = api.clone();
                let tls = tls.clone();
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req| {
                        let api = api.clone();
                        async move { Ok::<_, Infallible>(api.handle(req).await) }
                    });
                    let builder =
                        hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                    match tls {
                        None => {
                            let _ = builder.serve_connection(TokioIo::new(stream), svc).await;
                        }
                        Some(acceptor) => {
                            // A client that rejects our certificate just fails the handshake.
                            if let Ok(stream) = acceptor.accept(stream).await {
                                let _ = builder.serve_connection(TokioIo::new(stream), svc).await;
                            }
                        }
                    }
                });
            }
        });
        addr
    }
}

fn full(status: u16, body: Value) -> hyper::Response<BoxBody<Bytes, Infallible>> {
    hyper::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(BodyExt::boxed(Full::new(Bytes::from(body.to_string()))))
        .expect("response")
}

fn pod(name: &str, node: &str, ip: &str) -> Value {
    json!({
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "uid": format!("uid-{name}"),
                     "labels": {"app": "node-exporter"}},
        "spec": {"nodeName": node, "containers": [
            {"name": "exporter", "image": "prom/node-exporter", "ports": [{"name": "metrics", "containerPort": 9100, "protocol": "TCP"}]}
        ]},
        "status": {"phase": "Running", "podIP": ip, "hostIP": "192.168.0.1",
                   "conditions": [{"type": "Ready", "status": "True"}]}
    })
}

const PODS: &str = "/api/v1/namespaces/default/pods";

async fn next(rx: &mut mpsc::Receiver<Vec<TargetGroup>>) -> Vec<TargetGroup> {
    tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .expect("an update arrives in time")
        .expect("the discoverer runs")
}

fn by_source(groups: &[TargetGroup]) -> BTreeMap<&str, &TargetGroup> {
    groups.iter().map(|g| (g.source.as_str(), g)).collect()
}

fn defaults() -> TargetDefaults {
    TargetDefaults {
        job_name: "kubernetes-pods".into(),
        scrape_interval: PromDuration::from_secs(60),
        scrape_timeout: PromDuration::from_secs(10),
        metrics_path: "/metrics".into(),
        scheme: "http".into(),
        params: vec![],
    }
}

/// The seed's DaemonSet rule: keep only targets on this collector's node.
fn keep_own_node(node: &str) -> Vec<RelabelConfig> {
    let yaml = format!(
        "- action: keep\n  regex: {node}\n  source_labels: [__meta_kubernetes_pod_node_name]\n"
    );
    let n = confmap::parse_yaml(&yaml).expect("yaml").expect("doc");
    confmap::decode(&n).expect("relabel config")
}

/// Active targets' `instance` labels after relabelling, across the groups currently known.
fn active_instances(known: &BTreeMap<String, TargetGroup>, rules: &[RelabelConfig]) -> Vec<String> {
    let mut out = Vec::new();
    for g in known.values() {
        for t in &g.targets {
            if let PopulatedTarget::Active { labels, .. } =
                populate_labels(t, &g.labels, &defaults(), rules).expect("valid target")
            {
                out.push(labels["instance"].clone());
            }
        }
    }
    out.sort();
    out
}

fn remember(known: &mut BTreeMap<String, TargetGroup>, update: Vec<TargetGroup>) {
    for g in update {
        if g.targets.is_empty() {
            known.remove(&g.source);
        } else {
            known.insert(g.source.clone(), g);
        }
    }
}

fn config(base: &str, yaml_extra: &str) -> KubernetesSdConfig {
    let yaml = format!(
        "role: pod\napi_server: '{base}'\nauthorization: {{credentials: {TOKEN}}}\nnamespaces: {{names: [default]}}\n{yaml_extra}"
    );
    let n = confmap::parse_yaml(&yaml).expect("yaml").expect("doc");
    let c: KubernetesSdConfig = confmap::decode(&n).expect("config decodes");
    c.validate().expect("config is valid");
    c
}

fn start(cfg: &KubernetesSdConfig) -> (mpsc::Receiver<Vec<TargetGroup>>, CancellationToken) {
    let fast = Backoff {
        initial: Duration::from_millis(20),
        max: Duration::from_millis(200),
    };
    let d = KubernetesDiscoverer::from_config(cfg)
        .expect("discoverer")
        .with_backoff(fast);
    let (tx, rx) = mpsc::channel(16);
    let cancel = CancellationToken::new();
    tokio::spawn(Box::new(d).run(tx, cancel.clone()));
    (rx, cancel)
}

#[tokio::test]
async fn daemonset_keeps_only_its_nodes_pods_through_list_watch_and_relist() {
    let api = FakeApi::default();
    api.apply(PODS, "ADDED", pod("exporter-a", "node-a", "10.0.0.1"));
    api.apply(PODS, "ADDED", pod("exporter-b", "node-b", "10.0.0.2"));
    api.apply(PODS, "ADDED", pod("app-a", "node-a", "10.0.0.3"));
    let base = api.serve().await;
    let cfg = config(
        &base,
        "selectors: [{role: pod, field: 'status.phase=Running', label: 'app in (node-exporter)'}]\n",
    );
    let (mut rx, cancel) = start(&cfg);
    let rules = keep_own_node("node-a");
    let mut known = BTreeMap::new();

    // LIST: every pod, one group each.
    let first = next(&mut rx).await;
    assert_eq!(first.len(), 3);
    let groups = by_source(&first);
    let a = groups["pod/default/exporter-a"];
    assert_eq!(a.labels["__meta_kubernetes_pod_node_name"], "node-a");
    assert_eq!(a.labels["__meta_kubernetes_namespace"], "default");
    assert_eq!(a.labels["__meta_kubernetes_pod_label_app"], "node-exporter");
    assert_eq!(a.labels["__meta_kubernetes_pod_ready"], "true");
    assert_eq!(a.targets[0]["__address__"], "10.0.0.1:9100");
    assert_eq!(
        a.targets[0]["__meta_kubernetes_pod_container_port_number"],
        "9100"
    );
    remember(&mut known, first);
    assert_eq!(
        active_instances(&known, &rules),
        ["10.0.0.1:9100", "10.0.0.3:9100"]
    );

    // WATCH: an added pod on our node, a pod moving to our node, a deleted pod.
    api.apply(PODS, "ADDED", pod("exporter-a2", "node-a", "10.0.0.4"));
    let u = next(&mut rx).await;
    assert_eq!(u.len(), 1);
    assert_eq!(u[0].source, "pod/default/exporter-a2");
    remember(&mut known, u);
    api.apply(PODS, "MODIFIED", pod("exporter-b", "node-a", "10.0.0.2"));
    remember(&mut known, next(&mut rx).await);
    assert_eq!(
        active_instances(&known, &rules),
        [
            "10.0.0.1:9100",
            "10.0.0.2:9100",
            "10.0.0.3:9100",
            "10.0.0.4:9100"
        ]
    );
    api.apply(PODS, "DELETED", pod("app-a", "node-a", "10.0.0.3"));
    let u = next(&mut rx).await;
    assert_eq!(u[0].source, "pod/default/app-a");
    assert!(
        u[0].targets.is_empty(),
        "a deleted pod's group is sent empty"
    );
    remember(&mut known, u);

    // The server drops the watch and compacts; a pod vanished meanwhile without an event.
    // The client resumes from its version, gets 410 Gone, LISTs again and notices.
    api.compact_and_drop_watches(PODS, "exporter-a2");
    let mut relisted = Vec::new();
    while !relisted
        .iter()
        .any(|g: &TargetGroup| g.source == "pod/default/exporter-a2")
    {
        relisted.extend(next(&mut rx).await);
    }
    let gone = relisted
        .iter()
        .find(|g| g.source == "pod/default/exporter-a2")
        .expect("sent");
    assert!(gone.targets.is_empty());
    remember(&mut known, relisted);
    assert_eq!(
        active_instances(&known, &rules),
        ["10.0.0.1:9100", "10.0.0.2:9100"]
    );
    assert_eq!(
        active_instances(&known, &keep_own_node("node-b")),
        Vec::<String>::new()
    );

    // And the watch resumes after the relist.
    api.apply(PODS, "ADDED", pod("exporter-b2", "node-b", "10.0.0.9"));
    let u = next(&mut rx).await;
    assert_eq!(u[0].source, "pod/default/exporter-b2");
    cancel.cancel();

    let reqs = api.requests();
    assert!(
        reqs.iter()
            .all(|(_, auth)| auth.as_deref() == Some("Bearer fake-sa-token"))
    );
    let lists: Vec<&String> = reqs
        .iter()
        .map(|(p, _)| p)
        .filter(|p| !p.contains("watch=true"))
        .collect();
    assert!(
        lists.len() >= 2,
        "listed, then relisted after 410: {reqs:?}"
    );
    assert!(
        lists[0].starts_with(
            "/api/v1/namespaces/default/pods?labelSelector=app%20in%20%28node-exporter%29&fieldSelector=status.phase%3DRunning"
        ),
        "{}",
        lists[0]
    );
    let watches: Vec<&String> = reqs
        .iter()
        .map(|(p, _)| p)
        .filter(|p| p.contains("watch=true"))
        .collect();
    assert!(
        watches[0].contains("resourceVersion=3"),
        "watch resumes from the list's version: {}",
        watches[0]
    );
    assert!(watches.len() >= 2);
}

#[tokio::test]
async fn wrong_credentials_are_retried_not_fatal() {
    let api = FakeApi::default();
    api.apply(PODS, "ADDED", pod("p", "node-a", "10.0.0.1"));
    let base = api.serve().await;
    let yaml = format!("role: pod\napi_server: '{base}'\nbearer_token: wrong\n");
    let n = confmap::parse_yaml(&yaml).expect("yaml").expect("doc");
    let cfg: KubernetesSdConfig = confmap::decode(&n).expect("decodes");
    let (mut rx, cancel) = start(&cfg);
    // The discoverer keeps trying (401 is logged and retried, as Prometheus' informers do)...
    tokio::time::timeout(Duration::from_secs(30), async {
        while api.requests().len() < 3 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("LIST is retried");
    // ...and sends nothing while no LIST has succeeded.
    assert!(matches!(
        rx.try_recv(),
        Err(mpsc::error::TryRecvError::Empty)
    ));
    assert!(
        api.requests()
            .iter()
            .all(|(p, _)| p.starts_with("/api/v1/pods?")),
        "all namespaces"
    );
    cancel.cancel();
}

#[tokio::test]
async fn endpoints_role_joins_services_and_pods() {
    let api = FakeApi::default();
    let ns = "/api/v1/namespaces/default";
    api.apply(
        &format!("{ns}/pods"),
        "ADDED",
        pod("exporter-a", "node-a", "10.0.0.1"),
    );
    api.apply(
        &format!("{ns}/services"),
        "ADDED",
        json!({"kind": "Service", "metadata": {"name": "exporters", "namespace": "default", "labels": {"team": "obs"}},
               "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.5", "ports": [{"name": "metrics", "port": 9100, "protocol": "TCP"}]}}),
    );
    let endpoints = |ip: &str, pod_name: &str| {
        json!({"kind": "Endpoints", "metadata": {"name": "exporters", "namespace": "default"},
               "subsets": [{"addresses": [{"ip": ip, "nodeName": "node-a",
                    "targetRef": {"kind": "Pod", "namespace": "default", "name": pod_name}}],
                    "ports": [{"name": "metrics", "port": 9100, "protocol": "TCP"}]}]})
    };
    api.apply(
        &format!("{ns}/endpoints"),
        "ADDED",
        endpoints("10.0.0.1", "exporter-a"),
    );
    let base = api.serve().await;
    let yaml = format!(
        "role: endpoints\napi_server: '{base}'\nbearer_token: {TOKEN}\nnamespaces: {{names: [default]}}\n"
    );
    let n = confmap::parse_yaml(&yaml).expect("yaml").expect("doc");
    let cfg: KubernetesSdConfig = confmap::decode(&n).expect("decodes");
    let (mut rx, cancel) = start(&cfg);
    let first = next(&mut rx).await;
    assert_eq!(first.len(), 1);
    let g = &first[0];
    assert_eq!(g.source, "endpoints/default/exporters");
    assert_eq!(g.labels["__meta_kubernetes_service_label_team"], "obs");
    let t = &g.targets[0];
    assert_eq!(t["__address__"], "10.0.0.1:9100");
    assert_eq!(t["__meta_kubernetes_endpoint_node_name"], "node-a");
    assert_eq!(t["__meta_kubernetes_pod_name"], "exporter-a");

    // The seed's rule on __meta_kubernetes_endpoint_node_name.
    let rule = confmap::parse_yaml(
        "- {action: keep, regex: node-b, source_labels: [__meta_kubernetes_endpoint_node_name]}\n",
    )
    .expect("yaml")
    .expect("doc");
    let rules: Vec<RelabelConfig> = confmap::decode(&rule).expect("rules");
    let out = populate_labels(t, &g.labels, &defaults(), &rules).expect("valid");
    assert!(matches!(out, PopulatedTarget::Dropped { .. }));

    // A service label change re-sends the endpoints group.
    api.apply(
        &format!("{ns}/services"),
        "MODIFIED",
        json!({"kind": "Service", "metadata": {"name": "exporters", "namespace": "default", "labels": {"team": "sre"}},
               "spec": {"type": "ClusterIP", "ports": []}}),
    );
    let u = next(&mut rx).await;
    assert_eq!(u[0].source, "endpoints/default/exporters");
    assert_eq!(u[0].labels["__meta_kubernetes_service_label_team"], "sre");
    // A pod change too.
    let mut p = pod("exporter-a", "node-a", "10.0.0.1");
    p["metadata"]["labels"]["version"] = json!("2");
    api.apply(&format!("{ns}/pods"), "MODIFIED", p);
    let u = next(&mut rx).await;
    assert_eq!(u[0].targets[0]["__meta_kubernetes_pod_label_version"], "2");
    cancel.cancel();
}

/// A CA and a server certificate for `localhost`, signed by it.
fn pki() -> (String, String, String) {
    let ca_key = rcgen::KeyPair::generate().expect("key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).expect("ca");
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().expect("key");
    let params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).expect("params");
    let cert = params.signed_by(&key, &issuer).expect("cert");
    (ca.pem(), cert.pem(), key.serialize_pem())
}

#[tokio::test]
async fn https_with_ca_file_server_name_and_token_file() {
    let (ca, cert, key) = pki();
    let dir = tempfile::tempdir().expect("tempdir");
    let ca_file = dir.path().join("ca.crt");
    std::fs::write(&ca_file, &ca).expect("write ca");
    let token_file = dir.path().join("token");
    // A trailing newline, as mounted service-account tokens have; it is trimmed.
    std::fs::write(&token_file, format!("{TOKEN}\n")).expect("write token");

    let api = FakeApi::default();
    api.apply(PODS, "ADDED", pod("secure", "node-a", "10.0.0.7"));
    let base = api.serve_tls(&cert, &key).await;
    let ok = format!(
        "role: pod\napi_server: '{base}'\nbearer_token_file: {}\ntls_config: {{ca_file: {}, server_name: localhost}}\nnamespaces: {{names: [default]}}\n",
        token_file.display(),
        ca_file.display()
    );
    let n = confmap::parse_yaml(&ok).expect("yaml").expect("doc");
    let cfg: KubernetesSdConfig = confmap::decode(&n).expect("decodes");
    cfg.validate().expect("valid");
    let (mut rx, cancel) = start(&cfg);
    let first = next(&mut rx).await;
    assert_eq!(first[0].source, "pod/default/secure");
    cancel.cancel();

    // Without the CA the server is not trusted: nothing is delivered and no request gets
    // through (the handshake fails); the discoverer keeps retrying.
    let untrusted = format!(
        "role: pod\napi_server: '{base}'\nbearer_token_file: {}\ntls_config: {{server_name: localhost}}\n",
        token_file.display()
    );
    let n = confmap::parse_yaml(&untrusted).expect("yaml").expect("doc");
    let cfg: KubernetesSdConfig = confmap::decode(&n).expect("decodes");
    let (mut rx, cancel) = start(&cfg);
    let waited = tokio::time::timeout(Duration::from_millis(300), rx.recv()).await;
    assert!(waited.is_err(), "an untrusted server yields no targets");
    // This client watches all namespaces (`/api/v1/pods`); the first one only `default`.
    assert!(
        api.requests()
            .iter()
            .all(|(p, _)| !p.starts_with("/api/v1/pods")),
        "no request got through TLS: {:?}",
        api.requests()
    );
    cancel.cancel();
}
