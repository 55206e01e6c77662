//! Labels and addresses per role, on objects written as the API serves them.

use serde_json::json;

use super::*;

fn obj<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> T {
    serde_json::from_value(v).expect("object decodes")
}

fn pod() -> Pod {
    obj(json!({
        "metadata": {
            "name": "web-1", "namespace": "default", "uid": "u-1",
            "labels": {"app.kubernetes.io/name": "web", "tier": ""},
            "annotations": {"prometheus.io/scrape": "true"},
            "ownerReferences": [
                {"kind": "Other", "name": "x"},
                {"kind": "ReplicaSet", "name": "web-abc", "controller": true}
            ]
        },
        "spec": {
            "nodeName": "node-a",
            "containers": [
                {"name": "app", "image": "web:1", "ports": [
                    {"name": "http", "containerPort": 8080, "protocol": "TCP"},
                    {"containerPort": 9090, "protocol": "UDP"}
                ]},
                {"name": "sidecar", "image": "side:2"}
            ],
            "initContainers": [{"name": "init", "image": "init:1"}]
        },
        "status": {
            "phase": "Running", "podIP": "10.0.0.5", "hostIP": "192.168.1.10",
            "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [{"name": "app", "containerID": "containerd://abc"}]
        }
    }))
}

fn node() -> Node {
    obj(json!({
        "metadata": {"name": "node-a", "labels": {"kubernetes.io/os": "linux"}},
        "spec": {"providerID": "aws:///us-west-2a/i-1"},
        "status": {
            "addresses": [
                {"type": "Hostname", "address": "ip-192-168-1-10"},
                {"type": "InternalIP", "address": "192.168.1.10"},
                {"type": "ExternalIP", "address": "54.1.2.3"}
            ],
            "conditions": [{"type": "Ready", "status": "True"}, {"type": "MemoryPressure", "status": "False"}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}}
        }
    }))
}

#[test]
fn pod_targets_per_container_port() {
    let stores = Stores::default();
    let g = pod_group("default/web-1", &pod(), &stores, false);
    assert_eq!(g.source, "pod/default/web-1");
    let l = &g.labels;
    assert_eq!(l["__meta_kubernetes_namespace"], "default");
    assert_eq!(l["__meta_kubernetes_pod_name"], "web-1");
    assert_eq!(l["__meta_kubernetes_pod_ip"], "10.0.0.5");
    assert_eq!(l["__meta_kubernetes_pod_ready"], "true");
    assert_eq!(l["__meta_kubernetes_pod_phase"], "Running");
    assert_eq!(l["__meta_kubernetes_pod_node_name"], "node-a");
    assert_eq!(l["__meta_kubernetes_pod_host_ip"], "192.168.1.10");
    assert_eq!(l["__meta_kubernetes_pod_uid"], "u-1");
    assert_eq!(l["__meta_kubernetes_pod_controller_kind"], "ReplicaSet");
    assert_eq!(l["__meta_kubernetes_pod_controller_name"], "web-abc");
    assert_eq!(
        l["__meta_kubernetes_pod_label_app_kubernetes_io_name"],
        "web"
    );
    assert_eq!(
        l["__meta_kubernetes_pod_labelpresent_app_kubernetes_io_name"],
        "true"
    );
    assert!(
        !l.contains_key("__meta_kubernetes_pod_label_tier"),
        "empty value"
    );
    assert_eq!(l["__meta_kubernetes_pod_labelpresent_tier"], "true");
    assert_eq!(
        l["__meta_kubernetes_pod_annotation_prometheus_io_scrape"],
        "true"
    );
    assert_eq!(
        l["__meta_kubernetes_pod_annotationpresent_prometheus_io_scrape"],
        "true"
    );

    let addrs: Vec<&str> = g
        .targets
        .iter()
        .map(|t| t["__address__"].as_str())
        .collect();
    assert_eq!(
        addrs,
        ["10.0.0.5:8080", "10.0.0.5:9090", "10.0.0.5", "10.0.0.5"]
    );
    let t = &g.targets[0];
    assert_eq!(t["__meta_kubernetes_pod_container_name"], "app");
    assert_eq!(t["__meta_kubernetes_pod_container_port_number"], "8080");
    assert_eq!(t["__meta_kubernetes_pod_container_port_name"], "http");
    assert_eq!(t["__meta_kubernetes_pod_container_port_protocol"], "TCP");
    assert_eq!(t["__meta_kubernetes_pod_container_id"], "containerd://abc");
    assert_eq!(t["__meta_kubernetes_pod_container_image"], "web:1");
    assert_eq!(t["__meta_kubernetes_pod_container_init"], "false");
    assert_eq!(g.targets[3]["__meta_kubernetes_pod_container_init"], "true");
    assert_eq!(g.targets[3]["__meta_kubernetes_pod_container_name"], "init");
}

#[test]
fn pod_without_ip_has_an_empty_group_and_node_metadata_is_attached() {
    let mut p = pod();
    p.status.pod_ip.clear();
    let stores = Stores::default();
    let g = pod_group("default/web-1", &p, &stores, false);
    assert!(g.targets.is_empty() && g.labels.is_empty());

    // With attach_metadata.node the node must be known, and its labels are added.
    let g = pod_group("default/web-1", &pod(), &stores, true);
    assert!(g.targets.is_empty(), "node not (yet) known");
    let mut stores = Stores::default();
    stores.nodes.insert("node-a".into(), node());
    let g = pod_group("default/web-1", &pod(), &stores, true);
    assert_eq!(g.labels["__meta_kubernetes_node_name"], "node-a");
    assert_eq!(
        g.labels["__meta_kubernetes_node_label_kubernetes_io_os"],
        "linux"
    );
}

#[test]
fn node_target_prefers_internal_ip_and_kubelet_port() {
    let g = node_group(&node()).expect("has an address");
    assert_eq!(g.source, "node/node-a");
    let t = &g.targets[0];
    assert_eq!(t["__address__"], "192.168.1.10:10250");
    assert_eq!(t["instance"], "node-a");
    assert_eq!(
        t["__meta_kubernetes_node_address_InternalIP"],
        "192.168.1.10"
    );
    assert_eq!(
        t["__meta_kubernetes_node_address_Hostname"],
        "ip-192-168-1-10"
    );
    let l = &g.labels;
    assert_eq!(l["__meta_kubernetes_node_name"], "node-a");
    assert_eq!(
        l["__meta_kubernetes_node_provider_id"],
        "aws:///us-west-2a/i-1"
    );
    assert_eq!(l["__meta_kubernetes_node_condition_ready"], "true");
    assert_eq!(
        l["__meta_kubernetes_node_condition_memorypressure"],
        "false"
    );

    let mut n = node();
    n.status.addresses.clear();
    assert!(node_group(&n).is_none());
    n.status.addresses = vec![obj(json!({"type": "InternalIP", "address": "fd00::1"}))];
    assert_eq!(
        node_group(&n).expect("v6").targets[0]["__address__"],
        "[fd00::1]:10250"
    );
}

#[test]
fn service_targets_per_port() {
    let svc: Service = obj(json!({
        "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
        "spec": {"type": "LoadBalancer", "clusterIP": "10.96.0.10", "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]},
        "status": {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}, {"hostname": "lb"}, {"ip": "5.6.7.8"}]}}
    }));
    let g = service_group("shop/web", &svc);
    assert_eq!(g.source, "svc/shop/web");
    assert_eq!(g.labels["__meta_kubernetes_service_name"], "web");
    assert_eq!(g.labels["__meta_kubernetes_service_label_app"], "web");
    let t = &g.targets[0];
    assert_eq!(t["__address__"], "web.shop.svc:80");
    assert_eq!(t["__meta_kubernetes_service_port_name"], "http");
    assert_eq!(t["__meta_kubernetes_service_port_number"], "80");
    assert_eq!(t["__meta_kubernetes_service_cluster_ip"], "10.96.0.10");
    assert_eq!(t["__meta_kubernetes_service_type"], "LoadBalancer");
    assert_eq!(
        t["__meta_kubernetes_service_loadbalancer_ip"],
        "1.2.3.4,5.6.7.8"
    );
}

#[test]
fn endpoints_merge_service_and_pod_labels_and_add_uncovered_ports() {
    let mut stores = Stores::default();
    stores.pods.insert("default/web-1".into(), pod());
    stores.services.insert(
        "default/web".into(),
        obj(json!({"metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}}})),
    );
    let eps: Endpoints = obj(json!({
        "metadata": {"name": "web", "namespace": "default"},
        "subsets": [{
            "addresses": [{"ip": "10.0.0.5", "nodeName": "node-a", "targetRef": {"kind": "Pod", "namespace": "default", "name": "web-1"}}],
            "notReadyAddresses": [{"ip": "10.0.0.6", "hostname": "h6"}],
            "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]
        }]
    }));
    let g = endpoints_group("default/web", &eps, &stores, false);
    assert_eq!(g.source, "endpoints/default/web");
    assert_eq!(g.labels["__meta_kubernetes_endpoints_name"], "web");
    assert_eq!(g.labels["__meta_kubernetes_service_name"], "web");
    assert_eq!(g.labels["__meta_kubernetes_service_label_app"], "web");
    let addrs: Vec<&str> = g
        .targets
        .iter()
        .map(|t| t["__address__"].as_str())
        .collect();
    // Ready, not ready, then the pod's container port 9090 that no endpoint port covers.
    assert_eq!(addrs, ["10.0.0.5:8080", "10.0.0.6:8080", "10.0.0.5:9090"]);
    let t = &g.targets[0];
    assert_eq!(t["__meta_kubernetes_endpoint_ready"], "true");
    assert_eq!(t["__meta_kubernetes_endpoint_node_name"], "node-a");
    assert_eq!(t["__meta_kubernetes_endpoint_address_target_kind"], "Pod");
    assert_eq!(t["__meta_kubernetes_endpoint_address_target_name"], "web-1");
    assert_eq!(t["__meta_kubernetes_endpoint_port_name"], "http");
    assert_eq!(t["__meta_kubernetes_pod_name"], "web-1");
    assert_eq!(t["__meta_kubernetes_pod_container_name"], "app");
    assert_eq!(t["__meta_kubernetes_pod_container_port_name"], "http");
    let t = &g.targets[1];
    assert_eq!(t["__meta_kubernetes_endpoint_ready"], "false");
    assert_eq!(t["__meta_kubernetes_endpoint_hostname"], "h6");
    assert!(!t.contains_key("__meta_kubernetes_pod_name"));
    let t = &g.targets[2];
    assert_eq!(t["__meta_kubernetes_pod_container_port_number"], "9090");
    assert_eq!(t["__meta_kubernetes_pod_container_port_protocol"], "UDP");
}

#[test]
fn endpoint_slice_labels() {
    let mut stores = Stores::default();
    stores.pods.insert("default/web-1".into(), pod());
    stores.services.insert(
        "default/web".into(),
        obj(json!({"metadata": {"name": "web", "namespace": "default"}})),
    );
    let slice: EndpointSlice = obj(json!({
        "metadata": {"name": "web-xyz", "namespace": "default", "labels": {"kubernetes.io/service-name": "web"}},
        "addressType": "IPv4",
        "endpoints": [{
            "addresses": ["10.0.0.5"],
            "conditions": {"ready": true, "serving": true, "terminating": false},
            "nodeName": "node-a", "zone": "us-west-2a",
            "targetRef": {"kind": "Pod", "namespace": "default", "name": "web-1"}
        }],
        "ports": [{"name": "http", "port": 8080, "protocol": "TCP", "appProtocol": "http"}]
    }));
    assert_eq!(slice_service_key(&slice).as_deref(), Some("default/web"));
    let g = endpoint_slice_group("default/web-xyz", &slice, &stores, false);
    assert_eq!(g.source, "endpointslice/default/web-xyz");
    assert_eq!(
        g.labels["__meta_kubernetes_endpointslice_address_type"],
        "IPv4"
    );
    assert_eq!(g.labels["__meta_kubernetes_endpointslice_name"], "web-xyz");
    assert_eq!(g.labels["__meta_kubernetes_service_name"], "web");
    let t = &g.targets[0];
    assert_eq!(t["__address__"], "10.0.0.5:8080");
    assert_eq!(t["__meta_kubernetes_endpointslice_port"], "8080");
    assert_eq!(t["__meta_kubernetes_endpointslice_port_name"], "http");
    assert_eq!(t["__meta_kubernetes_endpointslice_port_protocol"], "TCP");
    assert_eq!(
        t["__meta_kubernetes_endpointslice_port_app_protocol"],
        "http"
    );
    assert_eq!(
        t["__meta_kubernetes_endpointslice_endpoint_conditions_ready"],
        "true"
    );
    assert_eq!(
        t["__meta_kubernetes_endpointslice_endpoint_conditions_terminating"],
        "false"
    );
    assert_eq!(
        t["__meta_kubernetes_endpointslice_endpoint_node_name"],
        "node-a"
    );
    assert_eq!(
        t["__meta_kubernetes_endpointslice_endpoint_zone"],
        "us-west-2a"
    );
    assert_eq!(
        t["__meta_kubernetes_endpointslice_address_target_kind"],
        "Pod"
    );
    assert_eq!(t["__meta_kubernetes_pod_name"], "web-1");
    assert_eq!(g.targets.len(), 2, "plus the uncovered container port");
}

#[test]
fn ingress_targets_per_rule_and_path() {
    let ing: Ingress = obj(json!({
        "metadata": {"name": "site", "namespace": "web"},
        "spec": {
            "ingressClassName": "nginx",
            "tls": [{"hosts": ["*.example.com"]}],
            "rules": [
                {"host": "a.example.com", "http": {"paths": [{"path": "/x"}, {"path": ""}]}},
                {"host": "other.org"}
            ]
        }
    }));
    let g = ingress_group("web/site", &ing);
    assert_eq!(g.source, "ingress/web/site");
    assert_eq!(g.labels["__meta_kubernetes_ingress_class_name"], "nginx");
    let got: Vec<(&str, &str, &str)> = g
        .targets
        .iter()
        .map(|t| {
            (
                t["__address__"].as_str(),
                t["__meta_kubernetes_ingress_scheme"].as_str(),
                t["__meta_kubernetes_ingress_path"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("a.example.com", "https", "/x"),
            ("a.example.com", "https", "/"),
            ("other.org", "http", "/")
        ]
    );
}

#[test]
fn dual_stack_secondary_family_slice_has_no_targets() {
    let mut stores = Stores::default();
    stores.services.insert(
        "default/web".into(),
        obj(json!({"metadata": {"name": "web", "namespace": "default"},
                   "spec": {"ipFamilyPolicy": "PreferDualStack", "ipFamilies": ["IPv4", "IPv6"]}})),
    );
    let slice = |family: &str, addr: &str| -> EndpointSlice {
        obj(json!({
            "metadata": {"name": format!("web-{family}"), "namespace": "default",
                         "labels": {"kubernetes.io/service-name": "web"}},
            "addressType": family,
            "endpoints": [{"addresses": [addr]}],
            "ports": [{"port": 80}]
        }))
    };
    let v4 = endpoint_slice_group(
        "default/web-IPv4",
        &slice("IPv4", "10.0.0.1"),
        &stores,
        false,
    );
    assert_eq!(v4.targets[0]["__address__"], "10.0.0.1:80");
    let v6 = endpoint_slice_group(
        "default/web-IPv6",
        &slice("IPv6", "fd00::1"),
        &stores,
        false,
    );
    assert!(v6.targets.is_empty());
    assert_eq!(
        v6.labels["__meta_kubernetes_service_name"], "web",
        "labels still sent"
    );
}
