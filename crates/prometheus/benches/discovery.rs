//! Target relabelling of a Kubernetes-sized discovery update: 1000 pod targets with ~30
//! labels each through the DaemonSet `keep` rule plus a typical `labelmap`/`replace` set, as
//! the scrape manager does on every discovery update. Throughput is in targets/s.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use prometheus::discovery::{LabelSet, TargetDefaults, populate_labels};
use prometheus::duration::PromDuration;
use prometheus::relabel::RelabelConfig;

const TARGETS: usize = 1000;

fn targets() -> Vec<(LabelSet, LabelSet)> {
    (0..TARGETS)
        .map(|i| {
            let node = format!("ip-10-0-{}-{}.ec2.internal", i % 8, i % 250);
            let mut group = LabelSet::new();
            for (k, v) in [
                ("__meta_kubernetes_namespace", "monitoring".to_string()),
                ("__meta_kubernetes_pod_name", format!("node-exporter-{i}")),
                (
                    "__meta_kubernetes_pod_ip",
                    format!("10.1.{}.{}", i / 250, i % 250),
                ),
                ("__meta_kubernetes_pod_ready", "true".into()),
                ("__meta_kubernetes_pod_phase", "Running".into()),
                ("__meta_kubernetes_pod_node_name", node),
                ("__meta_kubernetes_pod_host_ip", "192.168.0.1".into()),
                ("__meta_kubernetes_pod_uid", format!("uid-{i:08}")),
                ("__meta_kubernetes_pod_controller_kind", "DaemonSet".into()),
                (
                    "__meta_kubernetes_pod_controller_name",
                    "node-exporter".into(),
                ),
            ] {
                group.insert(k.into(), v);
            }
            for l in [
                "app",
                "component",
                "release",
                "version",
                "tier",
                "team",
                "chart",
            ] {
                group.insert(
                    format!("__meta_kubernetes_pod_label_{l}"),
                    format!("{l}-value"),
                );
                group.insert(
                    format!("__meta_kubernetes_pod_labelpresent_{l}"),
                    "true".into(),
                );
            }
            group.insert(
                "__meta_kubernetes_pod_annotation_prometheus_io_scrape".into(),
                "true".into(),
            );
            let mut target = LabelSet::new();
            target.insert(
                "__address__".into(),
                format!("10.1.{}.{}:9100", i / 250, i % 250),
            );
            target.insert(
                "__meta_kubernetes_pod_container_name".into(),
                "exporter".into(),
            );
            target.insert(
                "__meta_kubernetes_pod_container_port_number".into(),
                "9100".into(),
            );
            (target, group)
        })
        .collect()
}

fn rules() -> Vec<RelabelConfig> {
    let yaml = r#"
- {action: keep, source_labels: [__meta_kubernetes_pod_node_name], regex: 'ip-10-0-1-.*'}
- {action: keep, source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape], regex: 'true'}
- {action: labelmap, regex: '__meta_kubernetes_pod_label_(.+)'}
- {source_labels: [__meta_kubernetes_namespace], target_label: namespace}
- {source_labels: [__meta_kubernetes_pod_name], target_label: pod}
- {source_labels: [__address__], regex: '([^:]+)(?::\d+)?', replacement: '${1}:9100', target_label: __address__}
"#;
    let node = confmap::parse_yaml(yaml).expect("yaml").expect("doc");
    confmap::decode(&node).expect("rules")
}

fn bench(c: &mut Criterion) {
    let targets = targets();
    let rules = rules();
    let defaults = TargetDefaults {
        job_name: "kubernetes-pods".into(),
        scrape_interval: PromDuration::from_secs(60),
        scrape_timeout: PromDuration::from_secs(10),
        metrics_path: "/metrics".into(),
        scheme: "http".into(),
        params: vec![],
    };
    let mut g = c.benchmark_group("target_relabel");
    g.throughput(Throughput::Elements(TARGETS as u64));
    g.bench_function("populate_labels_1000_pods", |b| {
        b.iter(|| {
            let mut kept = 0;
            for (t, grp) in &targets {
                if let Ok(prometheus::discovery::PopulatedTarget::Active { .. }) =
                    populate_labels(t, grp, &defaults, &rules)
                {
                    kept += 1;
                }
            }
            assert_eq!(kept, TARGETS / 8);
            kept
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
