//! Target groups per role, with Prometheus' `__meta_kubernetes_*` labels and address rules
//! (`discovery/kubernetes/{node,pod,service,endpoints,endpointslice,ingress}.go`).
//!
//! Labels with an empty value are left out: Prometheus puts them in the group, but its label
//! builder drops them before relabelling sees them, so the result is the same.

use std::collections::BTreeMap;

use super::objects::{
    Container, EndpointSlice, Endpoints, Ingress, KubeObject, Node, ObjectMeta, Pod, Service,
};
use crate::discovery::{ADDRESS_LABEL, LabelSet, TargetGroup, sanitize_label_name};

const PREFIX: &str = "__meta_kubernetes_";
const NAMESPACE_LABEL: &str = "__meta_kubernetes_namespace";

/// Everything the watches have delivered, keyed as client-go's stores (`namespace/name`, or
/// `name` for nodes).
#[derive(Debug, Default)]
pub struct Stores {
    pub pods: BTreeMap<String, Pod>,
    pub nodes: BTreeMap<String, Node>,
    pub services: BTreeMap<String, Service>,
    pub endpoints: BTreeMap<String, Endpoints>,
    pub endpoint_slices: BTreeMap<String, EndpointSlice>,
    pub ingresses: BTreeMap<String, Ingress>,
}

fn set(ls: &mut LabelSet, name: impl Into<String>, value: impl Into<String>) {
    let value = value.into();
    if !value.is_empty() {
        ls.insert(name.into(), value);
    }
}

/// `host:port`, with brackets around an IPv6 host (Go's `net.JoinHostPort`).
fn join_host_port(host: &str, port: impl std::fmt::Display) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// `<prefix><role>_name`, `_label_<n>`, `_labelpresent_<n>`, `_annotation_<n>`,
/// `_annotationpresent_<n>` (`addObjectMetaLabels`).
fn add_object_meta_labels(ls: &mut LabelSet, meta: &ObjectMeta, role: &str) {
    set(ls, format!("{PREFIX}{role}_name"), meta.name.as_str());
    for (k, v) in &meta.labels {
        let n = sanitize_label_name(k);
        set(ls, format!("{PREFIX}{role}_label_{n}"), v.as_str());
        ls.insert(format!("{PREFIX}{role}_labelpresent_{n}"), "true".into());
    }
    for (k, v) in &meta.annotations {
        let n = sanitize_label_name(k);
        set(ls, format!("{PREFIX}{role}_annotation_{n}"), v.as_str());
        ls.insert(
            format!("{PREFIX}{role}_annotationpresent_{n}"),
            "true".into(),
        );
    }
}

// ---- node

pub fn node_source(name: &str) -> String {
    format!("node/{name}")
}

/// The node's group: one target at the first address of the preferred type and the kubelet
/// port, `instance` = node name. `None` when the node has no address (Prometheus then sends
/// nothing for it).
pub fn node_group(node: &Node) -> Option<TargetGroup> {
    let mut labels = LabelSet::new();
    set(
        &mut labels,
        format!("{PREFIX}node_provider_id"),
        node.spec.provider_id.as_str(),
    );
    for c in &node.status.conditions {
        let n = sanitize_label_name(&c.kind.to_lowercase());
        set(
            &mut labels,
            format!("{PREFIX}node_condition_{n}"),
            c.status.to_lowercase(),
        );
    }
    add_object_meta_labels(&mut labels, &node.metadata, "node");

    let mut by_type: BTreeMap<&str, &str> = BTreeMap::new();
    for a in &node.status.addresses {
        by_type.entry(a.kind.as_str()).or_insert(a.address.as_str());
    }
    let preferred = [
        "InternalIP",
        "InternalDNS",
        "ExternalIP",
        "ExternalDNS",
        "LegacyHostIP",
        "Hostname",
    ];
    let Some(addr) = preferred.iter().find_map(|t| by_type.get(t)) else {
        tracing::warn!(node = %node.metadata.name, "No node address found: host address unknown");
        return None;
    };
    let mut target = LabelSet::new();
    target.insert(
        ADDRESS_LABEL.into(),
        join_host_port(addr, node.status.daemon_endpoints.kubelet_endpoint.port),
    );
    set(&mut target, "instance", node.metadata.name.as_str());
    for (kind, a) in by_type {
        set(
            &mut target,
            sanitize_label_name(&format!("{PREFIX}node_address_{kind}")),
            a,
        );
    }
    Some(TargetGroup {
        source: node_source(&node.metadata.name),
        targets: vec![target],
        labels,
    })
}

/// The node's own labels that `attach_metadata.node` adds (`addNodeLabels`).
fn add_node_labels(ls: &mut LabelSet, stores: &Stores, node_name: Option<&str>) {
    if let Some(node) = node_name.and_then(|n| stores.nodes.get(n)) {
        add_object_meta_labels(ls, &node.metadata, "node");
    }
}

// ---- pod

pub fn pod_source(key: &str) -> String {
    format!("pod/{key}")
}

/// `podLabels`: the pod-level labels shared by the pod, endpoints and endpointslice roles.
fn pod_labels(pod: &Pod) -> LabelSet {
    let mut ls = LabelSet::new();
    set(
        &mut ls,
        format!("{PREFIX}pod_ip"),
        pod.status.pod_ip.as_str(),
    );
    set(&mut ls, format!("{PREFIX}pod_ready"), pod_ready(pod));
    set(
        &mut ls,
        format!("{PREFIX}pod_phase"),
        pod.status.phase.as_str(),
    );
    set(
        &mut ls,
        format!("{PREFIX}pod_node_name"),
        pod.spec.node_name.as_str(),
    );
    set(
        &mut ls,
        format!("{PREFIX}pod_host_ip"),
        pod.status.host_ip.as_str(),
    );
    set(
        &mut ls,
        format!("{PREFIX}pod_uid"),
        pod.metadata.uid.as_str(),
    );
    add_object_meta_labels(&mut ls, &pod.metadata, "pod");
    if let Some(owner) = pod
        .metadata
        .owner_references
        .iter()
        .find(|r| r.controller == Some(true))
    {
        set(
            &mut ls,
            format!("{PREFIX}pod_controller_kind"),
            owner.kind.as_str(),
        );
        set(
            &mut ls,
            format!("{PREFIX}pod_controller_name"),
            owner.name.as_str(),
        );
    }
    ls
}

/// The `Ready` condition's status in lower case, `unknown` without one.
fn pod_ready(pod: &Pod) -> String {
    pod.status
        .conditions
        .iter()
        .find(|c| c.kind == "Ready")
        .map(|c| c.status.to_lowercase())
        .unwrap_or_else(|| "unknown".into())
}

/// Containers then init containers, each with whether it is an init container.
fn all_containers(pod: &Pod) -> impl Iterator<Item = (&Container, bool)> {
    pod.spec
        .containers
        .iter()
        .map(|c| (c, false))
        .chain(pod.spec.init_containers.iter().map(|c| (c, true)))
}

fn container_id(pod: &Pod, name: &str, init: bool) -> String {
    let statuses = if init {
        &pod.status.init_container_statuses
    } else {
        &pod.status.container_statuses
    };
    statuses
        .iter()
        .find(|s| s.name == name)
        .map(|s| s.container_id.clone())
        .unwrap_or_default()
}

/// One target per declared container port; a container without ports gets one target at the
/// pod IP alone. A pod without an IP (starting, evicted) has an empty group; so does one whose
/// node is unknown when node metadata is attached.
pub fn pod_group(key: &str, pod: &Pod, stores: &Stores, attach_node: bool) -> TargetGroup {
    let mut tg = TargetGroup {
        source: pod_source(key),
        ..Default::default()
    };
    if pod.status.pod_ip.is_empty() {
        return tg;
    }
    if attach_node && !stores.nodes.contains_key(&pod.spec.node_name) {
        return tg;
    }
    tg.labels = pod_labels(pod);
    set(
        &mut tg.labels,
        NAMESPACE_LABEL,
        pod.metadata.namespace.as_str(),
    );
    if attach_node {
        add_node_labels(&mut tg.labels, stores, Some(&pod.spec.node_name));
    }
    let ip = &pod.status.pod_ip;
    for (c, init) in all_containers(pod) {
        let mut base = LabelSet::new();
        set(
            &mut base,
            format!("{PREFIX}pod_container_name"),
            c.name.as_str(),
        );
        set(
            &mut base,
            format!("{PREFIX}pod_container_id"),
            container_id(pod, &c.name, init),
        );
        set(
            &mut base,
            format!("{PREFIX}pod_container_image"),
            c.image.as_str(),
        );
        set(
            &mut base,
            format!("{PREFIX}pod_container_init"),
            init.to_string(),
        );
        if c.ports.is_empty() {
            let mut t = base;
            t.insert(ADDRESS_LABEL.into(), ip.clone());
            tg.targets.push(t);
            continue;
        }
        for p in &c.ports {
            let mut t = base.clone();
            t.insert(ADDRESS_LABEL.into(), join_host_port(ip, p.container_port));
            set(
                &mut t,
                format!("{PREFIX}pod_container_port_number"),
                p.container_port.to_string(),
            );
            set(
                &mut t,
                format!("{PREFIX}pod_container_port_name"),
                p.name.as_str(),
            );
            set(
                &mut t,
                format!("{PREFIX}pod_container_port_protocol"),
                p.protocol.as_str(),
            );
            tg.targets.push(t);
        }
    }
    tg
}

// ---- service

pub fn service_source(key: &str) -> String {
    format!("svc/{key}")
}

fn service_labels(svc: &Service) -> LabelSet {
    let mut ls = LabelSet::new();
    set(&mut ls, NAMESPACE_LABEL, svc.metadata.namespace.as_str());
    add_object_meta_labels(&mut ls, &svc.metadata, "service");
    ls
}

/// One target per service port at `<name>.<namespace>.svc:<port>`.
pub fn service_group(key: &str, svc: &Service) -> TargetGroup {
    let mut tg = TargetGroup {
        source: service_source(key),
        labels: service_labels(svc),
        ..Default::default()
    };
    let host = format!("{}.{}.svc", svc.metadata.name, svc.metadata.namespace);
    for p in &svc.spec.ports {
        let mut t = LabelSet::new();
        t.insert(ADDRESS_LABEL.into(), join_host_port(&host, p.port));
        set(
            &mut t,
            format!("{PREFIX}service_port_name"),
            p.name.as_str(),
        );
        set(
            &mut t,
            format!("{PREFIX}service_port_number"),
            p.port.to_string(),
        );
        set(
            &mut t,
            format!("{PREFIX}service_port_protocol"),
            p.protocol.as_str(),
        );
        set(
            &mut t,
            format!("{PREFIX}service_type"),
            svc.spec.kind.as_str(),
        );
        if svc.spec.kind == "ExternalName" {
            set(
                &mut t,
                format!("{PREFIX}service_external_name"),
                svc.spec.external_name.as_str(),
            );
        } else {
            set(
                &mut t,
                format!("{PREFIX}service_cluster_ip"),
                svc.spec.cluster_ip.as_str(),
            );
        }
        if svc.spec.kind == "LoadBalancer" {
            let ips: Vec<&str> = svc
                .status
                .load_balancer
                .ingress
                .iter()
                .map(|i| i.ip.as_str())
                .filter(|ip| !ip.is_empty())
                .collect();
            let value = if ips.is_empty() {
                svc.spec.load_balancer_ip.clone()
            } else {
                ips.join(",")
            };
            set(&mut t, format!("{PREFIX}service_loadbalancer_ip"), value);
        }
        tg.targets.push(t);
    }
    tg
}

// ---- endpoints and endpointslice: shared pod handling

/// Pods an endpoints object points at, and the ports already covered for each.
#[derive(Default)]
struct SeenPods<'a> {
    pods: BTreeMap<String, (&'a Pod, Vec<i32>)>,
}

impl<'a> SeenPods<'a> {
    /// Merges the pod's labels into `target` and the container port matching `port`, and
    /// remembers the port as covered.
    fn add(&mut self, target: &mut LabelSet, pod: &'a Pod, port: Option<i32>, protocol: &str) {
        target.extend(pod_labels(pod));
        if let Some(port) = port {
            'outer: for (c, init) in all_containers(pod) {
                for cp in &c.ports {
                    if cp.container_port == port {
                        set(
                            target,
                            format!("{PREFIX}pod_container_name"),
                            c.name.as_str(),
                        );
                        set(
                            target,
                            format!("{PREFIX}pod_container_image"),
                            c.image.as_str(),
                        );
                        set(
                            target,
                            format!("{PREFIX}pod_container_port_name"),
                            cp.name.as_str(),
                        );
                        set(
                            target,
                            format!("{PREFIX}pod_container_port_number"),
                            port.to_string(),
                        );
                        set(
                            target,
                            format!("{PREFIX}pod_container_port_protocol"),
                            protocol,
                        );
                        set(
                            target,
                            format!("{PREFIX}pod_container_init"),
                            init.to_string(),
                        );
                        break 'outer;
                    }
                }
            }
        }
        let entry = self
            .pods
            .entry(pod.key())
            .or_insert_with(|| (pod, Vec::new()));
        entry.1.extend(port);
    }

    /// Targets for the container ports of referenced pods that no endpoint port covers.
    fn extra_targets(&self) -> Vec<LabelSet> {
        let mut out = Vec::new();
        for (pod, covered) in self.pods.values() {
            if pod.status.pod_ip.is_empty() {
                continue;
            }
            for (c, init) in all_containers(pod) {
                for cp in &c.ports {
                    if covered.contains(&cp.container_port) {
                        continue;
                    }
                    let mut t = LabelSet::new();
                    t.insert(
                        ADDRESS_LABEL.into(),
                        join_host_port(&pod.status.pod_ip, cp.container_port),
                    );
                    set(
                        &mut t,
                        format!("{PREFIX}pod_container_name"),
                        c.name.as_str(),
                    );
                    set(
                        &mut t,
                        format!("{PREFIX}pod_container_image"),
                        c.image.as_str(),
                    );
                    set(
                        &mut t,
                        format!("{PREFIX}pod_container_port_name"),
                        cp.name.as_str(),
                    );
                    set(
                        &mut t,
                        format!("{PREFIX}pod_container_port_number"),
                        cp.container_port.to_string(),
                    );
                    set(
                        &mut t,
                        format!("{PREFIX}pod_container_port_protocol"),
                        cp.protocol.as_str(),
                    );
                    set(
                        &mut t,
                        format!("{PREFIX}pod_container_init"),
                        init.to_string(),
                    );
                    t.extend(pod_labels(pod));
                    out.push(t);
                }
            }
        }
        out
    }
}

fn resolve_pod<'a>(
    stores: &'a Stores,
    r: Option<&super::objects::ObjectReference>,
) -> Option<&'a Pod> {
    let r = r.filter(|r| r.kind == "Pod")?;
    stores.pods.get(&format!("{}/{}", r.namespace, r.name))
}

// ---- endpoints

pub fn endpoints_source(key: &str) -> String {
    format!("endpoints/{key}")
}

/// One target per address × port (ready and not-ready addresses), with the service's labels
/// and, for addresses backed by a known pod, the pod's; plus a target per pod container port
/// that no endpoint port covers.
pub fn endpoints_group(
    key: &str,
    eps: &Endpoints,
    stores: &Stores,
    attach_node: bool,
) -> TargetGroup {
    let mut tg = TargetGroup {
        source: endpoints_source(key),
        ..Default::default()
    };
    set(
        &mut tg.labels,
        NAMESPACE_LABEL,
        eps.metadata.namespace.as_str(),
    );
    if let Some(svc) = stores.services.get(key) {
        tg.labels.extend(service_labels(svc));
    }
    add_object_meta_labels(&mut tg.labels, &eps.metadata, "endpoints");

    let mut seen = SeenPods::default();
    for subset in &eps.subsets {
        for port in &subset.ports {
            let ready = subset.addresses.iter().map(|a| (a, "true"));
            let not_ready = subset.not_ready_addresses.iter().map(|a| (a, "false"));
            for (addr, is_ready) in ready.chain(not_ready) {
                let mut t = LabelSet::new();
                t.insert(ADDRESS_LABEL.into(), join_host_port(&addr.ip, port.port));
                set(
                    &mut t,
                    format!("{PREFIX}endpoint_port_name"),
                    port.name.as_str(),
                );
                set(
                    &mut t,
                    format!("{PREFIX}endpoint_port_protocol"),
                    port.protocol.as_str(),
                );
                set(&mut t, format!("{PREFIX}endpoint_ready"), is_ready);
                if let Some(r) = &addr.target_ref {
                    set(
                        &mut t,
                        format!("{PREFIX}endpoint_address_target_kind"),
                        r.kind.as_str(),
                    );
                    set(
                        &mut t,
                        format!("{PREFIX}endpoint_address_target_name"),
                        r.name.as_str(),
                    );
                }
                if let Some(n) = &addr.node_name {
                    set(&mut t, format!("{PREFIX}endpoint_node_name"), n.as_str());
                }
                set(
                    &mut t,
                    format!("{PREFIX}endpoint_hostname"),
                    addr.hostname.as_str(),
                );
                if attach_node {
                    let node = addr.node_name.as_deref().or_else(|| {
                        addr.target_ref
                            .as_ref()
                            .filter(|r| r.kind == "Node")
                            .map(|r| r.name.as_str())
                    });
                    add_node_labels(&mut t, stores, node);
                }
                if let Some(pod) = resolve_pod(stores, addr.target_ref.as_ref()) {
                    seen.add(&mut t, pod, Some(port.port), &port.protocol);
                }
                tg.targets.push(t);
            }
        }
    }
    tg.targets.extend(seen.extra_targets());
    tg
}

// ---- endpointslice

pub fn endpoint_slice_source(key: &str) -> String {
    format!("endpointslice/{key}")
}

/// The service an endpoint slice belongs to (label `kubernetes.io/service-name`).
pub fn slice_service_key(slice: &EndpointSlice) -> Option<String> {
    slice
        .metadata
        .labels
        .get("kubernetes.io/service-name")
        .map(|name| format!("{}/{}", slice.metadata.namespace, name))
}

/// One target per endpoint address × port, as for endpoints, with the slice's labels.
pub fn endpoint_slice_group(
    key: &str,
    slice: &EndpointSlice,
    stores: &Stores,
    attach_node: bool,
) -> TargetGroup {
    let mut tg = TargetGroup {
        source: endpoint_slice_source(key),
        ..Default::default()
    };
    set(
        &mut tg.labels,
        NAMESPACE_LABEL,
        slice.metadata.namespace.as_str(),
    );
    set(
        &mut tg.labels,
        format!("{PREFIX}endpointslice_address_type"),
        slice.address_type.as_str(),
    );
    add_object_meta_labels(&mut tg.labels, &slice.metadata, "endpointslice");
    let svc = slice_service_key(slice).and_then(|k| stores.services.get(&k));
    if let Some(svc) = svc {
        tg.labels.extend(service_labels(svc));
    }
    if non_primary_ip_family(svc, slice) {
        // A dual-stack service has a slice per family; only the primary family's is
        // scraped, so that each endpoint is one target.
        return tg;
    }

    let mut seen = SeenPods::default();
    for ep in &slice.endpoints {
        for port in &slice.ports {
            for addr in &ep.addresses {
                let mut t = LabelSet::new();
                let a = match port.port {
                    Some(p) => join_host_port(addr, p),
                    None => addr.clone(),
                };
                t.insert(ADDRESS_LABEL.into(), a);
                let p = |s: &str| format!("{PREFIX}endpointslice_{s}");
                if let Some(v) = &port.name {
                    set(&mut t, p("port_name"), v.as_str());
                }
                if let Some(v) = &port.protocol {
                    set(&mut t, p("port_protocol"), v.as_str());
                }
                if let Some(v) = port.port {
                    set(&mut t, p("port"), v.to_string());
                }
                if let Some(v) = &port.app_protocol {
                    set(&mut t, p("port_app_protocol"), v.as_str());
                }
                let c = &ep.conditions;
                if let Some(v) = c.ready {
                    set(&mut t, p("endpoint_conditions_ready"), v.to_string());
                }
                if let Some(v) = c.serving {
                    set(&mut t, p("endpoint_conditions_serving"), v.to_string());
                }
                if let Some(v) = c.terminating {
                    set(&mut t, p("endpoint_conditions_terminating"), v.to_string());
                }
                if let Some(v) = &ep.hostname {
                    set(&mut t, p("endpoint_hostname"), v.as_str());
                }
                if let Some(r) = &ep.target_ref {
                    set(&mut t, p("address_target_kind"), r.kind.as_str());
                    set(&mut t, p("address_target_name"), r.name.as_str());
                }
                if let Some(v) = &ep.node_name {
                    set(&mut t, p("endpoint_node_name"), v.as_str());
                }
                if let Some(v) = &ep.zone {
                    set(&mut t, p("endpoint_zone"), v.as_str());
                }
                for (k, v) in &ep.deprecated_topology {
                    let n = sanitize_label_name(k);
                    set(&mut t, p(&format!("endpoint_topology_{n}")), v.as_str());
                    t.insert(p(&format!("endpoint_topology_present_{n}")), "true".into());
                }
                if attach_node {
                    let node = match &ep.target_ref {
                        Some(r) if r.kind == "Node" => Some(r.name.as_str()),
                        _ => ep.node_name.as_deref(),
                    };
                    add_node_labels(&mut t, stores, node);
                }
                if let Some(pod) = resolve_pod(stores, ep.target_ref.as_ref()) {
                    let protocol = port.protocol.as_deref().unwrap_or("");
                    seen.add(&mut t, pod, port.port, protocol);
                }
                tg.targets.push(t);
            }
        }
    }
    tg.targets.extend(seen.extra_targets());
    tg
}

/// Whether the slice holds the secondary address family of a dual-stack service.
fn non_primary_ip_family(svc: Option<&Service>, slice: &EndpointSlice) -> bool {
    let Some(svc) = svc else {
        return false;
    };
    let dual = matches!(
        svc.spec.ip_family_policy.as_deref(),
        Some("PreferDualStack") | Some("RequireDualStack")
    );
    dual && svc
        .spec
        .ip_families
        .first()
        .is_some_and(|primary| *primary != slice.address_type)
}

// ---- ingress

pub fn ingress_source(key: &str) -> String {
    format!("ingress/{key}")
}

/// One target per rule × path at the rule's host; the scheme is `https` when a TLS entry
/// covers the host (exactly or by a `*.` wildcard).
pub fn ingress_group(key: &str, ing: &Ingress) -> TargetGroup {
    let mut tg = TargetGroup {
        source: ingress_source(key),
        ..Default::default()
    };
    set(
        &mut tg.labels,
        NAMESPACE_LABEL,
        ing.metadata.namespace.as_str(),
    );
    if let Some(c) = &ing.spec.ingress_class_name {
        set(
            &mut tg.labels,
            format!("{PREFIX}ingress_class_name"),
            c.as_str(),
        );
    }
    add_object_meta_labels(&mut tg.labels, &ing.metadata, "ingress");
    let tls_hosts: Vec<&str> = ing
        .spec
        .tls
        .iter()
        .flat_map(|t| t.hosts.iter().map(String::as_str))
        .collect();
    for rule in &ing.spec.rules {
        let scheme = if tls_hosts
            .iter()
            .any(|p| matches_host_pattern(p, &rule.host))
        {
            "https"
        } else {
            "http"
        };
        let paths: Vec<String> = match &rule.http {
            None => vec!["/".into()],
            Some(h) => h
                .paths
                .iter()
                .map(|p| {
                    if p.path.is_empty() {
                        "/".into()
                    } else {
                        p.path.clone()
                    }
                })
                .collect(),
        };
        for path in paths {
            let mut t = LabelSet::new();
            set(&mut t, ADDRESS_LABEL, rule.host.as_str());
            set(&mut t, format!("{PREFIX}ingress_scheme"), scheme);
            set(&mut t, format!("{PREFIX}ingress_host"), rule.host.as_str());
            set(&mut t, format!("{PREFIX}ingress_path"), path);
            tg.targets.push(t);
        }
    }
    tg
}

fn matches_host_pattern(pattern: &str, host: &str) -> bool {
    if pattern == host {
        return true;
    }
    let p: Vec<&str> = pattern.split('.').collect();
    let h: Vec<&str> = host.split('.').collect();
    p.first() == Some(&"*") && p.len() == h.len() && p[1..] == h[1..]
}

#[cfg(test)]
mod tests;
