//! The Kubernetes discoverer: starts the reflectors a role needs, keeps their objects, and
//! turns every change into the target groups it affects.

use std::collections::{BTreeMap, BTreeSet};

use futures::FutureExt as _;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::client::ApiClient;
use super::objects::{EndpointSlice, Endpoints, Ingress, KubeObject, Node, Pod, Service};
use super::targets::{self, Stores};
use super::watch::{Backoff, Event, Resource, reflect};
use super::{KubernetesSdConfig, Role};
use crate::discovery::{Discoverer, DiscoveryErrors, TargetGroup};

/// A change from one reflector, tagged with the reflector's index and namespace scope.
enum Change {
    Pod(Event<Pod>),
    Node(Event<Node>),
    Service(Event<Service>),
    Endpoints(Event<Endpoints>),
    EndpointSlice(Event<EndpointSlice>),
    Ingress(Event<Ingress>),
}

struct Tagged {
    reflector: usize,
    scope: Option<String>,
    change: Change,
}

/// Which kind a reflector watches.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Pod,
    Node,
    Service,
    Endpoints,
    EndpointSlice,
    Ingress,
}

impl Kind {
    fn resource(self) -> (&'static str, &'static str, Role) {
        match self {
            Kind::Pod => ("/api/v1", "pods", Role::Pod),
            Kind::Node => ("/api/v1", "nodes", Role::Node),
            Kind::Service => ("/api/v1", "services", Role::Service),
            Kind::Endpoints => ("/api/v1", "endpoints", Role::Endpoints),
            Kind::EndpointSlice => (
                "/apis/discovery.k8s.io/v1",
                "endpointslices",
                Role::EndpointSlice,
            ),
            Kind::Ingress => ("/apis/networking.k8s.io/v1", "ingresses", Role::Ingress),
        }
    }
}

/// The discoverer of one `kubernetes_sd_configs` entry.
pub struct KubernetesDiscoverer {
    client: ApiClient,
    role: Role,
    namespaces: Vec<String>,
    selectors: BTreeMap<Role, (String, String)>,
    attach_node: bool,
    backoff: Backoff,
    /// Every failed LIST or WATCH is reported here (mechanism `kubernetes`).
    errors: DiscoveryErrors,
}

impl KubernetesDiscoverer {
    /// Validates `cfg` and resolves how to reach the API server.
    pub fn from_config(cfg: &KubernetesSdConfig) -> Result<Self, String> {
        cfg.validate()?;
        let client = ApiClient::from_config(cfg)?;
        let namespaces = cfg.namespaces_to_watch()?;
        Ok(Self::new(client, cfg, namespaces))
    }

    fn new(client: ApiClient, cfg: &KubernetesSdConfig, namespaces: Vec<String>) -> Self {
        KubernetesDiscoverer {
            client,
            role: cfg.role(),
            namespaces,
            selectors: cfg
                .selectors
                .iter()
                .map(|s| (s.role, (s.label.clone(), s.field.clone())))
                .collect(),
            attach_node: cfg.attach_metadata.node,
            backoff: Backoff::default(),
            errors: DiscoveryErrors::default(),
        }
    }

    /// Retries failed requests with this pacing instead of client-go's.
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// The kinds to watch for the role; the first is the one targets come from.
    fn kinds(&self) -> Vec<Kind> {
        let mut kinds = match self.role {
            Role::Node => vec![Kind::Node],
            Role::Pod => vec![Kind::Pod],
            Role::Service => vec![Kind::Service],
            Role::Endpoints => vec![Kind::Endpoints, Kind::Service, Kind::Pod],
            Role::EndpointSlice => vec![Kind::EndpointSlice, Kind::Service, Kind::Pod],
            Role::Ingress => vec![Kind::Ingress],
        };
        let uses_nodes = matches!(self.role, Role::Pod | Role::Endpoints | Role::EndpointSlice);
        if self.attach_node && uses_nodes {
            kinds.push(Kind::Node);
        }
        kinds
    }

    fn spawn_reflectors(&self, tx: &mpsc::Sender<Tagged>, cancel: &CancellationToken) -> usize {
        let mut count = 0;
        for kind in self.kinds() {
            let (api, plural, selector_role) = kind.resource();
            let (label, field) = self
                .selectors
                .get(&selector_role)
                .cloned()
                .unwrap_or_default();
            // Nodes are cluster-scoped; everything else is watched per configured namespace.
            let scopes: Vec<Option<String>> = if kind == Kind::Node || self.namespaces.is_empty() {
                vec![None]
            } else {
                self.namespaces.iter().cloned().map(Some).collect()
            };
            for scope in scopes {
                let resource = Resource {
                    api,
                    plural,
                    namespace: scope.clone(),
                    label_selector: label.clone(),
                    field_selector: field.clone(),
                };
                let index = count;
                count += 1;
                let args = (
                    self.client.clone(),
                    resource,
                    cancel.clone(),
                    self.backoff,
                    self.errors.clone(),
                );
                let out = tx.clone();
                match kind {
                    Kind::Pod => spawn(args, out, index, scope, Change::Pod),
                    Kind::Node => spawn(args, out, index, scope, Change::Node),
                    Kind::Service => spawn(args, out, index, scope, Change::Service),
                    Kind::Endpoints => spawn(args, out, index, scope, Change::Endpoints),
                    Kind::EndpointSlice => spawn(args, out, index, scope, Change::EndpointSlice),
                    Kind::Ingress => spawn(args, out, index, scope, Change::Ingress),
                }
            }
        }
        count
    }
}

/// What one reflector needs: the client, what to watch, when to stop, how to retry, and where
/// to count its failures.
type Reflector = (
    ApiClient,
    Resource,
    CancellationToken,
    Backoff,
    DiscoveryErrors,
);

/// Runs one reflector, forwarding its events tagged.
fn spawn<T: KubeObject>(
    (client, resource, cancel, backoff, errors): Reflector,
    out: mpsc::Sender<Tagged>,
    reflector: usize,
    scope: Option<String>,
    wrap: fn(Event<T>) -> Change,
) {
    let (tx, mut rx) = mpsc::channel::<Event<T>>(64);
    tokio::spawn(reflect(client, resource, tx, cancel, backoff, errors));
    tokio::spawn(async move {
        while let Some(ev) = rx.recv().await {
            let tagged = Tagged {
                reflector,
                scope: scope.clone(),
                change: wrap(ev),
            };
            if out.send(tagged).await.is_err() {
                return;
            }
        }
    });
}

impl Discoverer for KubernetesDiscoverer {
    fn run(
        self: Box<Self>,
        updates: mpsc::Sender<Vec<TargetGroup>>,
        cancel: CancellationToken,
    ) -> futures::future::BoxFuture<'static, ()> {
        async move {
            // Reflectors stop with this token, also when run() returns for another reason.
            let cancel = cancel.child_token();
            let _stop = cancel.clone().drop_guard();
            let (tx, mut rx) = mpsc::channel::<Tagged>(256);
            let reflectors = self.spawn_reflectors(&tx, &cancel);
            drop(tx);
            let mut state = State {
                role: self.role,
                attach_node: self.attach_node,
                stores: Stores::default(),
            };
            let mut synced = BTreeSet::new();
            let mut initial_sent = false;
            loop {
                let first = tokio::select! {
                    _ = cancel.cancelled() => return,
                    m = rx.recv() => match m { Some(m) => m, None => return },
                };
                // Apply everything already queued before computing groups.
                let mut affected = BTreeSet::new();
                let mut batch = vec![first];
                while let Ok(m) = rx.try_recv() {
                    batch.push(m);
                }
                for m in batch {
                    if matches!(
                        &m.change,
                        Change::Pod(Event::Replace(_))
                            | Change::Node(Event::Replace(_))
                            | Change::Service(Event::Replace(_))
                            | Change::Endpoints(Event::Replace(_))
                            | Change::EndpointSlice(Event::Replace(_))
                            | Change::Ingress(Event::Replace(_))
                    ) {
                        synced.insert(m.reflector);
                    }
                    state.apply(m.scope.as_deref(), m.change, &mut affected);
                }
                let groups = if !initial_sent {
                    // As client-go's WaitForCacheSync: nothing until every reflector listed;
                    // then everything, even if that is nothing.
                    if synced.len() < reflectors {
                        continue;
                    }
                    initial_sent = true;
                    state.all_groups()
                } else {
                    let groups: Vec<TargetGroup> =
                        affected.iter().filter_map(|k| state.group(k)).collect();
                    if groups.is_empty() {
                        continue;
                    }
                    groups
                };
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    r = updates.send(groups) => if r.is_err() { return },
                }
            }
        }
        .boxed()
    }

    fn report_errors_to(&mut self, errors: DiscoveryErrors) {
        self.errors = errors;
    }
}

/// The objects seen so far and how they map to groups.
struct State {
    role: Role,
    attach_node: bool,
    stores: Stores,
}

/// Applies an event to a store; returns the keys that were touched.
fn apply_event<T: KubeObject>(
    store: &mut BTreeMap<String, T>,
    scope: Option<&str>,
    ev: Event<T>,
) -> Vec<String> {
    match ev {
        Event::Apply(o) => {
            let k = o.key();
            store.insert(k.clone(), o);
            vec![k]
        }
        Event::Delete(o) => {
            let k = o.key();
            store.remove(&k);
            vec![k]
        }
        Event::Replace(items) => {
            // Only the reflector's own namespace is replaced: stores hold several scopes.
            let in_scope = |k: &str| match scope {
                None => true,
                Some(ns) => k.split_once('/').is_some_and(|(n, _)| n == ns),
            };
            let mut touched: Vec<String> = store.keys().filter(|k| in_scope(k)).cloned().collect();
            store.retain(|k, _| !in_scope(k));
            for o in items {
                let k = o.key();
                touched.push(k.clone());
                store.insert(k, o);
            }
            touched
        }
    }
}

impl State {
    fn apply(&mut self, scope: Option<&str>, change: Change, affected: &mut BTreeSet<String>) {
        let s = &mut self.stores;
        match change {
            Change::Pod(ev) => {
                let keys = apply_event(&mut s.pods, scope, ev);
                match self.role {
                    Role::Pod => affected.extend(keys),
                    Role::Endpoints => {
                        for k in keys {
                            affected.extend(endpoints_referencing(&s.endpoints, &k));
                        }
                    }
                    Role::EndpointSlice => {
                        for k in keys {
                            affected.extend(slices_referencing(&s.endpoint_slices, &k));
                        }
                    }
                    _ => {}
                }
            }
            Change::Node(ev) => {
                let keys = apply_event(&mut s.nodes, scope, ev);
                match self.role {
                    Role::Node => affected.extend(keys),
                    Role::Pod if self.attach_node => {
                        let names: BTreeSet<String> = keys.into_iter().collect();
                        affected.extend(
                            s.pods
                                .iter()
                                .filter(|(_, p)| names.contains(&p.spec.node_name))
                                .map(|(k, _)| k.clone()),
                        );
                    }
                    Role::Endpoints if self.attach_node => {
                        affected.extend(s.endpoints.keys().cloned());
                    }
                    Role::EndpointSlice if self.attach_node => {
                        affected.extend(s.endpoint_slices.keys().cloned());
                    }
                    _ => {}
                }
            }
            Change::Service(ev) => {
                let keys = apply_event(&mut s.services, scope, ev);
                match self.role {
                    Role::Service => affected.extend(keys),
                    // Endpoints share their service's namespace/name.
                    Role::Endpoints => affected.extend(keys),
                    Role::EndpointSlice => {
                        let keys: BTreeSet<String> = keys.into_iter().collect();
                        affected.extend(
                            s.endpoint_slices
                                .iter()
                                .filter(|(_, sl)| {
                                    targets::slice_service_key(sl)
                                        .is_some_and(|k| keys.contains(&k))
                                })
                                .map(|(k, _)| k.clone()),
                        );
                    }
                    _ => {}
                }
            }
            Change::Endpoints(ev) => affected.extend(apply_event(&mut s.endpoints, scope, ev)),
            Change::EndpointSlice(ev) => {
                affected.extend(apply_event(&mut s.endpoint_slices, scope, ev))
            }
            Change::Ingress(ev) => affected.extend(apply_event(&mut s.ingresses, scope, ev)),
        }
    }

    /// The group for a key of the role's primary kind: built from the stored object, or
    /// empty when it is gone. `None` when there is nothing to send (a node without address).
    fn group(&self, key: &str) -> Option<TargetGroup> {
        let s = &self.stores;
        let empty = |source: String| {
            Some(TargetGroup {
                source,
                ..Default::default()
            })
        };
        match self.role {
            Role::Node => match s.nodes.get(key) {
                Some(n) => targets::node_group(n),
                None => empty(targets::node_source(key)),
            },
            Role::Pod => match s.pods.get(key) {
                Some(p) => Some(targets::pod_group(key, p, s, self.attach_node)),
                None => empty(targets::pod_source(key)),
            },
            Role::Service => match s.services.get(key) {
                Some(v) => Some(targets::service_group(key, v)),
                None => empty(targets::service_source(key)),
            },
            Role::Endpoints => match s.endpoints.get(key) {
                Some(e) => Some(targets::endpoints_group(key, e, s, self.attach_node)),
                None => empty(targets::endpoints_source(key)),
            },
            Role::EndpointSlice => match s.endpoint_slices.get(key) {
                Some(e) => Some(targets::endpoint_slice_group(key, e, s, self.attach_node)),
                None => empty(targets::endpoint_slice_source(key)),
            },
            Role::Ingress => match s.ingresses.get(key) {
                Some(i) => Some(targets::ingress_group(key, i)),
                None => empty(targets::ingress_source(key)),
            },
        }
    }

    /// Every group of the role's primary kind.
    fn all_groups(&self) -> Vec<TargetGroup> {
        let s = &self.stores;
        let keys: Vec<&String> = match self.role {
            Role::Node => s.nodes.keys().collect(),
            Role::Pod => s.pods.keys().collect(),
            Role::Service => s.services.keys().collect(),
            Role::Endpoints => s.endpoints.keys().collect(),
            Role::EndpointSlice => s.endpoint_slices.keys().collect(),
            Role::Ingress => s.ingresses.keys().collect(),
        };
        keys.into_iter().filter_map(|k| self.group(k)).collect()
    }
}

/// Endpoints objects with an address whose target is the pod `pod_key`.
fn endpoints_referencing(eps: &BTreeMap<String, Endpoints>, pod_key: &str) -> Vec<String> {
    eps.iter()
        .filter(|(_, e)| {
            e.subsets.iter().any(|s| {
                s.addresses
                    .iter()
                    .chain(&s.not_ready_addresses)
                    .filter_map(|a| a.target_ref.as_ref())
                    .any(|r| r.kind == "Pod" && format!("{}/{}", r.namespace, r.name) == pod_key)
            })
        })
        .map(|(k, _)| k.clone())
        .collect()
}

/// Endpoint slices with an endpoint whose target is the pod `pod_key`.
fn slices_referencing(slices: &BTreeMap<String, EndpointSlice>, pod_key: &str) -> Vec<String> {
    slices
        .iter()
        .filter(|(_, s)| {
            s.endpoints
                .iter()
                .filter_map(|e| e.target_ref.as_ref())
                .any(|r| r.kind == "Pod" && format!("{}/{}", r.namespace, r.name) == pod_key)
        })
        .map(|(k, _)| k.clone())
        .collect()
}

#[cfg(test)]
mod error_tests {
    //! Failed LISTs and WATCHes are reported to [`DiscoveryErrors`], against a loopback server
    //! that answers LIST and fails every WATCH, and against a port nothing listens on.

    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    use super::*;
    use crate::discovery::kubernetes::{Backoff, KubernetesSdConfig};

    fn discoverer(base: &str) -> KubernetesDiscoverer {
        let yaml = format!("role: pod\napi_server: '{base}'\n");
        let node = confmap::parse_yaml(&yaml).unwrap().unwrap();
        let cfg: KubernetesSdConfig = confmap::decode(&node).unwrap();
        KubernetesDiscoverer::from_config(&cfg)
            .unwrap()
            .with_backoff(Backoff {
                initial: Duration::from_millis(10),
                max: Duration::from_millis(40),
            })
    }

    /// Runs `d` until `errors` reports reached `n`, returning the mechanisms reported and
    /// the updates sent.
    async fn run_until_errors(
        mut d: KubernetesDiscoverer,
        n: usize,
    ) -> (Vec<&'static str>, Vec<Vec<TargetGroup>>) {
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let notify = Arc::new(tokio::sync::Notify::new());
        let (s, nt) = (seen.clone(), notify.clone());
        d.report_errors_to(DiscoveryErrors::new(move |m| {
            s.lock().unwrap().push(m);
            nt.notify_waiters();
        }));
        let (tx, mut rx) = mpsc::channel(16);
        let cancel = CancellationToken::new();
        let task = tokio::spawn(Box::new(d).run(tx, cancel.clone()));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let notified = notify.notified();
            if seen.lock().unwrap().len() >= n {
                break;
            }
            tokio::select! {
                _ = notified => {}
                _ = tokio::time::sleep_until(deadline) => panic!("fewer than {n} errors reported"),
            }
        }
        cancel.cancel();
        task.await.unwrap();
        let mut updates = Vec::new();
        while let Ok(u) = rx.try_recv() {
            updates.push(u);
        }
        let seen = seen.lock().unwrap().clone();
        (seen, updates)
    }

    #[tokio::test]
    async fn failed_watches_are_reported() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let lists = Arc::new(AtomicUsize::new(0));
        let l = lists.clone();
        let server = tokio::spawn(async move {
            loop {
                let Ok((mut conn, _)) = listener.accept().await else {
                    return;
                };
                let lists = l.clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match conn.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let request = String::from_utf8_lossy(&head);
                    let (status, body) = if request.contains("watch=true") {
                        ("500 Internal Server Error", "etcd unavailable".to_string())
                    } else {
                        lists.fetch_add(1, Ordering::SeqCst);
                        (
                            "200 OK",
                            r#"{"metadata":{"resourceVersion":"5"},"items":[]}"#.to_string(),
                        )
                    };
                    let reply = format!(
                        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = conn.write_all(reply.as_bytes()).await;
                });
            }
        });
        let (seen, updates) = run_until_errors(discoverer(&base), 3).await;
        server.abort();
        assert!(seen.iter().all(|m| *m == "kubernetes"), "{seen:?}");
        assert_eq!(
            lists.load(Ordering::SeqCst),
            1,
            "a failed WATCH resumes watching, it does not relist"
        );
        assert_eq!(updates, [Vec::<TargetGroup>::new()], "the LIST synced");
    }

    #[tokio::test]
    async fn failed_lists_are_reported() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let (seen, updates) =
            run_until_errors(discoverer(&format!("http://127.0.0.1:{port}")), 2).await;
        assert!(seen.iter().all(|m| *m == "kubernetes"), "{seen:?}");
        assert!(updates.is_empty(), "nothing is sent before a LIST succeeds");
    }
}
