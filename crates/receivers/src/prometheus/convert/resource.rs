//! The resource of one (job, instance): contrib's `CreateResource` (`prom_to_otlp.go`).

use std::net::IpAddr;

use pdata::proto::common::v1::{AnyValue, KeyValue, any_value};
use prometheus::discovery::LabelSet;

/// Kubernetes service-discovery labels that become resource attributes as they are. Only one
/// of the three node-name labels is present for any role.
const KUBERNETES_ATTRIBUTES: [(&str, &str); 7] = [
    ("__meta_kubernetes_pod_name", "k8s.pod.name"),
    ("__meta_kubernetes_pod_uid", "k8s.pod.uid"),
    ("__meta_kubernetes_pod_container_name", "k8s.container.name"),
    ("__meta_kubernetes_namespace", "k8s.namespace.name"),
    ("__meta_kubernetes_pod_node_name", "k8s.node.name"),
    ("__meta_kubernetes_node_name", "k8s.node.name"),
    ("__meta_kubernetes_endpoint_node_name", "k8s.node.name"),
];

/// A string attribute.
pub fn string_kv(key: impl Into<String>, value: impl Into<String>) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.into())),
        }),
    }
}

/// Sets `key` to `value`, replacing an attribute of the same key in place (pcommon `PutStr`).
pub fn put_str(attrs: &mut Vec<KeyValue>, key: &str, value: &str) {
    match attrs.iter_mut().find(|kv| kv.key == key) {
        Some(kv) => *kv = string_kv(key, value),
        None => attrs.push(string_kv(key, value)),
    }
}

/// The resource attributes of a target: `service.name` = job, `service.instance.id` = instance,
/// `server.address` (only a discernible host), `server.port`, `url.scheme` (from the discovered
/// `__scheme__`), and the Kubernetes attributes discovery provided. Upstream sets `server.port`
/// and `url.scheme` even when empty; so do we. The legacy `net.host.*`/`http.scheme` keys are
/// gone (gate `RemoveLegacyResourceAttributes` on since v0.101).
pub fn resource_attributes(job: &str, instance: &str, discovered: &LabelSet) -> Vec<KeyValue> {
    let (host, port) = split_host_port(instance).unwrap_or((instance, ""));
    let mut attrs = Vec::with_capacity(8);
    put_str(&mut attrs, "service.name", job);
    if is_discernible_host(host) {
        put_str(&mut attrs, "server.address", host);
    }
    put_str(&mut attrs, "service.instance.id", instance);
    put_str(&mut attrs, "server.port", port);
    let scheme = discovered.get("__scheme__").map_or("", String::as_str);
    put_str(&mut attrs, "url.scheme", scheme);
    for (label, key) in KUBERNETES_ATTRIBUTES {
        if let Some(v) = discovered.get(label).filter(|v| !v.is_empty()) {
            put_str(&mut attrs, key, v);
        }
    }
    let controller = |l: &str| discovered.get(l).map_or("", String::as_str);
    let (kind, name) = (
        controller("__meta_kubernetes_pod_controller_kind"),
        controller("__meta_kubernetes_pod_controller_name"),
    );
    if !name.is_empty() {
        let key = match kind {
            "ReplicaSet" => Some("k8s.replicaset.name"),
            "DaemonSet" => Some("k8s.daemonset.name"),
            "StatefulSet" => Some("k8s.statefulset.name"),
            "Job" => Some("k8s.job.name"),
            "CronJob" => Some("k8s.cronjob.name"),
            _ => None,
        };
        if let Some(key) = key {
            put_str(&mut attrs, key, name);
        }
    }
    attrs
}

/// Go's `net.SplitHostPort`: `host:port` or `[v6]:port`; `None` where Go returns an error
/// (no port, too many colons, stray brackets).
pub fn split_host_port(hostport: &str) -> Option<(&str, &str)> {
    let colon = hostport.rfind(':')?;
    let (host, port) = (&hostport[..colon], &hostport[colon + 1..]);
    if let Some(inner) = host.strip_prefix('[') {
        let inner = inner.strip_suffix(']')?;
        if inner.contains(['[', ']']) {
            return None;
        }
        return Some((inner, port));
    }
    if host.contains([':', '[', ']']) || port.contains([']', '[']) {
        return None;
    }
    Some((host, port))
}

/// Whether a host may name the server: not a loopback or unspecified IP and not `localhost`
/// (contrib `isDiscernibleHost`). IPv4-mapped IPv6 addresses count as their IPv4 address, as
/// in Go.
pub fn is_discernible_host(host: &str) -> bool {
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => !v4.is_loopback() && !v4.is_unspecified(),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => !v4.is_loopback() && !v4.is_unspecified(),
            None => !v6.is_loopback() && !v6.is_unspecified(),
        },
        Err(_) => host != "localhost",
    }
}
